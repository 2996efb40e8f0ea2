import { Title } from '@solidjs/meta';
import { createSignal, For, Show } from 'solid-js';
import { PageHeader } from '~/components/AppShell.tsx';
import { type DetailField, LogDetailDrawer, LogPager, LogStatus, Maybe } from '~/components/RequestLogs.tsx';
import { t } from '~/i18n/index.ts';
import { formatNumber } from '~/lib/format.ts';
import { useHydrated } from '~/lib/hydrated.ts';
import { createLoader } from '~/lib/loader.ts';
import {
  compact,
  createCursorPages,
  dayEnd,
  dayStart,
  exportHref,
  formatLogTime,
  formatMs,
  kindLabel,
  LOG_PAGE_SIZE,
  money,
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
  const [form, setForm] = createSignal<Form>({ ...EMPTY });
  const [applied, setApplied] = createSignal<OwnLogFilter>({});
  const [selected, setSelected] = createSignal<OwnLog>();
  const pages = createCursorPages();
  const logs = createLoader(() =>
    trpc.logs.mine.query({
      ...applied(),
      limit: LOG_PAGE_SIZE,
      ...(pages.cursor() ? { cursor: pages.cursor() } : {}),
    }),
  );
  const keys = createLoader(() => trpc.tokens.list.query());

  const set = (key: keyof Form) => (e: { currentTarget: { value: string } }) =>
    setForm({ ...form(), [key]: e.currentTarget.value });

  function apply(e: SubmitEvent) {
    e.preventDefault();
    setApplied(toFilter(form()));
    pages.reset();
    void logs.reload();
  }

  function clear() {
    setForm({ ...EMPTY });
    setApplied({});
    pages.reset();
    void logs.reload();
  }

  function next() {
    const cursor = logs.data()?.nextCursor;
    if (!cursor) return;
    pages.next(cursor);
    void logs.reload();
  }

  function prev() {
    pages.prev();
    void logs.reload();
  }

  const display = () => logs.data()?.display ?? { quotaPerUnit: 500_000, currency: 'USD' as const };
  const cost = (units: number) => (
    <>
      {money(units, display())}
      <span class="log-sub">{t('logs.units', { n: formatNumber(units) })}</span>
    </>
  );

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
          <div class="log-filter-actions">
            <button type="submit" class="btn btn-primary" data-testid="usage-apply" disabled={!hydrated()}>
              {t('logs.apply')}
            </button>
            <button
              type="button"
              class="btn btn-ghost"
              data-testid="usage-clear"
              disabled={!hydrated()}
              onClick={clear}
            >
              {t('logs.clear')}
            </button>
          </div>
        </form>
        <Show when={logs.error()}>
          {(msg) => (
            <div class="alert alert-error" data-testid="error-message">
              <span>{msg()}</span>
              <button type="button" class="btn btn-ghost btn-sm" onClick={() => logs.reload()}>
                {t('common.retry')}
              </button>
            </div>
          )}
        </Show>
        <Show when={logs.data()} fallback={<p class="table-note muted">{t('common.loading')}</p>}>
          {(page) => (
            <>
              <Show
                when={page().rows.length > 0}
                fallback={
                  <p class="empty-state" data-testid="usage-empty">
                    {t('usage.empty')}
                  </p>
                }
              >
                <div class="table-wrap" classList={{ 'is-loading': logs.loading() }}>
                  <table class="table log-table">
                    <thead>
                      <tr>
                        <th>{t('logs.col.time')}</th>
                        <th>{t('logs.col.key')}</th>
                        <th>{t('logs.col.model')}</th>
                        <th class="num">{t('logs.col.tokens')}</th>
                        <th class="num">{t('logs.col.cost')}</th>
                        <th class="num">{t('logs.col.latency')}</th>
                        <th class="num">{t('logs.col.ttft')}</th>
                        <th>{t('logs.col.status')}</th>
                        <th>{t('logs.col.error')}</th>
                      </tr>
                    </thead>
                    <tbody>
                      <For each={page().rows}>
                        {(r) => (
                          <tr
                            data-testid="usage-row"
                            data-log-id={r.id}
                            tabIndex={0}
                            classList={{ 'row-selected': selected()?.id === r.id }}
                            onClick={() => setSelected(r)}
                            onKeyDown={(e) => {
                              if (e.key === 'Enter') setSelected(r);
                            }}
                          >
                            <td>{formatLogTime(r.createdAt)}</td>
                            <td class="cell-clip">
                              <Maybe value={r.tokenName} />
                            </td>
                            <td class="cell-clip mono">
                              <Maybe value={r.model} />
                            </td>
                            <td class="num">
                              {formatNumber(r.promptTokens)} / {formatNumber(r.completionTokens)}
                            </td>
                            <td class="num">{cost(r.cost)}</td>
                            <td class="num">{formatMs(r.latencyMs)}</td>
                            <td class="num">{formatMs(r.ttftMs)}</td>
                            <td>
                              <LogStatus code={r.statusCode} kind={r.kind} />
                            </td>
                            <td class="cell-clip mono">
                              <Maybe value={r.errorCode} />
                            </td>
                          </tr>
                        )}
                      </For>
                    </tbody>
                  </table>
                </div>
              </Show>
              <LogPager
                page={pages.page()}
                total={page().total}
                capped={page().totalCapped}
                hasNext={page().nextCursor !== null}
                loading={logs.loading()}
                onPrev={prev}
                onNext={next}
              />
            </>
          )}
        </Show>
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
