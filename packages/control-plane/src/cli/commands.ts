import { readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { bumpConfigVersion } from '@tollgate/shared/config-bus.ts';
import type { ControlPlaneDeps } from '../deps.ts';
import { ServiceError } from '../errors.ts';
import { rebuildCounters } from '../modules/balances/rebuild-counters.ts';
import {
  createChannel,
  listChannels,
  setChannelStatus,
  updateChannel,
} from '../modules/channels/channels.service.ts';
import { type ImportResult, importPrices } from '../modules/prices/prices.import.ts';
import type { ImportPricesInput } from '../modules/prices/prices.schemas.ts';
import { listPrices, setPrice } from '../modules/prices/prices.service.ts';
import { getSettings, setSetting } from '../modules/settings/settings.service.ts';
import { createToken } from '../modules/tokens/tokens.service.ts';
import { adjustBalance, createUser, generatePassword } from '../modules/users/users.service.ts';

interface Command {
  help: string;
  run(deps: ControlPlaneDeps, argv: string[]): Promise<unknown>;
  format?(result: unknown): string;
}

type Opt = { type: 'string' | 'boolean'; multiple?: boolean };
/** what parseArgs gives a flag: a string, a boolean, or every value of a `multiple` flag */
type FlagValue = string | boolean | string[] | undefined;

function opts<T extends Record<string, Opt>>(argv: string[], spec: T) {
  return parseArgs({
    args: argv,
    allowPositionals: true,
    strict: false,
    options: { ...spec, json: { type: 'boolean' }, config: { type: 'string' } },
  }).values as unknown as Record<keyof T, FlagValue>;
}

function need(v: FlagValue, flag: string): string {
  if (typeof v !== 'string' || v === '') throw new ServiceError('BAD_REQUEST', `--${flag} is required`);
  return v;
}
const int = (v: FlagValue, flag: string): number | undefined => {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isSafeInteger(n)) throw new ServiceError('BAD_REQUEST', `--${flag} must be an integer`);
  return n;
};
const list = (v: FlagValue) =>
  typeof v === 'string'
    ? v
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean)
    : undefined;
const mapping = (v: FlagValue) =>
  typeof v === 'string'
    ? Object.fromEntries(
        v
          .split(',')
          .filter(Boolean)
          .map((pair) => {
            const [a, b] = pair.split('=');
            if (!a || !b)
              throw new ServiceError('BAD_REQUEST', '--mapping takes alias=upstream pairs, comma-separated');
            return [a.trim(), b.trim()];
          }),
      )
    : undefined;

async function userIdOf(deps: ControlPlaneDeps, ref: string): Promise<number> {
  const q = deps.db.db.selectFrom('users').select('id');
  const row = await (/^\d+$/.test(ref)
    ? q.where('id', '=', Number(ref))
    : q.where('email', '=', ref.toLowerCase())
  ).executeTakeFirst();
  if (!row) throw new ServiceError('NOT_FOUND', `no user ${ref}`);
  return row.id;
}

const channelFlags = {
  name: { type: 'string' },
  'base-url': { type: 'string' },
  key: { type: 'string', multiple: true },
  models: { type: 'string' },
  mapping: { type: 'string' },
  groups: { type: 'string' },
  priority: { type: 'string' },
  weight: { type: 'string' },
  'test-model': { type: 'string' },
  type: { type: 'string' },
  id: { type: 'string' },
} as const;

function keysOf(v: unknown): string[] | undefined {
  if (Array.isArray(v)) return v.map(String);
  return typeof v === 'string' ? [v] : undefined;
}

export const commands: Record<string, Command> = {
  migrate: {
    help: 'migrate                         run pending database migrations',
    run: async () => ({ ok: true }),
    format: () => 'database is up to date',
  },
  'admin create': {
    help: 'admin create --email E [--password P]   create an admin (password generated when omitted)',
    async run(deps, argv) {
      const o = opts(argv, { email: { type: 'string' }, password: { type: 'string' } });
      const password = typeof o.password === 'string' ? o.password : generatePassword();
      const user = await createUser(deps, { email: need(o.email, 'email'), password, role: 'admin' });
      return { id: user.id, email: user.email, role: user.role, password: o.password ? undefined : password };
    },
  },
  'user create': {
    help: 'user create --email E [--password P] [--group G]',
    async run(deps, argv) {
      const o = opts(argv, {
        email: { type: 'string' },
        password: { type: 'string' },
        group: { type: 'string' },
      });
      const password = typeof o.password === 'string' ? o.password : generatePassword();
      const user = await createUser(deps, {
        email: need(o.email, 'email'),
        password,
        group: typeof o.group === 'string' ? o.group : undefined,
      });
      return {
        id: user.id,
        email: user.email,
        group: user.groupName,
        password: o.password ? undefined : password,
      };
    },
  },
  'user topup': {
    help: 'user topup --user ID|EMAIL --amount UNITS [--reason TEXT]   credit (or, negative, debit) a balance',
    async run(deps, argv) {
      const o = opts(argv, {
        user: { type: 'string' },
        amount: { type: 'string' },
        reason: { type: 'string' },
      });
      const userId = await userIdOf(deps, need(o.user, 'user'));
      const amount = int(need(o.amount, 'amount'), 'amount')!;
      if (amount === 0) throw new ServiceError('BAD_REQUEST', '--amount must not be 0');
      const r = await adjustBalance(deps, {
        userId,
        amount,
        reason: typeof o.reason === 'string' ? o.reason : 'top-up from the CLI',
        kind: 'topup',
      });
      return { userId, balance: r.user.balance };
    },
  },
  'channel create': {
    help: 'channel create --name N --base-url URL --key K [--key K2] --models a,b,prefix* [--mapping alias=up] [--groups default] [--priority 0] [--weight 1] [--test-model M]',
    async run(deps, argv) {
      const o = opts(argv, channelFlags);
      return createChannel(deps, {
        name: need(o.name, 'name'),
        baseUrl: need(o['base-url'], 'base-url'),
        keys: keysOf(o.key) ?? [],
        models: list(o.models) ?? [],
        modelMapping: mapping(o.mapping),
        groups: list(o.groups),
        priority: int(o.priority, 'priority'),
        weight: int(o.weight, 'weight'),
        testModel: typeof o['test-model'] === 'string' ? o['test-model'] : null,
      });
    },
  },
  'channel list': {
    help: 'channel list',
    run: (deps) => listChannels(deps),
    format: (r) =>
      (r as Awaited<ReturnType<typeof listChannels>>)
        .map(
          (c) =>
            `${c.id}\t${c.status}\tp${c.priority} w${c.weight}\t${c.name}\t${c.baseUrl}\t${c.models.join(',')}`,
        )
        .join('\n') || '(no channels)',
  },
  'channel update': {
    help: 'channel update --id ID [any channel create flag]',
    async run(deps, argv) {
      const o = opts(argv, channelFlags);
      return updateChannel(deps, {
        id: int(need(o.id, 'id'), 'id')!,
        name: typeof o.name === 'string' ? o.name : undefined,
        baseUrl: typeof o['base-url'] === 'string' ? o['base-url'] : undefined,
        keys: keysOf(o.key),
        models: list(o.models),
        modelMapping: mapping(o.mapping),
        groups: list(o.groups),
        priority: int(o.priority, 'priority'),
        weight: int(o.weight, 'weight'),
        testModel: typeof o['test-model'] === 'string' ? o['test-model'] : undefined,
      });
    },
  },
  'channel disable': {
    help: 'channel disable --id ID',
    run: (deps, argv) =>
      setChannelStatus(
        deps,
        int(need(opts(argv, { id: { type: 'string' } }).id, 'id'), 'id')!,
        'manual_disabled',
      ),
  },
  'channel enable': {
    help: 'channel enable --id ID',
    run: (deps, argv) =>
      setChannelStatus(deps, int(need(opts(argv, { id: { type: 'string' } }).id, 'id'), 'id')!, 'enabled'),
  },
  'token create': {
    help: 'token create --user ID|EMAIL --name N [--quota UNITS] [--models a,b*] [--expires ISO-DATE]   prints the key',
    async run(deps, argv) {
      const o = opts(argv, {
        user: { type: 'string' },
        name: { type: 'string' },
        quota: { type: 'string' },
        models: { type: 'string' },
        expires: { type: 'string' },
      });
      const userId = await userIdOf(deps, need(o.user, 'user'));
      const quota = int(o.quota, 'quota');
      const expires = typeof o.expires === 'string' ? Date.parse(o.expires) : undefined;
      if (expires !== undefined && Number.isNaN(expires))
        throw new ServiceError('BAD_REQUEST', '--expires must be a date');
      const r = await createToken(deps, userId, {
        name: need(o.name, 'name'),
        unlimitedQuota: quota === undefined,
        remainQuota: quota ?? 0,
        models: list(o.models) ?? null,
        expiresAt: expires ?? null,
      });
      return { id: r.token.id, name: r.token.name, key: r.key };
    },
    format: (r) => (r as { key: string }).key,
  },
  'price set': {
    help: 'price set --model M [--input UNITS_PER_1M] [--output UNITS_PER_1M] [--cached-input U] [--per-call U]',
    async run(deps, argv) {
      const o = opts(argv, {
        model: { type: 'string' },
        input: { type: 'string' },
        output: { type: 'string' },
        'cached-input': { type: 'string' },
        'per-call': { type: 'string' },
      });
      return setPrice(deps, {
        model: need(o.model, 'model'),
        inputPrice: int(o.input, 'input'),
        outputPrice: int(o.output, 'output'),
        cachedInputPrice: int(o['cached-input'], 'cached-input') ?? null,
        perCallPrice: int(o['per-call'], 'per-call') ?? null,
      });
    },
  },
  'price list': {
    help: 'price list',
    run: (deps) => listPrices(deps),
    format: (r) =>
      (r as Awaited<ReturnType<typeof listPrices>>)
        .map(
          (p) =>
            `${p.model}\tin ${p.inputPrice}\tout ${p.outputPrice}${p.perCallPrice !== null ? `\tper call ${p.perCallPrice}` : ''}`,
        )
        .join('\n') || '(no prices)',
  },
  'price import': {
    help: 'price import --file F [--markup PERCENT] [--usd-rate R]   import a reference list {"model":{"input":USD/1M,"output":…}}; never overwrites admin prices',
    async run(deps, argv) {
      const o = opts(argv, {
        file: { type: 'string' },
        markup: { type: 'string' },
        'usd-rate': { type: 'string' },
      });
      const file = need(o.file, 'file');
      let prices: unknown;
      try {
        prices = JSON.parse(await readFile(file, 'utf8'));
      } catch (err) {
        throw new ServiceError('BAD_REQUEST', `--file ${file}: ${(err as Error).message}`);
      }
      return importPrices(deps, {
        prices: prices as ImportPricesInput['prices'],
        markupPercent: typeof o.markup === 'string' ? o.markup : undefined,
        usdRate: typeof o['usd-rate'] === 'string' ? o['usd-rate'] : undefined,
      });
    },
    format: (r) => {
      const x = r as ImportResult;
      const skipped = x.skippedModels.length ? ` (admin prices kept: ${x.skippedModels.join(', ')})` : '';
      return `added ${x.added}, updated ${x.updated}, unchanged ${x.unchanged}, skipped ${x.skipped}${skipped}`;
    },
  },
  'setting set': {
    help: 'setting set --key K --value JSON      e.g. --key allow_free_models --value true',
    async run(deps, argv) {
      const o = opts(argv, { key: { type: 'string' }, value: { type: 'string' } });
      let value: unknown;
      try {
        value = JSON.parse(need(o.value, 'value'));
      } catch {
        throw new ServiceError('BAD_REQUEST', '--value must be JSON (true, 5, "text", ["a"])');
      }
      return setSetting(deps, need(o.key, 'key'), value);
    },
  },
  'setting list': {
    help: 'setting list',
    run: (deps) => getSettings(deps),
  },
  'balances rebuild': {
    help: 'balances rebuild                set the Redis balance counters from the database (after a Redis outage)',
    run: (deps) => rebuildCounters(deps),
    format: (r) => {
      const x = r as { counters: number; rebuilt: number; busy: number };
      return `${x.rebuilt} of ${x.counters} counters set from the database${x.busy ? `; ${x.busy} busy (settlements on their way) — run it again` : ''}`;
    },
  },
  'snapshot publish': {
    help: 'snapshot publish                tell every relay to reload its whole snapshot now',
    async run(deps) {
      const version = await deps.db.db
        .transaction()
        .execute((trx) => bumpConfigVersion(trx, [{ entity: 'all', id: '*', op: 'upsert' }]));
      await deps.publisher.publish({ version, changes: [{ entity: 'all', id: '*', op: 'upsert' }] });
      return { version };
    },
    format: (r) => `published snapshot version ${(r as { version: number }).version}`,
  },
};

export function usage(): string {
  return [
    'usage: pnpm tollgate <command> [flags] [--json] [--config FILE]',
    '',
    ...Object.values(commands).map((c) => `  ${c.help}`),
  ].join('\n');
}
