// Shared helpers for the end-to-end tests: the lab API (re-exported) and the prerequisite check.
//
//   import { requireLab, labUp, labReset, sshRun, sendTestMail, hostRoot, labPaths } from './helpers.js';
//   test('...', async (t) => {
//     if (!(await requireLab(t))) return;      // skipped (one line says why), or a failure under CI=true
//     await labUp();                           // idempotent: cheap when the lab already runs
//     ...
//   });
import type { TestContext } from 'node:test';
import { labUnavailable, hostExec } from '../../lab/lab.js';

export {
  labUp, labDown, labReset, labStatus, labUnavailable, hostExec, hostInitPid, hostRoot, hostAddress, hostFqdn, labPaths,
  DEFAULT_HOSTS, LAB_DOMAIN,
} from '../../lab/lab.js';
export type { HostStatus, LabStatus } from '../../lab/lab.js';
export { sshRun, sshOptions, sendTestMail, logCursor, mailLogPath, MAIL_LOG } from '../../lab/mail.js';
export type { RunResult, TestMailResult } from '../../lab/mail.js';

let reason: Promise<string | undefined> | undefined;
let said = false;

/** Why the lab cannot run here (cached), or undefined. */
export function labSkipReason(): Promise<string | undefined> {
  reason ??= labUnavailable();
  return reason;
}

/**
 * True when the lab can run. Otherwise prints ONE line saying why and skips the test — except under
 * CI=true, where a missing lab is a failure (throws).
 */
export async function requireLab(t: TestContext): Promise<boolean> {
  const why = await labSkipReason();
  if (!why) return true;
  if (process.env.CI === 'true') throw new Error(`e2e: the lab cannot run under CI=true: ${why}`);
  if (!said) {
    said = true;
    console.error(`e2e: skipping the end-to-end tests: ${why}`);
  }
  t.skip(why);
  return false;
}

/** Poll fn until it returns a truthy value or timeoutMs passes (then returns the last value). */
export async function eventually<T>(fn: () => Promise<T> | T, timeoutMs = 10_000, stepMs = 200): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v || Date.now() > deadline) return v;
    await new Promise((r) => setTimeout(r, stepMs));
  }
}

/**
 * What a host looks like from the inside (without ssh: nsenter), for a failure message when a host
 * stopped answering: its listening sockets, its processes and the end of its log.
 */
export async function hostDiagnostics(name: string): Promise<string> {
  try {
    const r = await hostExec(name, 'echo "--- ss -ltn"; ss -Hltn 2>&1; echo "--- ps"; ps -eo pid,ppid,stat,args 2>&1 | head -40; echo "--- /var/log/mail.log (last 25)"; tail -n 25 /var/log/mail.log 2>&1');
    return `${name} from the inside:\n${r.stdout}${r.stderr}`;
  } catch (e) {
    return `${name}: no diagnostics (${(e as Error).message})`;
  }
}
