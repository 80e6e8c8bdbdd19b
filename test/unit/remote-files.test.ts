// The read and write scripts are built as text (pure) and run here with the local /bin/sh (dash on
// Debian, as on the hosts) in a temp folder: what they read must parse back exactly, what they
// write must land atomically with owner, mode and a backup.
import test from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync, readFileSync, statSync, readdirSync, chmodSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { parseReadOutput, readScript, writeScript, backupStamp, ReadRaceError } from '../../lib/remote-files.js';
import { shq, shJoin } from '../../lib/shell.js';

const sh = (script: string, stdin: string | Buffer = '') => {
  const r = spawnSync('/bin/sh', ['-c', script], { input: stdin, encoding: 'utf8' });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
};

/** The same, stdout as bytes (a read sends files' bytes as they are). */
const shb = (script: string) => {
  const r = spawnSync('/bin/sh', ['-c', script]);
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr.toString('utf8') };
};

const hostile = ['plain', 'with space', "it's", '$(touch /tmp/pwned-shq)', '`id`', 'a;b', 'new\nline', '"dq"', '', '\\back', '*', '-n', 'ümlaut', "'"];

test('shq: every hostile value comes back byte for byte through sh', () => {
  for (const v of hostile) {
    const r = sh(`printf '%s' ${shq(v)}`);
    assert.equal(r.stdout, v, `value ${JSON.stringify(v)}`);
  }
  assert.equal(sh(`printf '%s|' ${shJoin(hostile)}`).stdout, hostile.map((v) => v + '|').join(''));
});

test('shq leaves plain words bare and quotes the rest', () => {
  const cases: Array<[string, string]> = [
    ['abc', 'abc'],
    ['/etc/mail/sendmail.mc', '/etc/mail/sendmail.mc'],
    ['a b', "'a b'"],
    ["a'b", `'a'\\''b'`],
    ['', "''"],
  ];
  for (const [input, want] of cases) assert.equal(shq(input), want);
});

test('readScript + parseReadOutput: content, digest-only, missing files and probes', () => {
  const dir = mkdtempSync(join(tmpdir(), 'str-read-'));
  try {
    const text = 'line one\nzwei: ü\n';
    writeFileSync(join(dir, 'a file'), text);
    chmodSync(join(dir, 'a file'), 0o640);
    writeFileSync(join(dir, 'secret.key'), 'KEY BODY');
    const files = [{ path: join(dir, 'a file') }, { path: join(dir, 'secret.key'), digestOnly: true }, { path: join(dir, 'missing') }];
    const probes = { hello: 'echo hi; echo there', fails: 'echo out; exit 3' };
    const r = shb(readScript(files, probes));
    assert.equal(r.code, 0, r.stderr);
    const got = parseReadOutput(r.stdout, files, probes);
    assert.equal(got.files[0].content!.toString('utf8'), text);
    assert.equal(got.files[0].mode, 0o640);
    assert.equal(got.files[0].exists, true);
    assert.equal(got.files[1].content, undefined, 'digest-only read carries no content');
    assert.equal(got.files[1].sha256, execFileSync('sha256sum', [join(dir, 'secret.key')], { encoding: 'utf8' }).slice(0, 64));
    assert.ok(!r.stdout.includes('KEY BODY') && !r.stdout.includes(Buffer.from('KEY BODY').toString('base64')));
    assert.equal(got.files[0].size, Buffer.byteLength(text));
    assert.equal(got.files[2].exists, false);
    assert.deepEqual(got.probes.hello, { code: 0, stdout: 'hi\nthere', stderr: '' });
    assert.equal(got.probes.fails.code, 3);
    assert.equal(got.probes.fails.stdout, 'out');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('readScript batches a host\'s files: one raw section for every content, split by size; odd names, empty and binary files, contents that look like the frame', () => {
  const dir = mkdtempSync(join(tmpdir(), 'str-read-'));
  try {
    const bin = Buffer.from(Array.from({ length: 256 }, (_, i) => i));
    // what a file could hold to confuse the parser: the frame's own lines, with another nonce
    const lookalike = '\n@R 0123456789abcdef\n@Z ok\n@Z fail\n@S 0\n@F 0 0\n\n@N 0123456789abcdef\n';
    writeFileSync(join(dir, "it's a file"), 'first\n');
    writeFileSync(join(dir, 'empty'), '');
    writeFileSync(join(dir, 'bin'), bin);
    writeFileSync(join(dir, 'k1'), 'secret-one');
    writeFileSync(join(dir, 'k2'), 'secret-two');
    writeFileSync(join(dir, 'frame'), lookalike);
    writeFileSync(join(dir, 'no newline'), 'last');
    const files = [
      { path: join(dir, "it's a file") },
      { path: join(dir, 'k1'), digestOnly: true },
      { path: join(dir, 'missing') },
      { path: join(dir, 'empty') },
      { path: join(dir, 'frame') },
      { path: join(dir, 'k2'), digestOnly: true },
      { path: join(dir, 'bin') },
      { path: join(dir, 'no newline') },
    ];
    const r = shb(readScript(files));
    assert.equal(r.code, 0, r.stderr);
    const text = r.stdout.toString('latin1');
    const nonce = /^@N ([0-9a-f]{16})$/m.exec(text)![1];
    assert.equal(text.split('\n').filter((l) => l === `@R ${nonce}`).length, 2, 'one raw section: its opening and closing marks');
    assert.ok(text.startsWith(`@N ${nonce}\n@F 2 0\n\n@S 0 1 3 4 5 6 7\n`), text.slice(0, 80));
    const got = parseReadOutput(r.stdout, files);
    assert.equal(got.files[0].content!.toString('utf8'), 'first\n');
    assert.equal(got.files[2].exists, false);
    assert.equal(got.files[3].content!.length, 0);
    assert.equal(got.files[4].content!.toString('utf8'), lookalike);
    assert.ok(got.files[6].content!.equals(bin));
    assert.equal(got.files[7].content!.toString('utf8'), 'last');
    for (const [i, body] of [[1, 'secret-one'], [5, 'secret-two']] as const) {
      assert.equal(got.files[i].sha256, execFileSync('sha256sum', [files[i].path], { encoding: 'utf8' }).slice(0, 64));
      assert.equal(got.files[i].content, undefined);
      assert.ok(!r.stdout.includes(body) && !r.stdout.includes(Buffer.from(body).toString('base64')));
    }
    // only empty files: an empty section
    const empties = [{ path: join(dir, 'empty') }, { path: join(dir, 'empty') }];
    assert.deepEqual(parseReadOutput(shb(readScript(empties)).stdout, empties).files.map((f) => f.content!.length), [0, 0]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('readScript: contents and digests interleaved in one call, more than nine files, digests of odd names', () => {
  const dir = mkdtempSync(join(tmpdir(), 'str-read-'));
  try {
    const names = ['a', 'back\\slash', 'new\nline', 'c', 'with space', 'd', 'e', 'f', 'g', 'h', 'i', 'j'];
    names.forEach((n, i) => writeFileSync(join(dir, n), `file ${i}\n`));
    const files = names.map((n, i) => ({ path: join(dir, n), digestOnly: i % 3 !== 0 }));
    const r = shb(readScript(files));
    assert.equal(r.code, 0, r.stderr);
    const got = parseReadOutput(r.stdout, files);
    names.forEach((n, i) => {
      const sha = createHash('sha256').update(`file ${i}\n`).digest('hex');
      assert.equal(got.files[i].sha256, sha, n);
      if (files[i].digestOnly) assert.equal(got.files[i].content, undefined, n);
      else assert.equal(got.files[i].content!.toString('utf8'), `file ${i}\n`, n);
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('readScript: a path that is not a plain file makes that call go file by file, and it is named', () => {
  const dir = mkdtempSync(join(tmpdir(), 'str-read-'));
  try {
    writeFileSync(join(dir, 'ok'), 'fine');
    const files = [{ path: join(dir, 'ok') }, { path: dir }];
    const r = shb(readScript(files));
    assert.ok(!/^@S /m.test(r.stdout.toString('utf8')), r.stdout.toString('utf8'));
    assert.throws(() => parseReadOutput(r.stdout, files), new RegExp(`cannot read ${dir}`));
    const one = [{ path: join(dir, 'ok') }];
    assert.equal(parseReadOutput(shb(readScript(one)).stdout, one).files[0].content!.toString('utf8'), 'fine');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('parseReadOutput: a batch whose bytes do not match the sizes is a file that changed while read (the probes still answer)', () => {
  const files = [{ path: '/a' }];
  const probes = { one: 'echo 1' };
  const batch = (size: number, body: string) => Buffer.from(`@N abcd\n@S 0\n644 root root 1 ${size} 12 1.000000000 1.000000000\n@R abcd\n${body}\n@R abcd\n@Z ok\n@P 0\n1\n\n@Eabcd 0\n`);
  assert.equal(parseReadOutput(batch(3, 'abc'), files, probes).files[0].content!.toString(), 'abc');
  for (const [size, body] of [[5, 'abc'], [2, 'abc']] as const) {
    assert.throws(
      () => parseReadOutput(batch(size, body), files, probes),
      (e: unknown) => e instanceof ReadRaceError && /changed while it was read/.test(e.message) && e.probes.one.stdout === '1',
    );
  }
});

test('readScript: a file that grows between the stat and the cat is caught, not read short', () => {
  const dir = mkdtempSync(join(tmpdir(), 'str-read-'));
  try {
    const f = join(dir, 'mc');
    writeFileSync(f, 'before\n');
    // a stand-in for an admin's editor: the file grows right after the stat
    const r = shb(`stat() { command stat "$@"; echo more >> ${shq(f)}; }\n` + readScript([{ path: f }]));
    assert.throws(() => parseReadOutput(r.stdout, [{ path: f }]), ReadRaceError);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('parseReadOutput refuses a cut-short answer', () => {
  const files = [{ path: '/a' }, { path: '/b' }];
  assert.throws(() => parseReadOutput('@F 0 0\n\n', files), /no answer for \/b/);
});

test('writeScript: atomic write keeps mode, makes a dated backup, bounded count, content via stdin only', () => {
  const dir = mkdtempSync(join(tmpdir(), 'str-write-'));
  try {
    const f = join(dir, 'sendmail.mc');
    writeFileSync(f, 'old\n');
    chmodSync(f, 0o600);
    const keyPath = join(dir, 'new key');
    let stamps: string[] = [];
    for (let i = 0; i < 7; i++) {
      const stamp = backupStamp(new Date(Date.UTC(2026, 10, 28, 12, 0, i)));
      stamps.push(stamp);
      const plan = writeScript(
        [
          { path: f, content: `v${i}\n` },
          { path: keyPath, content: 'SECRET KEY MATERIAL', mode: 0o640, secret: true },
        ],
        stamp,
        5,
      );
      assert.ok(!plan.script.includes('SECRET'), 'no content on the command line');
      const r = sh(plan.script, plan.stdin);
      assert.equal(r.code, 0, r.stderr);
    }
    assert.equal(readFileSync(f, 'utf8'), 'v6\n');
    assert.equal(statSync(f).mode & 0o777, 0o600, 'mode of the replaced file kept');
    assert.equal(readFileSync(keyPath, 'utf8'), 'SECRET KEY MATERIAL');
    assert.equal(statSync(keyPath).mode & 0o777, 0o640);
    const backups = readdirSync(dir).filter((n) => n.startsWith('sendmail.mc.bak-')).sort();
    assert.equal(backups.length, 5, `kept 5 backups, got ${backups.join(' ')}`);
    assert.equal(readFileSync(join(dir, backups[4]), 'utf8'), 'v5\n');
    for (const b of readdirSync(dir).filter((n) => n.startsWith('new key.bak-'))) {
      assert.equal(statSync(join(dir, b)).mode & 0o777, 0o640, 'a key backup is no more readable than the key');
    }
    assert.deepEqual(readdirSync(dir).filter((n) => n.startsWith('.')), [], 'no temp file left');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('writeScript: several files in one round trip, each exactly its own bytes (binary, empty, no final newline, odd names)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'str-write-'));
  try {
    const names = ['plain', 'with space', "it's", 'new\nline', '-n', 'ümlaut', '$(touch pwned)'];
    const binary = Buffer.from(Array.from({ length: 3000 }, (_, i) => (i * 7) % 256));
    const contents: Array<string | Buffer> = [binary, '', 'no final newline', 'x\n'.repeat(5000), Buffer.from([0, 10, 0, 255]), 'ü\n', '\n'];
    // an existing file among them: its owner and mode are kept, its backup holds the old bytes
    writeFileSync(join(dir, 'with space'), 'old');
    chmodSync(join(dir, 'with space'), 0o640);
    const plan = writeScript(names.map((n, i) => ({ path: join(dir, n), content: contents[i] })), 'S1');
    const r = sh(plan.script, plan.stdin);
    assert.equal(r.code, 0, r.stderr);
    names.forEach((n, i) => assert.deepEqual(readFileSync(join(dir, n)), Buffer.from(contents[i]), n));
    assert.equal(statSync(join(dir, 'with space')).mode & 0o777, 0o640);
    assert.equal(statSync(join(dir, 'plain')).mode & 0o777, 0o644, 'a new file without a mode is 0644');
    assert.equal(readFileSync(join(dir, 'with space.bak-S1'), 'utf8'), 'old');
    assert.ok(!readdirSync(dir).includes('pwned'));
    assert.deepEqual(readdirSync(dir).filter((n) => n.startsWith('.')), [], 'no temp file left');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('writeScript: a temp file already there (a link planted in its place) is never written through', () => {
  const dir = mkdtempSync(join(tmpdir(), 'str-write-'));
  try {
    const target = join(dir, 'elsewhere');
    writeFileSync(target, 'untouched');
    writeFileSync(join(dir, 'f'), 'old');
    symlinkSync(target, join(dir, '.f.bak-S2.tmp'));
    const plan = writeScript([{ path: join(dir, 'f'), content: 'new' }], 'S2');
    const r = sh(plan.script, plan.stdin);
    assert.notEqual(r.code, 0, 'refused');
    assert.equal(readFileSync(target, 'utf8'), 'untouched');
    assert.equal(readFileSync(join(dir, 'f'), 'utf8'), 'old');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('writeScript: owner and group set by name, the old owner kept otherwise, the backup a copy with its times; a bad owner or a short content fails and leaves the file', { skip: process.getuid?.() !== 0 ? 'needs root (chown)' : false }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'str-write-'));
  try {
    const f = join(dir, 'k');
    writeFileSync(f, 'old key');
    chmodSync(f, 0o640);
    execFileSync('chown', ['nobody:nogroup', f]);
    const old = statSync(f);
    // a link planted at the backup's name is not written through
    const target = join(dir, 'elsewhere');
    writeFileSync(target, 'untouched');
    let r = sh(writeScript([{ path: f, content: 'k1' }], 'S3').script, 'k1');
    assert.equal(r.code, 0, r.stderr);
    assert.equal(statSync(f).uid, old.uid, 'owner of the replaced file kept');
    assert.equal(statSync(f).gid, old.gid, 'group of the replaced file kept');
    const bak = statSync(join(dir, 'k.bak-S3'));
    assert.equal(readFileSync(join(dir, 'k.bak-S3'), 'utf8'), 'old key');
    // times to the second (perl-base has no Time::HiRes)
    assert.deepEqual([bak.uid, bak.gid, bak.mode & 0o7777, Math.floor(bak.mtimeMs / 1000)], [old.uid, old.gid, 0o640, Math.floor(old.mtimeMs / 1000)]);
    symlinkSync(target, join(dir, 'k.bak-S4'));
    r = sh(writeScript([{ path: f, content: 'k2' }], 'S4').script, 'k2');
    assert.notEqual(r.code, 0, 'a link at the backup name is refused');
    assert.equal(readFileSync(target, 'utf8'), 'untouched');
    assert.equal(readFileSync(f, 'utf8'), 'k1');
    // owner and group by name; a group alone keeps the owner
    r = sh(writeScript([{ path: f, content: 'k3', owner: 'root', group: 'nogroup', mode: 0o600 }], 'S5').script, 'k3');
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual([statSync(f).uid, statSync(f).gid, statSync(f).mode & 0o7777], [0, old.gid, 0o600]);
    r = sh(writeScript([{ path: f, content: 'k4', group: 'root' }], 'S6').script, 'k4');
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual([statSync(f).uid, statSync(f).gid], [0, 0]);
    // an unknown user, or a content shorter than said: a one-line error, the file as it was, no temp
    r = sh(writeScript([{ path: f, content: 'k5', owner: 'no-such-user-str' }], 'S7').script, 'k5');
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /^write: unknown user no-such-user-str\n$/);
    r = sh(writeScript([{ path: f, content: 'k6-longer' }], 'S8').script, 'k6');
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /ends early \(2 of 9 bytes\)/);
    assert.equal(readFileSync(f, 'utf8'), 'k4');
    assert.deepEqual(readdirSync(dir).filter((n) => n.startsWith('.')), [], 'no temp file left');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('writeScript into a missing folder fails and leaves no file', () => {
  const plan = writeScript([{ path: '/nonexistent-dir-str/x', content: 'a' }], 'S');
  const r = sh(plan.script, plan.stdin);
  assert.notEqual(r.code, 0);
});

test('readScript probes: raw output with UTF-8, blank lines and look-alike marks comes back as $(...) would give it', () => {
  const probes = {
    odd: "printf 'ü\\n\\n@E0123456789abcdef 0\\n@END\\n@P 1\\n\\n\\n'; exit 4",
    empty: 'true',
    second: 'echo two',
  };
  const r = shb(readScript([], probes));
  assert.equal(r.code, 0, r.stderr);
  const got = parseReadOutput(r.stdout, [], probes);
  // a line shaped like the frame but with another nonce is output, not the end of the probe
  assert.equal(got.probes.second.stdout, 'two');
  assert.equal(got.probes.empty.stdout, '');
  assert.equal(got.probes.empty.code, 0);
  assert.equal(got.probes.odd.code, 4);
  assert.equal(got.probes.odd.stdout, 'ü\n\n@E0123456789abcdef 0\n@END\n@P 1');
});

test('readScript: a builtins probe runs in the read\'s own shell (no fork), a plain one in a subshell; both answer alike', () => {
  // /proc/self is the process that opens it: the shell itself, or the subshell p forks
  const same = 'read -r pid _ < /proc/self/stat; [ "$pid" = "$$" ] && echo own-shell || echo subshell; printf "x\\n\\n"; [ -d / ]';
  const probes = { forked: same, inShell: { builtins: same }, fails: { builtins: 'echo out; false' } };
  const r = shb(readScript([], probes));
  assert.equal(r.code, 0, r.stderr);
  const got = parseReadOutput(r.stdout, [], probes);
  assert.deepEqual(got.probes.forked, { code: 0, stdout: 'subshell\nx', stderr: '' });
  assert.deepEqual(got.probes.inShell, { code: 0, stdout: 'own-shell\nx', stderr: '' });
  assert.deepEqual(got.probes.fails, { code: 1, stdout: 'out', stderr: '' });
  // its stdin is /dev/null, as a plain probe's: the lock channel's stdin is never read by a probe
  const withStdin = sh(readScript([], { reads: { builtins: 'if read -r l; then echo "got $l"; else echo none; fi' } }), 'line from stdin\n');
  assert.match(withStdin.stdout, /@P 0\nnone\n/);
});

/** A file, and a summary of it written after it (ReadSpec.summary): its signature line, then text. */
function withSummary(dir: string, name: string, content: string, summaryText: string, opts: { signature?: string } = {}) {
  const f = join(dir, name);
  writeFileSync(f, content);
  execFileSync('touch', ['-d', '2020-01-01 00:00:00', f]); // older than the summary, whatever the clock's grain
  const signature = opts.signature ?? execFileSync('stat', ['-c', '%i %s %.9Y %.9Z', '--', f], { encoding: 'utf8' }).trim();
  const s = join(dir, `${name}.summary`);
  writeFileSync(s, `${signature}\n${summaryText}`);
  return { f, s, signature };
}

test('readScript summary: a summary newer than its file and of it comes instead of the file, the other files as ever', () => {
  const dir = mkdtempSync(join(tmpdir(), 'str-read-'));
  try {
    const a = join(dir, 'a file');
    writeFileSync(a, 'aaa\n');
    const { f, s } = withSummary(dir, "it's.cf", 'O A=1\nR$* big ruleset\nO B=2\n', '1:O A=1\n3:O B=2\n');
    const key = join(dir, 'key');
    writeFileSync(key, 'secret');
    const z = join(dir, 'z');
    writeFileSync(z, 'zzz');
    const specs = [{ path: a }, { path: f, summary: s }, { path: key, digestOnly: true, secret: true }, { path: z }];
    const r = shb(readScript(specs));
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout.toString('utf8'), /^@U 1$/m);
    const out = parseReadOutput(r.stdout, specs);
    assert.equal(out.files[0].content!.toString(), 'aaa\n');
    assert.equal(out.files[1].content, undefined);
    assert.deepEqual(out.files[1].summary, { path: s, text: Buffer.from('1:O A=1\n3:O B=2\n') });
    assert.equal(out.files[1].size, Buffer.byteLength('O A=1\nR$* big ruleset\nO B=2\n'));
    assert.equal(out.files[2].sha256, createHash('sha256').update('secret').digest('hex'));
    assert.equal(out.files[3].content!.toString(), 'zzz');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('readScript summary: the file comes whole when its summary is absent or older, or when the file is absent', () => {
  const dir = mkdtempSync(join(tmpdir(), 'str-read-'));
  try {
    const { f, s } = withSummary(dir, 'cf', 'O A=1\n', '1:O A=1\n');
    // the file written again after its summary (a by-hand rebuild): the summary is older
    writeFileSync(f, 'O A=2\n');
    let r = shb(readScript([{ path: f, summary: s }]));
    assert.doesNotMatch(r.stdout.toString('utf8'), /^@U/m);
    let out = parseReadOutput(r.stdout, [{ path: f, summary: s }]);
    assert.equal(out.files[0].content!.toString(), 'O A=2\n');
    assert.equal(out.files[0].summary, undefined);
    rmSync(s);
    r = shb(readScript([{ path: f, summary: s }]));
    out = parseReadOutput(r.stdout, [{ path: f, summary: s }]);
    assert.equal(out.files[0].content!.toString(), 'O A=2\n');
    // no file, a summary: the file is absent, the summary is not looked at
    const g = withSummary(dir, 'gone', 'O A=1\n', '1:O A=1\n');
    rmSync(g.f);
    r = shb(readScript([{ path: g.f, summary: g.s }]));
    out = parseReadOutput(r.stdout, [{ path: g.f, summary: g.s }]);
    assert.equal(out.files[0].exists, false);
    // a digest-only (secret) read never takes a summary
    const k = withSummary(dir, 'key', 'secret', 'not the key\n');
    const spec = { path: k.f, summary: k.s, digestOnly: true, secret: true };
    out = parseReadOutput(shb(readScript([spec])).stdout, [spec]);
    assert.equal(out.files[0].sha256, createHash('sha256').update('secret').digest('hex'));
    assert.equal(out.files[0].summary, undefined);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('readScript summary: a newer summary whose signature is not the file\'s (a cp -p put an old file back) is refused, to be read whole', () => {
  const dir = mkdtempSync(join(tmpdir(), 'str-read-'));
  try {
    const { f, s, signature } = withSummary(dir, 'cf', 'O A=1\n', '1:O A=1\n');
    // the same size and mtime, another ctime and inode: what `cp -p old sendmail.cf` leaves
    const [ino, size, mt] = signature.split(' ');
    writeFileSync(s, `${Number(ino) + 1} ${size} ${mt} 1.000000000\n1:O A=9\n`);
    execFileSync('touch', [s]);
    const r = shb(readScript([{ path: f, summary: s }]));
    assert.match(r.stdout.toString('utf8'), /^@U 0$/m);
    assert.throws(() => parseReadOutput(r.stdout, [{ path: f, summary: s }]), (e: unknown) => e instanceof ReadRaceError && /not of the file as it is/.test(e.message));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('readScript summary: when the files cannot go as one batch (one is a folder), each comes whole, one by one, and no summary', () => {
  const dir = mkdtempSync(join(tmpdir(), 'str-read-'));
  try {
    const { f, s } = withSummary(dir, 'cf', 'O A=1\n', '1:O A=1\n');
    const sub = join(dir, 'folder');
    execFileSync('mkdir', [sub]);
    const specs = [{ path: f, summary: s }, { path: sub }];
    const r = shb(readScript(specs));
    const text = r.stdout.toString('utf8');
    // the file whole (base64 of its bytes), the summary never named
    assert.match(text, new RegExp(`^@F 0 1 .*\n${Buffer.from('O A=1\n').toString('base64')}$`, 'm'));
    assert.doesNotMatch(text, /^@U|^@S|^@F 0u/m);
    assert.throws(() => parseReadOutput(r.stdout, specs), /cannot read .*folder/);
    const out = parseReadOutput(shb(readScript([specs[0]])).stdout, [specs[0]]);
    assert.equal(out.files[0].summary?.text.toString(), '1:O A=1\n');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
