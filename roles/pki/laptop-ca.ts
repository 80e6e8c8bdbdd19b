// Per-laptop mode: the server's small certificate authority for laptops, and what it signs.
// Pure functions: no disk, no network (keys and certificates are PEM text in memory).
//
// - The CA (RSA 2048, made and used with node:crypto; forge builds its certificate) lives on
//   the server in LAPTOP_CA_KEY / LAPTOP_CA_CERT. The server names RELAY_CA_BUNDLE (its own
//   certificate + the laptop CA) as confCACERT, so the laptop CA is among the acceptable CAs it
//   sends to clients while it keeps its own certificate.
// - Each laptop makes its own key and a CSR (laptopCsrArgs); signLaptopCsr signs the CSR.
//
// Certificates are assembled here from ASN.1 rather than with forge's certificate object, because
// forge 1.4.3 hands parsed UTF8String values back as raw bytes but encodes them again when writing
// (a non-ASCII CN copied from a CSR would come out double-encoded), and because forge's
// certificate/CSR parsers accept RSA keys only. Names and the public key are copied as raw DER,
// byte for byte: the issued certificate's subject is exactly what the laptop asked for, its issuer
// exactly the CA's subject. Signatures are made and checked with node:crypto over the raw DER.
import type forgeNs from 'node-forge';
import { forgeReader } from './forge.js';
import { createHash, createPrivateKey, generateKeyPairSync, randomBytes, createPublicKey, sign as cryptoSign, verify as cryptoVerify, X509Certificate, type KeyObject } from 'node:crypto';
import { entryBytes, nameEntries, opensslOneline, opensslShortName, type DnEntry } from '../text/dn.js';

export { LAPTOP_CA_KEY, LAPTOP_CA_CERT, RELAY_CA_BUNDLE, LAPTOP_CLIENT_KEY, LAPTOP_CLIENT_CERT, RELAY_SERVER_CERT } from '../paths.js';
import { LAPTOP_CLIENT_KEY } from '../paths.js';

/** A laptop certificate this close to its end (or closer) is 'expiring'. */
export const EXPIRING_DAYS = 30;
/** RFC 5280's upper bound for a commonName, which `openssl req -subj` enforces (in characters). */
export const MAX_COMMON_NAME = 64;

const DAY = 24 * 3600 * 1000;
// forge's reader (asn1, pem) builds and reads the certificates; the keys are node:crypto's
const reader = forgeReader();
const { asn1 } = reader;
const U = asn1.Class.UNIVERSAL;
const T = asn1.Type;

// ---------------------------------------------------------------- names

/** A distinguished name in the three forms the tool needs. */
export interface SubjectName {
  /** The argument of `openssl req -subj` (values escaped: `\` `/` `+` get a backslash). */
  subj: string;
  /** The name as `openssl x509 -noout -subject -nameopt compat` prints it (OpenSSL's
   *  X509_NAME_oneline without a size limit). */
  oneline: string;
  /** The entries (OID, UTF-8 bytes, one RDN each), as dn.ts understands them. */
  attributes: DnEntry[];
}

const NAME_OIDS = { O: '2.5.4.10', OU: '2.5.4.11', CN: '2.5.4.3' } as const;

function subjectName(o: string, ou: string, cn: string, what: string): SubjectName {
  if (typeof cn !== 'string' || cn.length === 0) throw new Error(`${what}: empty name`);
  if (cn.includes('\0')) throw new Error(`${what}: a NUL byte cannot be passed to openssl: ${JSON.stringify(cn)}`);
  const chars = [...cn].length;
  if (chars > MAX_COMMON_NAME) {
    throw new Error(`${what}: ${JSON.stringify(cn)} has ${chars} characters; a certificate's CN holds at most ${MAX_COMMON_NAME}`);
  }
  const pairs = [['O', o], ['OU', ou], ['CN', cn]] as const;
  const attributes: DnEntry[] = pairs.map(([sn, value], rdn) => ({
    type: NAME_OIDS[sn],
    shortName: sn,
    value,
    valueTagClass: T.UTF8,
    bytes: new Uint8Array(Buffer.from(value, 'utf8')),
    rdn,
  }));
  const esc = (v: string) => v.replace(/[\\/+]/g, (c) => `\\${c}`);
  return {
    subj: pairs.map(([sn, value]) => `/${sn}=${esc(value)}`).join(''),
    oneline: opensslOneline(attributes, { bufferSize: Infinity }),
    attributes,
  };
}

/** The laptop CA's subject: /O=Sendmail/OU=Laptop CA/CN=<serverFqdn>. */
export function laptopCaSubject(serverFqdn: string): SubjectName {
  return subjectName('Sendmail', 'Laptop CA', serverFqdn, 'laptop CA subject');
}

/** A laptop's subject: /O=Sendmail/OU=Sendmail Laptop/CN=<laptopFqdn>. Any name (but empty, NUL,
 *  or over 64 characters) works; `subj` is for {@link laptopCsrArgs}. */
export function laptopSubject(laptopFqdn: string): SubjectName {
  return subjectName('Sendmail', 'Sendmail Laptop', laptopFqdn, 'laptop subject');
}

/** argv for the laptop (after `openssl`): a new ECDSA P-256 key in `keyPath` (PKCS#8 PEM), the
 *  CSR on stdout. `-utf8` matters: without it openssl reads the -subj bytes as Latin-1 and a
 *  non-ASCII name ends up double-encoded in the UTF8String.
 *  Why P-256 and not RSA 2048: a laptop's key is the tool's own (the how-to has one shared key, made
 *  by Debian's update_tls, which the tool leaves as it is), and an RSA 2048 key costs the laptop
 *  ~0.1-0.4 s of CPU to make (the search for two primes; on the lab's cores, 20 laptops' keys at
 *  once were a large part of a first deploy), a P-256 key ~1 ms. P-256 is the stronger of the two
 *  (128-bit security against RSA 2048's 112, NIST SP 800-57), and the TLS the laptop speaks with it
 *  is OpenSSL's on both sides, through sendmail's confCLIENT_CERT/confCLIENT_KEY, which take any key
 *  type OpenSSL reads (e2e: a laptop so made relays through its server). A key a laptop already has
 *  (an RSA one made by an earlier version) is kept and signed again as it is (laptopCsrFromKeyArgs). */
export function laptopCsrArgs(subject: SubjectName, keyPath = LAPTOP_CLIENT_KEY): string[] {
  return ['req', '-new', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-utf8', '-keyout', keyPath, '-subj', subject.subj, '-out', '-'];
}

/** Whether two names are the same to sendmail: the same entries (OID, value bytes) in the same
 *  RDNs, in order. The string type (UTF8String, PrintableString, ...) does not count. */
export function sameName(a: readonly DnEntry[], b: readonly DnEntry[]): boolean {
  // Which entries open a new RDN ('/') and which join the previous one ('+'), then OID and bytes.
  const key = (n: readonly DnEntry[]) =>
    n.map((e, i) => {
      const joins = i > 0 && e.rdn !== undefined && e.rdn === n[i - 1].rdn;
      return `${joins ? '+' : '/'}${e.type ?? opensslShortName(e)}=${Buffer.from(entryBytes(e)).toString('hex')}`;
    }).join('');
  return key(a) === key(b);
}

// ---------------------------------------------------------------- DER

type Asn1 = forgeNs.asn1.Asn1;

function pemBlock(pem: string, types: string[], what: string): string {
  if (typeof pem !== 'string' || !pem.includes('-----BEGIN')) throw new Error(`${what}: not PEM text`);
  let blocks;
  try {
    blocks = reader.pem.decode(pem);
  } catch (e) {
    throw new Error(`${what}: bad PEM (${(e as Error).message})`);
  }
  const block = blocks.find((b) => types.includes(b.type));
  if (!block) throw new Error(`${what}: no ${types[0]} block in the PEM text`);
  return block.body;
}

function fromDer(der: string, what: string): Asn1 {
  try {
    // BIT STRINGs stay raw bytes (forge otherwise tries to parse their contents as ASN.1).
    // (@types/node-forge knows only the old boolean `strict` argument.)
    const options = { strict: true, parseAllBytes: true, decodeBitStrings: false } as unknown as boolean;
    return asn1.fromDer(der, options);
  } catch (e) {
    throw new Error(`${what}: bad DER (${(e as Error).message})`);
  }
}

const children = (n: Asn1 | undefined, what: string): Asn1[] => {
  if (!n || !Array.isArray(n.value)) throw new Error(`${what}: malformed`);
  return n.value;
};
/** DER bytes of a parsed element. forge's ASN.1 layer keeps values as raw bytes, so this gives the
 *  element back as it was read (DER has one encoding). */
const der = (n: Asn1) => asn1.toDer(n).getBytes();
const bin = (s: string) => Buffer.from(s, 'binary');

interface ParsedCsr {
  subject: Asn1;
  spki: Asn1;
  /** the public key of spki, as its signature was checked with */
  key: KeyObject;
  entries: DnEntry[];
}

interface ParsedCert {
  tbsDer: string;
  issuer: Asn1;
  subject: Asn1;
  spki: Asn1;
  notBefore: Date;
  notAfter: Date;
  subjectKeyId?: string;
}

const SIGNATURE_HASHES: Record<string, string | null> = {
  '1.2.840.113549.1.1.11': 'sha256', // sha256WithRSAEncryption
  '1.2.840.113549.1.1.12': 'sha384',
  '1.2.840.113549.1.1.13': 'sha512',
  '1.2.840.10045.4.3.2': 'sha256', // ecdsa-with-SHA256
  '1.2.840.10045.4.3.3': 'sha384',
  '1.2.840.10045.4.3.4': 'sha512',
  '1.3.101.112': null, // Ed25519
  '1.3.101.113': null, // Ed448
};

const spkiKey = (spki: Asn1): KeyObject => createPublicKey({ key: bin(der(spki)), format: 'der', type: 'spki' });

/** Reads a PEM CSR and checks its self-signature; throws a clear error when it does not hold. */
function parseCsr(csrPem: string): ParsedCsr {
  const what = 'certificate request';
  const top = children(fromDer(pemBlock(csrPem, ['CERTIFICATE REQUEST', 'NEW CERTIFICATE REQUEST'], what), what), what);
  const [cri, sigAlg, sig] = top;
  const [, subject, spki] = children(cri, what);
  const algOid = children(sigAlg, what)[0];
  if (!subject || !spki || !algOid || typeof algOid.value !== 'string' || !sig || typeof sig.value !== 'string') {
    throw new Error(`${what}: malformed`);
  }
  const oid = asn1.derToOid(algOid.value);
  const hash = SIGNATURE_HASHES[oid];
  if (hash === undefined) throw new Error(`${what}: unsupported signature algorithm ${oid}`);
  let ok = false;
  let key: KeyObject;
  try {
    key = spkiKey(spki);
    // BIT STRING: the first byte counts unused bits (0 for a signature).
    ok = cryptoVerify(hash, bin(der(cri)), key, bin(sig.value).subarray(1));
  } catch (e) {
    throw new Error(`${what}: cannot check its signature (${(e as Error).message})`);
  }
  if (!ok) throw new Error(`${what}: its signature does not verify (altered, or not made with the key it names)`);
  return { subject, spki, key, entries: nameEntries(subject) };
}

function asn1Time(t: Asn1 | undefined): Date {
  if (t && typeof t.value === 'string') {
    if (t.type === T.UTCTIME) return asn1.utcTimeToDate(t.value);
    if (t.type === T.GENERALIZEDTIME) return asn1.generalizedTimeToDate(t.value);
  }
  throw new Error('certificate: malformed validity');
}

function parseCert(pem: string, what = 'certificate'): ParsedCert {
  const top = children(fromDer(pemBlock(pem, ['CERTIFICATE', 'X509 CERTIFICATE', 'TRUSTED CERTIFICATE'], what), what), what);
  const tbs = top[0];
  const fields = children(tbs, what);
  const v = fields[0]?.tagClass === asn1.Class.CONTEXT_SPECIFIC ? 1 : 0; // v1 has no [0] version
  const [, , issuer, validity, subject, spki] = fields.slice(v);
  if (!issuer || !validity || !subject || !spki) throw new Error(`${what}: TBSCertificate too short`);
  const [nb, na] = children(validity, what);
  let subjectKeyId: string | undefined;
  const exts = fields.find((f) => f.tagClass === asn1.Class.CONTEXT_SPECIFIC && f.type === 3);
  if (exts) {
    for (const ext of children(children(exts, what)[0], what)) {
      const parts = children(ext, what);
      if (typeof parts[0].value === 'string' && asn1.derToOid(parts[0].value) === '2.5.29.14') {
        const inner = fromDer(String(parts[parts.length - 1].value), what);
        if (typeof inner.value === 'string') subjectKeyId = inner.value;
      }
    }
  }
  return { tbsDer: der(tbs), issuer, subject, spki, notBefore: asn1Time(nb), notAfter: asn1Time(na), subjectKeyId };
}

// ---------------------------------------------------------------- building certificates

const seq = (v: Asn1[]) => asn1.create(U, T.SEQUENCE, true, v);
const oidNode = (oid: string) => asn1.create(U, T.OID, false, asn1.oidToDer(oid).getBytes());
const octets = (s: string) => asn1.create(U, T.OCTETSTRING, false, s);
const bool = (b: boolean) => asn1.create(U, T.BOOLEAN, false, b ? '\xff' : '\x00');

function nameDer(attrs: readonly DnEntry[]): Asn1 {
  return seq(
    attrs.map((a) =>
      asn1.create(U, T.SET, true, [
        seq([oidNode(a.type!), asn1.create(U, T.UTF8, false, Buffer.from(a.bytes!).toString('binary'))]),
      ]),
    ),
  );
}

function time(d: Date): Asn1 {
  // RFC 5280: UTCTime through 2049, GeneralizedTime from 2050.
  return d.getUTCFullYear() < 2050
    ? asn1.create(U, T.UTCTIME, false, asn1.dateToUtcTime(d))
    : asn1.create(U, T.GENERALIZEDTIME, false, asn1.dateToGeneralizedTime(d));
}

/** A random positive 16-byte serial (first byte 0x40..0x7F: positive and minimally encoded). */
function randomSerial(): string {
  const b = randomBytes(16).toString('binary');
  return String.fromCharCode((b.charCodeAt(0) & 0x3f) | 0x40) + b.slice(1);
}

/** RFC 5280 key identifier (method 1): SHA-1 of the subjectPublicKey bits. */
function keyId(spki: Asn1): string {
  const bits = children(spki, 'public key')[1];
  if (!bits || typeof bits.value !== 'string') throw new Error('public key: malformed');
  return createHash('sha1').update(bin(bits.value).subarray(1)).digest('binary');
}

function extension(oid: string, critical: boolean, value: Asn1): Asn1 {
  return seq([oidNode(oid), ...(critical ? [bool(true)] : []), octets(der(value))]);
}

// keyUsage bits (RFC 5280): digitalSignature 0, keyEncipherment 2, keyCertSign 5, cRLSign 6.
// BIT STRING content: unused-bit count, then the bits.
const KU_CA = '\x01\x06';
const KU_CLIENT_RSA = '\x05\xa0';
// A key that only signs (EC, and Ed25519 or RSA-PSS should a laptop bring one): digitalSignature
// alone; for EC keys RFC 8813 (updating RFC 5480 section 3) forbids keyEncipherment.
const KU_CLIENT_SIGN_ONLY = '\x07\x80';
/** A laptop certificate's keyUsage for its key: digitalSignature, and keyEncipherment for RSA. */
function clientKeyUsage(key: KeyObject): string {
  return key.asymmetricKeyType === 'rsa' ? KU_CLIENT_RSA : KU_CLIENT_SIGN_ONLY;
}
const OID_CLIENT_AUTH = '1.3.6.1.5.5.7.3.2';

interface TbsInput {
  issuer: Asn1;
  subject: Asn1;
  spki: Asn1;
  notBefore: Date;
  notAfter: Date;
  extensions: Asn1[];
}

const SHA256_RSA = seq([oidNode('1.2.840.113549.1.1.11'), asn1.create(U, T.NULL, false, '')]);

// The RSA signature itself is node:crypto's (PKCS#1 v1.5 over SHA-256: deterministic, so the same
// bytes forge's `key.sign(md)` gives): forge computes it in JavaScript, ~15-25 ms a certificate on
// this machine's cores against ~1.5 ms natively, and a pair of 100 laptops signs 100 of them on the
// tool's one thread while the hosts compete for the same cores. forge still builds the certificate.
function signCert(t: TbsInput, caKey: KeyObject): string {
  const tbs = seq([
    asn1.create(asn1.Class.CONTEXT_SPECIFIC, 0, true, [asn1.create(U, T.INTEGER, false, '\x02')]), // v3
    asn1.create(U, T.INTEGER, false, randomSerial()),
    SHA256_RSA,
    t.issuer,
    seq([time(t.notBefore), time(t.notAfter)]),
    t.subject,
    t.spki,
    asn1.create(asn1.Class.CONTEXT_SPECIFIC, 3, true, [seq(t.extensions)]),
  ]);
  const signature = cryptoSign('sha256', bin(der(tbs)), caKey).toString('binary');
  const cert = seq([tbs, SHA256_RSA, asn1.create(U, T.BITSTRING, false, '\x00' + signature)]);
  return reader.pem.encode({ type: 'CERTIFICATE', body: der(cert) }, { maxline: 64 }).replace(/\r\n/g, '\n');
}

/** Whole seconds: certificates carry no fractions. */
const seconds = (d: Date) => new Date(Math.floor(d.getTime() / 1000) * 1000);
/** Validity starts an hour early, for clocks that are a little behind. */
const BACKDATE = 3600 * 1000;

/** The laptop CA: RSA 2048, self-signed X.509 v3 (basicConstraints CA:TRUE critical, keyUsage
 *  keyCertSign+cRLSign critical, subjectKeyIdentifier), subject {@link laptopCaSubject}. The key
 *  is PKCS#1 PEM ("RSA PRIVATE KEY"). */
export function makeLaptopCa({ commonName, days = 3650, now = new Date() }: { commonName: string; days?: number; now?: Date }): {
  certPem: string;
  keyPem: string;
} {
  if (!(days > 0)) throw new Error(`makeLaptopCa: days must be positive, got ${days}`);
  const name = nameDer(laptopCaSubject(commonName).attributes);
  const { publicKey, privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048, publicExponent: 0x10001 });
  const spki = fromDer(publicKey.export({ type: 'spki', format: 'der' }).toString('binary'), 'public key');
  const ski = keyId(spki);
  const certPem = signCert(
    {
      issuer: name,
      subject: name,
      spki,
      notBefore: seconds(new Date(now.getTime() - BACKDATE)),
      notAfter: seconds(new Date(now.getTime() + days * DAY)),
      extensions: [
        extension('2.5.29.19', true, seq([bool(true)])),
        extension('2.5.29.15', true, asn1.create(U, T.BITSTRING, false, KU_CA)),
        extension('2.5.29.14', false, octets(ski)),
      ],
    },
    privateKey,
  );
  return { certPem, keyPem: privateKey.export({ type: 'pkcs1', format: 'pem' }) as string };
}

function caKeyFor(caCert: ParsedCert, caKeyPem: string): KeyObject {
  let key: KeyObject;
  try {
    key = createPrivateKey({ key: caKeyPem, format: 'pem' });
  } catch (e) {
    // node:crypto's message names only the decoder's failure, never the key's bytes
    throw new Error(`laptop CA key: not an RSA private key in PEM (${(e as Error).message})`);
  }
  if (key.asymmetricKeyType !== 'rsa') throw new Error(`laptop CA key: not an RSA private key in PEM (a ${key.asymmetricKeyType} key)`);
  const spki = createPublicKey(key).export({ type: 'spki', format: 'der' });
  if (!spki.equals(bin(der(caCert.spki)))) {
    throw new Error('laptop CA key does not belong to the laptop CA certificate');
  }
  return key;
}

/** Signs a laptop's CSR with the laptop CA: X.509 v3, basicConstraints CA:FALSE (critical),
 *  keyUsage digitalSignature (critical; + keyEncipherment for an RSA key), extKeyUsage clientAuth, subject and
 *  authority key identifiers, a random serial. The subject and public key are the CSR's, byte for
 *  byte; the issuer is the CA's subject, byte for byte. Throws when the CSR's signature does not
 *  verify, when `expectedSubject` is given and the CSR asks for another name, or when the CA key
 *  does not match the CA certificate. */
export function signLaptopCsr(
  csrPem: string,
  caCertPem: string,
  caKeyPem: string,
  { days = 825, now = new Date(), expectedSubject }: { days?: number; now?: Date; expectedSubject?: SubjectName | readonly DnEntry[] } = {},
): string {
  if (!(days > 0)) throw new Error(`signLaptopCsr: days must be positive, got ${days}`);
  const csr = parseCsr(csrPem);
  if (expectedSubject) {
    const want = 'attributes' in expectedSubject ? expectedSubject.attributes : expectedSubject;
    if (!sameName(csr.entries, want)) {
      throw new Error(
        `certificate request asks for ${opensslOneline(csr.entries, { bufferSize: Infinity })}, ` +
          `expected ${opensslOneline(want, { bufferSize: Infinity })}: refusing to sign`,
      );
    }
  }
  const ca = parseCert(caCertPem, 'laptop CA certificate');
  const caKey = caKeyFor(ca, caKeyPem);
  const akid = ca.subjectKeyId ?? keyId(ca.spki);
  return signCert(
    {
      issuer: ca.subject,
      subject: csr.subject,
      spki: csr.spki,
      notBefore: seconds(new Date(now.getTime() - BACKDATE)),
      notAfter: seconds(new Date(now.getTime() + days * DAY)),
      extensions: [
        extension('2.5.29.19', true, seq([])),
        extension('2.5.29.15', true, asn1.create(U, T.BITSTRING, false, clientKeyUsage(csr.key))),
        extension('2.5.29.37', false, seq([oidNode(OID_CLIENT_AUTH)])),
        extension('2.5.29.14', false, octets(keyId(csr.spki))),
        extension('2.5.29.35', false, seq([asn1.create(asn1.Class.CONTEXT_SPECIFIC, 0, false, akid)])),
      ],
    },
    caKey,
  );
}

// ---------------------------------------------------------------- checks

const CERT_BLOCK_RE = /-----BEGIN CERTIFICATE-----\r?\n[\s\S]*?-----END CERTIFICATE-----/g;

function certBlocks(pem: string, what: string): string[] {
  const blocks = (pem.match(CERT_BLOCK_RE) ?? []).map((b) => b.replace(/\r\n/g, '\n'));
  if (blocks.length === 0) throw new Error(`${what}: no CERTIFICATE block`);
  return blocks;
}

/** The confCACERT bundle: the server's certificate(s), then the laptop CA's, PEM with `\n` line
 *  ends and a final newline. Only CERTIFICATE blocks are copied (never a key that shares a file). */
export function caBundle(serverCertPem: string, caCertPem: string): string {
  return [...certBlocks(serverCertPem, "server's certificate"), ...certBlocks(caCertPem, 'laptop CA certificate')].join('\n') + '\n';
}

/** Whether `certPem` was issued by `caCertPem`: issuer name matches and the signature verifies
 *  with the CA's key. Throws when either text holds no readable certificate. */
export function certSignedBy(certPem: string, caCertPem: string): boolean {
  const cert = new X509Certificate(certBlocks(certPem, 'certificate')[0]);
  const ca = new X509Certificate(certBlocks(caCertPem, 'CA certificate')[0]);
  try {
    return cert.checkIssued(ca) && cert.verify(ca.publicKey);
  } catch {
    return false;
  }
}

function publicKeyOf(pem: string): KeyObject {
  if (/-----BEGIN (NEW )?CERTIFICATE REQUEST-----/.test(pem)) return parseCsr(pem).key;
  if (/-----BEGIN CERTIFICATE-----/.test(pem)) return new X509Certificate(certBlocks(pem, 'certificate')[0]).publicKey;
  return createPublicKey(pem); // a public key, or a private key (its public half)
}

/** Whether a certificate holds the public key of `keyPem`: a PUBLIC KEY, a private key (its public
 *  half), a CSR (whose signature must verify) or another certificate. */
export function certMatchesKey(certPem: string, keyPem: string): boolean {
  const mine = new X509Certificate(certBlocks(certPem, 'certificate')[0]).publicKey;
  return mine.equals(publicKeyOf(keyPem));
}

export type LaptopCertState = 'missing' | 'unreadable' | 'other-ca' | 'wrong-subject' | 'wrong-key' | 'not-yet-valid' | 'expired' | 'expiring' | 'current';

/** What a laptop's certificate is worth, first match wins: 'missing' (no text), 'unreadable' (no
 *  certificate in it), 'other-ca' (not signed by this laptop CA: e.g. the CA was remade),
 *  'wrong-subject' (not the laptop's name), 'wrong-key' (`publicKeyPem` given, and the certificate
 *  holds another key), 'not-yet-valid', 'expired', 'expiring' (ends within `expiringDays`),
 *  'current'. */
export function laptopCertState({
  certPem,
  caCertPem,
  expectedSubject,
  now = new Date(),
  publicKeyPem,
  expiringDays = EXPIRING_DAYS,
}: {
  certPem?: string;
  caCertPem: string;
  expectedSubject: SubjectName | readonly DnEntry[];
  now?: Date;
  publicKeyPem?: string;
  expiringDays?: number;
}): LaptopCertState {
  if (certPem === undefined || certPem.trim() === '') return 'missing';
  let cert: ParsedCert;
  try {
    cert = parseCert(certPem);
    new X509Certificate(certBlocks(certPem, 'certificate')[0]);
  } catch {
    return 'unreadable';
  }
  if (!certSignedBy(certPem, caCertPem)) return 'other-ca';
  const want = 'attributes' in expectedSubject ? expectedSubject.attributes : expectedSubject;
  if (!sameName(nameEntries(cert.subject), want)) return 'wrong-subject';
  if (publicKeyPem !== undefined && !certMatchesKey(certPem, publicKeyPem)) return 'wrong-key';
  const t = now.getTime();
  if (t < cert.notBefore.getTime()) return 'not-yet-valid';
  if (t > cert.notAfter.getTime()) return 'expired';
  if (cert.notAfter.getTime() - t <= expiringDays * DAY) return 'expiring';
  return 'current';
}
