#!/usr/bin/env node
// Launcher for the npm scripts: rebuilds dist/ with tsc when a source is newer than the last build,
// then runs dist/scripts/<name>.js. The check is a few stat calls, so a no-change run pays ~nothing
// for TypeScript (see README, "How the TypeScript runs").
import { readdirSync, statSync, existsSync, writeFileSync, utimesSync, mkdirSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { spawnSync } from 'node:child_process';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const stamp = join(root, 'dist', '.build-stamp');
const [name, ...rest] = process.argv.slice(2);
if (!name) {
  console.error('usage: node bin/run.mjs <script> [args...]');
  process.exit(2);
}

function newestSource(dir) {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (entry.name === 'node_modules' || entry.name === 'dist' || entry.name.startsWith('.')) continue;
    const p = join(dir, entry.name);
    if (entry.isDirectory()) newest = Math.max(newest, newestSource(p));
    else if (entry.name.endsWith('.ts')) newest = Math.max(newest, statSync(p).mtimeMs);
  }
  return newest;
}

const forced = name === '--build';
const built = existsSync(stamp) ? statSync(stamp).mtimeMs : 0;
let stale = forced || built === 0;
if (!stale) {
  for (const d of ['scripts', 'roles', 'lib', 'test', 'bench', 'lab']) {
    const p = join(root, d);
    if (existsSync(p) && newestSource(p) > built) { stale = true; break; }
  }
  if (!stale && statSync(join(root, 'tsconfig.json')).mtimeMs > built) stale = true;
}
if (stale) {
  const started = new Date();
  const tsc = join(root, 'node_modules', 'typescript', 'bin', 'tsc');
  const r = spawnSync(process.execPath, [tsc, '-p', root], { stdio: 'inherit' });
  if (r.status !== 0) {
    console.error('build failed: fix the TypeScript errors above (npm run build)');
    process.exit(r.status ?? 1);
  }
  mkdirSync(dirname(stamp), { recursive: true });
  writeFileSync(stamp, '');
  utimesSync(stamp, started, started);
}
if (forced) process.exit(0);

process.argv = [process.argv[0], join(root, 'dist', 'scripts', `${name}.js`), ...rest];
await import(pathToFileURL(process.argv[1]).href);
