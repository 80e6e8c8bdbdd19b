// npm run unpair laptop1 [laptop2 ...] : shut laptops out.
// - per-laptop mode: the server's CERTSUBJECT line for each goes (access.db rebuilt; no reload),
//   then, on each laptop that can be reached, its certificate and the defines naming it. An
//   unreachable laptop is not an error: the server already refuses it.
// - shared-key mode: every laptop holds the server's key, so one cannot be shut out alone. unpair
//   says so and, with --regenerate-and-repair, regenerates the server's certificate and key and
//   pairs the server's OTHER laptops again.
import { COMMON_HELP, GROUPS, loadEnv, loadInventory, main, parseFlags, planFor, play, serverOfLaptop, UsageError } from './cli.js';
import { resolveHostSelection, type InventoryHost } from '../lib/inventory.js';
import { serverRole } from '../roles/server.js';
import { clientRole } from '../roles/client.js';
import { laptopUnpairRole, serverUnpairRole } from '../roles/unpair.js';
import { pairingsOf, serverModes } from './pairing.js';
import type { AnyHostPlan } from '../lib/play.js';

const HELP = `usage: npm run unpair -- LAPTOP... [--regenerate-and-repair] [options]
Shuts laptops out of relaying through their server.
With tls_mode: per-laptop (the server's var): removes the laptop's CERTSUBJECT line from the
server's access map (effective at once, no reload), then its certificate from the laptop when it
can be reached (an unreachable laptop is not an error). The other laptops keep relaying.
With tls_mode: shared-key (the default), every laptop holds the server's own key: shutting one out
means regenerating the server's key (update_tls new) and pairing every other laptop again, which
--regenerate-and-repair does.
Remove an unpaired laptop from the inventory too: a deploy of every host pairs every laptop listed.
  --regenerate-and-repair    shared-key mode: regenerate the server's certificate and key, re-pair the others
${COMMON_HELP}`;

main(async () => {
  loadEnv();
  const { flags, positionals } = parseFlags(process.argv.slice(2), { 'regenerate-and-repair': { type: 'boolean' } });
  if (flags.help) {
    process.stdout.write(HELP + '\n');
    return 0;
  }
  // unpairing one laptop can mean re-pairing every other: the hosts follow from the names, not a pattern
  if (flags.limit !== undefined) throw new UsageError('--limit does not apply to unpair: name the laptops to unpair (--list-hosts shows every host it would touch)');
  const inv = loadInventory(flags);
  if (!positionals.length) throw new UsageError(`name the laptops to unpair (known ${GROUPS.laptops}: ${(inv.groups.get(GROUPS.laptops)?.hosts ?? []).join(', ') || 'none'})`);
  const modes = serverModes(inv);
  const laptops = resolveHostSelection(inv, positionals, GROUPS.laptops);
  const pairings = pairingsOf(inv, laptops);
  const perLaptop = pairings.filter((p) => modes.get(p.server) === 'per-laptop');
  const shared = pairings.filter((p) => modes.get(p.server) !== 'per-laptop');
  const sharedServers = [...new Set(shared.map((p) => p.server))];
  const allLaptops = resolveHostSelection(inv, [], GROUPS.laptops);
  const gone = new Set(pairings.map((p) => p.name));
  const repair: InventoryHost[] = allLaptops.filter((l) => !gone.has(l.name) && sharedServers.includes(serverOfLaptop(inv, l)));
  if (shared.length && !flags['regenerate-and-repair']) {
    throw new UsageError(
      `${shared.map((p) => p.name).join(', ')} relay${shared.length === 1 ? 's' : ''} through ${sharedServers.join(', ')} in shared-key mode, where every laptop holds the server's own key: ` +
        `to shut ${shared.length === 1 ? 'it' : 'them'} out, the server's key must be regenerated and every other laptop paired again ` +
        `(${repair.map((l) => l.name).join(', ') || 'none'}): run again with --regenerate-and-repair to do that, or set tls_mode: per-laptop on the server and pair the laptops; nothing was changed`,
    );
  }
  const perLaptopServers = [...new Set(perLaptop.map((p) => p.server))];
  const servers = resolveHostSelection(inv, [...perLaptopServers, ...sharedServers], GROUPS.servers);
  // shared-key servers: their key is regenerated (the server role with update_tls new) and their
  // other laptops paired again; per-laptop servers: their lines for the laptops go
  const phase1: AnyHostPlan[] = servers.map((h) =>
    sharedServers.includes(h.name)
      ? planFor(inv, h, serverRole, { regenerateCerts: true, unpair: perLaptop })
      : planFor(inv, h, serverUnpairRole, { unpair: perLaptop }),
  );
  const phase2: AnyHostPlan[] = [
    ...laptops.filter((l) => perLaptop.some((p) => p.name === l.name)).map((h) => planFor(inv, h, laptopUnpairRole, {})),
    ...repair.map((h) => planFor(inv, h, clientRole, { setSmarthost: !!flags['set-smarthost'] })),
  ];
  return play({
    command: 'unpair',
    flags,
    inventory: inv,
    phases: [phase1, phase2].filter((p) => p.length),
    unreachableOk: perLaptop.map((p) => p.name),
    onResult(result, unreachable) {
      if (flags.json) return;
      const notes: string[] = [];
      for (const p of perLaptop) {
        const st = result.stats.get(p.server);
        if (!st || st.failed || st.unreachable) {
          notes.push(`${p.name}: NOT unpaired: ${p.server} could not be changed`);
          continue;
        }
        notes.push(`${p.name}: ${p.server} no longer lets it relay`);
        if (unreachable.has(p.name)) notes.push(`${p.name} was unreachable: its certificate stays on it, but ${p.server} no longer accepts it (not an error)`);
      }
      for (const p of shared) notes.push(`${p.name}: ${p.server}'s key was regenerated; the copy on ${p.name} no longer works`);
      if (pairings.length) notes.push(`remove ${pairings.map((p) => p.name).join(', ')} from the inventory: a deploy of every host pairs every laptop it lists`);
      process.stdout.write(notes.map((n) => `note: ${n}`).join('\n') + '\n');
    },
  });
});
