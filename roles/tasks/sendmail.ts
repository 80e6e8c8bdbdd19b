// Steps every sendmail host shares: is sendmail there, and the two handlers (rebuild, reload).
import type { Handler, HostHandle, Task } from '../../lib/types.js';
import { CF_OPTIONS_PROBE } from './tls-files.js';
import { CF_ERRORS_MARKER, classifyBuildOutput, parseSafeMakeReport } from '../text/build-output.js';
import { ACCESS, ACCESS_DB, MTA_PID, SENDMAIL_BIN, SENDMAIL_CF, SENDMAIL_MC, SERVER_CERT, UPDATE_TLS } from '../paths.js';

export const REBUILD = 'rebuild the configuration (make -C /etc/mail)';
export const RELOAD = 'reload sendmail';

/** Probes gathered in the first round trip: what is installed, and what is older than its source. */
export const sendmailProbes: Record<string, string> = {
  installed: `test -x ${SENDMAIL_BIN} && echo sendmail; test -x ${UPDATE_TLS} && echo update_tls; command -v make >/dev/null && echo make; command -v m4 >/dev/null && echo m4; true`,
  // a run killed between an edit and the rebuild leaves sendmail.cf or access.db older than its source
  stale: `[ ${SENDMAIL_MC} -nt ${SENDMAIL_CF} ] && echo cf; [ ${ACCESS} -nt ${ACCESS_DB} ] && echo db; ` +
    `[ -f ${MTA_PID} ] && { [ ${SENDMAIL_CF} -nt ${MTA_PID} ] || [ ${SERVER_CERT} -nt ${MTA_PID} ]; } && echo daemon; true`,
  // which certificate/key/CA files and listeners the built sendmail.cf names (tls-files.ts)
  cfOptions: CF_OPTIONS_PROBE,
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

const LAST_GOOD_CF = '/etc/mail/.sendmail.cf.last-good';
const CF_ERRORS = '/etc/mail/sendmail.cf.errors';

/**
 * make -C /etc/mail with a safety net. Debian's Makefile installs sendmail.cf even when m4 fails
 * (m4's messages go to sendmail.cf.errors) and ignores makemap's exit code, so make's exit code says
 * little. A clean build (exit 0, no sendmail.cf.errors, no makemap message) ends here. Otherwise the
 * script keeps the previous sendmail.cf aside, prints `rc=N`, make's output and sendmail.cf.errors,
 * and exits 3: the handler sorts the messages (build-output.ts) and then either puts the previous
 * sendmail.cf back (RESTORE_CF: an error) or drops it (DROP_LAST_GOOD: only warnings).
 */
export const SAFE_MAKE =
  `cp -p ${SENDMAIL_CF} ${LAST_GOOD_CF} 2>/dev/null; rm -f ${CF_ERRORS}\n` +
  `out=$(make -C /etc/mail 2>&1); rc=$?\n` +
  `if [ $rc -eq 0 ] && [ ! -s ${CF_ERRORS} ] && ! printf '%s\\n' "$out" | grep -q 'makemap:'; then rm -f ${LAST_GOOD_CF}; exit 0; fi\n` +
  `printf 'rc=%s\\n%s\\n%s\\n' "$rc" "$out" '${CF_ERRORS_MARKER}'; cat ${CF_ERRORS} 2>/dev/null\n` +
  `exit 3\n`;
export const RESTORE_CF = `if [ -f ${LAST_GOOD_CF} ]; then mv -f ${LAST_GOOD_CF} ${SENDMAIL_CF}; fi`;
export const DROP_LAST_GOOD = `rm -f ${LAST_GOOD_CF}`;

/** The lines of make/m4 output worth showing: sendmail's own error text. */
export function makeErrors(stderr: string): string {
  const lines = stderr.split('\n').map((l) => l.trim()).filter(Boolean);
  const errs = lines.filter((l) => /error|cannot|\*\*\*|m4:|makemap|No such/i.test(l) && !/^Updating|^Disabling|^Reading|^Creating/.test(l));
  return (errs.length ? errs : lines).slice(0, 6).join(' | ');
}

export const rebuild: Handler = {
  name: REBUILD,
  async run(h: HostHandle) {
    const r = await h.run({ script: SAFE_MAKE }, { changes: true, check: false, describe: 'make -C /etc/mail' });
    if (r.code === 0) return;
    const report = r.code === 3 ? parseSafeMakeReport(r.stdout) : { makeExit: r.code, makeOutput: r.stdout + r.stderr, cfErrors: '' };
    const verdict = classifyBuildOutput(report);
    if (verdict.errors.length === 0) {
      // m4's or makemap's warnings only: sendmail.cf is complete; keep it, say what they said
      await h.run({ script: DROP_LAST_GOOD }, { check: false, describe: 'keep the new sendmail.cf' });
      for (const w of verdict.warnings) h.warn(`make -C /etc/mail on ${h.name}: ${w}`);
      return;
    }
    await h.run({ script: RESTORE_CF }, { check: false, describe: 'put the previous sendmail.cf back' });
    const restored = await h.rollback();
    // access.db from the restored access file; sendmail.cf was put back above
    if (restored.includes(ACCESS)) await h.run(['make', '-C', '/etc/mail', ACCESS_DB], { check: false, describe: 'make -C /etc/mail access.db' });
    throw new Error(
      `make -C /etc/mail failed on ${h.name}: ${verdict.errors.slice(0, 6).join(' | ')}; ` +
        (restored.length ? `restored ${restored.join(', ')} from their backups and ` : '') +
        `kept the previous sendmail.cf; sendmail still runs the last good configuration`,
    );
  },
};

export const reload: Handler = {
  name: RELOAD,
  async run(h: HostHandle) {
    // Debian's init script (runs make, then SIGHUP); systemd's unit has no reload action (notes)
    await h.$`/etc/init.d/sendmail reload`;
  },
};
