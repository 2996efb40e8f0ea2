import { Title } from '@solidjs/meta';
import {
  type NotifierType,
  notifierTypes,
  type RuleKind,
  ruleKinds,
  ruleParamSchemas,
} from '@tollgate/control-plane/modules/alerts/alerts.schemas.ts';
import { createSignal, For, type JSX, Show } from 'solid-js';
import { PageHeader } from '~/components/AppShell.tsx';
import { createFlash, FlashMessages } from '~/components/Flash.tsx';
import { DeleteButton, PanelForm, RowButton } from '~/components/RowActions.tsx';
import { type MessageKey, t } from '~/i18n/index.ts';
import { alertParamLabel, notifierFieldLabel, notifierTypeLabel } from '~/lib/labels.ts';
import { createLoader } from '~/lib/loader.ts';
import { formatLogTime } from '~/lib/request-logs.ts';
import { errorMessage, trpc } from '~/lib/trpc.ts';
import type { AlertRuleRow, NotifierRow } from '~/lib/types.ts';

type FieldKind = 'text' | 'secret' | 'number' | 'bool' | 'list';
/** The form fields of each notification channel type (secrets are write-only). */
const notifierFields: Record<NotifierType, [string, FieldKind][]> = {
  webhook: [
    ['url', 'secret'],
    ['secret', 'secret'],
  ],
  email: [
    ['host', 'text'],
    ['port', 'number'],
    ['secure', 'bool'],
    ['user', 'text'],
    ['password', 'secret'],
    ['from', 'text'],
    ['to', 'list'],
  ],
  feishu: [
    ['token', 'secret'],
    ['secret', 'secret'],
  ],
  dingtalk: [
    ['accessToken', 'secret'],
    ['secret', 'secret'],
  ],
  wecom: [['key', 'secret']],
  telegram: [
    ['botToken', 'secret'],
    ['chatId', 'text'],
  ],
  slack: [['path', 'secret']],
};

const defaultsOf = (kind: RuleKind) => ruleParamSchemas[kind].parse({}) as Record<string, number>;
const kindLabel = (k: string) => t(`alerts.kind.${k}` as MessageKey);
const when = (ms: number | null) => (ms === null ? t('common.none') : formatLogTime(ms));

type RuleValues = {
  kind: RuleKind;
  name: string;
  params: Record<string, number>;
  cooldownSeconds: number;
  notificationChannelIds: number[];
};

/** A loading line, an empty-state line, or the table of `rows` under the header cells `head`. */
function ListTable<T>(props: {
  rows: T[] | undefined;
  empty: string;
  head: JSX.Element;
  children: (row: T) => JSX.Element;
}) {
  return (
    <Show when={props.rows} fallback={<p class="muted">{t('common.loading')}</p>}>
      {(rows) => (
        <Show when={rows().length > 0} fallback={<p class="empty-state">{props.empty}</p>}>
          <div class="table-wrap">
            <table class="table">
              <thead>
                <tr>{props.head}</tr>
              </thead>
              <tbody>
                <For each={rows()}>{(row) => props.children(row)}</For>
              </tbody>
            </table>
          </div>
        </Show>
      )}
    </Show>
  );
}

function RuleEditor(props: {
  initial?: AlertRuleRow;
  notifiers: NotifierRow[];
  busy: boolean;
  onSave: (v: RuleValues) => void;
}) {
  const [kind, setKind] = createSignal<RuleKind>((props.initial?.kind as RuleKind) ?? 'channel_failure_rate');
  const [name, setName] = createSignal(props.initial?.name ?? kindLabel('channel_failure_rate'));
  const [params, setParams] = createSignal<Record<string, number>>(
    props.initial?.params ?? defaultsOf(kind()),
  );
  const [cooldown, setCooldown] = createSignal(props.initial?.cooldownSeconds ?? 3600);
  const [routes, setRoutes] = createSignal<number[]>(props.initial?.notificationChannelIds ?? []);
  return (
    <form
      class="form"
      data-testid="rule-form"
      onSubmit={(e) => {
        e.preventDefault();
        props.onSave({
          kind: kind(),
          name: name(),
          params: params(),
          cooldownSeconds: cooldown(),
          notificationChannelIds: routes(),
        });
      }}
    >
      <div class="form-grid">
        <Show when={!props.initial}>
          <label class="field">
            <span>{t('alerts.rule.kind')}</span>
            <select
              data-testid="rule-kind"
              value={kind()}
              onChange={(e) => {
                const k = e.currentTarget.value as RuleKind;
                setKind(k);
                setName(kindLabel(k));
                setParams(defaultsOf(k));
              }}
            >
              <For each={ruleKinds}>{(k) => <option value={k}>{kindLabel(k)}</option>}</For>
            </select>
          </label>
        </Show>
        <label class="field">
          <span>{t('alerts.rule.name')}</span>
          <input
            type="text"
            data-testid="rule-name"
            value={name()}
            onInput={(e) => setName(e.currentTarget.value)}
          />
        </label>
        <For each={Object.keys(params())}>
          {(key) => (
            <label class="field">
              <span>{alertParamLabel(key)}</span>
              <input
                type="number"
                data-testid={`rule-param-${key}`}
                value={params()[key]}
                onInput={(e) => setParams({ ...params(), [key]: Number(e.currentTarget.value) })}
              />
            </label>
          )}
        </For>
        <label class="field">
          <span>{t('alerts.rule.cooldown')}</span>
          <input
            type="number"
            min="0"
            data-testid="rule-cooldown"
            value={cooldown()}
            onInput={(e) => setCooldown(Number(e.currentTarget.value))}
          />
        </label>
      </div>
      <fieldset class="field">
        <legend>{t('alerts.rule.routes')}</legend>
        <For each={props.notifiers}>
          {(n) => (
            <label class="check">
              <input
                type="checkbox"
                data-testid="rule-route"
                checked={routes().includes(n.id)}
                onChange={(e) =>
                  setRoutes(
                    e.currentTarget.checked ? [...routes(), n.id] : routes().filter((id) => id !== n.id),
                  )
                }
              />
              <span>
                {n.name} ({n.type})
              </span>
            </label>
          )}
        </For>
      </fieldset>
      <button type="submit" class="btn btn-primary" disabled={props.busy} data-testid="rule-save">
        {t('common.save')}
      </button>
    </form>
  );
}

function NotifierEditor(props: {
  busy: boolean;
  onSave: (v: { name: string; type: NotifierType; config: Record<string, unknown> }) => void;
}) {
  const [type, setType] = createSignal<NotifierType>('webhook');
  const [name, setName] = createSignal('');
  const [values, setValues] = createSignal<Record<string, string | boolean>>({});
  const config = () => {
    const out: Record<string, unknown> = {};
    for (const [key, kind] of notifierFields[type()]) {
      const v = values()[key];
      if (v === undefined || v === '') continue;
      if (kind === 'number') out[key] = Number(v);
      else if (kind === 'list')
        out[key] = String(v)
          .split(/[,\s]+/)
          .filter(Boolean);
      else out[key] = v;
    }
    return out;
  };
  return (
    <form
      class="form"
      data-testid="notifier-form"
      onSubmit={(e) => {
        e.preventDefault();
        props.onSave({ name: name(), type: type(), config: config() });
      }}
    >
      <div class="form-grid">
        <label class="field">
          <span>{t('alerts.channel.type')}</span>
          <select
            data-testid="notifier-type"
            value={type()}
            onChange={(e) => {
              setType(e.currentTarget.value as NotifierType);
              setValues({});
            }}
          >
            <For each={notifierTypes}>{(k) => <option value={k}>{notifierTypeLabel(k)}</option>}</For>
          </select>
        </label>
        <label class="field">
          <span>{t('alerts.rule.name')}</span>
          <input
            type="text"
            data-testid="notifier-name"
            value={name()}
            onInput={(e) => setName(e.currentTarget.value)}
          />
        </label>
        <For each={notifierFields[type()]}>
          {([key, kind]) =>
            kind === 'bool' ? (
              <label class="check">
                <input
                  type="checkbox"
                  checked={values()[key] === true}
                  onChange={(e) => setValues({ ...values(), [key]: e.currentTarget.checked })}
                />
                <span>{notifierFieldLabel(key)}</span>
              </label>
            ) : (
              <label class="field">
                <span>{notifierFieldLabel(key)}</span>
                <input
                  type={kind === 'secret' ? 'password' : kind === 'number' ? 'number' : 'text'}
                  autocomplete="off"
                  data-testid={`notifier-field-${key}`}
                  value={String(values()[key] ?? '')}
                  onInput={(e) => setValues({ ...values(), [key]: e.currentTarget.value })}
                />
              </label>
            )
          }
        </For>
      </div>
      <p class="small muted">{t('alerts.channel.secretHint')}</p>
      <button type="submit" class="btn btn-primary" disabled={props.busy} data-testid="notifier-save">
        {t('common.save')}
      </button>
    </form>
  );
}

/** `/admin/alerts`: rules, notification channels with "send test", and the alert history. */
export default function AlertsPage() {
  const flash = createFlash();
  const rules = createLoader(() => trpc.alerts.rules.query());
  const notifiers = createLoader(() => trpc.alerts.channels.query());
  const history = createLoader(() => trpc.alerts.history.query({ limit: 100 }));
  const [busy, setBusy] = createSignal(false);
  const [editing, setEditing] = createSignal<AlertRuleRow>();
  const [ruleRev, setRuleRev] = createSignal(0);
  const [notifierRev, setNotifierRev] = createSignal(0);

  async function act(fn: () => Promise<unknown>, ok?: string) {
    setBusy(true);
    try {
      await fn();
      if (ok) flash.showSuccess(ok);
    } catch (err) {
      flash.showError(errorMessage(err));
    } finally {
      setBusy(false);
      await Promise.all([rules.reload(), notifiers.reload(), history.reload()]);
    }
  }

  async function sendTest(n: NotifierRow) {
    setBusy(true);
    try {
      const r = await trpc.alerts.sendTest.mutate({ id: n.id });
      if (r.ok) flash.showSuccess(t('alerts.channel.testOk', { name: n.name }));
      else
        flash.showError(
          t('alerts.channel.testFailed', { name: n.name, n: r.attempts, error: r.error ?? '?' }),
        );
    } catch (err) {
      flash.showError(errorMessage(err));
    } finally {
      setBusy(false);
    }
  }

  const createRule = (v: RuleValues) =>
    act(
      async () => {
        await trpc.alerts.createRule.mutate(v);
        setRuleRev(ruleRev() + 1);
      },
      t('alerts.rule.created', { name: v.name }),
    );

  const updateRule = (row: AlertRuleRow, v: RuleValues) =>
    act(
      async () => {
        await trpc.alerts.updateRule.mutate({
          id: row.id,
          name: v.name,
          params: v.params,
          cooldownSeconds: v.cooldownSeconds,
          notificationChannelIds: v.notificationChannelIds,
        });
        setEditing(undefined);
      },
      t('alerts.rule.saved', { name: v.name }),
    );

  const notifierName = (id: number) => notifiers.data()?.find((n) => n.id === id)?.name ?? `#${id}`;

  return (
    <>
      <Title>
        {t('alerts.title')} · {t('app.name')}
      </Title>
      <PageHeader title={t('alerts.title')} subtitle={t('alerts.subtitle')} />
      <FlashMessages flash={flash} />

      <section class="card" data-testid="alert-rules">
        <h2>{t('alerts.rules')}</h2>
        <ListTable
          rows={rules.data()}
          empty={t('alerts.rules.empty')}
          head={
            <>
              <th>{t('alerts.rule.name')}</th>
              <th>{t('alerts.rule.kind')}</th>
              <th>{t('alerts.rule.params')}</th>
              <th class="num">{t('alerts.rule.cooldown')}</th>
              <th>{t('alerts.rule.routes')}</th>
              <th>{t('alerts.rule.on')}</th>
              <th class="col-actions">{t('common.actions')}</th>
            </>
          }
        >
          {(r) => (
            <tr data-testid="rule-row">
              <td class="cell-strong">{r.name}</td>
              <td>{kindLabel(r.kind)}</td>
              <td class="small">
                {Object.entries(r.params)
                  .map(([k, v]) => `${alertParamLabel(k)} = ${v}`)
                  .join(', ') || '—'}
              </td>
              <td class="num">{r.cooldownSeconds}</td>
              <td class="small">{r.notificationChannelIds.map(notifierName).join(', ') || '—'}</td>
              <td>
                <input
                  type="checkbox"
                  data-testid="rule-enabled"
                  checked={r.enabled}
                  disabled={busy()}
                  onChange={(e) => {
                    const enabled = e.currentTarget.checked;
                    void act(() => trpc.alerts.updateRule.mutate({ id: r.id, enabled }));
                  }}
                />
              </td>
              <td class="col-actions">
                <div class="row-actions">
                  <RowButton variant="secondary" onClick={() => setEditing(r)}>
                    {t('common.edit')}
                  </RowButton>
                  <DeleteButton
                    disabled={busy()}
                    confirmText={() => t('alerts.confirmDelete')}
                    onDelete={() =>
                      void act(() => trpc.alerts.deleteRule.mutate({ id: r.id }), t('alerts.rule.deleted'))
                    }
                  />
                </div>
              </td>
            </tr>
          )}
        </ListTable>
        <h3>{editing() ? editing()!.name : t('alerts.rule.new')}</h3>
        <PanelForm
          editing={editing()}
          rev={ruleRev()}
          form={(row) => (
            <RuleEditor
              initial={row}
              notifiers={notifiers.data() ?? []}
              busy={busy()}
              onSave={(v) => void (row ? updateRule(row, v) : createRule(v))}
            />
          )}
        />
      </section>

      <section class="card" data-testid="alert-channels">
        <h2>{t('alerts.channels')}</h2>
        <ListTable
          rows={notifiers.data()}
          empty={t('alerts.channels.empty')}
          head={
            <>
              <th>{t('alerts.rule.name')}</th>
              <th>{t('alerts.channel.type')}</th>
              <th>{t('alerts.channel.settings')}</th>
              <th class="col-actions">{t('common.actions')}</th>
            </>
          }
        >
          {(n) => (
            <tr data-testid="notifier-row">
              <td class="cell-strong">{n.name}</td>
              <td>{notifierTypeLabel(n.type)}</td>
              <td class="small">
                <For each={Object.entries(n.config)}>
                  {([k, v]) => (
                    <div>
                      {notifierFieldLabel(k)}:{' '}
                      <code class="key-mask">{Array.isArray(v) ? v.join(', ') : String(v)}</code>
                    </div>
                  )}
                </For>
              </td>
              <td class="col-actions">
                <div class="row-actions">
                  <RowButton
                    variant="secondary"
                    testid="notifier-send-test"
                    disabled={busy()}
                    onClick={() => sendTest(n)}
                  >
                    {t('alerts.channel.sendTest')}
                  </RowButton>
                  <DeleteButton
                    disabled={busy()}
                    confirmText={() => t('alerts.confirmDelete')}
                    onDelete={() =>
                      void act(
                        () => trpc.alerts.deleteChannel.mutate({ id: n.id }),
                        t('alerts.channel.deleted'),
                      )
                    }
                  />
                </div>
              </td>
            </tr>
          )}
        </ListTable>
        <h3>{t('alerts.channel.new')}</h3>
        {/* a fresh (empty) form after each channel added: typed secrets do not linger in the inputs */}
        <Show when={notifierRev() + 1} keyed>
          {(_rev) => (
            <NotifierEditor
              busy={busy()}
              onSave={(v) =>
                void act(
                  async () => {
                    await trpc.alerts.createChannel.mutate(v);
                    setNotifierRev(notifierRev() + 1);
                  },
                  t('alerts.channel.created', { name: v.name }),
                )
              }
            />
          )}
        </Show>
      </section>

      <section class="card" data-testid="alert-history">
        <h2>{t('alerts.history')}</h2>
        <ListTable
          rows={history.data()}
          empty={t('alerts.history.empty')}
          head={
            <>
              <th>{t('alerts.history.fired')}</th>
              <th>{t('alerts.history.resolved')}</th>
              <th>{t('alerts.rule.kind')}</th>
              <th>{t('alerts.history.value')}</th>
              <th>{t('alerts.history.deliveries')}</th>
            </>
          }
        >
          {(e) => (
            <tr data-testid="alert-event" data-state={e.state}>
              <td class="nowrap">{when(e.firedAt)}</td>
              <td class="nowrap">
                {e.resolvedAt === null ? (
                  <span class="badge badge-warn">{t('alerts.history.open')}</span>
                ) : (
                  when(e.resolvedAt)
                )}
              </td>
              <td>
                <div class="cell-strong">{kindLabel(e.kind)}</div>
                <div class="small muted">
                  {e.subject} — {e.message}
                </div>
              </td>
              <td>{e.value ?? '—'}</td>
              <td class="small">
                <For each={e.deliveries}>
                  {(d) => (
                    <div classList={{ 'text-error': !d.ok }}>
                      {d.state} → {d.name}: {d.ok ? 'ok' : `failed (${d.attempts}×, ${d.error ?? '?'})`}
                    </div>
                  )}
                </For>
              </td>
            </tr>
          )}
        </ListTable>
      </section>
    </>
  );
}
