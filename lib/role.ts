// How a role is written, in the manner of webpod's recipes for zx over SSH:
//   export const includeStarttls = task('include starttls.m4 in sendmail.mc', async (h) => {
//     await h.edit(SENDMAIL_MC, ensureStarttlsInclude, { notify: [REBUILD, RELOAD] });
//   });
// A task is a named async function of one host handle (h.$ is zx's $ on that host, h.edit/put/attrs
// the operations); a handler runs once at the end of the host's role when a task notified it.
import type { Handler, HostHandle, Role, Task } from './types.js';

export function task(name: string, run: (h: HostHandle) => Promise<void>): Task {
  return { name, run };
}

export function handler(name: string, run: (h: HostHandle) => Promise<void>): Handler {
  return { name, run };
}

export function role(name: string, spec: Omit<Role, 'name'>): Role {
  return { name, ...spec };
}
