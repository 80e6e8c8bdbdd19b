// The CLI's colours (zx's chalk): none under NO_COLOR, --no-color, --json or when the output is not
// a terminal; FORCE_COLOR=1 gives them where there is no terminal. Run as an admin runs it, against
// a host that refuses the connection at once (127.0.0.1 port 1): an `unreachable` line and the recap.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../../../', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'str-colour-'));
writeFileSync(join(dir, 'hosts.yml'), 'mailservers:\n  hosts:\n    mail1:\n      ansible_host: 127.0.0.1\n      ansible_port: 1\nlaptops:\n  hosts: {}\n');

function deploy(args: string[], env: Record<string, string | undefined>): Promise<{ code: number; out: string }> {
  const e: NodeJS.ProcessEnv = { ...process.env, INVENTORY: '', ANSIBLE_CONFIG: join(dir, 'none.cfg'), SSH_CONFIG: '/dev/null', ...env };
  for (const k of Object.keys(e)) if (e[k] === undefined) delete e[k];
  return new Promise((resolve) => {
    execFile(process.execPath, [join(root, 'dist', 'scripts', 'deploy.js'), '-i', join(dir, 'hosts.yml'), '--known-hosts', '/dev/null', ...args], { cwd: dir, env: e }, (err, stdout, stderr) =>
      resolve({ code: (err as { code?: number } | null)?.code ?? 0, out: stdout + stderr }),
    );
  });
}
// eslint-disable-next-line no-control-regex
const ESC = /\x1b\[[0-9;]*m/;

test('FORCE_COLOR=1 colours the report though it goes to a pipe; NO_COLOR, --no-color, --json and a pipe alone do not', async () => {
  const forced = await deploy([], { FORCE_COLOR: '1', NO_COLOR: undefined });
  assert.equal(forced.code, 4, forced.out);
  assert.match(forced.out, /\x1b\[31munreachable\x1b\[39m mail1: /);
  assert.match(forced.out, /\x1b\[1mRECAP\x1b\[22m/);
  for (const [name, args, env] of [
    ['NO_COLOR (over FORCE_COLOR too)', [], { FORCE_COLOR: '1', NO_COLOR: '1' }],
    ['--no-color', ['--no-color'], { FORCE_COLOR: '1', NO_COLOR: undefined }],
    ['--json', ['--json'], { FORCE_COLOR: '1', NO_COLOR: undefined }],
    ['a pipe', [], { FORCE_COLOR: undefined, NO_COLOR: undefined }],
  ] as Array<[string, string[], Record<string, string | undefined>]>) {
    const r = await deploy(args, env);
    assert.equal(r.code, 4, `${name}: ${r.out}`);
    assert.match(r.out, /unreachable/, name);
    assert.doesNotMatch(r.out, ESC, name);
  }
});
