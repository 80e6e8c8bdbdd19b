// Steps every sendmail host shares: is sendmail there, and the two handlers (rebuild, reload).
import type { HostHandle, Probe } from '../../lib/types.js';
import { classifyBuildOutput, parseSafeMakeReport } from '../text/build-output.js';
import { hostFile } from '../files.js';
import { ACCESS, ACCESS_DB, MTA_PID, SENDMAIL_BIN, SENDMAIL_CF, SENDMAIL_MC, SERVER_CERT, UPDATE_TLS } from '../paths.js';
import { task, handler } from '../../lib/role.js';

export const REBUILD = 'rebuild the configuration (make -C /etc/mail)';
export const RELOAD = 'reload sendmail';
/** Only the access map changed: makemap through Debian's Makefile, no sendmail.cf, no reload
 *  (sendmail reopens access.db when it changes). */
export const REBUILD_ACCESS = 'rebuild the access map (make -C /etc/mail access.db)';

/** Probes gathered in the first round trip: what is installed and what is older than its source,
 *  one word a line, from the shell's builtins alone (test, [, command -v, echo), so it runs in the
 *  read's own shell without a subshell (`builtins`: a fork costs as much as a small program on a
 *  host). What the built sendmail.cf says is read from sendmail.cf itself, with the files
 *  (SENDMAIL_CF in each role's gather): one `cat` already runs for them, where a grep of it was one
 *  program more on every host. */
export const sendmailProbes: Record<string, Probe> = {
  sendmail: {
    builtins:
      `test -x ${SENDMAIL_BIN} && echo sendmail; test -x ${UPDATE_TLS} && echo update_tls; command -v make >/dev/null && echo make; command -v m4 >/dev/null && echo m4; ` +
      // a run killed between an edit and the rebuild leaves sendmail.cf or access.db older than its source
      `[ ${SENDMAIL_MC} -nt ${SENDMAIL_CF} ] && echo stale-cf; [ ${ACCESS} -nt ${ACCESS_DB} ] && echo stale-db; ` +
      `[ -f ${MTA_PID} ] && { [ ${SENDMAIL_CF} -nt ${MTA_PID} ] || [ ${SERVER_CERT} -nt ${MTA_PID} ]; } && echo stale-daemon; true`,
  },
};

/** What the sendmail probe found on the host: its words (sendmail, update_tls, make, m4 when
 *  installed; stale-cf, stale-db, stale-daemon when older than their source). */
export const sendmailProbe = (h: Pick<HostHandle, 'probe'>): string[] => h.probe('sendmail').stdout.split('\n').filter(Boolean);

export const sendmailInstalled = task('sendmail is installed', async (h) => {
  const got = sendmailProbe(h);
  const missing = ['sendmail', 'make', 'm4'].filter((x) => !got.includes(x));
  if (missing.length) throw new Error(`${missing.join(', ')} not found on ${h.name}: install sendmail (apt install sendmail sendmail-cf make m4)`);
  const [mc] = await h.files([SENDMAIL_MC]);
  if (!mc.exists) throw new Error(`${SENDMAIL_MC} is missing on ${h.name}`);
});

/** Handlers lost by an earlier run (killed between an edit and the rebuild) are owed now. */
export const configurationIsCurrent = task('sendmail runs the current configuration', async (h) => {
  const got = sendmailProbe(h);
  const stale = (what: 'cf' | 'db' | 'daemon') => got.includes(`stale-${what}`);
  if (stale('cf') || stale('db')) {
    h.say(`${stale('cf') ? 'sendmail.cf' : 'access.db'} is older than its source`);
    h.notify(stale('cf') ? REBUILD : REBUILD_ACCESS);
  }
  if (stale('cf') || stale('daemon')) {
    h.say('the running daemon predates its configuration or certificate');
    h.notify(RELOAD);
  }
});

// files/safe-make.sh: make -C /etc/mail that keeps the previous sendmail.cf aside (see the script)
const safeMake = (h: HostHandle, action: 'build' | 'build-reload' | 'reload' | 'restore' | 'keep', target?: string) =>
  target
    ? h.$({ nothrow: true })`sh -c ${hostFile('safe-make.sh')} safe-make ${action} ${target}`
    : h.$({ nothrow: true })`sh -c ${hostFile('safe-make.sh')} safe-make ${action}`;

/** What a failed command said last: its stderr, then its stdout, the last 12 lines. */
const lastLines = (r: { stdout: string; stderr: string }) => (r.stderr.trim() + '\n' + r.stdout.trim()).trim().split('\n').slice(-12).join('\n');

/** The reload this run owes a host was done with its rebuild, in one round trip (per run, per host). */
const reloadedWithRebuild = (h: HostHandle) => h.memo(`sendmail reloaded with the rebuild\0${h.name}`, () => ({ done: false }));

/** When the reload is owed too, a clean build is followed by the reload in the same round trip
 *  (safe-make build-reload): the reload handler then has nothing left to run. A build with
 *  warnings or errors never reloads there: the handlers below decide, as before. */
export const rebuild = handler(REBUILD, async (h) => {
  const withReload = h.notified(RELOAD);
  if ((await build(h, undefined, withReload)) === 'reloaded') (await reloadedWithRebuild(h)).done = true;
});

export const rebuildAccess = handler(REBUILD_ACCESS, async (h) => {
  if (h.notified(REBUILD)) return h.skip('make -C /etc/mail has rebuilt access.db with the rest');
  await build(h, 'access.db');
});

/** Every handler a sendmail host may need, in the order they run. */
export const sendmailHandlers = () => [rebuild, rebuildAccess, reload];

async function build(h: HostHandle, target?: string, withReload = false): Promise<'built' | 'reloaded'> {
  const r = await safeMake(h, withReload ? 'build-reload' : 'build', target);
  if (r.exitCode === 0) return withReload ? 'reloaded' : 'built';
  if (withReload && r.exitCode === 4) {
    // the build was clean and sendmail.cf is the new one; Debian's reload itself failed
    throw new Error(`make -C /etc/mail on ${h.name} was clean, then /etc/init.d/sendmail reload failed: ${lastLines(r)}`);
  }
  const report = r.exitCode === 3 ? parseSafeMakeReport(r.stdout) : { makeExit: r.exitCode ?? 255, makeOutput: r.stdout + r.stderr, cfErrors: '' };
  const verdict = classifyBuildOutput(report);
  if (verdict.errors.length === 0) {
    // m4's or makemap's warnings only: sendmail.cf is complete; keep it, say what they said
    await safeMake(h, 'keep');
    for (const w of verdict.warnings) h.warn(`make -C /etc/mail${target ? ' ' + target : ''} on ${h.name}: ${w}`);
    return 'built';
  }
  await safeMake(h, 'restore');
  const restored = await h.rollback();
  // access.db from the restored access file; sendmail.cf was put back above
  if (restored.includes(ACCESS)) await h.$({ nothrow: true })`make -C /etc/mail ${ACCESS_DB}`;
  throw new Error(
    `make -C /etc/mail${target ? ' ' + target : ''} failed on ${h.name}: ${verdict.errors.slice(0, 6).join(' | ')}; ` +
      (restored.length ? `restored ${restored.join(', ')} from their backups and ` : '') +
      `kept the previous sendmail.cf; sendmail still runs the last good configuration`,
  );
}

/** Debian's init script (make, then SIGHUP; systemd's unit has no reload action: notes), with its
 *  fixed 2 s wait after the signal ended as soon as the daemon has restarted (safe-make reload). */
export const reload = handler(RELOAD, async (h) => {
  if ((await reloadedWithRebuild(h)).done) return h.say('/etc/init.d/sendmail reload went with the rebuild, in its round trip (safe-make build-reload)');
  const r = await safeMake(h, 'reload');
  if (r.exitCode !== 0) {
    throw new Error(`/etc/init.d/sendmail reload failed on ${h.name} (exit ${r.exitCode}): ${lastLines(r)}`);
  }
});
