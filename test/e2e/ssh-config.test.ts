// SSH as `ssh HOST` connects: laptops the machine cannot reach (a prohibit route per laptop), only
// through the lab's jump host, configured once in an ssh_config file (alias, port, user, key,
// IdentitiesOnly, UserKnownHostsFile, ProxyJump, ProxyCommand) and once in the inventory
// (ansible_ssh_common_args -o ProxyJump=…, ansible_ssh_extra_args -J …): deploy + pair + verify
// work and a laptop relays (server log verify=OK). Then the bad inputs: an Include loop, an unknown
// jump host, a jump host whose key is unknown or changed, a ProxyCommand that exits, a wrong key
// with IdentitiesOnly: one line naming file:line or host, the README's exit code, no change anywhere.
import test from 'node:test';
import assert from 'node:assert/strict';
import { spawn, execFileSync } from 'node:child_process';
import { connect } from 'node:net';
import { copyFileSync, chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { requireLab, labUp, labReset, hostExec, hostAddress, labPaths, sendTestMail, logCursor } from './helpers.js';
import { labIsolate, labUnisolate, labIsolated, labDown } from '../../lab/lab.js';
import { tool, recap, etcMailSums } from './tool.js';

const HOSTS = ['mailserver', 'jumphost', 'laptop1', 'laptop2'];
const LAPTOPS = ['laptop1', 'laptop2'];

/** Whether the machine can open a TCP connection to host:22 (EACCES from the prohibit route: no). */
function reachable(host: string): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect({ host: hostAddress(host), port: 22, timeout: 3000 });
    s.on('connect', () => (s.destroy(), resolve(true)));
    s.on('error', () => resolve(false));
    s.on('timeout', () => (s.destroy(), resolve(false)));
  });
}

/** An ssh-agent holding the lab key, as an admin's session has. */
function startAgent(dir: string): { sock: string; stop: () => void } {
  const sock = join(dir, 'agent.sock');
  const agent = spawn('ssh-agent', ['-D', '-a', sock], { stdio: 'ignore' });
  for (let i = 0; i < 50; i++) {
    try {
      execFileSync('ssh-add', ['-q', labPaths.key], { env: { ...process.env, SSH_AUTH_SOCK: sock }, stdio: 'pipe' });
      return { sock, stop: () => agent.kill() };
    } catch {
      execFileSync('sleep', ['0.1']);
    }
  }
  agent.kill();
  throw new Error('ssh-agent did not start');
}

async function relays(laptop: string): Promise<void> {
  const r = await sendTestMail(laptop);
  assert.ok(r.relayed, `${laptop} relayed:\n${r.laptopLines.join('\n')}\n${r.serverLines.join('\n')}`);
  assert.equal(r.verify, 'OK', r.serverLines.join('\n'));
  assert.ok(!r.serverLines.some((l) => /Relaying denied/.test(l)), r.serverLines.join('\n'));
}

test('laptops reachable only through the jump host', { timeout: 15 * 60_000 }, async (t) => {
  if (!(await requireLab(t))) return;
  await labUp(HOSTS);
  await labReset(HOSTS);
  const dir = mkdtempSync(join(tmpdir(), 'str-sshcfg-e2e-'));
  const agent = startAgent(dir);
  const M = hostAddress('mailserver');
  const J = hostAddress('jumphost');
  try {
    await labIsolate(LAPTOPS);
    assert.deepEqual(labIsolated().sort(), LAPTOPS);
    for (const l of LAPTOPS) assert.equal(await reachable(l), false, `the machine cannot reach ${l}`);
    assert.equal(await reachable('jumphost'), true);
    const fromJump = await hostExec('jumphost', `exec 3<>/dev/tcp/${hostAddress('laptop1')}/22 && head -c 4 <&3`);
    assert.equal(fromJump.stdout, 'SSH-', 'the jump host reaches laptop1');

    // The mail server: a second sshd on port 2222 that lets only `relayadmin` in (sudo, no password)
    const setup = await hostExec(
      'mailserver',
      'set -e; useradd -m -s /bin/sh relayadmin; echo "relayadmin ALL=(ALL:ALL) NOPASSWD: ALL" > /etc/sudoers.d/relayadmin; ' +
        'install -d -o relayadmin -m 0700 /home/relayadmin/.ssh; cat > /home/relayadmin/.ssh/authorized_keys; chown relayadmin /home/relayadmin/.ssh/authorized_keys; ' +
        'sed "s/^#\\?Port .*//" /etc/ssh/sshd_config > /etc/ssh/sshd_config2; printf "Port 2222\\nAllowUsers relayadmin\\nPidFile /run/sshd2.pid\\n" >> /etc/ssh/sshd_config2; ' +
        '/usr/sbin/sshd -f /etc/ssh/sshd_config2',
      readFileSync(labPaths.publicKey, 'utf8'),
    );
    assert.equal(setup.code, 0, setup.stdout + setup.stderr);
    const key = join(dir, 'admin_key'); // the key under another name: IdentityFile is what finds it
    copyFileSync(labPaths.key, key);
    chmodSync(key, 0o600);
    const kh = join(dir, 'known_hosts');
    const labKh = readFileSync(labPaths.knownHosts, 'utf8');
    const mailKey = labKh.split('\n').find((l) => l.startsWith(`${M},`) && l.includes('ssh-ed25519'))!.split(' ').slice(1).join(' ');
    writeFileSync(kh, labKh + `[${M}]:2222 ${mailKey}\n`);

    await t.test('through an ssh_config file: alias, port, user, key, IdentitiesOnly, ProxyJump, ProxyCommand', async () => {
      const cfg = join(dir, 'ssh_config');
      const inc = join(dir, 'lab.conf');
      writeFileSync(
        cfg,
        `# the admin's ~/.ssh/config\nInclude ${inc}\nHost *\n  UserKnownHostsFile ${kh}\n  StrictHostKeyChecking yes\n`,
      );
      writeFileSync(
        inc,
        `Host mail\n  HostName ${M}\n  Port 2222\n  User relayadmin\n  IdentityFile ${dir}/admin_%r\n  IdentityFile ${key}\n  IdentitiesOnly yes\n` +
          `Host bastion\n  HostName ${J}\n  User root\n  IdentityFile ${key}\n  IdentitiesOnly yes\n` +
          `Host lap1\n  HostName ${hostAddress('laptop1')}\n  ProxyJump bastion\n` +
          `Host lap2\n  HostName ${hostAddress('laptop2')}\n` +
          `  ProxyCommand ssh -F /dev/null -i ${key} -o IdentitiesOnly=yes -o UserKnownHostsFile=${kh} -o StrictHostKeyChecking=yes -o BatchMode=yes -W %h:%p root@${J}\n` +
          `Host lap*\n  User root\n  IdentityFile ${key}\n`,
      );
      const inv = join(dir, 'inventory-sshconfig.yml');
      writeFileSync(
        inv,
        'all:\n  children:\n    mailservers:\n      hosts:\n        mailserver: { ansible_host: mail, ansible_become: true }\n' +
          '    laptops:\n      hosts:\n        laptop1: { ansible_host: lap1 }\n        laptop2: { ansible_host: lap2 }\n',
      );
      const env = { SSH_AUTH_SOCK: '' }; // keys from ssh_config only
      const log = logCursor('mailserver');
      const deploy = await tool('deploy', ['-i', inv, '--ssh-config', cfg, '--host', 'mailserver'], { lab: false, env });
      assert.equal(deploy.code, 0, deploy.stdout + deploy.stderr);
      assert.ok(recap(deploy.stdout).mailserver.changed > 0, deploy.stdout);
      assert.ok(log().some((l) => /sshd\[\d+\]: Accepted publickey for relayadmin from/.test(l)), 'logged in as relayadmin on the port-2222 sshd (it lets no one else in)');
      const pair = await tool('pair', ['-i', inv, '--ssh-config', cfg, ...LAPTOPS], { lab: false, env });
      assert.equal(pair.code, 0, pair.stdout + pair.stderr);
      assert.ok(recap(pair.stdout).laptop1.changed > 0 && recap(pair.stdout).laptop2.changed > 0, pair.stdout);
      const verify = await tool('verify', ['-i', inv, '--ssh-config', cfg, ...LAPTOPS], { lab: false, env });
      assert.equal(verify.code, 0, verify.stdout + verify.stderr);
      for (const l of LAPTOPS) await relays(l);
      const again = await tool('deploy', ['-i', inv, '--ssh-config', cfg, '-v'], { lab: false, env });
      assert.equal(again.code, 0, again.stdout + again.stderr);
      for (const h of ['mailserver', ...LAPTOPS]) assert.equal(recap(again.stdout)[h].changed, 0, again.stdout);
      // one round trip per laptop, through the jump host too (the server's second: the laptops' shared read of its files)
      for (const h of LAPTOPS) assert.match(again.stdout, new RegExp(`^${h}\\s*: .* round_trips=1$`, 'm'), again.stdout);
      assert.match(again.stdout, /^mailserver\s*: .* round_trips=[12]$/m, again.stdout);
    });

    await labReset(HOSTS.filter((h) => h !== 'jumphost'));
    await t.test('through the inventory: ansible_ssh_common_args -o ProxyJump=…, ansible_ssh_extra_args -J …', async () => {
      const inv = join(dir, 'inventory-args.yml');
      writeFileSync(
        inv,
        `all:\n  vars:\n    ansible_user: root\n    ansible_ssh_private_key_file: ${labPaths.key}\n  children:\n` +
          `    mailservers:\n      hosts:\n        mailserver: { ansible_host: ${M} }\n` +
          `    laptops:\n      vars:\n        ansible_ssh_common_args: '-o StrictHostKeyChecking=yes -o "ProxyJump=root@${J}:22"'\n      hosts:\n` +
          `        laptop1: { ansible_host: ${hostAddress('laptop1')} }\n` +
          `        laptop2: { ansible_host: ${hostAddress('laptop2')}, ansible_ssh_common_args: '', ansible_ssh_extra_args: '-J root@${J}' }\n`,
      );
      // the jump host's key comes from the agent, as `ssh -J` would find it
      const env = { SSH_AUTH_SOCK: agent.sock };
      const common = ['-i', inv, '--known-hosts', labPaths.knownHosts, '--ssh-config', '/dev/null'];
      const pair = await tool('pair', [...common, ...LAPTOPS], { lab: false, env });
      assert.equal(pair.code, 0, pair.stdout + pair.stderr);
      assert.ok(recap(pair.stdout).laptop1.changed > 0 && recap(pair.stdout).laptop2.changed > 0, pair.stdout);
      const verify = await tool('verify', [...common, ...LAPTOPS], { lab: false, env });
      assert.equal(verify.code, 0, verify.stdout + verify.stderr);
      for (const l of LAPTOPS) await relays(l);
      const noAgent = await tool('verify', [...common, 'laptop1'], { lab: false, env: { SSH_AUTH_SOCK: '' } });
      assert.equal(noAgent.code, 4, noAgent.stdout + noAgent.stderr);
      assert.match(noAgent.stdout, new RegExp(`unreachable laptop1: jump host ${J}: authentication failed for root@${J.replace(/\./g, '\\.')}`));
    });

    await labReset(HOSTS.filter((h) => h !== 'jumphost'));
    await t.test('bad input: one line naming file:line or host, exit 1 or 4, nothing changed', async () => {
      // the server already configured: `pair laptop1` would change only laptop1
      const server = await tool('deploy', ['--host', 'mailserver']);
      assert.equal(server.code, 0, server.stdout + server.stderr);
      const before = Object.fromEntries(['mailserver', ...LAPTOPS].map((h) => [h, etcMailSums(h)]));
      const inv = join(dir, 'inventory-bad.yml');
      writeFileSync(inv, `all:\n  vars:\n    ansible_user: root\n  children:\n    mailservers:\n      hosts:\n        mailserver: { ansible_host: ${M} }\n    laptops:\n      hosts:\n        laptop1: { ansible_host: lap1 }\n`);
      const khNoJump = join(dir, 'kh-nojump');
      writeFileSync(khNoJump, labKh.split('\n').filter((l) => !l.startsWith(`${J},`)).join('\n'));
      const khChanged = join(dir, 'kh-changed');
      const otherKey = labKh.split('\n').find((l) => l.startsWith(`${hostAddress('laptop2')},`) && l.includes('ssh-ed25519'))!.split(' ').slice(1).join(' ');
      writeFileSync(khChanged, `${J} ${otherKey}\n` + readFileSync(khNoJump, 'utf8'));
      const wrongKey = join(dir, 'wrong_key');
      execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', wrongKey]);
      const base = (o: { jump?: string; kh?: string; bastionKey?: string; proxy?: string; extra?: string; address?: string } = {}) =>
        `Host * !bastion\n  IdentityFile ${key}\nHost *\n  UserKnownHostsFile ${o.kh ?? kh}\n` +
        `Host lap1\n  HostName ${o.address ?? hostAddress('laptop1')}\n  ${o.proxy ?? `ProxyJump ${o.jump ?? 'bastion'}`}\n` +
        `Host bastion\n  HostName ${J}\n  User root\n  IdentityFile ${o.bastionKey ?? key}\n  IdentitiesOnly yes\n` + (o.extra ?? '');
      const loopA = join(dir, 'loop-a.conf');
      const loopB = join(dir, 'loop-b.conf');
      writeFileSync(loopA, `Host x\n  User x\nInclude ${loopB}\n`);
      writeFileSync(loopB, `# included\nInclude ${loopA}\n`);
      const cases: Array<{ name: string; cfg: string; code: number; line: RegExp; env?: Record<string, string> }> = [
        { name: 'Include loop', cfg: base({ extra: `Include ${loopA}\n` }), code: 1, line: new RegExp(`^error: ${loopB}:2: Include loop: ${loopA} -> ${loopB} -> ${loopA}$`, 'm') },
        { name: 'unknown jump host', cfg: base({ jump: 'nosuchbastion' }), code: 1, line: /^error: \S+ssh_config-unknown-jump-host:7: laptop1: unknown jump host 'nosuchbastion' \(no ssh_config Host gives it a HostName and it does not resolve\)$/m },
        { name: 'jump host key unknown', cfg: base({ kh: khNoJump }), code: 4, line: new RegExp(`^unreachable laptop1: jump host bastion \\(${J}\\): host key for ${J} is not in ${khNoJump} \\(ssh-ed25519 SHA256:\\S+\\); check it`, 'm') },
        { name: 'jump host key changed', cfg: base({ kh: khChanged }), code: 4, line: new RegExp(`^unreachable laptop1: jump host bastion \\(${J}\\): HOST KEY CHANGED for ${J}: got ssh-ed25519 SHA256:\\S+, ${khChanged}:1 expects ssh-ed25519 SHA256:\\S+; refusing to connect$`, 'm') },
        { name: 'ProxyCommand that exits', cfg: base({ proxy: 'ProxyCommand sh -c "echo bastion is down >&2; exit 3"' }), code: 4, line: /^unreachable laptop1: the ProxyCommand for laptop1 \(\S+:7\) exited with code 3: bastion is down$/m },
        // the agent holds the right key, but IdentitiesOnly says: only the (wrong) IdentityFile
        { name: 'IdentitiesOnly with a wrong key', cfg: base({ bastionKey: wrongKey }), code: 4, env: { SSH_AUTH_SOCK: agent.sock }, line: new RegExp(`^unreachable laptop1: jump host bastion \\(${J}\\): authentication failed for root@${J} with key ${wrongKey}$`, 'm') },
        // no host at that address: the jump host cannot open the channel (bounded by --timeout)
        { name: 'jump host cannot reach the laptop', cfg: base({ address: hostAddress('mailserver').replace(/\.\d+$/, '.99') }), code: 4, line: new RegExp(`^unreachable laptop1: jump host bastion (cannot|could not) reach ${hostAddress('mailserver').replace(/\.\d+$/, '.99').replace(/\./g, '\\.')} \\(laptop1\\)`, 'm') },
      ];
      for (const c of cases) {
        const cfg = join(dir, `ssh_config-${c.name.replace(/\W+/g, '-')}`);
        writeFileSync(cfg, c.cfg);
        const r = await tool('pair', ['-i', inv, '--ssh-config', cfg, '--timeout', '5', 'laptop1'], { lab: false, env: { SSH_AUTH_SOCK: '', ...c.env } });
        assert.equal(r.code, c.code, `${c.name}: ${r.stdout}${r.stderr}`);
        assert.match(r.stdout + r.stderr, c.line, c.name);
        if (c.code === 1) assert.equal((r.stdout + r.stderr).trim().split('\n').length, 1, `${c.name}: one line`);
      }
      for (const h of ['mailserver', ...LAPTOPS]) assert.deepEqual(etcMailSums(h), before[h], `nothing changed on ${h}`);
    });

    await t.test('StrictHostKeyChecking accept-new records the jump host in its UserKnownHostsFile', async () => {
      const inv = join(dir, 'inventory-new.yml');
      writeFileSync(inv, `all:\n  children:\n    mailservers:\n      hosts:\n        mailserver: { ansible_host: ${M} }\n    laptops:\n      hosts:\n        laptop1: { ansible_host: lap1 }\n`);
      const fresh = join(dir, 'kh-fresh');
      writeFileSync(fresh, '');
      const cfg = join(dir, 'ssh_config-accept-new');
      writeFileSync(
        cfg,
        `Host bastion\n  HostName ${J}\n  IdentityFile ${key}\n  UserKnownHostsFile ${fresh}\n  StrictHostKeyChecking accept-new\n` +
          `Host lap1\n  HostName ${hostAddress('laptop1')}\n  ProxyJump bastion\nHost *\n  User root\n  IdentityFile ${key}\n  UserKnownHostsFile ${kh}\n`,
      );
      const r = await tool('pair', ['-i', inv, '--ssh-config', cfg, '--check', 'laptop1'], { lab: false, env: { SSH_AUTH_SOCK: '' } });
      assert.equal(r.code, 0, r.stdout + r.stderr);
      assert.match(r.stdout, new RegExp(`recorded 1 new host key\\(s\\) in ${fresh}`));
      const lines = readFileSync(fresh, 'utf8').trim().split('\n');
      assert.equal(lines.length, 1);
      assert.match(lines[0]!, new RegExp(`^${J.replace(/\./g, '\\.')} ssh-ed25519 `));
      const again = await tool('pair', ['-i', inv, '--ssh-config', cfg, '--check', 'laptop1'], { lab: false, env: { SSH_AUTH_SOCK: '' } });
      assert.equal(again.code, 0, again.stdout + again.stderr);
      assert.doesNotMatch(again.stdout, /recorded/);
    });
  } finally {
    agent.stop();
    await labUnisolate();
    rmSync(dir, { recursive: true, force: true });
    await hostExec('mailserver', 'kill $(cat /run/sshd2.pid) 2>/dev/null; true');
    await labReset(HOSTS.filter((h) => h !== 'jumphost'));
  }
  assert.deepEqual(labIsolated(), []);
  for (const l of LAPTOPS) assert.equal(await reachable(l), true, `${l} reachable again`);
});

test('lab down removes the isolation routes', { timeout: 5 * 60_000 }, async (t) => {
  if (!(await requireLab(t))) return;
  await labUp(HOSTS);
  const route = new RegExp(`(^|\\s)${hostAddress('laptop1').replace(/\./g, '\\.')}\\s`, 'm');
  const routes = () => execFileSync('ip', ['-4', 'route', 'show', 'type', 'prohibit'], { encoding: 'utf8' });
  try {
    await labIsolate(['laptop1']);
    assert.match(routes(), route);
    await labDown();
    assert.doesNotMatch(routes(), route);
    assert.deepEqual(labIsolated(), []);
  } finally {
    await labUnisolate();
  }
});
