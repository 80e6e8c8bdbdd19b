#!/usr/bin/env node
// Launcher for the npm scripts: rebuilds dist/ with tsc when a source is newer than the last build,
// then runs dist/scripts/<name>.js. The check is a few stat calls, so a no-change run pays ~nothing
// for TypeScript (see README, "How the TypeScript runs").
import { readdirSync, readFileSync, rmSync, statSync, existsSync, writeFileSync, utimesSync, mkdirSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { spawnSync } from 'node:child_process';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const dist = join(root, 'dist');
const [name, ...rest] = process.argv.slice(2);
if (!name) {
  console.error('usage: node bin/run.mjs <script> [args...] | --build | --build-tests');
  process.exit(2);
}

// Two builds into dist/: the product (tsconfig.json: scripts, roles, lib, lab, bench) and the tests
// (tsconfig.test.json: test/, which imports the product). Each keeps a stamp holding the list of its
// sources; a build is stale when a source is newer than the stamp or the list changed (a file added,
// deleted or renamed). After tsc, every .js whose .ts is gone is deleted, so a deleted or renamed .ts
// never leaves its old .js behind (tsc alone never deletes output), and a run that starts meanwhile
// never finds the output folder empty.
const BUILDS = {
  product: { tsconfig: 'tsconfig.json', dirs: ['scripts', 'roles', 'lib', 'lab', 'bench'], stamp: join(dist, '.build-stamp') },
  tests: { tsconfig: 'tsconfig.test.json', dirs: ['test'], stamp: join(dist, 'test', '.build-stamp') },
};

function sources(dir, out) {
  if (!existsSync(dir)) return out;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (entry.name === 'node_modules' || entry.name === 'dist' || entry.name.startsWith('.')) continue;
    const p = join(dir, entry.name);
    if (entry.isDirectory()) sources(p, out);
    else if (entry.name.endsWith('.ts')) out.push([p, statSync(p).mtimeMs]);
  }
  return out;
}

/** Delete compiled files under dir whose source is not in `live` (paths relative to the checkout). */
function removeGhosts(dir, live) {
  if (!existsSync(dir)) return;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, entry.name);
    if (entry.isDirectory()) {
      removeGhosts(p, live);
      if (!readdirSync(p).length) rmSync(p, { recursive: true, force: true });
    } else if (entry.name.endsWith('.js') && !live.has(p.slice(dist.length + 1))) {
      rmSync(p, { force: true });
    }
  }
}

// The commands an admin runs, each bundled by esbuild into one file under dist/bundle/ (shared code
// in chunks beside them), from the JavaScript tsc just wrote. Node 20 spends about 0.2 s opening,
// resolving and compiling the ~200 module files of dist/ and node_modules/ one by one (yaml alone
// is 73 files) before a run's first connection; one bundle loads in about a third of that (README,
// "How the TypeScript runs"; issue 15's figures). tsc stays the build that checks the types and
// the one the tests import; the bundle is made from its output, never from the sources, and is
// remade whenever dist/ is (the folder is emptied first, so no stale chunk survives).
// dist/bundle/ sits two levels below the checkout like dist/roles/, so files/ and lib/sh/ are found
// at the same relative place. The dev tools (lab, demo, bench) run unbundled.
export const BUNDLED = ['deploy', 'pair', 'unpair', 'status', 'verify', 'inventory'];
const bundleDir = join(dist, 'bundle');

async function bundle() {
  rmSync(bundleDir, { recursive: true, force: true });
  const { build: esbuild } = await import('esbuild');
  await esbuild({
    entryPoints: Object.fromEntries(BUNDLED.map((n) => [n, join(dist, 'scripts', `${n}.js`)])),
    outdir: bundleDir,
    outExtension: { '.js': '.mjs' },
    bundle: true,
    splitting: true,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    // optional native parts of ssh2: loaded at run time from node_modules when present
    external: ['cpu-features', '*.node'],
    // CommonJS packages (ssh2, node-forge…) inside an ES module want require and __dirname
    banner: {
      js:
        "import { createRequire as __str_cr } from 'node:module'; import { fileURLToPath as __str_fu } from 'node:url'; " +
        "import { dirname as __str_dn } from 'node:path'; const require = __str_cr(import.meta.url); " +
        'const __filename = __str_fu(import.meta.url); const __dirname = __str_dn(__filename);',
    },
    logLevel: 'error',
  });
}

async function build(which, force) {
  const b = BUILDS[which];
  const files = [];
  for (const d of b.dirs) sources(join(root, d), files);
  const list = files.map(([p]) => p.slice(root.length + 1)).sort().join('\n') + '\n';
  const built = existsSync(b.stamp) ? statSync(b.stamp).mtimeMs : 0;
  const stale =
    force ||
    built === 0 ||
    readFileSync(b.stamp, 'utf8') !== list ||
    files.some(([, m]) => m > built) ||
    statSync(join(root, b.tsconfig)).mtimeMs > built ||
    (which === 'tests' && statSync(BUILDS.product.stamp).mtimeMs > built);
  if (!stale) return;
  const started = new Date();
  const tsc = join(root, 'node_modules', 'typescript', 'bin', 'tsc');
  const r = spawnSync(process.execPath, [tsc, '-p', join(root, b.tsconfig)], { stdio: 'inherit' });
  if (r.status !== 0) {
    console.error('build failed: fix the TypeScript errors above (npm run build)');
    process.exit(r.status ?? 1);
  }
  const live = new Set(files.map(([p]) => p.slice(root.length + 1).replace(/\.ts$/, '.js')));
  for (const d of b.dirs) removeGhosts(join(dist, d), live);
  if (which === 'product') await bundle();
  mkdirSync(dirname(b.stamp), { recursive: true });
  writeFileSync(b.stamp, list);
  utimesSync(b.stamp, started, started);
}

await build('product', name === '--build');
if (name === '--build-tests') await build('tests', false);
if (name === '--build' || name === '--build-tests') process.exit(0);

const bundled = join(bundleDir, `${name}.mjs`);
process.argv = [process.argv[0], BUNDLED.includes(name) && existsSync(bundled) ? bundled : join(dist, 'scripts', `${name}.js`), ...rest];
await import(pathToFileURL(process.argv[1]).href);
