// Unit tests for roles/pki/laptop-ca.ts: the laptop CA, signing laptops' CSRs, the confCACERT
// bundle and the per-laptop certificate state. Cross-checked with the local `openssl` CLI in a temp
// dir: CSRs are made by the real `openssl req` (as on a laptop), issued certificates are checked
// with `openssl verify` and printed with `openssl x509 -nameopt compat` (X509_NAME_oneline, what
// sendmail uses for the access map).
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync, rmSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import forge from 'node-forge';
import { certInfo, certIssuerKey, certSubjectKey, xtext, type DnEntry } from '../../roles/text/dn.js';
import {
  caBundle,
  certMatchesKey,
  certSignedBy,
  laptopCaSubject,
  laptopCertState,
  laptopCsrArgs,
  laptopSubject,
  makeLaptopCa,
  sameName,
  signLaptopCsr,
  type LaptopCertState,
} from '../../roles/pki/laptop-ca.js';

const DAY = 24 * 3600 * 1000;

function haveOpenssl(): boolean {
  try {
    execFileSync('openssl', ['version'], { stdio: 'pipe' });
    return true;
  } catch {
    return false;
  }
}
const skip = haveOpenssl() ? false : 'openssl CLI not available';

const dir = mkdtempSync(join(tmpdir(), 'laptop-ca-test-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const openssl = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, encoding: 'utf8', stdio: 'pipe' });
const opensslIn = (input: string, ...args: string[]) => execFileSync('openssl', args, { cwd: dir, encoding: 'utf8', input, stdio: 'pipe' });
const file = (name: string, text: string) => {
  writeFileSync(join(dir, name), text);
  return name;
};
/** `openssl verify`'s verdict line, or its error output when it fails. */
function verify(caFile: string, certFile: string, ...extra: string[]): string {
  try {
    return openssl('verify', ...extra, '-CAfile', caFile, certFile).trim();
  } catch (e) {
    return String((e as { stdout?: string }).stdout ?? '') + String((e as { stderr?: string }).stderr ?? '');
  }
}
let n = 0;
/** A CSR made on "the laptop" with the real openssl, as laptopCsrArgs says; its key file name. */
function laptopCsr(laptop: string): { csr: string; key: string } {
  const key = `laptop-${n++}.key`;
  return { csr: openssl(...laptopCsrArgs(laptopSubject(laptop), key)), key };
}
const publicKey = (keyFile: string) => openssl('pkey', '-in', keyFile, '-pubout');

const SERVER = 'mailserver.lab.example';
const ca = makeLaptopCa({ commonName: SERVER });
const otherCa = makeLaptopCa({ commonName: SERVER }); // same name, new key: e.g. the CA was remade
file('ca.crt', ca.certPem);
const CA_ISSUER_KEY = '/O=Sendmail/OU=Laptop+20CA/CN=mailserver.lab.example';

// ---------------------------------------------------------------- names
const subjectCases: { name: string; input: string; subj: string; oneline: string; accessKey: string }[] = [
  {
    name: 'plain host name',
    input: 'laptop1.lab.example',
    subj: '/O=Sendmail/OU=Sendmail Laptop/CN=laptop1.lab.example',
    oneline: '/O=Sendmail/OU=Sendmail Laptop/CN=laptop1.lab.example',
    accessKey: '/O=Sendmail/OU=Sendmail+20Laptop/CN=laptop1.lab.example',
  },
  {
    name: 'non-ASCII',
    input: 'Müller-Laptop',
    subj: '/O=Sendmail/OU=Sendmail Laptop/CN=Müller-Laptop',
    oneline: '/O=Sendmail/OU=Sendmail Laptop/CN=M\\xC3\\xBCller-Laptop',
    accessKey: '/O=Sendmail/OU=Sendmail+20Laptop/CN=M+5CxC3+5CxBCller-Laptop',
  },
  {
    name: '+, space, / and backslash',
    input: 'a+b c/d\\e',
    subj: '/O=Sendmail/OU=Sendmail Laptop/CN=a\\+b c\\/d\\\\e',
    oneline: '/O=Sendmail/OU=Sendmail Laptop/CN=a\\+b c\\/d\\e',
    accessKey: '/O=Sendmail/OU=Sendmail+20Laptop/CN=a+5C+2Bb+20c+5C/d+5Ce',
  },
  {
    name: 'quotes, =, leading #, CJK',
    input: '#"x"=笔记本',
    subj: '/O=Sendmail/OU=Sendmail Laptop/CN=#"x"=笔记本',
    oneline: '/O=Sendmail/OU=Sendmail Laptop/CN=#"x"=\\xE7\\xAC\\x94\\xE8\\xAE\\xB0\\xE6\\x9C\\xAC',
    accessKey: '/O=Sendmail/OU=Sendmail+20Laptop/CN=#+22x+22=+5CxE7+5CxAC+5Cx94+5CxE8+5CxAE+5CxB0+5CxE6+5Cx9C+5CxAC',
  },
  { name: 'exactly 64 characters', input: 'x'.repeat(64), subj: `/O=Sendmail/OU=Sendmail Laptop/CN=${'x'.repeat(64)}`, oneline: `/O=Sendmail/OU=Sendmail Laptop/CN=${'x'.repeat(64)}`, accessKey: `/O=Sendmail/OU=Sendmail+20Laptop/CN=${'x'.repeat(64)}` },
];
for (const c of subjectCases) {
  test(`laptopSubject: ${c.name}`, () => {
    const s = laptopSubject(c.input);
    assert.equal(s.subj, c.subj);
    assert.equal(s.oneline, c.oneline);
    assert.equal(xtext(s.oneline), c.accessKey);
    assert.deepEqual(s.attributes.map((a) => a.type), ['2.5.4.10', '2.5.4.11', '2.5.4.3']);
  });

  // The real thing: openssl req on "the laptop", signed here, read back by openssl and by dn.ts.
  test(`signLaptopCsr with a CSR from openssl req: ${c.name}`, { skip }, () => {
    const s = laptopSubject(c.input);
    const { csr, key } = laptopCsr(c.input);
    assert.equal(opensslIn(csr, 'req', '-noout', '-subject', '-nameopt', 'compat').trim(), `subject=${c.oneline}`, 'openssl req -subj took the escaping as meant');
    const cert = signLaptopCsr(csr, ca.certPem, ca.keyPem, { expectedSubject: s });
    const crt = file(`${key}.crt`, cert);
    assert.equal(verify('ca.crt', crt, '-purpose', 'sslclient'), `${crt}: OK`);
    assert.equal(openssl('x509', '-in', crt, '-noout', '-subject', '-nameopt', 'compat').trim(), `subject=${c.oneline}`);
    assert.equal(openssl('x509', '-in', crt, '-noout', '-issuer', '-nameopt', 'compat').trim(), `issuer=${laptopCaSubject(SERVER).oneline}`);
    assert.equal(certSubjectKey(cert), c.accessKey);
    assert.equal(certIssuerKey(cert), CA_ISSUER_KEY);
    assert.equal(certInfo(cert).subject, c.oneline);
    assert.ok(certSignedBy(cert, ca.certPem));
    assert.ok(certMatchesKey(cert, csr), 'holds the CSR key');
    assert.ok(certMatchesKey(cert, publicKey(key)), 'holds the laptop key');
    assert.ok(certMatchesKey(cert, readFileSync(join(dir, key), 'utf8')), 'private key PEM: its public half');
    assert.equal(laptopCertState({ certPem: cert, caCertPem: ca.certPem, expectedSubject: s, publicKeyPem: publicKey(key) }), 'current');
  });
}

const badNames: { name: string; input: string; error: RegExp }[] = [
  { name: 'empty', input: '', error: /empty name/ },
  { name: 'NUL', input: 'a\0b', error: /NUL/ },
  { name: '65 characters', input: 'x'.repeat(65), error: /65 characters.*at most 64/ },
  { name: '65 non-ASCII characters', input: 'ü'.repeat(65), error: /65 characters/ },
];
for (const c of badNames) {
  test(`laptopSubject refuses: ${c.name}`, () => assert.throws(() => laptopSubject(c.input), c.error));
}
test('laptopSubject: 64 non-ASCII characters are fine (openssl counts characters, not bytes)', { skip }, () => {
  const name = 'ü'.repeat(64);
  const { csr } = laptopCsr(name);
  assert.ok(signLaptopCsr(csr, ca.certPem, ca.keyPem, { expectedSubject: laptopSubject(name) }).includes('BEGIN CERTIFICATE'));
});

test('laptopCaSubject', () => {
  const s = laptopCaSubject(SERVER);
  assert.equal(s.subj, '/O=Sendmail/OU=Laptop CA/CN=mailserver.lab.example');
  assert.equal(xtext(s.oneline), CA_ISSUER_KEY);
});

test('laptopCsrArgs: -utf8 and the subject as one argument', () => {
  const args = laptopCsrArgs(laptopSubject('a b'), '/k');
  assert.deepEqual(args, ['req', '-new', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-utf8', '-keyout', '/k', '-subj', '/O=Sendmail/OU=Sendmail Laptop/CN=a b', '-out', '-']);
  assert.equal(laptopCsrArgs(laptopSubject('x'))[9], '/etc/mail/tls/laptop-client.key');
});

const U8 = forge.asn1.Type.UTF8;
const PS = forge.asn1.Type.PRINTABLESTRING;
const sameNameCases: { name: string; a: DnEntry[]; b: DnEntry[]; same: boolean }[] = [
  { name: 'string type does not count', a: [{ type: '2.5.4.3', value: 'x', valueTagClass: U8 }], b: [{ type: '2.5.4.3', value: 'x', valueTagClass: PS }], same: true },
  { name: 'value differs', a: [{ type: '2.5.4.3', value: 'x' }], b: [{ type: '2.5.4.3', value: 'y' }], same: false },
  { name: 'OID differs', a: [{ type: '2.5.4.3', value: 'x' }], b: [{ type: '2.5.4.10', value: 'x' }], same: false },
  { name: 'order differs', a: [{ type: '2.5.4.10', value: 'x' }, { type: '2.5.4.3', value: 'y' }], b: [{ type: '2.5.4.3', value: 'y' }, { type: '2.5.4.10', value: 'x' }], same: false },
  { name: 'multi-valued RDN vs two RDNs', a: [{ type: '2.5.4.10', value: 'x', rdn: 0 }, { type: '2.5.4.3', value: 'y', rdn: 0 }], b: [{ type: '2.5.4.10', value: 'x', rdn: 0 }, { type: '2.5.4.3', value: 'y', rdn: 1 }], same: false },
  { name: 'RDN numbering differs, grouping same', a: [{ type: '2.5.4.10', value: 'x', rdn: 3 }, { type: '2.5.4.3', value: 'y', rdn: 4 }], b: [{ type: '2.5.4.10', value: 'x' }, { type: '2.5.4.3', value: 'y' }], same: true },
  { name: 'extra entry', a: laptopSubject('l').attributes, b: [...laptopSubject('l').attributes, { type: '1.2.840.113549.1.9.1', value: 'a@b', rdn: 9 }], same: false },
  { name: 'decoded text vs bytes of the same UTF-8', a: [{ type: '2.5.4.3', value: 'ü', valueTagClass: U8 }], b: laptopSubject('ü').attributes.slice(2), same: true },
];
for (const c of sameNameCases) {
  test(`sameName: ${c.name}`, () => {
    assert.equal(sameName(c.a, c.b), c.same);
    assert.equal(sameName(c.b, c.a), c.same);
  });
}

// ---------------------------------------------------------------- the CA
test('makeLaptopCa: a self-signed v3 CA that openssl accepts', { skip }, () => {
  assert.equal(verify('ca.crt', 'ca.crt'), 'ca.crt: OK');
  const text = openssl('x509', '-in', 'ca.crt', '-noout', '-text');
  assert.match(text, /Version: 3 \(0x2\)/);
  assert.match(text, /Public-Key: \(2048 bit\)/);
  assert.match(text, /Basic Constraints: critical\n\s+CA:TRUE\n/);
  assert.match(text, /Key Usage: critical\n\s+Certificate Sign, CRL Sign\n/);
  assert.match(text, /Subject Key Identifier/);
  assert.equal(openssl('x509', '-in', 'ca.crt', '-noout', '-subject', '-nameopt', 'compat').trim(), 'subject=/O=Sendmail/OU=Laptop CA/CN=mailserver.lab.example');
  assert.equal(certSubjectKey(ca.certPem), CA_ISSUER_KEY);
  assert.equal(certIssuerKey(ca.certPem), CA_ISSUER_KEY);
  assert.ok(certSignedBy(ca.certPem, ca.certPem));
  assert.ok(!certSignedBy(ca.certPem, otherCa.certPem));
  assert.ok(certMatchesKey(ca.certPem, ca.keyPem));
  assert.ok(!certMatchesKey(ca.certPem, otherCa.keyPem));
  assert.match(openssl('pkey', '-in', file('ca.key', ca.keyPem), '-check', '-noout'), /valid/i);
});

test('makeLaptopCa: validity from `now`, serials random and positive', { skip }, () => {
  const now = new Date('2030-01-02T03:04:05.678Z');
  const c = makeLaptopCa({ commonName: 'x.example', days: 10, now });
  const info = certInfo(c.certPem);
  assert.equal(info.notBefore.toISOString(), '2030-01-02T02:04:05.000Z'); // an hour early
  assert.equal(info.notAfter.toISOString(), '2030-01-12T03:04:05.000Z');
  const serial = (pem: string) => opensslIn(pem, 'x509', '-noout', '-serial').trim().replace('serial=', '');
  const serials = [serial(c.certPem), serial(ca.certPem), serial(otherCa.certPem)];
  assert.equal(new Set(serials).size, 3);
  for (const s of serials) assert.match(s, /^[4-7][0-9A-F]{31}$/);
  assert.throws(() => makeLaptopCa({ commonName: 'x', days: 0 }), /days must be positive/);
});

test('makeLaptopCa: key generation is quick (node:crypto\'s native RSA key generation)', () => {
  const t = Date.now();
  makeLaptopCa({ commonName: 'speed.example' });
  assert.ok(Date.now() - t < 10_000, `took ${Date.now() - t} ms`);
});

// ---------------------------------------------------------------- signing: refusals
test('signLaptopCsr: certificate details (v3, CA:FALSE, clientAuth, key ids, dates)', { skip }, () => {
  const now = new Date('2027-03-04T05:06:07Z');
  const { csr, key } = laptopCsr('laptop1.lab.example');
  // the key laptopCsrArgs makes: ECDSA P-256 (~1 ms to make; RSA 2048 took 0.1-0.4 s of a laptop's CPU)
  assert.match(openssl('pkey', '-in', key, '-noout', '-text'), /ASN1 OID: prime256v1/);
  const cert = signLaptopCsr(csr, ca.certPem, ca.keyPem, { now });
  const text = opensslIn(cert, 'x509', '-noout', '-text');
  assert.match(text, /Version: 3 \(0x2\)/);
  assert.match(text, /Basic Constraints: critical\n\s+CA:FALSE\n/);
  // an EC key signs and encrypts nothing (RFC 8813, updating RFC 5480): digitalSignature alone
  assert.match(text, /Key Usage: critical\n\s+Digital Signature\n/);
  assert.match(text, /Extended Key Usage: \n\s+TLS Web Client Authentication\n/);
  const caSki = /Subject Key Identifier: \n\s+(\S+)/.exec(openssl('x509', '-in', 'ca.crt', '-noout', '-text'))?.[1];
  assert.ok(caSki);
  assert.match(text, new RegExp(`Authority Key Identifier: \\n\\s+(keyid:)?${caSki}\\n`));
  const info = certInfo(cert);
  assert.equal(info.notBefore.toISOString(), '2027-03-04T04:06:07.000Z');
  assert.equal(info.notAfter.getTime() - now.getTime(), 825 * DAY);
});

test('signLaptopCsr: an RSA key a laptop already has (made by an earlier version) gets keyEncipherment too', { skip }, () => {
  const csr = openssl('req', '-new', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'old-rsa.key', '-utf8', '-subj', laptopSubject('rsa.example').subj, '-out', '-');
  const cert = signLaptopCsr(csr, ca.certPem, ca.keyPem, { expectedSubject: laptopSubject('rsa.example') });
  assert.match(opensslIn(cert, 'x509', '-noout', '-text'), /Key Usage: critical\n\s+Digital Signature, Key Encipherment\n/);
  assert.equal(verify('ca.crt', file('rsa.crt', cert), '-purpose', 'sslclient'), 'rsa.crt: OK');
  assert.ok(certMatchesKey(cert, publicKey('old-rsa.key')));
});

test('signLaptopCsr: validity past 2049 uses GeneralizedTime, read right by openssl', { skip }, () => {
  const { csr } = laptopCsr('far.example');
  const cert = signLaptopCsr(csr, ca.certPem, ca.keyPem, { now: new Date('2049-12-01T00:00:00Z'), days: 60 });
  assert.equal(opensslIn(cert, 'x509', '-noout', '-enddate').trim(), 'notAfter=Jan 30 00:00:00 2050 GMT');
  assert.equal(certInfo(cert).notAfter.toISOString(), '2050-01-30T00:00:00.000Z');
});

test('signLaptopCsr: a CSR for another name than expected is refused', { skip }, () => {
  const { csr } = laptopCsr('laptop2.lab.example');
  assert.throws(
    () => signLaptopCsr(csr, ca.certPem, ca.keyPem, { expectedSubject: laptopSubject('laptop1.lab.example') }),
    /asks for \/O=Sendmail\/OU=Sendmail Laptop\/CN=laptop2\.lab\.example, expected .*CN=laptop1\.lab\.example: refusing to sign/,
  );
  // attributes alone work as well
  assert.throws(() => signLaptopCsr(csr, ca.certPem, ca.keyPem, { expectedSubject: laptopSubject('laptop1.lab.example').attributes }), /refusing/);
  // a CSR with the CN only (no O/OU) is another name too
  const bare = openssl('req', '-new', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'bare.key', '-subj', '/CN=laptop2.lab.example', '-out', '-');
  assert.throws(() => signLaptopCsr(bare, ca.certPem, ca.keyPem, { expectedSubject: laptopSubject('laptop2.lab.example') }), /refusing/);
});

test('signLaptopCsr: a tampered CSR is refused', { skip }, () => {
  const { csr } = laptopCsr('laptop1.lab.example');
  const body = forge.pem.decode(csr)[0].body;
  assert.ok(body.includes('laptop1'));
  const tampered = forge.pem.encode({ type: 'CERTIFICATE REQUEST', body: body.replace('laptop1', 'laptop9') });
  assert.throws(() => signLaptopCsr(tampered, ca.certPem, ca.keyPem), /signature does not verify/);
  // the same CSR untouched passes: the check is real
  assert.ok(signLaptopCsr(csr, ca.certPem, ca.keyPem).includes('BEGIN CERTIFICATE'));
});

const garbage: { name: string; csr: string; error: RegExp }[] = [
  { name: 'not PEM', csr: 'hello', error: /not PEM/ },
  { name: 'a certificate, not a CSR', csr: ca.certPem, error: /no CERTIFICATE REQUEST block/ },
  { name: 'broken DER', csr: '-----BEGIN CERTIFICATE REQUEST-----\nAAAA\n-----END CERTIFICATE REQUEST-----\n', error: /bad DER|malformed/ },
];
for (const c of garbage) {
  test(`signLaptopCsr: ${c.name} is an error`, () => assert.throws(() => signLaptopCsr(c.csr, ca.certPem, ca.keyPem), c.error));
}

test('signLaptopCsr: a CA key that does not match the CA certificate is refused', { skip }, () => {
  const { csr } = laptopCsr('laptop1.lab.example');
  assert.throws(() => signLaptopCsr(csr, ca.certPem, otherCa.keyPem), /does not belong to the laptop CA certificate/);
});

test('signLaptopCsr: the signature is PKCS#1 v1.5 over SHA-256, byte for byte what forge\'s own key.sign gives', { skip }, () => {
  const { csr } = laptopCsr('laptop1.lab.example');
  const cert = signLaptopCsr(csr, ca.certPem, ca.keyPem);
  const outer = forge.asn1.fromDer(forge.pem.decode(cert)[0].body);
  const [tbs, , sig] = outer.value as forge.asn1.Asn1[];
  const md = forge.md.sha256.create();
  md.update(forge.asn1.toDer(tbs).getBytes());
  const forgeKey = forge.pki.privateKeyFromPem(ca.keyPem) as forge.pki.rsa.PrivateKey;
  assert.equal((sig.value as string).slice(1), forgeKey.sign(md));
  assert.equal(verify('ca.crt', file('l1.crt', cert), '-purpose', 'sslclient'), 'l1.crt: OK');
});

test('signLaptopCsr: a CA key that is not RSA, or not a key, is refused in one line without its bytes', { skip }, () => {
  const { csr } = laptopCsr('laptop1.lab.example');
  const ec = openssl('genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:prime256v1');
  assert.throws(() => signLaptopCsr(csr, ca.certPem, ec), /^Error: laptop CA key: not an RSA private key in PEM \(a ec key\)$/);
  const junk = '-----BEGIN RSA PRIVATE KEY-----\nc2VjcmV0LWJ5dGVz\n-----END RSA PRIVATE KEY-----\n';
  assert.throws(
    () => signLaptopCsr(csr, ca.certPem, junk),
    (e: Error) => /^laptop CA key: not an RSA private key in PEM \(/.test(e.message) && !e.message.includes('c2VjcmV0') && !e.message.includes('\n'),
  );
});

test('signLaptopCsr: an EC key from the laptop works too (the CSR is checked with node:crypto)', { skip }, () => {
  const csr = openssl('req', '-new', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', 'ec.key', '-utf8', '-subj', laptopSubject('ec.example').subj, '-out', '-');
  const cert = signLaptopCsr(csr, ca.certPem, ca.keyPem, { expectedSubject: laptopSubject('ec.example') });
  assert.equal(verify('ca.crt', file('ec.crt', cert), '-purpose', 'sslclient'), 'ec.crt: OK');
  assert.ok(certMatchesKey(cert, publicKey('ec.key')));
});

// ---------------------------------------------------------------- other CAs
test('certSignedBy: a certificate from another CA, even with the same CA name, is not ours', { skip }, () => {
  const { csr, key } = laptopCsr('laptop1.lab.example');
  const fromOther = signLaptopCsr(csr, otherCa.certPem, otherCa.keyPem);
  assert.equal(certIssuerKey(fromOther), CA_ISSUER_KEY, 'same issuer name');
  assert.equal(certSignedBy(fromOther, otherCa.certPem), true);
  assert.equal(certSignedBy(fromOther, ca.certPem), false);
  assert.match(verify('ca.crt', file('other.crt', fromOther)), /error|fail/i);

  // A laptop that makes its own "laptop CA" with the real CA's DN and signs itself a certificate.
  openssl('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'fake-ca.key', '-subj', laptopCaSubject(SERVER).subj, '-days', '30', '-out', 'fake-ca.crt');
  file('self.csr', csr);
  openssl('x509', '-req', '-in', 'self.csr', '-CA', 'fake-ca.crt', '-CAkey', 'fake-ca.key', '-CAcreateserial', '-days', '30', '-out', 'self.crt');
  const self = readFileSync(join(dir, 'self.crt'), 'utf8');
  assert.equal(certIssuerKey(self), CA_ISSUER_KEY);
  assert.equal(certSignedBy(self, readFileSync(join(dir, 'fake-ca.crt'), 'utf8')), true);
  assert.equal(certSignedBy(self, ca.certPem), false);
  assert.equal(laptopCertState({ certPem: self, caCertPem: ca.certPem, expectedSubject: laptopSubject('laptop1.lab.example'), publicKeyPem: publicKey(key) }), 'other-ca');
});

// ---------------------------------------------------------------- the bundle
test('caBundle: server certificate + laptop CA; openssl verifies both kinds of client with it', { skip }, () => {
  // The server's certificate as Debian's update_tls makes it: self-signed X.509 v1.
  const subj = '/O=Sendmail/OU=Sendmail Server/CN=mailserver.lab.example/emailAddress=admin@mailserver.lab.example';
  openssl('req', '-new', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'server.key', '-subj', subj, '-out', 'server.csr');
  openssl('x509', '-req', '-in', 'server.csr', '-signkey', 'server.key', '-days', '3650', '-out', 'server.crt');
  assert.match(openssl('x509', '-in', 'server.crt', '-noout', '-text'), /Version: 1 \(0x0\)/);
  const serverCrt = readFileSync(join(dir, 'server.crt'), 'utf8');

  const bundle = caBundle(serverCrt.replace(/\n/g, '\r\n'), `\n\n${ca.certPem}\n\n`);
  assert.equal(bundle, `${serverCrt.trim()}\n${ca.certPem.trim()}\n`);
  assert.equal(bundle.match(/-----BEGIN CERTIFICATE-----/g)?.length, 2);
  assert.ok(!bundle.includes('\r'));
  file('bundle.crt', bundle);

  const { csr } = laptopCsr('laptop1.lab.example');
  file('l1.crt', signLaptopCsr(csr, ca.certPem, ca.keyPem));
  assert.equal(verify('bundle.crt', 'l1.crt'), 'l1.crt: OK');
  assert.equal(verify('bundle.crt', 'server.crt'), 'server.crt: OK');
  // and each half alone does not verify the other kind: both are needed
  assert.notEqual(verify('server.crt', 'l1.crt'), 'l1.crt: OK');
  assert.notEqual(verify('ca.crt', 'server.crt'), 'server.crt: OK');
});

test('caBundle: only certificates are copied, never a key sharing the file', () => {
  const withKey = `${ca.keyPem}${ca.certPem}`;
  const bundle = caBundle(withKey, otherCa.certPem);
  assert.ok(!bundle.includes('PRIVATE KEY'));
  assert.equal(bundle, `${ca.certPem.trim()}\n${otherCa.certPem.trim()}\n`);
});

test('caBundle: no certificate in an input is an error', () => {
  assert.throws(() => caBundle('', ca.certPem), /server's certificate: no CERTIFICATE block/);
  assert.throws(() => caBundle(ca.certPem, ca.keyPem), /laptop CA certificate: no CERTIFICATE block/);
});

// ---------------------------------------------------------------- laptopCertState
{
  const issued = new Date('2027-01-01T00:00:00Z');
  const subject = laptopSubject('laptop1.lab.example');
  const l1 = haveOpenssl() ? laptopCsr('laptop1.lab.example') : undefined;
  const l2 = haveOpenssl() ? laptopCsr('laptop2.lab.example') : undefined;
  const sign = (csr: string, c = ca) => signLaptopCsr(csr, c.certPem, c.keyPem, { now: issued, days: 100 });
  const cert1 = l1 ? sign(l1.csr) : '';
  const end = certInfo(cert1 || ca.certPem).notAfter.getTime();
  const stateCases: { name: string; cert: () => string | undefined; now: Date; pub?: () => string; expected: LaptopCertState }[] = [
    { name: 'no file', cert: () => undefined, now: issued, expected: 'missing' },
    { name: 'empty file', cert: () => '  \n', now: issued, expected: 'missing' },
    { name: 'not a certificate', cert: () => 'garbage\n', now: issued, expected: 'unreadable' },
    { name: 'broken certificate', cert: () => '-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n', now: issued, expected: 'unreadable' },
    { name: 'signed by another CA', cert: () => sign(l1!.csr, otherCa), now: issued, expected: 'other-ca' },
    { name: "another laptop's certificate", cert: () => sign(l2!.csr), now: issued, expected: 'wrong-subject' },
    { name: 'the laptop has another key now', cert: () => cert1, now: issued, pub: () => publicKey(l2!.key), expected: 'wrong-key' },
    { name: 'right key', cert: () => cert1, now: issued, pub: () => publicKey(l1!.key), expected: 'current' },
    { name: 'before notBefore', cert: () => cert1, now: new Date(issued.getTime() - 2 * 3600 * 1000), expected: 'not-yet-valid' },
    { name: 'just issued', cert: () => cert1, now: issued, expected: 'current' },
    { name: '31 days left', cert: () => cert1, now: new Date(end - 31 * DAY), expected: 'current' },
    { name: '30 days left', cert: () => cert1, now: new Date(end - 30 * DAY), expected: 'expiring' },
    { name: '1 s left', cert: () => cert1, now: new Date(end - 1000), expected: 'expiring' },
    { name: '1 s after the end', cert: () => cert1, now: new Date(end + 1000), expected: 'expired' },
  ];
  for (const c of stateCases) {
    test(`laptopCertState: ${c.name} → ${c.expected}`, { skip }, () => {
      assert.equal(laptopCertState({ certPem: c.cert(), caCertPem: ca.certPem, expectedSubject: subject, now: c.now, publicKeyPem: c.pub?.() }), c.expected);
    });
  }
  test('laptopCertState: expiringDays is adjustable', { skip }, () => {
    const now = new Date(end - 40 * DAY);
    assert.equal(laptopCertState({ certPem: cert1, caCertPem: ca.certPem, expectedSubject: subject, now }), 'current');
    assert.equal(laptopCertState({ certPem: cert1, caCertPem: ca.certPem, expectedSubject: subject, now, expiringDays: 45 }), 'expiring');
  });
}

test('certMatchesKey / certSignedBy: unreadable input is an error, not false', () => {
  assert.throws(() => certSignedBy('nope', ca.certPem), /no CERTIFICATE block/);
  assert.throws(() => certMatchesKey('nope', ca.keyPem), /no CERTIFICATE block/);
});
