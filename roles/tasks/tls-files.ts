// Which certificate, key and CA files sendmail really uses, and where it listens: read from the
// options m4 writes into sendmail.cf (sendmail-cf.ts), never assumed from Debian's defaults.
//
// The first run: sendmail.cf on the host was built from the admin's sendmail.mc before the tool
// added its include, so it does not say what the sendmail.mc this run writes will do. The tool
// therefore asks m4 itself, on the host and before anything is written: it runs m4 (read-only, in
// check mode too) on the sendmail.mc as the role's edits will leave it (plannedMc) and reads the
// option lines of its output. When the planned sendmail.mc is the one on the host and sendmail.cf
// is not older than it, the option lines of sendmail.cf itself (gathered in the first round trip)
// are used: a no-change run costs no extra round trip.
import type { HostHandle, PeerHandle, RemoteFile } from '../../lib/types.js';
import { certInfo } from '../text/dn.js';
import { SENDMAIL_CF_READ, SENDMAIL_MC, STARTTLS_M4 } from '../paths.js';
import {
  DEBIAN_TLS_FILES, cfOptions, cfOptionsFromSummary, tlsFiles, describeListener, listeners, plainPath, plannedMc, reachability, tlsFileLabel,
  type CfOption, type Reachability, type TlsFiles, type TlsFileRole,
} from '../text/sendmail-cf.js';
import { tlsMode } from '../text/tls-mode.js';
import { laptopServer } from './server-of.js';
import { handTls, removeDefine } from '../text/sendmail-mc.js';
import { LAPTOP_CLIENT_CERT, LAPTOP_CLIENT_KEY, RELAY_SERVER_CERT } from '../pki/laptop-ca.js';
import { task } from '../../lib/role.js';
import { sendmailProbe } from './sendmail.js';

/** The defines per-laptop mode puts after the include on a laptop (per-laptop.ts LAPTOP_DEFINES);
 *  shared-key mode removes them (laptopUsesOwnCertificate), so its plan does too. */
export const PER_LAPTOP_DEFINES: ReadonlyArray<[string, string]> = [
  ['confCLIENT_CERT', LAPTOP_CLIENT_CERT],
  ['confCLIENT_KEY', LAPTOP_CLIENT_KEY],
  ['confCACERT', RELAY_SERVER_CERT],
];

/** m4 on the planned sendmail.mc (stdin), in /etc/mail, as Debian's Makefile runs it; read-only.
 *  Its whole output comes back (a sendmail.cf, ~66 KB) and cfOptions picks the O lines: a grep
 *  on the host would be one program more there, where a program start costs more than the bytes.
 *  `-D_NO_MAKEINFO_` (sendmail's cf/m4/cfhead.m4, Debian 12 and 13): no "built by user@host on
 *  date" header, the only part of the output it changes; that header is sh cf/sh/makeinfo.sh and
 *  its ~15 programs (whoami, hostname, date, …): 17 programs and 25 ms a run become 2 and 11 ms on a
 *  lab host, on every host of a first deploy at once. */
export const M4_OPTIONS = `cd /etc/mail && { m4 -D_NO_MAKEINFO_ 2>/dev/null; test -f ${STARTTLS_M4} || echo 'no-starttls.m4'; true; }`;

export interface SendmailUses {
  /** where the options come from */
  source: 'sendmail.cf' | 'm4';
  options: CfOption[];
  files: TlsFiles;
  reach: Reachability;
}

/** What a built sendmail.cf (as read: its bytes, or its option lines, SENDMAIL_CF_READ) or m4's
 *  output on the planned sendmail.mc says. */
function judge(source: 'sendmail.cf', cf: RemoteFile): SendmailUses;
function judge(source: 'm4', text: string, includesStarttls: boolean): SendmailUses;
function judge(source: SendmailUses['source'], text: string | RemoteFile, includesStarttls = true): SendmailUses {
  const options =
    typeof text === 'string' ? cfOptions(text) : !text.exists ? [] : text.summary ? cfOptionsFromSummary(text.summary.text) : text.content ? cfOptions(text.content) : [];
  // starttls.m4 is written by update_tls, which runs later in this role: until then, its defaults
  // (only when the planned sendmail.mc includes it; M4_OPTIONS says it is not there yet)
  let files = tlsFiles(options);
  if (source === 'm4' && includesStarttls && /^no-starttls\.m4$/m.test(text as string)) files = { ...DEBIAN_TLS_FILES, ...files };
  return { source, options, files, reach: reachability(listeners(options)) };
}

/** sendmail.mc has no place for the include: the include task says so, in its own words. */
export class NoPlanError extends Error {}

/** This run's findings (h.memo: per run, not per process): sendmailUses by host, role and planned
 *  sendmail.mc, and what each server's sendmail uses as its own run found it (its laptops read it). */
function findings(h: HostHandle): Promise<{ uses: Map<string, SendmailUses>; servers: Map<string, SendmailUses> }> {
  return h.memo('tls-files', () => ({ uses: new Map<string, SendmailUses>(), servers: new Map<string, SendmailUses>() }));
}

/** What sendmail on this host uses once this run's sendmail.mc edits are built. */
export async function sendmailUses(h: HostHandle, role: 'server' | 'laptop'): Promise<SendmailUses> {
  const [mc] = await h.files([SENDMAIL_MC]);
  if (!mc.exists) throw new Error(`${SENDMAIL_MC} is missing on ${h.name}`);
  const text = mc.content!.toString('utf8');
  let planned: string;
  try {
    planned = plannedMc(role === 'laptop' ? PER_LAPTOP_DEFINES.reduce((t, [m, v]) => removeDefine(t, m, v), text) : text, role);
  } catch (e) {
    throw new NoPlanError(`${h.name}:${SENDMAIL_MC}: ${(e as Error).message}`);
  }
  const { uses: memo, servers } = await findings(h);
  const key = `${h.name}\0${role}\0${planned}`;
  const hit = memo.get(key);
  if (hit) return hit;
  const stale = sendmailProbe(h).includes('stale-cf');
  // the built sendmail.cf, read with the first round trip (every role that asks gathers it)
  const [cf] = await h.files([SENDMAIL_CF_READ]);
  const built = planned === text && !stale ? judge('sendmail.cf', cf) : undefined;
  let uses: SendmailUses;
  if (built?.options.some((o) => o.name === 'ServerCertFile')) uses = built;
  else {
    // m4 on the sendmail.mc this run will write (on stdin), read only: which files sendmail will use
    const r = await h.read$({ input: planned, nothrow: true })`sh -c ${M4_OPTIONS}`;
    uses = judge('m4', r.stdout, !handTls(planned));
  }
  memo.set(key, uses);
  if (role === 'server') servers.set(h.name, uses);
  return uses;
}

/** The TLS files a laptop's server uses: from the server's part of this run, else its sendmail.cf. */
export async function serverUses(h: HostHandle, server: PeerHandle): Promise<SendmailUses> {
  await server.settled(); // the server's part of this run, when it has one, has found it by then
  const { servers } = await findings(h);
  const known = servers.get(server.name);
  if (known) return known;
  const [cf] = await server.files([SENDMAIL_CF_READ]);
  const uses = judge('sendmail.cf', cf);
  if (!uses.files.serverCert) uses.files = { ...DEBIAN_TLS_FILES, ...uses.files };
  servers.set(server.name, uses);
  return uses;
}

/** The certificate and key sendmail presents as a server; Debian's when sendmail.cf names none. */
export function presented(u: SendmailUses): { cert: string; key: string } {
  return { cert: u.files.serverCert ?? DEBIAN_TLS_FILES.serverCert, key: u.files.serverKey ?? DEBIAN_TLS_FILES.serverKey };
}

/** A PEM file holds this certificate (compared as DER, so line breaks and comments do not matter). */
export function pemHolds(bundle: string, certPem: string): boolean {
  const der = (p: string) => [...p.matchAll(/-----BEGIN CERTIFICATE-----([\s\S]*?)-----END CERTIFICATE-----/g)].map((m) => m[1].replace(/\s+/g, ''));
  const want = der(certPem)[0];
  return !!want && der(bundle).includes(want);
}

/** sendmailUses, or undefined when sendmail.mc has no place for the include (reported by that task). */
export async function usesOrSkip(h: HostHandle, role: 'server' | 'laptop'): Promise<SendmailUses | undefined> {
  try {
    return await sendmailUses(h, role);
  } catch (e) {
    if (e instanceof NoPlanError) return undefined;
    throw e;
  }
}

export interface ServerTlsProblem {
  role: TlsFileRole;
  message: string;
}

/** Pure: can the tool serve this server set-up? `certPem`/`caPem`: the contents of the files the
 *  options name (undefined: missing; null: not read, e.g. Debian's own that update_tls makes). */
export function serverTlsProblems(
  files: TlsFiles,
  mode: 'shared-key' | 'per-laptop',
  read: { certPem?: string | null; keyExists?: boolean | null; caPem?: string | null },
  where: string,
): ServerTlsProblem[] {
  const out: ServerTlsProblem[] = [];
  const say = (role: TlsFileRole, why: string) => out.push({ role, message: `${where}: ${tlsFileLabel(role, files[role])} ${why}` });
  if (!files.serverCert) say('serverCert', 'is not set: sendmail offers no STARTTLS with a certificate; define it in sendmail.mc or let the tool include starttls.m4');
  else if (!plainPath(files.serverCert)) say('serverCert', 'is not a plain file name: the tool cannot tell which certificate sendmail presents');
  else if (read.certPem === undefined) say('serverCert', 'names a file that does not exist');
  if (!files.serverKey) say('serverKey', 'is not set: sendmail cannot use its certificate');
  else if (!plainPath(files.serverKey)) say('serverKey', 'is not a plain file name');
  else if (read.keyExists === false) say('serverKey', 'names a file that does not exist');
  if (out.length || mode !== 'shared-key' || !read.certPem) return out;
  // shared-key: laptops present the server's own certificate, which the server must verify
  let selfSigned = false;
  try {
    const i = certInfo(read.certPem);
    selfSigned = i.subject === i.issuer;
  } catch (e) {
    // Debian's own file: the certificates task (update_tls) reports it in its words
    if (files.serverCert !== DEBIAN_TLS_FILES.serverCert) say('serverCert', `is not a certificate the tool can read: ${(e as Error).message}`);
    return out;
  }
  if (selfSigned && !files.caPath && !(read.caPem && pemHolds(read.caPem, read.certPem))) {
    say('caCert', `${files.caCert ? 'does not hold' : 'is not set, so sendmail does not trust'} the self-signed server certificate ${files.serverCert} and confCACERT_PATH is not set: a laptop presenting it would get verify=FAIL`);
  }
  return out;
}

export const serverTlsFilesServed = task('the certificate and key sendmail uses (sendmail.cf) can be served', async (h) => {
  const uses = await usesOrSkip(h, 'server');
  if (!uses) return;
  const f = uses.files;
  const mode = tlsMode(h.vars, h.name);
  const debianCert = f.serverCert === DEBIAN_TLS_FILES.serverCert;
  const read: { certPem?: string | null; keyExists?: boolean | null; caPem?: string | null } = {};
  if (f.serverCert && plainPath(f.serverCert) && f.serverKey && plainPath(f.serverKey)) {
    const specs = [f.serverCert, { path: f.serverKey, digestOnly: true, secret: true }, ...(f.caCert && plainPath(f.caCert) ? [f.caCert] : [])];
    const [cert, key, ca] = await h.files(specs);
    // Debian's own files are made by update_tls in the next task when missing
    read.certPem = cert.exists ? cert.content!.toString('utf8') : debianCert ? null : undefined;
    read.keyExists = key.exists ? true : f.serverKey === DEBIAN_TLS_FILES.serverKey ? null : false;
    read.caPem = ca?.exists ? ca.content!.toString('utf8') : f.caCert === DEBIAN_TLS_FILES.caCert ? read.certPem : undefined;
  }
  const problems = serverTlsProblems(f, mode, read, `${h.name}:${SENDMAIL_MC}`);
  h.facts({ tlsFiles: f, source: uses.source, listener: uses.reach.use ? describeListener(uses.reach.use) : null });
  if (problems.length) throw new Error(`${problems[0].message}; nothing was changed`);
  if (!debianCert) h.say(`sendmail presents ${f.serverCert} (key ${f.serverKey}), as ${uses.source === 'm4' ? 'm4 on the sendmail.mc this run writes' : 'sendmail.cf'} says`);
});

/** Pure: shared-key mode writes the server's certificate and key where Debian's starttls.m4 has the
 *  laptop's sendmail look for them; a laptop whose sendmail.mc names other files cannot be served. */
export function laptopTlsProblems(files: TlsFiles, where: string): string[] {
  const out: string[] = [];
  for (const role of ['clientCert', 'clientKey'] as const) {
    if (files[role] !== DEBIAN_TLS_FILES[role]) {
      out.push(`${where}: ${tlsFileLabel(role, files[role])} is not ${DEBIAN_TLS_FILES[role]}, where shared-key mode puts the server's ${role === 'clientCert' ? 'certificate' : 'key'}: remove the define (or use tls_mode: per-laptop)`);
    }
  }
  return out;
}

export const laptopTlsFilesServed = task('the certificate and key sendmail uses as a client (sendmail.cf) can be served', async (h) => {
  const server = h.peer(laptopServer(h));
  if (tlsMode(server.vars, server.name) === 'per-laptop') return; // the tool's own defines name them
  const uses = await usesOrSkip(h, 'laptop');
  if (!uses) return;
  h.facts({ tlsFiles: uses.files, source: uses.source });
  const problems = laptopTlsProblems(uses.files, `${h.name}:${SENDMAIL_MC}`);
  if (problems.length) throw new Error(`${problems[0]}; nothing was changed`);
});
