import { randomBytes } from 'node:crypto';
import { createMiddleware } from 'hono/factory';
import type { RelayEnv } from '../env.ts';

let counter = 0;
const prefix = randomBytes(4).toString('hex');

/** A compact unique request id: per-process random prefix + time + counter (no syscalls per request). */
export function newRequestId(): string {
  counter = (counter + 1) % 0x1000000;
  return `req_${prefix}${Date.now().toString(36)}${counter.toString(36).padStart(5, '0')}`;
}

/** Sets `requestId` and `startedAt` and echoes `x-request-id` on every response. */
export function requestId() {
  return createMiddleware<RelayEnv>(async (c, next) => {
    const id = newRequestId();
    c.set('requestId', id);
    c.set('startedAt', performance.now());
    c.header('x-request-id', id);
    await next();
  });
}
