// Build a sendmail.mc with m4 on this machine against the lab rootfs's sendmail-cf tree, as
// Debian's Makefile does (m4 sendmail.mc > sendmail.cf 2> sendmail.cf.errors), for unit tests.
// The rootfs is only read: its cf tree, /etc/mail/m4 and a starttls.m4 are copied to a temporary
// folder and the absolute include paths rewritten to point there. Test helper only.
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readFileSync, readdirSync, statSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { rootfsDir, type Suite } from '../../lab/config.js';

const trees = new Map<Suite, string>();

/** Why m4 builds cannot run here (no m4, no rootfs of that suite), or undefined. */
export function m4Unavailable(suite: Suite = 'bookworm'): string | undefined {
  if (spawnSync('m4', ['--version']).status !== 0) return 'm4 is not installed (apt-get install m4)';
  if (!existsSync(join(rootfsDir(suite), 'usr/share/sendmail/cf/m4/cf.m4'))) return `no ${suite} lab rootfs in ${rootfsDir(suite)} (npm run lab -- up builds it)`;
  return undefined;
}

function walk(dir: string, fn: (file: string) => void): void {
  for (const e of readdirSync(dir)) {
    const p = join(dir, e);
    if (statSync(p).isDirectory()) walk(p, fn);
    else fn(p);
  }
}

function tree(suite: Suite, starttlsM4: string): string {
  let t = trees.get(suite);
  if (!t) {
    t = mkdtempSync(join(tmpdir(), `strl-m4-${suite}-`));
    const root = rootfsDir(suite);
    cpSync(join(root, 'usr/share/sendmail/cf'), join(t, 'cf'), { recursive: true, dereference: true });
    cpSync(join(root, 'etc/mail/m4'), join(t, 'etc-mail/m4'), { recursive: true, dereference: true });
    walk(join(t, 'cf'), (f) => {
      if (!f.endsWith('.m4')) return;
      const s = readFileSync(f, 'utf8');
      if (s.includes('/usr/share/sendmail/cf/')) writeFileSync(f, s.replaceAll('/usr/share/sendmail/cf/', `${t}/cf/`));
    });
    trees.set(suite, t);
  }
  mkdirSync(join(t, 'etc-mail/tls'), { recursive: true });
  writeFileSync(join(t, 'etc-mail/tls/starttls.m4'), starttlsM4);
  return t;
}

/** m4 on `mc` (its includes of /usr/share/sendmail/cf and /etc/mail rewritten): sendmail.cf and m4's stderr. */
export function buildCf(mc: string, starttlsM4: string, suite: Suite = 'bookworm'): { cf: string; errors: string } {
  const t = tree(suite, starttlsM4);
  const text = mc
    .replaceAll('/usr/share/sendmail/cf/', `${t}/cf/`)
    .replace(/(s?include\(\s*`?)\/etc\/mail\//g, `$1${t}/etc-mail/`);
  const r = spawnSync('m4', [], { input: text, encoding: 'utf8', cwd: t });
  return { cf: r.stdout, errors: r.stderr };
}


