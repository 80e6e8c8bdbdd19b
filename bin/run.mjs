#!/usr/bin/env node
// Launcher for the npm scripts: rebuilds dist/ with tsc when a source is newer than the last build,
// then runs dist/scripts/<name>.js. The check is a few stat calls, so a no-change run pays ~nothing
// for TypeScript (see README, "How the TypeScript runs").
import { readdirSync, readFileSync, rmSync, statSync, existsSync, writeFileSync, utimesSync, mkdirSync, renameSync } from 'node:fs';
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

// The commands an admin runs, bundled by esbuild into one CommonJS file, dist/bundle/commands.cjs,
// from the JavaScript tsc just wrote. Node 20 spends about 0.2 s opening, resolving and compiling
// the ~200 module files of dist/ and node_modules/ one by one (yaml alone is 73 files) before a
// run's first connection; one bundle loads in about a third of that. And Node 20 has no compile
// cache (module.enableCompileCache came with Node 22), so each run compiled the bundle and every
// function it ran again: the launcher keeps V8's own code cache beside it (runBundled, below).
// CommonJS because only a vm.Script takes and makes V8's cached data (vm's ES modules are
// experimental). tsc stays the build that checks the types and the one the tests import; the
// bundle is made from its output, never from the sources, and is remade whenever dist/ is (the
// folder is emptied first, so no stale bundle or cache survives). dist/bundle/ sits two levels
// below the checkout like dist/roles/, so files/ and lib/sh/ are found at the same relative place
// (import.meta.url is the bundle's own URL). The dev tools (lab, demo, bench) run unbundled.
export const BUNDLED = ['deploy', 'pair', 'unpair', 'status', 'verify', 'inventory'];
const bundleDir = join(dist, 'bundle');
const bundleFile = join(bundleDir, 'commands.cjs');

async function bundle() {
  rmSync(bundleDir, { recursive: true, force: true });
  const { build: esbuild } = await import('esbuild');
  await esbuild({
    // one entry: each command's module, evaluated only when that command runs
    stdin: {
      contents: `module.exports = {\n${BUNDLED.map((n) => `  ${JSON.stringify(n)}: () => import(${JSON.stringify(`./${n}.js`)}),`).join('\n')}\n};\n`,
      resolveDir: join(dist, 'scripts'),
      sourcefile: 'commands.js',
    },
    outfile: bundleFile,
    bundle: true,
    format: 'cjs',
    platform: 'node',
    target: 'node20',
    // optional native parts of ssh2: loaded at run time from node_modules when present
    external: ['cpu-features', '*.node'],
    define: { 'import.meta.url': '__str_import_meta_url' },
    banner: { js: "var __str_import_meta_url = require('node:url').pathToFileURL(__filename).href;" },
    logLevel: 'error',
    // no comments or indentation: a third less to read, and no comment's "→" that made the whole
    // source a two-byte string (slower to decode, and twice the bytes for V8): 1.58 MB with three
    // non-ASCII bytes → 1.06 MB of ASCII; reading + compiling it with the code cache took ~65 ms,
    // now ~40 ms. Names stay (errors and DEBUG stacks still name the functions).
    minifyWhitespace: true,
  });
}

/**
 * Run a bundled command with V8's code cache: the bundle is compiled as a vm.Script with the cached
 * data a run before left (commands.cjs.NAME.v8cache, one per command: each runs its own functions).
 * A run that finds none, or finds it rejected (another Node or V8 flags, or a damaged file: V8
 * checks the source, its own version and the data's checksum), writes it at exit once it has run,
 * so the cache holds every function that run compiled, not only the top level. Only a run that
 * exits 0 writes it, and not --help (bad input and help texts run little of the code). The cache
 * holds V8's compiled code of the bundle's source, never a value of the run (no inventory, host
 * file or secret). Written to a temp file and renamed; a folder that cannot be written only means
 * no cache. STR_CODE_CACHE=0 turns it off (to compare).
 */
async function runBundled(name, args) {
  const vm = await import('node:vm');
  const { createRequire, Module } = await import('node:module');
  const useCache = process.env.STR_CODE_CACHE !== '0';
  // STR_CODE_CACHE_DIR: another folder for the cache (the launcher's test uses its own)
  const cacheFile = join(process.env.STR_CODE_CACHE_DIR || bundleDir, `commands.cjs.${name}.v8cache`);
  let cachedData;
  if (useCache) {
    try {
      cachedData = readFileSync(cacheFile);
    } catch {
      /* none yet */
    }
  }
  const script = new vm.Script(Module.wrap(readFileSync(bundleFile, 'utf8')), {
    filename: bundleFile,
    cachedData,
    importModuleDynamically: vm.constants?.USE_MAIN_CONTEXT_DEFAULT_LOADER,
  });
  // what STR_TIMINGS=1 reports (lib/timings.ts)
  globalThis.__strCodeCache = !useCache ? 'off' : !cachedData ? 'none' : script.cachedDataRejected ? 'rejected' : 'used';
  const thin = args.some((a) => a === '-h' || a === '--help'); // a help text runs next to nothing
  if (useCache && !thin && (!cachedData || script.cachedDataRejected)) {
    process.on('exit', (code) => {
      if (code !== 0) return;
      const tmp = `${cacheFile}.${process.pid}.tmp`;
      try {
        writeFileSync(tmp, script.createCachedData());
        renameSync(tmp, cacheFile);
      } catch {
        rmSync(tmp, { force: true });
      }
    });
  }
  const module = { exports: {} };
  script.runInThisContext().call(module.exports, module.exports, createRequire(bundleFile), module, bundleFile, bundleDir);
  process.argv = [process.argv[0], bundleFile, ...args];
  await module.exports[name]();
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

if (BUNDLED.includes(name) && existsSync(bundleFile)) {
  await runBundled(name, rest);
} else {
  process.argv = [process.argv[0], join(dist, 'scripts', `${name}.js`), ...rest];
  await import(pathToFileURL(process.argv[1]).href);
}
