/**
 * The floor for a Node proxy, as `pnpm bench` compares the relay with it: node:http in, node:http out
 * over a keep-alive Agent, bytes piped both ways, nothing parsed or checked.
 *
 *   node packages/testkit/src/bench/baseline-proxy.ts --port 4100 --upstream http://127.0.0.1:4000
 *
 * Prints `baseline proxy listening on http://HOST:PORT`; stops on SIGTERM / SIGINT.
 */
import { Agent, createServer, request } from 'node:http';
import { parseArgs } from 'node:util';

const { values } = parseArgs({
  options: {
    port: { type: 'string', default: '4100' },
    host: { type: 'string', default: '127.0.0.1' },
    upstream: { type: 'string', default: 'http://127.0.0.1:4000' },
  },
  strict: true,
});
const upstream = new URL(values.upstream);
const agent = new Agent({ keepAlive: true, maxSockets: 256 });

const server = createServer({ keepAliveTimeout: 65_000 }, (req, res) => {
  const out = request(
    {
      hostname: upstream.hostname,
      port: upstream.port,
      method: req.method,
      path: req.url,
      headers: { ...req.headers, host: upstream.host },
      agent,
    },
    (up) => {
      res.writeHead(up.statusCode ?? 502, up.headers);
      up.pipe(res);
    },
  );
  out.on('error', () => {
    if (!res.headersSent) res.writeHead(502);
    res.end();
  });
  req.pipe(out);
});
server.listen(Number(values.port), values.host, () => {
  process.stdout.write(`baseline proxy listening on http://${values.host}:${values.port}\n`);
});
const stop = () => {
  server.close(() => process.exit(0));
  server.closeAllConnections();
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
