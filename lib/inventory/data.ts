// The inventory as Ansible's InventoryData holds it while sources are parsed (lib/ansible/inventory/
// data.py, group.py, host.py): groups with their direct hosts, child groups and own vars; hosts with
// their own vars. Every parser (YAML, INI) adds to one InventoryData, in source order, and
// reconcile() then applies Ansible's rules: a group without a parent is a child of `all`, a host in
// no group but `all` is in `ungrouped`, and a host in another group leaves `ungrouped`.
// Pure: no disk, no network.
import { InventoryError } from './errors.js';

/** Where something was written: a file and a 1-based line. */
export interface Where {
  file: string;
  line: number;
}

export interface GroupData {
  name: string;
  /** First definition (undefined for the implicit `all` and `ungrouped`). */
  where?: Where;
  /** Direct hosts, in the order added. */
  hosts: string[];
  /** Direct child groups, in the order added. */
  children: string[];
  parents: string[];
  vars: Record<string, unknown>;
  origins: Record<string, Where>;
  /** ansible_group_priority (from the inventory source only, as in Ansible); default 1. */
  priority: number;
}

export interface HostData {
  name: string;
  /** First definition. */
  where: Where;
  vars: Record<string, unknown>;
  origins: Record<string, Where>;
}

export class InventoryData {
  readonly groups = new Map<string, GroupData>();
  readonly hosts = new Map<string, HostData>();
  /** host → the groups it is directly in */
  private readonly memberOf = new Map<string, string[]>();

  constructor() {
    this.addGroup('all');
    this.addGroup('ungrouped');
    this.addChild('all', 'ungrouped');
  }

  addGroup(name: string, where?: Where): GroupData {
    let g = this.groups.get(name);
    if (!g) {
      g = { name, hosts: [], children: [], parents: [], vars: {}, origins: {}, priority: 1 };
      if (where) g.where = where;
      this.groups.set(name, g);
    } else if (!g.where && where && name !== 'all' && name !== 'ungrouped') {
      g.where = where;
    }
    return g;
  }

  /** Add a host (if new) and put it in `group` (if given). Returns true when the host is new. */
  addHost(name: string, group: string | undefined, where: Where): boolean {
    const isNew = !this.hosts.has(name);
    if (isNew) this.hosts.set(name, { name, where, vars: {}, origins: {} });
    if (group !== undefined) {
      const g = this.groups.get(group);
      if (!g) throw new InventoryError(where.file, where.line, `no group '${group}' to add host '${name}' to`);
      const mine = this.memberOf.get(name) ?? [];
      this.memberOf.set(name, mine);
      if (!mine.includes(group)) {
        mine.push(group);
        g.hosts.push(name);
      }
    }
    return isNew;
  }

  /** Make `child` a child group of `parent` (both must exist); a loop is refused as Ansible does. */
  addChild(parent: string, child: string, where?: Where): void {
    const p = this.groups.get(parent)!;
    const c = this.groups.get(child)!;
    if (p.children.includes(child)) return;
    const w = where ?? c.where ?? { file: 'inventory', line: 1 };
    if (child === 'all') throw new InventoryError(w.file, w.line, `group 'all' cannot be a child of '${parent}'`);
    const path = parent === child ? [child] : this.pathDown(child, parent);
    if (path) throw new InventoryError(w.file, w.line, `group '${parent}' is its own descendant (${[parent, ...path].join(' -> ')})`);
    p.children.push(child);
    if (!c.parents.includes(parent)) c.parents.push(parent);
  }

  /** A path of child links from `from` down to `to` (both included), if there is one. */
  private pathDown(from: string, to: string, seen = new Set<string>()): string[] | undefined {
    if (from === to) return [to];
    if (seen.has(from)) return undefined;
    seen.add(from);
    for (const c of this.groups.get(from)!.children) {
      const rest = this.pathDown(c, to, seen);
      if (rest) return [from, ...rest];
    }
    return undefined;
  }

  setGroupVar(group: string, key: string, value: unknown, where: Where): void {
    const g = this.groups.get(group)!;
    if (key === 'ansible_group_priority') {
      const n = typeof value === 'number' ? value : typeof value === 'string' && /^\s*[+-]?\d+\s*$/.test(value) ? Number(value) : NaN;
      if (!Number.isInteger(n)) throw new InventoryError(where.file, where.line, `group '${group}': ansible_group_priority must be an integer, not ${JSON.stringify(value)}`);
      g.priority = n;
      return;
    }
    g.vars[key] = value;
    g.origins[key] = where;
  }

  setHostVar(host: string, key: string, value: unknown, where: Where): void {
    const h = this.hosts.get(host)!;
    h.vars[key] = value;
    h.origins[key] = where;
  }

  /** Every ancestor group of a group (not the group itself). */
  ancestors(name: string): Set<string> {
    const out = new Set<string>();
    const walk = (n: string): void => {
      for (const p of this.groups.get(n)!.parents) {
        if (!out.has(p)) {
          out.add(p);
          walk(p);
        }
      }
    };
    walk(name);
    return out;
  }

  /** The groups a host is directly in, in the order it was added to them. */
  directGroupsOf(host: string): string[] {
    return [...(this.memberOf.get(host) ?? [])];
  }

  /** Every group of a host: direct ones and their ancestors. */
  groupsOf(host: string): Set<string> {
    const out = new Set<string>();
    for (const g of this.directGroupsOf(host)) {
      out.add(g);
      for (const a of this.ancestors(g)) out.add(a);
    }
    return out;
  }

  /** Ansible's reconcile_inventory(), after every source was parsed. */
  reconcile(): void {
    for (const g of this.groups.values()) {
      if (g.name !== 'all' && g.parents.length === 0) this.addChild('all', g.name);
    }
    const ungrouped = this.groups.get('ungrouped')!;
    for (const h of this.hosts.values()) {
      const mine = this.groupsOf(h.name);
      if (mine.has('ungrouped')) {
        if ([...mine].some((g) => g !== 'all' && g !== 'ungrouped')) {
          ungrouped.hosts = ungrouped.hosts.filter((n) => n !== h.name);
          this.memberOf.set(h.name, this.directGroupsOf(h.name).filter((g) => g !== 'ungrouped'));
        }
      } else if (mine.size === 0 || (mine.size === 1 && mine.has('all'))) {
        this.addHost(h.name, 'ungrouped', h.where);
      }
    }
  }

  /** Depth of a group: the longest path from a root (`all` is 0), as Ansible's Group.depth. */
  depthOf(name: string, memo = new Map<string, number>()): number {
    let d = memo.get(name);
    if (d === undefined) {
      const g = this.groups.get(name)!;
      d = g.parents.length === 0 ? 0 : Math.max(...g.parents.map((p) => this.depthOf(p, memo) + 1));
      memo.set(name, d);
    }
    return d;
  }

  /**
   * Hosts of a group and of its descendants, as Ansible's Group.get_hosts(): the group itself, then
   * its children, then their children (breadth first), each host once.
   */
  hostsOf(name: string): string[] {
    const order: string[] = [name];
    const seen = new Set(order);
    for (let i = 0; i < order.length; i++) {
      for (const c of this.groups.get(order[i]!)!.children) {
        if (!seen.has(c)) {
          seen.add(c);
          order.push(c);
        }
      }
    }
    const hosts: string[] = [];
    const seenHosts = new Set<string>();
    for (const g of order) {
      for (const h of this.groups.get(g)!.hosts) {
        if (!seenHosts.has(h)) {
          seenHosts.add(h);
          hosts.push(h);
        }
      }
    }
    return hosts;
  }
}
