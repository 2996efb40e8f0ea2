import { randomBytes } from 'node:crypto';
import { closeControlPlaneDeps, createControlPlaneDeps } from '@tollgate/control-plane';
import { createChannel } from '@tollgate/control-plane/modules/channels/channels.service.ts';
import { setPrice } from '@tollgate/control-plane/modules/prices/prices.service.ts';
import { setSettings } from '@tollgate/control-plane/modules/settings/settings.service.ts';
import { createToken } from '@tollgate/control-plane/modules/tokens/tokens.service.ts';
import { adjustBalance, createUser } from '@tollgate/control-plane/modules/users/users.service.ts';
import { loadConfig } from '@tollgate/shared/config.ts';
import { migrateToLatest } from '@tollgate/shared/db/index.ts';
import { pino } from 'pino';

export interface SeedOptions {
  /** the embedded data dir the relay will be started on (migrated here) */
  dataDir: string;
  /** base URL of the upstream (no `/v1`) */
  upstreamUrl: string;
  models?: string[];
  upstreamKey?: string;
  /** a sensitive-word list (action `log`) the relay screens every prompt against while alerts are on */
  sensitiveWords?: string[];
}

/**
 * Prepares an embedded (SQLite) data dir the way an operator would, through the control-plane
 * services: migrations, a priced model, a user with a large balance, a key and one channel. The secrets are the generated ones in
 * `<dataDir>/secrets.json`, so a relay started with only `TOLLGATE_DATA_DIR` accepts the key.
 */
export async function seedEmbedded(o: SeedOptions): Promise<{ key: string; channelId: number }> {
  const cfg = loadConfig({ overrides: { data_dir: o.dataDir, log_level: 'silent' } });
  const deps = createControlPlaneDeps(cfg, { logger: pino({ level: 'silent' }) });
  try {
    await migrateToLatest(deps.db);
    const user = await createUser(deps, {
      email: `bench-${randomBytes(4).toString('hex')}@example.com`,
      password: randomBytes(12).toString('base64url'),
    });
    await adjustBalance(deps, { userId: user.id, amount: 10 ** 15, reason: 'benchmark credit' });
    const models = o.models ?? ['gpt-4o-mini'];
    // gpt-4o-mini's list price, in quota units per 1M tokens
    for (const model of models) await setPrice(deps, { model, inputPrice: 150_000, outputPrice: 600_000 });
    const { key } = await createToken(deps, user.id, { name: 'bench' });
    const channel = await createChannel(deps, {
      name: 'fake-upstream',
      baseUrl: o.upstreamUrl,
      keys: [o.upstreamKey ?? 'sk-fake-upstream-key'],
      models,
    });
    if (o.sensitiveWords?.length)
      await setSettings(deps, { sensitive_words: o.sensitiveWords, sensitive_words_action: 'log' });
    return { key, channelId: channel.id };
  } finally {
    await closeControlPlaneDeps(deps);
  }
}
