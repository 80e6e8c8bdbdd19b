// npm run inventory -- [-i PATH]... --list | --host NAME | --graph [GROUP]
// Shows the inventory as this tool (and Ansible) reads it, in ansible-inventory's formats: --list is
// the JSON of `ansible-inventory --list` (groups with their hosts and children, _meta.hostvars with
// each host's merged vars), --host the merged vars of one host, --graph the tree of groups and
// hosts. Contacts no host. The tests compare the output with ansible-inventory's own.
// Kept apart from cli.ts, which loads the SSH stack: this command contacts no host, so it starts
// without node-ssh/ssh2 (about half its run time).
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import {
  loadInventorySources, InventoryReadError, matchHosts, loadAnsibleCfg, AnsibleCfgError, InventoryError, SelectionError, type Inventory,
} from '../lib/inventory.js';
import { defaultSources } from '../lib/inventory/load.js';
import { listJson, graphText, pythonJson, hostVarsOf } from '../lib/inventory/show.js';
import { mark } from '../lib/timings.js';

class UsageError extends Error {}

const HELP = `usage: npm run inventory -- [-i PATH]... (--list | --host NAME | --graph [GROUP])
Prints the inventory as Ansible reads it (YAML, JSON or INI files, folders of them, group_vars/ and
host_vars/ beside them), in the formats of ansible-inventory:
  --list                     every group (hosts, children) and _meta.hostvars (merged vars), as JSON
  --host NAME                the merged vars of one host, as JSON
  --graph [GROUP]            the tree of groups and hosts from GROUP (default all)
  --vars                     with --graph: each host's merged vars and each group's own vars
  -i, --inventory PATH       inventory file or folder, repeatable (default: $INVENTORY, else
                             ansible.cfg's inventory, else inventory/hosts.yml)
  -h, --help                 this text
Exit codes: 0 ok, 1 bad input.`;

async function run(): Promise<number> {
  mark('modules loaded, main starts');
  // INVENTORY may come from a .env in the current folder, as for the other commands
  if (existsSync(resolve('.env'))) (createRequire(import.meta.url)('dotenv') as typeof import('dotenv')).config({ quiet: true } as never);
  let values: Record<string, unknown>;
  let positionals: string[];
  try {
    ({ values, positionals } = parseArgs({
      args: process.argv.slice(2),
      allowPositionals: true,
      strict: true,
      options: {
        inventory: { type: 'string', short: 'i', multiple: true },
        list: { type: 'boolean' },
        host: { type: 'string' },
        graph: { type: 'boolean' },
        vars: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
    }));
  } catch (e) {
    throw new UsageError((e as Error).message.split('\n')[0]);
  }
  const flags = values;
  if (flags.help) {
    process.stdout.write(HELP + '\n');
    return 0;
  }
  const actions = ['list', 'host', 'graph'].filter((a) => flags[a] !== undefined && flags[a] !== false);
  if (actions.length !== 1) throw new UsageError(actions.length ? 'give only one of --list, --host NAME, --graph' : 'give one of --list, --host NAME, --graph (see --help)');
  if (positionals.length > (flags.graph ? 1 : 0)) throw new UsageError(`unexpected argument '${positionals[flags.graph ? 1 : 0]}'`);
  const cfg = loadAnsibleCfg();
  const sources = defaultSources(flags.inventory as string[] | undefined, process.env.INVENTORY, cfg.inventory);
  const inv: Inventory = loadInventorySources(sources, { ignoreExtensions: cfg.inventoryIgnoreExtensions, ignorePatterns: cfg.inventoryIgnorePatterns });
  let out: string;
  if (flags.list) out = pythonJson(listJson(inv));
  else if (flags.graph) out = graphText(inv, positionals[0], !!flags.vars);
  else {
    const matched = matchHosts(inv, flags.host as string);
    if (matched.length !== 1) throw new UsageError(`--host '${String(flags.host)}' must name one host of the inventory (it matches ${matched.length})`);
    out = pythonJson(hostVarsOf(inv, matched[0]!));
  }
  process.stdout.write(out + '\n');
  return 0;
}

run().then(
  (code) => process.exit(code),
  (e: Error) => {
    process.stderr.write(`error: ${e.message}\n`);
    const bad = [UsageError, InventoryError, SelectionError, InventoryReadError, AnsibleCfgError].some((c) => e instanceof c);
    if (!bad && process.env.DEBUG) process.stderr.write(String(e.stack) + '\n');
    process.exit(bad ? 1 : 2);
  },
);
