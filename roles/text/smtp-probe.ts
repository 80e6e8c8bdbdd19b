// `verify`'s SMTP session from a laptop to its server, in pure parts: which certificate and key the
// laptop's sendmail presents (from its sendmail.cf), and the reading of what files/smtp-probe.sh
// (`openssl s_client -starttls smtp` on the laptop, one SMTP command at a time) printed into a
// verdict. Nothing here touches a host.
import { smartHostName } from './sendmail-mc.js';
import { cfOptions, tlsFiles } from './sendmail-cf.js';

/** The TLS files a laptop's sendmail uses as an SMTP client; no cert/key: it presents none. */
export interface ClientTlsFiles {
  cert?: string;
  key?: string;
  caFile?: string;
  caPath?: string;
}

/**
 * The client certificate, key and CAs the laptop's sendmail presents, read from sendmail.cf's
 * `O ClientCertFile=` / `O ClientKeyFile=` / `O CACertFile=` / `O CACertPath=`: what every define in
 * sendmail.mc ends up as (Debian's starttls.m4 gives sendmail-client.crt and sendmail-common.key,
 * per-laptop mode laptop-client.crt/.key). Without both a cert and a key, sendmail presents no
 * certificate, and neither does verify's session (presenting one would prove what mail never does).
 */
export function clientTlsFiles(cf: string): ClientTlsFiles {
  const f = tlsFiles(cfOptions(cf));
  const ca = { caFile: f.caCert, caPath: f.caPath };
  return f.clientCert && f.clientKey ? { cert: f.clientCert, key: f.clientKey, ...ca } : ca;
}

/** The smart host sendmail.cf sends through (`DS` macro), host name only; undefined when none. */
export function cfSmartHost(cf: string): string | undefined {
  let v: string | undefined;
  for (const line of cf.split('\n')) {
    const m = /^DS(.*)$/.exec(line.replace(/\r$/, ''));
    if (m) v = m[1].trim();
  }
  return v ? smartHostName(v) : undefined;
}

/** An address for MAIL FROM / RCPT TO: local@domain, nothing that could break the SMTP line. */
export function checkMailAddress(a: string): string | undefined {
  if (!/^[A-Za-z0-9!#$%&'*+/=?^_`{|}~.-]+@[A-Za-z0-9.-]+$/.test(a)) return `not a mail address (local@domain): ${JSON.stringify(a)}`;
  return undefined;
}


export interface ProbeResult {
  /** the server's name resolved on the laptop */
  address?: string;
  /** why the session could not start: no openssl, the name does not resolve */
  notStarted?: 'no-openssl' | 'unresolvable';
  tls: {
    established: boolean;
    protocol?: string;
    cipher?: string;
    peer?: string;
    /** s_client's check of the server's certificate: 'OK' or the error */
    verification?: string;
    verifiedPeername?: string;
    /** the server sent a CertificateRequest */
    certRequested: boolean;
    /** the laptop sent a certificate and proved it holds the key (CertificateVerify) */
    certSent: boolean;
  };
  /** the server's final reply line to each command sent */
  replies: Array<{ command: string; code?: number; text?: string }>;
  transcript: string[];
  sClientExit?: number;
  /** s_client's error lines (e.g. a refused connection), for messages */
  errors: string[];
}

function pushOnce(a: string[], s: string): void {
  if (!a.includes(s)) a.push(s);
}

/** Read PROBE_SCRIPT's output. */
export function parseProbe(stdout: string, stderr: string): ProbeResult {
  const r: ProbeResult = { tls: { established: false, certRequested: false, certSent: false }, replies: [], transcript: [], errors: [] };
  let cur: { command: string; code?: number; text?: string } | undefined;
  for (const line of stdout.split('\n')) {
    const m = /^([RCSX]): (.*)$/.exec(line);
    if (!m) continue;
    const [, kind, text] = m;
    if (kind === 'R') r.address = text;
    else if (kind === 'C') {
      cur = { command: text };
      r.replies.push(cur);
      r.transcript.push(`> ${text}`);
    } else if (kind === 'S') {
      r.transcript.push(`< ${text}`);
      const c = /^(\d{3})[ -]?(.*)$/.exec(text);
      if (cur && c && !text.startsWith(`${c[1]}-`)) {
        cur.code = Number(c[1]);
        cur.text = text;
      }
    } else if (kind === 'X') {
      if (text === 'no-openssl' || text === 'unresolvable') r.notStarted = text;
      const e = /^s_client-exit (\d+)$/.exec(text);
      if (e) r.sClientExit = Number(e[1]);
    }
  }
  for (const raw of stderr.split('\n')) {
    const line = raw.replace(/\r$/, '');
    let m: RegExpExecArray | null;
    if (line === 'CONNECTION ESTABLISHED') r.tls.established = true;
    else if ((m = /^Protocol version: (.*)$/.exec(line))) r.tls.protocol = m[1];
    else if ((m = /^Ciphersuite: (.*)$/.exec(line))) r.tls.cipher = m[1];
    else if ((m = /^Peer certificate: (.*)$/.exec(line))) r.tls.peer = m[1];
    else if ((m = /^Verification: (.*)$/.exec(line))) r.tls.verification = m[1];
    else if ((m = /^Verification error: (.*)$/.exec(line))) r.tls.verification = m[1];
    else if ((m = /^Verified peername: (.*)$/.exec(line))) r.tls.verifiedPeername = m[1];
    else if (/read server certificate request/.test(line)) r.tls.certRequested = true;
    else if (/write certificate verify/.test(line)) r.tls.certSent = true;
    else if ((m = /^[0-9A-F]+:error:[0-9A-F]+:[^:]*:([^:]*):([^:]*)/.exec(line))) pushOnce(r.errors, `${m[1]}: ${m[2]}`);
    else if (/^connect:errno=[1-9]|^Didn't find STARTTLS|^Could not|^unable to|^Error /i.test(line)) pushOnce(r.errors, line);
  }
  return r;
}

export interface ProbeVerdict {
  /** RCPT TO the outside address was accepted (2xx) */
  relays: boolean;
  messages: string[];
  /** set when the pairing is not proven: one line naming the problem */
  error?: string;
}

/** What the session proves, in the admin's words. */
export function probeVerdict(
  p: ProbeResult,
  ctx: { laptop: string; server: string; port: number; rcpt: string; files: ClientTlsFiles; clientCert?: { subject: string; issuer: string } },
): ProbeVerdict {
  const where = `${ctx.server}:${ctx.port}`;
  if (p.notStarted === 'no-openssl') return { relays: false, messages: [], error: `openssl is not installed on ${ctx.laptop} (apt-get install openssl): it runs the SMTP session` };
  if (p.notStarted === 'unresolvable') return { relays: false, messages: [], error: `${ctx.laptop} cannot resolve ${ctx.server}: add it to the laptop's /etc/hosts or DNS` };
  const messages: string[] = [];
  const tls = p.tls;
  if (p.errors.some((e) => e.startsWith("Didn't find STARTTLS"))) {
    return { relays: false, messages, error: `${where} does not offer STARTTLS to ${ctx.laptop}: is the server deployed (npm run deploy)?` };
  }
  if (!tls.established) {
    const why = p.errors.slice(-3).join('; ') || (p.sClientExit !== undefined ? `openssl s_client exited ${p.sClientExit}` : 'no TLS session');
    return { relays: false, messages, error: `no STARTTLS session from ${ctx.laptop} to ${where}${p.address ? ` (${p.address})` : ''}: ${why}` };
  }
  messages.push(
    `STARTTLS with ${where}${p.address ? ` (${p.address})` : ''}: ${tls.protocol ?? '?'} ${tls.cipher ?? ''}`.trimEnd() +
      `; the server's certificate (${tls.peer ?? '?'}): ${tls.verification === 'OK' ? `verification OK${tls.verifiedPeername ? `, name ${tls.verifiedPeername}` : ''}` : `verification error: ${tls.verification ?? 'unknown'}`}` +
      ` (laptop's CAs: ${[ctx.files.caFile, ctx.files.caPath].filter(Boolean).join(', ') || 'none'})`,
  );
  const cert = ctx.clientCert ? ` (subject ${ctx.clientCert.subject}, issuer ${ctx.clientCert.issuer})` : '';
  if (!tls.certRequested) messages.push(`the server did not ask for a client certificate, so it cannot relay by certificate (a V in its confTLS_SRV_OPTIONS?)`);
  else if (!ctx.files.cert) messages.push(`the server asked for a client certificate; the laptop's sendmail presents none (its sendmail.cf has no ClientCertFile/ClientKeyFile: starttls.m4 not included?), so neither did this session`);
  else if (tls.certSent) messages.push(`the server asked for a client certificate; the laptop presented ${ctx.files.cert}${cert} with key ${ctx.files.key}`);
  else messages.push(`the server asked for a client certificate but the laptop sent none`);
  const mail = p.replies.find((x) => x.command.startsWith('MAIL FROM:'));
  const rcpt = p.replies.find((x) => x.command.startsWith('RCPT TO:'));
  if (!rcpt || rcpt.code === undefined) {
    const last = p.transcript.filter((l) => l.startsWith('< ')).pop();
    const why = mail?.code !== undefined && (mail.code < 200 || mail.code > 299) ? `MAIL FROM was refused: ${mail.text}` : last ? `last reply: ${last.slice(2)}` : p.errors.slice(-2).join('; ') || 'no reply';
    return { relays: false, messages, error: `the session with ${where} ended before RCPT TO: ${why}` };
  }
  messages.push(`RCPT TO:<${ctx.rcpt}>: ${rcpt.text}`);
  if (rcpt.code >= 200 && rcpt.code <= 299) {
    messages.push(
      `${ctx.server} relays for ${ctx.laptop}; the server's own verify= of the laptop's certificate is in the server's log, not visible from the laptop (its certificate rule relays only with verify=OK)`,
    );
    return { relays: true, messages };
  }
  return { relays: false, messages, error: `${ctx.server} refuses to relay for ${ctx.laptop}: ${rcpt.text}` };
}
