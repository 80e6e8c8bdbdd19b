// Which mail server a laptop relays through: the entry point decided it (scripts/cli.ts
// serverOfLaptop: the laptop's smarthost var, else the only mail server) and hands it on as the
// laptop's smarthost var.
import type { HostHandle } from '../../lib/types.js';

export function laptopServer(h: Pick<HostHandle, 'name' | 'vars'>): string {
  const s = h.vars['smarthost'];
  if (typeof s === 'string' && s) return s;
  throw new Error(`laptop ${h.name} has no mail server: set its smarthost var or add a host to the mailservers group`);
}
