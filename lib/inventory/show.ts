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

/** ansible-inventory --graph [GROUP]. */
export function graphText(inv: Inventory, group = 'all'): string {
  if (!inv.groups.has(group)) throw new SelectionError(`--graph: '${group}' is not a group of the inventory`, [group], undefined, []);
  const name = (text: string, depth: number): string => (depth ? '  |'.repeat(depth) + '--' + text : text);
  const lines: string[] = [];
  const walk = (g: string, depth: number): void => {
    lines.push(name(`@${g}:`, depth));
    const data = inv.groups.get(g)!;
    for (const c of data.children) walk(c, depth + 1);
    if (g !== 'all') for (const h of data.directHosts) lines.push(name(h, depth + 1));
  };
  walk(group, 0);
  return lines.join('\n');
}

