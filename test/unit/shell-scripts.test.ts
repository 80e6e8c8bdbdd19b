// Every shell script the tool sends to hosts (lib/sh/*.sh for the engine, files/*.sh for the roles)
// parses with sh -n and passes shellcheck as POSIX sh. Under CI=true a missing shellcheck fails.
import test from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';

const root = fileURLToPath(new URL('../../../', import.meta.url));
const scripts = ['lib/sh', 'files']
  .filter((d) => existsSync(join(root, d)))
  .flatMap((d) => readdirSync(join(root, d)).filter((f) => f.endsWith('.sh')).map((f) => join(d, f)));

test('there are shell scripts to check', () => {
  assert.ok(scripts.includes('lib/sh/read.sh') && scripts.includes('lib/sh/write.sh') && scripts.includes('lib/sh/lock-read.sh'), scripts.join(' '));
});

const haveShellcheck = spawnSync('sh', ['-c', 'command -v shellcheck']).status === 0;
for (const s of scripts) {
  test(`${s}: sh -n`, () => {
    const r = spawnSync('sh', ['-n', join(root, s)], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
  });
  test(`${s}: shellcheck -s sh`, { skip: !haveShellcheck && process.env.CI !== 'true' ? 'shellcheck is not installed (apt-get install shellcheck)' : false }, () => {
    const r = spawnSync('shellcheck', ['-s', 'sh', '-S', 'style', join(root, s)], { encoding: 'utf8' });
    assert.equal(r.error, undefined, 'shellcheck is not installed (apt-get install shellcheck)');
    assert.equal(r.status, 0, r.stdout + r.stderr);
  });
}
