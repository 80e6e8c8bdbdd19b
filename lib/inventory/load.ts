// Reads inventory sources from the disk as Ansible's InventoryManager does (parse_sources,
// parse_source) and hands their text to the pure parsers:
// - a file: YAML/JSON when its name ends in .yml/.yaml/.json, or has no extension and holds a YAML
//   mapping; otherwise Ansible's INI format;
// - a folder: every entry, sorted by name, recursively, skipping what Ansible skips (names starting
//   with '.', group_vars, host_vars, vars_plugins, and the inventory_ignore_extensions:
//   .pyc .pyo .swp .bak ~ .rpm .md .txt .rst .orig .ini .cfg .retry), then group_vars/ and
//   host_vars/ of the folder itself;
// - `host1,host2,` (a comma and no such file): a list of hosts, as Ansible's host_list plugin;
// - then group_vars/ and host_vars/ beside each source (see vars.ts for the precedence).
// An executable inventory script or an inventory plugin config is refused: nothing is run.
import { readFileSync, readdirSync, statSync, type Stats } from 'node:fs';
import { dirname, extname, join } from 'node:path';
import { InventoryError } from './errors.js';
import { InventoryData, type Where } from './data.js';
import { parseIniInventory, parseAddress } from './ini.js';
import { parseYamlInventory, looksLikeYamlMapping } from './yaml.js';
import { parseVarsFile, resolveInventory, type AdjacentVars, type Inventory, type VarsFile } from './vars.js';
import { expandHostRange } from './ranges.js';
import { editDistance } from './typo.js';

/** A source that cannot be read at all (no line to name). */
export class InventoryReadError extends Error {
  override name = 'InventoryReadError';
}

export const YAML_EXTENSIONS = ['.yml', '.yaml', '.json'];
/** Ansible's INVENTORY_IGNORE_EXTS default (REJECT_EXTS + .orig .ini .cfg .retry). */
export const DEFAULT_IGNORE_EXTENSIONS = ['.pyc', '.pyo', '.swp', '.bak', '~', '.rpm', '.md', '.txt', '.rst', '.orig', '.ini', '.cfg', '.retry'];

export interface LoadOptions {
  /** Group names the caller gives a meaning to: a group within edit distance 2 of one is a typo. */
  knownGroups?: readonly string[];
  /** inventory_ignore_extensions (ansible.cfg) for folder sources. */
  ignoreExtensions?: readonly string[];
  /** inventory_ignore_patterns (ansible.cfg), regular expressions. */
  ignorePatterns?: readonly string[];
}

/** The inventory sources: -i (repeatable), else $INVENTORY, else ansible.cfg's, else inventory/hosts.yml. */
export function defaultSources(given: readonly string[] | undefined, envInventory: string | undefined, cfgInventory: readonly string[] | undefined): string[] {
  if (given?.length) return [...given];
  if (envInventory) return [envInventory];
  return cfgInventory?.length ? [...cfgInventory] : ['inventory/hosts.yml'];
}

/** A check that a group name is not a typo of a known one; throws InventoryError. */
export function groupNameChecker(knownGroups: readonly string[]): (name: string, where: Where) => void {
  return (name, where) => {
    if (name === 'all' || name === 'ungrouped' || knownGroups.includes(name)) return;
    let best: string | undefined;
    let bestDistance = Infinity;
    for (const known of knownGroups) {
      const dist = editDistance(name.toLowerCase(), known.toLowerCase());
      if (dist < bestDistance) [best, bestDistance] = [known, dist];
    }
    if (best !== undefined && bestDistance <= 2) throw new InventoryError(where.file, where.line, `unknown group '${name}' (did you mean '${best}'?)`);
  };
}

function describeErrno(e: unknown): string {
  const code = (e as NodeJS.ErrnoException).code;
  return code === 'ENOENT' ? 'no such file' : code === 'EACCES' ? 'permission denied' : code === 'EISDIR' ? 'is a directory' : String(code ?? e);
}

/** Parse one file's text into data (pure apart from the choice of format by name). */
export function parseInventoryText(text: string, file: string, data: InventoryData, knownGroups: readonly string[] = []): void {
  const checkGroupName = groupNameChecker(knownGroups);
  const ext = extname(file).toLowerCase();
  const yaml = YAML_EXTENSIONS.includes(ext) || (ext === '' && looksLikeYamlMapping(text));
  if (yaml) {
    // the cheap test first: parsing the YAML twice costs as much as reading it
    if (/^plugin\s*:/m.test(text) && looksLikeYamlMapping(text)) {
      throw new InventoryError(file, (text.slice(0, text.search(/^plugin\s*:/m)).match(/\n/g)?.length ?? 0) + 1,
        'an inventory plugin configuration (plugin: ...): dynamic inventories are not read; use a YAML or INI inventory');
    }
    parseYamlInventory(text, file, data, { checkGroupName });
  } else {
    try {
      parseIniInventory(text, file, data, { checkGroupName });
    } catch (e) {
      // a file with no extension that starts like YAML (`group:` or `---`) but is not valid YAML:
      // its YAML error says more than the INI one
      const first = text.split('\n').find((l) => l.trim() !== '' && !/^\s*[#;]/.test(l)) ?? '';
      if (e instanceof InventoryError && ext === '' && /^(?:---\s*$|[A-Za-z0-9_.-]+:(?:\s|$))/.test(first)) {
        parseYamlInventory(text, file, new InventoryData(), { checkGroupName });
      }
      throw e;
    }
  }
}

export function loadInventorySources(sources: readonly string[], options: LoadOptions = {}): Inventory {
  const data = new InventoryData();
  const knownGroups = options.knownGroups ?? [];
  const exts = options.ignoreExtensions ?? DEFAULT_IGNORE_EXTENSIONS;
  const ignored = new RegExp(
    [String.raw`^\.`, '^host_vars$', '^group_vars$', '^vars_plugins$', ...(options.ignorePatterns ?? []), ...exts.map((x) => x.replace(/[.*+?^${}()|[\]\\]/g, '\\$&') + '$')].join('|'),
  );
  const varsDirs: string[] = [];

  const parseFile = (file: string, st: Stats): void => {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (e) {
      throw new InventoryReadError(`${file}: cannot read the inventory (${describeErrno(e)})`);
    }
    if ((st.mode & 0o111) !== 0 && text.startsWith('#!')) {
      throw new InventoryError(file, 1, 'an executable inventory script: dynamic inventories are not run; use a YAML or INI inventory');
    }
    parseInventoryText(text, file, data, knownGroups);
  };

  const parseSource = (source: string, top: boolean): void => {
    let st: Stats;
    try {
      st = statSync(source);
    } catch (e) {
      if (top && source.includes(',')) return parseHostList(source);
      throw new InventoryReadError(`${source}: cannot read the inventory (${describeErrno(e)})`);
    }
    if (st.isDirectory()) {
      let entries: string[];
      try {
        entries = readdirSync(source).sort();
      } catch (e) {
        throw new InventoryReadError(`${source}: cannot read the inventory folder (${describeErrno(e)})`);
      }
      for (const entry of entries) {
        if (ignored.test(entry)) continue;
        parseSource(join(source, entry), false);
      }
    } else {
      parseFile(source, st);
    }
    if (top) varsDirs.push(st.isDirectory() ? source : dirname(source));
  };

  const parseHostList = (source: string): void => {
    for (const raw of source.split(',')) {
      const h = raw.trim();
      if (!h) continue;
      const where = { file: '(host list)', line: 1 };
      const a = parseAddress(h);
      let names: string[];
      try {
        names = expandHostRange(a?.host ?? h);
      } catch (problem) {
        throw new InventoryError(where.file, 1, String(problem));
      }
      for (const n of names) if (data.addHost(n, 'ungrouped', where) && a?.port !== undefined) data.setHostVar(n, 'ansible_port', a.port, where);
    }
  };

  for (const s of sources) parseSource(s, true);
  data.reconcile();
  const adjacent = varsDirs.map((dir) => readAdjacentVars(dir, [...data.groups.keys()], [...data.hosts.keys()]));
  return resolveInventory(data, adjacent, [...sources]);
}

/** The group_vars/ and host_vars/ files in `dir` for the given names (loader.find_vars_files). */
export function readAdjacentVars(dir: string, groups: string[], hosts: string[]): AdjacentVars {
  const read = (sub: string, names: string[]): Map<string, VarsFile[]> => {
    const out = new Map<string, VarsFile[]>();
    const base = join(dir, sub);
    let entries: Set<string>;
    try {
      if (!statSync(base).isDirectory()) return out;
      entries = new Set(readdirSync(base));
    } catch {
      return out;
    }
    for (const name of names) {
      if (name.startsWith('/')) continue;
      for (const candidate of [name, ...YAML_EXTENSIONS.map((e) => name + e)]) {
        if (!entries.has(candidate)) continue;
        const path = join(base, candidate);
        const files = statSync(path).isDirectory() ? varsFilesIn(path) : [path];
        out.set(name, files.map((f) => parseVarsFile(readVarsText(f), f)));
        break;
      }
    }
    return out;
  };
  return { groups: read('group_vars', groups), hosts: read('host_vars', hosts) };
}

function readVarsText(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (e) {
    throw new InventoryReadError(`${file}: cannot read the vars file (${describeErrno(e)})`);
  }
}

/** Files of a vars folder, as DataLoader._get_dir_vars_files: sorted, recursive, no hidden/backup. */
function varsFilesIn(dir: string): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(dir).sort()) {
    if (entry.startsWith('.') || entry.endsWith('~')) continue;
    const ext = extname(entry);
    const full = join(dir, entry);
    const st = statSync(full);
    if (st.isDirectory() && !ext) out.push(...varsFilesIn(full));
    else if (st.isFile() && (!ext || YAML_EXTENSIONS.includes(ext))) out.push(full);
  }
  return out;
}

