import { Title } from '@solidjs/meta';
import { For } from 'solid-js';
import { PageHeader } from '~/components/AppShell.tsx';
import {
  createLogList,
  type DetailField,
  LogDateFilters,
  LogExportLink,
  LogFilterActions,
  LogResults,
  LogStatusSelect,
  logIdFields,
  logOutcomeFields,
  logTokenFields,
  Maybe,
  SelectedLogDrawer,
} from '~/components/RequestLogs.tsx';
import { t } from '~/i18n/index.ts';
import { useHydrated } from '~/lib/hydrated.ts';
import { createLoader } from '~/lib/loader.ts';
import {
  type AdminLog,
  type AdminLogFilter,
  compact,
  dayEnd,
  dayStart,
  exportHref,
  KIND_CHOICES,
  kindLabel,
  statusFilter,
} from '~/lib/request-logs.ts';
import { trpc } from '~/lib/trpc.ts';

interface Form {
  user: string;
  tokenId: string;
  model: string;
  channelId: string;
  status: string;
  kind: string;
  from: string;
  to: string;
  requestId: string;
}

const EMPTY: Form = {
  user: '',
  tokenId: '',
  model: '',
  channelId: '',
  status: '',
  kind: '',
  from: '',
  to: '',
  requestId: '',
};

const idOf = (v: string) => (/^\d+$/.test(v.trim()) ? Number(v.trim()) : undefined);

function toFilter(f: Form): AdminLogFilter {
  return compact({
    user: f.user.trim(),
    tokenId: idOf(f.tokenId),
    model: f.model.trim(),
    channelId: idOf(f.channelId),
    status: statusFilter(f.status),
    kind: (KIND_CHOICES as readonly string[]).includes(f.kind)
      ? (f.kind as AdminLogFilter['kind'])
      : undefined,
    from: dayStart(f.from),
    to: dayEnd(f.to),
    requestId: f.requestId.trim(),
  });
}

export default function AdminLogsPage() {
  const hydrated = useHydrated();
  const list = createLogList({ empty: EMPTY, toFilter, query: (input) => trpc.logs.search.query(input) });
  const { form, set, applied, selected, setSelected, apply, clear, cost } = list;
  const channels = createLoader(() => trpc.channels.list.query());

  function fields(r: AdminLog): DetailField[] {
    return [
      ...logIdFields(r),
      ['logs.field.user', `${r.userEmail ?? '—'} (#${r.userId})`],
      [
        'logs.field.key',
        r.tokenId === null ? <Maybe value={null} /> : `${r.tokenName ?? '—'} (#${r.tokenId})`,
      ],
      ['logs.field.model', <Maybe value={r.model} mono />],
      ['logs.field.upstreamModel', <Maybe value={r.upstreamModel} mono />],
      [
        'logs.field.channel',
        r.channelId === null ? <Maybe value={null} /> : `${r.channelName ?? '—'} (#${r.channelId})`,
      ],
      ['logs.field.triedChannels', <Maybe value={r.triedChannels.map((id) => `#${id}`).join(', ')} />],
      ...logTokenFields(r),
      ['logs.field.cost', cost(r.cost)],
      ['logs.field.channelCost', cost(r.channelCost)],
      ...logOutcomeFields(r),
    ];
  }

  return (
    <>
      <Title>
        {t('logs.title')} · {t('app.name')}
      </Title>
      <PageHeader
        title={t('logs.title')}
        subtitle={t('logs.subtitle')}
        actions={<LogExportLink testId="logs-export" href={exportHref('/api/export/logs.csv', applied())} />}
      />
      <section class="card">
        <form class="log-filters" onSubmit={apply} data-testid="logs-filters">
          <label class="field">
            <span>{t('logs.filter.user')}</span>
            <input
              type="text"
              data-testid="logs-filter-user"
              placeholder={t('logs.filter.userPlaceholder')}
              value={form().user}
              onInput={set('user')}
            />
          </label>
          <label class="field">
            <span>{t('logs.filter.key')}</span>
            <input
              type="text"
              inputmode="numeric"
              data-testid="logs-filter-key"
              placeholder={t('logs.filter.keyPlaceholder')}
              value={form().tokenId}
              onInput={set('tokenId')}
            />
          </label>
          <label class="field">
            <span>{t('logs.filter.model')}</span>
            <input type="text" data-testid="logs-filter-model" value={form().model} onInput={set('model')} />
          </label>
          <label class="field">
            <span>{t('logs.filter.channel')}</span>
            <select data-testid="logs-filter-channel" value={form().channelId} onChange={set('channelId')}>
              <option value="">{t('logs.filter.any')}</option>
              <For each={channels.data() ?? []}>{(c) => <option value={String(c.id)}>{c.name}</option>}</For>
            </select>
          </label>
          <LogStatusSelect testId="logs-filter-status" value={form().status} onChange={set('status')} />
          <label class="field">
            <span>{t('logs.filter.kind')}</span>
            <select data-testid="logs-filter-kind" value={form().kind} onChange={set('kind')}>
              <option value="">{t('logs.filter.any')}</option>
              <For each={KIND_CHOICES}>{(k) => <option value={k}>{t(kindLabel(k))}</option>}</For>
            </select>
          </label>
          <LogDateFilters
            prefix="logs"
            from={form().from}
            to={form().to}
            onFrom={set('from')}
            onTo={set('to')}
          />
          <label class="field">
            <span>{t('logs.filter.requestId')}</span>
            <input
              type="text"
              data-testid="logs-filter-request"
              value={form().requestId}
              onInput={set('requestId')}
            />
          </label>
          <LogFilterActions prefix="logs" hydrated={hydrated()} onClear={clear} />
        </form>
        <LogResults
          list={list}
          emptyTestId="logs-empty"
          emptyText={t('logs.empty')}
          rowTestId="log-row"
          user={(r) => r.userEmail}
          channel={(r) => r.channelName}
        />
      </section>
      <SelectedLogDrawer row={selected()} fields={fields} onClose={() => setSelected(undefined)} />
    </>
  );
}
