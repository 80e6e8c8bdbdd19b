// Unit tests for roles/text/trust.ts (the laptop TLS_Srv rule, the server unsafe
// CERTISSUER lines) and dn.ts isSelfSigned, on certificates made here with the openssl CLI the way
// Debian's update_tls makes them, and the way a CA issues them.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { certInfo, isSelfSigned } from '../../roles/text/dn.js';
import {
  judgeServerTrust,
  notSelfSignedReason,
  requiresVerifiedServer,
  tlsSrvLine,
  tlsSrvRequirement,
  unsafeIssuerLines,
  SERVER_TLS_ID,
} from '../../roles/text/trust.js';
import { MARKER_PREFIX } from '../../roles/text/access-file.js';

const dir = mkdtempSync(join(tmpdir(), 'str-trust-unit-'));
process.on('exit', () => rmSync(dir, { recursive: true, force: true }));
const ossl = (...a: string[]) => execFileSync('openssl', a, { stdio: ['ignore', 'pipe', 'pipe'] });
const f = (n: string) => join(dir, n);
const read = (n: string) => readFileSync(f(n), 'utf8');

const DEBIAN_SUBJ = '/O=Sendmail/OU=Sendmail Server/CN=mail.example.org/emailAddress=admin@example.org';
// Debian's update_tls: a self-signed certificate, subject = issuer
ossl('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', f('self.key'), '-out', f('self.crt'), '-days', '30', '-subj', DEBIAN_SUBJ);
// another key, same name: a forger's self-signed copy of the server's name
ossl('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', f('forged.key'), '-out', f('forged.crt'), '-days', '30', '-subj', DEBIAN_SUBJ);
// a CA and a server certificate it issued
ossl('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', f('ca.key'), '-out', f('ca.crt'), '-days', '30', '-subj', '/O=Test Public CA/CN=Test Public CA R1');
ossl('req', '-new', '-newkey', 'rsa:2048', '-nodes', '-keyout', f('leaf.key'), '-out', f('leaf.csr'), '-subj', '/CN=mail.example.org');
ossl('x509', '-req', '-in', f('leaf.csr'), '-CA', f('ca.crt'), '-CAkey', f('ca.key'), '-CAcreateserial', '-out', f('leaf.crt'), '-days', '30');
// issued by the CA but named like the CA (issuer == subject by name only): not self-signed
ossl('req', '-new', '-key', f('leaf.key'), '-out', f('copy.csr'), '-subj', '/O=Test Public CA/CN=Test Public CA R1');
ossl('x509', '-req', '-in', f('copy.csr'), '-CA', f('ca.crt'), '-CAkey', f('ca.key'), '-CAcreateserial', '-out', f('namecopy.crt'), '-days', '30');

test('isSelfSigned: own signature and own name, nothing else', () => {
  const cases: Array<[string, string, boolean]> = [
    ['Debian-style self-signed', read('self.crt'), true],
    ['a CA certificate (self-signed too)', read('ca.crt'), true],
    // self-signed by its own (other) key: the check is about the certificate, not whose it is; the
    // laptop's TLS_Srv rule needs verify=OK against its copy of the real one, which this fails
    ["another key under the server's name", read('forged.crt'), true],
    ['issued by a CA', read('leaf.crt'), false],
    ["issued by a CA, subject copies the issuer's name", read('namecopy.crt'), false],
    ['not a certificate', 'hello', false],
    ['empty', '', false],
  ];
  for (const [name, pem, want] of cases) assert.equal(isSelfSigned(pem), want, name);
  assert.equal(certInfo(read('self.crt')).selfSigned, true);
  assert.equal(certInfo(read('leaf.crt')).selfSigned, false);
});

test('tlsSrvLine: the SMART_HOST name without brackets, CS and CI in xtext, ++ between them', () => {
  const key = '/O=Sendmail/OU=Sendmail+20Server/CN=mail.example.org/emailAddress=admin@example.org';
  const want = `TLS_Srv:mail.example.org\tVERIFY+CS:${key}++CI:${key}`;
  for (const name of ['[mail.example.org]', 'mail.example.org', 'Mail.Example.ORG', 'relay:[mail.example.org]', ' [mail.example.org] ']) {
    assert.equal(tlsSrvLine(name, read('self.crt')), want, name);
  }
  assert.equal(tlsSrvRequirement(read('leaf.crt')), 'VERIFY+CS:/CN=mail.example.org++CI:/O=Test+20Public+20CA/CN=Test+20Public+20CA+20R1');
  for (const bad of ['', 'mail example', 'a\tb', '[x y]']) assert.throws(() => tlsSrvLine(bad, read('self.crt')), /not a host name|whitespace/, JSON.stringify(bad));
  assert.throws(() => tlsSrvLine('mail.example.org', 'garbage'), /PEM/);
});

test('notSelfSignedReason: one line naming per-laptop mode', () => {
  const r = notSelfSignedReason('mailserver');
  assert.ok(!r.includes('\n'));
  assert.match(r, /^mailserver: .*not self-signed.*tls_mode: per-laptop/);
});

test('requiresVerifiedServer: default on; booleans and their usual spellings; anything else is an error', () => {
  assert.equal(requiresVerifiedServer({}), true);
  assert.equal(requiresVerifiedServer({ laptop_requires_verified_server: true }), true);
  assert.equal(requiresVerifiedServer({ laptop_requires_verified_server: false }), false);
  assert.equal(requiresVerifiedServer({ laptop_requires_verified_server: 'no' }), false);
  assert.equal(requiresVerifiedServer({ laptop_requires_verified_server: 'yes' }), true);
  assert.throws(() => requiresVerifiedServer({ laptop_requires_verified_server: 'maybe' }, 'laptop1'), /laptop1: laptop_requires_verified_server is "maybe"/);
});

test('judgeServerTrust: current, stale, missing, unsafe, opted out', () => {
  const pem = read('self.crt');
  const line = tlsSrvLine('mail.example.org', pem);
  const withLine = (l: string, marked = true) => `Connect:127\tRELAY\n${marked ? `${MARKER_PREFIX}${SERVER_TLS_ID}\n` : ''}${l}\n`;
  const j = (accessText: string | undefined, o: Partial<{ required: boolean; smartHost: string; serverCertPem: string }> = {}) =>
    judgeServerTrust({ required: true, smartHost: '[mail.example.org]', serverCertPem: pem, accessText, ...o }).state;
  assert.equal(j(withLine(line)), 'current');
  assert.equal(j(withLine(line, false)), 'current', "an admin's equal line counts");
  assert.equal(j(withLine(tlsSrvLine('mail.example.org', read('leaf.crt')))), 'stale', 'pins another certificate');
  assert.equal(j('Connect:127\tRELAY\n'), 'missing');
  assert.equal(j(undefined), 'missing');
  assert.equal(j(withLine('TLS_Srv:mail.example.org\tVERIFY', false)), 'unsafe', 'VERIFY alone accepts any CA in /etc/ssl/certs');
  assert.equal(j(withLine('TLS_Srv:mail.example.org\tENCR:112', false)), 'unsafe');
  assert.equal(j(withLine('TLS_Srv:mail.example.org\tVERIFY+CN', false)), 'unsafe');
  assert.equal(j(withLine('TLS_Srv:other.example.org\tVERIFY+CS:x++CI:y')), 'unsafe', 'our line for another name');
  assert.equal(j(withLine(line), { required: false }), 'opted-out');
  assert.equal(j(withLine(line), { smartHost: undefined }), 'no-smarthost');
  const m = judgeServerTrust({ required: true, smartHost: '[mail.example.org]', serverCertPem: pem, accessText: '' });
  assert.equal(m.expected, line);
  assert.match(m.problem!, /whatever answers for mail\.example\.org/);
});

test("unsafeIssuerLines: only the server's own self-signed issuer may RELAY", () => {
  const own = 'CERTISSUER:/O=Sendmail/OU=Sendmail+20Server/CN=mail.example.org/emailAddress=admin@example.org\tRELAY';
  const ca = 'CERTISSUER:/O=Test+20Public+20CA/CN=Test+20Public+20CA+20R1\tRELAY';
  const sub = 'CERTISSUER:/O=Sendmail/OU=Sendmail+20Laptop+20CA/CN=mail\tSUBJECT';
  const text = `# x\n${own}\n${ca}\n${sub}\n`;
  assert.deepEqual(unsafeIssuerLines(text, read('self.crt')), [{ lineNumber: 3, line: ca }]);
  // with a CA-issued server certificate, no CERTISSUER RELAY line is exact
  assert.deepEqual(unsafeIssuerLines(text, read('leaf.crt')).map((u) => u.lineNumber), [2, 3]);
  assert.deepEqual(unsafeIssuerLines(own.toLowerCase() + '\n', read('self.crt')), [], 'keys ignore case');
  assert.deepEqual(unsafeIssuerLines(undefined, read('self.crt')), []);
});

test('statusExitCode: 5 unsafe first, then 4 unreachable, 2 failed, 6 stale, 7 expiring, else 0', async () => {
  const { statusExitCode, serverStatus, laptopStatus } = await import('../../roles/text/status.js');
  const pem = read('self.crt'); // valid for 30 days: "expiring"
  const own = 'CERTISSUER:/O=Sendmail/OU=Sendmail+20Server/CN=mail.example.org/emailAddress=admin@example.org\tRELAY';
  const okServer = serverStatus({ mode: 'shared-key', serverCertPem: pem, accessText: `${MARKER_PREFIX}server-issuer\n${own}\n` });
  assert.equal(okServer.unsafe.length, 0);
  assert.equal(statusExitCode([['s', okServer]]), 7, 'a certificate within 30 days of its end');
  const unsafeServer = serverStatus({ mode: 'shared-key', serverCertPem: read('leaf.crt'), accessText: 'CERTISSUER:/O=Test+20Public+20CA/CN=Test+20Public+20CA+20R1\tRELAY\n' });
  assert.equal(statusExitCode([['s', okServer], ['x', unsafeServer], ['u', { role: 'unreachable', reason: 'down' }]]), 5);
  assert.equal(statusExitCode([['s', okServer], ['u', { role: 'unreachable', reason: 'down' }], ['f', { role: 'failed', reason: 'x' }]]), 4);
  assert.equal(statusExitCode([['s', okServer], ['f', { role: 'failed', reason: 'x' }]]), 2);
  const base = { name: 'l1', cn: 'l1', server: 's', mode: 'shared-key' as const, certPem: pem, certSha: 'a', keySha: 'k', serverCertPem: pem, serverCertSha: 'a', serverKeySha: 'k', accessText: `${MARKER_PREFIX}server-issuer\n${own}\n` };
  const trust = (accessText: string) => judgeServerTrust({ required: true, smartHost: '[mail.example.org]', serverCertPem: pem, accessText });
  const line = `${MARKER_PREFIX}${SERVER_TLS_ID}\n${tlsSrvLine('mail.example.org', pem)}\n`;
  assert.equal(statusExitCode([['l1', laptopStatus({ ...base, trust: trust(line) })]]), 7, 'current, only expiring');
  assert.equal(statusExitCode([['l1', laptopStatus({ ...base, trust: trust('') })]]), 6, 'no rule: stale');
  assert.equal(statusExitCode([['l1', laptopStatus({ ...base, certSha: 'old', trust: trust(line) })]]), 6, 'old certificate');
  assert.equal(statusExitCode([['l1', laptopStatus({ ...base, trust: trust('TLS_Srv:mail.example.org\tVERIFY\n') })]]), 5, 'VERIFY alone');
  // a certificate far from its end, everything current: 0
  ossl('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', f('long.key'), '-out', f('long.crt'), '-days', '400', '-subj', DEBIAN_SUBJ);
  const long = read('long.crt');
  const lt = judgeServerTrust({ required: true, smartHost: '[mail.example.org]', serverCertPem: long, accessText: `${MARKER_PREFIX}${SERVER_TLS_ID}\n${tlsSrvLine('mail.example.org', long)}\n` });
  const ls = laptopStatus({ ...base, certPem: long, serverCertPem: long, trust: lt });
  const ss = serverStatus({ mode: 'shared-key', serverCertPem: long, accessText: `${MARKER_PREFIX}server-issuer\n${own}\n` });
  assert.deepEqual(ss.problems, []);
  assert.equal(statusExitCode([['s', ss], ['l1', ls]]), 0, JSON.stringify([ss.problems, ls.problems]));
});
