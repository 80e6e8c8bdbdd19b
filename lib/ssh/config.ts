// OpenSSH client configuration (ssh_config(5)) resolved for one host, as `ssh HOST` reads it:
// command-line options first, then the user's file, then the system's; for each setting the first
// value obtained wins (IdentityFile and friends accumulate); `Host` patterns with `!` negation;
// `Include` in place (relative to ~/.ssh for the user's file, /etc/ssh for the system's, globs).
//
// The lines are tokenised by the `ssh-config` package (quotes, `=` separators, multi-value
// directives). What it lacks, written here:
// - `Include` (its compute() treats it as a plain directive) and so loops and depth;
// - line numbers, for errors as `file:line: …`;
// - its compute() matches `?` as "zero or one character" (OpenSSH: exactly one), does not lower-case
//   the host as ssh does, and runs `Match exec` commands by default. The evaluation loop below is
//   OpenSSH's readconf.c (activep per Host/Match line, Include keeps the enclosing state), with the
//   pattern match of lib/known-hosts.ts (OpenSSH's match_pattern).
// Pure: files are read through `io`, so the unit tests give text and compare with `ssh -G`.
import { parse as parseSshConfig } from 'ssh-config';
import { matchHostPatterns, matchPattern } from '../known-hosts.js';

/** A Host line: OpenSSH compares its patterns case-sensitively with the name as given; a matching
 *  negated pattern cancels the line (readconf.c). */
function hostLineMatches(host: string, patterns: string[]): boolean {
  let hit = false;
  for (const p of patterns) {
    if (p.startsWith('!')) {
      if (matchPattern(host, p.slice(1))) return false;
    } else if (matchPattern(host, p)) hit = true;
  }
  return hit;
}

/** A problem in an ssh_config file (or in ssh options): one line, `file:line: detail`. */
export class SshConfigError extends Error {
  override name = 'SshConfigError';
}

export interface SshConfigIo {
  /** the file's text, or undefined when it does not exist */
  read(path: string): string | undefined;
  /** paths matching a glob pattern (absolute), sorted */
  glob(pattern: string): string[];
  home: string;
  localUser: string;
  /** for %l (the local host name) and %i (the local uid) */
  localHostName?: string;
  uid?: number;
}

/** One option as ssh would take it: from `-o Key=Value` or a config line. */
export interface SshOption {
  key: string;
  value: string;
  /** where it came from, for messages: `file:line` or `ansible_ssh_common_args of laptop1` */
  where: string;
}

export interface SshSettings {
  /** the name ssh was given */
  host: string;
  hostName: string;
  user?: string;
  port?: number;
  identityFiles: string[];
  identitiesOnly: boolean;
  /** the ProxyJump value (undefined or 'none': no jump) */
  proxyJump?: string;
  proxyCommand?: string;
  userKnownHostsFiles?: string[];
  strictHostKeyChecking?: string;
  /** where each setting came from (lower-case key → `file:line`) */
  where: Record<string, string>;
}

const KEYS = ['hostname', 'user', 'port', 'identityfile', 'identitiesonly', 'proxyjump', 'proxycommand', 'userknownhostsfile', 'stricthostkeychecking'];
const MAX_INCLUDE_DEPTH = 16; // OpenSSH's READCONF_MAX_DEPTH

interface Line {
  key: string;
  args: string[];
  /** the raw value (ProxyCommand keeps its quoting) */
  raw: string;
  where: string;
}

// The same files are read for every host of a run (~/.ssh/config, /etc/ssh/ssh_config and their
// Includes): each text is parsed once. The lines are never changed by their readers.
const parsedLines = new Map<string, Line[]>();

/** Tokenise one file with ssh-config, one line at a time (so each directive keeps its line number). */
export function parseConfigLines(text: string, file: string): Line[] {
  const key = `${file}\0${text}`;
  let lines = parsedLines.get(key);
  if (!lines) {
    lines = parseConfigText(text, file);
    if (parsedLines.size > 64) parsedLines.clear();
    parsedLines.set(key, lines);
  }
  return lines;
}

function parseConfigText(text: string, file: string): Line[] {
  const out: Line[] = [];
  text.split(/\r?\n/).forEach((rawLine, i) => {
    const where = `${file}:${i + 1}`;
    const line = rawLine.trim();
    if (line === '' || line.startsWith('#')) return;
    let parsed;
    try {
      parsed = parseSshConfig(line);
    } catch (e) {
      throw new SshConfigError(`${where}: ${(e as Error).message.replace(/^Unexpected line break at .*/, 'unbalanced quotes')}`);
    }
    const d = parsed.find((l) => 'param' in l) as { param: string; value: string | Array<{ val: string }> } | undefined;
    if (!d || !d.param) return;
    const args = typeof d.value === 'string' ? (d.value === '' ? [] : [d.value]) : d.value.map((v) => v.val);
    // the raw text after the keyword, for ProxyCommand (run by /bin/sh as written)
    const raw = line.replace(/^\S+?(?:\s*=\s*|\s+)/, '').trim();
    out.push({ key: d.param.toLowerCase(), args, raw, where });
  });
  return out;
}

function expandTilde(p: string, home: string): string {
  if (p === '~') return home;
  if (p.startsWith('~/')) return home + p.slice(1);
  return p;
}

/** ssh's percent tokens (ssh_config(5) TOKENS); an unknown token is an error as in ssh. */
export function expandTokens(value: string, tokens: Record<string, string>, where: string): string {
  return value.replace(/%(.)/g, (m, c: string) => {
    if (c === '%') return '%';
    const v = tokens[c];
    if (v === undefined) throw new SshConfigError(`${where}: unknown token %${c} in "${value}"`);
    return v;
  });
}

interface State {
  host: string;
  originalHost: string;
  localUser: string;
  /** first value per key (list keys accumulate) */
  values: Map<string, Line>;
  identityFiles: Line[];
}

function apply(st: State, line: Line): void {
  if (!KEYS.includes(line.key)) return;
  if (line.key === 'identityfile') {
    st.identityFiles.push(line);
    return;
  }
  // ProxyJump and ProxyCommand exclude each other: the first of the two obtained wins (readconf.c)
  if ((line.key === 'proxyjump' || line.key === 'proxycommand') && (st.values.has('proxyjump') || st.values.has('proxycommand'))) return;
  if (!st.values.has(line.key)) st.values.set(line.key, line);
}

function matchLine(st: State, line: Line): boolean {
  // Match: the criteria a roaming admin's config uses; the others (exec, canonical, final, tagged,
  // localnetwork) would need ssh's own resolution passes: refused by name rather than guessed
  const a = line.args;
  if (a.length === 0) throw new SshConfigError(`${line.where}: Match needs criteria`);
  let result = true;
  for (let i = 0; i < a.length; i++) {
    let crit = a[i]!.toLowerCase();
    const negate = crit.startsWith('!');
    if (negate) crit = crit.slice(1);
    if (crit === 'all') continue;
    const arg = a[++i];
    if (arg === undefined) throw new SshConfigError(`${line.where}: Match ${crit} needs an argument`);
    const pats = arg.split(',');
    let subject: string;
    if (crit === 'host') subject = st.values.get('hostname') ? expandTokens(st.values.get('hostname')!.args[0] ?? '', { h: st.host }, line.where).toLowerCase() : st.host.toLowerCase();
    else if (crit === 'originalhost') subject = st.originalHost;
    else if (crit === 'user') subject = st.values.get('user')?.args[0] ?? st.localUser;
    else if (crit === 'localuser') subject = st.localUser;
    else throw new SshConfigError(`${line.where}: Match ${crit} is not supported by this tool (host, originalhost, user, localuser, all are)`);
    const m = matchHostPatterns(subject, pats) === 1;
    if (m === negate) result = false;
  }
  return result;
}

function readFileInto(st: State, path: string, io: SshConfigIo, base: string, active: { on: boolean }, neverMatch: boolean, stack: string[]): void {
  const text = io.read(path);
  if (text === undefined) return;
  for (const line of parseConfigLines(text, path)) {
    if (line.key === 'host') {
      active.on = !neverMatch && hostLineMatches(st.host, line.args);
      continue;
    }
    if (line.key === 'match') {
      active.on = !neverMatch && matchLine(st, line);
      continue;
    }
    if (line.key === 'include') {
      if (line.args.length === 0) throw new SshConfigError(`${line.where}: Include needs a file name`);
      const outer = active.on;
      for (const arg of line.args) {
        let pattern = expandTilde(arg, io.home);
        if (!pattern.startsWith('/')) pattern = `${base}/${pattern}`;
        const files = /[*?[]/.test(pattern) ? io.glob(pattern) : [pattern];
        for (const f of files) {
          if (stack.includes(f)) throw new SshConfigError(`${line.where}: Include loop: ${[...stack.slice(stack.indexOf(f)), f].join(' -> ')}`);
          if (stack.length >= MAX_INCLUDE_DEPTH) throw new SshConfigError(`${line.where}: Include nested more than ${MAX_INCLUDE_DEPTH} deep`);
          readFileInto(st, f, io, base, active, neverMatch || !outer, [...stack, f]);
          active.on = outer;
        }
      }
      continue;
    }
    if (active.on) apply(st, line);
  }
}

export interface ResolveRequest {
  /** the name given to ssh (ansible_host, else the inventory name) */
  host: string;
  /** options given on the command line (-o, -p, -l, -i, -J), in order */
  options?: SshOption[];
  /** the user's config (default ~/.ssh/config), or the -F file (then the system file is not read) */
  userConfig?: string;
  /** false when -F was given */
  systemConfig?: string | false;
}

/** Resolve the settings of one host, as `ssh -G HOST` prints them. */
export function resolveSshConfig(req: ResolveRequest, io: SshConfigIo): SshSettings {
  const host = req.host;
  const st: State = { host, originalHost: host, localUser: io.localUser, values: new Map(), identityFiles: [] };
  for (const o of req.options ?? []) {
    const key = o.key.toLowerCase();
    if (key === 'include' || key === 'host' || key === 'match') throw new SshConfigError(`${o.where}: -o ${o.key} is not an option ssh takes on its command line`);
    apply(st, { key, args: key === 'userknownhostsfile' ? o.value.split(/\s+/).filter(Boolean) : [o.value], raw: o.value, where: o.where });
  }
  const userConfig = req.userConfig ?? `${io.home}/.ssh/config`;
  readFileInto(st, userConfig, io, `${io.home}/.ssh`, { on: true }, false, [userConfig]);
  if (req.systemConfig !== false) {
    const sys = req.systemConfig ?? '/etc/ssh/ssh_config';
    readFileInto(st, sys, io, '/etc/ssh', { on: true }, false, [sys]);
  }
  const get = (k: string) => st.values.get(k);
  const where: Record<string, string> = {};
  for (const [k, l] of st.values) where[k] = l.where;
  if (st.identityFiles.length) where['identityfile'] = st.identityFiles[0]!.where;

  const hn = get('hostname');
  const hostName = hn ? expandTokens(hn.args[0] ?? '', { h: host }, hn.where).toLowerCase() : host.toLowerCase();
  const portLine = get('port');
  let port: number | undefined;
  if (portLine) {
    const n = Number(portLine.args[0]);
    if (!/^\d+$/.test(portLine.args[0] ?? '') || n < 1 || n > 65535) throw new SshConfigError(`${portLine.where}: Port must be a number from 1 to 65535, not "${portLine.args[0] ?? ''}"`);
    port = n;
  }
  const user = get('user')?.args[0];
  const yesNo = (l: Line | undefined): boolean => {
    if (!l) return false;
    const v = (l.args[0] ?? '').toLowerCase();
    if (v === 'yes' || v === 'true') return true;
    if (v === 'no' || v === 'false') return false;
    throw new SshConfigError(`${l.where}: ${l.key} must be yes or no, not "${l.args[0] ?? ''}"`);
  };
  const shk = get('stricthostkeychecking');
  if (shk && !['yes', 'no', 'ask', 'accept-new', 'off', 'true', 'false'].includes((shk.args[0] ?? '').toLowerCase())) {
    throw new SshConfigError(`${shk.where}: StrictHostKeyChecking must be yes, no, ask, accept-new or off, not "${shk.args[0] ?? ''}"`);
  }
  const finalPort = String(port ?? 22);
  const finalUser = user ?? io.localUser;
  const fileTokens = { h: hostName, n: host, p: finalPort, r: finalUser, u: io.localUser, d: io.home, l: io.localHostName ?? '', L: (io.localHostName ?? '').split('.')[0]!, i: String(io.uid ?? '') };
  const settings: SshSettings = {
    host,
    hostName,
    identityFiles: st.identityFiles.flatMap((l) => l.args.map((a) => expandTokens(expandTilde(a, io.home), fileTokens, l.where))),
    identitiesOnly: yesNo(get('identitiesonly')),
    where,
  };
  if (user !== undefined) settings.user = user;
  if (port !== undefined) settings.port = port;
  const pj = get('proxyjump');
  if (pj && (pj.args[0] ?? '').toLowerCase() !== 'none') settings.proxyJump = pj.args.join(' ');
  const pc = get('proxycommand');
  if (pc && pc.raw.toLowerCase() !== 'none') settings.proxyCommand = expandTokens(pc.raw, { h: hostName, n: host, p: finalPort, r: finalUser }, pc.where);
  const ukh = get('userknownhostsfile');
  if (ukh) settings.userKnownHostsFiles = ukh.args.filter((a) => a.toLowerCase() !== 'none').map((a) => expandTokens(expandTilde(a, io.home), fileTokens, ukh.where));
  if (shk) settings.strictHostKeyChecking = (shk.args[0] ?? '').toLowerCase();
  return settings;
}

export interface JumpHop {
  user?: string;
  host: string;
  port?: number;
}

/** ProxyJump / -J: `[user@]host[:port][,…]` (ssh://user@host:port too), each hop in order. */
export function parseProxyJump(value: string, where: string): JumpHop[] {
  return value.split(',').map((raw) => {
    let s = raw.trim();
    if (s === '') throw new SshConfigError(`${where}: empty jump host in "${value}"`);
    s = s.replace(/^ssh:\/\//, '');
    let user: string | undefined;
    const at = s.lastIndexOf('@');
    if (at >= 0) {
      user = s.slice(0, at);
      s = s.slice(at + 1);
    }
    let port: number | undefined;
    const m = /^\[([^\]]+)\](?::(\d+))?$/.exec(s) ?? /^([^:]+)(?::(\d+))?$/.exec(s);
    if (!m || (user !== undefined && user === '')) throw new SshConfigError(`${where}: bad jump host "${raw.trim()}" in "${value}"`);
    if (m[2] !== undefined) {
      port = Number(m[2]);
      if (port < 1 || port > 65535) throw new SshConfigError(`${where}: bad port in jump host "${raw.trim()}"`);
    }
    const hop: JumpHop = { host: m[1]! };
    if (user !== undefined) hop.user = user;
    if (port !== undefined) hop.port = port;
    return hop;
  });
}

/** ssh flags that take an argument (ssh(1) SYNOPSIS), so that their argument is skipped. */
const FLAGS_WITH_ARG = new Set('BbcDEeFIiJLlmOoPpQRSWw'.split(''));

/**
 * The options of an ssh command line (ansible_ssh_common_args, ansible_ssh_extra_args, ansible.cfg
 * ssh_args), already split into words. Returns the options ssh_config would see and a -F file.
 * Options this tool has no use for (-C, -4, -o ControlMaster=…) are passed over as ssh would take
 * them; a flag missing its argument is an error naming `where`.
 */
export function sshArgsOptions(words: string[], where: string): { options: SshOption[]; configFile?: string } {
  const options: SshOption[] = [];
  let configFile: string | undefined;
  for (let i = 0; i < words.length; i++) {
    const w = words[i]!;
    if (!w.startsWith('-') || w === '-') throw new SshConfigError(`${where}: "${w}" is not an ssh option`);
    for (let j = 1; j < w.length; j++) {
      const f = w[j]!;
      if (!FLAGS_WITH_ARG.has(f)) continue;
      let arg = w.slice(j + 1);
      if (arg === '') {
        const next = words[++i];
        if (next === undefined) throw new SshConfigError(`${where}: ssh option -${f} needs an argument`);
        arg = next;
      }
      if (f === 'o') {
        const m = /^\s*([A-Za-z]+)\s*(?:=\s*|\s+)(.*)$/.exec(arg);
        if (!m) throw new SshConfigError(`${where}: -o "${arg}" is not Key=Value`);
        options.push({ key: m[1]!, value: m[2]!.trim().replace(/^"(.*)"$/, '$1'), where });
      } else if (f === 'J') options.push({ key: 'ProxyJump', value: arg, where });
      else if (f === 'p') options.push({ key: 'Port', value: arg, where });
      else if (f === 'l') options.push({ key: 'User', value: arg, where });
      else if (f === 'i') options.push({ key: 'IdentityFile', value: arg, where });
      else if (f === 'F') configFile = arg;
      break; // the rest of the word was the argument
    }
  }
  const out: { options: SshOption[]; configFile?: string } = { options };
  if (configFile !== undefined) out.configFile = configFile;
  return out;
}
