import type { Database } from '@tollgate/shared/db/index.ts';
import type { Kysely } from 'kysely';
import { z } from 'zod';
import type { ControlPlaneDeps } from '../../deps.ts';
import { ServiceError } from '../../errors.ts';
import {
  type PaymentOptions,
  type PaymentSettingsPatch,
  type PaymentSettingsView,
  paymentOptionDefaults,
  paymentOptionsSchema,
  paymentSettingsPatchSchema,
  type SmtpOptions,
  type SmtpSettingsPatch,
  type SmtpSettingsView,
  smtpOptionDefaults,
  smtpOptionsSchema,
  smtpSettingsPatchSchema,
} from './payments.schemas.ts';

type Deps = Pick<ControlPlaneDeps, 'db' | 'settingsBox' | 'now'>;

/** Keys of `private_settings` (server-only: never in the relay snapshot, never sent to a browser). */
const LEMON_SQUEEZY = 'payments.lemonsqueezy';
const SMTP = 'mail.smtp';

/** The public path of the webhook endpoint (the site serves it; see routes/api/payments). */
export const WEBHOOK_PATH = '/api/payments/lemonsqueezy/webhook';

const sealed = z.object({ apiKey: z.string().optional(), webhookSecret: z.string().optional() });
const storedPaymentsSchema = paymentOptionsSchema.partial().extend({ sealed: sealed.default({}) });
const storedSmtpSchema = smtpOptionsSchema.partial().extend({ password: z.string().optional() });

/** Lemon Squeezy settings with the secrets opened: for the server only. */
export interface PaymentConfig extends PaymentOptions {
  apiKey: string | undefined;
  webhookSecret: string | undefined;
}

export interface SmtpConfig extends SmtpOptions {
  password: string | undefined;
}

async function readJson(db: Kysely<Database>, key: string): Promise<unknown> {
  const row = await db
    .selectFrom('privateSettings')
    .select('value')
    .where('key', '=', key)
    .executeTakeFirst();
  if (!row) return {};
  try {
    return JSON.parse(row.value);
  } catch {
    return {};
  }
}

async function writeJson(deps: Deps, key: string, value: unknown): Promise<void> {
  const text = JSON.stringify(value);
  const now = deps.now();
  await deps.db.db.transaction().execute(async (trx) => {
    const res = await trx
      .updateTable('privateSettings')
      .set({ value: text, updatedAt: now })
      .where('key', '=', key)
      .executeTakeFirst();
    if (Number(res.numUpdatedRows) === 0)
      await trx.insertInto('privateSettings').values({ key, value: text, updatedAt: now }).execute();
  });
}

/** `••••` + the last 4 characters (only of secrets long enough that 4 characters give nothing away). */
export function maskSecret(secret: string | undefined): string {
  if (!secret) return '';
  return secret.length >= 16 ? `••••${secret.slice(-4)}` : '••••';
}

function open(deps: Deps, box: string | undefined): string | undefined {
  if (!box) return undefined;
  try {
    return deps.settingsBox.decrypt(box);
  } catch {
    // sealed with another user_token_secret: unusable, the admin enters it again
    return undefined;
  }
}

function badRequest(error: z.ZodError): ServiceError {
  const issue = error.issues[0];
  const where = issue?.path.length ? `${issue.path.join('.')}: ` : '';
  return new ServiceError('BAD_REQUEST', `invalid settings: ${where}${issue?.message ?? 'bad value'}`);
}

async function storedPayments(deps: Deps) {
  const parsed = storedPaymentsSchema.safeParse(await readJson(deps.db.db, LEMON_SQUEEZY));
  return parsed.success ? parsed.data : { sealed: {} };
}

/** The Lemon Squeezy settings with secrets opened (server use: checkout, webhook verification). */
export async function getPaymentConfig(deps: Deps): Promise<PaymentConfig> {
  const { sealed: s, ...options } = await storedPayments(deps);
  return {
    ...paymentOptionDefaults,
    ...options,
    apiKey: open(deps, s.apiKey),
    webhookSecret: open(deps, s.webhookSecret),
  };
}

function paymentView(config: PaymentConfig): PaymentSettingsView {
  const { apiKey, webhookSecret, ...options } = config;
  return {
    ...options,
    apiKeySet: Boolean(apiKey),
    apiKeyMask: maskSecret(apiKey),
    webhookSecretSet: Boolean(webhookSecret),
    webhookSecretMask: maskSecret(webhookSecret),
    webhookPath: WEBHOOK_PATH,
  };
}

/** The admin view: options, masks, never a secret (plain or sealed). */
export async function getPaymentSettings(deps: Deps): Promise<PaymentSettingsView> {
  return paymentView(await getPaymentConfig(deps));
}

/** Stores a subset of the Lemon Squeezy settings; secrets are sealed with the settings box. */
export async function setPaymentSettings(
  deps: Deps,
  patch: PaymentSettingsPatch,
): Promise<PaymentSettingsView> {
  const parsed = paymentSettingsPatchSchema.safeParse(patch);
  if (!parsed.success) throw badRequest(parsed.error);
  const { apiKey, webhookSecret, ...options } = parsed.data;
  const stored = await storedPayments(deps);
  const merged = { ...paymentOptionDefaults, ...stored, ...options, sealed: { ...stored.sealed } };
  if (merged.minCents > merged.maxCents)
    throw new ServiceError(
      'BAD_REQUEST',
      'invalid settings: minCents: the minimum must not exceed the maximum',
    );
  if (apiKey !== undefined) merged.sealed.apiKey = apiKey ? deps.settingsBox.encrypt(apiKey) : undefined;
  if (webhookSecret !== undefined)
    merged.sealed.webhookSecret = webhookSecret ? deps.settingsBox.encrypt(webhookSecret) : undefined;
  await writeJson(deps, LEMON_SQUEEZY, merged);
  return getPaymentSettings(deps);
}

/** SMTP settings with the password opened (server use: sending mail). */
export async function getSmtpConfig(deps: Deps): Promise<SmtpConfig> {
  const parsed = storedSmtpSchema.safeParse(await readJson(deps.db.db, SMTP));
  const { password, ...options } = parsed.success ? parsed.data : {};
  return { ...smtpOptionDefaults, ...options, password: open(deps, password) };
}

export async function getSmtpSettings(deps: Deps): Promise<SmtpSettingsView> {
  const { password, ...options } = await getSmtpConfig(deps);
  return { ...options, passwordSet: Boolean(password) };
}

export async function setSmtpSettings(deps: Deps, patch: SmtpSettingsPatch): Promise<SmtpSettingsView> {
  const parsed = smtpSettingsPatchSchema.safeParse(patch);
  if (!parsed.success) throw badRequest(parsed.error);
  const { password, ...options } = parsed.data;
  const stored = storedSmtpSchema.safeParse(await readJson(deps.db.db, SMTP));
  const merged = { ...smtpOptionDefaults, ...(stored.success ? stored.data : {}), ...options };
  if (password !== undefined) merged.password = password ? deps.settingsBox.encrypt(password) : undefined;
  await writeJson(deps, SMTP, merged);
  return getSmtpSettings(deps);
}
