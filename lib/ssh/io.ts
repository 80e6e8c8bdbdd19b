// The disk side of ssh_config resolution: reading files and expanding Include globs.
import { readFileSync, readdirSync } from 'node:fs';
import { homedir, hostname, userInfo } from 'node:os';
import type { SshConfigIo } from './config.js';

function globRegex(component: string): RegExp {
  let re = '';
  for (let i = 0; i < component.length; i++) {
    const c = component[i]!;
    if (c === '*') re += '[^/]*';
    else if (c === '?') re += '[^/]';
    else if (c === '[') {
      const end = component.indexOf(']', i + 2);
      if (end < 0) re += '\\[';
      else {
        const body = component.slice(i + 1, end).replace(/^!/, '^').replace(/\\/g, '\\\\');
        re += `[${body}]`;
        i = end;
      }
    } else re += c.replace(/[.+^${}()|\\]/g, '\\$&');
  }
  return new RegExp(`^${re}$`);
}

/**
 * glob(3) as ssh uses it for Include: `*`, `?`, `[…]` in any path component, dot files only when
 * the pattern says so, results sorted. Written here because Node 20's fs has no glob, and zx's
 * globby would add ~130 ms to every run (Debian's /etc/ssh/ssh_config includes ssh_config.d/*.conf).
 */
export function globSync(pattern: string): string[] {
  const parts = pattern.split('/');
  let paths = [parts[0] === '' ? '' : '.'];
  if (parts[0] !== '') parts.unshift('.');
  for (const part of parts.slice(1)) {
    if (part === '') continue;
    const next: string[] = [];
    for (const base of paths) {
      if (!/[*?[]/.test(part)) {
        next.push(`${base}/${part}`);
        continue;
      }
      let names: string[];
      try {
        names = readdirSync(base === '' ? '/' : base);
      } catch {
        continue;
      }
      const re = globRegex(part);
      for (const n of names.sort()) if ((!n.startsWith('.') || part.startsWith('.')) && re.test(n)) next.push(`${base}/${n}`);
    }
    paths = next;
  }
  return paths.map((p) => (p.startsWith('./') ? p.slice(2) : p)).sort();
}

/**
 * An io that reads each file and expands each glob once: every host of a run resolves its target
 * through the same ~/.ssh/config, /etc/ssh/ssh_config and their Includes (101 hosts read them 101
 * times, ~10 ms of a run's start-up on a small machine). For one run's start-up only: a file
 * changed meanwhile is not seen again.
 */
export function readOnce(io: SshConfigIo): SshConfigIo {
  const texts = new Map<string, string | undefined>();
  const globs = new Map<string, string[]>();
  return {
    ...io,
    read(path) {
      if (!texts.has(path)) texts.set(path, io.read(path));
      return texts.get(path);
    },
    glob(pattern) {
      let g = globs.get(pattern);
      if (!g) globs.set(pattern, (g = io.glob(pattern)));
      return [...g];
    },
  };
}

export function nodeSshIo(): SshConfigIo {
  let localUser = process.env.USER ?? '';
  try {
    localUser = userInfo().username;
  } catch {
    /* no passwd entry */
  }
  return {
    read(path) {
      try {
        return readFileSync(path, 'utf8');
      } catch (e) {
        const code = (e as NodeJS.ErrnoException).code;
        if (code === 'ENOENT' || code === 'ENOTDIR') return undefined;
        throw new Error(`${path}: cannot read (${code})`);
      }
    },
    glob: globSync,
    home: homedir(),
    localUser,
    localHostName: hostname(),
    uid: process.getuid?.() ?? 0,
  };
}
