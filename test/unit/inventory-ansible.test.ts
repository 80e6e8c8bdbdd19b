// The inventory as this tool reads it, against Ansible itself (Debian's ansible-core): on a table of
// inventories (INI and YAML and JSON, ranges, children, vars at every level, group_vars/ and
// host_vars/, folders, several -i), `npm run inventory -- --list` must print what
// `ansible-inventory --list` prints (parsed JSON deep-equal), `--graph` the same text, `--host`
// the same vars, and host patterns must select what `ansible PATTERN --list-hosts` selects.
// Without ansible-inventory the test is skipped, except under CI=true, where it fails.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { loadInventorySources, matchHosts } from '../../lib/inventory.js';

const run = promisify(execFile);
const root = fileURLToPath(new URL('../../../', import.meta.url));
const FIX = join(root, 'test', 'unit', 'fixtures', 'inventories');
const script = join(root, 'dist', 'scripts', 'inventory.js');
// an empty ansible.cfg, so that no ansible.cfg of the machine changes what either side reads
const cfgDir = mkdtempSync(join(tmpdir(), 'str-ansible-cfg-'));
writeFileSync(join(cfgDir, 'ansible.cfg'), '');
const env = {
  ...process.env,
  ANSIBLE_CONFIG: join(cfgDir, 'ansible.cfg'),
  ANSIBLE_INVENTORY_UNPARSED_FAILED: 'true',
  ANSIBLE_NOCOLOR: '1',
  ANSIBLE_LOCAL_TEMP: join(cfgDir, 'tmp'),
  ANSIBLE_HOME: join(cfgDir, 'home'),
  INVENTORY: '',
};

async function have(cmd: string): Promise<boolean> {
  try {
    await run(cmd, ['--version'], { env });
    return true;
  } catch {
    return false;
  }
}
const ansibleThere = await have('ansible-inventory');
const skip = !ansibleThere && process.env.CI !== 'true' ? 'ansible-inventory is not installed (apt-get install ansible-core)' : false;

test('ansible-inventory is there (CI installs ansible-core)', { skip }, () => {
  assert.ok(ansibleThere, 'ansible-inventory must be installed under CI=true (.ci/run installs ansible-core)');
});

// graphVars: also compare `--graph --vars` (Python's repr of values); not for ini-full, whose tuple
// and integer dict key print as a list and a string key (JSON has neither)
const cases: Array<{ name: string; sources: string[]; hosts: string[]; graphVars?: boolean }> = [
  { name: 'INI: ungrouped, ranges with steps and letters, ports, inline Python literals, :vars, :children declared later, comments, last line without newline', sources: ['ini-full/hosts'], hosts: ['loose2', 'laptop01', 'tail-host', 'no-newline-host2'] },
  { name: 'YAML: vars at every level, ansible_group_priority, group_vars/ (file without extension first, folder of files) and host_vars/', sources: ['yaml-vars/inventory.yml'], hosts: ['laptop1', 'laptop3', 'mail1', 'solo'], graphVars: true },
  { name: 'folder: YAML and INI files, a subfolder; .ini, .md, hidden and backup files skipped; its group_vars/ and host_vars/', sources: ['folder'], hosts: ['laptop1', 'laptop3'], graphVars: true },
  { name: 'INI edge cases: explicit [ungrouped], tabs, a host in two groups (a :PORT the second time is ignored), IPv6 and IPv4 ranges, [all:children], a diamond of children, = in values, priorities, non-ASCII', sources: ['ini-edge/inventory.ini'], hosts: ['dup', 'leafhost', '2001:db8::1', 'web.example.org'], graphVars: true },
  { name: 'JSON inventory', sources: ['json/inv.json'], hosts: ['laptop2'], graphVars: true },
  { name: 'the example inventory/hosts.ini', sources: [join(root, 'inventory', 'hosts.ini')], hosts: ['laptop1'] },
  { name: 'the example inventory/hosts.yml', sources: [join(root, 'inventory', 'hosts.yml')], hosts: ['laptop1'] },
  { name: 'two -i: INI then YAML, each with its group_vars/ (the later source wins)', sources: ['multi/a/hosts.ini', 'multi/b/hosts.yml'], hosts: ['laptop2'] },
];

const iArgs = (sources: string[]): string[] => sources.flatMap((s) => ['-i', s.startsWith('/') ? s : join(FIX, s)]);

for (const c of cases) {
  test(`ansible-inventory --list, --graph, --host: ${c.name}`, { skip }, async () => {
    const [theirs, ours] = await Promise.all([
      run('ansible-inventory', [...iArgs(c.sources), '--list'], { env }),
      run(process.execPath, [script, ...iArgs(c.sources), '--list'], { env }),
    ]);
    const a = JSON.parse(ours.stdout) as Record<string, unknown>;
    const b = JSON.parse(theirs.stdout) as Record<string, unknown>;
    assert.deepEqual(a, b);
    assert.ok(Object.keys((b._meta as { hostvars: object }).hostvars).length > 0, 'the case has host vars to compare');
    const [tg, og] = await Promise.all([
      run('ansible-inventory', [...iArgs(c.sources), '--graph'], { env }),
      run(process.execPath, [script, ...iArgs(c.sources), '--graph'], { env }),
    ]);
    assert.equal(og.stdout, tg.stdout);
    if (c.graphVars) {
      const [tv, ov] = await Promise.all([
        run('ansible-inventory', [...iArgs(c.sources), '--graph', '--vars'], { env }),
        run(process.execPath, [script, ...iArgs(c.sources), '--graph', '--vars'], { env }),
      ]);
      assert.match(tv.stdout, /\{\w+ = /, 'the graph shows vars');
      assert.equal(ov.stdout, tv.stdout, '--graph --vars');
    }
    for (const h of c.hosts) {
      const [th, oh] = await Promise.all([
        run('ansible-inventory', [...iArgs(c.sources), '--host', h], { env }),
        run(process.execPath, [script, ...iArgs(c.sources), '--host', h], { env }),
      ]);
      assert.deepEqual(JSON.parse(oh.stdout), JSON.parse(th.stdout), `--host ${h}`);
    }
  });
}

const patterns: Array<{ sources: string[]; patterns: string[] }> = [
  {
    sources: ['ini-full/hosts'],
    patterns: [
      'all', 'laptop*', 'laptops:!laptop03', 'laptops:!office', 'site1:&laptops', 'mailservers:&site1', '~laptop0[13]', '~mail.*\\.example',
      'laptops,mailservers', 'laptops:mailservers', '!laptops', 'laptops[0]', 'laptops[-1]', 'laptops[1:3]', 'mail[2:3].example.org',
      'loose1,loose2', '*.example.org', 'ungrouped', 'laptop-?', 'laptop-[ab]', 'office:!laptop-b:&laptops',
    ],
  },
  { sources: ['yaml-vars/inventory.yml'], patterns: ['laptops:&alpha', 'laptops:!office', 'all:!laptops', 'office', 'lap*:!laptop2', 'solo,mail2'] },
  { sources: ['folder'], patterns: ['laptops', 'desktops,mailservers', 'all:!desk1'] },
  { sources: ['ini-edge/inventory.ini'], patterns: ['top', 'top[1:3]', '~.*host', '2001:db8::1', 'web-servers:&db.servers', 'mid*:!leaf', '192.0.2.*', 'leaf,dup'] },
];

for (const p of patterns) {
  test(`host patterns as ansible --list-hosts: ${p.sources.join(' ')}`, { skip }, async () => {
    const inv = loadInventorySources(p.sources.map((s) => join(FIX, s)));
    // two ansible processes at a time (each takes about a second to start)
    const queue = [...p.patterns];
    const worker = async (): Promise<void> => {
      for (let pattern = queue.shift(); pattern !== undefined; pattern = queue.shift()) {
        const r = await run('ansible', [...iArgs(p.sources), pattern, '--list-hosts'], { env });
        const theirs = r.stdout.split('\n').slice(1).map((l) => l.trim()).filter(Boolean);
        assert.match(r.stdout, /^\s+hosts \(\d+\):/, `ansible printed a host list for ${pattern}`);
        assert.deepEqual(matchHosts(inv, pattern), theirs, `pattern ${pattern}`);
      }
    };
    await Promise.all([worker(), worker()]);
  });
}
