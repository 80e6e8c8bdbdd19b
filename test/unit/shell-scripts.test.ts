// Every shell script the tool sends to hosts (lib/sh/*.sh for the engine, files/*.sh for the roles)
// parses with sh -n and passes shellcheck as POSIX sh. Under CI=true a missing shellcheck fails.
import test from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';

const root = fileURLToPath(new URL('../../../', import.meta.url));
const scripts = ['lib/sh', 'files']
  .filter((d) => existsSync(join(root, d)))
  .flatMap((d) => readdirSync(join(root, d)).filter((f) => f.endsWith('.sh')).map((f) => join(d, f)));

test('there are shell scripts to check', () => {
  for (const f of ['lib/sh/read.sh', 'lib/sh/lock-read.sh', 'files/smtp-probe.sh', 'files/safe-make.sh']) assert.ok(scripts.includes(f), `${f} in ${scripts.join(' ')}`);
});

const haveShellcheck = spawnSync('sh', ['-c', 'command -v shellcheck']).status === 0;
for (const s of scripts) {
  // POSIX sh unless the script says bash in its first line
  const shell = readFileSync(join(root, s), 'utf8').startsWith('#!/bin/bash') ? 'bash' : 'sh';
  test(`${s}: ${shell} -n`, () => {
    const r = spawnSync(shell, ['-n', join(root, s)], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
  });
  test(`${s}: shellcheck -s ${shell}`, { skip: !haveShellcheck && process.env.CI !== 'true' ? 'shellcheck is not installed (apt-get install shellcheck)' : false }, () => {
    const r = spawnSync('shellcheck', ['-s', shell, '-S', 'style', join(root, s)], { encoding: 'utf8' });
    assert.equal(r.error, undefined, 'shellcheck is not installed (apt-get install shellcheck)');
    assert.equal(r.status, 0, r.stdout + r.stderr);
  });
}

// the engine's writer is perl (lib/sh/write.pl says why): it compiles with perl -c, with warnings
// and strict on, and uses only modules of Debian's perl-base (Essential: on every host)
test('lib/sh/write.pl: perl -c, only perl-base modules', () => {
  const f = join(root, 'lib/sh/write.pl');
  const r = spawnSync('perl', ['-c', f], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stderr, /syntax OK/);
  const used = [...readFileSync(f, 'utf8').matchAll(/^use ([\w:]+)/gm)].map((m) => m[1]);
  assert.deepEqual(used.sort(), ['Fcntl', 'IO::Handle', 'strict', 'warnings']);
});
