import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export interface LocalTls {
  dir: string;
  /** the CA a client must trust (PEM) */
  ca: string;
  caPath: string;
  /** server certificate + CA, as Nginx wants it */
  fullchainPath: string;
  keyPath: string;
}

function openssl(args: string[], cwd: string): void {
  const r = spawnSync(process.env.TOLLGATE_OPENSSL ?? 'openssl', args, { cwd, encoding: 'utf8' });
  if (r.error || r.status !== 0)
    throw new Error(`openssl ${args[0]} failed: ${r.error?.message ?? ''}${r.stderr}`);
}

/**
 * A private CA and a server certificate signed by it for `hosts` (DNS names and IPs), written to `dir`
 * as fullchain.pem + privkey.pem (Nginx) and ca.pem (clients). Kept when they already exist, so a
 * restarted run keeps its certificate.
 */
export function localTls(dir: string, hosts: string[] = ['localhost', '127.0.0.1']): LocalTls {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const out: LocalTls = {
    dir,
    ca: '',
    caPath: join(dir, 'ca.pem'),
    fullchainPath: join(dir, 'fullchain.pem'),
    keyPath: join(dir, 'privkey.pem'),
  };
  if (!existsSync(out.fullchainPath) || !existsSync(out.keyPath) || !existsSync(out.caPath)) {
    const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
    openssl(
      [
        'req',
        '-x509',
        ...ec,
        '-keyout',
        'ca.key',
        '-out',
        'ca.pem',
        '-days',
        '825',
        '-subj',
        '/CN=Tollgate prodlike local CA',
        '-addext',
        'basicConstraints=critical,CA:TRUE',
        '-addext',
        'keyUsage=critical,keyCertSign,cRLSign',
      ],
      dir,
    );
    openssl(['req', ...ec, '-keyout', 'privkey.pem', '-out', 'server.csr', '-subj', `/CN=${hosts[0]}`], dir);
    const san = hosts.map((h) => (/^[\d.]+$|:/.test(h) ? `IP:${h}` : `DNS:${h}`)).join(',');
    writeFileSync(
      join(dir, 'server.ext'),
      `subjectAltName=${san}\nbasicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=serverAuth\n`,
    );
    openssl(
      [
        'x509',
        '-req',
        '-in',
        'server.csr',
        '-CA',
        'ca.pem',
        '-CAkey',
        'ca.key',
        '-CAcreateserial',
        '-out',
        'cert.pem',
        '-days',
        '825',
        '-extfile',
        'server.ext',
      ],
      dir,
    );
    writeFileSync(
      out.fullchainPath,
      readFileSync(join(dir, 'cert.pem'), 'utf8') + readFileSync(out.caPath, 'utf8'),
      { mode: 0o600 },
    );
  }
  out.ca = readFileSync(out.caPath, 'utf8');
  return out;
}
