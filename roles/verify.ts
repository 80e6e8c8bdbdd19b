// `verify`: proves a laptop's pairing from the laptop itself, without sending mail and without
// changing anything: an SMTP session to its server with STARTTLS and the certificate and key the
// laptop's sendmail presents, EHLO, MAIL FROM, RCPT TO an outside address, then RSET and QUIT.
// The task fails (exit 2) when the server does not accept the recipient (e.g. Relaying denied).
import type { HostHandle, Role } from '../lib/types.js';
import { ACCESS, SENDMAIL_CF, SENDMAIL_MC, SERVER_CERT } from './paths.js';
import { judgeServerTrust, requiresVerifiedServer, REQUIRE_VAR } from './text/trust.js';
import { smartHost } from './text/sendmail-mc.js';
import { laptopServer } from './tasks/server-of.js';
import { certInfo } from './text/dn.js';
import { serverNames } from './tasks/mc-tasks.js';
import { hostFile } from './files.js';
import { cfSmartHost, clientTlsFiles, parseProbe, probeVerdict } from './text/smtp-probe.js';
import { task } from '../lib/role.js';
import { presented, serverUses } from './tasks/tls-files.js';

export const DEFAULT_RCPT = 'someone@example.net';

// the role's face for scripts/verify.ts: --rcpt is checked before any host is contacted
export { checkMailAddress } from './text/smtp-probe.js';
const SMTP_PORT = 25;

/** The name the laptop reaches its server by: the server's `fqdn` var, else its certificate's CN. */
async function serverFqdn(h: HostHandle, server: string): Promise<string> {
  const peer = h.peer(server);
  const v = peer.vars['fqdn'];
  if (typeof v === 'string' && v) return v;
  const [cert] = await peer.files([presented(await serverUses(h, peer)).cert]);
  const cn = cert.exists && cert.content ? /\/CN=([^/]+)/.exec(certInfo(cert.content.toString('utf8')).subject)?.[1] : undefined;
  if (!cn) throw new Error(`cannot tell ${server}'s host name: set its fqdn var in the inventory (it has no ${SERVER_CERT} to read the CN from)`);
  return cn;
}

/** The laptop's own fully qualified name: its fqdn var, else `hostname -f` on the laptop. */
function laptopFqdn(h: HostHandle): string {
  const v = h.vars['fqdn'];
  if (typeof v === 'string' && v) return v;
  const p = h.probe('fqdn');
  const name = p.stdout.trim();
  if (p.code !== 0 || !name) throw new Error(`cannot tell ${h.name}'s host name (hostname -f failed): set its fqdn var in the inventory`);
  return name;
}

/** What the entry point gives the verify role. */
export interface VerifyOptions {
  /** --rcpt: the outside address for RCPT TO */
  rcpt?: string;
}

export const smtpSession = task<VerifyOptions>('SMTP session to the server with STARTTLS and the laptop\'s certificate: RCPT TO an outside address is accepted', async (h) => {
  const server = laptopServer(h);
  const fqdn = await serverFqdn(h, server);
  const [cf] = await h.files([SENDMAIL_CF]);
  if (!cf.exists || !cf.content) throw new Error(`${h.name} has no ${SENDMAIL_CF}: is sendmail installed?`);
  const cfText = cf.content.toString('utf8');
  const files = clientTlsFiles(cfText);
  const ds = cfSmartHost(cfText);
  const names = serverNames(h.peer(server), fqdn);
  if (!ds) h.warn(`${h.name}'s sendmail has no smart host: its mail goes straight to the recipients' servers, not through ${server}`);
  else if (!names.includes(ds.toLowerCase())) h.warn(`${h.name}'s sendmail sends through ${ds}, not its server ${server} (${fqdn})`);

  let clientCert: { subject: string; issuer: string } | undefined;
  if (files.cert && files.key) {
    const [cert, key] = await h.files([files.cert, { path: files.key, digestOnly: true, secret: true }]);
    if (!cert.exists) throw new Error(`${h.name} has no ${files.cert} (its sendmail.cf's ClientCertFile): pair it (npm run pair -- ${h.name})`);
    if (!key.exists) throw new Error(`${h.name} has no ${files.key} (its sendmail.cf's ClientKeyFile): pair it (npm run pair -- ${h.name})`);
    try {
      clientCert = certInfo(cert.content!.toString('utf8'));
    } catch {
      clientCert = undefined; // openssl on the laptop reports a bad certificate itself
    }
  } else {
    h.warn(`${SENDMAIL_CF} on ${h.name} names no client certificate and key (starttls.m4 not included?): its sendmail presents none; pair it (npm run pair -- ${h.name})`);
  }

  const rcpt = h.options.rcpt || DEFAULT_RCPT;
  const me = laptopFqdn(h);
  const args = [fqdn, String(SMTP_PORT), files.cert ?? '', files.key ?? '', files.caFile ?? '', files.caPath ?? '', me, `root@${me}`, rcpt];
  // files/smtp-probe.sh: openssl s_client -starttls smtp to the server with the laptop's certificate,
  // then EHLO, MAIL FROM, RCPT TO, RSET, QUIT, one command at a time; it changes nothing
  const r = await h.read$({ nothrow: true })`bash -c ${hostFile('smtp-probe.sh')} verify ${args}`;
  const code = r.exitCode ?? 255;
  if (code !== 0 && !/^X: /m.test(r.stdout)) throw new Error(`the SMTP session script failed on ${h.name} (exit ${code}): ${r.stderr.trim().split('\n').slice(-3).join('; ')}`);
  await reportServerTrust(h, server);
  const verdict = probeVerdict(parseProbe(r.stdout, r.stderr), { laptop: h.name, server: fqdn, port: SMTP_PORT, rcpt, files, clientCert });
  verdict.messages.forEach((m) => h.say(m));
  if (verdict.error) throw new Error(verdict.error);
});

/** Whether the laptop's sendmail hands mail only to its verified server (its TLS_Srv rule): said
 *  when it does, warned when it does not; in the task's facts as serverTrust. */
async function reportServerTrust(h: HostHandle, server: string): Promise<void> {
  const [access, mc] = await h.files([ACCESS, SENDMAIL_MC]);
  const [scert] = await h.peer(server).files([SERVER_CERT]);
  const t = (f: { exists: boolean; content?: Buffer }) => (f.exists && f.content ? f.content.toString('utf8') : undefined);
  const trust = judgeServerTrust({
    required: requiresVerifiedServer(h.vars, `${h.name}: ${REQUIRE_VAR}`),
    smartHost: t(mc) ? smartHost(t(mc)!) : undefined,
    accessText: t(access),
    serverCertPem: t(scert),
  });
  h.facts({ serverTrust: trust });
  if (trust.state === 'current') h.say(`${h.name} hands mail only to its verified server: ${trust.line!.replace(/\t/, ' ')}`);
  else if (trust.state === 'opted-out') h.warn(`${h.name} does not require a verified server (${REQUIRE_VAR}: false): its sendmail hands mail to whatever answers for ${trust.name ?? 'its smart host'}`);
  else h.warn(`${h.name} does NOT hand mail only to its verified server: ${trust.problem}`);
}

export const verifyRole: Role<VerifyOptions> = {
  name: 'verify',
  gather: () => ({ files: [{ path: SENDMAIL_CF }, { path: ACCESS }, { path: SENDMAIL_MC }], probes: { fqdn: 'hostname -f' } }),
  tasks: [smtpSession],
  handlers: [],
};

export default verifyRole;
