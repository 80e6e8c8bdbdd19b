// Ansible's INI inventory format, Python literals, host ranges, vars files, host patterns,
// ansible.cfg and the connection vars: table cases for the pure parts of lib/inventory/.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  parseInventory, connectionOf, loadInventorySources, matchHosts, parseAnsibleCfg, InventoryError, InventoryReadError, AnsibleCfgError,
  SelectionError, type Inventory,
} from '../../lib/inventory.js';
import { pyLiteral } from '../../lib/inventory/pyliteral.js';
import { shlexSplit, parseAddress } from '../../lib/inventory/ini.js';
import { expandHostRange } from '../../lib/inventory/ranges.js';
import { parseVarsFile } from '../../lib/inventory/vars.js';
import { splitHostPattern } from '../../lib/inventory/select.js';

const lines = (...l: string[]): string => l.join('\n') + '\n';
const ini = (text: string): Inventory => parseInventory(text, 'hosts.ini', { knownGroups: ['mailservers', 'laptops'] });

// ---- Python literals (ini.py _parse_value → ast.literal_eval)
const literals: Array<[string, unknown]> = [
  ['42', 42], ['-7', -7], ['+3', 3], ['1.5', 1.5], ['.5', 0.5], ['1e3', 1000], ['1_000', 1000], ['0x1f', 31], ['0o17', 15], ['0b101', 5], ['00', 0],
  ['True', true], ['False', false], ['None', null], ["'a'", 'a'], ['"b"', 'b'], ["'a' 'b'", 'ab'], ["r'\\n'", '\\n'], ["'\\t'", '\t'],
  ["'\\x41\\u00e9'", 'Aé'], ['"""x"""', 'x'], ["u'x'", 'x'], ["b'x'", 'x'], ['[1, "a", None]', [1, 'a', null]], ['(1, 2)', [1, 2]], ['(1,)', [1]],
  ['()', []], ['(1)', 1], ["{'k': 'v', 1: True}", { k: 'v', 1: true }], ['{1, 2}', [1, 2]], ['{}', {}], ['[1, [2, {"a": (3,)}]]', [1, [2, { a: [3] }]]],
  ['1, 2', [1, 2]], ['8080 # comment', 8080], ["'x' # c", 'x'], ['[1,\n 2]', [1, 2]],
];
for (const [text, want] of literals) {
  test(`pyLiteral: ${JSON.stringify(text)}`, () => assert.deepEqual(pyLiteral(text), { value: want }));
}
for (const text of ['true', 'yes', 'hello', '010', '1j', "f'x'", '1+2', '--1', '[1, foo]', "'open", 'a b', '', '12abc', '{[1]: 2}', "'\\N{DASH}'"]) {
  test(`pyLiteral: ${JSON.stringify(text)} is not a literal (kept as text)`, () => assert.equal(pyLiteral(text), undefined));
}

// ---- shlex.split(comments=True)
const splits: Array<[string, string[]]> = [
  ['h1 a=1 b=2', ['h1', 'a=1', 'b=2']],
  ['h1 name="two words" x=\'y z\'', ['h1', 'name=two words', 'x=y z']],
  ['h1 a=1 # c d', ['h1', 'a=1']],
  ['h1 a=x#y', ['h1', 'a=x']],
  ['h1 a="x#y"', ['h1', 'a=x#y']],
  ['h1 a="q\\"q" b="\\n"', ['h1', 'a=q"q', 'b=\\n']],
  ['h1 a=\\ b', ['h1', 'a= b']],
  ['h1 a=;b', ['h1', 'a=;b']],
  ["h1 e=''", ['h1', 'e=']],
];
for (const [line, want] of splits) test(`shlexSplit: ${line}`, () => assert.deepEqual(shlexSplit(line), want));
test('shlexSplit: an open quote is an error', () => assert.throws(() => shlexSplit('h1 a="x'), /no closing quotation/));

// ---- host ranges and addresses
const ranges: Array<[string, string[]]> = [
  ['web[01:03]', ['web01', 'web02', 'web03']], ['db-[a:c]', ['db-a', 'db-b', 'db-c']], ['h[1:9:4]', ['h1', 'h5', 'h9']],
  ['h[:2]', ['h0', 'h1', 'h2']], ['[a:b][1:2]', ['a1', 'a2', 'b1', 'b2']], ['x[y:B]', ['xy', 'xz', 'xA', 'xB']], ['plain', ['plain']],
];
for (const [name, want] of ranges) test(`expandHostRange: ${name}`, () => assert.deepEqual(expandHostRange(name), want));
for (const [name, why] of [['h[01:100]', /equal width/], ['h[5:1]', /starts after it ends/], ['h[1:2:0]', /bad step/], ['h[1:]', /specify its end/], ['h[1:2:3:4]', /begin:end/]] as const) {
  test(`expandHostRange: ${name} refused`, () => assert.throws(() => expandHostRange(name), why));
}
test('parseAddress: host:port, [v6]:port, ranges', () => {
  assert.deepEqual(parseAddress('mail:2222'), { host: 'mail', port: 2222 });
  assert.deepEqual(parseAddress('[2001:db8::1]:2200'), { host: '2001:db8::1', port: 2200 });
  assert.deepEqual(parseAddress('2001:db8::1'), { host: '2001:db8::1' });
  assert.deepEqual(parseAddress('web[01:03].example.org:22'), { host: 'web[01:03].example.org', port: 22 });
  assert.equal(parseAddress('bad!name'), undefined);
});

// ---- INI inventories
test('INI: sections, children declared later, ungrouped, :vars, ports, inline vars', () => {
  const inv = ini(lines(
    'loose ansible_ssh_host=10.0.0.9 ansible_ssh_port=2209 ansible_ssh_user=old',
    '[mailservers]',
    'mail1:2201 ansible_host=192.0.2.1',
    '[laptops:children]',
    'office',
    '[office]',
    'laptop[1:2] ansible_become=True',
    '[laptops:vars]',
    'ansible_user=alice',
    'smarthost=mail1',
  ));
  assert.deepEqual([...inv.hosts.keys()], ['loose', 'mail1', 'laptop1', 'laptop2']);
  assert.deepEqual(inv.groups.get('ungrouped')?.hosts, ['loose']);
  assert.deepEqual(inv.groups.get('laptops')?.hosts, ['laptop1', 'laptop2']);
  assert.deepEqual(inv.groups.get('laptops')?.children, ['office']);
  assert.deepEqual(inv.hosts.get('laptop2')?.groups, ['all', 'laptops', 'office']);
  assert.deepEqual(connectionOf(inv.hosts.get('mail1')!), { host: '192.0.2.1', port: 2201, user: 'root', become: false });
  assert.deepEqual(connectionOf(inv.hosts.get('laptop1')!), { host: 'laptop1', port: 22, user: 'alice', become: true });
  // the old names Ansible still reads
  assert.deepEqual(connectionOf(inv.hosts.get('loose')!), { host: '10.0.0.9', port: 2209, user: 'old', become: false });
  assert.equal(inv.hosts.get('laptop2')?.line, 7);
  assert.deepEqual(inv.hosts.get('laptop1')?.origins['smarthost'], { file: 'hosts.ini', line: 10 });
});

test('connectionOf: with an old and a new name both set, the old ansible_ssh_* one wins, as in Ansible (last of its vars list)', () => {
  const inv = ini(lines('[laptops]', 'l1 ansible_host=new ansible_ssh_host=old ansible_port=22 ansible_ssh_port=2222 ansible_user=new ansible_ssh_user=olduser'));
  assert.deepEqual(connectionOf(inv.hosts.get('l1')!), { host: 'old', port: 2222, user: 'olduser', become: false });
  const bad = ini(lines('[laptops]', 'l1 ansible_port=22', '[laptops:vars]', 'ansible_ssh_port=22'));
  const h = { ...bad.hosts.get('l1')!, vars: { ...bad.hosts.get('l1')!.vars, ansible_ssh_port: 'x' } };
  assert.throws(() => connectionOf(h), /^InventoryError: hosts\.ini:4: host 'l1': ansible_ssh_port must be an integer/);
});

test('INI: a file with no extension holding a YAML mapping is read as YAML, other text as INI', () => {
  assert.deepEqual([...parseInventory('laptops:\n  hosts:\n    l1:\n', 'hosts').hosts.keys()], ['l1']);
  assert.deepEqual([...parseInventory('[laptops]\nl1\n', 'hosts').hosts.keys()], ['l1']);
  assert.deepEqual([...parseInventory('l1\nl2 a=1', 'hosts').hosts.keys()], ['l1', 'l2']);
});

test('a file with no extension that starts like YAML but is broken gets the YAML error, not an INI one', () => {
  assert.throws(() => parseInventory('all:\n  hosts:\n    a: [1,\n  vars: {}\n', 'hosts'), /^InventoryError: hosts:\d+: not valid YAML/);
  assert.throws(() => parseInventory('[laptops]\nl1 x\n', 'hosts'), /^InventoryError: hosts:2: expected key=value host variable/);
});

const badIni: Array<{ name: string; text: string; line: number; message: RegExp }> = [
  { name: 'unknown section type', text: lines('[laptops:hosts2]'), line: 1, message: /section \[laptops:hosts2\] has an unknown type/ },
  { name: 'section with a space', text: lines('[lap tops]'), line: 1, message: /invalid section '\[lap tops\]'/ },
  { name: 'host var without =', text: lines('[laptops]', 'l1 ansible_port 22'), line: 2, message: /expected key=value host variable, got 'ansible_port'/ },
  { name: ':vars line without =', text: lines('[laptops]', 'l1', '[laptops:vars]', 'justaword'), line: 4, message: /expected key=value in \[laptops:vars\], got 'justaword'/ },
  { name: ':vars of an undefined group', text: lines('[laptops]', 'l1', '[desktops:vars]', 'a=1'), line: 3, message: /section \[desktops:vars\] is for a group that is not defined: desktops/ },
  { name: ':children naming an undefined group', text: lines('[laptops:children]', 'office'), line: 2, message: /section \[laptops:children\] names a group that is not defined: office/ },
  { name: 'open quote', text: lines('[laptops]', 'l1 a="x'), line: 2, message: /cannot parse host line .*no closing quotation/ },
  { name: 'host ending in a colon', text: lines('[laptops]', 'l1:'), line: 2, message: /invalid host 'l1:'/ },
  { name: 'YAML document marker', text: lines('---', 'l1'), line: 1, message: /'---' is a sign of a YAML file/ },
  { name: 'bad range', text: lines('[laptops]', 'l[5:1]'), line: 2, message: /starts after it ends/ },
  { name: 'bad port', text: lines('[laptops]', 'l1 ansible_port=99999'), line: 2, message: /host 'l1': ansible_port must be an integer from 1 to 65535/ },
  { name: 'typo of a group', text: lines('[laptop]', 'l1'), line: 1, message: /unknown group 'laptop' \(did you mean 'laptops'\?\)/ },
  { name: 'group loop', text: lines('[a:children]', 'b', '[b:children]', 'a'), line: 4, message: /group 'b' is its own descendant \(b -> a -> b\)/ },
  { name: 'become password in the file', text: lines('[laptops]', 'l1 ansible_become_password=hunter2'), line: 2, message: /ansible_become_password is not read from a file .*BECOME_PASSWORD in the environment or \.env/ },
  { name: 'become password in :vars', text: lines('[laptops]', 'l1', '[laptops:vars]', 'ansible_become_pass=x'), line: 4, message: /ansible_become_pass is not read from a file/ },
  { name: 'SSH password in the file', text: lines('[laptops]', 'l1 ansible_ssh_pass=hunter2'), line: 2, message: /ansible_ssh_pass is not read from a file .*log in with a key/ },
  { name: 'group priority not a number', text: lines('[laptops]', 'l1', '[laptops:vars]', 'ansible_group_priority=high'), line: 4, message: /ansible_group_priority must be an integer/ },
];
for (const c of badIni) {
  test(`INI error: ${c.name}`, () => {
    assert.throws(() => ini(c.text), (err: unknown) => {
      assert.ok(err instanceof InventoryError, String(err));
      assert.equal(err.line, c.line);
      assert.match(err.message, c.message);
      assert.ok(err.message.startsWith(`hosts.ini:${c.line}: `), err.message);
      assert.ok(!err.message.includes('\n'), 'one line');
      assert.ok(!err.message.includes('hunter2'), 'the secret is not shown');
      return true;
    });
  });
}

// ---- vars files
test('parseVarsFile: YAML and JSON mappings, empty files, lines', () => {
  assert.deepEqual(parseVarsFile('a: 1\nb: yes\n', 'g.yml'), { file: 'g.yml', vars: { a: 1, b: true }, lines: { a: 1, b: 2 } });
  assert.deepEqual(parseVarsFile('{"a": [1]}', 'g.json').vars, { a: [1] });
  assert.deepEqual(parseVarsFile('# nothing\n', 'g.yml').vars, {});
});
const badVars: Array<[string, string, RegExp]> = [
  ['not YAML', 'a: [1,\nb: 2\n', /^group_vars\/laptops\.yml:\d+: not valid YAML/],
  ['a list', '- a\n- b\n', /^group_vars\/laptops\.yml:1: a vars file must be a mapping/],
  ['a scalar', 'just text\n', /^group_vars\/laptops\.yml:1: a vars file must be a mapping/],
  ['a bad port', 'x: 1\nansible_port: "abc"\n', /^group_vars\/laptops\.yml:2: ansible_port must be an integer/],
  ['a password', 'ansible_become_password: s3cret\n', /^group_vars\/laptops\.yml:1: ansible_become_password is not read from a file/],
  ['vault', '$ANSIBLE_VAULT;1.1;AES256\n6162\n', /^group_vars\/laptops\.yml:1: an Ansible Vault file/],
];
for (const [name, text, want] of badVars) {
  test(`parseVarsFile error: ${name}`, () => assert.throws(() => parseVarsFile(text, 'group_vars/laptops.yml'), (e: unknown) => e instanceof InventoryError && want.test(e.message) && !e.message.includes('\n') && !e.message.includes('s3cret')));
}

test('loadInventorySources: a group_vars file that is not YAML is named with its line; a missing source is named', () => {
  const dir = mkdtempSync(join(tmpdir(), 'inv-'));
  writeFileSync(join(dir, 'hosts'), '[laptops]\nl1\n');
  mkdirSync(join(dir, 'group_vars'));
  writeFileSync(join(dir, 'group_vars', 'laptops.yml'), 'ansible_user: alice\nbroken: [1,\n');
  assert.throws(() => loadInventorySources([join(dir, 'hosts')]), (e: unknown) => e instanceof InventoryError && e.file.endsWith('group_vars/laptops.yml') && /not valid YAML/.test(e.message));
  assert.throws(() => loadInventorySources([join(dir, 'nope')]), (e: unknown) => e instanceof InventoryReadError && /nope: cannot read the inventory \(no such file\)/.test(e.message));
  writeFileSync(join(dir, 'group_vars', 'laptops.yml'), 'ansible_user: alice\n');
  const inv = loadInventorySources([join(dir, 'hosts')]);
  assert.equal(inv.hosts.get('l1')?.vars['ansible_user'], 'alice');
  assert.deepEqual(inv.hosts.get('l1')?.origins['ansible_user'], { file: join(dir, 'group_vars', 'laptops.yml'), line: 1 });
  // a host list, as `-i 'h1,h2:2222,'`
  const list = loadInventorySources(['h1,h2:2222,']);
  assert.deepEqual([...list.hosts.keys()], ['h1', 'h2']);
  assert.equal(list.hosts.get('h2')?.vars['ansible_port'], 2222);
});

test('loadInventorySources: an executable inventory script is refused, not run', () => {
  const dir = mkdtempSync(join(tmpdir(), 'inv-'));
  writeFileSync(join(dir, 'dyn.py'), '#!/bin/sh\ntouch ran\n', { mode: 0o755 });
  assert.throws(() => loadInventorySources([join(dir, 'dyn.py')]), /dyn\.py:1: an executable inventory script: dynamic inventories are not run/);
});

// ---- host patterns
test('host patterns: splitting', () => {
  assert.deepEqual(splitHostPattern('laptops:!laptop3'), ['laptops', '!laptop3']);
  assert.deepEqual(splitHostPattern('a, b ,c'), ['a', 'b', 'c']);
  assert.deepEqual(splitHostPattern('web[1:3]'), ['web[1:3]']);
  assert.deepEqual(splitHostPattern('mailservers:&site1'), ['mailservers', '&site1']);
});
test('host patterns: no match is an empty list; a bad regex is a SelectionError', () => {
  const inv = ini(lines('[laptops]', 'l1', 'l2', '[mailservers]', 'm1'));
  assert.deepEqual(matchHosts(inv, 'desk*'), []);
  assert.deepEqual(matchHosts(inv, 'laptops:!l1'), ['l2']);
  assert.deepEqual(matchHosts(inv, '!l1'), ['l2', 'm1']);
  assert.throws(() => matchHosts(inv, '~(['), SelectionError);
});

// ---- ansible.cfg
test('ansible.cfg: the shared settings, paths against the file, key: value lines, environment wins', () => {
  const cfg = parseAnsibleCfg(lines(
    '[defaults]', 'inventory = ./hosts.ini, /etc/other', 'remote_user = admin', 'private_key_file: keys/id', 'host_key_checking = False',
    'timeout=7', 'forks = 3', '; a comment', '# another', '[privilege_escalation]', 'become = True', 'become_user = root', 'become_method = sudo',
    '[ssh_connection]', 'ssh_args = -o ProxyJump=bastion -o ServerAliveInterval=5',
  ), '/srv/proj/ansible.cfg', { ANSIBLE_FORKS: '9' });
  assert.deepEqual(cfg, {
    file: '/srv/proj/ansible.cfg', inventory: ['/srv/proj/hosts.ini', '/etc/other'], remoteUser: 'admin', privateKeyFile: '/srv/proj/keys/id',
    hostKeyChecking: false, timeout: 7, forks: 9, become: true, becomeUser: 'root', becomeMethod: 'sudo', sshArgs: '-o ProxyJump=bastion -o ServerAliveInterval=5',
  });
});
const badCfg: Array<[string, string, RegExp]> = [
  ['bad boolean', lines('[defaults]', 'remote_user = a', 'host_key_checking = maybe'), /^\/p\/ansible\.cfg:3: \[defaults\] host_key_checking: must be a boolean .*not "maybe"$/],
  ['bad forks', lines('[defaults]', 'forks = many'), /^\/p\/ansible\.cfg:2: \[defaults\] forks: must be a whole number/],
  ['zero timeout', lines('[defaults]', 'timeout = 0'), /^\/p\/ansible\.cfg:2: \[defaults\] timeout: must be a whole number of at least 1/],
  ['become_method su', lines('[privilege_escalation]', 'become = yes', 'become_method = su'), /^\/p\/ansible\.cfg:3: \[privilege_escalation\] become_method: become_method 'su' is not supported/],
];
for (const [name, text, want] of badCfg) {
  test(`ansible.cfg error: ${name}`, () => assert.throws(() => parseAnsibleCfg(text, '/p/ansible.cfg', {}), (e: unknown) => e instanceof AnsibleCfgError && want.test(e.message)));
}
test('ansible.cfg defaults reach the connection; inventory vars win', () => {
  const inv = ini(lines('[laptops]', 'l1', 'l2 ansible_user=bob ansible_become=no ansible_ssh_private_key_file=/k2'));
  const d = { user: 'admin', privateKeyFile: '/k', become: true, becomeUser: 'root', sshArgs: '-o ProxyJump=b' };
  assert.deepEqual(connectionOf(inv.hosts.get('l1')!, undefined, d), { host: 'l1', port: 22, user: 'admin', become: true, privateKeyFile: '/k', becomeUser: 'root', sshArgs: '-o ProxyJump=b' });
  assert.deepEqual(connectionOf(inv.hosts.get('l2')!, undefined, d), { host: 'l2', port: 22, user: 'bob', become: false, privateKeyFile: '/k2', becomeUser: 'root', sshArgs: '-o ProxyJump=b' });
});
test('connectionOf: a bad connection var from a group_vars file is named by that file and line', () => {
  const inv = ini(lines('[laptops]', 'l1'));
  const h = { ...inv.hosts.get('l1')!, vars: { ansible_port: 'x' }, origins: { ansible_port: { file: 'group_vars/laptops.yml', line: 4 } } };
  assert.throws(() => connectionOf(h), /^InventoryError: group_vars\/laptops\.yml:4: host 'l1': ansible_port must be an integer/);
});

test('parseAddress: names that the quick ASCII check takes or leaves give what the full pattern gives', () => {
  const cases: Array<[string, string | undefined]> = [
    ['a', 'a'], ['mail.example.org', 'mail.example.org'], ['_a', '_a'], ['a_b-c', 'a_b-c'], ['198.18.0.21', '198.18.0.21'], ['laptop1', 'laptop1'],
    ['a-', undefined], ['a_', undefined], ['-a', undefined], ['a..b', undefined], ['a.-b', undefined], ['a b', undefined], ['.a', undefined], ['a.', undefined],
    ['ümlaut.example', 'ümlaut.example'], ['host[1:3]', 'host[1:3]'], ['2001:db8::1', '2001:db8::1'],
  ];
  for (const [name, host] of cases) assert.equal(parseAddress(name)?.host, host, name);
});
