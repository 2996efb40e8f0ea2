import type { MoneyDisplay } from '@tollgate/shared/quota-display.ts';
import { createSignal, For, type JSX, onCleanup, onMount, Show } from 'solid-js';
import { type MessageKey, t } from '~/i18n/index.ts';
import { formatNumber } from '~/lib/format.ts';
import { createLoader } from '~/lib/loader.ts';
import {
  createCursorPages,
  formatLogTime,
  formatMs,
  kindLabel,
  LOG_PAGE_SIZE,
  money,
  type OwnLog,
  STATUS_CHOICES,
  statusClass,
} from '~/lib/request-logs.ts';
import './request-logs.css';

/** A log row's status: the HTTP code as a coloured badge, or the kind for top-ups and adjustments. */
export function LogStatus(props: { code: number; kind: string }) {
  return (
    <Show
      when={props.kind === 'usage'}
      fallback={<span class="badge badge-info">{t(kindLabel(props.kind))}</span>}
    >
      <span class={statusClass(props.code)} data-testid="log-status">
        {props.code}
      </span>
    </Show>
  );
}

export type DetailField = [label: MessageKey, value: JSX.Element];

/** Every field of one row in a side panel; Escape, the close button or the backdrop closes it. */
export function LogDetailDrawer(props: { title: string; fields: DetailField[]; onClose: () => void }) {
  let closeButton: HTMLButtonElement | undefined;
  const onKey = (e: KeyboardEvent) => {
    if (e.key === 'Escape') props.onClose();
  };
  onMount(() => {
    document.addEventListener('keydown', onKey);
    closeButton?.focus();
  });
  onCleanup(() => document.removeEventListener('keydown', onKey));
  return (
    <>
      <div class="log-drawer-backdrop" onClick={() => props.onClose()} aria-hidden="true" />
      <aside
        class="log-drawer"
        role="dialog"
        aria-modal="true"
        aria-label={props.title}
        data-testid="log-detail"
      >
        <div class="log-drawer-head">
          <h2>{props.title}</h2>
          <button
            ref={closeButton}
            type="button"
            class="btn btn-ghost btn-sm"
            data-testid="log-detail-close"
            onClick={() => props.onClose()}
          >
            {t('logs.detail.close')}
          </button>
        </div>
        <div class="log-drawer-body">
          <dl class="log-fields">
            <For each={props.fields}>
              {([label, value]) => (
                <>
                  <dt>{t(label)}</dt>
                  <dd>{value}</dd>
                </>
              )}
            </For>
          </dl>
        </div>
      </aside>
    </>
  );
}

/** Previous/next over keyset pages, with the page number and the (capped) total. */
export function LogPager(props: {
  page: number;
  total: number;
  capped: boolean;
  hasNext: boolean;
  loading: boolean;
  onPrev: () => void;
  onNext: () => void;
}) {
  const total = () =>
    props.capped ? t('logs.totalCapped', { n: formatNumber(props.total) }) : formatNumber(props.total);
  return (
    <div class="pager">
      <span class="muted small" data-testid="logs-page-info">
        {t('logs.pageInfo', { page: props.page, total: total() })}
      </span>
      <div class="pager-buttons">
        <button
          type="button"
          class="btn btn-secondary btn-sm"
          data-testid="logs-prev"
          disabled={props.page <= 1 || props.loading}
          onClick={() => props.onPrev()}
        >
          {t('logs.prev')}
        </button>
        <button
          type="button"
          class="btn btn-secondary btn-sm"
          data-testid="logs-next"
          disabled={!props.hasNext || props.loading}
          onClick={() => props.onNext()}
        >
          {t('logs.next')}
        </button>
      </div>
    </div>
  );
}

/** A value or a muted dash. */
export function Maybe(props: { value: string | number | null | undefined; mono?: boolean }) {
  return (
    <Show
      when={props.value !== null && props.value !== undefined && props.value !== ''}
      fallback={<span class="muted">—</span>}
    >
      <span class={props.mono ? 'mono' : undefined}>{props.value}</span>
    </Show>
  );
}

interface LogPageData {
  rows: LogRow[];
  total: number;
  totalCapped: boolean;
  nextCursor: string | null;
  display: MoneyDisplay;
}

/** The columns both log tables show; the admin table adds user and channel. */
interface LogRow {
  id: number;
  createdAt: number;
  tokenName: string | null;
  model: string | null;
  promptTokens: number;
  completionTokens: number;
  cost: number;
  latencyMs: number | null;
  ttftMs: number | null;
  statusCode: number;
  kind: string;
  errorCode: string | null;
}

/**
 * The state of a filtered, paged log list: the form being edited, the filter applied, the keyset
 * pages, the row open in the drawer, and the actions of the form and the pager.
 */
export function createLogList<F extends object, Filter extends object, P extends LogPageData>(opts: {
  empty: F;
  toFilter: (form: F) => Filter;
  query: (input: Filter & { limit: number; cursor?: string }) => Promise<P>;
}) {
  const [form, setForm] = createSignal<F>({ ...opts.empty });
  const [applied, setApplied] = createSignal<Filter>({} as Filter);
  const [selected, setSelected] = createSignal<P['rows'][number]>();
  const pages = createCursorPages();
  const logs = createLoader(() =>
    opts.query({
      ...applied(),
      limit: LOG_PAGE_SIZE,
      ...(pages.cursor() ? { cursor: pages.cursor() } : {}),
    }),
  );

  const set = (key: keyof F) => (e: { currentTarget: { value: string } }) =>
    setForm(() => ({ ...form(), [key]: e.currentTarget.value }));

  function apply(e: SubmitEvent) {
    e.preventDefault();
    setApplied(() => opts.toFilter(form()));
    pages.reset();
    void logs.reload();
  }

  function clear() {
    setForm(() => ({ ...opts.empty }));
    setApplied(() => ({}) as Filter);
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

  return { form, set, applied, selected, setSelected, pages, logs, apply, clear, next, prev, cost };
}

/** The filter form's apply and clear buttons (test ids `<prefix>-apply` and `<prefix>-clear`). */
export function LogFilterActions(props: { prefix: string; hydrated: boolean; onClear: () => void }) {
  return (
    <div class="log-filter-actions">
      <button
        type="submit"
        class="btn btn-primary"
        data-testid={`${props.prefix}-apply`}
        disabled={!props.hydrated}
      >
        {t('logs.apply')}
      </button>
      <button
        type="button"
        class="btn btn-ghost"
        data-testid={`${props.prefix}-clear`}
        disabled={!props.hydrated}
        onClick={() => props.onClear()}
      >
        {t('logs.clear')}
      </button>
    </div>
  );
}

/**
 * Below the filters: the error alert, then the rows as a table (or the empty state) and the pager.
 * `user` and `channel` add those columns (the admin view).
 */
export function LogResults<R extends LogRow>(props: {
  list: {
    logs: {
      data: () => { rows: R[]; total: number; totalCapped: boolean; nextCursor: string | null } | undefined;
      error: () => string | undefined;
      loading: () => boolean;
      reload: () => Promise<void>;
    };
    pages: { page: () => number };
    selected: () => R | undefined;
    setSelected: (row: R) => void;
    cost: (units: number) => JSX.Element;
    next: () => void;
    prev: () => void;
  };
  emptyTestId: string;
  emptyText: string;
  rowTestId: string;
  user?: (row: R) => string | null;
  channel?: (row: R) => string | null;
}) {
  const list = props.list;
  return (
    <>
      <Show when={list.logs.error()}>
        {(msg) => (
          <div class="alert alert-error" data-testid="error-message">
            <span>{msg()}</span>
            <button type="button" class="btn btn-ghost btn-sm" onClick={() => list.logs.reload()}>
              {t('common.retry')}
            </button>
          </div>
        )}
      </Show>
      <Show when={list.logs.data()} fallback={<p class="table-note muted">{t('common.loading')}</p>}>
        {(page) => (
          <>
            <Show
              when={page().rows.length > 0}
              fallback={
                <p class="empty-state" data-testid={props.emptyTestId}>
                  {props.emptyText}
                </p>
              }
            >
              <div class="table-wrap" classList={{ 'is-loading': list.logs.loading() }}>
                <table class="table log-table">
                  <thead>
                    <tr>
                      <th>{t('logs.col.time')}</th>
                      <Show when={props.user}>
                        <th>{t('logs.col.user')}</th>
                      </Show>
                      <th>{t('logs.col.key')}</th>
                      <th>{t('logs.col.model')}</th>
                      <Show when={props.channel}>
                        <th>{t('logs.col.channel')}</th>
                      </Show>
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
                          data-testid={props.rowTestId}
                          data-log-id={r.id}
                          tabIndex={0}
                          classList={{ 'row-selected': list.selected()?.id === r.id }}
                          onClick={() => list.setSelected(r)}
                          onKeyDown={(e) => {
                            if (e.key === 'Enter') list.setSelected(r);
                          }}
                        >
                          <td>{formatLogTime(r.createdAt)}</td>
                          <Show when={props.user}>
                            {(user) => (
                              <td class="cell-clip" title={user()(r) ?? ''}>
                                <Maybe value={user()(r)} />
                              </td>
                            )}
                          </Show>
                          <td class="cell-clip">
                            <Maybe value={r.tokenName} />
                          </td>
                          <td class="cell-clip mono">
                            <Maybe value={r.model} />
                          </td>
                          <Show when={props.channel}>
                            {(channel) => (
                              <td class="cell-clip">
                                <Maybe value={channel()(r)} />
                              </td>
                            )}
                          </Show>
                          <td class="num">
                            {formatNumber(r.promptTokens)} / {formatNumber(r.completionTokens)}
                          </td>
                          <td class="num">{list.cost(r.cost)}</td>
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
              page={list.pages.page()}
              total={page().total}
              capped={page().totalCapped}
              hasNext={page().nextCursor !== null}
              loading={list.logs.loading()}
              onPrev={list.prev}
              onNext={list.next}
            />
          </>
        )}
      </Show>
    </>
  );
}

type OnValue = (e: { currentTarget: { value: string } }) => void;

/** The export link of a log page's header: the CSV of the filter applied. */
export function LogExportLink(props: { testId: string; href: string }) {
  return (
    <a class="btn btn-secondary" data-testid={props.testId} href={props.href} rel="external" download="">
      {t('logs.export')}
    </a>
  );
}

/** The status filter: any, the ok/error classes, then single codes. */
export function LogStatusSelect(props: { testId: string; value: string; onChange: OnValue }) {
  return (
    <label class="field">
      <span>{t('logs.filter.status')}</span>
      <select data-testid={props.testId} value={props.value} onChange={(e) => props.onChange(e)}>
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
  );
}

/** The from/to day pickers (test ids `<prefix>-filter-from` and `<prefix>-filter-to`). */
export function LogDateFilters(props: {
  prefix: string;
  from: string;
  to: string;
  onFrom: OnValue;
  onTo: OnValue;
}) {
  return (
    <>
      <label class="field">
        <span>{t('logs.filter.from')}</span>
        <input
          type="date"
          data-testid={`${props.prefix}-filter-from`}
          value={props.from}
          onInput={(e) => props.onFrom(e)}
        />
      </label>
      <label class="field">
        <span>{t('logs.filter.to')}</span>
        <input
          type="date"
          data-testid={`${props.prefix}-filter-to`}
          value={props.to}
          onInput={(e) => props.onTo(e)}
        />
      </label>
    </>
  );
}

/** The drawer of the selected row, if one is selected. */
export function SelectedLogDrawer<R>(props: {
  row: R | undefined;
  fields: (row: R) => DetailField[];
  onClose: () => void;
}) {
  return (
    <Show when={props.row}>
      {(r) => (
        <LogDetailDrawer
          title={t('logs.detail.title')}
          fields={props.fields(r())}
          onClose={() => props.onClose()}
        />
      )}
    </Show>
  );
}

/** The first detail fields of every row: when, which request, what kind. */
export function logIdFields(r: OwnLog): DetailField[] {
  return [
    ['logs.field.time', `${formatLogTime(r.createdAt)} (${new Date(r.createdAt).toISOString()})`],
    ['logs.field.requestId', <span class="mono">{r.requestId}</span>],
    ['logs.field.kind', t(kindLabel(r.kind))],
  ];
}

/** The token counts of a row. */
export function logTokenFields(r: OwnLog): DetailField[] {
  return [
    ['logs.field.promptTokens', formatNumber(r.promptTokens)],
    ['logs.field.cachedTokens', formatNumber(r.cachedTokens)],
    ['logs.field.completionTokens', formatNumber(r.completionTokens)],
  ];
}

/** The last detail fields of every row: timings and how it ended. */
export function logOutcomeFields(r: OwnLog): DetailField[] {
  return [
    ['logs.field.latency', formatMs(r.latencyMs)],
    ['logs.field.ttft', formatMs(r.ttftMs)],
    ['logs.field.stream', t(r.stream ? 'logs.yes' : 'logs.no')],
    ['logs.field.status', <LogStatus code={r.statusCode} kind={r.kind} />],
    ['logs.field.errorCode', <Maybe value={r.errorCode} mono />],
    ['logs.field.ip', <Maybe value={r.ip} mono />],
    ['logs.field.note', <Maybe value={r.note} />],
  ];
}
