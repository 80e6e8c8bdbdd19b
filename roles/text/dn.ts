// Distinguished names the way sendmail sees them: the key of a CERTISSUER:/CERTSUBJECT: line in
// /etc/mail/access. Pure functions: no disk, no network.
//
// sendmail (tls.c, tls_get_info) does, for the peer certificate's issuer and subject:
//   char buf[MAXNAME];                      // MAXNAME = 256
//   X509_NAME_oneline(name, buf, sizeof(buf));
//   xtextify(buf, "<>\")");
// so the key is xtext(opensslOneline(entries)) with OpenSSL 3's X509_NAME_oneline
// (crypto/x509/x509_obj.c) reproduced below, byte for byte.
import { X509Certificate } from 'node:crypto';
import type forgeNs from 'node-forge';
import { forgeReader } from '../pki/forge.js';

const forge = forgeReader();

/** One attribute of a name, as node-forge's `cert.issuer.attributes` gives it, plus two optional
 *  fields that {@link nameEntries} fills in from the certificate's DER:
 *  - `bytes`: the value's raw content octets (exactly what OpenSSL prints), and
 *  - `rdn`: the index of the RDN (SET) the entry belongs to; entries sharing an index form a
 *    multi-valued RDN and are joined with `+`. forge's own attribute list flattens the SETs and
 *    loses this grouping: without `rdn`, each entry counts as its own RDN. */
export interface DnEntry {
  type?: string; // dotted OID, e.g. 2.5.4.3
  shortName?: string; // forge's short name (CN, O, ..., E for emailAddress)
  name?: string; // forge's long name (commonName, emailAddress, ...)
  value?: unknown; // forge: a binary string (one char per byte) or, for hand-made entries, text
  valueTagClass?: number; // ASN.1 universal tag of the value (12 = UTF8String, 19 = PrintableString)
  bytes?: Uint8Array;
  rdn?: number;
}

/** sendmail's buffer for X509_NAME_oneline (MAXNAME). */
export const SENDMAIL_NAME_BUFFER = 256;

const UTF8STRING = 12;
const GENERALSTRING = 27;
const BMPSTRING = 30;

// forge decodes a BMPString to text (one char per UTF-16 code unit) when it reads DER, and encodes
// it back when it writes: the bytes in the certificate are the code units, big-endian.
function utf16be(s: string): Uint8Array {
  const out = new Uint8Array(s.length * 2);
  for (let i = 0; i < s.length; i++) {
    out[2 * i] = s.charCodeAt(i) >> 8;
    out[2 * i + 1] = s.charCodeAt(i) & 0xff;
  }
  return out;
}

// OpenSSL 3.0 short names (OBJ_nid2sn) of the OIDs that occur in names; from `openssl list -objects`.
// An OID not listed here is written dotted, as OpenSSL does for an OID it does not know.
const OPENSSL_SHORT_NAMES: Record<string, string> = {
  '2.5.4.3': 'CN', '2.5.4.4': 'SN', '2.5.4.5': 'serialNumber', '2.5.4.6': 'C', '2.5.4.7': 'L',
  '2.5.4.8': 'ST', '2.5.4.9': 'street', '2.5.4.10': 'O', '2.5.4.11': 'OU', '2.5.4.12': 'title',
  '2.5.4.13': 'description', '2.5.4.14': 'searchGuide', '2.5.4.15': 'businessCategory',
  '2.5.4.16': 'postalAddress', '2.5.4.17': 'postalCode', '2.5.4.18': 'postOfficeBox',
  '2.5.4.19': 'physicalDeliveryOfficeName', '2.5.4.20': 'telephoneNumber', '2.5.4.21': 'telexNumber',
  '2.5.4.22': 'teletexTerminalIdentifier', '2.5.4.23': 'facsimileTelephoneNumber',
  '2.5.4.24': 'x121Address', '2.5.4.25': 'internationaliSDNNumber', '2.5.4.26': 'registeredAddress',
  '2.5.4.27': 'destinationIndicator', '2.5.4.28': 'preferredDeliveryMethod',
  '2.5.4.29': 'presentationAddress', '2.5.4.30': 'supportedApplicationContext', '2.5.4.31': 'member',
  '2.5.4.32': 'owner', '2.5.4.33': 'roleOccupant', '2.5.4.34': 'seeAlso', '2.5.4.35': 'userPassword',
  '2.5.4.36': 'userCertificate', '2.5.4.37': 'cACertificate', '2.5.4.38': 'authorityRevocationList',
  '2.5.4.39': 'certificateRevocationList', '2.5.4.40': 'crossCertificatePair', '2.5.4.41': 'name',
  '2.5.4.42': 'GN', '2.5.4.43': 'initials', '2.5.4.44': 'generationQualifier',
  '2.5.4.45': 'x500UniqueIdentifier', '2.5.4.46': 'dnQualifier', '2.5.4.47': 'enhancedSearchGuide',
  '2.5.4.48': 'protocolInformation', '2.5.4.49': 'distinguishedName', '2.5.4.50': 'uniqueMember',
  '2.5.4.51': 'houseIdentifier', '2.5.4.52': 'supportedAlgorithms', '2.5.4.53': 'deltaRevocationList',
  '2.5.4.54': 'dmdName', '2.5.4.65': 'pseudonym', '2.5.4.72': 'role',
  '2.5.4.97': 'organizationIdentifier', '2.5.4.98': 'c3', '2.5.4.99': 'n3', '2.5.4.100': 'dnsName',
  '1.2.840.113549.1.9.1': 'emailAddress', '1.2.840.113549.1.9.2': 'unstructuredName',
  '1.2.840.113549.1.9.7': 'challengePassword', '1.2.840.113549.1.9.8': 'unstructuredAddress',
  '0.9.2342.19200300.100.1.1': 'UID', '0.9.2342.19200300.100.1.3': 'mail',
  '0.9.2342.19200300.100.1.25': 'DC', '0.9.2342.19200300.100.1.44': 'uid',
  '1.3.6.1.4.1.311.60.2.1.1': 'jurisdictionL', '1.3.6.1.4.1.311.60.2.1.2': 'jurisdictionST',
  '1.3.6.1.4.1.311.60.2.1.3': 'jurisdictionC',
};

// forge's short/long names for entries given without an OID (hand-made entries).
const FORGE_NAME_TO_OPENSSL: Record<string, string> = {
  E: 'emailAddress', emailAddress: 'emailAddress', commonName: 'CN', countryName: 'C',
  localityName: 'L', stateOrProvinceName: 'ST', organizationName: 'O', organizationalUnitName: 'OU',
};

/** The name OpenSSL writes before `=` for an entry: its OpenSSL short name, else the dotted OID
 *  (OpenSSL's i2t_ASN1_OBJECT into an 80-byte buffer: at most 79 characters). */
export function opensslShortName(entry: DnEntry): string {
  if (entry.type) return OPENSSL_SHORT_NAMES[entry.type] ?? entry.type.slice(0, 79);
  for (const n of [entry.shortName, entry.name]) {
    if (n) return FORGE_NAME_TO_OPENSSL[n] ?? n;
  }
  throw new Error('DN entry has neither an OID (type) nor a name');
}

function isUtf8(bytes: Uint8Array): boolean {
  try {
    new TextDecoder('utf-8', { fatal: true }).decode(bytes);
    return true;
  } catch {
    return false;
  }
}

/** The value's bytes as they are in the certificate. forge 1.4.3 hands every value back as a
 *  binary string of its raw octets (UTF8String included, e.g. "MÃ¼ller"), except BMPString, which
 *  it decodes to text; older forge versions and hand-made entries give UTF8String values as decoded
 *  text ("Müller"). Both are accepted: a UTF8String value whose chars, read as bytes, are not valid
 *  UTF-8 is taken as text and encoded; any value with a char above U+00FF is encoded as UTF-8. */
export function entryBytes(entry: DnEntry): Uint8Array {
  if (entry.bytes) return entry.bytes;
  if (typeof entry.value !== 'string') {
    throw new Error(`DN entry ${opensslShortName(entry)} has no string value`);
  }
  const v = entry.value;
  if (entry.valueTagClass === BMPSTRING) return utf16be(v);
  // eslint-disable-next-line no-control-regex
  const fitsInBytes = /^[\u0000-\u00ff]*$/.test(v);
  if (!fitsInBytes) return new Uint8Array(Buffer.from(v, 'utf8'));
  const raw = new Uint8Array(Buffer.from(v, 'latin1'));
  if (entry.valueTagClass === UTF8STRING && !isUtf8(raw)) return new Uint8Array(Buffer.from(v, 'utf8'));
  return raw;
}

const HEX = '0123456789ABCDEF';

/** OpenSSL 3's X509_NAME_oneline(): `/SN=value` per entry (`+SN=value` inside a multi-valued RDN);
 *  in values, bytes < 0x20 or > 0x7E become `\xHH` and `/`, `+` become `\/`, `\+`. With a buffer
 *  (default: sendmail's 256 bytes, so at most 255 characters), an entry that would not fit is
 *  dropped together with every entry after it. `bufferSize: Infinity` = no cut (what
 *  `openssl x509 -noout -issuer -nameopt compat` prints). */
export function opensslOneline(
  attrs: readonly DnEntry[],
  { bufferSize = SENDMAIL_NAME_BUFFER }: { bufferSize?: number } = {},
): string {
  const max = bufferSize - 1; // room for the NUL
  let out = '';
  let prevRdn: number | undefined;
  for (const [i, entry] of attrs.entries()) {
    const rdn = entry.rdn ?? -1 - i; // no grouping known: every entry its own RDN
    let q = entryBytes(entry);
    // OpenSSL's GeneralString quirk (gs_doit): a length divisible by 4 with only every 4th byte
    // non-zero (a UCS-4 value, by the look of it) prints only those bytes.
    if (entry.valueTagClass === GENERALSTRING && q.length % 4 === 0) {
      const nonZeroOutside3 = q.some((b, j) => b !== 0 && (j & 3) !== 3);
      if (!nonZeroOutside3) q = q.filter((_, j) => (j & 3) === 3);
    }
    let value = '';
    for (const b of q) {
      if (b < 0x20 || b > 0x7e) value += '\\x' + HEX[b >> 4] + HEX[b & 15];
      else if (b === 0x2f || b === 0x2b) value += '\\' + String.fromCharCode(b);
      else value += String.fromCharCode(b);
    }
    const piece = (prevRdn === rdn ? '+' : '/') + opensslShortName(entry) + '=' + value;
    if (out.length + piece.length > max) break;
    out += piece;
    prevRdn = rdn;
  }
  return out;
}

/** sendmail's xtextify(buf, "<>\")"): each byte (of the UTF-8 encoding) < 0x21 or > 0x7E, and each
 *  of `+ \ ( ) < > "`, becomes `+HH` (uppercase hex). Everything else (`= / @ . ,` ...) stays. */
export function xtext(s: string): string {
  let out = '';
  for (const b of Buffer.from(s, 'utf8')) {
    if (b < 0x21 || b > 0x7e || '+\\()<>"'.includes(String.fromCharCode(b))) {
      out += '+' + HEX[b >> 4] + HEX[b & 15];
    } else out += String.fromCharCode(b);
  }
  return out;
}

/** The entries of an ASN.1 Name (RDNSequence), with raw value bytes and RDN grouping. */
export function nameEntries(name: forgeNs.asn1.Asn1): DnEntry[] {
  const entries: DnEntry[] = [];
  if (!Array.isArray(name.value)) throw new Error('not a certificate: malformed name');
  name.value.forEach((set, rdn) => {
    if (!Array.isArray(set.value)) throw new Error('not a certificate: malformed RDN');
    for (const atv of set.value) {
      const [oid, val] = Array.isArray(atv.value) ? atv.value : [];
      if (!oid || !val || typeof oid.value !== 'string') {
        throw new Error('not a certificate: malformed name attribute');
      }
      let bytes: Uint8Array;
      if (typeof val.value !== 'string') bytes = new Uint8Array(Buffer.from(forge.asn1.toDer(val).getBytes(), 'latin1'));
      else if (val.type === BMPSTRING) bytes = utf16be(val.value);
      else bytes = new Uint8Array(Buffer.from(val.value, 'latin1'));
      entries.push({ type: forge.asn1.derToOid(oid.value), valueTagClass: val.type, bytes, rdn });
    }
  });
  return entries;
}

/** What other tasks want to know about a certificate. `subject`/`issuer` are the full one-line
 *  names (no 255-character cut), as `openssl x509 -noout -subject -nameopt compat` prints them. */
export interface CertInfo {
  subject: string;
  issuer: string;
  fingerprintSha256: string; // AA:BB:..., uppercase, like `openssl x509 -noout -fingerprint -sha256`
  notBefore: Date;
  notAfter: Date;
  /** issued by itself: issuer == subject and signed with its own key (see {@link isSelfSigned}) */
  selfSigned: boolean;
}

interface ParsedCert {
  der: string;
  issuer: DnEntry[];
  subject: DnEntry[];
  notBefore: Date;
  notAfter: Date;
}

function asn1Time(t: forgeNs.asn1.Asn1 | undefined): Date {
  if (t && typeof t.value === 'string') {
    if (t.type === forge.asn1.Type.UTCTIME) return forge.asn1.utcTimeToDate(t.value);
    if (t.type === forge.asn1.Type.GENERALIZEDTIME) return forge.asn1.generalizedTimeToDate(t.value);
  }
  throw new Error('not a certificate: malformed validity');
}

// Reads the first CERTIFICATE block of a PEM text. Walks the DER itself instead of
// forge.pki.certificateFromPem, which accepts RSA keys only; X.509 v1 (no version field, as
// Debian's update_tls makes them) and v3 both work.
function parseCert(pem: string): ParsedCert {
  if (typeof pem !== 'string' || !pem.includes('-----BEGIN')) {
    throw new Error('not a PEM certificate: no "-----BEGIN CERTIFICATE-----" block');
  }
  let der: string;
  try {
    const block = forge.pem
      .decode(pem)
      .find((m) => m.type === 'CERTIFICATE' || m.type === 'X509 CERTIFICATE' || m.type === 'TRUSTED CERTIFICATE');
    if (!block) throw new Error('no CERTIFICATE block');
    der = block.body;
  } catch (e) {
    throw new Error(`not a PEM certificate: ${(e as Error).message}`);
  }
  let cert: forgeNs.asn1.Asn1;
  try {
    cert = forge.asn1.fromDer(der);
  } catch (e) {
    throw new Error(`not a certificate: bad DER (${(e as Error).message})`);
  }
  const tbs = Array.isArray(cert.value) ? cert.value[0] : undefined;
  if (!tbs || !Array.isArray(tbs.value)) throw new Error('not a certificate: no TBSCertificate');
  const fields = tbs.value;
  // [0] EXPLICIT version is absent in v1 certificates.
  const v = fields[0]?.tagClass === forge.asn1.Class.CONTEXT_SPECIFIC ? 1 : 0;
  const [, , issuer, validity, subject] = fields.slice(v);
  if (!issuer || !validity || !subject || !Array.isArray(validity.value)) {
    throw new Error('not a certificate: TBSCertificate too short');
  }
  return {
    der,
    issuer: nameEntries(issuer),
    subject: nameEntries(subject),
    notBefore: asn1Time(validity.value[0]),
    notAfter: asn1Time(validity.value[1]),
  };
}

/**
 * One certificate, parsed once: everything a task, `status` or a check needs of it. The same PEM text
 * gives the same value (a small memo), so a run parses each certificate once however many tasks,
 * laptops and status rows look at it. Throws on a text that is not a certificate.
 */
export interface Certificate extends CertInfo {
  /** the `CERTISSUER:` access-map key: xtext(oneline(issuer)), cut as sendmail cuts it */
  issuerKey: string;
  /** the `CERTSUBJECT:` access-map key */
  subjectKey: string;
}

const parsed = new Map<string, Certificate>();
const PARSED_MAX = 256;

export function certificate(pem: string): Certificate {
  const hit = parsed.get(pem);
  if (hit) return hit;
  const c = parseCert(pem);
  const md = forge.md.sha256.create();
  md.update(c.der);
  const hex = md.digest().toHex().toUpperCase();
  const value: Certificate = Object.freeze({
    subject: opensslOneline(c.subject, { bufferSize: Infinity }),
    issuer: opensslOneline(c.issuer, { bufferSize: Infinity }),
    fingerprintSha256: hex.match(/../g)!.join(':'),
    notBefore: c.notBefore,
    notAfter: c.notAfter,
    selfSigned: isSelfSigned(pem),
    issuerKey: xtext(opensslOneline(c.issuer)),
    subjectKey: xtext(opensslOneline(c.subject)),
  });
  if (parsed.size >= PARSED_MAX) parsed.delete(parsed.keys().next().value!);
  parsed.set(pem, value);
  return value;
}

/** The access-map key for `CERTISSUER:` from a PEM certificate: xtext(oneline(issuer)). */
export function certIssuerKey(pem: string): string {
  return certificate(pem).issuerKey;
}

/** The access-map key for `CERTSUBJECT:` from a PEM certificate: xtext(oneline(subject)). */
export function certSubjectKey(pem: string): string {
  return certificate(pem).subjectKey;
}

/** Subject, issuer, SHA-256 fingerprint, validity and self-signedness of a PEM certificate. */
export function certInfo(pem: string): CertInfo {
  return certificate(pem);
}

/** Whether a PEM certificate is self-signed: its issuer is its own subject AND its signature
 *  verifies with its own public key (OpenSSL's X509_check_issued and X509_verify, through
 *  node:crypto). Only then is `CERTISSUER:<its issuer> RELAY` exact: no one else can hold a
 *  certificate from that issuer. A certificate a CA issued (public, company) is not, and neither
 *  is one that merely copies its issuer's name into its subject. False when it cannot be read. */
export function isSelfSigned(pem: string): boolean {
  // every laptop of a server checks the same certificate, twice: one signature check per text
  let known = selfSignedByPem.get(pem);
  if (known === undefined) {
    known = checkSelfSigned(pem);
    if (selfSignedByPem.size > 1000) selfSignedByPem.clear();
    selfSignedByPem.set(pem, known);
  }
  return known;
}
const selfSignedByPem = new Map<string, boolean>();

function checkSelfSigned(pem: string): boolean {
  let cert: X509Certificate;
  try {
    cert = new X509Certificate(pem);
  } catch {
    return false;
  }
  try {
    return cert.checkIssued(cert) && cert.verify(cert.publicKey);
  } catch {
    return false;
  }
}
