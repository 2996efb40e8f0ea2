import { DISPLAY_CURRENCIES } from '@tollgate/shared/currency.ts';
import { z } from 'zod';
import { groupNameSchema } from '../users/users.schemas.ts';

/*
 * Every setting an operator can change live: its value schema and its default. Shared by the
 * settings service (server) and the admin settings page (browser): no server imports here.
 */

const units = z.number().int('a whole number of quota units').min(0).max(Number.MAX_SAFE_INTEGER);

/** Value schemas, one per setting key. */
export const settingValueSchemas = {
  /** let models without a price through, free of charge */
  allow_free_models: z.boolean(),
  /** quota units credited to every new account */
  new_user_quota: units,
  /** quota units per display currency unit (one-api convention: 500000 = $1) */
  quota_per_unit: units.min(1, 'at least 1 unit per currency unit'),
  display_currency: z.enum(DISPLAY_CURRENCIES),
  /** groups any user may choose for a key, besides their own */
  user_selectable_groups: z.array(groupNameSchema).max(100),
  /** the site's name in the header and page titles */
  site_name: z.string().trim().min(1, 'enter a name').max(64),
  /** false: the register page and `auth.register` refuse new accounts */
  registration_open: z.boolean(),
  /** the group of new accounts when none is given */
  default_group: groupNameSchema,
  /** new keys have no quota limit unless the user sets one */
  default_key_unlimited: z.boolean(),
  /** low-balance reminder threshold of users who set none, in quota units (0 = no reminder) */
  low_balance_threshold: units,
  /** words matched (case-insensitive for Latin letters) on prompts by every relay; empty = no scanning */
  sensitive_words: z.array(z.string().trim().min(1).max(100)).max(10_000),
  /** `log`: let the request through and count the hit; `refuse`: answer `content_blocked` */
  sensitive_words_action: z.enum(['log', 'refuse']),
  /** a channel test slower than this (ms) is flagged slow */
  channel_test_slow_ms: z.number().int().min(1).max(600_000),
  /** base URLs of the chat services notifications are sent to (tests point them at local receivers) */
  notify_base_urls: z
    .object({
      feishu: z.string().url(),
      dingtalk: z.string().url(),
      wecom: z.string().url(),
      telegram: z.string().url(),
      slack: z.string().url(),
    })
    .strict(),
} as const;

export type SettingKey = keyof typeof settingValueSchemas;
export type Settings = { [K in SettingKey]: z.output<(typeof settingValueSchemas)[K]> };

export const settingDefaults: Settings = {
  allow_free_models: false,
  new_user_quota: 0,
  quota_per_unit: 500_000,
  display_currency: 'USD',
  user_selectable_groups: [],
  site_name: 'Tollgate',
  registration_open: true,
  default_group: 'default',
  default_key_unlimited: true,
  low_balance_threshold: 0,
  sensitive_words: [],
  sensitive_words_action: 'log',
  channel_test_slow_ms: 5_000,
  notify_base_urls: {
    feishu: 'https://open.feishu.cn',
    dingtalk: 'https://oapi.dingtalk.com',
    wecom: 'https://qyapi.weixin.qq.com',
    telegram: 'https://api.telegram.org',
    slack: 'https://hooks.slack.com',
  },
};

export function isSettingKey(key: string): key is SettingKey {
  return Object.hasOwn(settingValueSchemas, key);
}

/** Input of `settings.set`: any subset of the settings; an unknown key is refused. */
export const settingsPatchSchema = z
  .object(settingValueSchemas)
  .partial()
  .strict()
  .refine((patch) => Object.keys(patch).length > 0, 'nothing to change');
export type SettingsPatch = z.input<typeof settingsPatchSchema>;
