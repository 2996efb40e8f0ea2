import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { SMTPServer } from 'smtp-server';

/** One request a local receiver got. */
export interface Received {
  method: string;
  path: string;
  query: URLSearchParams;
  headers: IncomingMessage['headers'];
  raw: string;
  json: unknown;
  at: number;
}

/** A local HTTP endpoint standing in for a webhook or a chat service. */
export interface HttpReceiver {
  url: string;
  received: Received[];
  /** statuses to answer with next, in order (then 200 with `okBody`) */
  failNext(...statuses: number[]): void;
  /** the body of a 200 (the chat APIs answer with an error code inside a 200) */
  okBody: string;
  /** delay before answering (ms) */
  delayMs: number;
  waitFor(n: number, ms?: number): Promise<Received[]>;
  close(): Promise<void>;
}

async function waitUntil(cond: () => boolean, ms: number, what: string) {
  const start = Date.now();
  while (!cond()) {
    if (Date.now() - start > ms) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

export async function startHttpReceiver(okBody = '{"ok":true,"code":0,"errcode":0}'): Promise<HttpReceiver> {
  const received: Received[] = [];
  const queue: number[] = [];
  const self: HttpReceiver = {
    url: '',
    received,
    okBody,
    delayMs: 0,
    failNext: (...s) => queue.push(...s),
    waitFor: async (n, ms = 10_000) => {
      await waitUntil(() => received.length >= n, ms, `${n} requests`);
      return received;
    },
    close: () => new Promise((r) => server.close(() => r())),
  };
  const server: Server = createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const raw = Buffer.concat(chunks).toString('utf8');
    const url = new URL(req.url ?? '/', 'http://x');
    let json: unknown;
    try {
      json = JSON.parse(raw);
    } catch {
      json = undefined;
    }
    received.push({
      method: req.method ?? '',
      path: url.pathname,
      query: url.searchParams,
      headers: req.headers,
      raw,
      json,
      at: Date.now(),
    });
    if (self.delayMs) await new Promise((r) => setTimeout(r, self.delayMs));
    const status = queue.shift() ?? 200;
    res.writeHead(status, { 'content-type': 'application/json' });
    res.end(status === 200 ? self.okBody : '{"error":"boom"}');
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  self.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return self;
}

/** A local SMTP server (no TLS, any login accepted) that keeps every message. */
export interface SmtpReceiver {
  port: number;
  messages: { from: string; to: string[]; raw: string; user?: string }[];
  /** answer the next N messages with a temporary failure (451) */
  failNext(n: number): void;
  waitFor(n: number, ms?: number): Promise<SmtpReceiver['messages']>;
  close(): Promise<void>;
}

export async function startSmtpReceiver(): Promise<SmtpReceiver> {
  const messages: SmtpReceiver['messages'] = [];
  let fail = 0;
  const server = new SMTPServer({
    secure: false,
    disabledCommands: ['STARTTLS'],
    authOptional: true,
    allowInsecureAuth: true,
    logger: false,
    onAuth(auth, _session, cb) {
      cb(null, { user: auth.username });
    },
    onData(stream, session, cb) {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => {
        if (fail > 0) {
          fail--;
          const err = new Error('try again later') as Error & { responseCode: number };
          err.responseCode = 451;
          cb(err);
          return;
        }
        messages.push({
          from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
          to: session.envelope.rcptTo.map((r) => r.address),
          raw: Buffer.concat(chunks).toString('utf8'),
          user: session.user as string | undefined,
        });
        cb();
      });
    },
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const port = (server.server.address() as AddressInfo).port;
  return {
    port,
    messages,
    failNext: (n) => {
      fail += n;
    },
    waitFor: async (n, ms = 10_000) => {
      await waitUntil(() => messages.length >= n, ms, `${n} e-mails`);
      return messages;
    },
    close: () => new Promise((r) => server.close(() => r())),
  };
}
