// Lab constants and paths: where the rootfs cache, the runtime state and the checkout's .lab/ live,
// and how host names map to addresses and interface names.
import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Root of the checkout (the directory holding package.json), found from this module's location. */
export function repoRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    if (existsSync(join(dir, 'package.json')) && existsSync(join(dir, 'tsconfig.json'))) return dir;
    const up = dirname(dir);
    if (up === dir) throw new Error('lab: cannot find the checkout (package.json) above ' + fileURLToPath(import.meta.url));
    dir = up;
  }
}

export const LAB_DOMAIN = 'lab.example';
export const BRIDGE = 'strlab0';
export const NETNS_PREFIX = 'strlab-';
export const VETH_PREFIX = 'strl-';
export const DEFAULT_HOSTS = ['mailserver', 'laptop1', 'laptop2'];

/** Runtime state, shared by every checkout on the machine so any of them can find and clean leftovers. */
export const RUNTIME_DIR = '/run/sendmail-tls-relay-lab';
export const HOSTS_DIR = join(RUNTIME_DIR, 'hosts');

/** Cache of the Debian rootfs, outside the repository. LAB_CACHE_DIR overrides (e.g. to time a fresh build). */
export function cacheDir(): string {
  return process.env.LAB_CACHE_DIR || join(homedir(), '.cache', 'sendmail-tls-relay');
}
export function rootfsDir(): string {
  return join(cacheDir(), 'rootfs');
}

export interface LabPaths {
  /** the checkout's .lab directory */
  dir: string;
  /** private key authorised for root on every host */
  key: string;
  publicKey: string;
  knownHosts: string;
  inventory: string;
}

function makeLabPaths(): LabPaths {
  const dir = join(repoRoot(), '.lab');
  return {
    dir,
    key: join(dir, 'id_ed25519'),
    publicKey: join(dir, 'id_ed25519.pub'),
    knownHosts: join(dir, 'known_hosts'),
    inventory: join(dir, 'inventory.yml'),
  };
}
export const labPaths: LabPaths = makeLabPaths();

/** The lab's /24 as its first three octets, from LAB_NET ("203.0.113", "203.0.113.0" or "203.0.113.0/24"). */
export function labNet(): string {
  const raw = (process.env.LAB_NET || '203.0.113.0/24').trim();
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})(?:\.0)?(?:\/24)?$/.exec(raw);
  if (!m || m.slice(1, 4).some((o) => Number(o) > 255)) {
    throw new Error(`lab: LAB_NET=${raw} is not a /24 (use e.g. 203.0.113 or 203.0.113.0/24)`);
  }
  return `${Number(m[1])}.${Number(m[2])}.${Number(m[3])}`;
}

const HOST_RE = /^(mailserver|laptop([1-9]\d{0,2}))$/;

export function checkHostName(name: string): void {
  const m = HOST_RE.exec(name);
  if (!m || (m[2] && Number(m[2]) > 230)) {
    throw new Error(`lab: unknown host "${name}" (hosts are mailserver and laptop1 .. laptop230)`);
  }
}

/** Last octet of a host's address: mailserver .10, laptopN .(20+N). */
export function hostOctet(name: string): number {
  checkHostName(name);
  if (name === 'mailserver') return 10;
  return 20 + Number(name.slice('laptop'.length));
}
export function hostAddress(name: string, net = labNet()): string {
  return `${net}.${hostOctet(name)}`;
}
export function bridgeAddress(net = labNet()): string {
  return `${net}.1`;
}
export function hostFqdn(name: string): string {
  return `${name}.${LAB_DOMAIN}`;
}
export function netnsName(name: string): string {
  return NETNS_PREFIX + name;
}
/** Root-namespace end of the host's veth (at most 15 characters: strl-mailserver is exactly 15). */
export function vethName(name: string): string {
  return VETH_PREFIX + name;
}
export function hostDir(name: string): string {
  return join(HOSTS_DIR, name);
}
/** The host's filesystem as seen from the machine (the merged overlay, mounted in the root mount namespace). */
export function hostRoot(name: string): string {
  return join(hostDir(name), 'merged');
}
/** Sort hosts: mailserver first, then laptops by number. */
export function sortHosts(names: Iterable<string>): string[] {
  return [...new Set(names)].sort((a, b) => hostOctet(a) - hostOctet(b));
}
