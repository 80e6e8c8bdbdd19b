// What the entry points hand the roles about pairing: the tls_mode of each server (checked before
// any host is contacted) and, per laptop, its server and the CN its certificate will carry.
import type { Inventory, InventoryHost } from '../lib/inventory.js';
import { laptopCommonName, tlsMode, type LaptopPairing, type TlsMode } from '../roles/steps/tls-mode.js';
import { laptopSubject } from '../roles/steps/laptop-ca.js';
import { serverOfLaptop, serversOf, UsageError } from './cli.js';

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
  return modes;
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
