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
  compact,
  dayEnd,
  dayStart,
  exportHref,
  type OwnLog,
  type OwnLogFilter,
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
      ...logIdFields(r),
      ['logs.field.key', <Maybe value={r.tokenName} />],
      ['logs.field.model', <Maybe value={r.model} mono />],
      ...logTokenFields(r),
      ['logs.field.cost', cost(r.cost)],
      ...logOutcomeFields(r),
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
          <LogExportLink testId="usage-export" href={exportHref('/api/export/my-logs.csv', applied())} />
        }
      />
      <section class="card">
        <form class="log-filters" onSubmit={apply} data-testid="usage-filters">
          <LogDateFilters
            prefix="usage"
            from={form().from}
            to={form().to}
            onFrom={set('from')}
            onTo={set('to')}
          />
          <label class="field">
            <span>{t('logs.filter.key')}</span>
            <select data-testid="usage-filter-key" value={form().tokenId} onChange={set('tokenId')}>
              <option value="">{t('logs.filter.any')}</option>
              <For each={keys.data() ?? []}>{(k) => <option value={String(k.id)}>{k.name}</option>}</For>
            </select>
          </label>
          <LogStatusSelect testId="usage-filter-status" value={form().status} onChange={set('status')} />
          <LogFilterActions prefix="usage" hydrated={hydrated()} onClear={clear} />
        </form>
        <LogResults
          list={list}
          emptyTestId="usage-empty"
          emptyText={t('usage.empty')}
          rowTestId="usage-row"
        />
      </section>
      <SelectedLogDrawer row={selected()} fields={fields} onClose={() => setSelected(undefined)} />
    </>
  );
}
