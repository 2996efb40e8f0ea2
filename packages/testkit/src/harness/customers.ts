import { type Db, num } from '@tollgate/shared/db/index.ts';
import type { SiteClient } from './site-client.ts';
import { siteClient } from './site-client.ts';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Waits until every relay in `urls` accepts `key` (config reaches relays within a second). */
export async function waitForKey(urls: string[], key: string, timeoutMs = 3000): Promise<void> {
  for (const url of urls) {
    const deadline = Date.now() + timeoutMs;
    while (
      (await fetch(`${url}/v1/models`, { headers: { authorization: `Bearer ${key}` } })).status !== 200
    ) {
      if (Date.now() > deadline) throw new Error(`${url} did not accept the key within ${timeoutMs} ms`);
      await sleep(20);
    }
  }
}

export interface Customer {
  userId: number;
  tokenId: number;
  key: string;
  client: SiteClient;
}

/**
 * Registers a user through the site, tops it up through the admin (a ledger + log row), and creates
 * one key (unlimited unless `keyQuota` is given).
 */
export async function newCustomer(
  siteUrl: string,
  admin: SiteClient,
  o: { balance: number; keyQuota?: number; tag?: string },
): Promise<Customer> {
  const client = siteClient(siteUrl);
  const email = `${o.tag ?? 'c'}-${Date.now()}-${Math.random().toString(36).slice(2)}@example.com`;
  const { userId } = await client.auth.register.mutate({ email, password: 'customer-pass-1' });
  if (o.balance) await admin.users.adjustBalance.mutate({ userId, amount: o.balance, reason: 'test top-up' });
  const { key, token } = await client.tokens.create.mutate({
    name: 'k',
    unlimitedQuota: o.keyQuota === undefined,
    remainQuota: o.keyQuota ?? 0,
  });
  return { userId, tokenId: token.id, key, client };
}

/** A user's books as SQL has them: balance, used quota, key used quota, usage log rows and costs, ledger sum. */
export async function booksOf(db: Db, userId: number, tokenId?: number) {
  const user = await db.db
    .selectFrom('users')
    .select(['balance', 'usedQuota'])
    .where('id', '=', userId)
    .executeTakeFirstOrThrow();
  const token =
    tokenId === undefined
      ? undefined
      : await db.db
          .selectFrom('tokens')
          .select(['usedQuota', 'remainQuota'])
          .where('id', '=', tokenId)
          .executeTakeFirstOrThrow();
  const usage = await db.db
    .selectFrom('logs')
    .select((eb) => [eb.fn.countAll().as('n'), eb.fn.sum('cost').as('cost')])
    .where('userId', '=', userId)
    .where('kind', '=', 'usage')
    .executeTakeFirstOrThrow();
  const ledger = await db.db
    .selectFrom('ledger')
    .select((eb) => eb.fn.sum('amount').as('s'))
    .where('userId', '=', userId)
    .executeTakeFirstOrThrow();
  return {
    balance: Number(user.balance),
    userUsed: Number(user.usedQuota),
    tokenUsed: Number(token?.usedQuota ?? 0),
    tokenRemain: Number(token?.remainQuota ?? 0),
    rows: num(usage.n),
    logCost: num(usage.cost),
    ledger: num(ledger.s),
  };
}

/** The price most tests bill at: 100,000 in and 300,000 out per million tokens (quota units). */
export const TEST_PRICE = { inputPrice: 100_000, outputPrice: 300_000 } as const;

/**
 * As the admin: routes `model` (default gpt-4o-mini) to one upstream channel and prices it at
 * {@link TEST_PRICE}; returns the channel.
 */
export async function servePricedModel(
  admin: SiteClient,
  upstreamUrl: string,
  o: { name?: string; model?: string } = {},
) {
  const model = o.model ?? 'gpt-4o-mini';
  const name = o.name ?? 'up';
  const channel = await admin.channels.create.mutate({
    name,
    baseUrl: upstreamUrl,
    keys: [`sk-${name}-000001`],
    models: [model],
  });
  await admin.prices.set.mutate({ model, ...TEST_PRICE });
  return channel;
}
