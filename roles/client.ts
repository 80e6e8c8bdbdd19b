// The laptop's part of the how-to, step by step:
//   1. sendmail is installed; (shared-key) the laptop's sendmail.mc uses Debian's client file names
//   2. copy the certificate and key the server's sendmail presents (its sendmail.cf) (as sendmail-client.crt, sendmail-server.crt and
//      sendmail-common.key; root:smmsp, 0644 / 0640)
//      (per-laptop mode instead: the laptop's own key, made on it, a certificate signed by the
//      server's laptop CA, a copy of the server's certificate, and defines naming them; the
//      server's key must not stay on the laptop; see tasks/per-laptop.ts)
//   3. include(`/etc/mail/tls/starttls.m4') in sendmail.mc
//   4. the laptop's SMART_HOST is its server (a warning, or set with --set-smarthost)
//   5. the laptop hands mail only to its verified server: TLS_Srv:<SMART_HOST> VERIFY+CS:..++CI:..
//      in its access map (tasks/server-trust.ts; laptop_requires_verified_server: false turns it off)
//   6. make -C /etc/mail and reload sendmail, once, when anything changed
import type { HostHandle, Role } from '../lib/types.js';
import { ACCESS, CLIENT_CERT, COMMON_KEY, SENDMAIL_CF_READ, SENDMAIL_MC, SERVER_CERT } from './paths.js';
import { laptopRequiresVerifiedServer } from './tasks/server-trust.js';
import { configurationIsCurrent, sendmailHandlers, sendmailInstalled, sendmailProbes } from './tasks/sendmail.js';
import { copyServerCertificate } from './tasks/certs.js';
import { includeStarttls, smartHostTask, type SmartHostOptions } from './tasks/mc-tasks.js';
import { laptopServer } from './tasks/server-of.js';
import { certInfo } from './text/dn.js';
import { laptopTlsFilesServed, presented, serverUses } from './tasks/tls-files.js';
import { laptopHasServerCertificate, laptopOwnCertificate, laptopUsesOwnCertificate, perLaptopClientProbesFor, serverKeyNotOnLaptop } from './tasks/per-laptop.js';
import { LAPTOP_CLIENT_CERT, LAPTOP_CLIENT_KEY, RELAY_SERVER_CERT } from './pki/laptop-ca.js';

/** The server's host name as its certificate names it (CN), for the SMART_HOST check. */
async function serverFqdn(h: HostHandle): Promise<string | undefined> {
  const server = h.peer(laptopServer(h));
  const [cert] = await server.files([presented(await serverUses(h, server)).cert]);
  if (!cert.exists) return undefined;
  return /\/CN=([^/]+)/.exec(certInfo(cert.content!.toString('utf8')).subject)?.[1];
}

/** What the entry points give the client role: setSmarthost (--set-smarthost). */
export interface ClientOptions extends SmartHostOptions {}

export const clientRole: Role<ClientOptions> = {
  name: 'client',
  gather: (vars, _options, peerVars) => ({
    files: [
      { path: SENDMAIL_MC },
      SENDMAIL_CF_READ,
      { path: ACCESS },
      { path: CLIENT_CERT },
      { path: SERVER_CERT },
      { path: COMMON_KEY, digestOnly: true, secret: true },
      { path: LAPTOP_CLIENT_CERT },
      { path: LAPTOP_CLIENT_KEY, digestOnly: true, secret: true },
      { path: RELAY_SERVER_CERT },
    ],
    probes: { ...sendmailProbes, ...perLaptopClientProbesFor(vars, peerVars) },
  }),
  tasks: [
    sendmailInstalled,
    laptopTlsFilesServed,
    copyServerCertificate,
    serverKeyNotOnLaptop,
    laptopOwnCertificate,
    laptopHasServerCertificate,
    includeStarttls,
    laptopUsesOwnCertificate,
    smartHostTask(laptopServer, serverFqdn),
    laptopRequiresVerifiedServer,
    configurationIsCurrent,
  ],
  handlers: sendmailHandlers(),
};

export default clientRole;
