import { Title } from '@solidjs/meta';
import { A, useParams } from '@solidjs/router';
import { createSignal, For, Show } from 'solid-js';
import { PageHeader } from '~/components/AppShell.tsx';
import { createFlash, type Flash, FlashMessages } from '~/components/Flash.tsx';
import { UserBalance } from '~/components/user-detail/UserBalance.tsx';
import { UserKeys } from '~/components/user-detail/UserKeys.tsx';
import { UserUsage } from '~/components/user-detail/UserUsage.tsx';
import { t } from '~/i18n/index.ts';
import type { MoneySettings } from '~/lib/currency-input.ts';
import { formatDate, formatNumber } from '~/lib/format.ts';
import { useHydrated } from '~/lib/hydrated.ts';
import { createLoader } from '~/lib/loader.ts';
import { errorMessage, trpc } from '~/lib/trpc.ts';
import type { RouterOutputs } from '~/lib/types.ts';
import '~/components/user-detail/user-detail.css';

type User = RouterOutputs['users']['get'];

/**
 * One user, for the operator: profile, role/status/group, balance with adjustments and the ledger,
 * their keys (masks only, "disable all"), and their latest requests.
 */
export default function UserDetailPage() {
  const params = useParams<{ id: string }>();
  const id = () => (/^\d{1,15}$/.test(params.id) ? Number(params.id) : 0);
  const flash = createFlash();
  const user = createLoader(() =>
    id() > 0 ? trpc.users.get.query({ id: id() }) : Promise.reject(new Error(t('userDetail.notFound'))),
  );
  const site = createLoader(() => trpc.settings.get.query());
  const money = (): MoneySettings => ({
    quotaPerUnit: site.data()?.quota_per_unit ?? 500_000,
    currency: site.data()?.display_currency ?? 'USD',
  });

  return (
    <>
      <Title>
        {user.data()?.email ?? t('userDetail.title')} · {t('app.name')}
      </Title>
      <div class="user-detail-page">
        <A href="/admin/users" class="back-link" data-testid="user-back">
          ← {t('userDetail.back')}
        </A>
        <PageHeader
          title={user.data()?.email ?? t('userDetail.title')}
          subtitle={
            user.data()
              ? t('userDetail.subtitle', { id: user.data()!.id, name: user.data()!.displayName })
              : undefined
          }
        />
        <FlashMessages flash={flash} />
        <Show when={user.error()}>
          {(msg) => (
            <div class="alert alert-error" data-testid="error-message">
              <span>{msg()}</span>
            </div>
          )}
        </Show>
        <Show
          when={user.data() && site.data() ? user.data() : undefined}
          fallback={
            <Show when={!user.error()}>
              <p class="muted">{t('common.loading')}</p>
            </Show>
          }
        >
          {(u) => (
            <>
              <div class="user-detail-grid">
                <UserProfile user={u()} flash={flash} onSaved={user.reload} />
                <UserBalance
                  userId={u().id}
                  balance={u().balance}
                  money={money()}
                  flash={flash}
                  onChanged={user.reload}
                />
                <UserKeys userId={u().id} money={money()} flash={flash} />
                <UserUsage
                  userId={u().id}
                  requestCount={u().requestCount}
                  usedQuota={u().usedQuota}
                  money={money()}
                />
              </div>
            </>
          )}
        </Show>
      </div>
    </>
  );
}

/** Who the user is, and the three things an operator changes: role, status, group. */
function UserProfile(props: { user: User; flash: Flash; onSaved: () => Promise<void> }) {
  const hydrated = useHydrated();
  const groups = createLoader(() => trpc.groups.list.query());
  const [role, setRole] = createSignal(props.user.role);
  const [status, setStatus] = createSignal(props.user.status);
  const [group, setGroup] = createSignal(props.user.groupName);
  const [busy, setBusy] = createSignal(false);
  const groupNames = () => {
    const names = (groups.data() ?? []).map((g) => g.name);
    return names.includes(props.user.groupName) ? names : [props.user.groupName, ...names];
  };
  const changed = () =>
    role() !== props.user.role || status() !== props.user.status || group() !== props.user.groupName;

  async function save(e: SubmitEvent) {
    e.preventDefault();
    setBusy(true);
    try {
      await trpc.users.update.mutate({
        userId: props.user.id,
        ...(role() !== props.user.role ? { role: role() } : {}),
        ...(status() !== props.user.status ? { status: status() } : {}),
        ...(group() !== props.user.groupName ? { group: group() } : {}),
      });
      props.flash.showSuccess(t('userDetail.profile.saved'));
      await props.onSaved();
    } catch (err) {
      props.flash.showError(errorMessage(err));
      setRole(props.user.role);
      setStatus(props.user.status);
      setGroup(props.user.groupName);
    } finally {
      setBusy(false);
    }
  }

  return (
    <section class="card" data-testid="user-profile-card">
      <h2>{t('userDetail.profile.title')}</h2>
      <dl class="user-facts">
        <dt>{t('users.col.email')}</dt>
        <dd class="cell-strong" data-testid="user-email">
          {props.user.email}
        </dd>
        <dt>{t('users.col.name')}</dt>
        <dd>{props.user.displayName || t('common.none')}</dd>
        <dt>{t('users.col.role')}</dt>
        <dd>
          <span
            class={props.user.role === 'admin' ? 'badge badge-accent' : 'badge badge-plain'}
            data-testid="user-role"
          >
            {t(props.user.role === 'admin' ? 'users.role.admin' : 'users.role.user')}
          </span>
        </dd>
        <dt>{t('users.col.status')}</dt>
        <dd>
          <span
            class={props.user.status === 'active' ? 'badge badge-ok' : 'badge badge-off'}
            data-testid="user-status"
          >
            {t(props.user.status === 'active' ? 'users.status.active' : 'users.status.disabled')}
          </span>
        </dd>
        <dt>{t('users.col.group')}</dt>
        <dd data-testid="user-group">{props.user.groupName}</dd>
        <dt>{t('users.col.requests')}</dt>
        <dd>{formatNumber(props.user.requestCount)}</dd>
        <dt>{t('users.col.created')}</dt>
        <dd>{formatDate(props.user.createdAt)}</dd>
      </dl>
      <form class="form" onSubmit={save}>
        <div class="form-grid">
          <label class="field">
            <span>{t('users.col.role')}</span>
            <select
              data-testid="user-edit-role"
              value={role()}
              onChange={(e) => setRole(e.currentTarget.value as User['role'])}
            >
              <option value="user">{t('users.role.user')}</option>
              <option value="admin">{t('users.role.admin')}</option>
            </select>
          </label>
          <label class="field">
            <span>{t('users.col.status')}</span>
            <select
              data-testid="user-edit-status"
              value={status()}
              onChange={(e) => setStatus(e.currentTarget.value as User['status'])}
            >
              <option value="active">{t('users.status.active')}</option>
              <option value="disabled">{t('users.status.disabled')}</option>
            </select>
          </label>
          <label class="field span-all">
            <span>{t('users.col.group')}</span>
            <select
              data-testid="user-edit-group"
              value={group()}
              onChange={(e) => setGroup(e.currentTarget.value)}
            >
              <For each={groupNames()}>
                {(name) => (
                  <option value={name} selected={name === group()}>
                    {name}
                  </option>
                )}
              </For>
            </select>
            <small class="hint">{t('userDetail.profile.groupHint')}</small>
          </label>
        </div>
        <div class="form-actions">
          <button
            type="submit"
            class="btn btn-primary"
            data-testid="user-edit-submit"
            disabled={busy() || !changed() || !hydrated()}
          >
            {t('common.save')}
          </button>
        </div>
      </form>
    </section>
  );
}
