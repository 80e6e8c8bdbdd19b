// npm run verify -- LAPTOP... | --all [--rcpt ADDRESS] : prove each laptop's pairing from the laptop
// itself, without sending mail and without changing anything on any host.
import { applyLimit, COMMON_HELP, GROUPS, loadEnv, loadInventory, main, parseFlags, peerOf, planFor, play, serverOfLaptop, UsageError } from './cli.js';
import { resolveHostSelection } from '../lib/inventory.js';
import { checkMailAddress, verifyRole, DEFAULT_RCPT } from '../roles/verify.js';
import { laptopTrustVars } from './pairing.js';

const HELP = `usage: npm run verify -- LAPTOP... | --all [--rcpt ADDRESS] [options]
Proves that each laptop relays through its server, from the laptop itself and without sending mail:
on the laptop, an SMTP session to its server (openssl s_client -starttls smtp with the certificate
and key the laptop's sendmail presents, after the server's greeting pause), EHLO, MAIL FROM the
laptop's root, RCPT TO an outside address, then RSET and QUIT. Shows the TLS result and the
server's answer to RCPT; exits 2 when the server refuses to relay. Changes nothing on any host.
Each run is one SMTP connection per laptop (Debian's access map allows 10 a minute per client).
  --all                      every laptop in the inventory
  --rcpt ADDRESS             the outside address for RCPT TO (default ${DEFAULT_RCPT})
${COMMON_HELP}`;

main(async () => {
  loadEnv();
  const { flags, positionals } = parseFlags(process.argv.slice(2), { all: { type: 'boolean' }, rcpt: { type: 'string' } });
  if (flags.help) {
    process.stdout.write(HELP + '\n');
    return 0;
  }
  for (const f of ['regenerate-certs', 'set-smarthost', 'diff'] as const) if (flags[f]) throw new UsageError(`--${f} does not apply to verify, which changes nothing`);
  const rcpt = (flags.rcpt as string | undefined) ?? DEFAULT_RCPT;
  const bad = checkMailAddress(rcpt);
  if (bad) throw new UsageError(`--rcpt: ${bad}`);
  const inv = loadInventory(flags);
  laptopTrustVars(inv);
  if (!positionals.length && !flags.all && flags.limit !== undefined) flags.all = true;
  if (!positionals.length && !flags.all) throw new UsageError(`name the laptops to verify, or --all (known ${GROUPS.laptops}: ${(inv.groups.get(GROUPS.laptops)?.hosts ?? []).join(', ') || 'none'})`);
  if (positionals.length && flags.all) throw new UsageError('give laptop names or --all, not both');
  const laptops = applyLimit(inv, flags, resolveHostSelection(inv, flags.all ? [] : positionals, GROUPS.laptops));
  const serverNames = [...new Set(laptops.map((l) => serverOfLaptop(inv, l)))];
  const servers = resolveHostSelection(inv, serverNames, GROUPS.servers);
  return play({
    command: 'verify',
    flags,
    inventory: inv,
    phases: [laptops.map((h) => planFor(inv, h, verifyRole, { rcpt }))],
    // read only when the server's fqdn var is missing (its certificate's CN names it)
    peers: new Map(servers.map((h) => [h.name, peerOf(inv, h)] as const)),
    messageLines: true,
  });
});
