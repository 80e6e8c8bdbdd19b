// Unit tests for roles/text/dn.ts: the access-map key of a certificate, as sendmail computes it.
// Besides the tables, a cross-check against the local `openssl` CLI: certificates made here (with
// node-forge and with `openssl req`/`openssl x509 -req` like Debian's update_tls) are printed with
// `openssl x509 -noout -issuer -nameopt compat`, which is X509_NAME_oneline() without a size limit.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import forge from 'node-forge';
import {
  certificate,
  certInfo,
  certIssuerKey,
  certSubjectKey,
  opensslOneline,
  xtext,
  type DnEntry,
} from '../../roles/text/dn.js';

const UTF8 = forge.asn1.Type.UTF8;
const BMP = forge.asn1.Type.BMPSTRING;
const T61 = 20;
const a60 = 'a'.repeat(60);
// @types/node-forge types CertificateField.valueTagClass as asn1.Class; it is a universal tag number.
const tag = (t: number) => t as unknown as forge.asn1.Class;

// ---------------------------------------------------------------- xtext
const xtextCases: { name: string; input: string; expected: string }[] = [
  { name: 'plain stays', input: '/O=Sendmail/CN=host.lab.example', expected: '/O=Sendmail/CN=host.lab.example' },
  { name: 'space', input: 'Sendmail Server', expected: 'Sendmail+20Server' },
  { name: 'plus and backslash', input: 'Foo\\+Bar', expected: 'Foo+5C+2BBar' },
  { name: 'parentheses', input: '(Test)', expected: '+28Test+29' },
  { name: 'angle brackets and quote', input: '<a>"b"', expected: '+3Ca+3E+22b+22' },
  { name: '= / @ . , stay', input: 'emailAddress=a@b.c/x,y', expected: 'emailAddress=a@b.c/x,y' },
  { name: 'tab, DEL', input: 'a\tb\x7f', expected: 'a+09b+7F' },
  { name: 'non-ASCII as UTF-8 bytes', input: 'ü', expected: '+C3+BC' },
  { name: 'OpenSSL escape of non-ASCII', input: 'M\\xC3\\xBCller', expected: 'M+5CxC3+5CxBCller' },
  { name: 'empty', input: '', expected: '' },
];
for (const c of xtextCases) {
  test(`xtext: ${c.name}`, () => assert.equal(xtext(c.input), c.expected));
}

// ---------------------------------------------------------------- opensslOneline
const e = (shortName: string, value: string, extra: Partial<DnEntry> = {}): DnEntry => ({ shortName, value, ...extra });

const onelineCases: { name: string; input: DnEntry[]; expected: string }[] = [
  {
    name: 'the notes example: + escaped, space and ( kept, UTF-8 as \\xHH',
    input: [e('C', 'DE'), e('O', 'Foo+Bar (Test)'), e('CN', 'Müller Mail CA', { valueTagClass: UTF8 })],
    expected: '/C=DE/O=Foo\\+Bar (Test)/CN=M\\xC3\\xBCller Mail CA',
  },
  {
    name: "forge 1.4.3's raw UTF-8 bytes as a binary string",
    input: [e('CN', 'M\u00c3\u00bcller', { valueTagClass: UTF8 })],
    expected: '/CN=M\\xC3\\xBCller',
  },
  {
    name: 'forge E is emailAddress',
    input: [e('CN', 'x'), e('E', 'a+laptop1@example.net')],
    expected: '/CN=x/emailAddress=a\\+laptop1@example.net',
  },
  { name: 'by OID: emailAddress', input: [{ type: '1.2.840.113549.1.9.1', value: 'a@b' }], expected: '/emailAddress=a@b' },
  { name: 'by OID: DC, UID', input: [{ type: '0.9.2342.19200300.100.1.25', value: 'net' }, { type: '0.9.2342.19200300.100.1.1', value: 'u1' }], expected: '/DC=net/UID=u1' },
  { name: 'unknown OID is dotted', input: [{ type: '1.3.6.1.4.1.99999.1', value: 'v' }], expected: '/1.3.6.1.4.1.99999.1=v' },
  { name: 'slash escaped', input: [e('O', 'a/b')], expected: '/O=a\\/b' },
  { name: 'controls and DEL as \\xHH, backslash kept', input: [e('O', 'a\tb\x7fc\\d')], expected: '/O=a\\x09b\\x7Fc\\d' },
  { name: 'T61String latin-1 byte', input: [e('O', 'caf\u00e9', { valueTagClass: T61 })], expected: '/O=caf\\xE9' },
  { name: 'BMPString (forge gives text) as its UTF-16BE bytes', input: [e('CN', 'Aü', { valueTagClass: BMP })], expected: '/CN=\\x00A\\x00\\xFC' },
  {
    name: 'GeneralString of UCS-4 shape prints every 4th byte',
    input: [e('CN', '\0\0\0A\0\0\0b', { valueTagClass: 27 })],
    expected: '/CN=Ab',
  },
  {
    name: 'multi-valued RDN joined with +',
    input: [{ ...e('O', 'Foo'), rdn: 0 }, { ...e('CN', 'a'), rdn: 1 }, { type: '0.9.2342.19200300.100.1.1', value: 'b', rdn: 1 }],
    expected: '/O=Foo/CN=a+UID=b',
  },
  { name: 'empty name', input: [], expected: '' },
  {
    name: 'cut: exactly 255 characters fit',
    input: [e('O', a60), e('O', a60), e('O', a60), e('O', a60.slice(1)), e('L', 'a'), e('C', 'DE')],
    expected: `/O=${a60}/O=${a60}/O=${a60}/O=${a60.slice(1)}/L=a`,
  },
  {
    name: 'cut: the entry reaching 256 is dropped',
    input: [e('O', a60), e('O', a60), e('O', a60), e('O', a60), e('L', 'a')],
    expected: `/O=${a60}/O=${a60}/O=${a60}/O=${a60}`,
  },
  {
    name: 'cut: a later entry that would fit is dropped too',
    input: [e('O', a60), e('O', a60), e('O', a60), e('O', a60.slice(10)), e('L', 'abcdefghijklmnopqrst'), e('C', 'DE')],
    expected: `/O=${a60}/O=${a60}/O=${a60}/O=${a60.slice(10)}`,
  },
  {
    name: 'cut counts the escaped length',
    input: [e('O', a60), e('O', a60), e('O', a60), e('O', 'a'.repeat(57)), e('L', 'ü', { valueTagClass: UTF8 })],
    expected: `/O=${a60}/O=${a60}/O=${a60}/O=${'a'.repeat(57)}`,
  },
];
for (const c of onelineCases) {
  test(`opensslOneline: ${c.name}`, () => assert.equal(opensslOneline(c.input), c.expected));
}

test('opensslOneline: bufferSize Infinity does not cut', () => {
  const input = [e('O', a60), e('O', a60), e('O', a60), e('O', a60), e('L', 'a')];
  assert.equal(opensslOneline(input, { bufferSize: Infinity }).length, 256);
});

// ---------------------------------------------------------------- keys (the examples the brief requires)
const keyCases: { name: string; input: DnEntry[]; expected: string }[] = [
  {
    name: 'notes example',
    input: [e('C', 'DE'), e('O', 'Foo+Bar (Test)'), e('CN', 'Müller Mail CA', { valueTagClass: UTF8 })],
    expected: '/C=DE/O=Foo+5C+2BBar+20+28Test+29/CN=M+5CxC3+5CxBCller+20Mail+20CA',
  },
  {
    name: 'emailAddress with +',
    input: [e('E', 'a+laptop1@example.net')],
    expected: '/emailAddress=a+5C+2Blaptop1@example.net',
  },
  {
    name: "Debian's update_tls subject",
    input: [e('O', 'Sendmail'), e('OU', 'Sendmail Server'), e('CN', 'host.lab.example'), e('E', 'admin@lab.example')],
    expected: '/O=Sendmail/OU=Sendmail+20Server/CN=host.lab.example/emailAddress=admin@lab.example',
  },
];
for (const c of keyCases) {
  test(`xtext(opensslOneline): ${c.name}`, () => assert.equal(xtext(opensslOneline(c.input)), c.expected));
}

// ---------------------------------------------------------------- garbage in
const garbage: { name: string; input: string; expected: RegExp }[] = [
  { name: 'empty', input: '', expected: /not a PEM certificate/ },
  { name: 'text', input: 'hello', expected: /not a PEM certificate/ },
  { name: 'a key, not a certificate', input: '-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n', expected: /not a PEM certificate/ },
  { name: 'bad base64/DER', input: '-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n', expected: /not a certificate/ },
];
for (const c of garbage) {
  test(`certIssuerKey rejects ${c.name}`, () => assert.throws(() => certIssuerKey(c.input), c.expected));
  test(`certInfo rejects ${c.name}`, () => assert.throws(() => certInfo(c.input), c.expected));
}

// ---------------------------------------------------------------- cross-check with the openssl CLI
function haveOpenssl(): boolean {
  try {
    execFileSync('openssl', ['version'], { stdio: 'pipe' });
    return true;
  } catch {
    return false;
  }
}

const skip = haveOpenssl() ? false : 'openssl CLI not available';

test('cross-check with openssl x509 -nameopt compat', { skip }, async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'dn-test-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const openssl = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, encoding: 'utf8', stdio: 'pipe' });
  const field = (pem: string, which: 'issuer' | 'subject') => {
    writeFileSync(join(dir, 'c.pem'), pem);
    return openssl('x509', '-in', 'c.pem', '-noout', `-${which}`, '-nameopt', 'compat').trim().replace(`${which}=`, '');
  };

  const keys = forge.pki.rsa.generateKeyPair({ bits: 1024, e: 0x10001 });
  const forgeCert = (issuer: forge.pki.CertificateField[], subject = issuer) => {
    const cert = forge.pki.createCertificate();
    cert.publicKey = keys.publicKey;
    cert.serialNumber = '01';
    cert.validity.notBefore = new Date('2025-01-01T00:00:00Z');
    cert.validity.notAfter = new Date('2035-01-01T00:00:00Z');
    cert.setIssuer(issuer);
    cert.setSubject(subject);
    cert.sign(keys.privateKey, forge.md.sha256.create());
    return forge.pki.certificateToPem(cert);
  };

  const forgeDns: { name: string; input: forge.pki.CertificateField[] }[] = [
    { name: 'Debian-like', input: [{ shortName: 'O', value: 'Sendmail' }, { shortName: 'OU', value: 'Sendmail Server' }, { shortName: 'CN', value: 'mail.example' }, { name: 'emailAddress', value: 'admin@example' }] },
    { name: 'UTF-8, + and (', input: [{ shortName: 'C', value: 'DE' }, { shortName: 'O', value: 'Foo+Bar (Test)' }, { shortName: 'CN', value: 'Müller Mail CA', valueTagClass: tag(UTF8) }] },
    { name: 'UTF-8 outside Latin-1', input: [{ shortName: 'CN', value: 'Δ日本 ✓', valueTagClass: tag(UTF8) }] },
    { name: 'emailAddress with +', input: [{ shortName: 'CN', value: 'laptop1' }, { name: 'emailAddress', value: 'a+laptop1@example.net', valueTagClass: tag(forge.asn1.Type.IA5STRING) }] },
    { name: 'slash, quote, <>, backslash, tab', input: [{ shortName: 'O', value: 'a/b "c" <d> e\\f\tg' }] },
    { name: 'BMPString', input: [{ shortName: 'CN', value: 'Mü', valueTagClass: tag(BMP) }] },
    { name: 'T61String', input: [{ shortName: 'O', value: 'caf\u00e9', valueTagClass: tag(T61) }] },
    {
      name: 'many attribute types and an unknown OID',
      input: [
        { type: '0.9.2342.19200300.100.1.25', value: 'net' }, { shortName: 'L', value: 'Berlin' }, { shortName: 'ST', value: 'BE' },
        { type: '2.5.4.5', value: '42' }, { type: '2.5.4.12', value: 'Dr' }, { type: '2.5.4.42', value: 'Anna' },
        { type: '2.5.4.4', value: 'Schmidt' }, { type: '0.9.2342.19200300.100.1.1', value: 'as' },
        { type: '2.5.4.97', value: 'VATDE-1' }, { type: '1.3.6.1.4.1.311.60.2.1.3', value: 'DE' },
        { type: '1.2.840.113549.1.9.2', value: 'un' }, { type: '1.3.6.1.4.1.99999.7', value: 'x' },
      ],
    },
    { name: 'longer than 255', input: [a60, a60, a60, a60, 'tail'].map((v) => ({ shortName: 'OU', value: v })) },
  ];

  for (const c of forgeDns) {
    const pem = forgeCert(c.input);
    const expected = field(pem, 'issuer');
    const parsed = forge.pki.certificateFromPem(pem);
    assert.equal(certInfo(pem).issuer, expected, `${c.name}: certInfo().issuer`);
    assert.equal(certInfo(pem).subject, field(pem, 'subject'), `${c.name}: certInfo().subject`);
    assert.equal(
      opensslOneline(parsed.issuer.attributes as DnEntry[], { bufferSize: Infinity }),
      expected,
      `${c.name}: opensslOneline(forge attributes)`,
    );
    assert.equal(certIssuerKey(pem), xtext(opensslOneline(parsed.issuer.attributes as DnEntry[])), `${c.name}: key`);
  }

  // Debian's update_tls: `openssl req` then `openssl x509 -req` (no extensions => X.509 v1).
  openssl('genrsa', '-out', 'k.pem', '2048');
  const subj = '/O=Sendmail/OU=Sendmail Server/CN=host.lab.example/emailAddress=admin@host.lab.example';
  openssl('req', '-new', '-key', 'k.pem', '-subj', subj, '-out', 'r.csr');
  openssl('x509', '-req', '-in', 'r.csr', '-signkey', 'k.pem', '-days', '3650', '-out', 'v1.pem');
  const v1 = openssl('x509', '-in', 'v1.pem');
  assert.match(openssl('x509', '-in', 'v1.pem', '-noout', '-text'), /Version: 1 \(0x0\)/, 'made an X.509 v1 certificate');
  assert.equal(forge.pki.certificateFromPem(v1).version, 0, 'forge parses the v1 certificate');
  assert.equal(certIssuerKey(v1), '/O=Sendmail/OU=Sendmail+20Server/CN=host.lab.example/emailAddress=admin@host.lab.example');
  assert.equal(certSubjectKey(v1), certIssuerKey(v1));
  assert.equal(certInfo(v1).issuer, field(v1, 'issuer'));
  const fp = openssl('x509', '-in', 'v1.pem', '-noout', '-fingerprint', '-sha256').trim().replace(/^.*Fingerprint=/i, '');
  assert.equal(certInfo(v1).fingerprintSha256, fp);
  const endDate = openssl('x509', '-in', 'v1.pem', '-noout', '-enddate').trim().replace('notAfter=', '');
  assert.equal(certInfo(v1).notAfter.getTime(), new Date(endDate).getTime());
  assert.ok(certInfo(v1).notBefore < certInfo(v1).notAfter);

  // Multi-valued RDN and an EC key (forge.pki.certificateFromPem would refuse a non-RSA key).
  openssl('ecparam', '-name', 'prime256v1', '-genkey', '-noout', '-out', 'ec.pem');
  openssl('req', '-x509', '-new', '-key', 'ec.pem', '-days', '1', '-multivalue-rdn', '-subj', '/O=Foo/CN=a+UID=b\\+c/OU=x', '-out', 'mv.pem');
  const mv = openssl('x509', '-in', 'mv.pem');
  assert.equal(certInfo(mv).subject, field(mv, 'subject'));
  assert.equal(certInfo(mv).subject, '/O=Foo/CN=a+UID=b\\+c/OU=x');
  assert.equal(certSubjectKey(mv), '/O=Foo/CN=a+2BUID=b+5C+2Bc/OU=x');
});

test('certificate(): one value per certificate, parsed once; the keys and facts are the ones the helpers give', () => {
  const keys = forge.pki.rsa.generateKeyPair(1024);
  const c = forge.pki.createCertificate();
  c.publicKey = keys.publicKey;
  c.serialNumber = '01';
  c.validity.notBefore = new Date('2026-01-01T00:00:00Z');
  c.validity.notAfter = new Date('2036-01-01T00:00:00Z');
  const name = [{ name: 'organizationName', value: 'Sendmail' }, { name: 'organizationalUnitName', value: 'Sendmail Server' }, { name: 'commonName', value: 'mail.example.org' }];
  c.setSubject(name);
  c.setIssuer(name);
  c.sign(keys.privateKey, forge.md.sha256.create());
  const pem = forge.pki.certificateToPem(c);
  const a = certificate(pem);
  assert.equal(certificate(pem), a, 'the same value, not a second parse');
  assert.ok(Object.isFrozen(a));
  assert.equal(a.issuerKey, '/O=Sendmail/OU=Sendmail+20Server/CN=mail.example.org');
  assert.equal(a.subjectKey, certSubjectKey(pem));
  assert.equal(a.issuerKey, certIssuerKey(pem));
  assert.equal(a.selfSigned, true);
  assert.deepEqual({ ...certInfo(pem) }, { ...a });
  assert.throws(() => certificate('garbage'), /not a PEM certificate/);
});
