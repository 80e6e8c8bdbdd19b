// npm run pair laptop1 [laptop2 ...] | --all : make sure each laptop's server is deployed, then
// apply the client role (copy the server's certificate and key) to each laptop.
import { applyLimit, limitHosts, COMMON_HELP, GROUPS, loadEnv, loadInventory, main, parseFlags, peerOf, planFor, play, serverOfLaptop, UsageError } from './cli.js';
import { resolveHostSelection } from '../lib/inventory.js';
import { serverRole } from '../roles/server.js';
import { clientRole } from '../roles/client.js';
import { pairingsOf, serverModes } from './pairing.js';

const HELP = `usage: npm run pair -- LAPTOP... | --all [options]
Pairs laptops with their server: deploys the server side (the server role), then gives each laptop
the server's certificate and key and the include in its sendmail.mc (the client role). Run it
again after the server's certificates were regenerated.
With tls_mode: per-laptop in the server's vars, each laptop instead makes its own key, gets a
certificate from the server's laptop CA, and the server gets a CERTSUBJECT line for it (named by
the laptop's fqdn var, else its inventory name).
  --all                      every laptop in the inventory (also implied by --limit alone)
${COMMON_HELP}`;

main(async () => {
  loadEnv();
  const { flags, positionals } = parseFlags(process.argv.slice(2), { all: { type: 'boolean' } });
  if (flags.help) {
    process.stdout.write(HELP + '\n');
    return 0;
  }
  // `npm run pair --all` (without --) hands --all to npm, which passes it on as npm_config_all
  if (process.env.npm_config_all === 'true' && !positionals.length) flags.all = true;
  const inv = loadInventory(flags);
  if (!positionals.length && !flags.all && flags.limit !== undefined) flags.all = true;
  if (!positionals.length && !flags.all) throw new UsageError(`name the laptops to pair, or --all (known ${GROUPS.laptops}: ${(inv.groups.get(GROUPS.laptops)?.hosts ?? []).join(', ') || 'none'})`);
  if (positionals.length && flags.all) throw new UsageError('give laptop names or --all, not both');
  const laptops = applyLimit(inv, flags, resolveHostSelection(inv, flags.all ? [] : positionals, GROUPS.laptops));
  const serverNames = [...new Set(laptops.map((l) => serverOfLaptop(inv, l)))];
  const modes = serverModes(inv);
  // --limit: a server outside it is read (its certificate), not deployed; per-laptop pairing must
  // write the server's access line, so there the server has to be inside the limit
  const limited = limitHosts(inv, flags);
  const inLimit = limited === undefined ? undefined : new Set(limited);
  const outside = serverNames.filter((s) => inLimit && !inLimit.has(s));
  for (const s of outside) {
    if (modes.get(s) === 'per-laptop') {
      throw new UsageError(`--limit '${String(flags.limit)}' leaves out ${s}, the server of ${laptops.filter((l) => serverOfLaptop(inv, l) === s).map((l) => l.name).join(', ')}: in per-laptop mode pairing writes the server's access line, so add ${s} to the limit`);
    }
  }
  const deployed = serverNames.filter((s) => !outside.includes(s));
  const servers = deployed.length ? resolveHostSelection(inv, deployed, GROUPS.servers) : [];
  const pairings = pairingsOf(inv, laptops);
  const peers = new Map(outside.map((s) => [s, peerOf(inv, inv.hosts.get(s)!)] as const));
  const serverOptions = { regenerateCerts: !!flags['regenerate-certs'], pair: pairings };
  const clientOptions = { setSmarthost: !!flags['set-smarthost'] };
  return play({
    command: 'pair',
    flags,
    inventory: inv,
    phases: [servers.map((h) => planFor(inv, h, serverRole, serverOptions)), laptops.map((h) => planFor(inv, h, clientRole, clientOptions))].filter((p) => p.length),
    peers,
  });
});
