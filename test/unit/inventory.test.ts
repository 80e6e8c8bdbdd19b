import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import {
  parseInventory, connectionOf, resolveHostSelection, editDistance, InventoryError, SelectionError, loadInventorySources,
  type Inventory,
} from '../../lib/inventory.js';

const FILE = 'inventory/hosts.yml';
const KNOWN = { knownGroups: ['mailservers', 'laptops'] };
const parse = (text: string): Inventory => parseInventory(text, FILE, KNOWN);
/** Join lines so that line numbers in the cases are easy to count. */
const y = (...lines: string[]): string => lines.join('\n') + '\n';

interface Expect {
  hosts?: string[];
  groups?: Record<string, { hosts?: string[]; children?: string[] }>;
  hostGroups?: Record<string, string[]>;
  vars?: Record<string, Record<string, unknown>>;
  lines?: Record<string, number>;
}

const good: { name: string; text: string; expect: Expect }[] = [
  {
    name: 'minimal: one host under all',
    text: y('all:', '  hosts:', '    mailserver:'),
    expect: {
      hosts: ['mailserver'],
      hostGroups: { mailserver: ['all', 'ungrouped'] },
      groups: { all: { hosts: ['mailserver'], children: ['ungrouped'] }, ungrouped: { hosts: ['mailserver'] } },
      lines: { mailserver: 3 },
    },
  },
  {
    name: 'nested children: hosts of descendants count, groups include ancestors',
    text: y(
      'all:',
      '  children:',
      '    mailservers:',
      '      hosts:',
      '        mail1:',
      '    clients:',
      '      children:',
      '        laptops:',
      '          hosts:',
      '            laptop1:',
      '            laptop2:',
      '        desktops:',
      '          hosts:',
      '            desk1:',
      '          children:',
      '            laptops:',
    ),
    expect: {
      hosts: ['mail1', 'laptop1', 'laptop2', 'desk1'],
      groups: {
        clients: { hosts: ['laptop1', 'laptop2', 'desk1'], children: ['laptops', 'desktops'] },
        desktops: { hosts: ['desk1', 'laptop1', 'laptop2'], children: ['laptops'] },
        laptops: { hosts: ['laptop1', 'laptop2'], children: [] },
        all: { hosts: ['mail1', 'laptop1', 'laptop2', 'desk1'] },
      },
      hostGroups: { laptop1: ['all', 'clients', 'desktops', 'laptops'], mail1: ['all', 'mailservers'] },
      lines: { laptop1: 10, desk1: 14 },
    },
  },
  {
    name: 'vars precedence: all < parent < child < host; equal depth alphabetical',
    text: y(
      'all:',
      '  vars: {a: all, b: all, c: all, d: all, e: all}',
      '  children:',
      '    parent:',
      '      vars: {b: parent, c: parent, d: parent, e: parent}',
      '      children:',
      '        child:',
      '          vars: {c: child, d: child, e: child}',
      '          hosts:',
      '            h1: {d: host}',
      '    zeta:',
      '      vars: {e: zeta}',
      '      hosts: {h1: {}}',
      '    alpha:',
      '      vars: {e: alpha, f: alpha}',
      '      hosts: {h1: {}}',
    ),
    expect: {
      // depth: parent/zeta/alpha 1, child 2 → child's e wins over zeta/alpha; among depth 1, zeta > parent > alpha.
      vars: { h1: { a: 'all', b: 'parent', c: 'child', d: 'host', e: 'child', f: 'alpha' } },
      hostGroups: { h1: ['all', 'alpha', 'parent', 'zeta', 'child'] },
    },
  },
  {
    name: 'equal depth: later name in alphabetical order wins; ansible_group_priority overrides',
    text: y(
      'beta:',
      '  vars: {x: beta, y: beta}',
      '  hosts: {h: }',
      'alpha:',
      '  vars: {x: alpha, y: alpha, ansible_group_priority: 5}',
      '  hosts: {h: }',
      'gamma:',
      '  vars: {x: gamma}',
      '  hosts: {h: }',
    ),
    // ansible_group_priority orders the groups and is not a var of the host (as ansible-inventory shows)
    expect: { vars: { h: { x: 'alpha', y: 'alpha' } } },
  },
  {
    name: 'top-level groups without all:, and null hosts',
    text: y('mailservers:', '  hosts:', '    mailserver:', 'laptops:', '  hosts:', '    laptop1:', '    laptop2: ~'),
    expect: {
      hosts: ['mailserver', 'laptop1', 'laptop2'],
      groups: { all: { hosts: ['mailserver', 'laptop1', 'laptop2'], children: ['ungrouped', 'mailservers', 'laptops'] } },
      hostGroups: { laptop2: ['all', 'laptops'] },
      vars: { laptop2: {} },
      lines: { laptop2: 7 },
    },
  },
  {
    name: 'a host in several groups: vars merge, host vars from every occurrence, later wins',
    text: y(
      'mailservers:',
      '  hosts:',
      '    both: {ansible_port: 2200, from: mailservers}',
      'laptops:',
      '  hosts:',
      '    both: {from: laptops, extra: 1}',
    ),
    expect: {
      hostGroups: { both: ['all', 'laptops', 'mailservers'] },
      vars: { both: { ansible_port: 2200, from: 'laptops', extra: 1 } },
      lines: { both: 3 },
      groups: { mailservers: { hosts: ['both'] }, laptops: { hosts: ['both'] } },
    },
  },
  {
    name: 'a group defined in two places merges; extra groups are allowed',
    text: y(
      'all:',
      '  children:',
      '    webservers:',
      '      hosts: {web1: }',
      'webservers:',
      '  vars: {role: web}',
      '  hosts: {web2: }',
    ),
    expect: { groups: { webservers: { hosts: ['web1', 'web2'] } }, vars: { web1: { role: 'web' } } },
  },
  {
    name: 'host ranges expand as in Ansible',
    text: y('laptops:', '  hosts:', '    lap[01:03]:', '      ansible_user: u', '    db-[a:b]:'),
    expect: { hosts: ['lap01', 'lap02', 'lap03', 'db-a', 'db-b'], vars: { lap02: { ansible_user: 'u' } } },
  },
  {
    name: 'YAML 1.1 booleans as Ansible reads them, anchors and merge keys',
    text: y(
      'all:',
      '  vars: &common {ansible_become: yes, flag: off}',
      '  hosts:',
      '    h1:',
      '      <<: *common',
      '      flag: on',
      '      y: n',
    ),
    expect: { vars: { h1: { ansible_become: true, flag: true, y: 'n' } } },
  },
];

for (const c of good) {
  test(`inventory: ${c.name}`, () => {
    const inv = parse(c.text);
    const e = c.expect;
    if (e.hosts) assert.deepEqual([...inv.hosts.keys()], e.hosts);
    for (const [g, want] of Object.entries(e.groups ?? {})) {
      const got = inv.groups.get(g);
      assert.ok(got, `group ${g} exists`);
      if (want.hosts) assert.deepEqual(got.hosts, want.hosts, `hosts of ${g}`);
      if (want.children) assert.deepEqual(got.children, want.children, `children of ${g}`);
    }
    for (const [h, want] of Object.entries(e.hostGroups ?? {})) assert.deepEqual(inv.hosts.get(h)?.groups, want, `groups of ${h}`);
    for (const [h, want] of Object.entries(e.vars ?? {})) assert.deepEqual(inv.hosts.get(h)?.vars, want, `vars of ${h}`);
    for (const [h, want] of Object.entries(e.lines ?? {})) assert.equal(inv.hosts.get(h)?.line, want, `line of ${h}`);
    assert.equal(inv.file, FILE);
  });
}

const bad: { name: string; text: string; line: number; message: RegExp }[] = [
  {
    name: 'duplicate host in one group',
    text: y('all:', '  children:', '    laptops:', '      hosts:', '        laptop1:', '        laptop2:', '        laptop1:'),
    line: 7,
    message: /^inventory\/hosts\.yml:7: host 'laptop1' is defined twice in group 'laptops'$/,
  },
  { name: 'duplicate var', text: y('all:', '  vars:', '    a: 1', '    a: 2'), line: 4, message: /:4: var 'a' is defined twice in group 'all'$/ },
  { name: 'duplicate top-level group', text: y('laptops:', 'mailservers:', 'laptops:'), line: 3, message: /:3: group 'laptops' is defined twice/ },
  { name: 'not YAML: unclosed flow sequence', text: y('all:', '  hosts:', '    a: [1,', '  vars: {}', 'x'), line: 4, message: /:\d+: not valid YAML: / },
  { name: 'not YAML: bad indentation', text: y('all:', '  hosts:', '    a:', '   - b', 'c: d'), line: 3, message: /:3: not valid YAML: / },
  { name: 'not YAML: two documents', text: y('all:', '---', 'b:'), line: 2, message: /:2: not valid YAML: .*multiple documents/ },
  { name: 'empty file', text: '# nothing\n', line: 1, message: /:1: the inventory is empty/ },
  { name: 'top level is a list', text: y('- all', '- laptops'), line: 1, message: /:1: the inventory must be a mapping of groups .*not a list/ },
  { name: 'hosts is a list', text: y('all:', '  children:', '    laptops:', '      hosts:', '        - laptop1'), line: 5, message: /:5: hosts of group 'laptops' must be a mapping .*not a list/ },
  { name: 'vars is a list', text: y('all:', '  vars:', '    - a: 1'), line: 3, message: /:3: vars of group 'all' must be a mapping, not a list/ },
  { name: 'host vars are a scalar', text: y('laptops:', '  hosts:', '    laptop1: 10.0.0.1'), line: 3, message: /:3: vars of host 'laptop1' must be a mapping, not the string "10.0.0.1"/ },
  { name: 'group is a scalar', text: y('all:', '  children:', '    laptops: laptop1'), line: 3, message: /:3: group 'laptops' must be a mapping .*not the string "laptop1"/ },
  { name: 'children is a list', text: y('all:', '  children: [laptops]'), line: 2, message: /:2: children of group 'all' must be a mapping/ },
  { name: 'unknown key in a group (typo of hosts)', text: y('laptops:', '  host:', '    laptop1:'), line: 2, message: /:2: unexpected key 'host' in group 'laptops'/ },
  { name: 'typo group at top level', text: y('mailserver:', '  hosts:', '    m1:'), line: 1, message: /^inventory\/hosts\.yml:1: unknown group 'mailserver' \(did you mean 'mailservers'\?\)$/ },
  { name: 'typo group under all', text: y('all:', '  children:', '    mailservers:', '    laptop:', '      hosts: {l1: }'), line: 4, message: /:4: unknown group 'laptop' \(did you mean 'laptops'\?\)$/ },
  { name: 'typo group with swapped letters', text: y('lpatops:'), line: 1, message: /unknown group 'lpatops' \(did you mean 'laptops'\?\)/ },
  { name: 'port not a number', text: y('laptops:', '  hosts:', '    laptop1:', '      ansible_port: twentytwo'), line: 4, message: /:4: host 'laptop1': ansible_port must be an integer from 1 to 65535, not "twentytwo"$/ },
  { name: 'port out of range (group var)', text: y('laptops:', '  vars:', '    ansible_port: 70000'), line: 3, message: /:3: group 'laptops': ansible_port must be an integer from 1 to 65535, not 70000/ },
  { name: 'port zero', text: y('laptops:', '  hosts: {l1: {ansible_port: 0}}'), line: 2, message: /ansible_port must be an integer/ },
  { name: 'port not integer', text: y('laptops:', '  hosts: {l1: {ansible_port: 22.5}}'), line: 2, message: /ansible_port must be an integer/ },
  { name: 'become not boolean', text: y('all:', '  vars:', '    ansible_become: maybe'), line: 3, message: /:3: group 'all': ansible_become must be a boolean/ },
  { name: 'ansible_host with a newline', text: y('all:', '  hosts:', '    h:', '      ansible_host: "a\\nb"'), line: 4, message: /:4: host 'h': ansible_host must not contain control characters/ },
  { name: 'group cycle', text: y('a:', '  children:', '    b:', '      children:', '        a:'), line: 3, message: /group 'a' is its own descendant \(a -> b -> a\)/ },
  { name: 'all as a child', text: y('laptops:', '  children:', '    all:'), line: 3, message: /:3: group 'all' cannot be a child of 'laptops'/ },
  { name: 'bad host range', text: y('laptops:', '  hosts:', '    lap[5:1]:'), line: 3, message: /:3: host range 'lap\[5:1\]' starts after it ends/ },
];

for (const c of bad) {
  test(`inventory error: ${c.name}`, () => {
    assert.throws(() => parse(c.text), (err: unknown) => {
      assert.ok(err instanceof InventoryError, `InventoryError, got ${String(err)}`);
      assert.equal(err.file, FILE);
      assert.equal(err.line, c.line);
      assert.match(err.message, c.message);
      assert.ok(!err.message.includes('\n'), 'one line');
      assert.ok(err.message.startsWith(`${FILE}:${c.line}: `));
      return true;
    });
  });
}

test('inventory: without knownGroups no typo check', () => {
  const inv = parseInventory(y('mailserver:', '  hosts: {m: }'), FILE);
  assert.deepEqual(inv.groups.get('mailserver')?.hosts, ['m']);
});

test('inventory: groups far from the known ones are allowed', () => {
  const inv = parse(y('webservers:', '  hosts: {w: }', 'ungrouped:', '  hosts: {u: }'));
  assert.deepEqual(inv.hosts.get('w')?.groups, ['all', 'webservers']);
  assert.deepEqual(inv.groups.get('ungrouped')?.hosts, ['u']);
});

test('editDistance', () => {
  for (const [a, b, d] of [['laptops', 'laptop', 1], ['mailservers', 'mailserver', 1], ['abc', 'abc', 0], ['laptops', 'lpatops', 1], ['webservers', 'mailservers', 4], ['', 'ab', 2]] as const) {
    assert.equal(editDistance(a, b), d, `${a} / ${b}`);
  }
});

const conn: { name: string; vars: string; expect: ReturnType<typeof connectionOf> }[] = [
  { name: 'defaults', vars: '{}', expect: { host: 'h', port: 22, user: 'root', become: false } },
  {
    name: 'all set',
    vars: '{ansible_host: 10.1.1.1, ansible_port: "2222", ansible_user: bob, ansible_ssh_private_key_file: /k, ansible_become: "True", ansible_become_user: postmaster}',
    expect: { host: '10.1.1.1', port: 2222, user: 'bob', privateKeyFile: '/k', become: true, becomeUser: 'postmaster' },
  },
  { name: 'ansible_private_key_file alias, become "yes"', vars: '{ansible_private_key_file: /k2, ansible_become: "yes"}', expect: { host: 'h', port: 22, user: 'root', privateKeyFile: '/k2', become: true } },
  { name: 'become false', vars: '{ansible_become: "no"}', expect: { host: 'h', port: 22, user: 'root', become: false } },
  { name: 'become 1', vars: '{ansible_become: 1}', expect: { host: 'h', port: 22, user: 'root', become: true } },
];
for (const c of conn) {
  test(`connectionOf: ${c.name}`, () => {
    const inv = parse(y('all:', '  hosts:', `    h: ${c.vars}`));
    assert.deepEqual(connectionOf(inv.hosts.get('h')!), c.expect);
  });
}

test('connectionOf: group vars reach the host', () => {
  const inv = parse(y('laptops:', '  vars: {ansible_user: admin, ansible_become: true}', '  hosts:', '    l1: {ansible_port: 2201}'));
  assert.deepEqual(connectionOf(inv.hosts.get('l1')!), { host: 'l1', port: 2201, user: 'admin', become: true });
});

test('connectionOf: a bad value brought in by a merge key is still caught, with the file', () => {
  const text = y('all:', '  vars:', '    base: &bad {ansible_port: 99999}', 'laptops:', '  hosts:', '    l1:', '      <<: *bad');
  assert.throws(() => parse(text), /inventory\/hosts\.yml:7: host 'l1': ansible_port must be an integer/);
  const inv = parse(y('laptops:', '  hosts:', '    l1:'));
  const host = { ...inv.hosts.get('l1')!, vars: { ansible_port: 'x' } };
  assert.throws(() => connectionOf(host, 'inv.yml'), /^InventoryError: inv\.yml:3: host 'l1': ansible_port/);
});

// ---- the example inventory shipped for admins
test('example inventory/hosts.yml parses into mailserver + laptop1, laptop2', () => {
  const path = fileURLToPath(new URL('../../../inventory/hosts.yml', import.meta.url));
  const inv = parseInventory(readFileSync(path, 'utf8'), 'inventory/hosts.yml', KNOWN);
  assert.deepEqual(inv.groups.get('mailservers')?.hosts, ['mailserver']);
  assert.deepEqual(inv.groups.get('laptops')?.hosts, ['laptop1', 'laptop2']);
  const c = connectionOf(inv.hosts.get('laptop1')!);
  assert.equal(c.port, 2222);
  assert.equal(c.become, true);
  assert.equal(typeof c.privateKeyFile, 'string');
  assert.equal(connectionOf(inv.hosts.get('laptop2')!).user, 'alice');
  assert.equal(connectionOf(inv.hosts.get('mailserver')!).host, 'mail.example.org');
  for (const h of inv.hosts.values()) {
    for (const k of Object.keys(h.vars)) assert.doesNotMatch(k, /pass/i, `no password var in the example (${h.name}.${k})`);
  }
  const text = readFileSync(path, 'utf8');
  assert.match(text, /BECOME_PASSWORD/);
  assert.match(text, /#\s*smarthost: mailserver/);
});

test('example inventory/hosts.ini is the same inventory as inventory/hosts.yml, with the same connections', () => {
  const read = (f: string) => loadInventorySources([fileURLToPath(new URL(`../../../inventory/${f}`, import.meta.url))], KNOWN);
  const [a, b] = [read('hosts.yml'), read('hosts.ini')];
  assert.deepEqual([...b.hosts.keys()], [...a.hosts.keys()]);
  for (const g of ['mailservers', 'laptops']) assert.deepEqual(b.groups.get(g)?.hosts, a.groups.get(g)?.hosts);
  for (const h of a.hosts.keys()) assert.deepEqual(connectionOf(b.hosts.get(h)!), connectionOf(a.hosts.get(h)!), h);
});

// ---- host selection
const SELECT_INV = y('mailservers:', '  hosts: {mailserver: }', 'laptops:', '  hosts: {laptop1: , laptop2: }');
const selections: { name: string; names: string[]; group?: string; expect?: string[]; error?: RegExp }[] = [
  { name: 'named hosts in order', names: ['laptop2', 'mailserver'], expect: ['laptop2', 'mailserver'] },
  { name: 'duplicates dropped', names: ['laptop1', 'laptop1'], group: 'laptops', expect: ['laptop1'] },
  { name: 'no names: all hosts', names: [], expect: ['mailserver', 'laptop1', 'laptop2'] },
  { name: 'no names with group: the group', names: [], group: 'laptops', expect: ['laptop1', 'laptop2'] },
  { name: 'unknown host, group given', names: ['laptop9'], group: 'laptops', error: /^unknown host 'laptop9' \(known laptops: laptop1, laptop2\)$/ },
  { name: 'unknown host, no group', names: ['mail'], error: /^unknown host 'mail' \(known hosts: mailserver, laptop1, laptop2\)$/ },
  { name: 'several unknown', names: ['x', 'laptop1', 'y'], error: /^unknown hosts 'x', 'y' \(known hosts: / },
  { name: 'a server named as a laptop', names: ['mailserver'], group: 'laptops', error: /^host 'mailserver' \(in mailservers\) not in group 'laptops' \(known laptops: laptop1, laptop2\)$/ },
  { name: 'unknown group', names: ['laptop1'], group: 'desktops', error: /no group 'desktops' in inventory\/hosts\.yml \(groups: mailservers, laptops\)/ },
];
for (const c of selections) {
  test(`resolveHostSelection: ${c.name}`, () => {
    const inv = parse(SELECT_INV);
    if (c.error) {
      assert.throws(() => resolveHostSelection(inv, c.names, c.group), (err: unknown) => {
        assert.ok(err instanceof SelectionError);
        assert.match(err.message, c.error!);
        return true;
      });
    } else {
      assert.deepEqual(resolveHostSelection(inv, c.names, c.group).map((h) => h.name), c.expect);
    }
  });
}
