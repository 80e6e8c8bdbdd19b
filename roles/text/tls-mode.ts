// Which trust model a mail server uses, and the names per-laptop mode derives from the inventory.
// Pure: no disk, no network.
//
// - `tls_mode` is a var of the mail server (host or group var): `shared-key` (the default: the
//   how-to's model, every laptop holds the server's certificate and key) or `per-laptop` (each
//   laptop its own key, made on the laptop, and a certificate from the server's laptop CA).
//   A laptop follows its server's mode.
// - A laptop's certificate names it by its `fqdn` var, else by its inventory name (not
//   ansible_host, which is often an address and may change). The server computes the laptop's
//   CERTSUBJECT line from the same var, in its own run, so it never needs the laptop to be up.
import { accessLine } from './access-file.js';
import { certSubjectKey, opensslOneline, xtext } from './dn.js';
import { LAPTOP_CLIENT_KEY, laptopSubject, type SubjectName } from '../pki/laptop-ca.js';

export const TLS_MODES = ['shared-key', 'per-laptop'] as const;
export type TlsMode = (typeof TLS_MODES)[number];
export const DEFAULT_TLS_MODE: TlsMode = 'shared-key';

/** The marker id of the shared-key `CERTISSUER:<server's own certificate> RELAY` line. */
export const SERVER_ISSUER_ID = 'server-issuer';
/** The marker id of the `CERTISSUER:<laptop CA> SUBJECT` line. */
export const LAPTOP_CA_ID = 'laptop-ca';
/** Marker ids of per-laptop `CERTSUBJECT:<laptop> RELAY` lines start with this. */
export const LAPTOP_ID_PREFIX = 'laptop:';

/** The mode a server's vars ask for; throws (naming the value) when it is not one of TLS_MODES. */
export function tlsMode(vars: Readonly<Record<string, unknown>>, where = 'tls_mode'): TlsMode {
  const v = vars['tls_mode'];
  if (v === undefined || v === null || v === '') return DEFAULT_TLS_MODE;
  if (typeof v === 'string' && (TLS_MODES as readonly string[]).includes(v)) return v as TlsMode;
  throw new Error(`${where}: tls_mode is ${JSON.stringify(v)}; expected ${TLS_MODES.map((m) => `'${m}'`).join(' or ')}`);
}

/** The CN of a laptop's certificate: its `fqdn` var, else its inventory name. */
export function laptopCommonName(name: string, vars: Readonly<Record<string, unknown>>): string {
  const f = vars['fqdn'];
  return typeof f === 'string' && f.trim() ? f.trim() : name;
}

/** The CN of the laptop CA: the server's `fqdn` var, else its inventory name. */
export function serverCommonName(name: string, vars: Readonly<Record<string, unknown>>): string {
  return laptopCommonName(name, vars);
}

export function laptopEntryId(name: string): string {
  return LAPTOP_ID_PREFIX + name;
}

/** `CERTSUBJECT:<the laptop's subject, as sendmail keys it> RELAY`. */
export function laptopAccessLine(subject: SubjectName | string): string {
  const s = typeof subject === 'string' ? laptopSubject(subject) : subject;
  return accessLine('CERTSUBJECT', xtext(opensslOneline(s.attributes)), 'RELAY');
}

/** `CERTISSUER:<laptop CA's subject> SUBJECT`: certificates the CA issued are then decided by their
 *  CERTSUBJECT line (sendmail's two-step lookup), not relayed as such. */
export function laptopCaAccessLine(caCertPem: string): string {
  return accessLine('CERTISSUER', certSubjectKey(caCertPem), 'SUBJECT');
}

/** argv (after `openssl`) for a CSR from the laptop's existing key, on stdout. */
export function laptopCsrFromKeyArgs(subject: SubjectName, keyPath = LAPTOP_CLIENT_KEY): string[] {
  return ['req', '-new', '-key', keyPath, '-utf8', '-subj', subject.subj, '-out', '-'];
}

/** A pairing request the entry point hands to a server's role: which laptop, its server, its CN. */
export interface LaptopPairing {
  name: string;
  server: string;
  cn: string;
}

/** The pairings of a list (a role's options: pair, unpair) that concern `server`. */
export function pairingsFor(list: readonly LaptopPairing[] | undefined, server: string): LaptopPairing[] {
  return (list ?? []).filter((p) => p.server === server);
}

export type Expiry = 'expired' | 'expiring' | 'not-yet-valid' | 'valid';

/** Where a validity period stands at `now`; `days` = whole days left (negative once expired). */
export function expiryOf(notBefore: Date, notAfter: Date, now = new Date(), expiringDays = 30): { state: Expiry; days: number } {
  const days = Math.floor((notAfter.getTime() - now.getTime()) / 86_400_000);
  if (now.getTime() < notBefore.getTime()) return { state: 'not-yet-valid', days };
  if (now.getTime() > notAfter.getTime()) return { state: 'expired', days };
  if (days < expiringDays) return { state: 'expiring', days };
  return { state: 'valid', days };
}
