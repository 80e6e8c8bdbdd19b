// End-to-end tests of the lab itself, on real namespaced Debian hosts.
import test from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { $ } from 'zx';
import {
  eventually, hostAddress, hostExec, hostFqdn, hostRoot, labDown, labPaths, labReset, labStatus, labUp, mailLogPath,
  requireLab, sendTestMail, sshRun,
} from './helpers.js';
import { BRIDGE, NETNS_PREFIX, RUNTIME_DIR, VETH_PREFIX } from '../../lab/config.js';

$.verbose = false;
const HOSTS = ['mailserver', 'laptop1', 'laptop2'];

/** The status of this test's own hosts, in HOSTS' order. */
function ownHosts(st: Awaited<ReturnType<typeof labStatus>>) {
  return HOSTS.map((n) => st.hosts.find((h) => h.name === n)).filter((h) => h !== undefined);
}
/** Live (non-zombie) processes among pids. */
function alive(pids: number[]): number[] {
  return pids.filter((p) => {
    try {
      return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${p}/stat`, 'utf8'));
    } catch {
      return false;
    }
  });
}
async function netnsPids(name: string): Promise<number[]> {
  const r = await $`ip netns pids ${NETNS_PREFIX + name}`.quiet().nothrow();
  return r.stdout.split(/\s+/).filter(Boolean).map(Number);
}
/** Processes whose command line mentions the lab's runtime dir (the launchers). */
function launcherPids(): number[] {
  const out: number[] = [];
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      if (readFileSync(`/proc/${d}/cmdline`, 'utf8').includes(RUNTIME_DIR + '/')) out.push(Number(d));
    } catch { /* gone */ }
  }
  return alive(out);
}

test('lab', { timeout: 20 * 60_000 }, async (t) => {
  if (!(await requireLab(t))) return;
  const wasRunning = (await labStatus()).hosts.filter((h) => h.running).map((h) => h.name);
  await labUp(HOSTS);
  // other e2e files may have configured the hosts: start from the lab's starting state
  if (wasRunning.length) await labReset(HOSTS);

  await t.test('ssh with the lab key and known_hosts (strict checking) reaches every host, which reports its own name', async () => {
    assert.ok(existsSync(labPaths.knownHosts) && existsSync(labPaths.key));
    const inv = readFileSync(labPaths.inventory, 'utf8');
    for (const h of HOSTS) {
      assert.match(inv, new RegExp(`${h}:\\n\\s+ansible_host: ${hostAddress(h).replace(/\./g, '\\.')}`));
      const r = await sshRun(h, 'hostname; hostname -f; cat /etc/mailname');
      assert.equal(r.code, 0, `ssh to ${h} failed: ${r.stderr}`);
      assert.deepEqual(r.stdout.trim().split('\n'), [h, hostFqdn(h), hostFqdn(h)]);
    }
    // strict checking really is on: a known_hosts without the host's key refuses the connection
    const r = await $`ssh -F /dev/null -i ${labPaths.key} -o StrictHostKeyChecking=yes -o UserKnownHostsFile=/dev/null -o BatchMode=yes root@${hostAddress('laptop1')} true`
      .quiet()
      .nothrow();
    assert.notEqual(r.exitCode, 0);
    assert.match(r.stderr, /Host key verification failed/);
  });

  await t.test('before any configuration, mail from laptop1 to someone@example.net is refused: Relaying denied', async () => {
    const res = await sendTestMail('laptop1', 'someone@example.net');
    assert.equal(res.relayed, false, res.laptopLines.join('\n'));
    const denied = res.serverLines.filter((l) => /Relaying denied/.test(l) && l.includes(`[${hostAddress('laptop1')}]`));
    assert.ok(denied.length > 0, `no Relaying denied for laptop1 in the server's log:\n${res.serverLines.join('\n')}`);
    const serverLog = readFileSync(mailLogPath('mailserver'), 'utf8');
    assert.ok(serverLog.includes(denied[0]), 'the line is in the server mail log');
    assert.ok(res.laptopLines.some((l) => /dsn=5\.7\.1/.test(l) && /relay=mailserver\.lab\.example/.test(l)));
  });

  await t.test('reset brings a host back to its starting state with the same identity', async () => {
    const marker = '/etc/mail/strlab-reset-test';
    assert.equal((await sshRun('laptop2', `echo changed > ${marker} && sed -i '/SMART_HOST/d' /etc/mail/sendmail.mc`)).code, 0);
    assert.ok(existsSync(join(hostRoot('laptop2'), marker)));
    const keyBefore = readFileSync(join(hostRoot('laptop2'), 'etc/ssh/ssh_host_ed25519_key.pub'), 'utf8');
    const t0 = Date.now();
    await labReset(['laptop2']);
    const took = Date.now() - t0;
    assert.ok(took < 20_000, `reset took ${took} ms`);
    assert.ok(!existsSync(join(hostRoot('laptop2'), marker)));
    assert.equal(readFileSync(join(hostRoot('laptop2'), 'etc/ssh/ssh_host_ed25519_key.pub'), 'utf8'), keyBefore);
    const r = await sshRun('laptop2', `test ! -e ${marker} && grep -c SMART_HOST /etc/mail/sendmail.mc && hostname`);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(r.stdout.trim().split('\n'), ['1', 'laptop2']);
    // the test's other hosts kept running (a lab may hold hosts this test did not start: only its own are asked about)
    assert.deepEqual(ownHosts(await labStatus()).filter((h) => !h.running).map((h) => h.name), []);
    // a reset server is reachable again for the laptops that talked to it before
    await labReset(['mailserver']);
    const res = await sendTestMail('laptop1');
    assert.equal(res.relayed, false);
    assert.ok(res.serverLines.some((l) => /Relaying denied/.test(l)), res.laptopLines.join('\n'));
  });

  await t.test('up after an unclean stop (a killed host) cleans up and brings it back', async () => {
    const init = await hostExec('laptop2', 'echo $$');
    assert.equal(init.code, 0);
    const s0 = await labStatus();
    const pid = s0.hosts.find((h) => h.name === 'laptop2')?.pid;
    assert.ok(pid);
    process.kill(pid, 'SIGKILL'); // its PID 1 gets SIGKILL too (unshare --kill-child): the host dies
    assert.ok(await eventually(async () => alive(await netnsPids('laptop2')).length === 0));
    const s1 = await labStatus();
    assert.equal(s1.hosts.find((h) => h.name === 'laptop2')?.running, false);
    assert.ok(s1.leftovers.includes('laptop2'));
    await labUp(HOSTS);
    const s2 = await labStatus();
    assert.deepEqual(s2.leftovers.filter((h) => HOSTS.includes(h)), []);
    assert.deepEqual(ownHosts(s2).filter((h) => !h.running).map((h) => h.name), []);
    assert.deepEqual(ownHosts(s2).map((h) => h.name), HOSTS);
    const r = await sshRun('laptop2', 'hostname');
    assert.equal(r.stdout.trim(), 'laptop2', r.stderr);
  });

  await t.test('down leaves no namespace, bridge, mount or process behind', async () => {
    const pids: number[] = [];
    for (const h of HOSTS) pids.push(...(await netnsPids(h)));
    pids.push(...launcherPids());
    assert.ok(alive(pids).length >= HOSTS.length * 4, `expected the hosts' processes, got ${pids.length}`);
    await labDown();
    const ns = (await $`ip netns list`.quiet()).stdout;
    assert.ok(!ns.split('\n').some((l) => l.startsWith(NETNS_PREFIX)), 'a lab netns is left');
    const links = (await $`ip -o link show`.quiet()).stdout;
    assert.ok(!links.includes(BRIDGE) && !links.includes(': ' + VETH_PREFIX), 'a lab link is left');
    const mounts = readFileSync('/proc/mounts', 'utf8');
    assert.ok(!mounts.includes(RUNTIME_DIR + '/'), 'a lab mount is left');
    assert.ok(!mounts.includes('/run/netns/' + NETNS_PREFIX), 'a netns mount is left');
    assert.ok(!existsSync(RUNTIME_DIR), 'runtime dir is left');
    await eventually(() => alive(pids).length === 0, 5000);
    assert.deepEqual(alive(pids), []);
    assert.deepEqual(launcherPids(), []);
    const route = (await $`ip -4 route show`.quiet()).stdout;
    assert.doesNotMatch(route, new RegExp(hostAddress('mailserver').replace(/\.\d+$/, '').replace(/\./g, '\\.')));
    const st = await labStatus();
    assert.equal(st.bridge, false);
    assert.deepEqual(st.hosts, []);
  });
});
