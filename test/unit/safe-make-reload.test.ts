// files/safe-make.sh reload: Debian's init script, sourced as a direct call would run it ($0, $1,
// its exit code, everything after its sleep), with its fixed `sleep N` ended as soon as the MTA's
// pid file is written again. A stand-in init script plays the daemon: it "restarts" (writes its pid
// file) a moment after it is signalled, and reports how long its sleep lasted. No root needed.
import test from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const safeMake = fileURLToPath(new URL('../../../files/safe-make.sh', import.meta.url));

/** A stand-in for /etc/init.d/sendmail: its MTAL_PIDFILE is written `restartMs` after its "HUP"
 *  (never when undefined); then `sleep SECONDS`, as Debian's reload_mta does, then more work. */
function standIn(dir: string, opts: { shebang?: string; restartMs?: number; sleep: number; exit: number }): string {
  const script = join(dir, 'sendmail');
  const restart = opts.restartMs === undefined ? '' : `( command sleep ${opts.restartMs / 1000}; echo 42 > "$MTAL_PIDFILE" ) &`;
  writeFileSync(
    script,
    `${opts.shebang ?? '#!/bin/sh'}
set -e
MTAL_PIDFILE=${dir}/sendmail.pid
echo "called as $0 $1"
${restart}
t0=$(date +%s%N)
sleep ${opts.sleep}
t1=$(date +%s%N)
echo "slept $(( (t1 - t0) / 1000000 )) ms"
echo "after the sleep"
exit ${opts.exit}
`,
  );
  chmodSync(script, 0o755);
  writeFileSync(join(dir, 'sendmail.pid'), '41\n'); // the daemon's pid file from before the reload
  return script;
}

/** fn in a fresh temporary folder, removed after. */
function inTempDir(fn: (dir: string) => void): void {
  const dir = mkdtempSync(join(tmpdir(), 'str-reload-'));
  try {
    fn(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function reload(script: string) {
  const r = spawnSync('sh', [safeMake, 'reload', script], { encoding: 'utf8' });
  const slept = Number(/slept (\d+) ms/.exec(r.stdout)?.[1]);
  return { ...r, slept };
}

test('safe-make reload: the init script runs as a direct call would, and its sleep ends when the daemon has restarted', () =>
  inTempDir((dir) => {
    const script = standIn(dir, { restartMs: 300, sleep: 2, exit: 7 });
    const r = reload(script);
    assert.equal(r.status, 7, r.stdout + r.stderr); // the script's own exit code
    assert.match(r.stdout, new RegExp(`^called as ${script} reload$`, 'm'));
    assert.match(r.stdout, /^after the sleep$/m);
    // not Debian's fixed 2 s: the wait ended once the pid file was written again (0.3 s), polled every 0.05 s
    assert.ok(r.slept >= 250 && r.slept < 1500, `slept ${r.slept} ms`);
  }));

test('safe-make reload: a daemon that does not restart gets the full sleep, never more', () =>
  inTempDir((dir) => {
    const r = reload(standIn(dir, { sleep: 1, exit: 0 }));
    assert.equal(r.status, 0, r.stdout + r.stderr);
    assert.ok(r.slept >= 950 && r.slept < 1900, `slept ${r.slept} ms`);
  }));

test('safe-make reload: each sleep waits for a restart of its own (a second sleep after one restart waits in full)', () =>
  inTempDir((dir) => {
    const script = join(dir, 'sendmail');
    // like start_mta with a split queue runner: the daemon starts once, then two sleeps
    writeFileSync(
      script,
      `#!/bin/sh
  set -e
  MTAL_PIDFILE=${dir}/sendmail.pid
  ( command sleep 0.2; echo 42 > "$MTAL_PIDFILE" ) &
  t0=$(date +%s%N); sleep 2; t1=$(date +%s%N); sleep 1; t2=$(date +%s%N)
  echo "first $(( (t1 - t0) / 1000000 )) second $(( (t2 - t1) / 1000000 ))"
  `,
    );
    chmodSync(script, 0o755);
    writeFileSync(join(dir, 'sendmail.pid'), '41\n');
    const r = spawnSync('sh', [safeMake, 'reload', script], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stdout + r.stderr);
    const [, first, second] = /first (\d+) second (\d+)/.exec(r.stdout)!.map(Number);
    assert.ok(first >= 150 && first < 1500, `first sleep ${first} ms`);
    assert.ok(second >= 950, `second sleep ${second} ms: no new restart, the full second`);
  }));

test('safe-make reload: an init script that is not a POSIX shell script is run as it is', () =>
  inTempDir((dir) => {
    const script = standIn(dir, { shebang: '#!/bin/bash', restartMs: 100, sleep: 1, exit: 0 });
    const r = reload(script);
    assert.equal(r.status, 0, r.stdout + r.stderr);
    assert.match(r.stdout, new RegExp(`^called as ${script} reload$`, 'm'));
    assert.ok(r.slept >= 950, `slept ${r.slept} ms: its own sleep, untouched`);
  }));

/** A stand-in init script that updates its databases as Debian's does (make_databases: `make all -s
 *  -C DIR >/dev/null`, called plainly under `set -e`, not from an AND-OR list), whose Makefile's
 *  `all` is never up to date and logs each recipe it runs, then "restarts" and sleeps. */
function standInWithMake(dir: string): string {
  writeFileSync(join(dir, 'Makefile'), 'all: FORCE\n\techo ran >> made.log\nFORCE:\n');
  const script = join(dir, 'sendmail');
  writeFileSync(
    script,
    `#!/bin/sh
set -e
MTAL_PIDFILE=${dir}/sendmail.pid
make_databases () {
  if test -f ${dir}/Makefile; then
    make all -s -C ${dir} >/dev/null;
  fi;
}
make_databases
echo "databases updated"
( command sleep 0.1; echo 42 > "$MTAL_PIDFILE" ) &
sleep 1
echo "MAKEFLAGS=\${MAKEFLAGS-unset}"
`,
  );
  chmodSync(script, 0o755);
  writeFileSync(join(dir, 'sendmail.pid'), '41\n');
  return script;
}

const made = (dir: string) => (existsSync(join(dir, 'made.log')) ? readFileSync(join(dir, 'made.log'), 'utf8') : '');

test('safe-make reload: a plain reload lets the init script update its databases with make, as Debian wrote it', () =>
  inTempDir((dir) => {
    const script = standInWithMake(dir);
    const r = spawnSync('sh', [safeMake, 'reload', script], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stdout + r.stderr);
    assert.equal(made(dir), 'ran\n', 'the script\'s make ran its recipe');
    assert.match(r.stdout, /^MAKEFLAGS=unset$/m);
  }));

test('safe-make reload built (build-reload): the script\'s own make all is a dry run of the build just made, and the reload goes on', () =>
  inTempDir((dir) => {
    const script = standInWithMake(dir);
    const r = spawnSync('sh', [safeMake, 'reload', script, 'built'], { encoding: 'utf8' });
    // a dry run exits 0: under the script's set -e, a plain make_databases call does not end it
    assert.equal(r.status, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /^databases updated$/m);
    assert.equal(made(dir), '', 'no recipe of the script\'s make ran');
    assert.match(r.stdout, /^MAKEFLAGS=n$/m);
    // and the sleep still ended with the restart
    assert.doesNotMatch(r.stderr, /./);
  }));
