import { Title } from '@solidjs/meta';
import { A } from '@solidjs/router';
import { createSignal, For, Show } from 'solid-js';
import { PageHeader } from '~/components/AppShell.tsx';
import { t } from '~/i18n/index.ts';
import { money } from '~/lib/currency-input.ts';
import { formatDate, formatNumber } from '~/lib/format.ts';
import { useHydrated } from '~/lib/hydrated.ts';
import { createLoader } from '~/lib/loader.ts';
import { trpc } from '~/lib/trpc.ts';

const PAGE_SIZE = 20;

export default function UsersPage() {
  const [search, setSearch] = createSignal('');
  const [applied, setApplied] = createSignal('');
  const [page, setPage] = createSignal(1);
  const hydrated = useHydrated();
  const users = createLoader(() =>
    trpc.users.list.query({ search: applied() || undefined, page: page(), pageSize: PAGE_SIZE }),
  );
  const site = createLoader(() => trpc.settings.get.query());
  const units = (n: number) =>
    site.data()
      ? money(n, { quotaPerUnit: site.data()!.quota_per_unit, currency: site.data()!.display_currency })
      : formatNumber(n);
  const pages = () => Math.max(1, Math.ceil((users.data()?.total ?? 0) / PAGE_SIZE));

  function go(p: number) {
    setPage(p);
    void users.reload();
  }

  function submit(e: SubmitEvent) {
    e.preventDefault();
    setApplied(search().trim());
    go(1);
  }

  function clear() {
    setSearch('');
    setApplied('');
    go(1);
  }

  return (
    <>
      <Title>
        {t('users.title')} · {t('app.name')}
      </Title>
      <PageHeader title={t('users.title')} subtitle={t('users.subtitle')} />
      <section class="card">
        <form class="toolbar" onSubmit={submit}>
          <input
            type="search"
            class="toolbar-search"
            data-testid="users-search"
            placeholder={t('users.search')}
            aria-label={t('users.search')}
            value={search()}
            onInput={(e) => setSearch(e.currentTarget.value)}
          />
          <button
            type="submit"
            class="btn btn-secondary"
            data-testid="users-search-submit"
            disabled={!hydrated()}
          >
            {t('users.searchButton')}
          </button>
          <Show when={applied()}>
            <button type="button" class="btn btn-ghost" onClick={clear}>
              {t('users.clear')}
            </button>
          </Show>
        </form>
        <Show when={users.error()}>
          {(msg) => (
            <div class="alert alert-error" data-testid="error-message">
              <span>{msg()}</span>
              <button type="button" class="btn btn-ghost btn-sm" onClick={() => users.reload()}>
                {t('common.retry')}
              </button>
            </div>
          )}
        </Show>
        <Show when={users.data()} fallback={<p class="table-note muted">{t('common.loading')}</p>}>
          {(list) => (
            <>
              <Show when={list().rows.length > 0} fallback={<p class="empty-state">{t('users.empty')}</p>}>
                <div class="table-wrap" classList={{ 'is-loading': users.loading() }}>
                  <table class="table">
                    <thead>
                      <tr>
                        <th class="num">{t('users.col.id')}</th>
                        <th>{t('users.col.email')}</th>
                        <th>{t('users.col.name')}</th>
                        <th>{t('users.col.role')}</th>
                        <th>{t('users.col.status')}</th>
                        <th>{t('users.col.group')}</th>
                        <th class="num">{t('users.col.balance')}</th>
                        <th class="num">{t('users.col.used')}</th>
                        <th class="num">{t('users.col.requests')}</th>
                        <th>{t('users.col.created')}</th>
                      </tr>
                    </thead>
                    <tbody>
                      <For each={list().rows}>
                        {(u) => (
                          <tr data-testid="user-row" data-user-id={u.id}>
                            <td class="num muted">{u.id}</td>
                            <td class="cell-strong">
                              <A href={`/admin/users/${u.id}`} data-testid="user-link">
                                {u.email}
                              </A>
                            </td>
                            <td>{u.displayName || <span class="muted">{t('common.none')}</span>}</td>
                            <td>
                              <span class={u.role === 'admin' ? 'badge badge-accent' : 'badge badge-plain'}>
                                {t(u.role === 'admin' ? 'users.role.admin' : 'users.role.user')}
                              </span>
                            </td>
                            <td>
                              <span class={u.status === 'active' ? 'badge badge-ok' : 'badge badge-off'}>
                                {t(u.status === 'active' ? 'users.status.active' : 'users.status.disabled')}
                              </span>
                            </td>
                            <td>{u.groupName}</td>
                            <td class="num">{units(u.balance)}</td>
                            <td class="num">{units(u.usedQuota)}</td>
                            <td class="num">{formatNumber(u.requestCount)}</td>
                            <td class="nowrap">{formatDate(u.createdAt)}</td>
                          </tr>
                        )}
                      </For>
                    </tbody>
                  </table>
                </div>
              </Show>
              <div class="pager">
                <span class="muted small" data-testid="users-page-info">
                  {t('users.pageInfo', { page: list().page, pages: pages(), total: list().total })}
                </span>
                <div class="pager-buttons">
                  <button
                    type="button"
                    class="btn btn-secondary btn-sm"
                    data-testid="users-prev"
                    disabled={page() <= 1 || users.loading()}
                    onClick={() => go(page() - 1)}
                  >
                    {t('users.prev')}
                  </button>
                  <button
                    type="button"
                    class="btn btn-secondary btn-sm"
                    data-testid="users-next"
                    disabled={page() >= pages() || users.loading()}
                    onClick={() => go(page() + 1)}
                  >
                    {t('users.next')}
                  </button>
                </div>
              </div>
            </>
          )}
        </Show>
      </section>
    </>
  );
}
