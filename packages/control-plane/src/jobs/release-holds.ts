import type { ControlPlaneDeps } from '../deps.ts';

/** Gives back every hold of one dead relay, then forgets them (one atomic script per relay). */
const RELEASE = `
local all = redis.call('hgetall', KEYS[1])
local n = 0
for i = 1, #all, 2 do
  local user, token, amount = string.match(all[i + 1], '^([^|]*)|([^|]*)|(%d+)$')
  if amount then
    for _, k in ipairs({user, token}) do
      if k ~= '' and redis.call('exists', k) == 1 then redis.call('hincrby', k, 'held', 0 - tonumber(amount)) end
    end
    n = n + 1
  end
end
redis.call('del', KEYS[1])
return n`;

/**
 * Releases the open holds of relays that stopped without settling (kill -9, crash): a relay's holds
 * live in `holds:<relay>` while its heartbeat `relay:<relay>` is fresh; once the heartbeat has expired
 * the holds go back to the users and keys (DESIGN §2). Redis mode only — an embedded relay's holds die
 * with its process and the counters are rebuilt from SQL at start.
 */
export function createReleaseHoldsJob(deps: ControlPlaneDeps) {
  return async function run(): Promise<{ relays: number; holds: number }> {
    const redis = deps.redis;
    if (!redis) return { relays: 0, holds: 0 };
    const names = deps.redisNames;
    const prefix = names.holds('');
    let cursor = '0';
    let relays = 0;
    let holds = 0;
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 200);
      cursor = next;
      for (const key of keys) {
        const relayId = key.slice(prefix.length);
        if (await redis.exists(names.relayAlive(relayId))) continue;
        const released = Number(await redis.eval(RELEASE, 1, key));
        relays++;
        holds += released;
        if (released > 0)
          deps.logger.warn({ relay: relayId, holds: released }, 'released the open holds of a stopped relay');
      }
    } while (cursor !== '0');
    return { relays, holds };
  };
}
