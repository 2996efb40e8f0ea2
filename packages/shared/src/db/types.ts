import type { ColumnType, Generated, Insertable, Selectable, Updateable } from 'kysely';

/** Timestamps are epoch milliseconds; money is integer quota units. */
type Id = Generated<number>;

export type UserRole = 'user' | 'admin';
export type UserStatus = 'active' | 'disabled';
export type TokenStatus = 'enabled' | 'disabled';
export type ChannelStatus = 'enabled' | 'manual_disabled' | 'auto_disabled';

export interface UsersTable {
  id: Id;
  email: string;
  passwordHash: string;
  displayName: ColumnType<string, string | undefined, string>;
  role: ColumnType<UserRole, UserRole | undefined, UserRole>;
  status: ColumnType<UserStatus, UserStatus | undefined, UserStatus>;
  groupName: ColumnType<string, string | undefined, string>;
  balance: ColumnType<number, number | undefined, number>;
  usedQuota: ColumnType<number, number | undefined, number>;
  requestCount: ColumnType<number, number | undefined, number>;
  lowBalanceThreshold: number | null;
  locale: string | null;
  /** the active TOTP secret, sealed with the `totp` secret box */
  totpSecret: string | null;
  /** a TOTP secret being set up (sealed), until a code from it is confirmed */
  totpPending: string | null;
  /** when two-factor sign-in was turned on; null = off */
  totpEnabledAt: number | null;
  /** the last accepted TOTP time step (replay guard) */
  totpLastStep: number | null;
  /** when the low-balance e-mail went out; null again once the balance is back above the threshold */
  lowBalanceNotifiedAt: number | null;
  createdAt: number;
  updatedAt: number;
}

export interface SessionsTable {
  idHash: string;
  userId: number;
  createdAt: number;
  expiresAt: number;
  lastSeenAt: number;
  ip: ColumnType<string, string | undefined, string>;
  userAgent: ColumnType<string, string | undefined, string>;
}

export interface GroupsTable {
  id: Id;
  name: string;
  description: ColumnType<string, string | undefined, string>;
  multiplierPpm: ColumnType<number, number | undefined, number>;
  rpmLimit: number | null;
  tpmLimit: number | null;
  createdAt: number;
  updatedAt: number;
}

export interface TokensTable {
  id: Id;
  userId: number;
  name: string;
  keyHash: string;
  keyEncrypted: string;
  keyMask: string;
  status: ColumnType<TokenStatus, TokenStatus | undefined, TokenStatus>;
  groupName: string | null;
  expiresAt: number | null;
  remainQuota: ColumnType<number, number | undefined, number>;
  unlimitedQuota: ColumnType<number, number | undefined, number>;
  usedQuota: ColumnType<number, number | undefined, number>;
  /** JSON string[] of model names / `*` wildcards, null = all */
  models: string | null;
  /** JSON string[] of IPs / CIDRs, null = any */
  allowedIps: string | null;
  rpmLimit: number | null;
  lastUsedAt: number | null;
  createdAt: number;
  updatedAt: number;
}

export interface ChannelsTable {
  id: Id;
  name: string;
  type: ColumnType<string, string | undefined, string>;
  baseUrl: string;
  /** JSON string[] of secret-box encrypted upstream keys */
  keysEncrypted: string;
  /** JSON string[] of masked keys, for display */
  keyMasks: string;
  /** JSON string[] */
  models: string;
  /** JSON Record<string,string> alias → upstream model */
  modelMapping: string;
  /** JSON string[] of group names */
  groups: string;
  priority: ColumnType<number, number | undefined, number>;
  weight: ColumnType<number, number | undefined, number>;
  testModel: string | null;
  status: ColumnType<ChannelStatus, ChannelStatus | undefined, ChannelStatus>;
  statusReason: string | null;
  testTime: number | null;
  responseTimeMs: number | null;
  balance: number | null;
  balanceThreshold: number | null;
  balanceUpdatedAt: number | null;
  costMultiplierPpm: number | null;
  createdAt: number;
  updatedAt: number;
}

export interface PricesTable {
  id: Id;
  model: string;
  inputPrice: ColumnType<number, number | undefined, number>;
  cachedInputPrice: number | null;
  outputPrice: ColumnType<number, number | undefined, number>;
  perCallPrice: number | null;
  costInputPrice: number | null;
  costOutputPrice: number | null;
  costPerCallPrice: number | null;
  source: ColumnType<'admin' | 'auto', 'admin' | 'auto' | undefined, 'admin' | 'auto'>;
  createdAt: number;
  updatedAt: number;
}

export interface LogsTable {
  id: Id;
  requestId: string;
  createdAt: number;
  kind: ColumnType<string, string | undefined, string>;
  userId: number;
  tokenId: number | null;
  model: ColumnType<string, string | undefined, string>;
  upstreamModel: string | null;
  channelId: number | null;
  triedChannels: string | null;
  promptTokens: ColumnType<number, number | undefined, number>;
  cachedTokens: ColumnType<number, number | undefined, number>;
  completionTokens: ColumnType<number, number | undefined, number>;
  cost: ColumnType<number, number | undefined, number>;
  channelCost: ColumnType<number, number | undefined, number>;
  latencyMs: ColumnType<number, number | undefined, number>;
  ttftMs: number | null;
  isStream: ColumnType<number, number | undefined, number>;
  statusCode: ColumnType<number, number | undefined, number>;
  errorCode: string | null;
  ip: string | null;
  note: string | null;
}

export interface LedgerTable {
  id: Id;
  userId: number;
  tokenId: number | null;
  kind: string;
  amount: number;
  idempotencyKey: string;
  note: string | null;
  actorId: number | null;
  createdAt: number;
}

export interface TopupsTable {
  id: Id;
  userId: number;
  provider: string;
  externalId: string | null;
  moneyCents: ColumnType<number, number | undefined, number>;
  currency: ColumnType<string, string | undefined, string>;
  quota: ColumnType<number, number | undefined, number>;
  status: ColumnType<string, string | undefined, string>;
  createdAt: number;
  completedAt: number | null;
  refundedCents: ColumnType<number, number | undefined, number>;
  refundedQuota: ColumnType<number, number | undefined, number>;
  checkoutUrl: string | null;
  testMode: ColumnType<number, number | undefined, number>;
}

export interface PaymentEventsTable {
  id: Id;
  provider: string;
  eventName: string;
  externalId: string | null;
  topupId: number | null;
  userId: number | null;
  /** credited | refunded | duplicate | unknown | ignored */
  outcome: string;
  detail: string | null;
  payload: string;
  createdAt: number;
}

/** Settings only the site reads (payment provider, SMTP); secrets in the JSON are secret-box sealed. */
export interface PrivateSettingsTable {
  key: string;
  value: string;
  updatedAt: number;
}

export interface StatementsTable {
  id: Id;
  userId: number;
  /** YYYY-MM (UTC) */
  month: string;
  opening: number;
  topups: number;
  refunds: number;
  adjustments: number;
  usage: number;
  requests: number;
  closing: number;
  /** JSON StatementModelLine[] */
  usageByModel: string;
  generatedAt: number;
}

export interface RedemptionCodesTable {
  id: Id;
  codeHash: string;
  batch: ColumnType<string, string | undefined, string>;
  value: number;
  status: ColumnType<string, string | undefined, string>;
  expiresAt: number | null;
  usedBy: number | null;
  usedAt: number | null;
  createdAt: number;
  codeEncrypted: string | null;
  codeMask: ColumnType<string, string | undefined, string>;
  createdBy: number | null;
}

export interface SettingsTable {
  key: string;
  value: string;
  updatedAt: number;
}

export interface ConfigVersionTable {
  id: number;
  version: number;
}

export interface ConfigChangesTable {
  version: number;
  /** JSON ConfigChange[] */
  changes: string;
  createdAt: number;
}

export interface RelayEventsTable {
  id: Id;
  kind: string;
  payload: string;
  createdAt: number;
}

export interface NotificationChannelsTable {
  id: Id;
  name: string;
  type: string;
  configEncrypted: string;
  enabled: ColumnType<number, number | undefined, number>;
  createdAt: number;
  updatedAt: number;
}

export interface AlertRulesTable {
  id: Id;
  kind: string;
  name: string;
  enabled: ColumnType<number, number | undefined, number>;
  params: string;
  cooldownSeconds: ColumnType<number, number | undefined, number>;
  notificationChannelIds: string;
  createdAt: number;
  updatedAt: number;
}

export interface AlertEventsTable {
  id: Id;
  ruleId: number | null;
  kind: string;
  subject: ColumnType<string, string | undefined, string>;
  state: string;
  value: string | null;
  message: string;
  firedAt: number;
  resolvedAt: number | null;
  lastNotifiedAt: number | null;
  deliveries: string | null;
}

export interface Database {
  users: UsersTable;
  sessions: SessionsTable;
  groups: GroupsTable;
  tokens: TokensTable;
  channels: ChannelsTable;
  prices: PricesTable;
  logs: LogsTable;
  ledger: LedgerTable;
  topups: TopupsTable;
  paymentEvents: PaymentEventsTable;
  statements: StatementsTable;
  privateSettings: PrivateSettingsTable;
  redemptionCodes: RedemptionCodesTable;
  settings: SettingsTable;
  configVersion: ConfigVersionTable;
  configChanges: ConfigChangesTable;
  relayEvents: RelayEventsTable;
  notificationChannels: NotificationChannelsTable;
  alertRules: AlertRulesTable;
  alertEvents: AlertEventsTable;
}

export type UserRow = Selectable<UsersTable>;
export type TokenRow = Selectable<TokensTable>;
export type ChannelRow = Selectable<ChannelsTable>;
export type GroupRow = Selectable<GroupsTable>;
export type PriceRow = Selectable<PricesTable>;
export type LogRow = Selectable<LogsTable>;
export type NewUser = Insertable<UsersTable>;
export type NewToken = Insertable<TokensTable>;
export type NewChannel = Insertable<ChannelsTable>;
export type ChannelUpdate = Updateable<ChannelsTable>;
