// npm run status [-- --host NAME ... | --json] : for the server and each laptop, the mode, the
// certificate it presents (subject, issuer, SHA-256 fingerprint, expiry), whether a laptop's
// certificate is what its server trusts, and whether the access line is there. Read-only: the
// roles only read (and the run is in check mode besides).
import { applyLimit, COMMON_HELP, GROUPS, groupOf, loadEnv, loadInventory, main, parseFlags, peerOf, planFor, play, serverOfLaptop } from './cli.js';
import { resolveHostSelection, type InventoryHost } from '../lib/inventory.js';
import { laptopStatusRole, renderStatus, serverStatusRole, statusExitCode, STATUS_TASK, type HostStatus } from '../roles/status.js';
import { serverModes } from './pairing.js';

const HELP = `usage: npm run status -- [--host NAME]... [--json] [options]
Shows, for each mail server and laptop: the tls_mode, the certificate it presents (subject,
issuer, SHA-256 fingerprint, expiry), whether a laptop's certificate is current (what its server
trusts) and whether its access line is present. Stale, expiring and missing entries stand out.
Shows whether each laptop hands mail only to its verified server (its TLS_Srv rule).
Changes nothing on any host. Exit codes: 0 all current; 5 an unsafe rule is in place (a
CERTISSUER line that lets a CA's other customers relay, a laptop TLS_Srv rule that pins
nothing); 4 a host unreachable; 2 a host could not be read; 6 a laptop is stale (pair it) or
a server has a problem; 7 a certificate expires within 30 days; 1 bad input.
  --host NAME                a host of the inventory (repeatable; default: every host)
${COMMON_HELP}`;

main(async () => {
  loadEnv();
  const { flags: given } = parseFlags(process.argv.slice(2), { host: { type: 'string', multiple: true } });
  if (given.help) {
    process.stdout.write(HELP + '\n');
    return 0;
  }
  const flags: typeof given = { ...given, check: true }; // read-only, whatever the roles do
  const inv = loadInventory(flags);
  serverModes(inv);
  const named = (flags.host as string[] | undefined) ?? [];
  const hosts: InventoryHost[] = applyLimit(inv, flags, named.length
    ? resolveHostSelection(inv, named)
    : [...resolveHostSelection(inv, [], GROUPS.servers), ...resolveHostSelection(inv, [], GROUPS.laptops)]);
  hosts.filter((h) => groupOf(inv, h) === 'laptop').forEach((l) => serverOfLaptop(inv, l));
  const plans = hosts.map((h) => planFor(inv, h, groupOf(inv, h) === 'server' ? serverStatusRole : laptopStatusRole, {}));
  // laptops read their server as a peer, even when it is not listed with --host
  const peers = new Map(
    [...inv.hosts.values()].filter((h) => groupOf(inv, h) === 'server').map((h) => [h.name, peerOf(inv, h)] as const),
  );
  let stale = false;
  let trustCode = 0;
  const code = await play({
    command: 'status',
    flags,
    inventory: inv,
    phases: [plans],
    peers,
    render(result, unreachable, { json, color }) {
      const rows: Array<[string, HostStatus]> = hosts.map((h) => {
        if (unreachable.has(h.name)) return [h.name, { role: 'unreachable', reason: unreachable.get(h.name)! }];
        const r = result.results.find((x) => x.host === h.name && x.task === STATUS_TASK);
        const failed = result.results.find((x) => x.host === h.name && x.status === 'failed');
        if (!r || r.status === 'failed' || !r.facts) return [h.name, { role: 'failed', reason: failed?.error ?? r?.error ?? 'no status' }];
        return [h.name, r.facts.status as HostStatus];
      });
      trustCode = statusExitCode(rows);
      stale = rows.some(([, s]) => (s.role === 'laptop' && !s.current) || (s.role === 'server' && s.problems.length > 0));
      if (json) return JSON.stringify({ command: 'status', hosts: Object.fromEntries(rows) }, null, 2) + '\n';
      return renderStatus(rows, color) + (stale ? 'some entries need attention (marked !)\n' : 'every laptop is current\n');
    },
  });
  // 1 (bad input) and 130 (interrupted) from the run itself win; else the status verdict
  return code === 1 || code === 130 ? code : trustCode || code;
});
