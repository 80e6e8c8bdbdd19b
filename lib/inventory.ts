// Ansible's YAML inventory format → hosts, groups and their merged vars.
//
// Pure: the caller reads the file and passes its text and name; nothing here touches the disk or
// the network, and nothing here knows what the hosts are for (the groups the caller cares about are
// passed in as `knownGroups`, only to catch typos of them).
//
// Semantics follow Ansible's `yaml` inventory plugin and its InventoryData/Group/Host classes:
// - top-level keys are groups; `all` is the root, any group without a parent becomes a child of
//   `all`, and a host that belongs to no group but `all` is also in `ungrouped`;
// - a group is a mapping with `hosts`, `vars` and `children` (each may be empty/null), and may be
//   defined in several places (its definitions merge);
// - a host may appear in several groups; its vars from every occurrence merge, later ones win;
// - vars precedence: groups sorted by (depth, ansible_group_priority, name), `all` first, each
//   overriding the previous (shallow, Ansible's default `hash_behaviour = replace`), then host vars;
// - host ranges such as `web[01:03].example.com` or `db-[a:c]` expand as in Ansible;
// - YAML 1.1 is read as PyYAML reads it, so `yes`/`no`/`on`/`off` are booleans (but `y`/`n` are not).
import {
  parseDocument, LineCounter, Scalar, isMap, isSeq, isScalar, isAlias,
  type Document, type Node, type Pair, type ScalarTag, type Tags,
} from 'yaml';

/** A problem with the inventory file. `message` is one line: `file:line: detail`. */
export class InventoryError extends Error {
  override name = 'InventoryError';
  readonly file: string;
  readonly line: number;
  /** The message without the `file:line: ` prefix. */
  readonly detail: string;
  constructor(file: string, line: number, detail: string) {
    super(`${file}:${line}: ${detail}`);
    this.file = file;
    this.line = line;
    this.detail = detail;
  }
}

/** A host or group selection that does not fit the inventory (see resolveHostSelection). */
export class SelectionError extends Error {
  override name = 'SelectionError';
  /** The requested names that were not acceptable. */
  readonly names: string[];
  readonly group: string | undefined;
  /** The hosts that would have been acceptable (of `group` when given). */
  readonly known: string[];
  constructor(message: string, names: string[], group: string | undefined, known: string[]) {
    super(message);
    this.names = names;
    this.group = group;
    this.known = known;
  }
}

export interface InventoryHost {
  name: string;
  /** Every group the host belongs to, ancestors included, `all` first, in vars-precedence order. */
  groups: string[];
  /** Vars merged with Ansible's precedence (all < parent groups < child groups < host). */
  vars: Record<string, unknown>;
  /** Line of the host's first definition. */
  line: number;
}

export interface InventoryGroup {
  name: string;
  /** Hosts directly in the group and in its descendants, deduplicated, in definition order. */
  hosts: string[];
  /** Direct child groups. */
  children: string[];
  /** The group's own vars (its definitions merged). */
  vars: Record<string, unknown>;
  /** Line of the group's first definition; undefined for the implicit `all`/`ungrouped`. */
  line?: number;
}

export interface Inventory {
  file: string;
  hosts: Map<string, InventoryHost>;
  groups: Map<string, InventoryGroup>;
}

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
}

// ---------------------------------------------------------------------------------------------

interface GroupDef {
  name: string;
  line: number | undefined;
  directHosts: string[];
  children: string[];
  parents: string[];
  vars: Record<string, unknown>;
}

interface HostDef {
  name: string;
  line: number;
  vars: Record<string, unknown>;
  directGroups: string[];
}

const GROUP_KEYS = ['hosts', 'vars', 'children'];
const STRING_VARS = [
  'ansible_host', 'ansible_ssh_host', 'ansible_user', 'ansible_ssh_user',
  'ansible_ssh_private_key_file', 'ansible_private_key_file', 'ansible_become_user',
];
const PORT_VARS = ['ansible_port', 'ansible_ssh_port'];
// PyYAML's YAML 1.1 booleans (the yaml package's 1.1 schema also reads y/Y/n/N as booleans, which
// PyYAML, and so Ansible, does not).
const PYYAML_TRUE = /^(?:yes|Yes|YES|true|True|TRUE|on|On|ON)$/;
const PYYAML_FALSE = /^(?:no|No|NO|false|False|FALSE|off|Off|OFF)$/;
const pyyamlBooleans = (tags: Tags): Tags => {
  const out: Tags = [];
  for (const t of tags) {
    const tag = t as ScalarTag;
    if (tag.tag === 'tag:yaml.org,2002:bool' && tag.test) {
      const value = tag.test.test('true');
      out.push({ ...tag, test: value ? PYYAML_TRUE : PYYAML_FALSE, resolve: () => new Scalar(value) } as ScalarTag);
    } else {
      out.push(t);
    }
  }
  return out;
};
const TRUE_WORDS = ['y', 'yes', 'on', '1', 'true', 't', '1.0'];
const FALSE_WORDS = ['n', 'no', 'off', '0', 'false', 'f', '0.0', ''];

function describe(node: unknown): string {
  if (node == null) return 'nothing';
  if (isMap(node)) return 'a mapping';
  if (isSeq(node)) return 'a list';
  if (isScalar(node)) return node.value == null ? 'nothing' : `the ${typeof node.value} ${JSON.stringify(node.value)}`;
  return 'something else';
}

/** Ansible's boolean(): undefined when the value is not a recognisable boolean. */
function ansibleBoolean(value: unknown): boolean | undefined {
  if (typeof value === 'boolean') return value;
  if (value == null) return false;
  if (typeof value === 'number') return value === 1 ? true : value === 0 ? false : undefined;
  if (typeof value === 'string') {
    const v = value.trim().toLowerCase();
    if (TRUE_WORDS.includes(v)) return true;
    if (FALSE_WORDS.includes(v)) return false;
  }
  return undefined;
}

function portOf(value: unknown): number | undefined {
  let n: number | undefined;
  if (typeof value === 'number') n = value;
  else if (typeof value === 'string' && /^\s*\d+\s*$/.test(value)) n = Number(value);
  return n !== undefined && Number.isInteger(n) && n >= 1 && n <= 65535 ? n : undefined;
}

/** Why a connection var's value is unusable, or undefined when it is fine. */
function badVar(key: string, value: unknown): string | undefined {
  if (PORT_VARS.includes(key)) {
    if (portOf(value) === undefined) return `${key} must be an integer from 1 to 65535, not ${JSON.stringify(value)}`;
  } else if (STRING_VARS.includes(key)) {
    if (typeof value !== 'string' || value.trim() === '') return `${key} must be a non-empty string, not ${JSON.stringify(value)}`;
    // eslint-disable-next-line no-control-regex
    if ((key.endsWith('host') || key.endsWith('user')) && /[\x00-\x1f\x7f]/.test(value)) {
      return `${key} must not contain control characters (newline, tab, ...): ${JSON.stringify(value)}`;
    }
  } else if (key === 'ansible_become') {
    if (ansibleBoolean(value) === undefined) return `ansible_become must be a boolean (true/false, yes/no), not ${JSON.stringify(value)}`;
  }
  return undefined;
}

/** Optimal string alignment distance (Levenshtein plus adjacent transpositions). */
export function editDistance(a: string, b: string): number {
  const d: number[][] = Array.from({ length: a.length + 1 }, (_, i) => [i, ...Array(b.length).fill(0)]);
  for (let j = 0; j <= b.length; j++) d[0]![j] = j;
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let v = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) v = Math.min(v, d[i - 2]![j - 2]! + 1);
      d[i]![j] = v;
    }
  }
  return d[a.length]![b.length]!;
}

/**
 * Expand Ansible host ranges: `web[01:03]` → web01, web02, web03; `db-[a:c]` → db-a, db-b, db-c;
 * `[start:end:step]`. Several ranges in one name expand as a product. Returns undefined with no
 * range; throws a string describing the problem for a bad one.
 */
function expandHostRange(name: string): string[] | undefined {
  const m = /^(.*?)\[([^\]:]*):([^\]:]*)(?::([^\]:]*))?\](.*)$/.exec(name);
  if (!m) return undefined;
  const [, head, beg0, end, stepText, tail] = m as unknown as [string, string, string, string, string | undefined, string];
  const beg = beg0 === '' ? '0' : beg0;
  const step = stepText === undefined || stepText === '' ? 1 : Number(stepText);
  if (!Number.isInteger(step) || step < 1) throw `bad step '${stepText}' in host range '${name}'`;
  const items: string[] = [];
  if (/^\d+$/.test(beg) && /^\d+$/.test(end)) {
    const width = beg.length > 1 && beg.startsWith('0') ? beg.length : 0;
    const [b, e] = [Number(beg), Number(end)];
    if (b > e) throw `host range '${name}' starts after it ends`;
    for (let i = b; i <= e; i += step) items.push(String(i).padStart(width, '0'));
  } else if (/^[a-zA-Z]$/.test(beg) && /^[a-zA-Z]$/.test(end)) {
    const [b, e] = [beg.charCodeAt(0), end.charCodeAt(0)];
    if (b > e) throw `host range '${name}' starts after it ends`;
    for (let i = b; i <= e; i += step) items.push(String.fromCharCode(i));
  } else {
    throw `bad host range '${name}' (expected [01:10] or [a:f])`;
  }
  const tails = expandHostRange(tail) ?? [tail];
  return items.flatMap((item) => tails.map((t) => head + item + t));
}

/** Parse an Ansible YAML inventory. Throws InventoryError (with file and line) on any problem. */
export function parseInventory(text: string, file: string, options: ParseInventoryOptions = {}): Inventory {
  const knownGroups = options.knownGroups ?? [];
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, {
    lineCounter, uniqueKeys: false, version: '1.1', prettyErrors: true, customTags: pyyamlBooleans,
  });
  const fail = (line: number, detail: string): never => {
    throw new InventoryError(file, line, detail);
  };
  const lineOf = (node: unknown, fallback = 1): number => {
    const range = (node as Node | null | undefined)?.range;
    return range ? lineCounter.linePos(range[0]).line : fallback;
  };

  if (doc.errors.length > 0) {
    const e = doc.errors[0]!;
    const line = e.linePos?.[0]?.line ?? lineCounter.linePos(e.pos[0]).line;
    const detail = e.message.split('\n')[0]!.replace(/ at line \d+, column \d+:?$/, '');
    fail(line, `not valid YAML: ${detail}`);
  }

  const groups = new Map<string, GroupDef>();
  const hosts = new Map<string, HostDef>();

  const resolve = (node: unknown): unknown => (isAlias(node) ? node.resolve(doc as Document) : node);
  const isNull = (node: unknown): boolean => node == null || (isScalar(node) && node.value == null);
  const keyName = (pair: Pair, what: string, parentLine: number): string => {
    const key = resolve(pair.key);
    if (!isScalar(key) || key.value == null || typeof key.value === 'symbol' || typeof key.value === 'object') {
      fail(lineOf(key, parentLine), `${what} name must be a plain string, not ${describe(key)}`);
    }
    return String((key as { value: unknown }).value);
  };

  const ensureGroup = (name: string, line: number | undefined): GroupDef => {
    let g = groups.get(name);
    if (!g) {
      g = { name, line, directHosts: [], children: [], parents: [], vars: {} };
      groups.set(name, g);
    } else if (g.line === undefined) {
      g.line = line;
    }
    return g;
  };

  const checkGroupName = (name: string, line: number): void => {
    if (name === 'all' || name === 'ungrouped' || knownGroups.includes(name)) return;
    let best: string | undefined;
    let bestDistance = Infinity;
    for (const known of knownGroups) {
      const dist = editDistance(name.toLowerCase(), known.toLowerCase());
      if (dist < bestDistance) [best, bestDistance] = [known, dist];
    }
    if (best !== undefined && bestDistance <= 2) fail(line, `unknown group '${name}' (did you mean '${best}'?)`);
  };

  const readVars = (node: unknown, where: string, line: number): Record<string, unknown> => {
    node = resolve(node);
    if (isNull(node)) return {};
    if (!isMap(node)) fail(lineOf(node, line), `vars of ${where} must be a mapping, not ${describe(node)}`);
    const map = node as import('yaml').YAMLMap;
    const seen = new Set<string>();
    for (const pair of map.items) {
      const rawKey = resolve(pair.key);
      if (isScalar(rawKey) && typeof rawKey.value === 'symbol') continue; // merge key `<<`
      const key = keyName(pair, 'var', line);
      const keyLine = lineOf(rawKey, line);
      if (seen.has(key)) fail(keyLine, `var '${key}' is defined twice in ${where}`);
      seen.add(key);
      const valueNode = resolve(pair.value);
      const value = isNull(valueNode) ? null : (valueNode as Node).toJS(doc as Document);
      const problem = badVar(key, value);
      if (problem) fail(lineOf(valueNode, keyLine), `${where}: ${problem}`);
    }
    const vars = map.toJS(doc as Document) as Record<string, unknown>;
    for (const [key, value] of Object.entries(vars)) {
      const problem = badVar(key, value); // values brought in by a YAML merge key
      if (problem) fail(lineOf(map, line), `${where}: ${problem}`);
    }
    return vars;
  };

  const addHost = (name: string, line: number, group: GroupDef, vars: Record<string, unknown>): void => {
    let h = hosts.get(name);
    if (!h) {
      h = { name, line, vars: {}, directGroups: [] };
      hosts.set(name, h);
    }
    Object.assign(h.vars, vars);
    if (!h.directGroups.includes(group.name)) h.directGroups.push(group.name);
    if (!group.directHosts.includes(name)) group.directHosts.push(name);
  };

  const readHosts = (node: unknown, group: GroupDef, line: number): void => {
    node = resolve(node);
    if (isNull(node)) return;
    if (!isMap(node)) {
      fail(lineOf(node, line), `hosts of group '${group.name}' must be a mapping of host names (each followed by ':'), not ${describe(node)}`);
    }
    const seen = new Set<string>();
    for (const pair of (node as import('yaml').YAMLMap).items) {
      const name = keyName(pair, 'host', line);
      const hostLine = lineOf(resolve(pair.key), line);
      if (seen.has(name)) fail(hostLine, `host '${name}' is defined twice in group '${group.name}'`);
      seen.add(name);
      if (/\s/.test(name) || name === '') fail(hostLine, `host name '${name}' must not be empty or contain spaces`);
      let names: string[];
      try {
        names = expandHostRange(name) ?? [name];
      } catch (problem) {
        return fail(hostLine, String(problem));
      }
      const vars = readVars(pair.value, `host '${name}'`, hostLine);
      for (const n of names) addHost(n, hostLine, group, vars);
    }
  };

  const readGroup = (name: string, node: unknown, line: number, parent: GroupDef | undefined): void => {
    checkGroupName(name, line);
    const group = ensureGroup(name, line);
    if (parent) {
      if (name === 'all') fail(line, `group 'all' cannot be a child of '${parent.name}'`);
      if (!parent.children.includes(name)) parent.children.push(name);
      if (!group.parents.includes(parent.name)) group.parents.push(parent.name);
    }
    node = resolve(node);
    if (isNull(node)) return;
    if (!isMap(node)) {
      fail(lineOf(node, line), `group '${name}' must be a mapping with 'hosts', 'vars' or 'children', not ${describe(node)}`);
    }
    const seen = new Set<string>();
    for (const pair of (node as import('yaml').YAMLMap).items) {
      const key = keyName(pair, 'key', line);
      const keyLine = lineOf(resolve(pair.key), line);
      if (!GROUP_KEYS.includes(key)) {
        fail(keyLine, `unexpected key '${key}' in group '${name}' (a group has only 'hosts', 'vars' and 'children')`);
      }
      if (seen.has(key)) fail(keyLine, `'${key}' appears twice in group '${name}'`);
      seen.add(key);
      if (key === 'hosts') readHosts(pair.value, group, keyLine);
      else if (key === 'vars') Object.assign(group.vars, readVars(pair.value, `group '${name}'`, keyLine));
      else {
        const children = resolve(pair.value);
        if (isNull(children)) continue;
        if (!isMap(children)) {
          fail(lineOf(children, keyLine), `children of group '${name}' must be a mapping of group names, not ${describe(children)}`);
        }
        const seenChildren = new Set<string>();
        for (const childPair of (children as import('yaml').YAMLMap).items) {
          const child = keyName(childPair, 'group', keyLine);
          const childLine = lineOf(resolve(childPair.key), keyLine);
          if (seenChildren.has(child)) fail(childLine, `group '${child}' is listed twice in the children of '${name}'`);
          seenChildren.add(child);
          readGroup(child, childPair.value, childLine, group);
        }
      }
    }
  };

  // --- top level: a mapping of groups
  const root = resolve(doc.contents);
  if (isNull(root)) fail(1, 'the inventory is empty (expected groups such as "all:")');
  if (!isMap(root)) fail(lineOf(root), `the inventory must be a mapping of groups (such as "all:"), not ${describe(root)}`);
  const seenTop = new Set<string>();
  for (const pair of (root as import('yaml').YAMLMap).items) {
    const name = keyName(pair, 'group', 1);
    const line = lineOf(resolve(pair.key));
    if (seenTop.has(name)) fail(line, `group '${name}' is defined twice at the top level`);
    seenTop.add(name);
    readGroup(name, pair.value, line, undefined);
  }

  // --- reconcile as Ansible does: every parentless group is a child of all; lone hosts → ungrouped
  const all = ensureGroup('all', undefined);
  const ungrouped = ensureGroup('ungrouped', undefined);
  for (const g of groups.values()) {
    if (g !== all && g.parents.length === 0) {
      all.children.push(g.name);
      g.parents.push('all');
    }
  }
  for (const h of hosts.values()) {
    if (!h.directGroups.some((g) => g !== 'all')) {
      h.directGroups.push('ungrouped');
      ungrouped.directHosts.push(h.name);
    }
  }

  // --- cycles, then depth = longest path from all
  const state = new Map<string, 'visiting' | 'done'>();
  const visit = (g: GroupDef, path: string[]): void => {
    if (state.get(g.name) === 'done') return;
    if (state.get(g.name) === 'visiting') {
      const cycle = [...path.slice(path.indexOf(g.name)), g.name];
      fail(g.line ?? 1, `group '${g.name}' is its own descendant (${cycle.join(' -> ')})`);
    }
    state.set(g.name, 'visiting');
    for (const c of g.children) visit(groups.get(c)!, [...path, g.name]);
    state.set(g.name, 'done');
  };
  for (const g of groups.values()) visit(g, []);

  const depths = new Map<string, number>();
  const depthOf = (g: GroupDef): number => {
    let d = depths.get(g.name);
    if (d === undefined) {
      d = g.parents.length === 0 ? 0 : Math.max(...g.parents.map((p) => depthOf(groups.get(p)!) + 1));
      depths.set(g.name, d);
    }
    return d;
  };
  const priorityOf = (g: GroupDef): number => {
    const p = Number(g.vars['ansible_group_priority'] ?? 1);
    return Number.isFinite(p) ? p : 1;
  };

  const ancestors = (name: string, into: Set<string>): Set<string> => {
    if (!into.has(name)) {
      into.add(name);
      for (const p of groups.get(name)!.parents) ancestors(p, into);
    }
    return into;
  };

  const allHostsOf = new Map<string, string[]>();
  const hostsOf = (g: GroupDef): string[] => {
    let list = allHostsOf.get(g.name);
    if (!list) {
      const set = new Set<string>(g.directHosts);
      for (const c of g.children) for (const h of hostsOf(groups.get(c)!)) set.add(h);
      list = [...set];
      allHostsOf.set(g.name, list);
    }
    return list;
  };

  const result: Inventory = { file, hosts: new Map(), groups: new Map() };
  for (const g of groups.values()) {
    const out: InventoryGroup = { name: g.name, hosts: hostsOf(g), children: [...g.children], vars: { ...g.vars } };
    if (g.line !== undefined) out.line = g.line;
    result.groups.set(g.name, out);
  }
  for (const h of hosts.values()) {
    const set = new Set<string>(['all']);
    for (const g of h.directGroups) ancestors(g, set);
    const sorted = [...set].map((n) => groups.get(n)!).sort((a, b) =>
      depthOf(a) - depthOf(b) || priorityOf(a) - priorityOf(b) || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    const vars: Record<string, unknown> = {};
    for (const g of sorted) Object.assign(vars, g.vars);
    Object.assign(vars, h.vars);
    result.hosts.set(h.name, { name: h.name, groups: sorted.map((g) => g.name), vars, line: h.line });
  }
  return result;
}

/** How to reach a host, from its merged vars (Ansible's names and defaults). */
export function connectionOf(host: InventoryHost, file = 'inventory'): Connection {
  const v = host.vars;
  const pick = (...keys: string[]): unknown => {
    for (const k of keys) if (v[k] !== undefined && v[k] !== null) return v[k];
    return undefined;
  };
  const check = (key: string, value: unknown): void => {
    const problem = value === undefined ? undefined : badVar(key, value);
    if (problem) throw new InventoryError(file, host.line, `host '${host.name}': ${problem}`);
  };
  const address = pick('ansible_host', 'ansible_ssh_host');
  const port = pick('ansible_port', 'ansible_ssh_port');
  const user = pick('ansible_user', 'ansible_ssh_user');
  const key = pick('ansible_ssh_private_key_file', 'ansible_private_key_file');
  const become = pick('ansible_become');
  const becomeUser = pick('ansible_become_user');
  check('ansible_host', address);
  check('ansible_port', port);
  check('ansible_user', user);
  check('ansible_ssh_private_key_file', key);
  check('ansible_become', become);
  check('ansible_become_user', becomeUser);
  const conn: Connection = {
    host: (address as string | undefined) ?? host.name,
    port: port === undefined ? 22 : portOf(port)!,
    user: (user as string | undefined) ?? 'root',
    become: ansibleBoolean(become) ?? false,
  };
  if (key !== undefined) conn.privateKeyFile = key as string;
  if (becomeUser !== undefined) conn.becomeUser = becomeUser as string;
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
