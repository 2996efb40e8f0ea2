import { insertedId } from '@tollgate/shared/db/index.ts';
import { createSecretBox, type SecretBox } from '@tollgate/shared/secret-box.ts';
import type { ControlPlaneDeps } from '../../deps.ts';
import { ServiceError } from '../../errors.ts';
import { maskSecret } from '../channels/channels.service.ts';
import type { Settings } from '../settings/settings.schemas.ts';
import { getSettings } from '../settings/settings.service.ts';
import {
  type CreateNotifierInput,
  createNotifierSchema,
  type NotifierConfig,
  type NotifierType,
  notifierConfigSchemas,
  secretFields,
  type UpdateNotifierInput,
  updateNotifierSchema,
} from './alerts.schemas.ts';
import { type AlertMessage, buildRequest, DeliveryError, sendEmail, sendHttp } from './notifiers.ts';

type Deps = Pick<ControlPlaneDeps, 'db' | 'cfg' | 'now'>;

const boxes = new WeakMap<object, SecretBox>();
/** The secret box of notification channel configs (webhook URLs, bot tokens, SMTP passwords). */
function boxOf(deps: Pick<ControlPlaneDeps, 'cfg'>): SecretBox {
  let box = boxes.get(deps.cfg);
  if (!box) {
    box = createSecretBox(deps.cfg.user_token_secret, 'notification-secret');
    boxes.set(deps.cfg, box);
  }
  return box;
}

function parseConfig(type: NotifierType, raw: unknown): NotifierConfig {
  const parsed = notifierConfigSchemas[type].safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new ServiceError(
      'BAD_REQUEST',
      `invalid ${type} settings: ${issue?.path.join('.') || 'config'}: ${issue?.message ?? 'bad value'}`,
    );
  }
  return parsed.data;
}

/** The config with its secret fields masked: what the admin's browser may see. */
function masked(type: NotifierType, config: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...config };
  for (const f of secretFields[type]) if (typeof out[f] === 'string') out[f] = maskSecret(out[f] as string);
  return out;
}

interface Row {
  id: number;
  name: string;
  type: string;
  configEncrypted: string;
  enabled: number;
  createdAt: number;
  updatedAt: number;
}

function openConfig(deps: Pick<ControlPlaneDeps, 'cfg'>, row: Row): Record<string, unknown> {
  return JSON.parse(boxOf(deps).decrypt(row.configEncrypted)) as Record<string, unknown>;
}

function present(deps: Pick<ControlPlaneDeps, 'cfg'>, row: Row) {
  const type = row.type as NotifierType;
  return {
    id: row.id,
    name: row.name,
    type,
    enabled: Boolean(row.enabled),
    config: masked(type, openConfig(deps, row)),
    createdAt: row.createdAt,
    updatedAt: row.updatedAt,
  };
}

const columns = ['id', 'name', 'type', 'configEncrypted', 'enabled', 'createdAt', 'updatedAt'] as const;

async function rowOf(deps: Deps, id: number): Promise<Row> {
  const row = await deps.db.db
    .selectFrom('notificationChannels')
    .select(columns)
    .where('id', '=', id)
    .executeTakeFirst();
  if (!row) throw new ServiceError('NOT_FOUND', 'notification channel not found');
  return row;
}

export async function listNotifiers(deps: Deps) {
  const rows = await deps.db.db.selectFrom('notificationChannels').select(columns).orderBy('id').execute();
  return rows.map((r) => present(deps, r));
}

export async function createNotifier(deps: Deps, input: CreateNotifierInput) {
  const v = createNotifierSchema.parse(input);
  const config = parseConfig(v.type, v.config);
  const now = deps.now();
  const res = await deps.db.db
    .insertInto('notificationChannels')
    .values({
      name: v.name,
      type: v.type,
      enabled: v.enabled ? 1 : 0,
      configEncrypted: boxOf(deps).encrypt(JSON.stringify(config)),
      createdAt: now,
      updatedAt: now,
    })
    .executeTakeFirstOrThrow();
  return present(deps, await rowOf(deps, insertedId(res)));
}

export async function updateNotifier(deps: Deps, input: UpdateNotifierInput) {
  const v = updateNotifierSchema.parse(input);
  const row = await rowOf(deps, v.id);
  const type = row.type as NotifierType;
  const set: { name?: string; enabled?: number; configEncrypted?: string; updatedAt: number } = {
    updatedAt: deps.now(),
  };
  if (v.name !== undefined) set.name = v.name;
  if (v.enabled !== undefined) set.enabled = v.enabled ? 1 : 0;
  if (v.config) {
    const merged: Record<string, unknown> = { ...v.config };
    const old = openConfig(deps, row);
    // the browser only ever saw masks: a secret left empty (or sent back as its mask) is kept
    for (const f of secretFields[type]) {
      const sent = merged[f];
      if (sent === undefined || sent === '' || sent === maskSecret(String(old[f] ?? ''))) merged[f] = old[f];
    }
    set.configEncrypted = boxOf(deps).encrypt(JSON.stringify(parseConfig(type, merged)));
  }
  await deps.db.db.updateTable('notificationChannels').set(set).where('id', '=', v.id).execute();
  return present(deps, await rowOf(deps, v.id));
}

export async function deleteNotifier(deps: Deps, id: number) {
  const res = await deps.db.db.deleteFrom('notificationChannels').where('id', '=', id).executeTakeFirst();
  if (Number(res.numDeletedRows) === 0) throw new ServiceError('NOT_FOUND', 'notification channel not found');
  return { id };
}

/** How hard a delivery tries: attempts in all, first backoff (doubling), per-attempt timeout. */
export interface RetryPolicy {
  attempts: number;
  backoffMs: number;
  timeoutMs: number;
}

export const defaultRetry: RetryPolicy = { attempts: 4, backoffMs: 1_000, timeoutMs: 10_000 };

/** What one delivery to one channel came to; recorded in the alert event's `deliveries`. */
export interface DeliveryRecord {
  channelId: number;
  name: string;
  type: string;
  state: AlertMessage['state'];
  ok: boolean;
  attempts: number;
  error?: string;
  at: number;
}

/**
 * A notification channel ready to send to: what a delivery reads from SQL (row + decrypted config).
 * The alert engine keeps these in memory, so it can still notify while the database is down.
 */
export interface LoadedNotifier {
  id: number;
  name: string;
  type: NotifierType;
  /** null when the stored settings cannot be read (wrong secret, invalid) */
  config: NotifierConfig | null;
}

/** What a delivery needs from the settings. */
export type DeliverySettings = Pick<Settings, 'site_name' | 'notify_base_urls'>;

function loadedOf(deps: Pick<ControlPlaneDeps, 'cfg'>, row: Row): LoadedNotifier {
  const type = row.type as NotifierType;
  let config: NotifierConfig | null;
  try {
    config = parseConfig(type, openConfig(deps, row));
  } catch {
    config = null;
  }
  return { id: row.id, name: row.name, type, config };
}

/** Every notification channel, decrypted, by id (the alert engine's cache). */
export async function loadNotifiers(deps: Deps): Promise<Map<number, LoadedNotifier>> {
  const rows = await deps.db.db.selectFrom('notificationChannels').select(columns).execute();
  return new Map(rows.map((r) => [r.id, loadedOf(deps, r)]));
}

/** The settings a delivery uses (site name in the text, base URLs of the chat services). */
export async function loadDeliverySettings(deps: Pick<ControlPlaneDeps, 'db'>): Promise<DeliverySettings> {
  const s = await getSettings(deps);
  return { site_name: s.site_name, notify_base_urls: s.notify_base_urls };
}

/**
 * Delivers one message to one notification channel, retrying transient failures (connection errors,
 * timeouts, 5xx, 429) with exponential backoff. Never throws: the outcome is a record.
 */
export async function deliver(
  deps: Deps,
  channelId: number,
  message: AlertMessage,
  retry: RetryPolicy = defaultRetry,
): Promise<DeliveryRecord> {
  let row: Row;
  try {
    row = await rowOf(deps, channelId);
  } catch {
    return channelGone(deps, channelId, message);
  }
  return deliverTo(deps, loadedOf(deps, row), await loadDeliverySettings(deps), message, retry);
}

/** The record of a delivery to a channel that no longer exists. */
export function channelGone(
  deps: Pick<ControlPlaneDeps, 'now'>,
  channelId: number,
  message: AlertMessage,
): DeliveryRecord {
  return {
    channelId,
    name: '?',
    type: '?',
    state: message.state,
    ok: false,
    attempts: 0,
    error: 'channel deleted',
    at: deps.now(),
  };
}

/** {@link deliver} to a channel already loaded, with settings already read: no database access. */
export async function deliverTo(
  deps: Pick<ControlPlaneDeps, 'now'>,
  channel: LoadedNotifier,
  settings: DeliverySettings,
  message: AlertMessage,
  retry: RetryPolicy = defaultRetry,
): Promise<DeliveryRecord> {
  const { type, config } = channel;
  const base = { channelId: channel.id, name: channel.name, type, state: message.state };
  if (!config)
    return { ...base, ok: false, attempts: 0, error: 'the stored settings cannot be read', at: deps.now() };
  let attempts = 0;
  let error = '';
  while (attempts < retry.attempts) {
    attempts++;
    try {
      if (type === 'email')
        await sendEmail(config as NotifierConfig<'email'>, message, retry.timeoutMs, settings.site_name);
      else
        await sendHttp(
          buildRequest(type, config, message, settings.notify_base_urls, deps.now(), settings.site_name),
          retry.timeoutMs,
        );
      return { ...base, ok: true, attempts, at: deps.now() };
    } catch (err) {
      const e = err instanceof DeliveryError ? err : new DeliveryError((err as Error).message, true);
      error = e.message;
      if (!e.retry || attempts >= retry.attempts) break;
      await new Promise((r) => setTimeout(r, retry.backoffMs * 2 ** (attempts - 1)));
    }
  }
  return { ...base, ok: false, attempts, error: error.slice(0, 200), at: deps.now() };
}

/** "Send test": one test message through the channel, retried once (the admin waits), the outcome returned. */
export async function sendTestNotification(
  deps: Deps,
  id: number,
  retry: RetryPolicy = { attempts: 2, backoffMs: 300, timeoutMs: 10_000 },
) {
  const row = await rowOf(deps, id);
  return deliver(
    deps,
    id,
    {
      state: 'test',
      ruleId: null,
      ruleName: 'Test notification',
      kind: 'test',
      subject: '',
      value: null,
      message: `This is a test of the notification channel "${row.name}". If you can read it, alerts will reach you here.`,
      at: deps.now(),
      eventId: null,
    },
    retry,
  );
}
