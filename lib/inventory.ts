// The inventory, as the rest of the code sees it: Ansible's inventory sources (YAML, JSON, INI,
// folders of them, several -i), group_vars/ and host_vars/ beside them, merged vars with Ansible's
// precedence, host patterns for --limit, and the connection settings of a host. The parts live in
// lib/inventory/: yaml.ts and ini.ts parse (pure), data.ts holds what they add, vars.ts merges vars,
// load.ts reads the disk, select.ts matches host patterns, ansible-cfg.ts reads ansible.cfg.
import { InventoryError, SelectionError } from './inventory/errors.js';
import { InventoryData } from './inventory/data.js';
import { parseInventoryText } from './inventory/load.js';
import { resolveInventory, type Inventory, type InventoryHost } from './inventory/vars.js';
import { badVar, ansibleBoolean, portOf } from './inventory/connvars.js';

export { InventoryError, SelectionError } from './inventory/errors.js';
export { editDistance } from './inventory/typo.js';
export type { Inventory, InventoryHost, InventoryGroup } from './inventory/vars.js';
export type { Where } from './inventory/data.js';
export { loadInventorySources, InventoryReadError } from './inventory/load.js';
export { matchHosts, splitHostPattern } from './inventory/select.js';
export { loadAnsibleCfg, parseAnsibleCfg, AnsibleCfgError, type AnsibleCfg } from './inventory/ansible-cfg.js';

export interface ParseInventoryOptions {
  /**
   * Group names the caller gives a meaning to. A group whose name is not one of them (nor `all` /
   * `ungrouped`) but within edit distance 2 of one is reported as a typo. Other groups are allowed.
   */
  knownGroups?: readonly string[];
}

export interface Connection {
  /** ansible_host, else the inventory name. */
  host: string;
  /** ansible_port, else 22. */
  port: number;
  /** ansible_user, else 'root'. */
  user: string;
  /** ansible_ssh_private_key_file (or ansible_private_key_file), as written (not expanded). */
  privateKeyFile?: string;
  /** ansible_become, with Ansible's boolean rules ('yes', 'true', 'True', 1, ...). */
  become: boolean;
  becomeUser?: string;
  /** ansible_become_method, when set (only sudo is supported: see targetOf in scripts/cli.ts). */
  becomeMethod?: string;
  /** ansible_ssh_args, else ansible.cfg [ssh_connection] ssh_args (as Ansible's ssh_args option). */
  sshArgs?: string;
}

/** Defaults from ansible.cfg (and Ansible's environment variables); inventory vars win over them. */
export interface ConnectionDefaults {
  user?: string;
  privateKeyFile?: string;
  become?: boolean;
  becomeUser?: string;
  becomeMethod?: string;
  sshArgs?: string;
}


/**
 * Parse one inventory text (YAML/JSON, or INI when the file name says so or the text is not a YAML
 * mapping; see lib/inventory/load.ts) into hosts and groups with merged vars. No group_vars/ or
 * host_vars/ (those are read by loadInventorySources). Throws InventoryError (file and line).
 */
export function parseInventory(text: string, file: string, options: ParseInventoryOptions = {}): Inventory {
  const data = new InventoryData();
  parseInventoryText(text, file, data, options.knownGroups ?? []);
  data.reconcile();
  return resolveInventory(data, [], [file]);
}

/** How to reach a host, from its merged vars (Ansible's names and defaults). */
export function connectionOf(host: InventoryHost, file?: string, defaults: ConnectionDefaults = {}): Connection {
  const v = host.vars;
  // Ansible reads each setting from a list of var names and the last one set wins (config
  // manager's _loop_entries over the ssh and sudo plugins' `vars:`): so the old ansible_ssh_* names
  // win over the new ones when both are set. Listed here in the order they are tried.
  const used: Record<string, string> = {};
  const pick = (canonical: string, ...keys: string[]): unknown => {
    for (const k of keys) {
      if (v[k] !== undefined && v[k] !== null) {
        used[canonical] = k;
        return v[k];
      }
    }
    return undefined;
  };
  const check = (key: string, value: unknown): void => {
    const problem = value === undefined ? undefined : badVar(used[key] ?? key, value);
    if (problem) {
      const where = host.origins?.[used[key] ?? key] ?? { file: file ?? host.file ?? 'inventory', line: host.line };
      throw new InventoryError(where.file, where.line, `host '${host.name}': ${problem}`);
    }
  };
  const address = pick('ansible_host', 'ansible_ssh_host', 'ansible_host');
  const port = pick('ansible_port', 'ansible_ssh_port', 'ansible_port');
  const user = pick('ansible_user', 'ansible_ssh_user', 'ansible_user');
  const key = pick('ansible_ssh_private_key_file', 'ansible_ssh_private_key_file', 'ansible_private_key_file');
  const become = pick('ansible_become', 'ansible_become');
  const becomeUser = pick('ansible_become_user', 'ansible_sudo_user', 'ansible_become_user');
  const becomeMethod = pick('ansible_become_method', 'ansible_become_method');
  const sshArgs = pick('ansible_ssh_args', 'ansible_ssh_args');
  check('ansible_host', address);
  check('ansible_port', port);
  check('ansible_user', user);
  check('ansible_ssh_private_key_file', key);
  check('ansible_become', become);
  check('ansible_become_user', becomeUser);
  check('ansible_become_method', becomeMethod);
  const conn: Connection = {
    host: (address as string | undefined) ?? host.name,
    port: port === undefined ? 22 : portOf(port)!,
    user: (user as string | undefined) ?? defaults.user ?? 'root',
    become: become === undefined ? (defaults.become ?? false) : (ansibleBoolean(become) ?? false),
  };
  const keyFile = (key as string | undefined) ?? defaults.privateKeyFile;
  if (keyFile !== undefined) conn.privateKeyFile = keyFile;
  const bu = (becomeUser as string | undefined) ?? defaults.becomeUser;
  if (bu !== undefined) conn.becomeUser = bu;
  const bm = (becomeMethod as string | undefined) ?? defaults.becomeMethod;
  if (bm !== undefined) conn.becomeMethod = bm;
  const sa = sshArgs === undefined ? defaults.sshArgs : String(sshArgs);
  if (sa !== undefined) conn.sshArgs = sa;
  return conn;
}

/**
 * The inventory hosts the user named, in the order named (duplicates dropped). With `group`, every
 * name must be a host of that group (directly or through its children). With no names: every host
 * (of the group when given). Throws SelectionError naming the unknown hosts and listing the known
 * ones, e.g. `unknown host 'laptop9' (known laptops: laptop1, laptop2)`.
 */
export function resolveHostSelection(inv: Inventory, names: readonly string[], group?: string): InventoryHost[] {
  let known: string[];
  if (group !== undefined) {
    const g = inv.groups.get(group);
    if (!g) {
      const groupsList = [...inv.groups.keys()].filter((n) => n !== 'all' && n !== 'ungrouped');
      throw new SelectionError(
        `no group '${group}' in ${inv.file} (groups: ${groupsList.join(', ') || 'none'})`,
        [...names], group, []);
    }
    known = g.hosts;
  } else {
    known = [...inv.hosts.keys()];
  }
  const label = group === undefined ? 'hosts' : group;
  const list = known.length > 0 ? known.join(', ') : 'none';
  if (names.length === 0) return known.map((n) => inv.hosts.get(n)!);
  const wanted = [...new Set(names)];
  const missing = wanted.filter((n) => !inv.hosts.has(n));
  if (missing.length > 0) {
    const what = missing.length === 1 ? 'host' : 'hosts';
    throw new SelectionError(
      `unknown ${what} ${missing.map((n) => `'${n}'`).join(', ')} (known ${label}: ${list})`, missing, group, known);
  }
  const outside = wanted.filter((n) => !known.includes(n));
  if (outside.length > 0) {
    const detail = outside.map((n) => {
      const own = inv.hosts.get(n)!.groups.filter((g) => g !== 'all' && g !== 'ungrouped');
      return `'${n}' (in ${own.length > 0 ? own.join(', ') : 'no group'})`;
    });
    throw new SelectionError(
      `${outside.length === 1 ? 'host' : 'hosts'} ${detail.join(', ')} not in group '${group}' (known ${label}: ${list})`,
      outside, group, known);
  }
  return wanted.map((n) => inv.hosts.get(n)!);
}
