import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { createServer } from 'node:net';
import { hashApiKey } from '@tollgate/shared/api-key.ts';
import { createRedis } from '@tollgate/shared/redis.ts';
import type { Redis } from 'ioredis';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  expectRefused,
  expectRelayed,
  type LimitedApp,
  limitedApp,
  rateLimitSuite,
  silent,
} from './rate-limit.fixtures.ts';
import { createRateLimits } from './rate-limit.ts';

const sharedRedisUrl = process.env.TOLLGATE_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

/** Resolves on the client's next `event` (connection errors meanwhile are expected, not failures). */
const next = (r: Redis, event: 'ready' | 'close') =>
  new Promise<void>((resolve) => r.once(event, () => resolve()));

async function ready(r: Redis): Promise<void> {
  if (r.status !== 'ready') await next(r, 'ready');
}

function tokenId(t: LimitedApp, key: string): number {
  return t.store.current()!.tokensByHash.get(hashApiKey(key))!.id;
}

describe('on the shared Redis', () => {
  const redis = createRedis(sharedRedisUrl, { name: 'tollgate-rate-limit-test' });
  redis.on('error', () => undefined);
  // one prefix per run, one more level per limits instance: parallel runs and tests never share counters
  const runPrefix = `tollgate:rl:test:${randomBytes(6).toString('hex')}:`;
  let instances = 0;
  const prefixOf = () => `${runPrefix}${instances++}:`;

  beforeAll(() => ready(redis));
  afterAll(async () => {
    const stream = redis.scanStream({ match: `${runPrefix}*`, count: 500 });
    for await (const keys of stream as AsyncIterable<string[]>) if (keys.length > 0) await redis.del(...keys);
    redis.disconnect();
  });

  rateLimitSuite('redis', (o = {}) =>
    createRateLimits({
      redis,
      globalRps: o.globalRps ?? 0,
      logger: silent,
      globalWindowSec: 60,
      keyPrefix: prefixOf(),
    }),
  );

  it('keeps its counters in Redis under the prefix, with the window as TTL', async () => {
    const prefix = prefixOf();
    const t = limitedApp(createRateLimits({ redis, globalRps: 0, logger: silent, keyPrefix: prefix }));
    await expectRelayed(await t.chat('key2a'));
    await expectRelayed(await t.chat('tpm'));
    const keyCounter = `${prefix}key-rpm:${tokenId(t, t.keys.key2a)}`;
    expect(await redis.get(keyCounter)).toBe('1');
    const ttl = await redis.ttl(keyCounter);
    expect(ttl).toBeGreaterThan(0);
    expect(ttl).toBeLessThanOrEqual(60);
    expect(await redis.get(`${prefix}group-tpm:tpm100`)).toBe('40');
  });

  it('two relays on one Redis share a key’s bucket', async () => {
    const prefix = prefixOf();
    const a = limitedApp(createRateLimits({ redis, globalRps: 0, logger: silent, keyPrefix: prefix }));
    const b = limitedApp(createRateLimits({ redis, globalRps: 0, logger: silent, keyPrefix: prefix }));
    // same token ids in both snapshots, so both relays count the same key
    await expectRelayed(await a.chat('key2a'));
    await expectRelayed(await b.chat('key2a'));
    await expectRefused(await a.chat('key2a'), 'requests', 2);
  });
});

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

describe('Redis outage: the insurance limiter takes over, then Redis is used again', () => {
  let port = 0;
  let server: ChildProcess | undefined;
  let redis: Redis;
  let t: LimitedApp;
  const warnings: unknown[] = [];
  const prefix = `tollgate:rl:test:${randomBytes(6).toString('hex')}:`;

  /** A private, throwaway redis-server (never the shared one): no persistence, so a restart is empty. */
  const startServer = () => {
    const proc = spawn(
      'redis-server',
      ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
      { stdio: 'ignore' },
    );
    proc.once('error', (err) => {
      throw new Error(`cannot start redis-server: ${err.message}`);
    });
    server = proc;
  };
  const stopServer = async () => {
    const proc = server;
    server = undefined;
    if (!proc || proc.exitCode !== null) return;
    const exited = once(proc, 'exit');
    proc.kill('SIGKILL');
    await exited;
  };

  beforeAll(async () => {
    port = await freePort();
    startServer();
    redis = createRedis(`redis://127.0.0.1:${port}`, { name: 'tollgate-rate-limit-outage-test' });
    redis.on('error', () => undefined);
    await ready(redis);
    const logger = pino({ level: 'warn' }, { write: (line: string) => void warnings.push(line) });
    t = limitedApp(createRateLimits({ redis, globalRps: 0, logger, keyPrefix: prefix }));
  });
  afterAll(async () => {
    await stopServer();
    redis?.disconnect();
  });

  it('counts in Redis while it is up', async () => {
    expect(await expectRelayed(await t.chat('key3'))).toBe('2');
    expect(await redis.get(`${prefix}key-rpm:${tokenId(t, t.keys.key3)}`)).toBe('1');
  });

  it('keeps limiting from memory once Redis is killed', async () => {
    await stopServer();
    if (redis.status === 'ready') await next(redis, 'close');
    expect(redis.status).not.toBe('ready');
    // the insurance limiter counts this process's requests from the moment Redis went away
    expect(await expectRelayed(await t.chat('key3'))).toBe('2');
    expect(await expectRelayed(await t.chat('key3'))).toBe('1');
    expect(await expectRelayed(await t.chat('key3'))).toBe('0');
    await expectRefused(await t.chat('key3'), 'requests', 3);
    // other keys under their limit pass, keys without a limit too
    expect(await expectRelayed(await t.chat('key2b'))).toBe('1');
    await expectRelayed(await t.chat('free'));
    expect(t.upstream.calls).toBe(6);
    expect(warnings).toEqual([]);
  });

  it('uses Redis again once it is back on the same port', async () => {
    startServer();
    await ready(redis);
    // the restarted server is empty: a fresh window, counted in Redis again
    expect(await expectRelayed(await t.chat('key3'))).toBe('2');
    expect(await redis.get(`${prefix}key-rpm:${tokenId(t, t.keys.key3)}`)).toBe('1');
    expect(await expectRelayed(await t.chat('key3'))).toBe('1');
    expect(await expectRelayed(await t.chat('key3'))).toBe('0');
    await expectRefused(await t.chat('key3'), 'requests', 3);
    expect(await redis.get(`${prefix}key-rpm:${tokenId(t, t.keys.key3)}`)).toBe('4');
    expect(warnings).toEqual([]);
  });
});
