import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createHmac } from 'node:crypto';
import {
  parseKnownHosts, checkHostKey, fingerprintSha256, knownHostsLine, keyTypeOf, matchHostPatterns,
  type HostKeyStatus,
} from '../../lib/known-hosts.js';

// Real keys from ssh-keygen in a temp folder (the test may use the disk; the module may not).
const dir = mkdtempSync(join(tmpdir(), 'known-hosts-test-'));
after(() => rmSync(dir, { recursive: true, force: true }));

function keygen(...args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync('ssh-keygen', args, { encoding: 'utf8' });
  if (r.error) throw r.error;
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

interface Key { name: string; type: string; b64: string; blob: Buffer; pubFile: string }
function newKey(name: string, type: string, bits?: string): Key {
  const file = join(dir, name);
  const r = keygen('-q', '-t', type, ...(bits ? ['-b', bits] : []), '-N', '', '-C', name, '-f', file);
  assert.equal(r.status, 0, r.stderr);
  const [kt, b64] = readFileSync(`${file}.pub`, 'utf8').trim().split(' ') as [string, string];
  return { name, type: kt, b64, blob: Buffer.from(b64, 'base64'), pubFile: `${file}.pub` };
}

const ed1 = newKey('ed1', 'ed25519');
const ed2 = newKey('ed2', 'ed25519');
const ed3 = newKey('ed3', 'ed25519');
const ec1 = newKey('ec1', 'ecdsa', '256');
const rsa1 = newKey('rsa1', 'rsa', '2048');
const ALL_KEYS = [ed1, ed2, ec1, rsa1];
const kl = (hosts: string, k: Key, marker = ''): string => `${marker ? marker + ' ' : ''}${hosts} ${k.type} ${k.b64}`;

test('keyTypeOf reads the type at the start of each real key blob', () => {
  assert.deepEqual(ALL_KEYS.map((k) => keyTypeOf(k.blob)), ['ssh-ed25519', 'ssh-ed25519', 'ecdsa-sha2-nistp256', 'ssh-rsa']);
  assert.throws(() => keyTypeOf(Buffer.from([0, 0, 0])), /too short/);
  assert.throws(() => keyTypeOf(Buffer.from([0, 0, 0, 50, 65])), /no valid key type/);
});

test('fingerprintSha256 equals ssh-keygen -lf for every key type', () => {
  for (const k of ALL_KEYS) {
    const r = keygen('-l', '-E', 'sha256', '-f', k.pubFile);
    assert.equal(r.status, 0, r.stderr);
    const printed = r.stdout.split(' ')[1];
    assert.match(printed!, /^SHA256:[A-Za-z0-9+/]{43}$/);
    assert.equal(fingerprintSha256(k.blob), printed, k.name);
  }
});

test('parseKnownHosts: comments, blanks, markers, comments after the key, CRLF, malformed lines as warnings', () => {
  const text = [
    '# a comment',
    '',
    `${kl('mail,mail.example.org', ed1)} the server\r`,
    `   ${kl('[laptop1]:2222', ec1)}`,
    kl('*', ed2, '@revoked'),
    kl('*.example.org', rsa1, '@cert-authority'),
    'onlyhost ssh-ed25519',
    `host ssh-rsa ${ed1.b64}`,
    'host ssh-ed25519 not!base64',
    `@weird host ssh-ed25519 ${ed1.b64}`,
    `|1|bad|hash ssh-ed25519 ${ed1.b64}`,
    '  # indented comment',
  ].join('\n');
  const { entries, warnings } = parseKnownHosts(text, '/home/u/.ssh/known_hosts');
  assert.deepEqual(entries.map((e) => [e.line, e.marker, e.patterns, e.keyType]), [
    [3, undefined, ['mail', 'mail.example.org'], 'ssh-ed25519'],
    [4, undefined, ['[laptop1]:2222'], 'ecdsa-sha2-nistp256'],
    [5, '@revoked', ['*'], 'ssh-ed25519'],
    [6, '@cert-authority', ['*.example.org'], 'ssh-rsa'],
  ]);
  assert.equal(entries[0]!.comment, 'the server');
  assert.ok(entries[1]!.key.equals(ec1.blob));
  assert.equal(entries[1]!.keyBase64, ec1.b64);
  assert.equal(warnings.length, 5);
  assert.deepEqual(warnings.map((w) => w.split(':')[1]), ['7', '8', '9', '10', '11']);
  assert.match(warnings[1]!, /^\/home\/u\/\.ssh\/known_hosts:8: key type 'ssh-rsa' does not match the key's own type 'ssh-ed25519'$/);
  assert.match(parseKnownHosts('x y').warnings[0]!, /^line 1: /);
});

test('matchHostPatterns: wildcards, negation, case', () => {
  const cases: [string, string[], 1 | 0 | -1][] = [
    ['mail', ['mail'], 1],
    ['MAIL', ['mail'], 1],
    ['mail', ['Mail.example.org', 'MAIL'], 1],
    ['mail2', ['mail'], 0],
    ['a.example.org', ['*.example.org'], 1],
    ['example.org', ['*.example.org'], 0],
    ['a.b.example.org', ['*.example.org'], 1],
    ['laptop1', ['lapto?1'], 1],
    ['laptop11', ['lapto?1'], 0],
    ['evil.example.org', ['*.example.org', '!evil.example.org'], -1],
    ['evil.example.org', ['!evil.*', '*'], -1],
    ['[laptop1]:2222', ['[laptop*]:2222'], 1],
    ['[laptop1]:22', ['[laptop*]:2222'], 0],
    ['anything', ['*'], 1],
    ['abc', ['a*b*c'], 1],
    ['abxc', ['a*b?'], 0],
  ];
  for (const [name, patterns, want] of cases) assert.equal(matchHostPatterns(name, patterns), want, `${name} vs ${patterns.join(',')}`);
});

// A hashed line computed by hand (HMAC-SHA1, key = salt, data = lookup name), independent of knownHostsLine.
function handHashed(name: string, k: Key): string {
  const salt = Buffer.alloc(20, 7);
  const hash = createHmac('sha1', salt).update(name).digest();
  return `|1|${salt.toString('base64')}|${hash.toString('base64')} ${k.type} ${k.b64}`;
}

const checks: {
  name: string; lines: string[]; host: string; port?: number; key: Key; keyType?: string;
  status: HostKeyStatus; line?: number; expected?: Key[];
}[] = [
  { name: 'plain name', lines: [kl('mail.example.org', ed1)], host: 'mail.example.org', key: ed1, status: 'match', line: 1 },
  { name: 'plain name, other case', lines: [kl('mail.example.org', ed1)], host: 'Mail.Example.ORG', key: ed1, status: 'match', line: 1 },
  { name: 'host absent', lines: [kl('mail.example.org', ed1)], host: 'laptop1', key: ed1, status: 'unknown' },
  { name: 'empty file', lines: [], host: 'laptop1', key: ed1, status: 'unknown' },
  { name: 'several names: the address', lines: ['# c', kl('mail,mail.example.org,192.0.2.1', ed1)], host: '192.0.2.1', key: ed1, status: 'match', line: 2 },
  { name: 'wildcard', lines: [kl('*.example.org', ed1)], host: 'laptop1.example.org', key: ed1, status: 'match', line: 1 },
  { name: 'wildcard does not match the bare domain', lines: [kl('*.example.org', ed1)], host: 'example.org', key: ed1, status: 'unknown' },
  { name: 'negation excludes', lines: [kl('*.example.org,!evil.example.org', ed1)], host: 'evil.example.org', key: ed1, status: 'unknown' },
  { name: 'negation keeps the others', lines: [kl('*.example.org,!evil.example.org', ed1)], host: 'good.example.org', key: ed1, status: 'match', line: 1 },
  { name: '[host]:port on that port', lines: [kl('laptop1', ed2), kl('[laptop1]:2222', ed1)], host: 'laptop1', port: 2222, key: ed1, status: 'match', line: 2 },
  { name: '[host]:port entry does not serve port 22', lines: [kl('[laptop1]:2222', ed1)], host: 'laptop1', port: 22, key: ed1, status: 'unknown' },
  { name: 'plain entry does not serve port 2222', lines: [kl('laptop1', ed1)], host: 'laptop1', port: 2222, key: ed1, status: 'unknown' },
  { name: '[host]:22 is not how port 22 is written', lines: [kl('[laptop1]:22', ed1)], host: 'laptop1', port: 22, key: ed1, status: 'unknown' },
  { name: 'hashed by hand', lines: [handHashed('mail.example.org', ed1)], host: 'mail.example.org', key: ed1, status: 'match', line: 1 },
  { name: 'hashed by hand, [host]:port', lines: [handHashed('[laptop1]:2222', ed1)], host: 'laptop1', port: 2222, key: ed1, status: 'match', line: 1 },
  { name: 'hashed, other host', lines: [handHashed('mail.example.org', ed1)], host: 'mail.example.com', key: ed1, status: 'unknown' },
  { name: 'hashed, changed key', lines: [handHashed('mail', ed1)], host: 'mail', key: ed2, status: 'mismatch', line: 1, expected: [ed1] },
  { name: 'changed key of the same type', lines: [kl('other', ed2), kl('mail', ed1)], host: 'mail', key: ed2, status: 'mismatch', line: 2, expected: [ed1] },
  { name: 'changed key, two old keys listed', lines: [kl('mail', ed1), kl('mail', ec1), kl('m*', ed2)], host: 'mail', key: ed3, status: 'mismatch', line: 1, expected: [ed1, ed2] },
  { name: 'only other key types known: unknown, listing them', lines: [kl('mail', ec1), kl('mail', rsa1)], host: 'mail', key: ed1, status: 'unknown', expected: [ec1, rsa1] },
  { name: 'one of two keys of the same type matches', lines: [kl('mail', ed1), kl('mail', ed2)], host: 'mail', key: ed2, status: 'match', line: 2 },
  { name: 'rsa key offered as rsa-sha2-512', lines: [kl('mail', rsa1)], host: 'mail', key: rsa1, keyType: 'rsa-sha2-512', status: 'match', line: 1 },
  { name: 'revoked key wins over a match', lines: [kl('mail', ed1), kl('*', ed1, '@revoked')], host: 'mail', key: ed1, status: 'revoked', line: 2 },
  { name: 'revoked for another host only', lines: [kl('mail', ed1), kl('laptop*', ed1, '@revoked')], host: 'mail', key: ed1, status: 'match', line: 1 },
  { name: 'revoked other key does not matter', lines: [kl('mail', ed1), kl('*', ed2, '@revoked')], host: 'mail', key: ed1, status: 'match', line: 1 },
  { name: '@cert-authority is not a host key', lines: [kl('*.example.org', ed1, '@cert-authority')], host: 'a.example.org', key: ed1, status: 'unknown' },
];

for (const c of checks) {
  test(`checkHostKey: ${c.name}`, () => {
    const { entries, warnings } = parseKnownHosts(c.lines.join('\n') + '\n');
    assert.deepEqual(warnings, []);
    const verdict = checkHostKey(entries, c.host, c.port ?? 22, c.keyType ?? c.key.type, c.key.blob);
    assert.equal(verdict.status, c.status);
    assert.equal(verdict.line, c.line);
    if (c.expected) {
      assert.deepEqual(verdict.expected?.map((e) => [e.keyType, e.fingerprint]), c.expected.map((k) => [k.type, fingerprintSha256(k.blob)]));
    } else {
      assert.equal(verdict.expected, undefined);
    }
  });
}

test('ssh-keygen -H output is matched: hashed names, [host]:port form', () => {
  const file = join(dir, 'kh-hash');
  writeFileSync(file, [kl('mail.example.org', ed1), kl('[laptop1]:2222', ec1), ''].join('\n'));
  const r = keygen('-H', '-f', file);
  assert.equal(r.status, 0, r.stderr);
  const { entries, warnings } = parseKnownHosts(readFileSync(file, 'utf8'), file);
  assert.deepEqual(warnings, []);
  assert.equal(entries.length, 2);
  assert.ok(entries.every((e) => !Array.isArray(e.patterns)), 'all hashed');
  assert.deepEqual(checkHostKey(entries, 'mail.example.org', 22, ed1.type, ed1.blob), { status: 'match', line: 1 });
  assert.deepEqual(checkHostKey(entries, 'laptop1', 2222, ec1.type, ec1.blob), { status: 'match', line: 2 });
  assert.equal(checkHostKey(entries, 'laptop1', 22, ec1.type, ec1.blob).status, 'unknown');
  assert.equal(checkHostKey(entries, 'mail.example.org', 22, ed2.type, ed2.blob).status, 'mismatch');
});

test('knownHostsLine output is found by ssh-keygen -F (hashed and plain)', () => {
  const file = join(dir, 'kh-ours');
  const lines = [
    knownHostsLine('mail.example.org', 22, ed1.type, ed1.blob, { hash: true }),
    knownHostsLine('laptop1', 2222, 'rsa-sha2-256', rsa1.blob, { hash: true }),
    knownHostsLine('laptop2', 22, ec1.type, ec1.blob),
    knownHostsLine('Laptop3', 2200, ed2.type, ed2.blob, { comment: 'added by test' }),
  ];
  assert.match(lines[0]!, /^\|1\|[A-Za-z0-9+/]{27}=\|[A-Za-z0-9+/]{27}= ssh-ed25519 /);
  assert.match(lines[1]!, / ssh-rsa /, 'the key type, not the signature algorithm');
  assert.equal(lines[2], `laptop2 ${ec1.type} ${ec1.b64}`);
  assert.equal(lines[3], `[laptop3]:2200 ${ed2.type} ${ed2.b64} added by test`);
  writeFileSync(file, lines.join('\n') + '\n');
  const found: [string, number][] = [['mail.example.org', 1], ['[laptop1]:2222', 2], ['laptop2', 3], ['[laptop3]:2200', 4]];
  for (const [name, line] of found) {
    const r = keygen('-F', name, '-f', file);
    assert.equal(r.status, 0, `ssh-keygen -F ${name}: ${r.stderr}`);
    assert.match(r.stdout, new RegExp(`# Host ${name.replace(/[[\]]/g, '\\$&')} found: line ${line}\\b`));
  }
  for (const name of ['laptop1', 'mail.example.com', '[laptop2]:2222']) {
    assert.equal(keygen('-F', name, '-f', file).status, 1, `${name} must not be found`);
  }
  // and our own reader agrees
  const { entries } = parseKnownHosts(readFileSync(file, 'utf8'));
  assert.equal(checkHostKey(entries, 'laptop1', 2222, 'ssh-rsa', rsa1.blob).status, 'match');
  assert.equal(checkHostKey(entries, 'laptop3', 2200, ed2.type, ed2.blob).status, 'match');
});

test('knownHostsLine: fixed salt gives the hand-computed hash; bad input is refused', () => {
  assert.equal(knownHostsLine('mail', 22, ed1.type, ed1.blob, { hash: true, salt: Buffer.alloc(20, 7) }), handHashed('mail', ed1));
  const a = knownHostsLine('mail', 22, ed1.type, ed1.blob, { hash: true });
  const b = knownHostsLine('mail', 22, ed1.type, ed1.blob, { hash: true });
  assert.notEqual(a, b, 'random salt');
  for (const host of ['', 'a b', 'a,b', 'a\nb', '|1|x', '@revoked']) {
    assert.throws(() => knownHostsLine(host, 22, ed1.type, ed1.blob), /cannot write a known_hosts line/, JSON.stringify(host));
  }
  assert.throws(() => knownHostsLine('mail', 0, ed1.type, ed1.blob), /bad port/);
  assert.throws(() => knownHostsLine('mail', 22, 'ssh-rsa', ed1.blob), /does not match/);
});
