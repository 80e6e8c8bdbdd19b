// Which mail server a laptop relays through: its `smarthost` var, else the only mail server.
import type { HostHandle } from '../../lib/types.js';

export function laptopServer(h: Pick<HostHandle, 'name' | 'vars'>): string {
  const explicit = h.vars['smarthost'];
  if (typeof explicit === 'string' && explicit) return explicit;
  const servers = h.vars['__servers'];
  if (Array.isArray(servers) && servers.length === 1) return String(servers[0]);
  throw new Error(
    Array.isArray(servers) && servers.length > 1
      ? `laptop ${h.name} has no smarthost var and the inventory has several mail servers (${servers.join(', ')}): set smarthost`
      : `laptop ${h.name} has no mail server: set its smarthost var or add a host to the mailservers group`,
  );
}
