// What the benchmark needs besides the lab: ansible-playbook on this machine (Debian's ansible-core),
// and Python on the hosts for Ansible's runs only.
//
// Python on the hosts: the lab's rootfs has no python3 (the tool must not need it). The bench keeps a
// second rootfs, a copy of the lab's with python3 installed by apt inside a chroot (the machine, not
// the hosts, reaches Debian's mirror), under its own cache directory. Ansible's lab is the same 21
// hosts reset with LAB_CACHE_DIR pointing there: each host's own layer (host keys, certificates,
// sendmail.mc edits) is the same, only the Debian tree below it has python3 in addition. Resetting
// without LAB_CACHE_DIR brings the hosts back on the lab's own rootfs.
//
// The mirror: when the lab's /24 holds the address deb.debian.org resolves to (it does on this
// workplace's machines: 203.0.113.80), the lab's bridge route hides the mirror, so everything that
// needs apt is done before the lab comes up (this machine's routes are never touched).
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { lookup } from 'node:dns/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { BRIDGE } from '../lab/config.js';

export const ANSIBLE_CACHE_DIR = join(homedir(), '.cache', 'sendmail-tls-relay-ansible');
const LAB_ROOTFS = join(process.env.LAB_CACHE_DIR || join(homedir(), '.cache', 'sendmail-tls-relay'), 'rootfs');
const COMPLETE_MARKER = '.strlab-rootfs-complete';

function sh(cmd: string, args: string[], what: string): string {
  const r = spawnSync(cmd, args, { encoding: 'utf8', env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } });
  if (r.status !== 0) throw new Error(`bench: ${what} failed (exit ${r.status}): ${(r.stderr || r.stdout).trim().split('\n').slice(-5).join('\n')}`);
  return r.stdout;
}

function mirrorHost(): string {
  const text = readFileSync(join(LAB_ROOTFS, 'etc/apt/sources.list'), 'utf8');
  const m = /^deb\s+https?:\/\/([^/\s]+)/m.exec(text);
  if (!m) throw new Error(`bench: no mirror in ${LAB_ROOTFS}/etc/apt/sources.list`);
  return m[1];
}

/**
 * Run fn when the mirror is reachable. On some machines deb.debian.org resolves into the lab's range
 * (here 203.0.113.80), and while the lab is up its bridge route hides the mirror: the bench then
 * says so and stops, rather than touch this machine's routes. It installs what it needs before it
 * brings the lab up, so this happens only when a lab was already running.
 */
async function withMirror<T>(fn: (mirrorAddress: string) => T): Promise<T> {
  const host = mirrorHost();
  const { address } = await lookup(host, { family: 4 });
  const via = sh('ip', ['-4', 'route', 'get', address], 'ip route get');
  if (new RegExp(`\\bdev ${BRIDGE}\\b`).test(via)) {
    throw new Error(
      `bench: the apt mirror ${host} (${address}) is inside the lab's range, so it cannot be reached while the lab is up; ` +
        'run `npm run lab -- down`, then `npm run bench` again (it installs ansible-core and python3 before the lab starts)',
    );
  }
  return fn(address);
}

export function ansiblePlaybookPath(): string | undefined {
  const r = spawnSync('sh', ['-c', 'command -v ansible-playbook'], { encoding: 'utf8' });
  return r.status === 0 ? r.stdout.trim() : undefined;
}

export function ansibleVersion(): string {
  return sh('ansible-playbook', ['--version'], 'ansible-playbook --version').split('\n')[0];
}

/** Install Debian's ansible-core (no recommends) when ansible-playbook is missing. */
export async function ensureAnsible(): Promise<void> {
  if (ansiblePlaybookPath()) return;
  console.error('bench: installing ansible-core with apt');
  await withMirror(() => {
    sh('apt-get', ['update', '-qq'], 'apt-get update');
    sh('apt-get', ['install', '-y', '-qq', '--no-install-recommends', 'ansible-core'], 'apt-get install ansible-core');
  });
  if (!ansiblePlaybookPath()) throw new Error('bench: ansible-core installed but ansible-playbook is not on PATH');
}

/** The lab's rootfs plus python3, in ANSIBLE_CACHE_DIR (built once, a minute or so). */
export async function ensurePythonRootfs(): Promise<string> {
  const final = join(ANSIBLE_CACHE_DIR, 'rootfs');
  const want = readFileSync(join(LAB_ROOTFS, COMPLETE_MARKER), 'utf8');
  if (existsSync(join(final, COMPLETE_MARKER)) && readFileSync(join(final, COMPLETE_MARKER), 'utf8') === want && existsSync(join(final, 'usr/bin/python3'))) {
    return final;
  }
  console.error(`bench: building ${final} (the lab's rootfs + python3, for Ansible's runs)`);
  mkdirSync(ANSIBLE_CACHE_DIR, { recursive: true });
  const tmp = final + '.tmp';
  rmSync(tmp, { recursive: true, force: true });
  sh('cp', ['-a', LAB_ROOTFS, tmp], 'copying the lab rootfs'); // owners, modes, links as they are
  const hosts = join(tmp, 'etc/hosts');
  const hostsBefore = readFileSync(hosts, 'utf8');
  await withMirror((address) => {
    writeFileSync(hosts, hostsBefore + `${address}\t${mirrorHost()}\n`);
    try {
      sh('unshare', ['--mount', '--fork', 'sh', '-ec',
        `mount --bind /dev '${tmp}/dev'; mount -t proc proc '${tmp}/proc'; ` +
          `chroot '${tmp}' apt-get update -qq; chroot '${tmp}' apt-get install -y -qq --no-install-recommends python3; chroot '${tmp}' apt-get clean`],
        'apt-get install python3 in the chroot');
    } finally {
      writeFileSync(hosts, hostsBefore);
    }
  });
  writeFileSync(join(tmp, COMPLETE_MARKER), want);
  rmSync(final, { recursive: true, force: true });
  renameSync(tmp, final);
  execFileSync('test', ['-x', join(final, 'usr/bin/python3')]);
  return final;
}
