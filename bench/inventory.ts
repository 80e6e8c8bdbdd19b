// The bench's inventory: the lab's inventory (lab/lab.ts writes every running host into it) cut down to
// exactly the hosts of this run, so that ours, Ansible and the floor all act on the same 1 + N hosts
// even when the lab has more up (e.g. after a run with more laptops).
import YAML from 'yaml';

interface Group {
  hosts?: Record<string, unknown> | null;
  children?: Record<string, Group | null> | null;
  vars?: unknown;
}

/** The lab's inventory text with only `hosts` left in it; every one of them must be in it. */
export function benchInventory(labInventory: string, hosts: string[]): string {
  const inv = YAML.parse(labInventory) as Record<string, Group | null> | null;
  if (!inv || typeof inv !== 'object') throw new Error('bench: the lab inventory is empty');
  const want = new Set(hosts);
  const seen = new Set<string>();
  const walk = (g: Group | null | undefined): void => {
    if (!g || typeof g !== 'object') return;
    if (g.hosts && typeof g.hosts === 'object') {
      for (const h of Object.keys(g.hosts)) {
        if (want.has(h)) seen.add(h);
        else delete g.hosts[h];
      }
    }
    if (g.children && typeof g.children === 'object') for (const c of Object.values(g.children)) walk(c);
  };
  for (const g of Object.values(inv)) walk(g);
  const missing = hosts.filter((h) => !seen.has(h));
  if (missing.length) throw new Error(`bench: not in the lab's inventory: ${missing.join(', ')} (is the lab up with them?)`);
  return `# Written by npm run bench: the lab's inventory, only the ${hosts.length} hosts of this run.\n` + YAML.stringify(inv, { lineWidth: 0 });
}
