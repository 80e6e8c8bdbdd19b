// How a role is written, in the manner of webpod's recipes for zx over SSH:
//   export const includeStarttls = task('include starttls.m4 in sendmail.mc', async (h) => {
//     await h.edit(SENDMAIL_MC, ensureStarttlsInclude, { notify: [REBUILD, RELOAD] });
//   });
// A task is a named async function of one host handle (h.$ is zx's $ on that host, h.edit/put/attrs
// the operations); a handler runs once at the end of the host's role when a task notified it.
import type { Handler, HostHandle, Role, Task } from './types.js';

// `O`: the options the task reads (h.options), e.g. task<{ regenerateCerts?: boolean }>(…); a task
// that reads none fits every role.
export function task<O = unknown>(name: string, run: (h: HostHandle<O>) => Promise<void>): Task<O> {
  return { name, run };
}

export function handler<O = unknown>(name: string, run: (h: HostHandle<O>) => Promise<void>): Handler<O> {
  return { name, run };
}

export function role<O = unknown>(name: string, spec: Omit<Role<O>, 'name'>): Role<O> {
  return { name, ...spec };
}
