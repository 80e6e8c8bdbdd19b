// `npm run lab -- up [HOST...] | down | status | reset [HOST...]`: the lab of real Debian mail hosts.
// The implementation lives in lab/ (dev tooling beside the product) so the e2e tests use the same code.
import { labDown, labIsolate, labIsolated, labReset, labStatus, labUnavailable, labUnisolate, labUp } from '../lab/lab.js';
import { labPaths } from '../lab/config.js';

const USAGE = `usage: npm run lab -- up [HOST...]     start the lab (default: mailserver laptop1 laptop2); adds missing hosts
       npm run lab -- down              stop it and remove every namespace, mount, link and process it made
       npm run lab -- status            list the lab's hosts
       npm run lab -- reset [HOST...]   bring hosts (default: all) back to the starting state
hosts: mailserver, laptop1 .. laptop230; LAB_NET=a.b.c picks the /24 (default 198.18.N, N = LAB_INSTANCE, default 0)
releases: LAB_SUITE=bookworm|trixie for every host (default bookworm), LAB_SUITE_<host>=… for one (a mixed lab)`;

async function main(argv: string[]): Promise<number> {
  const [cmd, ...hosts] = argv;
  if (!cmd || cmd === '-h' || cmd === '--help' || cmd === 'help') {
    console.log(USAGE + '\n' + isolateUsage());
    return cmd ? 0 : 2;
  }
  if (!['up', 'down', 'status', 'reset', 'isolate', 'unisolate'].includes(cmd)) {
    console.error(`lab: unknown command "${cmd}"\n${USAGE}\n${isolateUsage()}`);
    return 2;
  }
  if (cmd !== 'status') {
    const why = await labUnavailable();
    if (why) {
      console.error(`lab: cannot run here: ${why}`);
      return 1;
    }
  }
  switch (cmd) {
    case 'up': {
      const t0 = Date.now();
      const all = await labUp(hosts);
      const isolate = (process.env.LAB_ISOLATE ?? '').split(/[,\s]+/).filter(Boolean);
      if (isolate.length) await labIsolate(isolate);
      console.log(`lab up (${((Date.now() - t0) / 1000).toFixed(1)} s): ${all.join(' ')}`);
      console.log(`inventory: ${labPaths.inventory}\nssh: ssh -i ${labPaths.key} -o UserKnownHostsFile=${labPaths.knownHosts} -o StrictHostKeyChecking=yes root@<address>`);
      return 0;
    }
    case 'isolate':
      await labIsolate(hosts);
      console.log(`lab: ${labIsolated().join(' ')} reachable only through the lab's hosts (jumphost)`);
      return 0;
    case 'unisolate':
      await labUnisolate();
      console.log('lab: every host reachable again');
      return 0;
    case 'down':
      await labDown();
      console.log('lab down');
      return 0;
    case 'reset': {
      const done = await labReset(hosts);
      console.log(`lab reset: ${done.join(' ')}`);
      return 0;
    }
    case 'status': {
      const s = await labStatus();
      if (!s.hosts.length && !s.bridge) {
        console.log('lab: not running');
        return 0;
      }
      console.log(`lab on ${s.net ?? '?'}.0/24, bridge ${s.bridge ? 'up' : 'missing'}`);
      for (const h of s.hosts) console.log(`  ${h.name.padEnd(11)} ${h.address.padEnd(15)} ${h.suite.padEnd(9)} ${h.running ? 'running' : 'NOT running'}${h.pid ? ` pid ${h.pid}` : ''}`);
      if (s.leftovers.length) console.log(`  leftovers: ${s.leftovers.join(' ')} (npm run lab -- down, or up, cleans them)`);
      const isolated = labIsolated();
      if (isolated.length) console.log(`  isolated (the machine reaches them only through jumphost): ${isolated.join(' ')}`);
      return s.leftovers.length ? 1 : 0;
    }
  }
  return 2;
}

try {
  process.exitCode = await main(process.argv.slice(2));
} catch (e) {
  console.error(e instanceof Error ? e.message : String(e));
  process.exitCode = 1;
}

/** The jump host's lines of the usage (a function: hoisted above the top-level await). */
function isolateUsage(): string {
  return `       npm run lab -- isolate HOST...   the machine can no longer reach these hosts (only through jumphost)
       npm run lab -- unisolate         reach every host again (down does it too)
hosts also: jumphost (sshd, not in the inventory); LAB_ISOLATE=laptop1,laptop2 at up isolates those laptops`;
}
