import { Title } from '@solidjs/meta';
import { createSignal, For, Show } from 'solid-js';
import { PageHeader } from '~/components/AppShell.tsx';
import { createFlash, FlashMessages } from '~/components/Flash.tsx';
import { t } from '~/i18n/index.ts';
import { readAmount } from '~/lib/currency-input.ts';
import { formatDate, formatDateTime, formatNumber } from '~/lib/format.ts';
import { useHydrated } from '~/lib/hydrated.ts';
import { createLoader } from '~/lib/loader.ts';
import { formatMoney } from '~/lib/money.ts';
import { errorMessage, trpc } from '~/lib/trpc.ts';
import type { RouterOutputs } from '~/lib/types.ts';
import '~/components/payments.css';

/** Redemption codes: generate a batch, export it as CSV, disable what is left, see who used what. */
export default function CodesPage() {
  const flash = createFlash();
  const hydrated = useHydrated();
  const site = createLoader(() => trpc.settings.get.query());
  const batches = createLoader(() => trpc.codes.batches.query());
  const [count, setCount] = createSignal('10');
  const [value, setValue] = createSignal('5');
  const [expires, setExpires] = createSignal('');
  const [batch, setBatch] = createSignal('');
  const [busy, setBusy] = createSignal(false);
  const [generated, setGenerated] = createSignal<RouterOutputs['codes']['generate']>();
  const [viewing, setViewing] = createSignal<{ batch: string; rows: RouterOutputs['codes']['list'] }>();
  const display = () => ({
    quotaPerUnit: site.data()?.quota_per_unit ?? 500_000,
    currency: site.data()?.display_currency ?? 'USD',
  });

  async function generate(e: SubmitEvent) {
    e.preventDefault();
    const amount = readAmount(value(), display() as Parameters<typeof readAmount>[1]);
    if (amount.kind !== 'ok')
      return flash.showError(amount.kind === 'error' ? amount.message : t('money.invalidAmount'));
    setBusy(true);
    try {
      const res = await trpc.codes.generate.mutate({
        count: Number(count()),
        value: amount.units,
        expiresAt: expires() ? new Date(`${expires()}T23:59:59`).getTime() : null,
        ...(batch().trim() ? { batch: batch().trim() } : {}),
      });
      setGenerated(res);
      flash.showSuccess(t('codes.generated', { n: res.codes.length, batch: res.batch }));
      await batches.reload();
    } catch (err) {
      flash.showError(errorMessage(err));
    } finally {
      setBusy(false);
    }
  }

  async function disable(name: string) {
    try {
      const r = await trpc.codes.disable.mutate({ batch: name });
      flash.showSuccess(t('codes.disabled', { n: r.disabled }));
      await batches.reload();
    } catch (err) {
      flash.showError(errorMessage(err));
    }
  }

  async function view(name: string) {
    try {
      setViewing({ batch: name, rows: await trpc.codes.list.query({ batch: name, limit: 1000 }) });
    } catch (err) {
      flash.showError(errorMessage(err));
    }
  }

  return (
    <>
      <Title>
        {t('codes.title')} · {t('app.name')}
      </Title>
      <PageHeader title={t('codes.title')} subtitle={t('codes.subtitle')} />
      <FlashMessages flash={flash} />
      <section class="card">
        <h2>{t('codes.generate')}</h2>
        <form class="form" onSubmit={generate}>
          <div class="form-grid">
            <label class="field">
              <span>{t('codes.count')}</span>
              <input
                inputmode="numeric"
                data-testid="codes-count"
                value={count()}
                onInput={(e) => setCount(e.currentTarget.value)}
              />
            </label>
            <label class="field">
              <span>{t('codes.value', { currency: display().currency })}</span>
              <input
                inputmode="decimal"
                data-testid="codes-value"
                value={value()}
                onInput={(e) => setValue(e.currentTarget.value)}
              />
            </label>
            <label class="field">
              <span>{t('codes.expires')}</span>
              <input type="date" value={expires()} onInput={(e) => setExpires(e.currentTarget.value)} />
            </label>
            <label class="field">
              <span>{t('codes.batch')}</span>
              <input value={batch()} onInput={(e) => setBatch(e.currentTarget.value)} />
            </label>
          </div>
          <div class="form-actions">
            <button
              type="submit"
              class="btn btn-primary"
              data-testid="codes-generate"
              disabled={!hydrated() || busy()}
            >
              {t('codes.generate')}
            </button>
          </div>
        </form>
        <Show when={generated()}>
          {(g) => (
            <div data-testid="codes-generated">
              <p class="small muted">{t('codes.generatedHint')}</p>
              <div class="code-list">{g().codes.join('\n')}</div>
              <a
                class="btn btn-secondary btn-sm"
                href={`/api/export/codes.csv?batch=${encodeURIComponent(g().batch)}`}
                rel="external"
                download=""
              >
                {t('codes.csv')}
              </a>
            </div>
          )}
        </Show>
      </section>
      <section class="card">
        <h2>{t('codes.batches')}</h2>
        <Show when={(batches.data()?.length ?? 0) > 0} fallback={<p class="muted">{t('codes.none')}</p>}>
          <div class="table-wrap">
            <table class="table" data-testid="codes-batches">
              <thead>
                <tr>
                  <th>{t('codes.col.batch')}</th>
                  <th class="num">{t('codes.col.value')}</th>
                  <th class="num">{t('codes.col.counts')}</th>
                  <th>{t('codes.col.created')}</th>
                  <th>{t('codes.col.expires')}</th>
                  <th>{t('common.actions')}</th>
                </tr>
              </thead>
              <tbody>
                <For each={batches.data()}>
                  {(b) => (
                    <tr>
                      <td class="mono">{b.batch}</td>
                      <td class="num">{formatMoney(b.value, display())}</td>
                      <td class="num">
                        {formatNumber(b.active)} / {formatNumber(b.used)} / {formatNumber(b.disabled)}
                      </td>
                      <td class="nowrap">{formatDateTime(b.createdAt)}</td>
                      <td class="nowrap">{formatDate(b.expiresAt, 'never')}</td>
                      <td class="nowrap">
                        <button type="button" class="btn btn-ghost btn-sm" onClick={() => view(b.batch)}>
                          {t('codes.view')}
                        </button>
                        <a
                          class="btn btn-ghost btn-sm"
                          href={`/api/export/codes.csv?batch=${encodeURIComponent(b.batch)}`}
                          rel="external"
                          download=""
                        >
                          {t('codes.csv')}
                        </a>
                        <Show when={b.active > 0}>
                          <button
                            type="button"
                            class="btn btn-danger-ghost btn-sm"
                            onClick={() => disable(b.batch)}
                          >
                            {t('codes.disableBatch')}
                          </button>
                        </Show>
                      </td>
                    </tr>
                  )}
                </For>
              </tbody>
            </table>
          </div>
        </Show>
      </section>
      <Show when={viewing()}>
        {(v) => (
          <section class="card">
            <h2>{v().batch}</h2>
            <table class="table">
              <thead>
                <tr>
                  <th>{t('codes.col.code')}</th>
                  <th>{t('codes.col.status')}</th>
                  <th>{t('codes.col.usedBy')}</th>
                </tr>
              </thead>
              <tbody>
                <For each={v().rows}>
                  {(r) => (
                    <tr>
                      <td class="mono">{r.codeMask}</td>
                      <td>{r.status}</td>
                      <td>{r.usedByEmail ? `${r.usedByEmail} · ${formatDateTime(r.usedAt)}` : '—'}</td>
                    </tr>
                  )}
                </For>
              </tbody>
            </table>
          </section>
        )}
      </Show>
    </>
  );
}
