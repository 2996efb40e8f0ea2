import { z } from 'zod';
import type { Db } from '../db/index.ts';
import type { ChannelRow, TokenRow } from '../db/types.ts';
import { buildPatternTable } from '../model-match.ts';
import type { SecretBox } from '../secret-box.ts';
import { compileRoutes } from './routes.ts';
import type {
  ChannelEntry,
  ConfigChange,
  ConfigPart,
  GroupEntry,
  PriceEntry,
  Snapshot,
  TokenEntry,
  UserEntry,
} from './types.ts';

const stringList = z.array(z.string());
const stringMap = z.record(z.string(), z.string());

/** Parses a JSON column with its schema; a bad value is a bug in the writer, so it throws. */
export function parseJsonColumn<T>(schema: z.ZodType<T>, text: string | null, field: string): T | null {
  if (text === null) return null;
  const parsed = schema.safeParse(JSON.parse(text));
  if (!parsed.success) throw new Error(`invalid JSON in ${field}`, { cause: parsed.error });
  return parsed.data;
}

const tokenColumns = [
  'id',
  'userId',
  'name',
  'keyHash',
  'status',
  'groupName',
  'expiresAt',
  'remainQuota',
  'unlimitedQuota',
  'models',
  'allowedIps',
  'rpmLimit',
] as const;

type TokenPick = Pick<TokenRow, (typeof tokenColumns)[number]>;

export function toTokenEntry(r: TokenPick): TokenEntry {
  return {
    id: r.id,
    userId: r.userId,
    name: r.name,
    keyHash: r.keyHash,
    status: r.status,
    group: r.groupName,
    expiresAt: r.expiresAt,
    remainQuota: Number(r.remainQuota),
    unlimitedQuota: Boolean(r.unlimitedQuota),
    models: parseJsonColumn(stringList, r.models, 'tokens.models'),
    allowedIps: parseJsonColumn(stringList, r.allowedIps, 'tokens.allowed_ips'),
    rpmLimit: r.rpmLimit,
  };
}

const channelColumns = [
  'id',
  'name',
  'type',
  'baseUrl',
  'keysEncrypted',
  'models',
  'modelMapping',
  'groups',
  'priority',
  'weight',
  'status',
  'costMultiplierPpm',
] as const;

export function toChannelEntry(
  r: Pick<ChannelRow, (typeof channelColumns)[number]>,
  box: SecretBox,
): ChannelEntry {
  return {
    id: r.id,
    name: r.name,
    type: r.type,
    baseUrl: r.baseUrl,
    keys: (parseJsonColumn(stringList, r.keysEncrypted, 'channels.keys_encrypted') ?? []).map((k) =>
      box.decrypt(k),
    ),
    models: parseJsonColumn(stringList, r.models, 'channels.models') ?? [],
    modelMapping: parseJsonColumn(stringMap, r.modelMapping, 'channels.model_mapping') ?? {},
    groups: parseJsonColumn(stringList, r.groups, 'channels.groups') ?? [],
    priority: r.priority,
    weight: r.weight,
    status: r.status,
    costMultiplierPpm: r.costMultiplierPpm === null ? null : Number(r.costMultiplierPpm),
  };
}

/** The price columns a relay needs (`PriceEntry`); the control plane lists these plus bookkeeping. */
export const priceEntryColumns = [
  'model',
  'inputPrice',
  'cachedInputPrice',
  'outputPrice',
  'perCallPrice',
  'costInputPrice',
  'costOutputPrice',
  'costPerCallPrice',
] as const;

/** Loads the small config part (channels, groups, prices, settings) and compiles routes. */
export async function loadConfigPart(handle: Db, channelBox: SecretBox): Promise<ConfigPart> {
  const { db } = handle;
  const [channelRows, groupRows, priceRows, settingRows] = await Promise.all([
    db.selectFrom('channels').select(channelColumns).execute(),
    db.selectFrom('groups').select(['name', 'multiplierPpm', 'rpmLimit', 'tpmLimit']).execute(),
    db.selectFrom('prices').select(priceEntryColumns).execute(),
    db.selectFrom('settings').select(['key', 'value']).execute(),
  ]);
  const channels = new Map<number, ChannelEntry>(
    channelRows.map((r) => [r.id, toChannelEntry(r, channelBox)]),
  );
  const groups = new Map<string, GroupEntry>(
    groupRows.map((g) => [
      g.name,
      { name: g.name, multiplierPpm: Number(g.multiplierPpm), rpmLimit: g.rpmLimit, tpmLimit: g.tpmLimit },
    ]),
  );
  const prices = buildPatternTable<PriceEntry>(priceRows.map((p) => [p.model, { ...p }]));
  const settings: Record<string, unknown> = {};
  for (const s of settingRows) settings[s.key] = JSON.parse(s.value);
  return { channels, groups, prices, routes: compileRoutes(channels.values()), settings };
}

async function readVersion(handle: Db): Promise<number> {
  const row = await handle.db
    .selectFrom('configVersion')
    .select('version')
    .where('id', '=', 1)
    .executeTakeFirstOrThrow();
  return Number(row.version);
}

/**
 * Loads a complete snapshot. The version is read first, so changes committed while loading are
 * applied again by the next catch-up (re-applying is idempotent).
 */
export async function loadFullSnapshot(handle: Db, channelBox: SecretBox): Promise<Snapshot> {
  const version = await readVersion(handle);
  const [tokenRows, userRows, config] = await Promise.all([
    handle.db.selectFrom('tokens').select(tokenColumns).execute(),
    handle.db.selectFrom('users').select(['id', 'status', 'groupName']).execute(),
    loadConfigPart(handle, channelBox),
  ]);
  const tokensByHash = new Map<string, TokenEntry>();
  const tokenHashById = new Map<number, string>();
  for (const r of tokenRows) {
    tokensByHash.set(r.keyHash, toTokenEntry(r));
    tokenHashById.set(r.id, r.keyHash);
  }
  const users = new Map<number, UserEntry>(
    userRows.map((u) => [u.id, { id: u.id, status: u.status, group: u.groupName }]),
  );
  return { version, loadedAt: Date.now(), tokensByHash, tokenHashById, users, config };
}

/** Version and changes recorded after `since`, oldest first (at most `limit`). */
export async function readChangesSince(
  handle: Db,
  since: number,
  limit = 1000,
): Promise<{ version: number; changes: ConfigChange[] }[]> {
  const rows = await handle.db
    .selectFrom('configChanges')
    .select(['version', 'changes'])
    .where('version', '>', since)
    .orderBy('version')
    .limit(limit)
    .execute();
  return rows.map((r) => ({ version: Number(r.version), changes: JSON.parse(r.changes) as ConfigChange[] }));
}

export { readVersion };

/**
 * Applies changes to a snapshot and returns a new one (structural sharing: untouched maps are
 * reused). Tokens and users are reloaded by id; anything else reloads the small config part.
 */
export async function applyChanges(
  handle: Db,
  channelBox: SecretBox,
  base: Snapshot,
  version: number,
  changes: ConfigChange[],
): Promise<Snapshot> {
  const tokenIds = new Set<number>();
  const userIds = new Set<number>();
  let configDirty = false;
  for (const c of changes) {
    if (c.entity === 'token') tokenIds.add(Number(c.id));
    else if (c.entity === 'user') userIds.add(Number(c.id));
    else configDirty = true;
  }
  let { tokensByHash, tokenHashById, users, config } = base;
  if (tokenIds.size > 0) {
    const rows = await handle.db
      .selectFrom('tokens')
      .select(tokenColumns)
      .where('id', 'in', [...tokenIds])
      .execute();
    tokensByHash = new Map(tokensByHash);
    tokenHashById = new Map(tokenHashById);
    for (const id of tokenIds) {
      const oldHash = tokenHashById.get(id);
      if (oldHash) tokensByHash.delete(oldHash);
      tokenHashById.delete(id);
    }
    for (const r of rows) {
      tokensByHash.set(r.keyHash, toTokenEntry(r));
      tokenHashById.set(r.id, r.keyHash);
    }
  }
  if (userIds.size > 0) {
    const rows = await handle.db
      .selectFrom('users')
      .select(['id', 'status', 'groupName'])
      .where('id', 'in', [...userIds])
      .execute();
    users = new Map(users);
    for (const id of userIds) users.delete(id);
    for (const u of rows) users.set(u.id, { id: u.id, status: u.status, group: u.groupName });
  }
  if (configDirty) config = await loadConfigPart(handle, channelBox);
  return { version, loadedAt: Date.now(), tokensByHash, tokenHashById, users, config };
}
