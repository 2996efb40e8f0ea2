import { z } from 'zod';

/*
 * Alert rules and notification channels (SPEC §7). Shared by the services (server) and the admin
 * alerts page (browser): no server imports here.
 */

const pct = z.number().min(0).max(100);
const minutes = z.number().int().min(1).max(120);

/** Parameters of each rule kind, with defaults, so a rule row's `params` JSON is validated where read. */
export const ruleParamSchemas = {
  /** a channel's failed upstream attempts > thresholdPct % over windowMinutes, with at least minRequests attempts */
  channel_failure_rate: z.object({
    thresholdPct: pct.default(50),
    windowMinutes: minutes.default(5),
    minRequests: z.number().int().min(1).default(10),
  }),
  /** a channel is auto-disabled (fires) until it is re-enabled (resolves) */
  channel_auto_disabled: z.object({}),
  /** a model some channel lists has no enabled channel, or requests for it found no channel in the window */
  no_channel: z.object({ windowMinutes: minutes.default(5) }),
  /** a channel's upstream balance is below its threshold */
  channel_balance_low: z.object({}),
  /** server-side errors (status ≥ 500) > thresholdPct % of all requests over windowMinutes */
  error_rate: z.object({
    thresholdPct: pct.default(10),
    windowMinutes: minutes.default(5),
    minRequests: z.number().int().min(1).default(20),
  }),
  /** a key's requests in the last minute > factor × its per-minute average over baselineMinutes, and > floorRpm */
  key_traffic_spike: z.object({
    factor: z.number().min(1).max(1000).default(5),
    floorRpm: z.number().int().min(1).default(60),
    baselineMinutes: z.number().int().min(2).max(110).default(30),
  }),
  /** prompts of a key matched the sensitive-word list at least minHits times over windowMinutes */
  sensitive_words: z.object({
    windowMinutes: minutes.default(10),
    minHits: z.number().int().min(1).default(1),
  }),
  /** a payment webhook that could not be applied (recorded by the payments module) */
  payment_unknown: z.object({}),
  /**
   * more than thresholdEntries settlements wait in the Redis stream to be written to SQL (the relays
   * buffer them there while MySQL is down); production mode only. Evaluated while SQL is down too.
   */
  settlement_backlog: z.object({ thresholdEntries: z.number().int().min(1).default(10_000) }),
  /** the control plane has not reached the SQL database for `seconds`. Evaluated while SQL is down. */
  database_unreachable: z.object({ seconds: z.number().int().min(1).max(86_400).default(60) }),
} as const;

/** Rule kinds whose condition needs no SQL: the engine evaluates them while the database is down. */
export const outageRuleKinds = [
  'settlement_backlog',
  'database_unreachable',
] as const satisfies readonly RuleKind[];

export type RuleKind = keyof typeof ruleParamSchemas;
export const ruleKinds = Object.keys(ruleParamSchemas) as RuleKind[];
export type RuleParams<K extends RuleKind> = z.output<(typeof ruleParamSchemas)[K]>;

const ruleFields = {
  name: z.string().trim().min(1).max(100),
  enabled: z.boolean().default(true),
  params: z.record(z.string(), z.number()).default({}),
  /** seconds between two notifications of an alert that still holds */
  cooldownSeconds: z
    .number()
    .int()
    .min(0)
    .max(7 * 86_400)
    .default(3600),
  notificationChannelIds: z.array(z.number().int().positive()).max(20).default([]),
};

export const createRuleSchema = z.object({
  kind: z.enum(ruleKinds as [RuleKind, ...RuleKind[]]),
  ...ruleFields,
});
export type CreateRuleInput = z.input<typeof createRuleSchema>;
export const updateRuleSchema = z.object({
  id: z.number().int().positive(),
  name: ruleFields.name.optional(),
  enabled: z.boolean().optional(),
  params: z.record(z.string(), z.number()).optional(),
  cooldownSeconds: ruleFields.cooldownSeconds.unwrap().optional(),
  notificationChannelIds: z.array(z.number().int().positive()).max(20).optional(),
});
export type UpdateRuleInput = z.input<typeof updateRuleSchema>;
export const idSchema = z.object({ id: z.number().int().positive() });

const secret = z.string().trim().min(1).max(2000);
const httpUrl = z
  .string()
  .trim()
  .max(2000)
  .url()
  .refine((u) => /^https?:\/\//.test(u), 'http(s) URL');

/** Configuration of each notification channel type; `secretFields` are stored encrypted and shown masked. */
export const notifierConfigSchemas = {
  /** JSON POST signed with `X-Tollgate-Signature: <hex HMAC-SHA256 of the body with secret>` */
  webhook: z.object({ url: httpUrl, secret: secret.optional() }),
  email: z.object({
    host: z.string().trim().min(1).max(255),
    port: z.number().int().min(1).max(65535).default(587),
    /** TLS from the start (465); otherwise STARTTLS when the server offers it */
    secure: z.boolean().default(false),
    user: z.string().trim().max(255).optional(),
    password: secret.optional(),
    from: z.string().trim().email(),
    to: z.array(z.string().trim().email()).min(1).max(20),
  }),
  /** Feishu/Lark custom bot: the token at the end of the hook URL, and the signing secret if set */
  feishu: z.object({ token: secret, secret: secret.optional() }),
  /** DingTalk custom robot: access_token of the hook URL, and the SEC… signing secret if set */
  dingtalk: z.object({ accessToken: secret, secret: secret.optional() }),
  /** WeCom group robot: the key of the hook URL */
  wecom: z.object({ key: secret }),
  telegram: z.object({ botToken: secret, chatId: z.string().trim().min(1).max(100) }),
  /** Slack incoming webhook: the part after /services/ (T…/B…/…) */
  slack: z.object({ path: secret }),
} as const;

export type NotifierType = keyof typeof notifierConfigSchemas;
export const notifierTypes = Object.keys(notifierConfigSchemas) as NotifierType[];
export type NotifierConfig<T extends NotifierType = NotifierType> = z.output<
  (typeof notifierConfigSchemas)[T]
>;

export const secretFields: Record<NotifierType, readonly string[]> = {
  webhook: ['url', 'secret'],
  email: ['password'],
  feishu: ['token', 'secret'],
  dingtalk: ['accessToken', 'secret'],
  wecom: ['key'],
  telegram: ['botToken'],
  slack: ['path'],
};

const notifierType = z.enum(notifierTypes as [NotifierType, ...NotifierType[]]);

export const createNotifierSchema = z.object({
  name: z.string().trim().min(1).max(100),
  type: notifierType,
  enabled: z.boolean().default(true),
  /** validated against the type's schema by the service */
  config: z.record(z.string(), z.unknown()),
});
export type CreateNotifierInput = z.input<typeof createNotifierSchema>;
export const updateNotifierSchema = z.object({
  id: z.number().int().positive(),
  name: z.string().trim().min(1).max(100).optional(),
  enabled: z.boolean().optional(),
  /** secret fields left out (or empty) keep their stored value */
  config: z.record(z.string(), z.unknown()).optional(),
});
export type UpdateNotifierInput = z.input<typeof updateNotifierSchema>;

export const historySchema = z.object({
  ruleId: z.number().int().positive().optional(),
  state: z.enum(['fired', 'resolved']).optional(),
  limit: z.number().int().min(1).max(500).default(100),
  beforeId: z.number().int().positive().optional(),
});
