// Vars of hosts, merged as Ansible merges them (lib/ansible/vars/manager.py get_vars with the
// default VARIABLE_PRECEDENCE, hash_behaviour = replace, so each layer replaces whole top-level
// vars), lowest first:
//   1. `all`'s vars from the inventory sources
//   2. the host's other groups' vars from the inventory sources, groups sorted by
//      (depth, ansible_group_priority, name): parents before children
//   3. group_vars/all files beside each inventory source (sources in order)
//   4. group_vars/GROUP files beside each source, groups sorted as in 2
//   5. the host's own vars from the inventory sources
//   6. host_vars/HOST files beside each source
// A vars file is group_vars/NAME, NAME.yml, NAME.yaml or NAME.json (the first that exists), or a
// folder NAME/ of such files (sorted, recursively; hidden files and backups~ skipped).
// Pure: the loader (load.ts) reads the files and passes their text here.
import { isMap, isScalar, isAlias, type Pair, type YAMLMap, type Node, type Document } from 'yaml';
import { InventoryError } from './errors.js';
import type { InventoryData, Where } from './data.js';
import { badVar } from './connvars.js';
import { readYaml, describeNode } from './yaml.js';

export interface InventoryHost {
  name: string;
  /** Every group the host belongs to, ancestors included, `all` first, in vars-precedence order. */
  groups: string[];
  /** Vars merged with Ansible's precedence (see above). */
  vars: Record<string, unknown>;
  /** Where each merged var was set (the layer that won). */
  origins: Record<string, Where>;
  /** File and line of the host's first definition. */
  file: string;
  line: number;
}

export interface InventoryGroup {
  name: string;
  /** Hosts directly in the group and in its descendants, deduplicated (Ansible's get_hosts order). */
  hosts: string[];
  /** Hosts directly in the group, in the order added. */
  directHosts: string[];
  /** Direct child groups. */
  children: string[];
  /** The group's own vars from the inventory sources (its definitions merged). */
  vars: Record<string, unknown>;
  /** ansible_group_priority (1 unless set in an inventory source). */
  priority: number;
  depth: number;
  /** File and line of the group's first definition; undefined for the implicit `all`/`ungrouped`. */
  file?: string;
  line?: number;
}

export interface Inventory {
  /** The first inventory source (for messages); `sources` has them all. */
  file: string;
  sources: string[];
  hosts: Map<string, InventoryHost>;
  groups: Map<string, InventoryGroup>;
  /** Per group, its vars from group_vars/ files beside the sources (merged in source order). */
  groupFileVars: Map<string, Record<string, unknown>>;
}

/** One vars file: its vars and the line of each. */
export interface VarsFile {
  file: string;
  vars: Record<string, unknown>;
  lines: Record<string, number>;
}

/** The group_vars/ and host_vars/ files beside one inventory source, per name, in Ansible's order. */
export interface AdjacentVars {
  groups: Map<string, VarsFile[]>;
  hosts: Map<string, VarsFile[]>;
}

/** Parse a group_vars/host_vars file (YAML or JSON). Empty → no vars. Throws InventoryError. */
export function parseVarsFile(text: string, file: string): VarsFile {
  if (text.startsWith('$ANSIBLE_VAULT;')) {
    throw new InventoryError(file, 1, 'an Ansible Vault file: vault-encrypted vars are not read; keep secrets in the environment or .env');
  }
  const { doc, lineOf } = readYaml(text, file);
  const root = isAlias(doc.contents) ? doc.contents.resolve(doc as Document) : doc.contents;
  if (root == null || (isScalar(root) && root.value == null)) return { file, vars: {}, lines: {} };
  if (!isMap(root)) throw new InventoryError(file, lineOf(root), `a vars file must be a mapping of var names to values, not ${describeNode(root)}`);
  const lines: Record<string, number> = {};
  const seen = new Set<string>();
  for (const pair of (root as YAMLMap).items as Pair[]) {
    const key = isAlias(pair.key) ? pair.key.resolve(doc as Document) : pair.key;
    if (isScalar(key) && typeof key.value === 'symbol') continue; // merge key `<<`
    if (!isScalar(key) || key.value == null || typeof key.value === 'object') {
      throw new InventoryError(file, lineOf(key), `var name must be a plain string, not ${describeNode(key)}`);
    }
    const name = String(key.value);
    const line = lineOf(key);
    if (seen.has(name)) throw new InventoryError(file, line, `var '${name}' is defined twice`);
    seen.add(name);
    lines[name] = line;
  }
  const vars = ((root as Node).toJS(doc as Document) ?? {}) as Record<string, unknown>;
  for (const [k, v] of Object.entries(vars)) {
    const problem = badVar(k, v);
    if (problem) throw new InventoryError(file, lines[k] ?? lineOf(root), problem);
  }
  return { file, vars, lines };
}

const byPrecedence = (a: InventoryGroup, b: InventoryGroup): number =>
  a.depth - b.depth || a.priority - b.priority || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0);

/** The reconciled data and the vars files → hosts with merged vars, groups with their hosts. */
export function resolveInventory(data: InventoryData, adjacent: AdjacentVars[], sources: string[]): Inventory {
  const depthMemo = new Map<string, number>();
  const inv: Inventory = { file: sources[0] ?? 'inventory', sources, hosts: new Map(), groups: new Map(), groupFileVars: new Map() };
  for (const name of data.groups.keys()) {
    const merged: Record<string, unknown> = {};
    for (const a of adjacent) for (const f of a.groups.get(name) ?? []) Object.assign(merged, f.vars);
    if (Object.keys(merged).length) inv.groupFileVars.set(name, merged);
  }
  for (const g of data.groups.values()) {
    const out: InventoryGroup = {
      name: g.name,
      hosts: data.hostsOf(g.name),
      directHosts: [...g.hosts],
      children: [...g.children],
      vars: { ...g.vars },
      priority: g.priority,
      depth: data.depthOf(g.name, depthMemo),
    };
    if (g.where) {
      out.file = g.where.file;
      out.line = g.where.line;
    }
    inv.groups.set(g.name, out);
  }
  for (const h of data.hosts.values()) {
    const groups = [...data.groupsOf(h.name)].concat('all').filter((n, i, a) => a.indexOf(n) === i).map((n) => inv.groups.get(n)!).sort(byPrecedence);
    const vars: Record<string, unknown> = {};
    const origins: Record<string, Where> = {};
    const layer = (values: Record<string, unknown>, where: (k: string) => Where): void => {
      for (const [k, v] of Object.entries(values)) {
        vars[k] = v;
        origins[k] = where(k);
      }
    };
    const fileLayer = (f: VarsFile): void => layer(f.vars, (k) => ({ file: f.file, line: f.lines[k] ?? 1 }));
    const groupData = (name: string) => data.groups.get(name)!;
    layer(groupData('all').vars, (k) => groupData('all').origins[k]!);
    for (const g of groups) if (g.name !== 'all') layer(groupData(g.name).vars, (k) => groupData(g.name).origins[k]!);
    for (const a of adjacent) for (const f of a.groups.get('all') ?? []) fileLayer(f);
    for (const a of adjacent) for (const g of groups) if (g.name !== 'all') for (const f of a.groups.get(g.name) ?? []) fileLayer(f);
    layer(h.vars, (k) => h.origins[k]!);
    for (const a of adjacent) for (const f of a.hosts.get(h.name) ?? []) fileLayer(f);
    inv.hosts.set(h.name, { name: h.name, groups: groups.map((g) => g.name), vars, origins, file: h.where.file, line: h.where.line });
  }
  return inv;
}
