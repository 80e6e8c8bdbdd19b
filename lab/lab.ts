// The lab: real Debian 12 / 13 hosts (sshd + sendmail; LAB_SUITE, LAB_SUITE_<host>) in network/UTS/mount/PID namespaces and chroots on
// overlays of one cached rootfs, joined by a bridge. Used by `npm run lab` and the e2e tests.
//
// Layout of the runtime state (shared by every checkout, so any of them can clean leftovers):
//   /run/sendmail-tls-relay-lab/state.json          { net, hosts }
//   /run/sendmail-tls-relay-lab/authorized_keys     keys authorised for root on every host
//   /run/sendmail-tls-relay-lab/hosts/<name>/seed   the host's identity (host keys, TLS certs, sendmail.mc
//                                                   edits) made once: lower layer above the rootfs
//   .../hosts/<name>/{upper,work,merged}            the running host's overlay (merged = hostRoot(name))
//   .../hosts/<name>/{pid,console.log,boot.sh}
import { spawn } from 'node:child_process';
import { lookup } from 'node:dns/promises';
import {
  closeSync, existsSync, mkdirSync, openSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync, chmodSync,
} from 'node:fs';
import { cpus, hostname as machineHostname } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { $ } from 'zx';
import YAML from 'yaml';
import {
  BRIDGE, DEFAULT_HOSTS, HOSTS_DIR, JUMP_HOST, LAB_DOMAIN, NETNS_PREFIX, RUNTIME_DIR, VETH_PREFIX, bridgeAddress, checkHostName,
  hostAddress, hostDir, hostFqdn, hostOctet, hostRoot, labNet, labPaths, netnsName, rootfsDir, sortHosts, vethName,
  hostSuite, labSuite, DEFAULT_SUITE, SUITES, type Suite,
} from './config.js';
import { debianMirror, ensureRootfs, rootfsReady } from './rootfs.js';

export { labPaths, hostRoot, hostAddress, hostFqdn, hostSuite, DEFAULT_HOSTS, LAB_DOMAIN } from './config.js';
export type { Suite } from './config.js';

$.verbose = false;

const STATE_FILE = join(RUNTIME_DIR, 'state.json');
/** laptops the machine cannot reach (a `prohibit` route per /32), only the lab's hosts can: ["laptop1", …] */
const ISOLATED_FILE = join(RUNTIME_DIR, 'isolated.json');
const AUTH_KEYS = join(RUNTIME_DIR, 'authorized_keys');
const LOCK_DIR = RUNTIME_DIR + '.lock';

interface LabState { net: string; hosts: string[] }

export interface HostStatus {
  name: string;
  fqdn: string;
  address: string;
  /** pid (in the machine's PID namespace) of the host's launcher; the host's PID 1 is its child */
  pid: number | undefined;
  running: boolean;
  /** the Debian release the host was built from */
  suite: Suite;
}
export interface LabStatus {
  net: string | undefined;
  bridge: boolean;
  hosts: HostStatus[];
  /** namespaces, host dirs or mounts of the lab that belong to no running host */
  leftovers: string[];
}

let log: (s: string) => void = (s) => console.error(s);
/** Where progress lines go (default stderr). */
export function setLabLog(fn: (s: string) => void): void {
  log = fn;
}

// ---------------------------------------------------------------- small helpers

async function run(cmd: string[], what?: string): Promise<string> {
  const r = await $`${cmd}`.quiet().nothrow();
  if (r.exitCode !== 0) throw new Error(`lab: ${what ?? cmd.join(' ')} failed (exit ${r.exitCode}): ${r.stderr.trim() || r.stdout.trim()}`);
  return r.stdout;
}
async function tryRun(cmd: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const r = await $`${cmd}`.quiet().nothrow();
  return { code: r.exitCode ?? -1, stdout: r.stdout, stderr: r.stderr };
}

function pidAlive(pid: number | undefined): boolean {
  if (!pid) return false;
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  // a zombie is not alive
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return !/^\d+ \(.*\) Z/.test(stat);
  } catch {
    return false;
  }
}

function readPid(name: string): number | undefined {
  try {
    const n = Number(readFileSync(join(hostDir(name), 'pid'), 'utf8').trim());
    return Number.isInteger(n) && n > 0 ? n : undefined;
  } catch {
    return undefined;
  }
}

function readState(): LabState | undefined {
  try {
    return JSON.parse(readFileSync(STATE_FILE, 'utf8')) as LabState;
  } catch {
    return undefined;
  }
}
function writeState(s: LabState): void {
  mkdirSync(RUNTIME_DIR, { recursive: true });
  writeFileSync(STATE_FILE, JSON.stringify({ net: s.net, hosts: sortHosts(s.hosts) }, null, 2) + '\n');
}

function mountPoints(): string[] {
  return readFileSync('/proc/self/mounts', 'utf8')
    .split('\n')
    .map((l) => l.split(' ')[1])
    .filter((p): p is string => !!p)
    .map((p) => p.replace(/\\040/g, ' '));
}
function isMounted(path: string): boolean {
  return mountPoints().includes(path);
}

async function labNetnses(): Promise<string[]> {
  const r = await tryRun(['ip', 'netns', 'list']);
  return r.stdout
    .split('\n')
    .map((l) => l.split(' ')[0])
    .filter((n) => n.startsWith(NETNS_PREFIX));
}
async function linkExists(name: string): Promise<boolean> {
  return (await tryRun(['ip', 'link', 'show', 'dev', name])).code === 0;
}
async function labLinks(): Promise<string[]> {
  const r = await tryRun(['ip', '-o', 'link', 'show']);
  return r.stdout
    .split('\n')
    .map((l) => /^\d+:\s+([^:@\s]+)/.exec(l)?.[1])
    .filter((n): n is string => !!n && (n === BRIDGE || n.startsWith(VETH_PREFIX)));
}

/** pids of every process in the host's network namespace (the host's processes). */
async function netnsPids(ns: string): Promise<number[]> {
  const r = await tryRun(['ip', 'netns', 'pids', ns]);
  if (r.code !== 0) return [];
  return r.stdout.split(/\s+/).filter(Boolean).map(Number);
}

async function pool<T>(items: T[], limit: number, fn: (item: T) => Promise<void>): Promise<void> {
  const errors: unknown[] = [];
  let i = 0;
  await Promise.all(
    Array.from({ length: Math.min(limit, items.length) }, async () => {
      while (i < items.length) {
        const item = items[i++];
        try {
          await fn(item);
        } catch (e) {
          errors.push(e);
        }
      }
    }),
  );
  if (errors.length) throw errors[0];
}

// A lock shared by every checkout: one up/down/reset at a time. A directory, removed on release.
async function withLock<T>(fn: () => Promise<T>): Promise<T> {
  const deadline = Date.now() + 300_000;
  for (;;) {
    try {
      mkdirSync(LOCK_DIR);
      writeFileSync(join(LOCK_DIR, 'pid'), String(process.pid));
      break;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      let holder: number | undefined;
      try {
        holder = Number(readFileSync(join(LOCK_DIR, 'pid'), 'utf8'));
      } catch { /* being created or removed */ }
      if (holder === process.pid) throw new Error('lab: nested lab operation');
      let age = 0;
      try {
        age = Date.now() - statSync(LOCK_DIR).mtimeMs;
      } catch { /* gone */ }
      if ((holder && !pidAlive(holder)) || (!holder && age > 5000)) {
        rmSync(LOCK_DIR, { recursive: true, force: true });
        continue;
      }
      if (Date.now() > deadline) throw new Error(`lab: another lab command (pid ${holder}) holds ${LOCK_DIR}`);
      await sleep(200);
    }
  }
  try {
    return await fn();
  } finally {
    rmSync(LOCK_DIR, { recursive: true, force: true });
  }
}

// ---------------------------------------------------------------- prerequisites

/** Why the lab cannot run on this machine, or undefined when it can. */
export async function labUnavailable(): Promise<string | undefined> {
  if (process.platform !== 'linux') return 'the lab needs Linux';
  if (typeof process.getuid === 'function' && process.getuid() !== 0) return 'the lab needs root (network namespaces, mounts, chroot)';
  const missing: string[] = [];
  for (const c of ['ip', 'unshare', 'nsenter', 'chroot', 'ssh', 'ssh-keygen', 'mount', 'umount']) {
    if ((await tryRun(['sh', '-c', `command -v ${c}`])).code !== 0) missing.push(c);
  }
  if (!rootfsReady(labSuite()) && (await tryRun(['sh', '-c', 'command -v debootstrap'])).code !== 0) missing.push('debootstrap');
  if (missing.length) return `the lab needs these commands: ${missing.join(', ')} (apt-get install iproute2 util-linux openssh-client debootstrap)`;
  // can we really make a network namespace and an overlay?
  if (!readFileSync('/proc/filesystems', 'utf8').includes('overlay')) return 'the lab needs overlayfs (modprobe overlay)';
  const probe = `${NETNS_PREFIX}probe-${process.pid}`;
  const r = await tryRun(['ip', 'netns', 'add', probe]);
  await tryRun(['ip', 'netns', 'del', probe]);
  if (r.code !== 0) return `the lab cannot create network namespaces: ${r.stderr.trim()}`;
  return undefined;
}

// ---------------------------------------------------------------- network

function ipToInt(ip: string): number {
  return ip.split('.').reduce((a, o) => a * 256 + Number(o), 0);
}
function overlaps(cidr: string, net: string): boolean {
  const [addr, lenS] = cidr.split('/');
  if (!/^\d+\.\d+\.\d+\.\d+$/.test(addr)) return false;
  const len = lenS === undefined ? 32 : Number(lenS);
  const a = ipToInt(addr);
  const b = ipToInt(net + '.0');
  const common = Math.min(len, 24);
  const mask = common === 0 ? 0 : (0xffffffff << (32 - common)) >>> 0;
  return ((a & mask) >>> 0) === ((b & mask) >>> 0);
}

/** Refuse when the lab's /24 is already routed or addressed on the machine (other than by the lab's bridge). */
async function checkRangeFree(net: string): Promise<void> {
  const routes = JSON.parse((await run(['ip', '-j', '-4', 'route', 'show', 'table', 'all'])) || '[]') as Array<{ dst: string; dev?: string }>;
  const ours = new Set(isolatedHosts().map((h) => hostAddress(h, net)));
  for (const r of routes) {
    if (r.dst === 'default' || r.dev === BRIDGE) continue;
    if ((r as { type?: string }).type === 'prohibit' && ours.has(r.dst)) continue; // labIsolate's
    if (overlaps(r.dst, net)) {
      throw new Error(`lab: ${net}.0/24 is already routed on this machine (${r.dst}${r.dev ? ' dev ' + r.dev : ''}); choose another range with LAB_NET=a.b.c`);
    }
  }
  const addrs = JSON.parse((await run(['ip', '-j', '-4', 'addr', 'show'])) || '[]') as Array<{ ifname: string; addr_info: Array<{ local: string; prefixlen: number }> }>;
  for (const l of addrs) {
    if (l.ifname === BRIDGE) continue;
    for (const a of l.addr_info ?? []) {
      if (overlaps(`${a.local}/${a.prefixlen}`, net)) {
        throw new Error(`lab: ${net}.0/24 overlaps address ${a.local}/${a.prefixlen} on ${l.ifname}; choose another range with LAB_NET=a.b.c`);
      }
    }
  }
}

/**
 * Refuse when a package registry of this machine (the Debian mirror of its apt sources, the npm
 * registry) resolves into the lab's range: while the lab is up the bridge's route would take that
 * address, and apt and npm would fail with "No route to host" (seen on this workplace, where both
 * answered at 203.0.113.80, inside the lab's old default range).
 */
async function checkRegistriesOutside(net: string): Promise<void> {
  const hosts = new Set<string>(['registry.npmjs.org']);
  try {
    hosts.add(new URL(debianMirror()).hostname);
  } catch { /* no mirror in the apt sources */ }
  try {
    const npmrc = process.env.npm_config_registry;
    if (npmrc) hosts.add(new URL(npmrc).hostname);
  } catch { /* not a URL */ }
  for (const host of hosts) {
    let addrs: Array<{ address: string }> = [];
    try {
      addrs = await lookup(host, { all: true, family: 4 });
    } catch {
      continue; // no resolver for it: nothing to hide
    }
    const hit = addrs.find((a) => overlaps(`${a.address}/32`, net));
    if (hit) {
      throw new Error(`lab: the package registry ${host} resolves to ${hit.address}, inside ${net}.0/24: the lab would hide it; choose another range with LAB_NET=a.b.c (default 198.18.0.0/24)`);
    }
  }
}

async function ensureBridge(net: string): Promise<void> {
  if (!(await linkExists(BRIDGE))) {
    await run(['ip', 'link', 'add', BRIDGE, 'type', 'bridge']);
  }
  const want = `${bridgeAddress(net)}/24`;
  const cur = await run(['ip', '-o', '-4', 'addr', 'show', 'dev', BRIDGE]);
  if (!cur.includes(` ${want} `)) {
    await run(['ip', 'addr', 'flush', 'dev', BRIDGE]);
    await run(['ip', 'addr', 'add', want, 'dev', BRIDGE]);
  }
  await run(['ip', 'link', 'set', BRIDGE, 'up']);
}

async function setupHostNetwork(name: string, net: string): Promise<void> {
  const ns = netnsName(name);
  const veth = vethName(name);
  await tryRun(['ip', 'netns', 'del', ns]);
  await tryRun(['ip', 'link', 'del', veth]);
  await run(['ip', 'netns', 'add', ns]);
  // The peer is created directly inside the host's namespace, as eth0 there, with a MAC address fixed
  // per host: after a reset the other hosts' and the machine's ARP caches are still right (a new random
  // MAC left them pointing at the old one and connections timed out).
  const mac = `02:53:54:4c:00:${hostOctet(name).toString(16).padStart(2, '0')}`;
  await run(['ip', 'link', 'add', veth, 'type', 'veth', 'peer', 'name', 'eth0', 'address', mac, 'netns', ns]);
  await tryRun(['ip', 'neigh', 'flush', 'to', hostAddress(name, net), 'dev', BRIDGE]);
  await run(['ip', 'link', 'set', veth, 'master', BRIDGE]);
  await run(['ip', 'link', 'set', veth, 'up']);
  await run(['ip', '-n', ns, 'link', 'set', 'lo', 'up']);
  await run(['ip', '-n', ns, 'addr', 'add', `${hostAddress(name, net)}/24`, 'dev', 'eth0']);
  await run(['ip', '-n', ns, 'link', 'set', 'eth0', 'up']);
}

// ---------------------------------------------------------------- host files

function etcHosts(hosts: string[], net: string): string {
  let s = '127.0.0.1\tlocalhost\n::1\t\tlocalhost ip6-localhost ip6-loopback\nff02::1\t\tip6-allnodes\nff02::2\t\tip6-allrouters\n\n';
  s += `# sendmail-tls-relay lab (${LAB_DOMAIN}): every lab host\n`;
  for (const h of sortHosts(hosts)) s += `${hostAddress(h, net)}\t${hostFqdn(h)} ${h}\n`;
  return s;
}

/** Set-up script run once per host, in a chroot of its seed overlay, with the host's hostname. */
function setupScript(name: string): string {
  const mc =
    name === 'mailserver'
      ? // listen on every address, not only 127.0.0.1
        `sed -i "s/^\\(DAEMON_OPTIONS(\\\`Family=inet, *Name=MTA-v4, Port=smtp, Addr=\\)127\\.0\\.0\\.1'/\\10.0.0.0'/" /etc/mail/sendmail.mc
grep -q "Name=MTA-v4, Port=smtp, Addr=0.0.0.0'" /etc/mail/sendmail.mc || { echo "sendmail.mc: MTA-v4 line not found" >&2; exit 1; }`
      : // relay everything through the mail server
        `grep -q SMART_HOST /etc/mail/sendmail.mc && sed -i '/SMART_HOST/d' /etc/mail/sendmail.mc
sed -i "/^MAILER_DEFINITIONS/i define(\\\`SMART_HOST', \\\`[mailserver.${LAB_DOMAIN}]')dnl" /etc/mail/sendmail.mc
grep -q "^define(\\\`SMART_HOST', \\\`\\[mailserver.${LAB_DOMAIN}\\]')dnl" /etc/mail/sendmail.mc || { echo "sendmail.mc: SMART_HOST not added" >&2; exit 1; }`;
  return `#!/bin/bash
set -euo pipefail
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin HOME=/root LANG=C.UTF-8
cd /
test "$(hostname -f)" = "${hostFqdn(name)}" || { echo "hostname -f gives $(hostname -f), not ${hostFqdn(name)}" >&2; exit 1; }
ssh-keygen -A >/dev/null
${mc}
/usr/share/sendmail/update_tls >/dev/null
make -C /etc/mail >/dev/null
mkdir -p /root/.ssh && chmod 700 /root/.ssh
`;
}

/** Boot script: run as PID 1 of the host's new namespaces, outside the chroot; mounts /dev, /proc, /run. */
function bootScript(name: string): string {
  const m = hostRoot(name);
  return `#!/bin/bash
set -eu
M='${m}'
hostname '${name}'
mount -t proc -o nosuid,nodev,noexec proc "$M/proc"
mount -t sysfs -o ro,nosuid,nodev,noexec sysfs "$M/sys"
mount -t tmpfs -o mode=0755,size=1m,nosuid tmpfs "$M/dev"
mknod -m 0666 "$M/dev/null" c 1 3
mknod -m 0666 "$M/dev/zero" c 1 5
mknod -m 0666 "$M/dev/full" c 1 7
mknod -m 0666 "$M/dev/random" c 1 8
mknod -m 0666 "$M/dev/urandom" c 1 9
mknod -m 0666 "$M/dev/tty" c 5 0
mkdir -m 0755 "$M/dev/pts" "$M/dev/shm"
mount -t devpts -o newinstance,ptmxmode=0666,mode=0620,gid=5,nosuid,noexec devpts "$M/dev/pts"
ln -s pts/ptmx "$M/dev/ptmx"
ln -s /proc/self/fd "$M/dev/fd"
ln -s /proc/self/fd/0 "$M/dev/stdin"
ln -s /proc/self/fd/1 "$M/dev/stdout"
ln -s /proc/self/fd/2 "$M/dev/stderr"
mount -t tmpfs -o mode=1777,size=16m,nosuid,nodev tmpfs "$M/dev/shm"
exec chroot "$M" /usr/local/sbin/strlab-init
`;
}

/** PID 1 inside the host's chroot: syslog, sshd, sendmail, then reap zombies forever. */
const INIT_SCRIPT = `#!/bin/bash
# /run is a fresh tmpfs (mounted by the lab before this host started)
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin HOME=/root LANG=C.UTF-8
cd /
mkdir -p /run/sshd /run/lock && chmod 0755 /run/sshd
# one log file for everything, mail included (busybox syslogd has no syslog.conf)
ln -sfn mail.log /var/log/syslog
/bin/busybox syslogd -O /var/log/mail.log
for i in $(seq 50); do [ -S /dev/log ] && break; sleep 0.1; done
/usr/sbin/sshd
/etc/init.d/sendmail start
echo "strlab-init: $(hostname) up"
trap : CHLD
while :; do sleep 3600 & wait $!; done
`;

// ---------------------------------------------------------------- one host

async function mountOverlay(name: string, lower: string, upper: string, work: string): Promise<void> {
  const merged = hostRoot(name);
  mkdirSync(merged, { recursive: true });
  mkdirSync(upper, { recursive: true });
  mkdirSync(work, { recursive: true });
  await run(['mount', '-t', 'overlay', `strlab-${name}`, '-o', `lowerdir=${lower},upperdir=${upper},workdir=${work}`, merged], `overlay mount for ${name}`);
}

/** Unmount the host's overlay and what is mounted below it in the machine's namespace (its /run). */
async function umountHost(name: string): Promise<void> {
  const merged = hostRoot(name);
  const below = () => mountPoints().filter((p) => p === merged || p.startsWith(merged + '/')).sort((a, b) => b.length - a.length);
  for (let i = 0; i < 50 && below().length; i++) {
    const r = await tryRun(['umount', below()[0]]);
    if (r.code !== 0) await sleep(100);
  }
  for (const p of below()) await run(['umount', '-l', p]);
}

function writeHostFile(name: string, rel: string, content: string, mode = 0o644): void {
  const p = join(hostRoot(name), rel);
  mkdirSync(join(p, '..'), { recursive: true });
  writeFileSync(p, content, { mode });
  chmodSync(p, mode);
}

/** The release a host's seed was built on (seed.complete holds it; an empty one is from before suites: bookworm). */
function seedSuite(name: string): Suite | undefined {
  const marker = join(hostDir(name), 'seed.complete');
  if (!existsSync(marker)) return undefined;
  const s = readFileSync(marker, 'utf8').trim();
  return (SUITES as readonly string[]).includes(s) ? (s as Suite) : DEFAULT_SUITE;
}

/** Build the host's seed (its identity and the lab's edits) once: host keys, TLS certificates, sendmail.mc.
 *  A seed of another release than the host's (LAB_SUITE, LAB_SUITE_<host>) is built again. */
async function ensureSeed(name: string, net: string, hosts: string[]): Promise<void> {
  const dir = hostDir(name);
  const marker = join(dir, 'seed.complete');
  const suite = hostSuite(name);
  if (seedSuite(name) === suite) return;
  rmSync(marker, { force: true });
  const seed = join(dir, 'seed');
  rmSync(seed, { recursive: true, force: true });
  rmSync(join(dir, 'seed-work'), { recursive: true, force: true });
  await mountOverlay(name, rootfsDir(suite), seed, join(dir, 'seed-work'));
  try {
    writeHostFile(name, 'etc/hostname', name + '\n');
    writeHostFile(name, 'etc/mailname', hostFqdn(name) + '\n');
    writeHostFile(name, 'etc/hosts', etcHosts(hosts, net));
    writeHostFile(name, 'strlab-setup', setupScript(name), 0o755);
    const m = hostRoot(name);
    const r = await tryRun([
      'unshare', '--uts', '--mount', '--fork', '--kill-child', 'bash', '-ec',
      `hostname '${name}'; mount -t proc proc '${m}/proc'; mount -t tmpfs -o size=1m tmpfs '${m}/dev'; ` +
        `for d in null:3 zero:5 random:8 urandom:9; do mknod -m 666 '${m}'/dev/\${d%:*} c 1 \${d#*:}; done; ` +
        `exec chroot '${m}' /strlab-setup`,
    ]);
    if (r.code !== 0) throw new Error(`lab: setting up ${name} failed: ${r.stderr.trim()} ${r.stdout.trim()}`);
  } finally {
    await umountHost(name);
  }
  rmSync(join(seed, 'strlab-setup'), { force: true });
  rmSync(join(dir, 'seed-work'), { recursive: true, force: true });
  writeFileSync(marker, suite + '\n');
}

/** Start the host (its seed must exist): fresh overlay, network namespace, detached namespaced PID 1. */
async function startHost(name: string, net: string, hosts: string[]): Promise<void> {
  const dir = hostDir(name);
  const upper = join(dir, 'upper');
  const work = join(dir, 'work');
  rmSync(upper, { recursive: true, force: true });
  rmSync(work, { recursive: true, force: true });
  await mountOverlay(name, `${join(dir, 'seed')}:${rootfsDir(seedSuite(name) ?? hostSuite(name))}`, upper, work);
  // The host's /run: a tmpfs mounted here, in the machine's mount namespace, so that the host's mount
  // namespace (a copy) and the machine see the same files (pid files: hostRoot(name)/run/...).
  await run(['mount', '-t', 'tmpfs', '-o', 'mode=0755,size=32m,nosuid,nodev', `strlab-run-${name}`, join(hostRoot(name), 'run')]);
  writeHostFile(name, 'etc/hosts', etcHosts(hosts, net));
  writeHostFile(name, 'usr/local/sbin/strlab-init', INIT_SCRIPT, 0o755);
  writeHostFile(name, 'root/.ssh/authorized_keys', existsSync(AUTH_KEYS) ? readFileSync(AUTH_KEYS, 'utf8') : '', 0o600);
  writeFileSync(join(dir, 'boot.sh'), bootScript(name), { mode: 0o755 });
  await setupHostNetwork(name, net);
  const out = openSync(join(dir, 'console.log'), 'w');
  const child = spawn(
    'ip',
    ['netns', 'exec', netnsName(name), 'unshare', '--uts', '--mount', '--pid', '--fork', '--kill-child', '/bin/bash', join(dir, 'boot.sh')],
    { detached: true, stdio: ['ignore', out, out] },
  );
  closeSync(out);
  child.on('error', () => {});
  child.unref();
  if (!child.pid) throw new Error(`lab: could not start ${name}`);
  writeFileSync(join(dir, 'pid'), String(child.pid));
}

async function listeningPorts(name: string): Promise<string> {
  const r = await tryRun(['ip', 'netns', 'exec', netnsName(name), 'ss', '-Hltn']);
  return r.stdout;
}

async function waitReady(name: string, timeoutMs = 90_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  const addr = hostAddress(name, readState()?.net ?? labNet());
  const smtp = name === 'mailserver' ? '0.0.0.0:25' : '127.0.0.1:25';
  for (;;) {
    const pid = readPid(name);
    const ss = await listeningPorts(name);
    if (/[\s:]22\s/.test(ss + ' ') && ss.includes(smtp + ' ')) return;
    let console_ = '';
    try {
      console_ = readFileSync(join(hostDir(name), 'console.log'), 'utf8');
    } catch { /* none yet */ }
    if (!pidAlive(pid) || Date.now() > deadline) {
      throw new Error(`lab: ${name} (${addr}) did not come up (sshd on 22, sendmail on ${smtp}); console:\n${console_.slice(-2000)}`);
    }
    await sleep(200);
  }
}

/** Kill every process of the host and unmount its overlay. Leaves the seed. */
async function stopHost(name: string): Promise<void> {
  const ns = netnsName(name);
  const pid = readPid(name);
  if (pid && pidAlive(pid)) {
    // only our launcher: it runs `unshare ... /bin/bash <hostDir>/boot.sh`
    let cmdline = '';
    try {
      cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
    } catch { /* gone */ }
    if (cmdline.includes(hostDir(name))) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch { /* gone */ }
    }
  }
  for (let i = 0; i < 100; i++) {
    const pids = await netnsPids(ns);
    if (!pids.length) break;
    for (const p of pids) {
      try {
        process.kill(p, 'SIGKILL');
      } catch { /* gone */ }
    }
    await sleep(50);
  }
  await umountHost(name);
  rmSync(join(hostDir(name), 'pid'), { force: true });
}

async function removeHostNetwork(name: string): Promise<void> {
  await tryRun(['ip', 'netns', 'del', netnsName(name)]);
  if (await linkExists(vethName(name))) await tryRun(['ip', 'link', 'del', vethName(name)]);
}

async function hostHealthy(name: string): Promise<boolean> {
  return (
    pidAlive(readPid(name)) &&
    isMounted(hostRoot(name)) &&
    existsSync(`/run/netns/${netnsName(name)}`) &&
    (await linkExists(vethName(name)))
  );
}

// ---------------------------------------------------------------- .lab files

async function ensureKey(): Promise<string> {
  mkdirSync(labPaths.dir, { recursive: true, mode: 0o700 });
  if (!existsSync(labPaths.key) || !existsSync(labPaths.publicKey)) {
    rmSync(labPaths.key, { force: true });
    rmSync(labPaths.publicKey, { force: true });
    await run(['ssh-keygen', '-q', '-t', 'ed25519', '-N', '', '-C', `sendmail-tls-relay-lab@${machineHostname()}`, '-f', labPaths.key]);
  }
  const pub = readFileSync(labPaths.publicKey, 'utf8').trim();
  mkdirSync(RUNTIME_DIR, { recursive: true });
  const cur = existsSync(AUTH_KEYS) ? readFileSync(AUTH_KEYS, 'utf8') : '';
  if (!cur.split('\n').includes(pub)) writeFileSync(AUTH_KEYS, cur + pub + '\n', { mode: 0o600 });
  return pub;
}

function writeLabFiles(state: LabState): void {
  mkdirSync(labPaths.dir, { recursive: true, mode: 0o700 });
  let kh = '';
  for (const h of sortHosts(state.hosts)) {
    const names = `${hostAddress(h, state.net)},${h},${hostFqdn(h)}`;
    for (const t of ['ed25519', 'ecdsa', 'rsa']) {
      const f = join(hostRoot(h), `etc/ssh/ssh_host_${t}_key.pub`);
      if (!existsSync(f)) continue;
      const [type, key] = readFileSync(f, 'utf8').trim().split(/\s+/);
      kh += `${names} ${type} ${key}\n`;
    }
  }
  writeFileSync(labPaths.knownHosts, kh);
  const entry = (h: string) => ({
    ansible_host: hostAddress(h, state.net),
    ansible_port: 22,
    ansible_user: 'root',
    ansible_ssh_private_key_file: labPaths.key,
    ansible_ssh_common_args: `-o StrictHostKeyChecking=yes -o UserKnownHostsFile=${labPaths.knownHosts}`,
    fqdn: hostFqdn(h),
  });
  const group = (hs: string[]) => ({ hosts: Object.fromEntries(hs.map((h) => [h, entry(h)])) });
  const hosts = sortHosts(state.hosts);
  const inv = {
    all: {
      vars: { lab_domain: LAB_DOMAIN },
      children: {
        mailservers: group(hosts.filter((h) => h === 'mailserver')),
        laptops: group(hosts.filter((h) => h !== 'mailserver' && h !== JUMP_HOST)),
      },
    },
  };
  writeFileSync(
    labPaths.inventory,
    '# Written by `npm run lab -- up`: the running lab, in Ansible YAML inventory format.\n' + YAML.stringify(inv, { lineWidth: 0 }),
  );
}

// ---------------------------------------------------------------- leftovers

/** Hosts that have some runtime trace (dir, netns or link). */
async function tracedHosts(): Promise<string[]> {
  const names = new Set<string>();
  if (existsSync(HOSTS_DIR)) for (const d of readdirSync(HOSTS_DIR)) names.add(d);
  for (const ns of await labNetnses()) names.add(ns.slice(NETNS_PREFIX.length));
  for (const l of await labLinks()) if (l.startsWith(VETH_PREFIX)) names.add(l.slice(VETH_PREFIX.length));
  return [...names];
}

async function teardownHost(name: string, keepSeed: boolean): Promise<void> {
  await stopHost(name);
  await removeHostNetwork(name);
  const dir = hostDir(name);
  if (!existsSync(dir)) return;
  if (keepSeed && existsSync(join(dir, 'seed.complete'))) {
    for (const f of readdirSync(dir)) if (f !== 'seed' && f !== 'seed.complete') rmSync(join(dir, f), { recursive: true, force: true });
  } else {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Remove what an unclean stop left behind; returns the hosts that are still healthy and running. */
async function cleanLeftovers(): Promise<string[]> {
  const state = readState();
  const healthy: string[] = [];
  for (const name of await tracedHosts()) {
    let known = true;
    try {
      checkHostName(name);
    } catch {
      known = false;
    }
    if (known && state && state.hosts.includes(name) && (await hostHealthy(name))) {
      healthy.push(name);
      continue;
    }
    log(`lab: cleaning up leftovers of ${name}`);
    // the seed (host keys, certificates) does not depend on the range: keep it
    await teardownHost(name, known);
  }
  // stray mounts below the runtime dir (e.g. a setup overlay of a killed run)
  for (const p of mountPoints().filter((p) => p.startsWith(RUNTIME_DIR + '/')).reverse()) {
    if (healthy.some((h) => p === hostRoot(h))) continue;
    await tryRun(['umount', '-l', p]);
  }
  return sortHosts(healthy);
}

// ---------------------------------------------------------------- public API

/**
 * Bring up the lab (default mailserver, laptop1, laptop2). Idempotent: running hosts stay as they are,
 * missing ones are added, leftovers of an unclean stop are cleaned first. Writes .lab/ (key,
 * known_hosts, inventory.yml). Returns the running hosts.
 */
export async function labUp(hosts: string[] = DEFAULT_HOSTS): Promise<string[]> {
  const want = sortHosts(hosts.length ? hosts : DEFAULT_HOSTS);
  want.forEach(checkHostName);
  const net = labNet();
  return withLock(async () => {
    const state = readState();
    let running = await cleanLeftovers();
    // a running host of another release than asked for (LAB_SUITE, LAB_SUITE_<host>) is built again
    const otherSuite = running.filter((h) => want.includes(h) && seedSuite(h) !== hostSuite(h));
    for (const h of otherSuite) {
      log(`lab: ${h} runs ${seedSuite(h)}, ${hostSuite(h)} asked for: building it again`);
      await teardownHost(h, false);
    }
    running = running.filter((h) => !otherSuite.includes(h));
    const suites = [...new Set(want.map((h) => hostSuite(h)))];
    if (running.length && state && state.net !== net) {
      throw new Error(`lab: a lab is running on ${state.net}.0/24; run \`npm run lab -- down\` before using LAB_NET=${net}`);
    }
    if (!running.length) {
      await removeIsolation(); // routes of a lab that was not taken down
      if (await linkExists(BRIDGE)) await tryRun(['ip', 'link', 'del', BRIDGE]);
      rmSync(STATE_FILE, { force: true });
      await checkRangeFree(net);
      await checkRegistriesOutside(net);
    } else {
      await checkRangeFree(net);
    }
    // a rootfs no running host uses can be built or prepared again
    for (const s of suites) if (!rootfsReady(s) && !running.some((h) => seedSuite(h) === s)) await ensureRootfs(log, s);
    await ensureBridge(net);
    const pub = await ensureKey();
    const all = sortHosts([...running, ...want]);
    const added = all.filter((h) => !running.includes(h));
    writeState({ net, hosts: all });
    if (added.length) {
      const t0 = Date.now();
      log(`lab: starting ${added.join(' ')} on ${net}.0/24`);
      const par = Math.max(2, cpus().length + 1);
      await pool(added, par, (h) => ensureSeed(h, net, all));
      await pool(added, 32, (h) => startHost(h, net, all));
      await pool(added, 32, (h) => waitReady(h));
      log(`lab: ${added.length} host(s) up in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
    }
    // running hosts: learn about new hosts and keys
    for (const h of running) {
      if (added.length) writeHostFile(h, 'etc/hosts', etcHosts(all, net));
      const ak = join(hostRoot(h), 'root/.ssh/authorized_keys');
      const cur = existsSync(ak) ? readFileSync(ak, 'utf8') : '';
      if (!cur.split('\n').includes(pub)) writeHostFile(h, 'root/.ssh/authorized_keys', cur + pub + '\n', 0o600);
    }
    writeLabFiles({ net, hosts: all });
    return all;
  });
}

/** Stop and remove every namespace, mount, link, process and runtime dir of the lab. */
export async function labDown(): Promise<void> {
  await withLock(async () => {
    await removeIsolation();
    for (const name of await tracedHosts()) await teardownHost(name, false);
    for (const p of mountPoints().filter((p) => p.startsWith(RUNTIME_DIR + '/')).reverse()) await tryRun(['umount', '-l', p]);
    for (const l of await labLinks()) await tryRun(['ip', 'link', 'del', l]);
    rmSync(RUNTIME_DIR, { recursive: true, force: true });
  });
}

/**
 * Bring hosts (default: every running host) back to the lab's starting state: stop, drop the overlay's
 * upper dir, start again. Host keys and certificates stay the same, so .lab/known_hosts stays valid.
 */
export async function labReset(hosts?: string[]): Promise<string[]> {
  return withLock(async () => {
    const state = readState();
    if (!state) throw new Error('lab: no lab is running (npm run lab -- up)');
    const targets = sortHosts(hosts && hosts.length ? hosts : state.hosts);
    for (const h of targets) {
      checkHostName(h);
      if (!state.hosts.includes(h) || !existsSync(join(hostDir(h), 'seed.complete'))) throw new Error(`lab: ${h} is not part of the running lab`);
    }
    const t0 = Date.now();
    await pool(targets, 32, async (h) => {
      await stopHost(h);
      await startHost(h, state.net, state.hosts);
    });
    await pool(targets, 32, (h) => waitReady(h));
    const pub = existsSync(labPaths.publicKey) ? readFileSync(labPaths.publicKey, 'utf8').trim() : undefined;
    if (pub) await ensureKey();
    log(`lab: reset ${targets.join(' ')} in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
    return targets;
  });
}

export async function labStatus(): Promise<LabStatus> {
  const state = readState();
  const names = new Set([...(state?.hosts ?? []), ...(await tracedHosts())]);
  const hosts: HostStatus[] = [];
  const leftovers: string[] = [];
  for (const name of names) {
    try {
      checkHostName(name);
    } catch {
      leftovers.push(name);
      continue;
    }
    const running = !!state?.hosts.includes(name) && (await hostHealthy(name));
    if (!running) leftovers.push(name);
    hosts.push({ name, fqdn: hostFqdn(name), address: hostAddress(name, state?.net ?? labNet()), pid: readPid(name), running, suite: seedSuite(name) ?? hostSuite(name) });
  }
  return { net: state?.net, bridge: await linkExists(BRIDGE), hosts: hosts.sort((a, b) => (sortHosts([a.name, b.name])[0] === a.name ? -1 : 1)), leftovers };
}

/** The host's PID 1 as seen from the machine (for nsenter). */
export async function hostInitPid(name: string): Promise<number> {
  for (const p of await netnsPids(netnsName(name))) {
    try {
      const m = /^NSpid:\s+(\d+)\s+(\d+)\s*$/m.exec(readFileSync(`/proc/${p}/status`, 'utf8'));
      if (m && m[2] === '1') return p;
    } catch { /* gone */ }
  }
  throw new Error(`lab: ${name} is not running`);
}

/**
 * Run a shell command inside a host (all its namespaces and its chroot) without ssh.
 * Returns exit code and output; never throws for a non-zero exit.
 */
export async function hostExec(name: string, command: string, input?: string): Promise<{ code: number; stdout: string; stderr: string }> {
  const pid = await hostInitPid(name);
  const r = await $({ input: input ?? '', quiet: true, nothrow: true })`nsenter -t ${pid} -m -u -n -p -r -w /bin/bash -c ${'cd / && ' + command}`;
  return { code: r.exitCode ?? -1, stdout: r.stdout, stderr: r.stderr };
}

// ---------------------------------------------------------------- isolated laptops (reached through the jump host)

export { JUMP_HOST } from './config.js';

function isolatedHosts(): string[] {
  try {
    return JSON.parse(readFileSync(ISOLATED_FILE, 'utf8')) as string[];
  } catch {
    return [];
  }
}

/**
 * Make hosts unreachable from the machine (a `prohibit` route for each one's /32 in the machine's
 * namespace: connect() fails at once with EACCES) while the other lab hosts, the jump host among
 * them, still reach them over the bridge. `labUnisolate()` or `lab down` removes the routes.
 */
export async function labIsolate(hosts: string[]): Promise<void> {
  const state = readState();
  if (!state) throw new Error('lab: no lab is running (npm run lab -- up)');
  const cur = new Set(isolatedHosts());
  for (const h of hosts) {
    checkHostName(h);
    if (!state.hosts.includes(h)) throw new Error(`lab: ${h} is not part of the running lab`);
    if (h === JUMP_HOST) throw new Error('lab: the jump host cannot be isolated');
    cur.add(h);
    writeFileSync(ISOLATED_FILE, JSON.stringify([...cur]) + '\n'); // before the route: down finds it even if we die here
    await run(['ip', 'route', 'replace', 'prohibit', `${hostAddress(h, state.net)}/32`], `isolating ${h}`);
  }
}

async function removeIsolation(): Promise<void> {
  const net = readState()?.net ?? labNet();
  for (const h of isolatedHosts()) {
    try {
      await tryRun(['ip', 'route', 'del', 'prohibit', `${hostAddress(h, net)}/32`]);
    } catch { /* already gone */ }
  }
  rmSync(ISOLATED_FILE, { force: true });
}

/** Make every isolated host reachable from the machine again. */
export async function labUnisolate(): Promise<void> {
  await removeIsolation();
}

/** The hosts labIsolate made unreachable from the machine. */
export function labIsolated(): string[] {
  return isolatedHosts();
}
