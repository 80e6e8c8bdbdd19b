// Ansible's INI inventory format, with the semantics of its `ini` inventory plugin
// (lib/ansible/plugins/inventory/ini.py, ansible-core 2.14 as Debian 12 ships it):
// - lines before any section are hosts of `ungrouped`; `[group]` holds hosts, `[group:vars]`
//   key=value lines, `[group:children]` group names; a group named in :children or :vars must be
//   declared somewhere in the file (before or after);
// - a host line is split as Python's shlex.split(comments=True) splits it: the host (or a range
//   such as web[01:10] / db-[a:f] / [1:9:2], with an optional :PORT), then key=value host vars;
//   `#` outside quotes ends the line there; a line whose first character is `#` or `;` is a comment;
// - values are read with Python's ast.literal_eval (numbers, True/False/None, quoted strings, lists,
//   dicts), else kept as the text: both for inline host vars and (as this version's code does,
//   whatever its documentation says) for [group:vars] lines;
// - a :PORT after a host sets ansible_port the first time the host is seen.
//
// Hand-written: no npm package reads Ansible's INI dialect (general INI parsers such as `ini`
// read `host a=1 b=2` lines, ranges, :children sections and Python literals quite differently).
// Pure: text in, InventoryData out.
import { InventoryError } from './errors.js';
import type { InventoryData, Where } from './data.js';
import { pyLiteral } from './pyliteral.js';
import { badVar } from './connvars.js';
import { expandHostRange } from './ranges.js';

export interface IniOptions {
  /** Called with each group name and its line, to let the caller catch typos of its groups. */
  checkGroupName?: (name: string, where: Where) => void;
}

const SECTION = /^\[([^:\]\s]+)(?::(\w+))?\]\s*(?:#.*)?$/u;
const GROUP_NAME = /^([^:\]\s]+)\s*(?:#.*)?$/u;

/** Parse an INI inventory into `data` (not yet reconciled). Throws InventoryError. */
export function parseIniInventory(text: string, file: string, data: InventoryData, options: IniOptions = {}): void {
  const lines = text.split(/\r\n|[\n\r\v\f\x1c-\x1e\x85\u2028\u2029]/);
  if (lines.length > 0 && lines[lines.length - 1] === '') lines.pop();
  type Pending = { line: number; state: 'vars' | 'children'; name: string; parents: string[] };
  const pending = new Map<string, Pending>();
  let groupname = 'ungrouped';
  let state = 'hosts';
  let lineno = 0;
  const fail = (detail: string, line = lineno): never => {
    throw new InventoryError(file, line, detail);
  };

  const addPendingChildren = (group: string): void => {
    const decl = pending.get(group)!;
    for (const parent of decl.parents) {
      data.addChild(parent, group, { file, line: decl.line });
      const p = pending.get(parent);
      if (p && p.state === 'children') addPendingChildren(parent);
    }
    pending.delete(group);
  };

  for (const raw of lines) {
    lineno++;
    const line = raw.trim();
    if (line === '' || line[0] === '#' || line[0] === ';') continue;
    const where: Where = { file, line: lineno };

    const m = SECTION.exec(line);
    if (m) {
      groupname = m[1]!;
      state = m[2] ?? 'hosts';
      if (!['hosts', 'children', 'vars'].includes(state)) fail(`section [${groupname}:${state}] has an unknown type '${state}' (hosts, vars or children)`);
      options.checkGroupName?.(groupname, where);
      if (!data.groups.has(groupname)) {
        if (state === 'vars' && !pending.has(groupname)) pending.set(groupname, { line: lineno, state: 'vars', name: groupname, parents: [] });
        data.addGroup(groupname, where);
      } else if (state !== 'vars') {
        data.addGroup(groupname, where);
      }
      const p = pending.get(groupname);
      if (p && state !== 'vars') {
        if (p.state === 'children') addPendingChildren(groupname);
        else pending.delete(groupname);
      }
      continue;
    } else if (line.startsWith('[') && line.endsWith(']')) {
      fail(`invalid section '${line}': a section is [group], [group:vars] or [group:children], with no spaces`);
    }

    if (state === 'hosts') {
      let tokens: string[];
      try {
        tokens = shlexSplit(line);
      } catch (e) {
        return fail(`cannot parse host line '${line}': ${(e as Error).message}`);
      }
      if (tokens.length === 0) continue;
      const { hostnames, port } = expandHostPattern(tokens[0]!, fail);
      const vars: Array<[string, unknown]> = [];
      for (const t of tokens.slice(1)) {
        const eq = t.indexOf('=');
        if (eq < 0) fail(`expected key=value host variable, got '${t}'`);
        const [k, v] = [t.slice(0, eq), parseValue(t.slice(eq + 1))];
        const problem = badVar(k, v);
        if (problem) fail(`host '${tokens[0]}': ${problem}`);
        vars.push([k, v]);
      }
      for (const h of hostnames) {
        if (data.addHost(h, groupname, where) && port !== undefined) data.setHostVar(h, 'ansible_port', port, where);
        for (const [k, v] of vars) data.setHostVar(h, k, v, where);
      }
    } else if (state === 'vars') {
      const eq = line.indexOf('=');
      if (eq < 0) fail(`expected key=value in [${groupname}:vars], got '${line}'`);
      const [k, v] = [line.slice(0, eq).trim(), parseValue(line.slice(eq + 1).trim())];
      const problem = badVar(k, v);
      if (problem) fail(`group '${groupname}': ${problem}`);
      data.setGroupVar(groupname, k, v, where);
    } else {
      const g = GROUP_NAME.exec(line);
      if (!g) fail(`expected a group name in [${groupname}:children], got '${line}'`);
      const child = g![1]!;
      options.checkGroupName?.(child, where);
      if (!data.groups.has(child)) {
        const p = pending.get(child);
        if (!p) pending.set(child, { line: lineno, state: 'children', name: child, parents: [groupname] });
        else p.parents.push(groupname);
      } else {
        data.addChild(groupname, child, where);
      }
    }
  }

  for (const decl of pending.values()) {
    if (decl.state === 'vars') fail(`section [${decl.name}:vars] is for a group that is not defined: ${decl.name}`, decl.line);
    fail(`section [${decl.parents[decl.parents.length - 1]}:children] names a group that is not defined: ${decl.name}`, decl.line);
  }
}

/** ini.py `_parse_value`: a Python literal's value, else the text itself. */
export function parseValue(v: string): unknown {
  const lit = pyLiteral(v);
  return lit === undefined ? v : lit.value;
}

// ---------------------------------------------------------------------------------------------
// Host patterns: lib/ansible/parsing/utils/addresses.py parse_address(allow_ranges=True)

const NUMERIC_RANGE = String.raw`\[(?:[0-9]+:[0-9]+)(?::[0-9]+)?\]`;
const HEX_RANGE = String.raw`\[(?:[0-9a-f]+:[0-9a-f]+)(?::[0-9]+)?\]`;
const ALNUM_RANGE = String.raw`\[(?:[a-z]:[a-z]|[0-9]+:[0-9]+)(?::[0-9]+)?\]`;
const IPV6_C = String.raw`(?:[0-9a-f]{1,4}|${HEX_RANGE})`;
const IPV4_C = String.raw`(?:[01]?[0-9]{1,2}|2[0-4][0-9]|25[0-5]|${NUMERIC_RANGE})`;
const W = String.raw`[\p{L}\p{N}\p{Mn}\p{Pc}]`;
const LABEL = String.raw`(?:${W}|${ALNUM_RANGE})(?:${W}|[_-]|${ALNUM_RANGE})*(?<![_-])`;
const ADDRESS = {
  bracketedHostport: /^\[(.+)\]:([0-9]+)$/u,
  hostport: /^((?:[^:[\]]|\[[^\]]*\])*):([0-9]+)$/u,
  ipv4: new RegExp(String.raw`^(?:${IPV4_C}\.){3}${IPV4_C}$`, 'iu'),
  ipv6: new RegExp(
    '^(?:' +
      [
        String.raw`(?:${IPV6_C}:){7}${IPV6_C}`,
        String.raw`(?:${IPV6_C}:){1,6}:`,
        String.raw`(?:${IPV6_C}:)(?::${IPV6_C}){1,6}`,
        String.raw`(?:${IPV6_C}:){2}(?::${IPV6_C}){1,5}`,
        String.raw`(?:${IPV6_C}:){3}(?::${IPV6_C}){1,4}`,
        String.raw`(?:${IPV6_C}:){4}(?::${IPV6_C}){1,3}`,
        String.raw`(?:${IPV6_C}:){5}(?::${IPV6_C}){1,2}`,
        String.raw`(?:${IPV6_C}:){6}(?::${IPV6_C})`,
        String.raw`:(?::${IPV6_C}){1,6}`,
        String.raw`${IPV6_C}?::`,
        String.raw`(?:0:){6}(?:${IPV6_C}\.){3}${IPV6_C}`,
        String.raw`::(?:ffff:)?(?:${IPV6_C}\.){3}${IPV6_C}`,
        String.raw`(?:0:){5}ffff:(?:${IPV6_C}\.){3}${IPV6_C}`,
      ].join('|') +
      ')$',
    'iu',
  ),
  hostname: new RegExp(String.raw`^${LABEL}(?:\.${LABEL})*$`, 'iu'),
  // the ASCII names nearly every inventory holds, a subset of `hostname` (a label of [A-Za-z0-9_-]
  // that neither starts with '-' nor ends with '_' or '-'): V8 compiles this at once, while
  // `hostname`'s case-blind Unicode classes took ~9 ms to compile on a run's first host
  asciiHostname: /^[A-Za-z0-9_][A-Za-z0-9_-]*(?<![_-])(?:\.[A-Za-z0-9_][A-Za-z0-9_-]*(?<![_-]))*$/,
};

/** parse_address(address, allow_ranges=True): [host, port], or undefined when it is not an address. */
export function parseAddress(address: string): { host: string; port?: number } | undefined {
  let port: number | undefined;
  for (const re of [ADDRESS.bracketedHostport, ADDRESS.hostport]) {
    const m = re.exec(address);
    if (m) {
      address = m[1]!;
      port = Number(m[2]);
    }
  }
  // the common case first: the IPv6 pattern is large and slow to compile on its first use
  if (!ADDRESS.asciiHostname.test(address) && !ADDRESS.hostname.test(address) && !ADDRESS.ipv4.test(address) && !ADDRESS.ipv6.test(address)) return undefined;
  return port === undefined ? { host: address } : { host: address, port };
}

/** ini.py `_expand_hostpattern`: the host names of a host token and the port it gives them. */
function expandHostPattern(token: string, fail: (detail: string) => never): { hostnames: string[]; port?: number } {
  const a = parseAddress(token);
  const pattern = a?.host ?? token;
  const port = a?.port;
  if (token.trim().endsWith(':') && port === undefined) fail(`invalid host '${token}': a ':' at the end is reserved for a port`);
  let hostnames: string[];
  try {
    hostnames = expandHostRange(pattern);
  } catch (problem) {
    return fail(String(problem));
  }
  if (hostnames.some((h) => h.trim() === '---')) fail(`invalid host '${token}': '---' is a sign of a YAML file`);
  return port === undefined ? { hostnames } : { hostnames, port };
}

// ---------------------------------------------------------------------------------------------

/**
 * Python's shlex.split(line, comments=True) in POSIX mode: whitespace separates words, '…' keeps
 * everything, "…" lets a backslash escape only `\` and `"`, a backslash outside quotes escapes any
 * character, and `#` outside quotes starts a comment. Throws on an open quote or a final backslash.
 */
export function shlexSplit(line: string): string[] {
  const out: string[] = [];
  let token = '';
  let inToken = false;
  let i = 0;
  while (i < line.length) {
    const c = line[i]!;
    if (c === ' ' || c === '\t' || c === '\r' || c === '\n') {
      if (inToken) out.push(token);
      token = '';
      inToken = false;
      i++;
    } else if (c === '#') {
      break;
    } else if (c === "'") {
      const end = line.indexOf("'", i + 1);
      if (end < 0) throw new Error('no closing quotation');
      token += line.slice(i + 1, end);
      inToken = true;
      i = end + 1;
    } else if (c === '"') {
      i++;
      for (;;) {
        if (i >= line.length) throw new Error('no closing quotation');
        const d = line[i]!;
        if (d === '"') {
          i++;
          break;
        }
        if (d === '\\') {
          const n = line[i + 1];
          if (n === undefined) throw new Error('no closing quotation');
          token += n === '\\' || n === '"' ? n : '\\' + n;
          i += 2;
          continue;
        }
        token += d;
        i++;
      }
      inToken = true;
    } else if (c === '\\') {
      const n = line[i + 1];
      if (n === undefined) throw new Error('no escaped character');
      token += n;
      inToken = true;
      i += 2;
    } else {
      token += c;
      inToken = true;
      i++;
    }
  }
  if (inToken) out.push(token);
  return out;
}
