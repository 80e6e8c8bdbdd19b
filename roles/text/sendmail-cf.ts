// Reads of the built /etc/mail/sendmail.cf (or of m4's output for a sendmail.mc): the option lines
// that say which certificate, key and CA files sendmail really uses, and where it listens. Pure.
//
// Why sendmail.cf and not sendmail.mc: an admin's sendmail.mc names its files through helper
// macros (define(`CERT_DIR', …)), in includes, before or after starttls.m4, sometimes without
// starttls.m4 at all; m4 resolves all of that, and the options it writes are what sendmail reads.
// A line is `O Name=value`; a commented-out or unset option is `#O Name` (cf/m4/proto.m4 writes
// every option it knows, the unset ones commented). The last setting of an option wins, except
// DaemonPortOptions, of which each line is one more listener.

export interface CfOption {
  name: string;
  value: string;
  /** 1-based line number in the text */
  line: number;
}

/** The live `O Name=value` lines of a sendmail.cf (or of m4's output), in order. A Buffer (a file as
 *  read from a host) is scanned as bytes: only its O lines are decoded, never the whole file. */
export function cfOptions(cf: string | Buffer): CfOption[] {
  const out: CfOption[] = [];
  const option = (raw: string, line: number) => {
    if (raw.endsWith('\r')) raw = raw.slice(0, -1);
    const m = /^O\s+([A-Za-z][A-Za-z0-9]*)\s*=(.*)$/.exec(raw);
    if (m) out.push({ name: m[1], value: m[2].trim(), line });
  };
  // a whole sendmail.cf (~2000 lines, ~60 of them options) is read on every host of every run:
  // only the lines that start with O meet the pattern (lines split at \r?\n, as split(/\r?\n/))
  if (typeof cf !== 'string') {
    // 101 hosts' files arrive at once: decoding each whole (66 KB) and splitting it into ~2000
    // strings was two more copies of every file at the run's peak of memory
    for (let at = 0, line = 1; at <= cf.length; line++) {
      let nl = cf.indexOf(10, at);
      if (nl < 0) nl = cf.length;
      if (cf[at] === 79 /* O */) option(cf.toString('utf8', at, nl), line);
      at = nl + 1;
    }
    return out;
  }
  const lines = cf.split('\n');
  for (let i = 0; i < lines.length; i++) if (lines[i].charCodeAt(0) === 79 /* O */) option(lines[i], i + 1);
  return out;
}

/** The same options as cfOptions, from what `grep -n '^O' sendmail.cf` printed (files/safe-make.sh
 *  keeps it as the file's summary, SENDMAIL_CF_OPTIONS): each line is `NUMBER:` and the file's line. */
export function cfOptionsFromSummary(summary: string | Buffer): CfOption[] {
  const out: CfOption[] = [];
  for (const l of (typeof summary === 'string' ? summary : summary.toString('utf8')).split('\n')) {
    const m = /^(\d+):(O.*)$/s.exec(l);
    if (!m) continue;
    for (const o of cfOptions(m[2])) out.push({ ...o, line: Number(m[1]) });
  }
  return out;
}

/** The value of an option (the last line that sets it; names compare without case), or undefined. */
export function cfOption(options: readonly CfOption[], name: string): string | undefined {
  let v: string | undefined;
  for (const o of options) if (o.name.toLowerCase() === name.toLowerCase()) v = o.value;
  return v === '' ? undefined : v;
}

/** The TLS files of sendmail, by what sendmail.cf calls them, with the sendmail.mc define behind each. */
export const TLS_OPTIONS = {
  serverCert: { option: 'ServerCertFile', define: 'confSERVER_CERT' },
  serverKey: { option: 'ServerKeyFile', define: 'confSERVER_KEY' },
  caCert: { option: 'CACertFile', define: 'confCACERT' },
  caPath: { option: 'CACertPath', define: 'confCACERT_PATH' },
  clientCert: { option: 'ClientCertFile', define: 'confCLIENT_CERT' },
  clientKey: { option: 'ClientKeyFile', define: 'confCLIENT_KEY' },
} as const;
export type TlsFileRole = keyof typeof TLS_OPTIONS;
export type TlsFiles = { [K in TlsFileRole]?: string };

/** Which certificate, key and CA files sendmail uses (undefined: not set). */
export function tlsFiles(options: readonly CfOption[]): TlsFiles {
  const out: TlsFiles = {};
  for (const [k, { option }] of Object.entries(TLS_OPTIONS) as Array<[TlsFileRole, { option: string }]>) {
    const v = cfOption(options, option);
    if (v !== undefined) out[k] = v;
  }
  return out;
}

/** What Debian's starttls.m4 (update_tlsm4) sets, on Debian 12 and 13 alike. */
export const DEBIAN_TLS_FILES: Required<TlsFiles> = {
  serverCert: '/etc/mail/tls/sendmail-server.crt',
  serverKey: '/etc/mail/tls/sendmail-common.key',
  caCert: '/etc/mail/tls/sendmail-server.crt',
  caPath: '/etc/ssl/certs',
  clientCert: '/etc/mail/tls/sendmail-client.crt',
  clientKey: '/etc/mail/tls/sendmail-common.key',
};

/** "confSERVER_CERT (O ServerCertFile=/x)": how messages name one of the files. */
export function tlsFileLabel(role: TlsFileRole, value: string | undefined): string {
  const { option, define } = TLS_OPTIONS[role];
  return value === undefined ? `${define} (no ${option} in sendmail.cf)` : `${define} (O ${option}=${value})`;
}

/** Options a value may hold that sendmail does not take as a plain path (a macro, a map). */
export function plainPath(value: string): boolean {
  return /^\/[^\s$]*$/.test(value);
}

// ---------------------------------------------------------------- listeners

export interface Listener {
  /** Name= (MTA, MSA, MTA-v4, …); undefined when not set */
  name?: string;
  family: string;
  /** Addr=, or the family's any-address */
  addr: string;
  port: number;
  /** M= modifiers (a: AUTH required, s: SMTP over TLS from the start, …) */
  modifiers: string;
  /** the sendmail.cf line; undefined for sendmail's built-in default */
  line?: number;
}

const PORTS: Record<string, number> = { smtp: 25, submission: 587, smtps: 465, submissions: 465 };

/** The daemons sendmail starts, from the `O DaemonPortOptions=` lines (one listener each). With none,
 *  sendmail's default: one daemon on port 25 of every IPv4 address. Keys are matched on their first
 *  letter, as sendmail's daemon.c does (Addr/Address, Family, Modifiers/M, Name, Port). */
export function listeners(options: readonly CfOption[]): Listener[] {
  const lines = options.filter((o) => o.name.toLowerCase() === 'daemonportoptions');
  if (lines.length === 0) return [{ name: undefined, family: 'inet', addr: '0.0.0.0', port: 25, modifiers: '' }];
  return lines.map((o) => {
    const kv = new Map<string, string>();
    for (const part of o.value.split(',')) {
      const eq = part.indexOf('=');
      if (eq < 0) continue;
      const k = part.slice(0, eq).trim().toLowerCase();
      if (k) kv.set(k[0], part.slice(eq + 1).trim());
    }
    const family = (kv.get('f') ?? 'inet').toLowerCase();
    const p = (kv.get('p') ?? 'smtp').toLowerCase();
    const port = /^\d+$/.test(p) ? Number(p) : (PORTS[p] ?? -1);
    const addr = kv.get('a') ?? (family === 'inet6' ? '::' : '0.0.0.0');
    return { name: kv.get('n'), family, addr, port, modifiers: kv.get('m') ?? '', line: o.line };
  });
}

/** Whether an address is one only the host itself reaches. */
export function isLoopback(addr: string): boolean {
  const a = addr.toLowerCase().replace(/^\[|\]$/g, '');
  return /^127\./.test(a) || a === '::1' || a === 'localhost' || a === '0:0:0:0:0:0:0:1' || a === '::ffff:127.0.0.1';
}

export interface Reachability {
  /** the listener laptops will use: port 25 (SMART_HOST's relay mailer), not loopback, no AUTH required */
  use?: Listener;
  /** every listener others can reach (any port) */
  network: Listener[];
  /** a one-line verdict for the task's warning and for status; undefined when laptops can relay */
  problem?: string;
}

const describe = (l: Listener) => `${l.name ? `${l.name} ` : ''}${l.family === 'inet6' ? `[${l.addr}]` : l.addr}:${l.port}${l.modifiers ? ` M=${l.modifiers}` : ''}`;
export { describe as describeListener };

/** Can laptops reach the server's MTA? A laptop's SMART_HOST goes to port 25 with the relay
 *  mailer and presents a client certificate, no SMTP AUTH: it needs a port-25 listener on a
 *  non-loopback address without M=a (AUTH required) and without M=s (TLS from the start, which the
 *  smtp mailer does not speak). */
export function reachability(ls: readonly Listener[]): Reachability {
  const network = ls.filter((l) => !isLoopback(l.addr) && l.port > 0);
  const smtp = network.filter((l) => l.port === 25);
  const use = smtp.find((l) => !/[as]/.test(l.modifiers));
  if (use) return { use, network };
  const all = ls.map(describe).join(', ');
  if (smtp.length) return { network, problem: `sendmail's only port-25 listener(s) reachable from the network (${smtp.map(describe).join(', ')}) require SMTP AUTH or TLS from the start: laptops (SMART_HOST, port 25, client certificate) are refused` };
  if (network.length) return { network, problem: `sendmail listens on the network only on ${network.map(describe).join(', ')}, not on port 25, where laptops send (SMART_HOST)` };
  return { network, problem: `sendmail listens only on ${all}, so laptops cannot reach it` };
}

// ---------------------------------------------------------------- the sendmail.mc this run writes

import { ensureAccessDb, ensureStarttlsInclude, ensureTlsSrvOptionsOverride, handTls, removeVFromSrvOptions } from './sendmail-mc.js';

/** The sendmail.mc as the role's own edits leave it (the include, the server's V override and
 *  access_db), so that m4 can tell, before anything is written, which files sendmail will use.
 *  The per-laptop defines are the tool's own files and are judged by their tasks. Throws like the
 *  edits do (no place for the include). */
export function plannedMc(mc: string, role: 'server' | 'laptop'): string {
  if (handTls(mc)) return role === 'server' ? ensureAccessDb(removeVFromSrvOptions(mc)) : mc;
  const t = ensureStarttlsInclude(mc);
  return role === 'server' ? ensureAccessDb(ensureTlsSrvOptionsOverride(t)) : t;
}
