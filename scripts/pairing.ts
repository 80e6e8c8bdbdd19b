// What the entry points hand the roles about pairing: the tls_mode of each server (checked before
// any host is contacted) and, per laptop, its server and the CN its certificate will carry.
import type { Inventory, InventoryHost } from '../lib/inventory.js';
import { laptopCommonName, laptopSubject, requiresVerifiedServer, tlsMode, type LaptopPairing, type TlsMode } from '../roles/pairing.js';
import { GROUPS, serverOfLaptop, serversOf, UsageError } from './cli.js';
import { resolveHostSelection } from '../lib/inventory.js';

/** Every mail server's tls_mode; a bad value is bad input (file and line, exit 1). */
export function serverModes(inv: Inventory): Map<string, TlsMode> {
  const modes = new Map<string, TlsMode>();
  for (const name of serversOf(inv)) {
    const host = inv.hosts.get(name)!;
    try {
      modes.set(name, tlsMode(host.vars, `${inv.file}: host '${name}'`));
    } catch (e) {
      throw new UsageError((e as Error).message);
    }
  }
  laptopTrustVars(inv);
  return modes;
}

/** Every laptop's laptop_requires_verified_server is a boolean; else bad input (file and line, exit 1). */
export function laptopTrustVars(inv: Inventory): void {
  const laptops = inv.groups.has(GROUPS.laptops) ? resolveHostSelection(inv, [], GROUPS.laptops) : [];
  for (const l of laptops) {
    try {
      requiresVerifiedServer(l.vars, `${inv.file}:${l.line}: laptop '${l.name}'`);
    } catch (e) {
      throw new UsageError((e as Error).message);
    }
  }
}

/** The pairing of each laptop (its server and CN), checking the CN can go in a certificate. */
export function pairingsOf(inv: Inventory, laptops: InventoryHost[]): LaptopPairing[] {
  return laptops.map((l) => {
    const cn = laptopCommonName(l.name, l.vars);
    try {
      laptopSubject(cn);
    } catch (e) {
      throw new UsageError(`${l.file}:${l.line}: laptop '${l.name}': ${(e as Error).message}`);
    }
    return { name: l.name, server: serverOfLaptop(inv, l), cn };
  });
}
