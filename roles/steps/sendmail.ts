// Steps every sendmail host shares: is sendmail there, and the two handlers (rebuild, reload).
import type { Handler, HostHandle, Task } from '../../lib/types.js';
import { ACCESS, ACCESS_DB, MTA_PID, SENDMAIL_BIN, SENDMAIL_CF, SENDMAIL_MC, SERVER_CERT, UPDATE_TLS } from './paths.js';

export const REBUILD = 'rebuild the configuration (make -C /etc/mail)';
export const RELOAD = 'reload sendmail';

/** Probes gathered in the first round trip: what is installed, and what is older than its source. */
export const sendmailProbes: Record<string, string> = {
  installed: `test -x ${SENDMAIL_BIN} && echo sendmail; test -x ${UPDATE_TLS} && echo update_tls; command -v make >/dev/null && echo make; command -v m4 >/dev/null && echo m4; true`,
  // a run killed between an edit and the rebuild leaves sendmail.cf or access.db older than its source
  stale: `[ ${SENDMAIL_MC} -nt ${SENDMAIL_CF} ] && echo cf; [ ${ACCESS} -nt ${ACCESS_DB} ] && echo db; ` +
    `[ -f ${MTA_PID} ] && { [ ${SENDMAIL_CF} -nt ${MTA_PID} ] || [ ${SERVER_CERT} -nt ${MTA_PID} ]; } && echo daemon; true`,
};

export const sendmailInstalled: Task = {
  name: 'sendmail is installed',
  async run(h) {
    const got = h.probe('installed').stdout.split('\n');
    const missing = ['sendmail', 'make', 'm4'].filter((x) => !got.includes(x));
    if (missing.length) throw new Error(`${missing.join(', ')} not found on ${h.name}: install sendmail (apt install sendmail sendmail-cf make m4)`);
    const [mc] = await h.files([SENDMAIL_MC]);
    if (!mc.exists) throw new Error(`${SENDMAIL_MC} is missing on ${h.name}`);
  },
};

/** Handlers lost by an earlier run (killed between an edit and the rebuild) are owed now. */
export const configurationIsCurrent: Task = {
  name: 'sendmail runs the current configuration',
  async run(h) {
    const stale = h.probe('stale').stdout.split('\n').filter(Boolean);
    if (stale.includes('cf') || stale.includes('db')) {
      h.say(`${stale.includes('cf') ? 'sendmail.cf' : 'access.db'} is older than its source`);
      h.notify(REBUILD);
    }
    if (stale.includes('cf') || stale.includes('daemon')) {
      h.say('the running daemon predates its configuration or certificate');
      h.notify(RELOAD);
    }
  },
};

export const rebuild: Handler = {
  name: REBUILD,
  async run(h: HostHandle) {
    await h.run(['make', '-C', '/etc/mail'], { changes: true });
  },
};

export const reload: Handler = {
  name: RELOAD,
  async run(h: HostHandle) {
    await h.run(['/etc/init.d/sendmail', 'reload'], { changes: true });
  },
};
