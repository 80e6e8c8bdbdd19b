// An admin's own Ansible set-up, end to end on the lab: an INI inventory with group_vars/ (written
// here from the lab's own inventory.yml), --list-hosts, and --limit choosing which hosts deploy and
// pair touch. "Relays" is proven by the server's log (verify=OK); untouched hosts keep every file.
import test from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import YAML from 'yaml';
import { requireLab, labUp, labReset, labPaths, sendTestMail } from './helpers.js';
import { tool, recap, etcMailSums } from './tool.js';

const HOSTS = ['mailserver', 'laptop1', 'laptop2', 'laptop3'];

type LabHost = Record<string, string | number>;

/** The lab's inventory as INI + group_vars/: connection settings in group_vars, the rest inline. */
function writeIniInventory(): string {
  const lab = YAML.parse(readFileSync(labPaths.inventory, 'utf8')) as {
    all: { vars: Record<string, unknown>; children: Record<string, { hosts: Record<string, LabHost> }> };
  };
  const servers = lab.all.children.mailservers!.hosts;
  const laptops = lab.all.children.laptops!.hosts;
  const any = Object.values(servers)[0]!;
  const dir = mkdtempSync(join(tmpdir(), 'str-ini-'));
  const line = (name: string, h: LabHost) => `${name} ansible_host=${h.ansible_host} fqdn=${h.fqdn}`;
  writeFileSync(
    join(dir, 'hosts'),
    [
      '# the lab, as an admin would keep it: Ansible INI format',
      '[mailservers]',
      ...Object.entries(servers).map(([n, h]) => line(n, h)),
      '',
      '[laptops]',
      // only this test's hosts: the lab may run others (another test's laptop9)
      ...Object.entries(laptops).filter(([n]) => HOSTS.includes(n)).map(([n, h]) => line(n, h)),
      '',
      '[office]',
      'laptop1',
      'laptop2',
      '',
      '[office:vars]',
      'smarthost=mailserver ; a comment is part of an INI value, so this line is refused as a smarthost below',
    ].join('\n'),
  );
  mkdirSync(join(dir, 'group_vars', 'all'), { recursive: true });
  writeFileSync(
    join(dir, 'group_vars', 'all', '10-connection.yml'),
    YAML.stringify({
      ansible_user: any.ansible_user,
      ansible_port: any.ansible_port,
      ansible_ssh_private_key_file: any.ansible_ssh_private_key_file,
      ansible_ssh_common_args: any.ansible_ssh_common_args,
    }),
  );
  writeFileSync(join(dir, 'group_vars', 'all', '20-lab.yml'), YAML.stringify(lab.all.vars));
  // group_vars/ override the inventory's [office:vars] (Ansible's precedence): the broken value above never reaches a host
  writeFileSync(join(dir, 'group_vars', 'office.yml'), 'smarthost: mailserver\n');
  return join(dir, 'hosts');
}

test('an INI inventory with group_vars, --list-hosts and --limit', { timeout: 15 * 60_000 }, async (t) => {
  if (!(await requireLab(t))) return;
  await labUp(HOSTS);
  await labReset(HOSTS);
  const inv = writeIniInventory();
  const sums = () => Object.fromEntries(HOSTS.map((h) => [h, etcMailSums(h)]));

  await t.test('--list-hosts shows what deploy --limit would touch, and touches nothing', async () => {
    const before = sums();
    const r = await tool('deploy', ['-i', inv, '--limit', 'mailservers:office:!laptop2', '--list-hosts']);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.equal(r.stdout, '  hosts (2):\n    mailserver\n    laptop1\n');
    assert.deepEqual(sums(), before);
  });

  await t.test('deploy --limit: only the matching hosts are contacted and changed; laptop1 relays, laptop2 is refused', async () => {
    const before = sums();
    const d = await tool('deploy', ['-i', inv, '--limit', 'mailservers:office:!laptop2']);
    assert.equal(d.code, 0, d.stdout + d.stderr);
    const rc = recap(d.stdout);
    assert.deepEqual(Object.keys(rc).sort(), ['laptop1', 'mailserver'], d.stdout);
    assert.ok(rc.mailserver!.changed > 0 && rc.laptop1!.changed > 0, d.stdout);
    const after = sums();
    assert.deepEqual(after.laptop2, before.laptop2, 'laptop2 untouched');
    assert.deepEqual(after.laptop3, before.laptop3, 'laptop3 untouched');
    const r1 = await sendTestMail('laptop1');
    assert.equal(r1.relayed, true, `${r1.laptopLines.join('\n')}\n${r1.serverLines.join('\n')}`);
    assert.equal(r1.verify, 'OK', r1.serverLines.join('\n'));
    const r2 = await sendTestMail('laptop2');
    assert.equal(r2.relayed, false, r2.serverLines.join('\n'));
    assert.ok(r2.serverLines.some((l) => /Relaying denied/.test(l)), r2.serverLines.join('\n'));
  });

  await t.test('pair --limit: only laptop2 is changed, its server is only read; laptop2 relays, laptop3 is still refused', async () => {
    const before = sums();
    const p = await tool('pair', ['-i', inv, '--limit', 'laptop*:!laptop1:!laptop3']);
    assert.equal(p.code, 0, p.stdout + p.stderr);
    const rc = recap(p.stdout);
    assert.deepEqual(Object.keys(rc), ['laptop2'], p.stdout);
    assert.ok(rc.laptop2!.changed > 0, p.stdout);
    const after = sums();
    for (const h of ['mailserver', 'laptop1', 'laptop3']) assert.deepEqual(after[h], before[h], `${h} untouched`);
    const r2 = await sendTestMail('laptop2');
    assert.equal(r2.relayed, true, `${r2.laptopLines.join('\n')}\n${r2.serverLines.join('\n')}`);
    assert.equal(r2.verify, 'OK', r2.serverLines.join('\n'));
    const r3 = await sendTestMail('laptop3');
    assert.equal(r3.relayed, false, r3.serverLines.join('\n'));
  });

  await t.test("ansible.cfg gives the inventory, the user and the key: status reads every host with no -i; a wrong remote_user is used too", async () => {
    const lab = YAML.parse(readFileSync(labPaths.inventory, 'utf8')) as { all: { children: Record<string, { hosts: Record<string, LabHost> }> } };
    const dir = mkdtempSync(join(tmpdir(), 'str-cfg-'));
    // the hosts of this test (the lab may run more: its inventory lists every running host)
    const section = (g: string) => [`[${g}]`, ...Object.entries(lab.all.children[g]!.hosts).filter(([n]) => HOSTS.includes(n)).map(([n, h]) => `${n} ansible_host=${h.ansible_host} fqdn=${h.fqdn}`)];
    writeFileSync(join(dir, 'hosts'), [...section('mailservers'), ...section('laptops')].join('\n') + '\n');
    const cfg = (user: string) => {
      const f = join(dir, `${user}.cfg`);
      writeFileSync(f, `[defaults]\ninventory = ./hosts\nremote_user = ${user}\nprivate_key_file = ${labPaths.key}\ntimeout = 5\n`);
      return f;
    };
    const before = sums();
    const ok = await tool('status', ['--known-hosts', labPaths.knownHosts, '--json'], { lab: false, env: { ANSIBLE_CONFIG: cfg('root'), INVENTORY: '' } });
    const rows = (JSON.parse(ok.stdout) as { hosts: Record<string, { role: string }> }).hosts;
    assert.deepEqual(Object.keys(rows).sort(), [...HOSTS].sort(), ok.stdout + ok.stderr);
    for (const [h, row] of Object.entries(rows)) assert.ok(row.role === 'server' || row.role === 'laptop', `${h}: ${JSON.stringify(row)}`);
    const bad = await tool('status', ['--known-hosts', labPaths.knownHosts, '--json', '--limit', 'laptop3'], { lab: false, env: { ANSIBLE_CONFIG: cfg('nosuchuser'), INVENTORY: '' } });
    assert.match(JSON.stringify(JSON.parse(bad.stdout)), /nosuchuser/, bad.stdout + bad.stderr);
    assert.deepEqual(sums(), before, 'status changes nothing');
  });

  await t.test('status and verify --limit act on the matching laptops only', async () => {
    const v = await tool('verify', ['-i', inv, '--limit', 'office']);
    assert.equal(v.code, 0, v.stdout + v.stderr);
    assert.deepEqual(Object.keys(recap(v.stdout)).sort(), ['laptop1', 'laptop2'], v.stdout);
    const s = await tool('status', ['-i', inv, '--limit', 'laptop3', '--json']);
    const hosts = Object.keys((JSON.parse(s.stdout) as { hosts: object }).hosts);
    assert.deepEqual(hosts, ['laptop3']);
  });
});
