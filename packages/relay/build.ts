/**
 * Builds the relay into one file with every dependency inside (`node:*` stays external):
 *
 *   node build.ts         → dist/tollgate-relay.mjs   (ESM; run with Node ≥ 24: `node tollgate-relay.mjs`)
 *   node build.ts --sea   → dist/tollgate-relay       (Node single executable application, no Node needed)
 *
 * The SEA path follows https://nodejs.org/api/single-executable-applications.html: a CommonJS bundle,
 * `node --experimental-sea-config` writes the blob, a copy of this Node binary gets it injected with
 * postject (its API; the package has no types). Node 24.21 has no `--build-sea` yet.
 */
import { execFileSync } from 'node:child_process';
import { chmodSync, copyFileSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { type BuildOptions, build, type Plugin } from 'esbuild';

type Inject = (file: string, resource: string, data: Buffer, o: { sentinelFuse: string }) => Promise<void>;
const { inject } = createRequire(import.meta.url)('postject') as { inject: Inject };

const here = import.meta.dirname;
const dist = join(here, 'dist');
const sea = process.argv.includes('--sea');

/** Options both outputs share: everything bundled, Node built-ins left to the runtime. */
const common: BuildOptions = {
  entryPoints: [join(here, 'src/main.ts')],
  bundle: true,
  platform: 'node',
  target: 'node24',
  // platform 'node' already leaves bare built-in names ('events', 'crypto') of CommonJS dependencies out
  external: ['node:*'],
  minifySyntax: true,
  minifyWhitespace: true,
  // the licence notices of the bundled packages, at the end of the one file
  legalComments: 'eof',
  logLevel: 'warning',
};

/**
 * A SEA main script is CommonJS (Node 24 has no `mainFormat: "module"`), and CommonJS has no top-level
 * await. main.ts ends with `await main();`, which has nothing after it: in this build only, it becomes
 * `main()` with the same crash-on-rejection behaviour. Fails the build if main.ts no longer ends that way.
 */
const noTopLevelAwait: Plugin = {
  name: 'no-top-level-await',
  setup(b) {
    const entry = join(here, 'src/main.ts');
    b.onLoad({ filter: /[\\/]src[\\/]main\.ts$/ }, (args) => {
      if (args.path !== entry) return undefined;
      const source = readFileSync(entry, 'utf8');
      const tail = /^await main\(\);\s*$/m;
      if (!tail.test(source)) throw new Error('src/main.ts no longer ends with `await main();`');
      const contents = source.replace(
        tail,
        'main().catch((err) => { console.error(err); process.exit(1); });\n',
      );
      return { contents, loader: 'ts' };
    });
  },
};

mkdirSync(dist, { recursive: true });

if (!sea) {
  const outfile = join(dist, 'tollgate-relay.mjs');
  await build({
    ...common,
    format: 'esm',
    outfile,
    // CommonJS dependencies (mysql2, ioredis, pino) call require() on built-ins; an ESM bundle has none
    banner: {
      js: "import { createRequire as __tgCreateRequire } from 'node:module';\nconst require = __tgCreateRequire(import.meta.url);",
    },
  });
  console.log(`${outfile} ${(statSync(outfile).size / 1024).toFixed(0)} KiB`);
} else {
  const work = join(dist, 'sea');
  rmSync(work, { recursive: true, force: true });
  mkdirSync(work, { recursive: true });
  const bundle = join(work, 'tollgate-relay.cjs');
  await build({
    ...common,
    format: 'cjs',
    outfile: bundle,
    plugins: [noTopLevelAwait],
  });
  const blob = join(work, 'sea-prep.blob');
  const seaConfig = join(work, 'sea-config.json');
  writeFileSync(
    seaConfig,
    JSON.stringify({
      main: bundle,
      output: blob,
      disableExperimentalSEAWarning: true,
      useCodeCache: true,
      useSnapshot: false,
    }),
  );
  execFileSync(process.execPath, ['--experimental-sea-config', seaConfig], { stdio: 'inherit' });
  const binary = join(dist, 'tollgate-relay');
  rmSync(binary, { force: true });
  copyFileSync(process.execPath, binary);
  chmodSync(binary, 0o755);
  // debug symbols are ~17 MiB of the Node binary; stripping must happen before the blob goes in
  try {
    execFileSync('strip', [binary]);
  } catch {
    console.warn('strip is not available: the binary keeps its symbols');
  }
  await inject(binary, 'NODE_SEA_BLOB', readFileSync(blob), {
    sentinelFuse: 'NODE_SEA_FUSE_fce680ab2cc467b6e072b8b5df1996b2',
  });
  rmSync(work, { recursive: true, force: true });
  console.log(`${binary} ${(statSync(binary).size / 1024 / 1024).toFixed(1)} MiB`);
}
