// sendmail.cf option lines: which TLS files sendmail uses, which listeners it starts, whether
// laptops can reach it; and the refusals of set-ups the tool cannot serve.
import test from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cfOption, cfOptions, cfOptionsFromSummary, describeListener, isLoopback, listeners, reachability, tlsFiles, DEBIAN_TLS_FILES } from '../../roles/text/sendmail-cf.js';
import { laptopTlsProblems, pemHolds, serverTlsProblems } from '../../roles/tasks/tls-files.js';

import { DEBIAN_CF } from '../support/fixtures.js';

test('cfOptions: live O lines only, in order, with line numbers; the last setting wins', () => {
  const o = cfOptions(DEBIAN_CF);
  assert.equal(o.length, 8);
  assert.deepEqual(o[0], { name: 'DaemonPortOptions', value: 'Family=inet,  Name=MTA-v4, Port=smtp, Addr=0.0.0.0', line: 2 });
  assert.equal(cfOption(o, 'crlfile'), undefined);
  assert.equal(cfOption(cfOptions('O ServerCertFile=/a\nO ServerCertFile=/b\n'), 'ServerCertFile'), '/b');
  assert.equal(cfOption(cfOptions('O ServerCertFile=\n'), 'ServerCertFile'), undefined);
});

test('cfOptions: lines end at \\n or \\r\\n (as split(/\\r?\\n/)); a line holding another \\r is no option line', () => {
  const text = 'O A=1\r\n#O B=2\nO C = 3 \r\r\nR O D=4\nO E=5\rO F=6\n\nO G = 7 ';
  assert.deepEqual(cfOptions(text), [
    { name: 'A', value: '1', line: 1 },
    { name: 'G', value: '7', line: 7 },
  ]);
});

test("cfOptions: a file's bytes (as read from a host) give the same options as its text", () => {
  const texts = [
    DEBIAN_CF,
    'O A=1\r\n#O B=2\nO C = 3 \r\r\nR O D=4\nO E=5\rO F=6\n\nO G = 7 ',
    'O ServerCertFile=/etc/mail/tls/é crt\nO X=ü\n',
    'O First=1',
    '',
    '\n\nO Last=2\n',
  ];
  for (const t of texts) assert.deepEqual(cfOptions(Buffer.from(t, 'utf8')), cfOptions(t), JSON.stringify(t));
  assert.deepEqual(cfOptions(Buffer.from('O ServerCertFile=/etc/mail/tls/é crt\n')), [{ name: 'ServerCertFile', value: '/etc/mail/tls/é crt', line: 1 }]);
  // a subarray of a larger read (how a file's content arrives) is scanned within its own bounds
  const read = Buffer.from('O Before=1\nO Inside=2\nO After=3\n');
  assert.deepEqual(cfOptions(read.subarray(11, 22)), [{ name: 'Inside', value: '2', line: 1 }]);
});

test("tlsFiles: Debian's starttls.m4 set-up", () => assert.deepEqual(tlsFiles(cfOptions(DEBIAN_CF)), DEBIAN_TLS_FILES));
test('tlsFiles: nothing set (no starttls.m4, no defines)', () => assert.deepEqual(tlsFiles(cfOptions('#O ServerCertFile\n#O CACertFile\n')), {}));

const L = (lines: string[]) => listeners(cfOptions(lines.map((l) => `O DaemonPortOptions=${l}`).join('\n'))).map(describeListener);
const LISTENERS: Array<[string, string[], string[]]> = [
  ['none: sendmail default, port 25 on every IPv4 address', [], ['0.0.0.0:25']],
  ['Debian stock', ['Family=inet,  Name=MTA-v4, Port=smtp, Addr=127.0.0.1', 'Family=inet,  Name=MSP-v4, Port=submission, M=Ea, Addr=127.0.0.1'], ['MTA-v4 127.0.0.1:25', 'MSP-v4 127.0.0.1:587 M=Ea']],
  ['no Addr, no Port, no Family', ['Name=MTA'], ['MTA 0.0.0.0:25']],
  ['IPv6 without Addr is ::', ['Family=inet6, Name=MTA-v6, Port=smtp'], ['MTA-v6 [::]:25']],
  ['keys by first letter, numeric ports, smtps', ['Address=192.0.2.7,Port=2525,Name=Alt', 'Port=465, Name=TLSMTA, M=s', 'Port=submissions, Name=S2, Modifiers=s'], ['Alt 192.0.2.7:2525', 'TLSMTA 0.0.0.0:465 M=s', 'S2 0.0.0.0:465 M=s']],
];
for (const [name, lines, want] of LISTENERS) test(`listeners: ${name}`, () => assert.deepEqual(L(lines), want));

test('isLoopback', () => {
  for (const a of ['127.0.0.1', '127.0.1.1', '::1', '[::1]', 'localhost']) assert.equal(isLoopback(a), true, a);
  for (const a of ['0.0.0.0', '::', '198.18.3.10', 'fe80::1']) assert.equal(isLoopback(a), false, a);
});

const R = (lines: string[]) => reachability(listeners(cfOptions(lines.map((l) => `O DaemonPortOptions=${l}`).join('\n'))));
const REACH: Array<[string, string[], string | null, RegExp | null]> = [
  ['none at all: the default listens on port 25 everywhere', [], '0.0.0.0:25', null],
  ['Debian stock: loopback only', ['Family=inet,  Name=MTA-v4, Port=smtp, Addr=127.0.0.1', 'Family=inet,  Name=MSP-v4, Port=submission, M=Ea, Addr=127.0.0.1'], null, /listens only on MTA-v4 127\.0\.0\.1:25, MSP-v4 127\.0\.0\.1:587 M=Ea, so laptops cannot reach it/],
  ['MTA commented out, MSA on 127.0.0.1 only', ['Family=inet,  Name=MSP-v4, Port=submission, M=Ea, Addr=127.0.0.1'], null, /listens only on MSP-v4 127\.0\.0\.1:587/],
  ['IPv6 on ::, IPv4 on loopback: laptops use IPv6', ['Family=inet6, Name=MTA-v6, Port=smtp, Addr=::', 'Family=inet, Name=MTA-v4, Port=smtp, Addr=127.0.0.1'], 'MTA-v6 [::]:25', null],
  ['the lab: MTA on 0.0.0.0', ['Family=inet,  Name=MTA-v4, Port=smtp, Addr=0.0.0.0', 'Family=inet,  Name=MSP-v4, Port=submission, M=Ea, Addr=127.0.0.1'], 'MTA-v4 0.0.0.0:25', null],
  ['a public address', ['Name=MTA, Addr=198.18.3.10'], 'MTA 198.18.3.10:25', null],
  ['only 587 on the network', ['Name=MTA, Addr=127.0.0.1', 'Name=MSA, Port=587, M=Ea'], null, /on the network only on MSA 0\.0\.0\.0:587 M=Ea, not on port 25/],
  ['port 25 requires AUTH', ['Name=MTA, M=a'], null, /require SMTP AUTH/],
  ['port 25 with SMTPS and a plain one: the plain one', ['Name=S, M=s', 'Name=MTA6, Family=inet6'], 'MTA6 [::]:25', null],
];
for (const [name, lines, use, problem] of REACH) {
  test(`reachability: ${name}`, () => {
    const r = R(lines);
    assert.equal(r.use ? describeListener(r.use) : null, use);
    if (problem) assert.match(r.problem ?? '', problem);
    else assert.equal(r.problem, undefined);
  });
}

// a self-signed certificate and another one, made with openssl
const dir = mkdtempSync(join(tmpdir(), 'strl-cf-'));
const mk = (name: string, subj: string) => {
  execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', join(dir, `${name}.key`), '-out', join(dir, `${name}.crt`), '-days', '30', '-subj', subj], { stdio: 'ignore' });
  return readFileSync(join(dir, `${name}.crt`), 'utf8');
};
const SELF = mk('self', '/O=Admin/CN=mail.example.org');
const OTHER = mk('other', '/O=Other/CN=other.example.org');
rmSync(dir, { recursive: true, force: true });

test('pemHolds: a bundle holds a certificate whatever its line breaks', () => {
  assert.equal(pemHolds(OTHER + SELF, SELF), true);
  assert.equal(pemHolds(OTHER, SELF), false);
  assert.equal(pemHolds(SELF.replace(/\n/g, '\r\n'), SELF), true);
  assert.equal(pemHolds('', SELF), false);
});

const where = 'mailserver:/etc/mail/sendmail.mc';
const HAND = { serverCert: '/etc/mail/certs/mail.pem', serverKey: '/etc/mail/certs/mail.key', caCert: '/etc/mail/certs/mail-ca.pem' };
const PROBLEMS: Array<[string, Parameters<typeof serverTlsProblems>, RegExp | null]> = [
  ["Debian's set-up, files not yet made (update_tls makes them)", [DEBIAN_TLS_FILES, 'shared-key', { certPem: null, keyExists: null, caPem: null }, where], null],
  ["Debian's set-up, files there", [DEBIAN_TLS_FILES, 'shared-key', { certPem: SELF, keyExists: true, caPem: SELF }, where], null],
  ['no ServerCertFile at all', [{}, 'shared-key', {}, where], /^mailserver:\/etc\/mail\/sendmail\.mc: confSERVER_CERT \(no ServerCertFile in sendmail\.cf\) is not set/],
  ["Let's Encrypt files that do not exist", [{ serverCert: '/etc/letsencrypt/live/m/fullchain.pem', serverKey: '/etc/letsencrypt/live/m/privkey.pem' }, 'shared-key', { certPem: undefined, keyExists: false }, where], /confSERVER_CERT \(O ServerCertFile=\/etc\/letsencrypt\/live\/m\/fullchain\.pem\) names a file that does not exist/],
  ['key missing', [HAND, 'per-laptop', { certPem: SELF, keyExists: false }, where], /confSERVER_KEY \(O ServerKeyFile=\/etc\/mail\/certs\/mail\.key\) names a file that does not exist/],
  ['a macro left in the value', [{ serverCert: '$j.pem', serverKey: '/k' }, 'shared-key', {}, where], /is not a plain file name/],
  ['hand TLS, self-signed, CA file holds it', [HAND, 'shared-key', { certPem: SELF, keyExists: true, caPem: OTHER + SELF }, where], null],
  ['hand TLS, self-signed, CA file holds another, no CA path: verify=FAIL', [HAND, 'shared-key', { certPem: SELF, keyExists: true, caPem: OTHER }, where], /confCACERT \(O CACertFile=\/etc\/mail\/certs\/mail-ca\.pem\) does not hold the self-signed server certificate \/etc\/mail\/certs\/mail\.pem/],
  ['hand TLS, self-signed, no CA file but a CA path', [{ ...HAND, caCert: undefined, caPath: '/etc/mail/certs' }, 'shared-key', { certPem: SELF, keyExists: true }, where], null],
  ["Debian's file holding garbage: left to the certificates task", [DEBIAN_TLS_FILES, 'shared-key', { certPem: 'garbage', keyExists: true, caPem: 'garbage' }, where], null],
  ['a hand file holding garbage', [HAND, 'shared-key', { certPem: 'garbage', keyExists: true }, where], /confSERVER_CERT \(O ServerCertFile=\/etc\/mail\/certs\/mail\.pem\) is not a certificate the tool can read/],
  ['per-laptop mode does not need the server to trust itself', [HAND, 'per-laptop', { certPem: SELF, keyExists: true, caPem: OTHER }, where], null],
];
for (const [name, args, want] of PROBLEMS) {
  test(`serverTlsProblems: ${name}`, () => {
    const p = serverTlsProblems(...args);
    if (want) {
      assert.ok(p.length >= 1);
      assert.match(p[0].message, want);
      assert.ok(!p[0].message.includes('\n'), 'one line');
    } else assert.deepEqual(p, []);
  });
}

test("laptopTlsProblems: shared-key needs Debian's client file names", () => {
  assert.deepEqual(laptopTlsProblems(DEBIAN_TLS_FILES, 'laptop1:/etc/mail/sendmail.mc'), []);
  const p = laptopTlsProblems({ ...DEBIAN_TLS_FILES, clientCert: '/etc/mail/certs/me.pem' }, 'laptop1:/etc/mail/sendmail.mc');
  assert.equal(p.length, 1);
  assert.match(p[0], /^laptop1:\/etc\/mail\/sendmail\.mc: confCLIENT_CERT \(O ClientCertFile=\/etc\/mail\/certs\/me\.pem\) is not \/etc\/mail\/tls\/sendmail-client\.crt/);
  assert.match(laptopTlsProblems({}, 'x')[0], /confCLIENT_CERT \(no ClientCertFile in sendmail\.cf\)/);
});

test("the shared-key laptop plan drops exactly per-laptop mode's defines", async () => {
  const { PER_LAPTOP_DEFINES } = await import('../../roles/tasks/tls-files.js');
  const { LAPTOP_DEFINES } = await import('../../roles/tasks/per-laptop.js');
  assert.deepEqual(PER_LAPTOP_DEFINES, LAPTOP_DEFINES);
});

test("cfOptionsFromSummary: what `LC_ALL=C grep -a -n '^O'` prints of a sendmail.cf (safe-make's summary) gives cfOptions' options, line numbers included", () => {
  const dir = mkdtempSync(join(tmpdir(), 'str-cf-'));
  try {
    const texts: Array<string | Buffer> = [
      DEBIAN_CF,
      'O A=1\r\n#O B=2\nO C = 3 \r\r\nR O D=4\nO E=5\rO F=6\n\nO G = 7 ',
      'O ServerCertFile=/etc/mail/tls/é crt\nO X=ü\n',
      Buffer.from([...Buffer.from('O Bin=\xff\x00x\nO Next=1\n', 'latin1')]),
      'O First=1',
      '',
      '\n\nO Last=2\n',
      'Ox=1\nO  Spaced = 2\n O Indented=3\nO 9=4\n',
    ];
    for (const t of texts) {
      const f = join(dir, 'sendmail.cf');
      writeFileSync(f, t);
      const r = spawnSync('grep', ['-a', '-n', '^O', '--', f], { env: { ...process.env, LC_ALL: 'C' } });
      assert.deepEqual(cfOptionsFromSummary(r.stdout), cfOptions(Buffer.from(t)), JSON.stringify(t.toString()));
    }
    assert.deepEqual(cfOptionsFromSummary('12:O ServerCertFile=/a\n40:O ServerCertFile=/b\n'), [
      { name: 'ServerCertFile', value: '/a', line: 12 },
      { name: 'ServerCertFile', value: '/b', line: 40 },
    ]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
