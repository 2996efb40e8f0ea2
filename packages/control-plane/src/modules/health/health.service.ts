import type { ControlPlaneDeps } from '../../deps.ts';
import { ServiceError } from '../../errors.ts';
import { setChannelStatus } from '../channels/channels.service.ts';
import { getSettings } from '../settings/settings.service.ts';
import { type ChannelTestResult, queryBalanceCents, testChannelRequest } from './channel-tester.ts';

type Deps = Pick<ControlPlaneDeps, 'db' | 'publisher' | 'now' | 'channelBox' | 'logger'>;

export interface ChannelTestOutcome extends ChannelTestResult {
  channelId: number;
  name: string;
  model: string | null;
  /** slower than the `channel_test_slow_ms` setting */
  slow: boolean;
  /** the channel was auto-disabled and this test enabled it again */
  reenabled: boolean;
  testedAt: number;
}

export interface TestRunOptions {
  /** channels to test; omitted → every enabled and auto-disabled channel */
  ids?: number[];
  /** parallel tests at most (default 4) */
  concurrency?: number;
  /** per-test timeout (ms, default 30 s) */
  timeoutMs?: number;
}

/** Per deps object: the whole run in progress, and each channel test in progress (no overlap). */
const runs = new WeakMap<object, Promise<ChannelTestOutcome[]>>();
const inFlight = new WeakMap<object, Map<number, Promise<ChannelTestOutcome>>>();

/** The model a test asks for: `test_model`, else the first exact (non-wildcard) model of the channel. */
function testModelOf(row: { testModel: string | null; models: string }): string | null {
  if (row.testModel) return row.testModel;
  const models = JSON.parse(row.models) as string[];
  return models.find((m) => !m.includes('*')) ?? null;
}

async function testOne(
  deps: Deps,
  id: number,
  timeoutMs: number,
  slowMs: number,
): Promise<ChannelTestOutcome> {
  const row = await deps.db.db
    .selectFrom('channels')
    .select(['id', 'name', 'baseUrl', 'keysEncrypted', 'models', 'testModel', 'status'])
    .where('id', '=', id)
    .executeTakeFirst();
  if (!row) throw new ServiceError('NOT_FOUND', 'channel not found');
  const model = testModelOf(row);
  const testedAt = deps.now();
  let result: ChannelTestResult;
  if (!model) result = { ok: false, latencyMs: 0, error: 'the channel has no test model' };
  else {
    const keys = JSON.parse(row.keysEncrypted) as string[];
    let apiKey: string | undefined;
    try {
      apiKey = keys[0] === undefined ? undefined : deps.channelBox.decrypt(keys[0]);
    } catch {
      apiKey = undefined;
    }
    result = apiKey
      ? await testChannelRequest({ baseUrl: row.baseUrl, apiKey, model, timeoutMs })
      : { ok: false, latencyMs: 0, error: 'the channel key cannot be read' };
  }
  // test time and latency are health facts, not routing configuration: no snapshot version bump
  await deps.db.db
    .updateTable('channels')
    .set(result.ok ? { testTime: testedAt, responseTimeMs: result.latencyMs } : { testTime: testedAt })
    .where('id', '=', id)
    .execute();
  let reenabled = false;
  if (result.ok && row.status === 'auto_disabled') {
    // only auto-disabled channels come back; a manual disable is the admin's decision
    const cur = await deps.db.db
      .selectFrom('channels')
      .select('status')
      .where('id', '=', id)
      .executeTakeFirst();
    if (cur?.status === 'auto_disabled') {
      await setChannelStatus(deps, id, 'enabled', `re-enabled: test passed in ${result.latencyMs} ms`);
      reenabled = true;
      deps.logger.info(
        { channelId: id, latencyMs: result.latencyMs },
        'channel re-enabled by a passing test',
      );
    }
  }
  return {
    ...result,
    channelId: id,
    name: row.name,
    model,
    slow: result.ok && result.latencyMs > slowMs,
    reenabled,
    testedAt,
  };
}

/**
 * Tests channels (SPEC §4): scheduled over every enabled and auto-disabled channel, or the channels
 * named; at most `concurrency` at once. A full run never overlaps with itself (a second caller gets
 * the run in progress), and a channel already under test is not tested twice at once.
 */
export function runChannelTests(deps: Deps, o: TestRunOptions = {}): Promise<ChannelTestOutcome[]> {
  const whole = o.ids === undefined;
  if (whole) {
    const running = runs.get(deps);
    if (running) return running;
  }
  const p = (async () => {
    const ids =
      o.ids ??
      (
        await deps.db.db
          .selectFrom('channels')
          .select('id')
          .where('status', 'in', ['enabled', 'auto_disabled'])
          .orderBy('id')
          .execute()
      ).map((r) => r.id);
    const slowMs = (await getSettings(deps)).channel_test_slow_ms;
    let perChannel = inFlight.get(deps);
    if (!perChannel) {
      perChannel = new Map();
      inFlight.set(deps, perChannel);
    }
    const active = perChannel;
    const out: ChannelTestOutcome[] = new Array(ids.length);
    let next = 0;
    const worker = async () => {
      while (next < ids.length) {
        const i = next++;
        const id = ids[i]!;
        let test = active.get(id);
        if (!test) {
          test = testOne(deps, id, o.timeoutMs ?? 30_000, slowMs).finally(() => active.delete(id));
          active.set(id, test);
        }
        out[i] = await test;
      }
    };
    await Promise.all(Array.from({ length: Math.max(1, Math.min(o.concurrency ?? 4, ids.length)) }, worker));
    return out;
  })();
  if (whole) {
    runs.set(deps, p);
    void p.finally(() => runs.delete(deps)).catch(() => undefined);
  }
  return p;
}

/** Tests one channel now (any status; only an auto-disabled one can be re-enabled by it). */
export async function testChannelNow(deps: Deps, id: number): Promise<ChannelTestOutcome> {
  const [r] = await runChannelTests(deps, { ids: [id] });
  return r!;
}

/** Reads a channel's balance from its upstream's billing endpoints; NOT_FOUND/BAD_REQUEST as values. */
export async function refreshChannelBalance(deps: Deps, id: number) {
  const row = await deps.db.db
    .selectFrom('channels')
    .select(['baseUrl', 'keysEncrypted'])
    .where('id', '=', id)
    .executeTakeFirst();
  if (!row) throw new ServiceError('NOT_FOUND', 'channel not found');
  const key = (JSON.parse(row.keysEncrypted) as string[])[0];
  const balance = key
    ? await queryBalanceCents({
        baseUrl: row.baseUrl,
        apiKey: deps.channelBox.decrypt(key),
        timeoutMs: 15_000,
        now: deps.now(),
      })
    : undefined;
  if (balance === undefined)
    return { ok: false as const, error: 'the upstream has no billing endpoint: enter the balance by hand' };
  await setChannelBalance(deps, id, balance);
  return { ok: true as const, balance };
}

/** Records a channel's upstream balance (cents of the upstream's currency), read or entered by hand. */
export async function setChannelBalance(deps: Pick<Deps, 'db' | 'now'>, id: number, balance: number | null) {
  const res = await deps.db.db
    .updateTable('channels')
    .set({ balance, balanceUpdatedAt: deps.now() })
    .where('id', '=', id)
    .executeTakeFirst();
  if (Number(res.numUpdatedRows) === 0) throw new ServiceError('NOT_FOUND', 'channel not found');
  return { id, balance };
}
