// npm run deploy -- [--host NAME]... : the server role on hosts in mailservers, the client role on
// hosts in laptops; without --host, every host (servers first, then every laptop is paired).
import { applyLimit, COMMON_HELP, GROUPS, groupOf, loadEnv, loadInventory, main, parseFlags, peerOf, planFor, play, serverOfLaptop } from './cli.js';
import { resolveHostSelection, type InventoryHost } from '../lib/inventory.js';
import { serverRole } from '../roles/server.js';
import { clientRole } from '../roles/client.js';
import { pairingsOf, serverModes } from './pairing.js';

const HELP = `usage: npm run deploy -- [--host NAME]... [options]
Applies the role of each host's group: the server role to hosts in ${GROUPS.servers}, the client
role (copy the server's certificate and key, include starttls.m4) to hosts in ${GROUPS.laptops}.
--host may be given more than once; without it, every host in the inventory. --limit PATTERN
keeps only the hosts that match it (Ansible's host patterns).
  --host NAME                a host of the inventory (repeatable)
${COMMON_HELP}`;

main(async () => {
  loadEnv();
  const { flags } = parseFlags(process.argv.slice(2), { host: { type: 'string', multiple: true } });
  if (flags.help) {
    process.stdout.write(HELP + '\n');
    return 0;
  }
  const inv = loadInventory(flags);
  const named = (flags.host as string[] | undefined) ?? [];
  const hosts: InventoryHost[] = applyLimit(inv, flags, named.length
    ? resolveHostSelection(inv, named)
    : [...resolveHostSelection(inv, [], GROUPS.servers), ...resolveHostSelection(inv, [], GROUPS.laptops)]);
  const servers = hosts.filter((h) => groupOf(inv, h) === 'server');
  const laptops = hosts.filter((h) => groupOf(inv, h) === 'laptop');
  laptops.forEach((l) => serverOfLaptop(inv, l)); // every laptop has a server, before anything is contacted
  serverModes(inv);
  // the server's side of pairing (per-laptop mode: a CERTSUBJECT line per laptop) is written in the
  // server's own run: deploy pairs the laptops it deploys
  const pairings = pairingsOf(inv, laptops);
  const serverOptions = { regenerateCerts: !!flags['regenerate-certs'], pair: pairings };
  const clientOptions = { setSmarthost: !!flags['set-smarthost'] };
  const phases = [servers.map((h) => planFor(inv, h, serverRole, serverOptions)), laptops.map((h) => planFor(inv, h, clientRole, clientOptions))].filter((p) => p.length);
  // a laptop reads its server's certificate: a server outside the selection is read, not changed
  const peers = new Map(
    [...new Set(laptops.map((l) => serverOfLaptop(inv, l)))].filter((s) => !servers.some((h) => h.name === s)).map((s) => [s, peerOf(inv, inv.hosts.get(s)!)] as const),
  );
  return play({ command: 'deploy', flags, inventory: inv, phases, peers });
});
