import { For, type JSX, onCleanup, onMount, Show } from 'solid-js';
import { type MessageKey, t } from '~/i18n/index.ts';
import { formatNumber } from '~/lib/format.ts';
import { kindLabel, statusClass } from '~/lib/request-logs.ts';
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
