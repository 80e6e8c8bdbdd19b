// The how-to's "recreating the certificates": run Debian's update_tls when the certificates are
// missing, or `update_tls new` when the admin asks to regenerate them.
import type { HostHandle } from '../../lib/types.js';
import { COMMON_KEY, SENDMAIL_CONF, SERVER_CERT, UPDATE_TLS } from '../paths.js';
import { REBUILD, RELOAD, sendmailProbe } from './sendmail.js';
import { certInfo } from '../text/dn.js';
import { task } from '../../lib/role.js';
import { presented, usesOrSkip } from './tls-files.js';
import { tlsFileLabel } from '../text/sendmail-cf.js';

/** Debian's update_tls does nothing unless HANDS_OFF="No" (the default) in sendmail.conf. */
export function handsOff(sendmailConf: string): boolean {
  // a shell fragment: the last assignment wins
  const all = [...sendmailConf.matchAll(/^\s*HANDS_OFF\s*=\s*"?([^"\s#;]*)"?/gm)];
  return all.length ? all[all.length - 1][1].toLowerCase() !== 'no' : false;
}

/** What to do about the certificates: nothing, create what is missing, or regenerate everything. */
export function updateTlsAction(certExists: boolean, keyExists: boolean, regenerate: boolean): 'none' | 'create' | 'new' {
  if (regenerate) return 'new';
  return certExists && keyExists ? 'none' : 'create';
}

/** The options this file's task reads (the server role's, roles/server.ts ServerOptions). */
export interface CertificateOptions {
  /** --regenerate-certs: run `update_tls new` (every laptop then needs pair again) */
  regenerateCerts?: boolean;
}

export const certificatesExist = task<CertificateOptions>('the certificates exist (update_tls)', async (h) => {
  // a certificate set up by hand (sendmail.cf names another file): update_tls's files are not the
  // ones sendmail presents, so they are neither made nor regenerated; that certificate's end is
  // checked instead
  const uses = await usesOrSkip(h, 'server');
  const own = uses ? presented(uses).cert : SERVER_CERT;
  if (own !== SERVER_CERT) {
    if (h.options.regenerateCerts) {
      throw new Error(`sendmail on ${h.name} presents ${tlsFileLabel('serverCert', own)}, not update_tls's ${SERVER_CERT}: --regenerate-certs would not change it; renew that certificate yourself, then run deploy and pair again`);
    }
    const [c] = await h.files([own]);
    if (c.exists) warnExpiry(h, own, certInfo(c.content!.toString('utf8')).notAfter);
    return;
  }
  const [cert, key, conf] = await h.files([SERVER_CERT, { path: COMMON_KEY, digestOnly: true }, SENDMAIL_CONF]);
  const action = updateTlsAction(cert.exists, key.exists, !!h.options.regenerateCerts);
  if (action !== 'none') {
    if (!sendmailProbe(h).includes('update_tls')) {
      throw new Error(`${SERVER_CERT} is missing and ${UPDATE_TLS} is not installed on ${h.name}`);
    }
    if (conf.exists && handsOff(conf.content!.toString('utf8'))) {
      throw new Error(`update_tls will not run on ${h.name}: HANDS_OFF is set in ${SENDMAIL_CONF} (set HANDS_OFF="No" or create ${SERVER_CERT} yourself)`);
    }
    await h.$`${UPDATE_TLS} ${action === 'new' ? ['new'] : []}`;
    h.notify(REBUILD);
    h.notify(RELOAD);
    // what update_tls left (check mode: it did not run, so the certificate is still to be made)
    const [after] = await h.files([SERVER_CERT]);
    if (!after.exists) return h.missing(`update_tls ran on ${h.name} but ${SERVER_CERT} is still missing`, `make ${SERVER_CERT} (update_tls)`);
    return;
  }
  // the certificate is there: say when it is unreadable or near its end
  warnExpiry(h, SERVER_CERT, certInfo(cert.content!.toString('utf8')).notAfter);
});

function warnExpiry(h: HostHandle, path: string, notAfter: Date): void {
  const days = Math.floor((notAfter.getTime() - Date.now()) / 86400000);
  const fix = path === SERVER_CERT ? 'run again with --regenerate-certs' : 'renew it, then run deploy and pair again';
  if (days < 0) throw new Error(`${path} on ${h.name} expired on ${notAfter.toISOString().slice(0, 10)}: ${fix}`);
  if (days < 30) h.warn(`${path} expires on ${notAfter.toISOString().slice(0, 10)} (in ${days} days): ${fix}`);
}
