// The entry points' inventory flags, run as an admin runs them but with --list-hosts (no host is
// contacted): -i several times, folders, ansible.cfg's inventory, --limit, and `npm run inventory`.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const run = promisify(execFile);
const root = fileURLToPath(new URL('../../../', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'str-cli-inv-'));
mkdirSync(join(dir, 'inv', 'group_vars'), { recursive: true });
writeFileSync(join(dir, 'inv', 'servers.yml'), 'mailservers:\n  hosts:\n    mail1:\n');
writeFileSync(join(dir, 'inv', 'laptops'), '[laptops]\nlaptop[1:3]\n[office]\nlaptop1\nlaptop2\n');
writeFileSync(join(dir, 'inv', 'group_vars', 'laptops.yml'), 'smarthost: mail1\n');
writeFileSync(join(dir, 'extra.ini'), '[laptops]\nlaptop9\n');
writeFileSync(join(dir, 'ansible.cfg'), '[defaults]\ninventory = ./inv\nforks = 4\n');

async function cli(script: string, args: string[], env: Record<string, string> = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const r = await run(process.execPath, [join(root, 'dist', 'scripts', `${script}.js`), ...args], {
      cwd: dir,
      env: { ...process.env, INVENTORY: '', ANSIBLE_CONFIG: join(dir, 'none.cfg'), NO_COLOR: '1', ...env },
    });
    return { code: 0, stdout: r.stdout, stderr: r.stderr };
  } catch (e) {
    const x = e as { code: number; stdout: string; stderr: string };
    return { code: x.code, stdout: x.stdout, stderr: x.stderr };
  }
}
const hostsOf = (out: string): string[] => out.split('\n').filter((l) => l.startsWith('    ')).map((l) => l.trim());

test('a folder inventory and --limit: deploy --list-hosts names the matching hosts, servers first', async () => {
  const r = await cli('deploy', ['-i', join(dir, 'inv'), '--limit', 'office:mail*', '--list-hosts']);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout, '  hosts (3):\n    mail1\n    laptop1\n    laptop2\n');
});

test('--limit @FILE: the host names in a file (a retry file), with other patterns', async () => {
  writeFileSync(join(dir, 'retry'), 'laptop3\n\nlaptop1\n');
  const r = await cli('deploy', ['-i', join(dir, 'inv'), '--limit', `@${join(dir, 'retry')},mail1`, '--list-hosts']);
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual(hostsOf(r.stdout), ['mail1', 'laptop1', 'laptop3']);
  const bad = await cli('deploy', ['-i', join(dir, 'inv'), '--limit', '@nope', '--list-hosts']);
  assert.equal(bad.code, 1);
  assert.match(bad.stderr.trim(), /^error: --limit @nope: cannot read nope \(no such file\)$/);
});

test('-i twice: the inventories add up', async () => {
  const r = await cli('deploy', ['-i', join(dir, 'inv'), '-i', join(dir, 'extra.ini'), '--list-hosts']);
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual(hostsOf(r.stdout), ['mail1', 'laptop1', 'laptop2', 'laptop3', 'laptop9']);
});

test("ansible.cfg's inventory (relative to the file) is the default; -i and $INVENTORY win", async () => {
  const cfg = { ANSIBLE_CONFIG: join(dir, 'ansible.cfg') };
  assert.deepEqual(hostsOf((await cli('deploy', ['--list-hosts'], cfg)).stdout), ['mail1', 'laptop1', 'laptop2', 'laptop3']);
  const env = await cli('pair', ['--all', '--list-hosts'], { ...cfg, INVENTORY: join(dir, 'extra.ini') });
  assert.equal(env.code, 1, 'extra.ini alone has no server for laptop9');
  assert.match(env.stderr, /laptop 'laptop9' has no server/);
  assert.deepEqual(hostsOf((await cli('verify', ['-i', join(dir, 'inv'), 'laptop3', '--list-hosts'], cfg)).stdout), ['laptop3', 'mail1']);
});

test('pair --limit with no names pairs the laptops it matches; the server outside the limit is only read', async () => {
  const r = await cli('pair', ['-i', join(dir, 'inv'), '--limit', 'laptop*:!laptop2', '--list-hosts']);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout, '  hosts (2):\n    laptop1\n    laptop3\n  read from, not changed (1):\n    mail1\n');
});

test('npm run inventory: --list, --host and --graph; bad input is one line and exit 1', async () => {
  const list = await cli('inventory', ['-i', join(dir, 'inv'), '--list']);
  assert.equal(list.code, 0, list.stderr);
  const j = JSON.parse(list.stdout) as { laptops: { hosts: string[] }; _meta: { hostvars: Record<string, unknown> } };
  assert.deepEqual(j.laptops.hosts, ['laptop1', 'laptop2', 'laptop3']);
  assert.deepEqual(j._meta.hostvars['laptop2'], { smarthost: 'mail1' });
  assert.equal((await cli('inventory', ['-i', join(dir, 'inv'), '--host', 'laptop3'])).stdout, '{\n    "smarthost": "mail1"\n}\n');
  assert.match((await cli('inventory', ['-i', join(dir, 'inv'), '--graph', 'office'])).stdout, /^@office:\n {2}\|--laptop1\n {2}\|--laptop2\n$/);
  for (const [args, want] of [
    [['--host', 'nope'], /^error: --host 'nope' must name one host of the inventory \(it matches 0\)$/],
    [['--graph', 'nogroup'], /^error: --graph: 'nogroup' is not a group of the inventory$/],
    [['--list', '--graph'], /^error: give only one of --list, --host NAME, --graph$/],
  ] as const) {
    const r = await cli('inventory', ['-i', join(dir, 'inv'), ...args]);
    assert.equal(r.code, 1, r.stdout);
    assert.match(r.stderr.trim(), want);
  }
});
