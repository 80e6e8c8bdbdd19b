// verify's pure parts: the TLS files from sendmail.cf, the reading of the session's output, the
// verdict; and the probe script itself, run with the local bash against a fake s_client.
import test from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync, chmodSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { hostFile } from '../../roles/files.js';
import { DEBIAN_CF } from '../support/fixtures.js';
import { cfSmartHost, checkMailAddress, clientTlsFiles, parseProbe, probeVerdict } from '../../roles/text/smtp-probe.js';

// a laptop's sendmail.cf: Debian's option lines and its smart host
const CF_DEBIAN = `${DEBIAN_CF}DS[mailserver.lab.example]\n`;

test('clientTlsFiles: from sendmail.cf, the last O line wins; no cert without both cert and key', () => {
  const cases: Array<[string, ReturnType<typeof clientTlsFiles>]> = [
    [CF_DEBIAN, { cert: '/etc/mail/tls/sendmail-client.crt', key: '/etc/mail/tls/sendmail-common.key', caFile: '/etc/mail/tls/sendmail-server.crt', caPath: '/etc/ssl/certs' }],
    [
      CF_DEBIAN + 'O ClientCertFile=/etc/mail/tls/laptop-client.crt\nO ClientKeyFile=/etc/mail/tls/laptop-client.key\n',
      { cert: '/etc/mail/tls/laptop-client.crt', key: '/etc/mail/tls/laptop-client.key', caFile: '/etc/mail/tls/sendmail-server.crt', caPath: '/etc/ssl/certs' },
    ],
    ['#O ClientCertFile=/x\nO ClientKeyFile=/y\n', { caFile: undefined, caPath: undefined }],
    ['', { caFile: undefined, caPath: undefined }],
    ['O ClientCertFile=/c\r\nO ClientKeyFile=/k\r\n', { cert: '/c', key: '/k', caFile: undefined, caPath: undefined }],
  ];
  for (const [cf, want] of cases) assert.deepEqual(clientTlsFiles(cf), want, JSON.stringify(cf));
});

test('cfSmartHost: DS without brackets or mailer', () => {
  assert.equal(cfSmartHost(CF_DEBIAN), 'mailserver.lab.example');
  assert.equal(cfSmartHost('DSesmtp:[relay.example]\n'), 'relay.example');
  assert.equal(cfSmartHost('DS\n'), undefined);
  assert.equal(cfSmartHost('# no DS\n'), undefined);
});

test('checkMailAddress refuses what could break the SMTP line', () => {
  assert.equal(checkMailAddress('someone@example.net'), undefined);
  for (const bad of ['someone', 'a b@example.net', 'a@example.net>\r\nRCPT TO:<x@y', 'a@ex ample', '<a@b>', '']) assert.ok(checkMailAddress(bad), bad);
});

const OK_STDERR = `SSL_connect:SSLv3/TLS read server certificate request
SSL_connect:SSLv3/TLS read server certificate
SSL_connect:SSLv3/TLS write client certificate
SSL_connect:SSLv3/TLS write certificate verify
CONNECTION ESTABLISHED
Protocol version: TLSv1.3
Ciphersuite: TLS_AES_256_GCM_SHA384
Peer certificate: O = Sendmail, OU = Sendmail Server, CN = mailserver.lab.example
Verification: OK
Verified peername: mailserver.lab.example
`;
const session = (rcptReply: string) => `R: 203.0.113.10
C: EHLO laptop1.lab.example
S: 250-mailserver.lab.example Hello laptop1.lab.example [203.0.113.21], pleased to meet you
S: 250 HELP
C: MAIL FROM:<root@laptop1.lab.example>
S: 250 2.1.0 <root@laptop1.lab.example>... Sender ok
C: RCPT TO:<someone@example.net>
S: ${rcptReply}
C: RSET
S: 250 2.0.0 Reset state
C: QUIT
S: 221 2.0.0 mailserver.lab.example closing connection
X: s_client-exit 0
`;
const ctx = { laptop: 'laptop1', server: 'mailserver.lab.example', port: 25, rcpt: 'someone@example.net', files: clientTlsFiles(CF_DEBIAN) };

test('parseProbe + probeVerdict: accepted', () => {
  const p = parseProbe(session('250 2.1.5 <someone@example.net>... Recipient ok'), OK_STDERR);
  assert.equal(p.address, '203.0.113.10');
  assert.deepEqual(p.tls, { established: true, protocol: 'TLSv1.3', cipher: 'TLS_AES_256_GCM_SHA384', peer: 'O = Sendmail, OU = Sendmail Server, CN = mailserver.lab.example', verification: 'OK', verifiedPeername: 'mailserver.lab.example', certRequested: true, certSent: true });
  assert.deepEqual(p.replies.map((r) => r.code), [250, 250, 250, 250, 221]);
  assert.equal(p.replies[0].text, '250 HELP', 'the final line of a multi-line reply');
  const v = probeVerdict(p, ctx);
  assert.equal(v.relays, true);
  assert.equal(v.error, undefined);
  assert.ok(v.messages.some((m) => m.includes('RCPT TO:<someone@example.net>: 250 2.1.5')));
  assert.ok(v.messages.some((m) => /verification OK/.test(m)));
});

test('probeVerdict: Relaying denied is an error naming the answer', () => {
  const stderr = OK_STDERR.replace('Verification: OK\nVerified peername: mailserver.lab.example\n', 'Verification error: self-signed certificate\n');
  const v = probeVerdict(parseProbe(session('550 5.7.1 <someone@example.net>... Relaying denied'), stderr), ctx);
  assert.equal(v.relays, false);
  assert.equal(v.error, 'mailserver.lab.example refuses to relay for laptop1: 550 5.7.1 <someone@example.net>... Relaying denied');
  assert.ok(v.messages.some((m) => m.includes('verification error: self-signed certificate')));
});

test('probeVerdict: no certificate request, no TLS, unresolvable, no openssl, cut short', () => {
  const noReq = probeVerdict(parseProbe(session('250 ok'), OK_STDERR.replace(/.*certificate request\n/, '')), ctx);
  assert.ok(noReq.messages.some((m) => /did not ask for a client certificate/.test(m)));
  const noTls = probeVerdict(parseProbe('R: 203.0.113.10\nX: no-reply\nX: s_client-exit 1\n', '40E76B3A0E7F0000:error:8000006F:system library:BIO_connect:Connection refused:../crypto/bio/bio_sock2.c:117:calling connect()\n40E76B3A0E7F0000:error:10000067:BIO routines:BIO_connect:connect error:../crypto/bio/bio_sock2.c:119:\nconnect:errno=111\n'), ctx);
  assert.equal(noTls.error, 'no STARTTLS session from laptop1 to mailserver.lab.example:25 (203.0.113.10): BIO_connect: Connection refused; BIO_connect: connect error; connect:errno=111');
  assert.match(probeVerdict(parseProbe('X: unresolvable\n', ''), ctx).error!, /laptop1 cannot resolve mailserver.lab.example/);
  assert.match(probeVerdict(parseProbe('X: no-openssl\n', ''), ctx).error!, /openssl is not installed on laptop1/);
  const noStarttls = probeVerdict(parseProbe('R: 203.0.113.10\nX: no-reply\nX: s_client-exit 1\n', "Didn't find STARTTLS in server response, trying anyway...\n40D7:error:0A00010B:SSL routines:ssl3_get_record:wrong version number:../ssl/record/ssl3_record.c:354:\n"), ctx);
  assert.equal(noStarttls.error, "mailserver.lab.example:25 does not offer STARTTLS to laptop1: is the server deployed (npm run deploy)?");
  const noCert = probeVerdict(parseProbe(session('550 5.7.1 <someone@example.net>... Relaying denied'), OK_STDERR.replace('SSL_connect:SSLv3/TLS write certificate verify\n', '')), { ...ctx, files: clientTlsFiles('') });
  assert.ok(noCert.messages.some((m) => /the laptop's sendmail presents none/.test(m)), noCert.messages.join('\n'));
  const cut = probeVerdict(parseProbe('R: 1.2.3.4\nC: EHLO x\nS: 421 4.3.2 Connection rate limit exceeded.\nC: MAIL FROM:<a@b>\nX: no-reply\n', OK_STDERR), ctx);
  assert.match(cut.error!, /ended before RCPT TO: last reply: 421 4.3.2 Connection rate limit exceeded/);
});

const PROBE_SCRIPT = hostFile('smtp-probe.sh');

test('files/smtp-probe.sh with the local bash and a fake openssl: one command at a time, the whole reply read', (t) => {
  try {
    execFileSync('bash', ['-c', 'true']);
  } catch {
    t.skip('no bash here');
    return;
  }
  const dir = mkdtempSync(join(tmpdir(), 'probe-'));
  try {
    // a fake s_client: prints the -brief summary to stderr, then answers each command only after reading it
    writeFileSync(
      join(dir, 'openssl'),
      `#!/bin/bash
echo "ARGS: $*" >&2
echo "CONNECTION ESTABLISHED" >&2; echo "Verification: OK" >&2
while IFS= read -r l; do l=\${l%$'\\r'}
  case $l in
    EHLO*) printf '250-fake Hello\\r\\n250-PIPELINING\\r\\n250 HELP\\r\\n';;
    MAIL*) printf '250 2.1.0 Sender ok\\r\\n';;
    RCPT*) printf '550 5.7.1 <%s>... Relaying denied\\r\\n' "\${l#RCPT TO:<}";;
    RSET) printf '250 2.0.0 Reset state\\r\\n';;
    QUIT) printf '221 2.0.0 closing connection\\r\\n'; exit 0;;
  esac
done
`,
    );
    chmodSync(join(dir, 'openssl'), 0o755);
    writeFileSync(join(dir, 'getent'), '#!/bin/sh\necho "192.0.2.99 $2"\n');
    chmodSync(join(dir, 'getent'), 0o755);
    const r = spawnSync('bash', ['-c', PROBE_SCRIPT, 'verify', 'srv.example', '25', '/c.crt', '/k.key', '', '/etc/ssl/certs', 'me.example', 'root@me.example', 'x@example.net'], {
      env: { PATH: `${dir}:${process.env.PATH}` },
      encoding: 'utf8',
    });
    assert.equal(r.status, 0, r.stderr);
    const out = r.stdout;
    const argv = /^ARGS: (.*)$/m.exec(r.stderr)?.[1];
    assert.equal(argv, 's_client -brief -state -nocommands -starttls smtp -name me.example -connect srv.example:25 -verify_hostname srv.example -cert /c.crt -key /k.key -CApath /etc/ssl/certs');
    const p = parseProbe(out, r.stderr);
    assert.equal(p.tls.verification, 'OK');
    assert.deepEqual(
      p.replies.map((r) => [r.command, r.text]),
      [
        ['EHLO me.example', '250 HELP'],
        ['MAIL FROM:<root@me.example>', '250 2.1.0 Sender ok'],
        ['RCPT TO:<x@example.net>', '550 5.7.1 <x@example.net>>... Relaying denied'],
        ['RSET', '250 2.0.0 Reset state'],
        ['QUIT', '221 2.0.0 closing connection'],
      ],
    );
    assert.equal(p.address, '192.0.2.99');
    assert.equal(p.sClientExit, 0);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
