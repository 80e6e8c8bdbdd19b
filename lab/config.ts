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

/**
 * Which lab of the machine this process works on: LAB_INSTANCE=0 (the default) .. 9. Each instance has
 * its own bridge, namespaces, links, runtime dir and default range, so several checkouts (or CI and a
 * developer) can each run a lab at once. Instance 0 keeps the historical names.
 */
export function labInstance(): number {
  const raw = (process.env.LAB_INSTANCE ?? '').trim();
  if (raw === '') return 0;
  if (!/^[0-9]$/.test(raw)) throw new Error(`lab: LAB_INSTANCE=${raw} is not a digit 0..9`);
  return Number(raw);
}
const INSTANCE = labInstance();
export const BRIDGE = `strlab${INSTANCE}`;
export const NETNS_PREFIX = INSTANCE ? `strlab${INSTANCE}-` : 'strlab-';
/** veth names have at most 15 characters: strl-mailserver, s1-laptop230 */
export const VETH_PREFIX = INSTANCE ? `s${INSTANCE}-` : 'strl-';
export const DEFAULT_HOSTS = ['mailserver', 'laptop1', 'laptop2'];

/** Runtime state, shared by every checkout on the machine (per instance) so any of them can find and clean leftovers. */
export const RUNTIME_DIR = INSTANCE ? `/run/sendmail-tls-relay-lab-${INSTANCE}` : '/run/sendmail-tls-relay-lab';
export const HOSTS_DIR = join(RUNTIME_DIR, 'hosts');

/** Cache of the Debian rootfs, outside the repository. LAB_CACHE_DIR overrides (e.g. to time a fresh build). */
export function cacheDir(): string {
  return process.env.LAB_CACHE_DIR || join(homedir(), '.cache', 'sendmail-tls-relay');
}

/** The Debian releases the lab builds hosts of: bookworm (12, oldstable) and trixie (13, stable). */
export const SUITES = ['bookworm', 'trixie'] as const;
export type Suite = (typeof SUITES)[number];
export const DEFAULT_SUITE: Suite = 'bookworm';

function suiteFrom(raw: string | undefined, what: string): Suite | undefined {
  const v = (raw ?? '').trim().toLowerCase();
  if (v === '') return undefined;
  const alias: Record<string, Suite> = { '12': 'bookworm', debian12: 'bookworm', '13': 'trixie', debian13: 'trixie' };
  const s = (alias[v] ?? v) as Suite;
  if (!SUITES.includes(s)) throw new Error(`lab: ${what}=${raw} is not a suite the lab builds (${SUITES.join(', ')})`);
  return s;
}

/** The whole lab's release: LAB_SUITE (bookworm, trixie, 12 or 13; default bookworm). */
export function labSuite(env: NodeJS.ProcessEnv = process.env): Suite {
  return suiteFrom(env.LAB_SUITE, 'LAB_SUITE') ?? DEFAULT_SUITE;
}

/** One host's release: LAB_SUITE_<host> (e.g. LAB_SUITE_mailserver=trixie), else LAB_SUITE. A mixed lab
 *  is a trixie server with bookworm laptops (LAB_SUITE_mailserver=trixie) or the reverse
 *  (LAB_SUITE=trixie LAB_SUITE_mailserver=bookworm). */
export function hostSuite(name: string, env: NodeJS.ProcessEnv = process.env): Suite {
  return suiteFrom(env[`LAB_SUITE_${name}`], `LAB_SUITE_${name}`) ?? labSuite(env);
}

/** The cached rootfs of a release: bookworm keeps the historical path (rootfs), others rootfs-<suite>. */
export function rootfsDir(suite: Suite = DEFAULT_SUITE): string {
  return join(cacheDir(), suite === 'bookworm' ? 'rootfs' : `rootfs-${suite}`);
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
  // instance N of the lab keeps its files apart from instance 0's: .lab/instance-N
  const dir = INSTANCE ? join(repoRoot(), '.lab', `instance-${INSTANCE}`) : join(repoRoot(), '.lab');
  return {
    dir,
    key: join(dir, 'id_ed25519'),
    publicKey: join(dir, 'id_ed25519.pub'),
    knownHosts: join(dir, 'known_hosts'),
    inventory: join(dir, 'inventory.yml'),
  };
}
export const labPaths: LabPaths = makeLabPaths();

/**
 * The lab's /24 as its first three octets, from LAB_NET ("198.18.0", "198.18.0.0" or "198.18.0.0/24").
 * The default is in 198.18.0.0/15, the range RFC 2544 reserves for benchmarking networks: no registry
 * or mirror lives there (203.0.113.0/24, the old default, held this machine's package registries).
 * Instance N defaults to 198.18.N.0/24.
 */
export function labNet(): string {
  const raw = (process.env.LAB_NET || `198.18.${INSTANCE}.0/24`).trim();
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})(?:\.0)?(?:\/24)?$/.exec(raw);
  if (!m || m.slice(1, 4).some((o) => Number(o) > 255)) {
    throw new Error(`lab: LAB_NET=${raw} is not a /24 (use e.g. 198.18.0 or 198.18.0.0/24)`);
  }
  return `${Number(m[1])}.${Number(m[2])}.${Number(m[3])}`;
}

const HOST_RE = /^(mailserver|jumphost|laptop([1-9]\d{0,2}))$/;

/** The lab's bastion: sshd (and a laptop's sendmail), not in the inventory; `LAB_ISOLATE` laptops are reached through it. */
export const JUMP_HOST = 'jumphost';

export function checkHostName(name: string): void {
  const m = HOST_RE.exec(name);
  if (!m || (m[2] && Number(m[2]) > 230)) {
    throw new Error(`lab: unknown host "${name}" (hosts are mailserver, jumphost and laptop1 .. laptop230)`);
  }
}

/** Last octet of a host's address: jumphost .5, mailserver .10, laptopN .(20+N). */
export function hostOctet(name: string): number {
  checkHostName(name);
  if (name === JUMP_HOST) return 5;
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
