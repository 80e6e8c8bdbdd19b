// Ansible's host patterns (lib/ansible/inventory/manager.py: split_host_pattern, order_patterns,
// _evaluate_patterns, _match_one_pattern, _enumerate_matches, subscripts), for --limit:
// - several patterns joined by ',' (or by ':' when there is no ',' and the whole is not one
//   address or range);
// - `name` a group (its hosts and its descendants' hosts) or a host; `all` every host;
// - shell globs `laptop*`, `lap?op[12]` (fnmatch, case-sensitive) over group names and host names;
// - `~regex` (matched at the start of the name, as Python's re.match);
// - `&pattern` keeps only hosts also in it, `!pattern` removes its hosts; the plain patterns are
//   applied first, then the &s, then the !s, whatever their order;
// - a subscript `group[0]`, `group[-1]`, `group[1:3]` picks hosts of a match by position.
// Hand-written: no npm package implements Ansible's pattern language (minimatch-like globbers do
// not know groups, & and !). Pure.
import { SelectionError } from './errors.js';
import { parseAddress } from './ini.js';
import type { Inventory } from './vars.js';

const SUBSCRIPT = /^(.+)\[(?:(-?[0-9]+)|([0-9]+)([:-])([0-9]*))\]$/s;

/** split_host_pattern: a --limit string → single patterns. */
export function splitHostPattern(pattern: string | readonly string[]): string[] {
  if (typeof pattern !== 'string') return pattern.flatMap((p) => splitHostPattern(p));
  let parts: string[];
  if (pattern.includes(',')) parts = pattern.split(',');
  else if (parseAddress(pattern)) parts = [pattern];
  else parts = pattern.match(/(?:[^\s:[\]]|\[[^\]]*\])+/g) ?? [];
  return parts.map((p) => p.trim()).filter((p) => p !== '');
}

/** order_patterns: plain patterns first (or `all` when there is none), then &, then !. */
export function orderPatterns(patterns: readonly string[]): string[] {
  const regular = patterns.filter((p) => p && p[0] !== '!' && p[0] !== '&');
  const inter = patterns.filter((p) => p[0] === '&');
  const excl = patterns.filter((p) => p[0] === '!');
  return [...(regular.length ? regular : ['all']), ...inter, ...excl];
}

/** Python's fnmatch.translate, as a JavaScript RegExp matching the whole name. */
export function fnmatchRegExp(pat: string): RegExp {
  let out = '';
  for (let i = 0; i < pat.length; i++) {
    const c = pat[i]!;
    if (c === '*') out += '.*';
    else if (c === '?') out += '.';
    else if (c === '[') {
      let j = i + 1;
      if (pat[j] === '!') j++;
      if (pat[j] === ']') j++;
      while (j < pat.length && pat[j] !== ']') j++;
      if (j >= pat.length) out += '\\[';
      else {
        let stuff = pat.slice(i + 1, j).replace(/\\/g, '\\\\');
        if (stuff.startsWith('!')) stuff = '^' + stuff.slice(1);
        else if (stuff.startsWith('^')) stuff = '\\' + stuff;
        out += `[${stuff}]`;
        i = j;
      }
    } else out += c.replace(/[.*+?^${}()|[\]\\/-]/g, '\\$&');
  }
  return new RegExp(`^(?:${out})$`, 's');
}

function matcher(pattern: string): RegExp {
  try {
    return pattern[0] === '~' ? new RegExp(`^(?:${pattern.slice(1)})`) : fnmatchRegExp(pattern);
  } catch {
    throw new SelectionError(`invalid host pattern '${pattern}' (not a valid regular expression)`, [pattern], undefined, []);
  }
}

/** Hosts matching one pattern (no & or !), in Ansible's order. */
function enumerateMatches(inv: Inventory, pattern: string): string[] {
  const re = matcher(pattern);
  const results: string[] = [];
  const groups = [...inv.groups.keys()].filter((g) => re.test(g));
  for (const g of groups) results.push(...inv.groups.get(g)!.hosts);
  if (!groups.length || pattern[0] === '~' || /[.?*[]/.test(pattern)) {
    for (const h of inv.hosts.keys()) if (re.test(h)) results.push(h);
  }
  return [...new Set(results)];
}

function matchOne(inv: Inventory, pattern: string): string[] {
  if (pattern[0] === '&' || pattern[0] === '!') pattern = pattern.slice(1);
  let expr = pattern;
  let sub: [number, number | undefined] | undefined;
  const m = pattern[0] === '~' ? null : SUBSCRIPT.exec(pattern);
  if (m) {
    expr = m[1]!;
    sub = m[2] !== undefined ? [Number(m[2]), undefined] : [Number(m[3]), m[5] ? Number(m[5]) : -1];
  }
  const hosts = enumerateMatches(inv, expr);
  if (!sub || !hosts.length) return hosts;
  const [start, end] = sub;
  if (end) {
    const last = end === -1 ? hosts.length - 1 : end;
    return hosts.slice(start, last + 1);
  }
  const i = start < 0 ? hosts.length + start : start;
  if (i < 0 || i >= hosts.length) throw new SelectionError(`no host matches the subscripted pattern '${pattern}'`, [pattern], undefined, []);
  return [hosts[i]!];
}

/** The names of the hosts a pattern (a --limit string, or several) selects, in Ansible's order. */
export function matchHosts(inv: Inventory, pattern: string | readonly string[]): string[] {
  let hosts: string[] = [];
  for (const p of orderPatterns(splitHostPattern(pattern))) {
    if (inv.hosts.has(p)) {
      if (!hosts.includes(p)) hosts.push(p);
      continue;
    }
    const that = matchOne(inv, p);
    if (p[0] === '!') hosts = hosts.filter((h) => !that.includes(h));
    else if (p[0] === '&') hosts = hosts.filter((h) => that.includes(h));
    else for (const h of that) if (!hosts.includes(h)) hosts.push(h);
  }
  return hosts;
}
