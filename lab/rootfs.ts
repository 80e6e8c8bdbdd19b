// The lab's Debian rootfs (one per release: bookworm, trixie): built once with debootstrap from the mirror the machine's apt
// sources already use, prepared for the lab (no DNS, no host keys, root login by key), cached outside
// the repository.
import { existsSync, readFileSync, readdirSync, writeFileSync, rmSync, renameSync, mkdirSync, unlinkSync } from 'node:fs';
import { join } from 'node:path';
import { $ } from 'zx';
import { cacheDir, rootfsDir, DEFAULT_SUITE, type Suite } from './config.js';

export const DEBOOTSTRAP_PACKAGES = [
  'openssh-server', 'sendmail', 'sendmail-bin', 'sendmail-cf', 'openssl', 'make', 'm4', 'busybox-syslogd',
  'iproute2', 'procps', 'netbase', 'ca-certificates',
  // sudo: the tests of ansible_become (a non-root user that becomes root)
  'sudo',
];
/** What the complete-marker holds: the preparation's version and the package list it was built with. */
function markerText(): string {
  return `${PREPARE_VERSION}\n${DEBOOTSTRAP_PACKAGES.join(',')}`;
}
/** Bump when prepareRootfs changes, so a cached rootfs gets prepared again. */
const PREPARE_VERSION = '1';
const DEBOOTSTRAP_MARKER = '.strlab-debootstrap-complete';
const COMPLETE_MARKER = '.strlab-rootfs-complete';

interface AptSource { types: string[]; uris: string[]; suites: string[]; components: string[] }

function parseListFile(text: string): AptSource[] {
  const out: AptSource[] = [];
  for (let line of text.split('\n')) {
    line = line.replace(/#.*/, '').trim();
    if (!line) continue;
    // deb [opts] uri suite comp...
    const m = /^(deb|deb-src)\s+(?:\[[^\]]*\]\s+)?(\S+)\s+(\S+)\s*(.*)$/.exec(line);
    if (!m) continue;
    out.push({ types: [m[1]], uris: [m[2]], suites: [m[3]], components: m[4].split(/\s+/).filter(Boolean) });
  }
  return out;
}

function parseDeb822(text: string): AptSource[] {
  const out: AptSource[] = [];
  for (const stanza of text.split(/\n\s*\n/)) {
    const fields: Record<string, string> = {};
    let last = '';
    for (const raw of stanza.split('\n')) {
      if (raw.startsWith('#')) continue;
      if (/^\s/.test(raw) && last) { fields[last] += ' ' + raw.trim(); continue; }
      const m = /^([A-Za-z-]+):\s*(.*)$/.exec(raw);
      if (m) { last = m[1].toLowerCase(); fields[last] = m[2]; }
    }
    if (!fields.uris) continue;
    if (fields.enabled && fields.enabled.trim().toLowerCase() === 'no') continue;
    const split = (s?: string) => (s || '').split(/\s+/).filter(Boolean);
    out.push({ types: split(fields.types), uris: split(fields.uris), suites: split(fields.suites), components: split(fields.components) });
  }
  return out;
}

/** All apt sources of the machine (sources.list, sources.list.d/*.list and *.sources). */
export function aptSources(root = '/etc/apt'): AptSource[] {
  const sources: AptSource[] = [];
  const main = join(root, 'sources.list');
  if (existsSync(main)) sources.push(...parseListFile(readFileSync(main, 'utf8')));
  const d = join(root, 'sources.list.d');
  if (existsSync(d)) {
    for (const f of readdirSync(d).sort()) {
      const p = join(d, f);
      if (f.endsWith('.list')) sources.push(...parseListFile(readFileSync(p, 'utf8')));
      else if (f.endsWith('.sources')) sources.push(...parseDeb822(readFileSync(p, 'utf8')));
    }
  }
  return sources;
}

/** The Debian mirror serving `suite` main (not -security), read from the machine's apt sources. A
 *  machine's sources name its own release only: for another release, the mirror that serves Debian
 *  bookworm or trixie main is used (a Debian mirror carries every release). */
export function debianMirror(root = '/etc/apt', suite: Suite = DEFAULT_SUITE): string {
  const debian = aptSources(root).filter((s) => s.types.includes('deb') && s.components.includes('main'));
  const pick = (want: (s: AptSource) => boolean) => {
    for (const s of debian.filter(want)) {
      const uri = s.uris.find((u) => /^(https?|file):/.test(u) && !/security/.test(u));
      if (uri) return uri;
    }
    return undefined;
  };
  const uri = pick((s) => s.suites.includes(suite)) ?? pick((s) => s.suites.some((x) => x === 'bookworm' || x === 'trixie'));
  if (uri) return uri;
  throw new Error(`lab: no apt source serves Debian ${suite} main (looked in /etc/apt/sources.list and sources.list.d)`);
}

export function rootfsReady(suite: Suite = DEFAULT_SUITE): boolean {
  const f = join(rootfsDir(suite), COMPLETE_MARKER);
  return existsSync(f) && readFileSync(f, 'utf8').trim() === markerText();
}

function edit(file: string, fn: (s: string) => string): void {
  const before = readFileSync(file, 'utf8');
  const after = fn(before);
  if (after !== before) writeFileSync(file, after);
}

/** Idempotent preparation of a debootstrapped tree for the lab. */
export function prepareRootfs(dir: string): void {
  const p = (rel: string) => join(dir, rel);
  edit(p('etc/nsswitch.conf'), (s) => s.replace(/^hosts:.*$/m, 'hosts:          files'));
  rmSync(p('etc/resolv.conf'), { force: true });
  writeFileSync(p('etc/resolv.conf'), '');
  edit(p('etc/mail/service.switch'), (s) => s.replace(/^hosts\s.*$/m, 'hosts\t\tfiles'));
  for (const f of readdirSync(p('etc/ssh'))) if (f.startsWith('ssh_host_')) unlinkSync(p(`etc/ssh/${f}`));
  const tls = p('etc/mail/tls');
  mkdirSync(tls, { recursive: true });
  for (const f of readdirSync(tls)) rmSync(join(tls, f), { recursive: true, force: true });
  mkdirSync(p('etc/ssh/sshd_config.d'), { recursive: true });
  writeFileSync(
    p('etc/ssh/sshd_config.d/strlab.conf'),
    '# sendmail-tls-relay lab: root logs in with the lab key only\n' +
      'PermitRootLogin prohibit-password\nPasswordAuthentication no\nKbdInteractiveAuthentication no\nUseDNS no\n',
  );
  writeFileSync(p('etc/hostname'), 'localhost\n');
  rmSync(p('etc/mailname'), { force: true });
  mkdirSync(p('root/.ssh'), { recursive: true, mode: 0o700 });
}

/** Make sure the prepared rootfs exists in the cache; build it (debootstrap, a minute or so) if not. */
export async function ensureRootfs(log: (s: string) => void = console.error, suite: Suite = DEFAULT_SUITE): Promise<string> {
  const final = rootfsDir(suite);
  if (rootfsReady(suite)) return final;
  const built = existsSync(join(final, COMPLETE_MARKER)) ? readFileSync(join(final, COMPLETE_MARKER), 'utf8').trim().split('\n') : undefined;
  if (built && built[1] !== DEBOOTSTRAP_PACKAGES.join(',')) {
    // built with another package list: build again (no host uses it: the caller only builds when no lab runs)
    log('lab: the cached rootfs was built with other packages; building it again');
    rmSync(final, { recursive: true, force: true });
    rmSync(final + '.tmp', { recursive: true, force: true });
  } else if (built) {
    // Prepared by an older version of this code: prepare again, in place (no host uses it: the caller
    // only builds when no lab is running).
    prepareRootfs(final);
    writeFileSync(join(final, COMPLETE_MARKER), markerText() + '\n');
    return final;
  }
  mkdirSync(cacheDir(), { recursive: true });
  const tmp = final + '.tmp';
  if (!existsSync(join(tmp, DEBOOTSTRAP_MARKER))) {
    const mirror = debianMirror('/etc/apt', suite);
    log(`lab: building the Debian ${suite} rootfs with debootstrap from ${mirror} (once; about a minute)`);
    rmSync(tmp, { recursive: true, force: true });
    const started = Date.now();
    const r = await $`debootstrap --variant=minbase --include=${DEBOOTSTRAP_PACKAGES.join(',')} ${suite} ${tmp} ${mirror}`
      .quiet()
      .nothrow();
    if (r.exitCode !== 0) {
      const logFile = join(tmp, 'debootstrap/debootstrap.log');
      const tail = existsSync(logFile) ? readFileSync(logFile, 'utf8').split('\n').slice(-20).join('\n') : '';
      throw new Error(`lab: debootstrap failed (exit ${r.exitCode}):\n${r.stderr}\n${tail}`);
    }
    writeFileSync(join(tmp, DEBOOTSTRAP_MARKER), `${mirror}\n${(Date.now() - started) / 1000}s\n`);
    log(`lab: debootstrap took ${((Date.now() - started) / 1000).toFixed(1)} s`);
  }
  prepareRootfs(tmp);
  writeFileSync(join(tmp, COMPLETE_MARKER), markerText() + '\n');
  rmSync(final, { recursive: true, force: true });
  renameSync(tmp, final);
  return final;
}
