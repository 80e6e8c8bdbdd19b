// The how-to's "recreating the certificates": run Debian's update_tls when the certificates are
// missing, or `update_tls new` when the admin asks to regenerate them.

import { COMMON_KEY, SENDMAIL_CONF, SERVER_CERT, UPDATE_TLS } from '../paths.js';
import { REBUILD, RELOAD } from './sendmail.js';
import { certInfo } from '../text/dn.js';
import { task } from '../../lib/role.js';

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

export const certificatesExist = task('the certificates exist (update_tls)', async (h) => {
  const [cert, key, conf] = await h.files([SERVER_CERT, { path: COMMON_KEY, digestOnly: true }, SENDMAIL_CONF]);
  const action = updateTlsAction(cert.exists, key.exists, !!h.options.regenerateCerts);
  if (action !== 'none') {
    if (!h.probe('installed').stdout.split('\n').includes('update_tls')) {
      throw new Error(`${SERVER_CERT} is missing and ${UPDATE_TLS} is not installed on ${h.name}`);
    }
    if (conf.exists && handsOff(conf.content!.toString('utf8'))) {
      throw new Error(`update_tls will not run on ${h.name}: HANDS_OFF is set in ${SENDMAIL_CONF} (set HANDS_OFF="No" or create ${SERVER_CERT} yourself)`);
    }
    await h.$`${UPDATE_TLS} ${action === 'new' ? ['new'] : []}`;
    if (!h.checkMode) {
      const [after] = await h.files([SERVER_CERT]);
      if (!after.exists) throw new Error(`update_tls ran on ${h.name} but ${SERVER_CERT} is still missing`);
    }
    h.notify(REBUILD);
    h.notify(RELOAD);
    return;
  }
  // the certificate is there: say when it is unreadable or near its end
  const info = certInfo(cert.content!.toString('utf8'));
  const days = Math.floor((info.notAfter.getTime() - Date.now()) / 86400000);
  if (days < 0) throw new Error(`${SERVER_CERT} on ${h.name} expired on ${info.notAfter.toISOString().slice(0, 10)}: run again with --regenerate-certs`);
  if (days < 30) h.warn(`${SERVER_CERT} expires on ${info.notAfter.toISOString().slice(0, 10)} (in ${days} days): run again with --regenerate-certs`);
});
