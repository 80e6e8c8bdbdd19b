// The inventory in ansible-inventory's output formats (lib/ansible/cli/inventory.py): --list JSON,
// --host JSON, --graph text. Pure.
import { SelectionError } from './errors.js';
import type { Inventory } from './vars.js';

/** Vars ansible-inventory leaves out of its output (cli/inventory.py INTERNAL_VARS). */
const INTERNAL_VARS = new Set([
  'ansible_diff_mode', 'ansible_config_file', 'ansible_facts', 'ansible_forks', 'ansible_inventory_sources', 'ansible_limit',
  'ansible_playbook_python', 'ansible_run_tags', 'ansible_skip_tags', 'ansible_verbosity', 'ansible_version', 'inventory_dir',
  'inventory_file', 'inventory_hostname', 'inventory_hostname_short', 'groups', 'group_names', 'omit', 'playbook_dir',
]);

/** JSON as Python's json.dumps(sort_keys=True, indent=4, ensure_ascii=False) writes it. */
export function pythonJson(value: unknown): string {
  const sort = (v: unknown): unknown => {
    if (Array.isArray(v)) return v.map(sort);
    if (v && typeof v === 'object' && !(v instanceof Date)) {
      return Object.fromEntries(Object.keys(v).sort().map((k) => [k, sort((v as Record<string, unknown>)[k])]));
    }
    return v;
  };
  return JSON.stringify(sort(value), null, 4);
}

export function hostVarsOf(inv: Inventory, name: string): Record<string, unknown> {
  const vars = { ...inv.hosts.get(name)!.vars };
  for (const k of Object.keys(vars)) if (INTERNAL_VARS.has(k)) delete vars[k];
  return vars;
}

/** ansible-inventory --list. */
export function listJson(inv: Inventory): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const seen = new Set<string>();
  const formatGroup = (name: string): void => {
    const g = inv.groups.get(name)!;
    const entry: Record<string, unknown> = {};
    if (name !== 'all' && g.directHosts.length) entry.hosts = [...g.directHosts];
    if (g.children.length) entry.children = [...g.children];
    if (Object.keys(entry).length) out[name] = entry;
    for (const c of g.children) {
      if (!seen.has(c)) {
        formatGroup(c);
        seen.add(c);
      }
    }
  };
  formatGroup('all');
  const hostvars: Record<string, unknown> = {};
  for (const h of inv.groups.get('all')!.hosts) {
    const vars = hostVarsOf(inv, h);
    if (Object.keys(vars).length) hostvars[h] = vars;
  }
  out._meta = { hostvars };
  return out;
}

/** Python's repr() of a value read from an inventory (JSON-like data). */
export function pyRepr(v: unknown): string {
  if (v === null || v === undefined) return 'None';
  if (v === true) return 'True';
  if (v === false) return 'False';
  if (typeof v === 'number') return Number.isFinite(v) ? String(v) : v > 0 ? 'inf' : v < 0 ? '-inf' : 'nan';
  if (typeof v === 'string') {
    const q = v.includes("'") && !v.includes('"') ? '"' : "'";
    let out = '';
    for (const ch of v) {
      const c = ch.codePointAt(0)!;
      if (ch === '\\') out += '\\\\';
      else if (ch === q) out += '\\' + ch;
      else if (ch === '\n') out += '\\n';
      else if (ch === '\r') out += '\\r';
      else if (ch === '\t') out += '\\t';
      else if (c < 0x20 || c === 0x7f) out += '\\x' + c.toString(16).padStart(2, '0');
      else out += ch;
    }
    return q + out + q;
  }
  if (Array.isArray(v)) return '[' + v.map(pyRepr).join(', ') + ']';
  if (v instanceof Date) return v.toISOString();
  if (typeof v === 'object') return '{' + Object.entries(v as Record<string, unknown>).map(([k, x]) => `${pyRepr(k)}: ${pyRepr(x)}`).join(', ') + '}';
  return String(v);
}

/** Python's str(): a string as it is, anything else as repr(). */
const pyStr = (v: unknown): string => (typeof v === 'string' ? v : pyRepr(v));

/** A group's own vars as ansible-inventory --graph --vars shows them (inventory, group_vars/, priority). */
function groupVarsOf(inv: Inventory, name: string): Record<string, unknown> {
  const g = inv.groups.get(name)!;
  const vars: Record<string, unknown> = { ...g.vars, ...(inv.groupFileVars.get(name) ?? {}) };
  if (g.priority !== 1) vars['ansible_group_priority'] = g.priority;
  for (const k of Object.keys(vars)) if (INTERNAL_VARS.has(k)) delete vars[k];
  return vars;
}

/** ansible-inventory --graph [GROUP] [--vars]. */
export function graphText(inv: Inventory, group = 'all', showVars = false): string {
  if (!inv.groups.has(group)) throw new SelectionError(`--graph: '${group}' is not a group of the inventory`, [group], undefined, []);
  const name = (text: string, depth: number): string => (depth ? '  |'.repeat(depth) + '--' + text : text);
  const lines: string[] = [];
  const vars = (v: Record<string, unknown>, depth: number): void => {
    for (const k of Object.keys(v).sort()) lines.push(name(`{${k} = ${pyStr(v[k])}}`, depth));
  };
  const walk = (g: string, depth: number): void => {
    lines.push(name(`@${g}:`, depth));
    const data = inv.groups.get(g)!;
    for (const c of data.children) walk(c, depth + 1);
    if (g !== 'all') {
      for (const h of data.directHosts) {
        lines.push(name(h, depth + 1));
        if (showVars) vars(hostVarsOf(inv, h), depth + 2);
      }
    }
    if (showVars) vars(groupVarsOf(inv, g), depth + 1);
  };
  walk(group, 0);
  return lines.join('\n');
}
