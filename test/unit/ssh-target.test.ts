// An inventory host's Target: the inventory's vars win over ssh_config (as Ansible's ssh command
// line does), ansible_host is the name looked up, ProxyJump from ssh_config or the args vars, each
// jump host resolved through ssh_config.
import test from 'node:test';
import assert from 'node:assert/strict';
import { resolveTarget, splitArgs, jumpNamesToCheck } from '../../lib/ssh/target.js';
import type { SshConfigIo } from '../../lib/ssh/config.js';
import { readOnce } from '../../lib/ssh/io.js';

function io(files: Record<string, string>): SshConfigIo {
  return { read: (p) => files[p], glob: () => [], home: '/home/admin', localUser: 'admin' };
}
const CONFIG = `Host laptop1
  HostName 198.18.4.21
  Port 2222
  User cfguser
  IdentityFile ~/.ssh/laptop_key
  ProxyJump bastion
Host bastion
  HostName 198.18.4.5
  User jumper
  IdentityFile ~/.ssh/jump_key
  IdentitiesOnly yes
  UserKnownHostsFile ~/.ssh/known_hosts_jump
Host far
  ProxyJump bastion
Host pc
  ProxyCommand ssh -W %h:%p bastion
Host *
  StrictHostKeyChecking accept-new
`;
const ctx = { io: io({ '/home/admin/.ssh/config': CONFIG }) };
const conn = (o: Partial<{ host: string; port: number; user: string; privateKeyFile: string }> = {}) => ({ host: 'laptop1', port: 22, user: 'root', become: false, ...o });

test('ssh_config fills what the inventory leaves out', () => {
  const t = resolveTarget('laptop1', {}, conn(), 'inv.yml:3', ctx);
  assert.equal(t.host, '198.18.4.21');
  assert.equal(t.port, 2222);
  assert.equal(t.user, 'cfguser');
  assert.deepEqual(t.identityFiles, ['/home/admin/.ssh/laptop_key']);
  assert.equal(t.acceptNewHostKey, true);
  assert.equal(t.jumps?.length, 1);
  assert.deepEqual(
    { name: t.jumps![0]!.name, host: t.jumps![0]!.host, port: t.jumps![0]!.port, user: t.jumps![0]!.user, keys: t.jumps![0]!.identityFiles, only: t.jumps![0]!.identitiesOnly, kh: t.jumps![0]!.knownHostsFiles },
    { name: 'bastion', host: '198.18.4.5', port: 22, user: 'jumper', keys: ['/home/admin/.ssh/jump_key'], only: true, kh: ['/home/admin/.ssh/known_hosts_jump'] },
  );
});

test('the inventory wins over ssh_config', () => {
  const vars = { ansible_port: 2200, ansible_user: 'invuser', ansible_ssh_private_key_file: '/k' };
  const t = resolveTarget('laptop1', vars, conn({ port: 2200, user: 'invuser', privateKeyFile: '/k' }), 'inv.yml:3', ctx);
  assert.equal(t.port, 2200);
  assert.equal(t.user, 'invuser');
  assert.equal(t.privateKeyFile, '/k');
  assert.deepEqual(t.identityFiles, ['/home/admin/.ssh/laptop_key'], 'ssh_config keys are offered after the inventory key');
});

test("ansible.cfg's remote_user counts as set (Ansible passes -o User=)", () => {
  const t = resolveTarget('laptop1', {}, { ...conn({ user: 'cfguser2' }), userSet: true }, 'inv.yml:3', ctx);
  assert.equal(t.user, 'cfguser2');
});

test('ansible_host is the name ssh looks up', () => {
  const t = resolveTarget('laptop1', { ansible_host: '10.9.8.7' }, conn({ host: '10.9.8.7' }), 'inv.yml:3', ctx);
  assert.equal(t.host, '10.9.8.7');
  assert.equal(t.port, 22);
  assert.equal(t.jumps, undefined, 'Host laptop1 does not match 10.9.8.7');
  const alias = resolveTarget('mailserver', { ansible_host: 'laptop1' }, conn({ host: 'laptop1' }), 'inv.yml:9', ctx);
  assert.equal(alias.host, '198.18.4.21');
});

test('ansible_ssh_common_args and ansible_ssh_extra_args', () => {
  const t = resolveTarget('x', { ansible_ssh_common_args: '-o StrictHostKeyChecking=yes -o "ProxyJump=root@10.0.0.1:2022,bastion"' }, conn({ host: 'x' }), 'inv.yml:4', ctx);
  assert.equal(t.acceptNewHostKey, undefined, '-o StrictHostKeyChecking=yes came first');
  assert.deepEqual(t.jumps!.map((j) => `${j.user}@${j.host}:${j.port}`), ['root@10.0.0.1:2022', 'jumper@198.18.4.5:22']);
  const e = resolveTarget('x', { ansible_ssh_extra_args: '-J far' }, conn({ host: 'x' }), 'inv.yml:4', ctx);
  assert.deepEqual(e.jumps!.map((j) => j.name), ['bastion', 'far'], "far's own ProxyJump: far is reached through bastion");
  // only the first hop's own ProxyJump counts: laptop1's (bastion) does not, it is reached through far
  assert.deepEqual(resolveTarget('y', { ansible_ssh_extra_args: '-J far,laptop1' }, conn({ host: 'y' }), 'inv.yml:5', ctx).jumps!.map((j) => j.name), ['bastion', 'far', 'laptop1']);
  assert.throws(() => resolveTarget('x', { ansible_ssh_common_args: '-o' }, conn({ host: 'x' }), 'inv.yml:4', ctx), /^SshConfigError: inv.yml:4: ansible_ssh_common_args of x: ssh option -o needs an argument$/);
});

test('ProxyCommand with tokens, ProxyJump loops, unknown jump names', () => {
  const t = resolveTarget('pc', {}, conn({ host: 'pc' }), 'inv.yml:6', ctx);
  assert.equal(t.proxyCommand, 'ssh -W pc:22 bastion');
  assert.equal(t.proxyFrom, '/home/admin/.ssh/config:16');
  const loop = { io: io({ '/home/admin/.ssh/config': 'Host a\n  ProxyJump b\nHost b\n  ProxyJump a\n' }) };
  assert.throws(() => resolveTarget('a', {}, conn({ host: 'a' }), 'inv.yml:1', loop), /ProxyJump loop/);
  const u = resolveTarget('x', { ansible_ssh_common_args: '-J nosuch,10.1.1.1' }, conn({ host: 'x' }), 'inv.yml:4', ctx);
  assert.deepEqual(jumpNamesToCheck(u).map((j) => j.name), ['nosuch']);
});

test('-F in the args, or --ssh-config, replaces both config files', () => {
  const files = { '/home/admin/.ssh/config': CONFIG, '/etc/ssh/ssh_config': 'Host *\n  Port 1\n', '/cfg': 'Host x\n  Port 3\n' };
  assert.equal(resolveTarget('x', {}, conn({ host: 'x' }), 'i', { io: io(files) }).port, 1, 'the system file is read after the user file');
  assert.equal(resolveTarget('x', { ansible_ssh_args: '-F /cfg' }, conn({ host: 'x' }), 'i', { io: io(files) }).port, 3);
  assert.equal(resolveTarget('x', {}, conn({ host: 'x' }), 'i', { io: io(files), configFile: '/cfg' }).port, 3);
});

test('args split as shlex does', () => {
  assert.deepEqual(splitArgs(`-o ProxyCommand="ssh -W %h:%p -q root@j" -o 'User=a b' $HOME`), ['-o', 'ProxyCommand=ssh -W %h:%p -q root@j', '-o', 'User=a b', '$HOME']);
});

test('an args text is split once a run; each caller gets its own words', () => {
  const text = '-o StrictHostKeyChecking=yes -o UserKnownHostsFile=/tmp/kh';
  const a = splitArgs(text);
  a.push('-o', 'User=mallory');
  assert.deepEqual(splitArgs(text), ['-o', 'StrictHostKeyChecking=yes', '-o', 'UserKnownHostsFile=/tmp/kh']);
});

test('100 hosts of a run read each ssh_config file and expand each Include once, and resolve as before', () => {
  const reads: string[] = [];
  const globs: string[] = [];
  const files: Record<string, string> = {
    '/home/admin/.ssh/config': CONFIG + 'Include ~/.ssh/conf.d/*.conf\n',
    '/home/admin/.ssh/conf.d/a.conf': 'Host laptop99\n  Port 2299\n',
    '/etc/ssh/ssh_config': 'Host *\n  ServerAliveInterval 5\n',
  };
  const counting: SshConfigIo = {
    read: (p) => (reads.push(p), files[p]),
    glob: (g) => (globs.push(g), g.endsWith('/conf.d/*.conf') ? ['/home/admin/.ssh/conf.d/a.conf'] : []),
    home: '/home/admin',
    localUser: 'admin',
  };
  const once = { io: readOnce(counting) };
  // the same files, read afresh for every host (not counted)
  const plain = { io: { ...counting, read: (p: string) => files[p], glob: () => ['/home/admin/.ssh/conf.d/a.conf'] } };
  for (let i = 1; i <= 100; i++) {
    const c = conn({ host: `laptop${i}` });
    assert.deepEqual(resolveTarget(`laptop${i}`, {}, c, 'inv:1', once), resolveTarget(`laptop${i}`, {}, c, 'inv:1', plain));
  }
  assert.equal(resolveTarget('laptop99', {}, conn({ host: 'laptop99' }), 'inv:1', once).port, 2299);
  assert.deepEqual([...reads].sort(), ['/etc/ssh/ssh_config', '/home/admin/.ssh/conf.d/a.conf', '/home/admin/.ssh/config']);
  assert.equal(globs.length, 1);
});
