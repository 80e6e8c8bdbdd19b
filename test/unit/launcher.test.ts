// bin/run.mjs runs the admin's commands from one bundle with V8's code cache beside it: a run that
// exits 0 without a cache leaves one, the next run uses it, a damaged cache is rejected (the run
// is the same) and made again, a failed run writes none, STR_CODE_CACHE=0 neither reads nor writes.
// Runs `inventory --list` (no host needed), each time with its own cache folder.
import test from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(fileURLToPath(new URL('.', import.meta.url)), '..', '..', '..');
const launcher = join(root, 'bin', 'run.mjs');

function run(cacheDir: string, args: string[], env: Record<string, string> = {}) {
  const r = spawnSync(process.execPath, [launcher, 'inventory', ...args], {
    cwd: cacheDir,
    encoding: 'utf8',
    env: { ...process.env, STR_TIMINGS: '1', STR_CODE_CACHE_DIR: cacheDir, NO_COLOR: '1', ...env },
  });
  const state = /exit \(code cache: (\w+)\)/.exec(r.stderr)?.[1];
  return { code: r.status, stdout: r.stdout, state };
}

test('the bundle runs with V8 code cache: made by a run that exits 0, used by the next, remade when damaged', () => {
  const dir = mkdtempSync(join(tmpdir(), 'str-launcher-'));
  try {
    const inv = join(dir, 'hosts.ini');
    writeFileSync(inv, '[mailservers]\nmailserver ansible_host=192.0.2.10\n[laptops]\nlaptop1\n');
    const cache = join(dir, 'commands.cjs.inventory.v8cache');
    const first = run(dir, ['-i', inv, '--list']);
    assert.equal(first.code, 0);
    assert.equal(first.state, 'none');
    assert.ok(existsSync(cache), 'a cache after a run that exited 0');
    const second = run(dir, ['-i', inv, '--list']);
    assert.equal(second.state, 'used');
    assert.equal(second.stdout, first.stdout);

    writeFileSync(cache, Buffer.alloc(readFileSync(cache).length, 7));
    const damaged = run(dir, ['-i', inv, '--list']);
    assert.equal(damaged.state, 'rejected');
    assert.equal(damaged.stdout, first.stdout, 'the same run with a damaged cache');
    assert.equal(run(dir, ['-i', inv, '--list']).state, 'used', 'made again');

    rmSync(cache);
    const failed = run(dir, ['-i', join(dir, 'missing.ini'), '--list']);
    assert.notEqual(failed.code, 0);
    assert.ok(!existsSync(cache), 'a failed run writes no cache');

    const off = run(dir, ['-i', inv, '--list'], { STR_CODE_CACHE: '0' });
    assert.equal(off.code, 0);
    assert.equal(off.state, 'off');
    assert.ok(!existsSync(cache));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('the bundle is ASCII only: one byte a character (a single non-ASCII byte makes V8 hold the whole 1 MB source as a two-byte string)', () => {
  const bundle = readFileSync(join(root, 'dist', 'bundle', 'commands.cjs'));
  const at = bundle.findIndex((b) => b > 0x7f);
  assert.equal(at, -1, `non-ASCII byte at offset ${at}: ${bundle.subarray(Math.max(0, at - 60), at + 20).toString('utf8')}`);
});
