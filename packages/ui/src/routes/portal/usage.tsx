import { Title } from '@solidjs/meta';
import { For, Show } from 'solid-js';
import { PageHeader } from '~/components/AppShell.tsx';
import {
  createLogList,
  type DetailField,
  LogDetailDrawer,
  LogFilterActions,
  LogResults,
  LogStatus,
  Maybe,
} from '~/components/RequestLogs.tsx';
import { t } from '~/i18n/index.ts';
import { formatNumber } from '~/lib/format.ts';
import { useHydrated } from '~/lib/hydrated.ts';
import { createLoader } from '~/lib/loader.ts';
import {
  compact,
  dayEnd,
  dayStart,
  exportHref,
  formatLogTime,
  formatMs,
  kindLabel,
  type OwnLog,
  type OwnLogFilter,
  STATUS_CHOICES,
  statusFilter,
} from '~/lib/request-logs.ts';
import { trpc } from '~/lib/trpc.ts';

interface Form {
  from: string;
  to: string;
  tokenId: string;
  status: string;
}

const EMPTY: Form = { from: '', to: '', tokenId: '', status: '' };

function toFilter(f: Form): OwnLogFilter {
  return compact({
    from: dayStart(f.from),
    to: dayEnd(f.to),
    tokenId: /^\d+$/.test(f.tokenId) ? Number(f.tokenId) : undefined,
    status: statusFilter(f.status),
  });
}

/** The signed-in user's own requests (and top-ups): what each call cost, how long it took, how it ended. */
export default function UsagePage() {
  const hydrated = useHydrated();
  const list = createLogList({ empty: EMPTY, toFilter, query: (input) => trpc.logs.mine.query(input) });
  const { form, set, applied, selected, setSelected, apply, clear, cost } = list;
  const keys = createLoader(() => trpc.tokens.list.query());

  function fields(r: OwnLog): DetailField[] {
    return [
      ['logs.field.time', `${formatLogTime(r.createdAt)} (${new Date(r.createdAt).toISOString()})`],
      ['logs.field.requestId', <span class="mono">{r.requestId}</span>],
      ['logs.field.kind', t(kindLabel(r.kind))],
      ['logs.field.key', <Maybe value={r.tokenName} />],
      ['logs.field.model', <Maybe value={r.model} mono />],
      ['logs.field.promptTokens', formatNumber(r.promptTokens)],
      ['logs.field.cachedTokens', formatNumber(r.cachedTokens)],
      ['logs.field.completionTokens', formatNumber(r.completionTokens)],
      ['logs.field.cost', cost(r.cost)],
      ['logs.field.latency', formatMs(r.latencyMs)],
      ['logs.field.ttft', formatMs(r.ttftMs)],
      ['logs.field.stream', t(r.stream ? 'logs.yes' : 'logs.no')],
      ['logs.field.status', <LogStatus code={r.statusCode} kind={r.kind} />],
      ['logs.field.errorCode', <Maybe value={r.errorCode} mono />],
      ['logs.field.ip', <Maybe value={r.ip} mono />],
      ['logs.field.note', <Maybe value={r.note} />],
    ];
  }

  return (
    <>
      <Title>
        {t('usage.title')} · {t('app.name')}
      </Title>
      <PageHeader
        title={t('usage.title')}
        subtitle={t('usage.subtitle')}
        actions={
          <a
            class="btn btn-secondary"
            data-testid="usage-export"
            href={exportHref('/api/export/my-logs.csv', applied())}
            rel="external"
            download=""
          >
            {t('logs.export')}
          </a>
        }
      />
      <section class="card">
        <form class="log-filters" onSubmit={apply} data-testid="usage-filters">
          <label class="field">
            <span>{t('logs.filter.from')}</span>
            <input type="date" data-testid="usage-filter-from" value={form().from} onInput={set('from')} />
          </label>
          <label class="field">
            <span>{t('logs.filter.to')}</span>
            <input type="date" data-testid="usage-filter-to" value={form().to} onInput={set('to')} />
          </label>
          <label class="field">
            <span>{t('logs.filter.key')}</span>
            <select data-testid="usage-filter-key" value={form().tokenId} onChange={set('tokenId')}>
              <option value="">{t('logs.filter.any')}</option>
              <For each={keys.data() ?? []}>{(k) => <option value={String(k.id)}>{k.name}</option>}</For>
            </select>
          </label>
          <label class="field">
            <span>{t('logs.filter.status')}</span>
            <select data-testid="usage-filter-status" value={form().status} onChange={set('status')}>
              <option value="">{t('logs.filter.any')}</option>
              <For each={STATUS_CHOICES}>
                {(s) => (
                  <option value={String(s)}>
                    {s === 'ok' ? t('logs.status.ok') : s === 'error' ? t('logs.status.error') : s}
                  </option>
                )}
              </For>
            </select>
          </label>
          <LogFilterActions prefix="usage" hydrated={hydrated()} onClear={clear} />
        </form>
        <LogResults
          list={list}
          emptyTestId="usage-empty"
          emptyText={t('usage.empty')}
          rowTestId="usage-row"
        />
      </section>
      <Show when={selected()}>
        {(r) => (
          <LogDetailDrawer
            title={t('logs.detail.title')}
            fields={fields(r())}
            onClose={() => setSelected(undefined)}
          />
        )}
      </Show>
    </>
  );
}
