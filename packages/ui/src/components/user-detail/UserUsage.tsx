import { For, Show } from 'solid-js';
import { LogStatus } from '~/components/RequestLogs.tsx';
import { t } from '~/i18n/index.ts';
import { type MoneySettings, money } from '~/lib/currency-input.ts';
import { formatNumber } from '~/lib/format.ts';
import { createLoader } from '~/lib/loader.ts';
import { formatLogTime, formatMs } from '~/lib/request-logs.ts';
import { trpc } from '~/lib/trpc.ts';

const RECENT = 10;

/** The user's latest relayed requests (the logs search, narrowed to this user). */
export function UserUsage(props: {
  userId: number;
  requestCount: number;
  usedQuota: number;
  money: MoneySettings;
}) {
  const logs = createLoader(() =>
    trpc.logs.search.query({ user: String(props.userId), kind: 'usage', limit: RECENT }),
  );
  return (
    <section class="card user-detail-wide" data-testid="user-usage-card">
      <div class="card-head-row">
        <h2>{t('userDetail.usage.title')}</h2>
        <span class="muted small" data-testid="user-usage-totals">
          {t('userDetail.usage.totals', {
            requests: formatNumber(props.requestCount),
            spent: money(props.usedQuota, props.money),
          })}
        </span>
      </div>
      <Show when={logs.error()}>{(msg) => <div class="alert alert-error">{msg()}</div>}</Show>
      <Show when={logs.data()} fallback={<p class="table-note muted">{t('common.loading')}</p>}>
        {(page) => (
          <Show
            when={page().rows.length > 0}
            fallback={<p class="empty-state">{t('userDetail.usage.empty')}</p>}
          >
            <div class="table-wrap">
              <table class="table" data-testid="user-usage">
                <thead>
                  <tr>
                    <th>{t('userDetail.usage.time')}</th>
                    <th>{t('userDetail.usage.model')}</th>
                    <th>{t('userDetail.usage.key')}</th>
                    <th class="num">{t('userDetail.usage.tokens')}</th>
                    <th class="num">{t('userDetail.usage.cost')}</th>
                    <th class="num">{t('userDetail.usage.latency')}</th>
                    <th>{t('userDetail.usage.status')}</th>
                  </tr>
                </thead>
                <tbody>
                  <For each={page().rows}>
                    {(r) => (
                      <tr data-testid="user-usage-row">
                        <td class="nowrap">{formatLogTime(r.createdAt)}</td>
                        <td>{r.model ?? t('common.none')}</td>
                        <td>{r.tokenName ?? t('common.none')}</td>
                        <td class="num">{formatNumber((r.promptTokens ?? 0) + (r.completionTokens ?? 0))}</td>
                        <td class="num nowrap">{money(r.cost, props.money)}</td>
                        <td class="num nowrap">{formatMs(r.latencyMs)}</td>
                        <td>
                          <LogStatus code={r.statusCode ?? 0} kind={r.kind} />
                        </td>
                      </tr>
                    )}
                  </For>
                </tbody>
              </table>
            </div>
          </Show>
        )}
      </Show>
    </section>
  );
}
