import { Title } from '@solidjs/meta';
import { useSearchParams } from '@solidjs/router';
import { createSignal, For, Show } from 'solid-js';
import { PageHeader } from '~/components/AppShell.tsx';
import { StatementView } from '~/components/StatementView.tsx';
import { t } from '~/i18n/index.ts';
import { createLoader } from '~/lib/loader.ts';
import { trpc } from '~/lib/trpc.ts';
import '~/components/payments.css';

/** Monthly statements: pick a month, read it, download the CSV or print the page. */
export default function StatementsPage() {
  const [params, setParams] = useSearchParams();
  const months = createLoader(() => trpc.statements.months.query());
  const balance = createLoader(() => trpc.payments.balance.query());
  const [month, setMonth] = createSignal<string>(
    typeof params.month === 'string' ? params.month : new Date().toISOString().slice(0, 7),
  );
  const statement = createLoader(() => trpc.statements.mine.query({ month: month() }));

  function choose(m: string) {
    setMonth(m);
    setParams({ month: m });
    void statement.reload();
  }

  const display = () => ({
    quotaPerUnit: balance.data()?.quotaPerUnit ?? 500_000,
    currency: balance.data()?.currency ?? 'USD',
  });

  return (
    <>
      <Title>
        {t('statements.title')} · {t('app.name')}
      </Title>
      <PageHeader
        title={`${t('statements.title')} · ${month()}`}
        subtitle={t('statements.subtitle')}
        actions={
          <>
            <a
              class="btn btn-secondary btn-sm"
              data-testid="statement-csv"
              href={`/api/export/statement.csv?month=${month()}`}
              rel="external"
              download=""
            >
              {t('statements.csv')}
            </a>
            <button type="button" class="btn btn-ghost btn-sm" onClick={() => window.print()}>
              {t('statements.print')}
            </button>
          </>
        }
      />
      <section class="card">
        <label class="field no-print" style={{ 'max-width': '220px' }}>
          <span>{t('statements.month')}</span>
          <select
            data-testid="statement-month"
            value={month()}
            onChange={(e) => choose(e.currentTarget.value)}
          >
            <For each={months.data() ?? [month()]}>{(m) => <option value={m}>{m}</option>}</For>
          </select>
        </label>
        <Show when={statement.data()} fallback={<p class="muted">{t('common.loading')}</p>}>
          {(s) => <StatementView statement={s()} display={display()} />}
        </Show>
      </section>
    </>
  );
}
