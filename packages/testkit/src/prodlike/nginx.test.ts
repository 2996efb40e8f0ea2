import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { inspectNginx, nginxMainConf, readNginxTemplate, renderNginxConf } from './nginx.ts';
import { localTls } from './tls.ts';

const template = readNginxTemplate();
const vm = {
  domain: 'api.example.com',
  relays: ['127.0.0.1:3000', '127.0.0.1:3010'],
  site: '127.0.0.1:3001',
};

describe('the Nginx template rendered for a VM', () => {
  it('points the relay pool at every relay with the template’s failure parameters', () => {
    // the directives (the template's comments name the lines it renders)
    const conf = renderNginxConf(template, vm)
      .split('\n')
      .filter((l) => !l.trim().startsWith('#'))
      .join('\n');
    expect(conf).toContain('server 127.0.0.1:3000 max_fails=2 fail_timeout=5s;');
    expect(conf).toContain('server 127.0.0.1:3010 max_fails=2 fail_timeout=5s;');
    expect(conf).toContain('server 127.0.0.1:3001;');
    expect(conf).not.toMatch(/server (relay|site):/);
    expect(conf).toContain('server_name api.example.com;');
    expect(conf).not.toContain('DOMAIN');
    // everything else is the template's: SSE, timeouts, retries of requests that never reached a relay
    for (const line of [
      'proxy_buffering off;',
      'proxy_read_timeout 600s;',
      'proxy_next_upstream error timeout http_502 http_503;',
      'return 301 https://$host$request_uri;',
      'ssl_certificate     /etc/nginx/tls/fullchain.pem;',
      'listen 443 ssl;',
      'http2 on;',
    ])
      expect(conf).toContain(line);
    // a POST already sent to a relay is never replayed on another (double billing)
    expect(conf).not.toContain('non_idempotent');
  });

  it('writes HTTP/2 the way older Nginx (Debian 12: 1.22) wants it, and moves ports and TLS files', () => {
    const conf = renderNginxConf(template, {
      ...vm,
      http2: 'listen',
      httpListen: '127.0.0.1:8080',
      httpsListen: '127.0.0.1:8443',
      httpsPublicPort: 8443,
      tlsDir: '/srv/tls/',
    });
    expect(conf).toContain('listen 127.0.0.1:8443 ssl http2;');
    expect(conf).not.toContain('http2 on;');
    expect(conf).toContain('listen 127.0.0.1:8080;');
    expect(conf).toContain('return 301 https://$host:8443$request_uri;');
    expect(conf).toContain('ssl_certificate_key /srv/tls/privkey.pem;');
    expect(renderNginxConf(template, { ...vm, http2: 'off' })).not.toMatch(/http2/);
  });

  it('fails loudly when the template no longer has a line it renders', () => {
    expect(() => renderNginxConf(template.replaceAll('server relay:3000', 'server relays:3000'), vm)).toThrow(
      /cannot find .*relay:3000/,
    );
    expect(() => renderNginxConf(template, { ...vm, relays: [] })).toThrow(/at least one relay/);
  });

  const nginx = existsSync('/usr/sbin/nginx') || process.env.TOLLGATE_NGINX;
  const dir = mkdtempSync(join(tmpdir(), 'tollgate-nginx-t-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it.runIf(nginx)('the rendered configuration passes `nginx -t` on this machine’s Nginx', () => {
    const bin = inspectNginx();
    const tls = localTls(join(dir, 'tls'));
    for (const d of ['logs', 'temp']) mkdirSync(join(dir, d));
    writeFileSync(
      join(dir, 'tollgate.conf'),
      renderNginxConf(template, {
        ...vm,
        httpListen: '127.0.0.1:18080',
        httpsListen: '127.0.0.1:18443',
        tlsDir: tls.dir,
        http2: bin.http2,
      }),
    );
    writeFileSync(join(dir, 'nginx.conf'), nginxMainConf(dir, join(dir, 'tollgate.conf')));
    const r = spawnSync(
      bin.path,
      ['-t', '-p', dir, '-c', join(dir, 'nginx.conf'), '-e', join(dir, 'logs/error.log')],
      { encoding: 'utf8' },
    );
    expect(r.stderr).toContain('test is successful');
    expect(r.status).toBe(0);
  });
});
