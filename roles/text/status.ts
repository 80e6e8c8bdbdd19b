// `status`: what each host presents and whether its server trusts it. Pure: the role reads the
// files, these functions judge them and print the table.
import { chalk } from 'zx/core';
import { findAccessEntry, accessLine } from './access-file.js';
import { certInfo, certIssuerKey } from './dn.js';
import { laptopCertState, laptopSubject, type LaptopCertState } from '../pki/laptop-ca.js';
import { expiryOf, laptopAccessLine, laptopCaAccessLine, laptopEntryId, LAPTOP_CA_ID, type Expiry, type TlsMode } from './tls-mode.js';
import { SERVER_ISSUER_ID } from './tls-mode.js';
import { notSelfSignedReason, unsafeIssuerLines, type ServerTrust } from './trust.js';
import { isSelfSigned } from './dn.js';

export interface CertSummary {
  path: string;
  subject: string;
  issuer: string;
  fingerprint: string;
  notAfter: string;
  daysLeft: number;
  expiry: Expiry;
}

export function certSummary(path: string, pem: string | undefined, now = new Date()): CertSummary | { path: string; error: string } | null {
  if (pem === undefined) return null;
  try {
    const i = certInfo(pem);
    const e = expiryOf(i.notBefore, i.notAfter, now);
    return { path, subject: i.subject, issuer: i.issuer, fingerprint: i.fingerprintSha256, notAfter: i.notAfter.toISOString(), daysLeft: e.days, expiry: e.state };
  } catch (err) {
    return { path, error: (err as Error).message };
  }
}

/** Whether the access text holds the tool's entry `id` with exactly `line` (key case-insensitive). */
export function hasAccessLine(accessText: string | undefined, id: string, line: string | undefined): boolean {
  if (!accessText || !line) return false;
  const e = findAccessEntry(accessText, id);
  if (!e) return false;
  const [k, a] = line.split('\t');
  return e.key.toLowerCase() === k.toLowerCase() && e.action.toUpperCase() === a.toUpperCase();
}

export interface ServerStatusInput {
  mode: TlsMode;
  serverCertPem?: string;
  caCertPem?: string;
  accessText?: string;
  bundleText?: string;
  expectedBundle?: string;
  now?: Date;
  /** the certificate file sendmail presents (sendmail.cf's ServerCertFile) */
  certPath?: string;
  /** where laptops connect (sendmail.cf's DaemonPortOptions), or why they cannot */
  listener?: string;
  listenerProblem?: string;
}

export interface ServerStatus {
  role: 'server';
  mode: TlsMode;
  cert: ReturnType<typeof certSummary>;
  laptopCa: ReturnType<typeof certSummary>;
  /** shared-key: the CERTISSUER line of the server's issuer; per-laptop: the laptop CA's line */
  accessLine: boolean;
  /** per-laptop: the confCACERT bundle holds the current server certificate and the CA */
  bundleCurrent: boolean | null;
  /** access lines that let others than the paired laptops relay (CERTISSUER:<not our own> RELAY) */
  unsafe: string[];
  /** the listener laptops use (address:port), null when none is reachable, undefined when not known */
  listener?: string | null;
  problems: string[];
}

/** The shared-key access line for a server certificate, or undefined when there is none or it is unreadable. */
function serverIssuerLine(serverCertPem: string | undefined): string | undefined {
  try {
    return serverCertPem ? accessLine('CERTISSUER', certIssuerKey(serverCertPem), 'RELAY') : undefined;
  } catch {
    return undefined;
  }
}

export function serverStatus(i: ServerStatusInput): ServerStatus {
  const now = i.now ?? new Date();
  const problems: string[] = [];
  const cert = certSummary(i.certPath ?? 'sendmail-server.crt', i.serverCertPem, now);
  if (i.listenerProblem) problems.push(i.listenerProblem);
  if (!cert) problems.push('no server certificate');
  else if ('error' in cert) problems.push(`server certificate unreadable: ${cert.error}`);
  else if (cert.expiry !== 'valid') problems.push(`server certificate ${cert.expiry} (${cert.notAfter.slice(0, 10)})`);
  let accessOk = false;
  let laptopCa: ReturnType<typeof certSummary> = null;
  let bundleCurrent: boolean | null = null;
  const unsafe = unsafeIssuerLines(i.accessText, i.serverCertPem).map((u) => `access line ${u.lineNumber} lets every certificate of that issuer relay: ${u.line}`);
  problems.push(...unsafe);
  if (i.mode === 'shared-key' && i.serverCertPem && cert && !('error' in cert) && !isSelfSigned(i.serverCertPem)) problems.push(notSelfSignedReason('the server').replace(/^the server: /, ''));
  if (i.mode === 'shared-key') {
    accessOk = hasAccessLine(i.accessText, SERVER_ISSUER_ID, serverIssuerLine(i.serverCertPem));
    if (!accessOk) problems.push("no CERTISSUER line for the server certificate's issuer");
  } else {
    laptopCa = certSummary('laptop-ca.crt', i.caCertPem, now);
    if (!laptopCa) problems.push('no laptop CA');
    else if ('error' in laptopCa) problems.push(`laptop CA unreadable: ${laptopCa.error}`);
    else if (laptopCa.expiry !== 'valid') problems.push(`laptop CA ${laptopCa.expiry} (${laptopCa.notAfter.slice(0, 10)})`);
    let line: string | undefined;
    try {
      line = i.caCertPem ? laptopCaAccessLine(i.caCertPem) : undefined;
    } catch {
      line = undefined;
    }
    accessOk = hasAccessLine(i.accessText, LAPTOP_CA_ID, line);
    if (!accessOk) problems.push('no CERTISSUER line for the laptop CA');
    bundleCurrent = i.expectedBundle !== undefined && i.bundleText === i.expectedBundle;
    if (!bundleCurrent) problems.push('the confCACERT bundle does not hold the current server certificate and laptop CA');
  }
  const listener = i.listenerProblem ? null : i.listener;
  return { role: 'server', mode: i.mode, cert, laptopCa, accessLine: accessOk, bundleCurrent, unsafe, ...(listener !== undefined ? { listener } : {}), problems };
}

export interface LaptopStatusInput {
  name: string;
  cn: string;
  server: string;
  mode: TlsMode;
  /** the certificate the laptop presents (shared-key: sendmail-client.crt; per-laptop: laptop-client.crt) */
  certPem?: string;
  /** shared-key: digests to compare with the server's */
  certSha?: string;
  keySha?: string;
  serverCertPem?: string;
  serverCertSha?: string;
  serverKeySha?: string;
  /** per-laptop */
  caCertPem?: string;
  publicKeyPem?: string;
  relayServerCertSha?: string;
  accessText?: string;
  /** whether the laptop hands mail only to its verified server (server-trust.ts judgeServerTrust) */
  trust?: ServerTrust;
  now?: Date;
}

export interface LaptopStatus {
  role: 'laptop';
  server: string;
  mode: TlsMode;
  cert: ReturnType<typeof certSummary>;
  /** current | stale | missing | (per-laptop) the laptop CA's verdict */
  state: 'current' | 'stale' | 'missing' | LaptopCertState;
  current: boolean;
  accessLine: boolean;
  /** per-laptop: the laptop holds the server's key (it must not) */
  holdsServerKey: boolean | null;
  /** per-laptop: relay-server.crt is the server's current certificate */
  serverCertCopyCurrent: boolean | null;
  /** the laptop's TLS_Srv rule for its server: undefined when not read */
  serverTrust?: ServerTrust;
  /** rules that let the laptop hand mail to a server it has not verified */
  unsafe: string[];
  problems: string[];
}

export function laptopStatus(i: LaptopStatusInput): LaptopStatus {
  const now = i.now ?? new Date();
  const problems: string[] = [];
  const cert = certSummary(i.mode === 'shared-key' ? 'sendmail-client.crt' : 'laptop-client.crt', i.certPem, now);
  let state: LaptopStatus['state'];
  let accessOk: boolean;
  let holdsServerKey: boolean | null = null;
  let copyCurrent: boolean | null = null;
  if (i.mode === 'shared-key') {
    if (!i.certPem) state = 'missing';
    else state = i.certSha === i.serverCertSha && i.keySha === i.serverKeySha ? 'current' : 'stale';
    if (state === 'stale') problems.push(`${i.certSha === i.serverCertSha ? 'key' : 'certificate'} is not ${i.server}'s current one: pair again`);
    accessOk = hasAccessLine(i.accessText, SERVER_ISSUER_ID, serverIssuerLine(i.serverCertPem));
  } else {
    const subject = laptopSubject(i.cn);
    state = i.caCertPem
      ? laptopCertState({ certPem: i.certPem, caCertPem: i.caCertPem, expectedSubject: subject, publicKeyPem: i.publicKeyPem || undefined, now })
      : i.certPem
        ? 'other-ca'
        : 'missing';
    if (state !== 'current') problems.push(`certificate ${state}${state === 'expiring' ? '' : ': pair again'}`);
    accessOk = hasAccessLine(i.accessText, laptopEntryId(i.name), laptopAccessLine(subject)) && hasAccessLine(i.accessText, LAPTOP_CA_ID, i.caCertPem ? laptopCaAccessLine(i.caCertPem) : undefined);
    holdsServerKey = !!i.keySha && i.keySha === i.serverKeySha;
    if (holdsServerKey) problems.push(`holds ${i.server}'s key`);
    copyCurrent = !!i.relayServerCertSha && i.relayServerCertSha === i.serverCertSha;
    if (!copyCurrent) problems.push(`relay-server.crt is not ${i.server}'s current certificate: pair again`);
  }
  if (!accessOk) problems.push(`no access line on ${i.server}`);
  if (cert && !('error' in cert) && cert.expiry === 'expiring' && !problems.some((p) => p.includes('expiring'))) problems.push(`certificate expiring (${cert.notAfter.slice(0, 10)})`);
  const t = i.trust;
  const unsafe = t?.state === 'unsafe' && t.problem ? [t.problem] : [];
  if (t?.problem) problems.push(t.problem);
  const trustOk = !t || t.state === 'current' || t.state === 'opted-out';
  const current = (state === 'current' || state === 'expiring') && accessOk && holdsServerKey !== true && copyCurrent !== false && trustOk;
  return { role: 'laptop', server: i.server, mode: i.mode, cert, state, current, accessLine: accessOk, holdsServerKey, serverCertCopyCurrent: copyCurrent, serverTrust: t, unsafe, problems };
}

export type HostStatus = ServerStatus | LaptopStatus | { role: 'unreachable'; reason: string } | { role: 'failed'; reason: string };

/** The status table: a block per host; problems stand out (upper case tag, red on a terminal). */
export function renderStatus(hosts: Array<[string, HostStatus]>, color = false): string {
  const red = (s: string) => (color ? chalk.red(s) : s);
  const green = (s: string) => (color ? chalk.green(s) : s);
  const out: string[] = [];
  const certLines = (c: ReturnType<typeof certSummary>, label: string) => {
    if (!c) return [`  ${label}: none`];
    if ('error' in c) return [`  ${label}: ${c.path}: ${red('UNREADABLE')} ${c.error}`];
    const exp = c.expiry === 'valid' ? `${c.notAfter.slice(0, 10)} (${c.daysLeft} days)` : red(`${c.expiry.toUpperCase()} ${c.notAfter.slice(0, 10)} (${c.daysLeft} days)`);
    return [`  ${label}: ${c.path}`, `    subject     ${c.subject}`, `    issuer      ${c.issuer}`, `    sha256      ${c.fingerprint}`, `    expires     ${exp}`];
  };
  for (const [name, s] of hosts) {
    if (s.role === 'unreachable' || s.role === 'failed') {
      out.push(`${name}: ${red(s.role.toUpperCase())}: ${s.reason}`, '');
      continue;
    }
    const verdict = s.role === 'server' ? (s.problems.length ? red('PROBLEM') : green('ok')) : s.current ? green('current') : red(s.state === 'current' || s.state === 'expiring' ? 'STALE' : s.state.toUpperCase());
    out.push(`${name} (${s.role}${s.role === 'laptop' ? ` of ${s.server}` : ''}, ${s.mode}): ${verdict}`);
    out.push(...certLines(s.cert, 'certificate'));
    if (s.role === 'server' && s.mode === 'per-laptop') out.push(...certLines(s.laptopCa, 'laptop CA'));
    out.push(`  access line ${s.accessLine ? 'present' : red('MISSING')}`);
    if (s.role === 'laptop' && s.serverTrust) {
      const t = s.serverTrust;
      const word =
        t.state === 'current' ? green('yes') : t.state === 'opted-out' ? `no (${'laptop_requires_verified_server'}: false)` : red(t.state === 'missing' ? 'NO' : t.state.toUpperCase());
      out.push(`  hands mail only to its verified server: ${word}${t.line && t.state !== 'opted-out' ? `\n    rule        ${t.line.replace(/\t/, ' ')}` : ''}`);
    }
    if (s.role === 'server' && s.listener !== undefined) out.push(`  laptops connect to ${s.listener ?? red('NOTHING REACHABLE')}`);
    for (const p of s.problems) out.push(`  ${red('!')} ${p}`);
    out.push('');
  }
  return out.join('\n');
}

/** `status` exit codes, for cron and monitoring (README "Commands and flags"). The first that applies. */
export const STATUS_EXIT = { ok: 0, failed: 2, unreachable: 4, unsafe: 5, stale: 6, expiring: 7 } as const;

/** The exit code of `status` for these rows: an unsafe rule (5) first, then a host that could not be
 *  read (4 unreachable, 2 failed), a laptop that is not current or a server with a problem (6), a
 *  certificate that expires within 30 days or has expired (7); else 0. */
export function statusExitCode(hosts: Array<[string, HostStatus]>): number {
  const st = hosts.map(([, s]) => s);
  if (st.some((s) => (s.role === 'server' || s.role === 'laptop') && s.unsafe.length > 0)) return STATUS_EXIT.unsafe;
  if (st.some((s) => s.role === 'unreachable')) return STATUS_EXIT.unreachable;
  if (st.some((s) => s.role === 'failed')) return STATUS_EXIT.failed;
  const expiring = (c: ReturnType<typeof certSummary>) => !!c && !('error' in c) && (c.expiry === 'expiring' || c.expiry === 'expired');
  const onlyExpiry = (p: string) => /\b(expiring|expired)\b/.test(p);
  if (st.some((s) => (s.role === 'laptop' && (!s.current && !s.problems.every(onlyExpiry))) || (s.role === 'server' && s.problems.some((p) => !onlyExpiry(p))))) return STATUS_EXIT.stale;
  if (st.some((s) => (s.role === 'server' && (expiring(s.cert) || expiring(s.laptopCa))) || (s.role === 'laptop' && expiring(s.cert)))) return STATUS_EXIT.expiring;
  return STATUS_EXIT.ok;
}
