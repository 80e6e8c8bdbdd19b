// Unit tests for the pure parts of per-laptop mode that roles/tasks/per-laptop.ts and status use:
// tls-mode.ts (mode, names, access lines, CSR argv, expiry), access-file.ts accessEntryIds, status.ts.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { accessEntryIds, ensureAccessEntry } from '../../roles/text/access-file.js';
import { laptopSubject, makeLaptopCa, signLaptopCsr } from '../../roles/pki/laptop-ca.js';
import {
  expiryOf,
  laptopAccessLine,
  laptopCaAccessLine,
  laptopCommonName,
  laptopCsrFromKeyArgs,
  pairingsFor,
  tlsMode,
} from '../../roles/text/tls-mode.js';
import { hasAccessLine, laptopStatus, renderStatus, serverStatus } from '../../roles/text/status.js';

const DAY = 86_400_000;

test('tlsMode: default shared-key, the two modes, anything else is an error naming the value', () => {
  const cases: Array<[unknown, string]> = [
    [undefined, 'shared-key'],
    [null, 'shared-key'],
    ['', 'shared-key'],
    ['shared-key', 'shared-key'],
    ['per-laptop', 'per-laptop'],
  ];
  for (const [v, want] of cases) assert.equal(tlsMode({ tls_mode: v }), want, String(v));
  for (const bad of ['per_laptop', 'Per-Laptop', true, 1, ['per-laptop']]) {
    assert.throws(() => tlsMode({ tls_mode: bad }, 'inv.yml: host mailserver'), /^Error: inv\.yml: host mailserver: tls_mode is .*; expected 'shared-key' or 'per-laptop'$/);
  }
});

test('laptopCommonName: the fqdn var, else the inventory name (never ansible_host)', () => {
  assert.equal(laptopCommonName('laptop1', { fqdn: 'laptop1.example.org', ansible_host: '10.0.0.1' }), 'laptop1.example.org');
  assert.equal(laptopCommonName('laptop1', { ansible_host: '10.0.0.1' }), 'laptop1');
  assert.equal(laptopCommonName('laptop1', { fqdn: '  ' }), 'laptop1');
  assert.equal(laptopCommonName('laptop1', { fqdn: 42 }), 'laptop1');
});

test('laptopAccessLine: sendmail keys (xtext of the one-line subject)', () => {
  const cases: Array<[string, string]> = [
    ['laptop1.lab.example', 'CERTSUBJECT:/O=Sendmail/OU=Sendmail+20Laptop/CN=laptop1.lab.example\tRELAY'],
    // oneline escapes '+' as '\+' and non-ASCII bytes as '\xHH'; xtext then encodes '\' '+' '(' ')' ' '
    ['a+b (x)', 'CERTSUBJECT:/O=Sendmail/OU=Sendmail+20Laptop/CN=a+5C+2Bb+20+28x+29\tRELAY'],
    ['né', 'CERTSUBJECT:/O=Sendmail/OU=Sendmail+20Laptop/CN=n+5CxC3+5CxA9\tRELAY'],
  ];
  for (const [cn, want] of cases) assert.equal(laptopAccessLine(cn), want, cn);
});

test("laptopCaAccessLine: CERTISSUER:<the CA's subject> SUBJECT", () => {
  const ca = makeLaptopCa({ commonName: 'mail.example' });
  assert.equal(laptopCaAccessLine(ca.certPem), 'CERTISSUER:/O=Sendmail/OU=Laptop+20CA/CN=mail.example\tSUBJECT');
});

test('laptopCsrFromKeyArgs: a CSR from an existing key that signLaptopCsr accepts (real openssl)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'csr-'));
  try {
    const key = join(dir, 'k.pem');
    execFileSync('openssl', ['genpkey', '-algorithm', 'RSA', '-pkeyopt', 'rsa_keygen_bits:2048', '-out', key], { stdio: 'pipe' });
    const subject = laptopSubject('laptop1.example');
    const args = laptopCsrFromKeyArgs(subject, key);
    assert.deepEqual(args, ['req', '-new', '-key', key, '-utf8', '-subj', '/O=Sendmail/OU=Sendmail Laptop/CN=laptop1.example', '-out', '-']);
    const csr = execFileSync('openssl', args, { encoding: 'utf8' });
    const ca = makeLaptopCa({ commonName: 'mail.example' });
    const cert = signLaptopCsr(csr, ca.certPem, ca.keyPem, { expectedSubject: subject });
    writeFileSync(join(dir, 'ca.pem'), ca.certPem);
    writeFileSync(join(dir, 'c.pem'), cert);
    assert.match(execFileSync('openssl', ['verify', '-CAfile', join(dir, 'ca.pem'), join(dir, 'c.pem')], { encoding: 'utf8' }), /OK/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('pairingsFor: only the pairings of this server; none when the role was given none', () => {
  const pair = [
    { name: 'l1', server: 's1', cn: 'l1.x' },
    { name: 'l2', server: 's2', cn: 'l2.x' },
    { name: 'l3', server: 's1', cn: 'l3.x' },
  ];
  assert.deepEqual(pairingsFor(pair, 's1').map((p) => p.name), ['l1', 'l3']);
  assert.deepEqual(pairingsFor(pair, 's3'), []);
  assert.deepEqual(pairingsFor(undefined, 's1'), []);
});

test('expiryOf: valid, expiring (< 30 days), expired, not yet valid', () => {
  const now = new Date('2030-01-01T00:00:00Z');
  const cases: Array<[number, number, string, number]> = [
    [-1, 100, 'valid', 100],
    [-1, 30, 'valid', 30],
    [-1, 29.5, 'expiring', 29],
    [-10, -1, 'expired', -1],
    [1, 100, 'not-yet-valid', 100],
  ];
  for (const [nb, na, state, days] of cases) {
    assert.deepEqual(expiryOf(new Date(now.getTime() + nb * DAY), new Date(now.getTime() + na * DAY), now), { state, days }, `${nb}..${na}`);
  }
});

test('accessEntryIds: every marked id once, in order', () => {
  let t = '# a comment\nConnect:127\tRELAY\n';
  t = ensureAccessEntry(t, { id: 'server-issuer', line: 'CERTISSUER:/CN=a\tRELAY' }).text;
  t = ensureAccessEntry(t, { id: 'laptop:l1', line: 'CERTSUBJECT:/CN=l1\tRELAY' }).text;
  t = ensureAccessEntry(t, { id: 'laptop-ca', line: 'CERTISSUER:/CN=ca\tSUBJECT' }).text;
  assert.deepEqual(accessEntryIds(t), ['server-issuer', 'laptop:l1', 'laptop-ca']);
  assert.deepEqual(accessEntryIds(''), []);
  assert.deepEqual(accessEntryIds('# sendmail-tls-relay: x\n# sendmail-tls-relay: x\n'), ['x']);
});

test('status: per-laptop laptop verdicts (current, unpaired, other CA, holds the server key, stale copy)', () => {
  const ca = makeLaptopCa({ commonName: 'mail.example' });
  const other = makeLaptopCa({ commonName: 'mail.example' });
  const dir = mkdtempSync(join(tmpdir(), 'st-'));
  try {
    const key = join(dir, 'k.pem');
    execFileSync('openssl', ['genpkey', '-algorithm', 'RSA', '-pkeyopt', 'rsa_keygen_bits:2048', '-out', key], { stdio: 'pipe' });
    const pub = execFileSync('openssl', ['pkey', '-in', key, '-pubout'], { encoding: 'utf8' });
    const subject = laptopSubject('l1.example');
    const csr = execFileSync('openssl', laptopCsrFromKeyArgs(subject, key), { encoding: 'utf8' });
    const cert = signLaptopCsr(csr, ca.certPem, ca.keyPem);
    const foreign = signLaptopCsr(csr, other.certPem, other.keyPem);
    let access = ensureAccessEntry('', { id: 'laptop-ca', line: laptopCaAccessLine(ca.certPem) }).text;
    access = ensureAccessEntry(access, { id: 'laptop:l1', line: laptopAccessLine('l1.example') }).text;
    const base = { name: 'l1', cn: 'l1.example', server: 's', mode: 'per-laptop' as const, caCertPem: ca.certPem, publicKeyPem: pub, keySha: 'own', serverKeySha: 'srv', relayServerCertSha: 'c', serverCertSha: 'c', accessText: access };
    const cases: Array<[string, Partial<Parameters<typeof laptopStatus>[0]>, { state: string; current: boolean; accessLine: boolean; problem?: RegExp }]> = [
      ['current', { certPem: cert }, { state: 'current', current: true, accessLine: true }],
      ['unpaired', { certPem: cert, accessText: ensureAccessEntry('', { id: 'laptop-ca', line: laptopCaAccessLine(ca.certPem) }).text }, { state: 'current', current: false, accessLine: false, problem: /no access line on s/ }],
      ['other CA', { certPem: foreign }, { state: 'other-ca', current: false, accessLine: true, problem: /certificate other-ca: pair again/ }],
      ['no certificate', { certPem: undefined }, { state: 'missing', current: false, accessLine: true }],
      ["holds the server's key", { certPem: cert, keySha: 'srv' }, { state: 'current', current: false, accessLine: true, problem: /holds s's key/ }],
      ['stale copy of the server certificate', { certPem: cert, relayServerCertSha: 'old' }, { state: 'current', current: false, accessLine: true, problem: /relay-server\.crt is not s's current/ }],
    ];
    for (const [what, over, want] of cases) {
      const s = laptopStatus({ ...base, ...over });
      assert.equal(s.state, want.state, what);
      assert.equal(s.current, want.current, what);
      assert.equal(s.accessLine, want.accessLine, what);
      if (want.problem) assert.ok(s.problems.some((p) => want.problem!.test(p)), `${what}: ${s.problems.join('; ')}`);
      else if (want.current) assert.deepEqual(s.problems, [], what);
    }
    const text = renderStatus([['l1', laptopStatus({ ...base, certPem: foreign })], ['s', serverStatus({ mode: 'per-laptop', accessText: access })]]);
    assert.match(text, /^l1 \(laptop of s, per-laptop\): OTHER-CA$/m);
    assert.match(text, /^s \(server, per-laptop\): PROBLEM$/m);
    assert.match(text, /^ {2}! no server certificate$/m);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('status: shared-key laptop is current only with the server certificate and key; hasAccessLine ignores key case', () => {
  const base = { name: 'l1', cn: 'l1', server: 's', mode: 'shared-key' as const, certPem: '-----BEGIN CERTIFICATE-----\nx\n-----END CERTIFICATE-----\n', certSha: 'c', serverCertSha: 'c', keySha: 'k', serverKeySha: 'k' };
  assert.equal(laptopStatus(base).state, 'current');
  assert.equal(laptopStatus({ ...base, certSha: 'old' }).state, 'stale');
  assert.equal(laptopStatus({ ...base, keySha: 'old' }).state, 'stale');
  assert.equal(laptopStatus({ ...base, certPem: undefined }).state, 'missing');
  assert.equal(laptopStatus(base).accessLine, false); // no server certificate to compute the line from
  const access = '# sendmail-tls-relay: server-issuer\nCERTISSUER:/cn=A\tRELAY\n';
  assert.equal(hasAccessLine(access, 'server-issuer', 'CERTISSUER:/CN=A\tRELAY'), true);
  assert.equal(hasAccessLine(access, 'server-issuer', 'CERTISSUER:/CN=B\tRELAY'), false);
  assert.equal(hasAccessLine(access, 'laptop:l1', 'CERTISSUER:/CN=A\tRELAY'), false);
});

test("the client role gathers the per-laptop probes (openssl, the key backups' sha256sum) only when its server is in per-laptop mode", async () => {
  const { clientRole } = await import('../../roles/client.js');
  const peers: Record<string, Record<string, unknown>> = {
    shared: {},
    perLaptop: { tls_mode: 'per-laptop' },
    broken: { tls_mode: 'per-laptops' },
  };
  const probes = (vars: Record<string, unknown>) => Object.keys(clientRole.gather(vars, {}, (n) => peers[n]).probes);
  assert.ok(!probes({ smarthost: 'shared' }).includes('laptopPublicKey'));
  assert.ok(!probes({ smarthost: 'shared' }).includes('keyBackups'));
  assert.ok(probes({ smarthost: 'shared' }).includes('sendmail'), 'the sendmail probe stays');
  for (const vars of [{ smarthost: 'perLaptop' }, { smarthost: 'broken' }, { smarthost: 'not-in-inventory' }, {}]) {
    assert.ok(probes(vars).includes('laptopPublicKey') && probes(vars).includes('keyBackups'), JSON.stringify(vars));
  }
});
