// The mail server's part of the how-to, step by step (corrected for Debian 12: see README).
//   1. sendmail is installed; the certificate and key sendmail uses (sendmail.cf, or m4 on the
//      sendmail.mc this run writes) can be served, else a refusal before any change;
//      the certificates exist (update_tls, or update_tls new on request);
//      shared-key mode only with the server's own self-signed certificate (tasks/server-trust.ts)
//   2. include(`/etc/mail/tls/starttls.m4') in sendmail.mc
//   3. the server asks for client certificates (no V in confTLS_SRV_OPTIONS)
//   4. FEATURE(`access_db') is on
//   5. CERTISSUER:<issuer of the server's certificate> RELAY in /etc/mail/access
//      (per-laptop mode instead: the laptop CA, the confCACERT bundle, CERTISSUER:<CA> SUBJECT and
//      CERTSUBJECT:<laptop> RELAY per paired laptop; see tasks/per-laptop.ts)
//   6. laptops can reach it (a warning when it listens on 127.0.0.1 only)
//   7. make -C /etc/mail and reload sendmail, once, when anything changed (the access map alone:
//      make -C /etc/mail access.db and no reload: sendmail reopens access.db)
import type { Role } from '../lib/types.js';
import { ACCESS, COMMON_KEY, SENDMAIL_CF_READ, SENDMAIL_CONF, SENDMAIL_MC, SERVER_CERT } from './paths.js';
import { configurationIsCurrent, sendmailHandlers, sendmailInstalled, sendmailProbes } from './tasks/sendmail.js';
import { certificatesExist, type CertificateOptions } from './tasks/update-tls.js';
import { accessDbFeature, askForClientCertificates, includeStarttls, warnLoopbackOnly } from './tasks/mc-tasks.js';
import { accessLetsIssuerRelay } from './tasks/access.js';
import { serverTlsFilesServed } from './tasks/tls-files.js';
import { accessForLaptops, laptopCaExists, serverTrustsLaptopCa, type PairingOptions } from './tasks/per-laptop.js';
import { LAPTOP_CA_CERT, LAPTOP_CA_KEY, RELAY_CA_BUNDLE } from './pki/laptop-ca.js';
import { sharedKeyNeedsSelfSignedCert } from './tasks/server-trust.js';

/** What the entry points give the server role: regenerateCerts (--regenerate-certs), and the
 *  laptops whose per-laptop access lines this run writes (pair) or removes (unpair). */
export interface ServerOptions extends CertificateOptions, PairingOptions {}

export const serverRole: Role<ServerOptions> = {
  name: 'server',
  gather: () => ({
    files: [
      { path: SENDMAIL_MC },
      SENDMAIL_CF_READ,
      { path: ACCESS },
      { path: SENDMAIL_CONF },
      { path: SERVER_CERT },
      { path: COMMON_KEY, digestOnly: true, secret: true },
      { path: LAPTOP_CA_CERT },
      { path: LAPTOP_CA_KEY, digestOnly: true, secret: true },
      { path: RELAY_CA_BUNDLE },
    ],
    probes: sendmailProbes,
  }),
  tasks: [
    sendmailInstalled,
    serverTlsFilesServed,
    certificatesExist,
    sharedKeyNeedsSelfSignedCert,
    includeStarttls,
    askForClientCertificates,
    accessDbFeature,
    accessLetsIssuerRelay,
    laptopCaExists,
    serverTrustsLaptopCa,
    accessForLaptops,
    warnLoopbackOnly,
    configurationIsCurrent,
  ],
  handlers: sendmailHandlers(),
};

export default serverRole;
