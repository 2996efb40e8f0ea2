/**
 * A fast fake OpenAI-compatible upstream on plain node:http, for the tests and benchmarks of Tollgate.
 * See README.md in this folder.
 */
import { randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { DEFAULT_BEHAVIOUR, FaultQueue, validateBehaviour } from './behaviour.ts';
import { createRequestListener } from './dispatch.ts';
import { DEFAULT_MODELS, modelsListJson } from './endpoints.ts';
import { Recorder } from './recorder.ts';
import type { ServerState } from './respond.ts';
import type { Behaviour, FakeUpstream, StartOptions } from './types.ts';

export { DEFAULT_BEHAVIOUR } from './behaviour.ts';
export { WORDS } from './content.ts';
export type {
  Behaviour,
  FakeUpstream,
  Fault,
  FaultKind,
  QueuedFault,
  RequestLogEntry,
  ServedEntry,
  StartOptions,
  StatusFault,
  Totals,
} from './types.ts';

function listen(server: Server, port: number, host: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const onError = (err: Error): void => reject(err);
    server.once('error', onError);
    server.listen({ port, host, backlog: 1024 }, () => {
      server.off('error', onError);
      resolve();
    });
  });
}

function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  });
}

/**
 * Starts a fake upstream. `port` 0 (default) picks a free port; `host` defaults to 127.0.0.1.
 * `defaults` is merged over DEFAULT_BEHAVIOUR (10 one-token chunks, no delays, no faults).
 */
export async function startFakeUpstream(opts: StartOptions = {}): Promise<FakeUpstream> {
  const initial: Behaviour = { ...DEFAULT_BEHAVIOUR, ...validateBehaviour(opts.defaults ?? {}) };
  const recorder = new Recorder(opts.maxLogEntries ?? 10_000);
  const state: ServerState = {
    behaviour: { ...initial },
    recorder,
    timers: new Set(),
    baseUrl: '',
    modelsJson: modelsListJson(opts.models ?? DEFAULT_MODELS),
    idPrefix: `fk${randomBytes(3).toString('hex')}`,
    seq: 0,
  };
  const faults = new FaultQueue();
  const server = createServer(
    // Long keep-alive so pooled proxy connections are not closed under them; no request timeout so
    // 'hang' really hangs.
    { keepAliveTimeout: 65_000, requestTimeout: 0 },
    createRequestListener(state, faults, opts.apiKey),
  );
  server.on('clientError', (_err, socket) => socket.destroy());
  const host = opts.host ?? '127.0.0.1';
  await listen(server, opts.port ?? 0, host);
  const port = (server.address() as AddressInfo).port;
  const urlHost = host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host.includes(':') ? `[${host}]` : host;
  const url = `http://${urlHost}:${port}`;
  state.baseUrl = url;
  let listening = true;
  let closed = false;

  return {
    url,
    port,
    requests: recorder.requests,
    served: recorder.served,
    get behaviour(): Behaviour {
      return { ...state.behaviour };
    },
    totals: () => recorder.totals(),
    reset(): void {
      recorder.clear();
      faults.clear();
    },
    setBehaviour(partial: Partial<Behaviour>): void {
      state.behaviour = { ...state.behaviour, ...validateBehaviour(partial) };
    },
    resetBehaviour(): void {
      state.behaviour = { ...initial };
    },
    queueFaults(list): void {
      faults.push(list);
    },
    pendingFaults: () => faults.size,
    async stopListening(): Promise<void> {
      if (!listening) return;
      listening = false;
      await closeServer(server);
    },
    async resumeListening(): Promise<void> {
      if (listening || closed) return;
      await listen(server, port, host);
      listening = true;
    },
    async close(): Promise<void> {
      if (closed) return;
      closed = true;
      for (const t of state.timers) clearTimeout(t);
      state.timers.clear();
      if (listening) {
        listening = false;
        await closeServer(server);
      }
    },
  };
}
