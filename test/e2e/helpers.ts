// Shared helpers for the end-to-end tests: the lab API (re-exported) and the prerequisite check.
//
//   import { requireLab, labUp, labReset, sshRun, sendTestMail, hostRoot, labPaths } from './helpers.js';
//   test('...', async (t) => {
//     if (!(await requireLab(t))) return;      // skipped (one line says why), or a failure under CI=true
//     await labUp();                           // idempotent: cheap when the lab already runs
//     ...
//   });
import type { TestContext } from 'node:test';
import { labUnavailable } from '../../lab/lab.js';

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
