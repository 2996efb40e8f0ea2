import type { ChannelStatus, TokenStatus, UserStatus } from '../db/types.ts';
import type { PatternTable } from '../model-match.ts';

/** What a relay needs to know about a key to authorise a request (no secrets). */
export interface TokenEntry {
  id: number;
  userId: number;
  name: string;
  keyHash: string;
  status: TokenStatus;
  /** null → the user's group */
  group: string | null;
  expiresAt: number | null;
  remainQuota: number;
  unlimitedQuota: boolean;
  /** null → every model the group can use */
  models: string[] | null;
  /** null → any IP */
  allowedIps: string[] | null;
  rpmLimit: number | null;
}

export interface UserEntry {
  id: number;
  status: UserStatus;
  group: string;
}

export interface GroupEntry {
  name: string;
  multiplierPpm: number;
  rpmLimit: number | null;
  tpmLimit: number | null;
}

/** A channel as the relay uses it: upstream keys decrypted, only in the relay's memory. */
export interface ChannelEntry {
  id: number;
  name: string;
  type: string;
  baseUrl: string;
  keys: string[];
  models: string[];
  modelMapping: Record<string, string>;
  groups: string[];
  priority: number;
  weight: number;
  status: ChannelStatus;
  /** what the upstream charges relative to the list cost prices (ppm); null = 1 */
  costMultiplierPpm?: number | null;
}

export interface PriceEntry {
  model: string;
  inputPrice: number;
  cachedInputPrice: number | null;
  outputPrice: number;
  perCallPrice: number | null;
  costInputPrice: number | null;
  costOutputPrice: number | null;
  costPerCallPrice: number | null;
}

/** Channels of one priority, with their weights; tiers are ordered by priority, highest first. */
export interface Tier {
  priority: number;
  channels: ChannelEntry[];
  totalWeight: number;
}

/** group → model pattern → priority tiers of enabled channels. */
export type RoutingTable = Map<string, PatternTable<Tier[]>>;

/** The small, rarely changing part of the snapshot, rebuilt whole on any change to it. */
export interface ConfigPart {
  channels: Map<number, ChannelEntry>;
  groups: Map<string, GroupEntry>;
  prices: PatternTable<PriceEntry>;
  routes: RoutingTable;
  settings: Record<string, unknown>;
}

/** One immutable, consistent view of configuration; a relay swaps the whole reference on change. */
export interface Snapshot {
  version: number;
  loadedAt: number;
  tokensByHash: Map<string, TokenEntry>;
  /** token id → key hash, to apply updates/deletes by id */
  tokenHashById: Map<number, string>;
  users: Map<number, UserEntry>;
  config: ConfigPart;
}

export type ConfigEntity = 'token' | 'user' | 'channel' | 'group' | 'price' | 'setting' | 'all';
export type ConfigOp = 'upsert' | 'delete';

/** A change notice: ids only, never secrets. */
export interface ConfigChange {
  entity: ConfigEntity;
  id: string;
  op: ConfigOp;
}
