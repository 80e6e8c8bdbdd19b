// Ansible's YAML inventory format (its `yaml` inventory plugin; JSON is read the same way, as
// Ansible's yaml plugin reads .json files) → InventoryData.
//
// - top-level keys are groups; a group is a mapping with `hosts`, `vars` and `children` (each may
//   be empty/null) and may be defined in several places (its definitions merge);
// - a host may appear in several groups; its vars from every occurrence merge, later ones win;
// - host names may hold ranges (`web[01:03]`, `db-[a:c]`) and a `:PORT`, as in Ansible;
// - YAML 1.1 is read as PyYAML reads it, so `yes`/`no`/`on`/`off` are booleans (but `y`/`n` are not).
// Pure: text in, data out.
import {
  parseDocument, LineCounter, Scalar, isMap, isSeq, isScalar, isAlias,
  type Document, type Node, type Pair, type ScalarTag, type Tags, type YAMLMap,
} from 'yaml';
import { InventoryError } from './errors.js';
import type { InventoryData, Where } from './data.js';
import { badVar } from './connvars.js';
import { parseAddress } from './ini.js';
import { expandHostRange } from './ranges.js';

export interface YamlOptions {
  /** Called with each group name and its line, to let the caller catch typos of its groups. */
  checkGroupName?: (name: string, where: Where) => void;
}

const GROUP_KEYS = ['hosts', 'vars', 'children'];
// PyYAML's YAML 1.1 booleans (the yaml package's 1.1 schema also reads y/Y/n/N as booleans, which
// PyYAML, and so Ansible, does not).
const PYYAML_TRUE = /^(?:yes|Yes|YES|true|True|TRUE|on|On|ON)$/;
const PYYAML_FALSE = /^(?:no|No|NO|false|False|FALSE|off|Off|OFF)$/;
const pyyamlBooleans = (tags: Tags): Tags => {
  const out: Tags = [];
  for (const t of tags) {
    const tag = t as ScalarTag;
    if (tag.tag === 'tag:yaml.org,2002:bool' && tag.test) {
      const value = tag.test.test('true');
      out.push({ ...tag, test: value ? PYYAML_TRUE : PYYAML_FALSE, resolve: () => new Scalar(value) } as ScalarTag);
    } else {
      out.push(t);
    }
  }
  return out;
};

export function describeNode(node: unknown): string {
  if (node == null) return 'nothing';
  if (isMap(node)) return 'a mapping';
  if (isSeq(node)) return 'a list';
  if (isScalar(node)) return node.value == null ? 'nothing' : `the ${typeof node.value} ${JSON.stringify(node.value)}`;
  return 'something else';
}

/** A YAML document read as PyYAML reads it, with a line counter; throws InventoryError on bad YAML. */
export function readYaml(text: string, file: string): { doc: Document; lineOf: (node: unknown, fallback?: number) => number } {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, {
    lineCounter, uniqueKeys: false, version: '1.1', prettyErrors: true, customTags: pyyamlBooleans,
  });
  if (doc.errors.length > 0) {
    const e = doc.errors[0]!;
    const line = e.linePos?.[0]?.line ?? lineCounter.linePos(e.pos[0]).line;
    const detail = e.message.split('\n')[0]!.replace(/ at line \d+, column \d+:?$/, '');
    throw new InventoryError(file, line, `not valid YAML: ${detail}`);
  }
  const lineOf = (node: unknown, fallback = 1): number => {
    const range = (node as Node | null | undefined)?.range;
    return range ? lineCounter.linePos(range[0]).line : fallback;
  };
  return { doc: doc as Document, lineOf };
}

/** Whether the text is a YAML mapping at its top (what Ansible's yaml plugin wants to read). */
export function looksLikeYamlMapping(text: string): boolean {
  const doc = parseDocument(text, { version: '1.1', uniqueKeys: false });
  return doc.errors.length === 0 && isMap(doc.contents);
}

/** Parse a YAML (or JSON) inventory into `data` (not yet reconciled). Throws InventoryError. */
export function parseYamlInventory(text: string, file: string, data: InventoryData, options: YamlOptions = {}): void {
  const { doc, lineOf } = readYaml(text, file);
  const fail = (line: number, detail: string): never => {
    throw new InventoryError(file, line, detail);
  };
  const at = (line: number): Where => ({ file, line });
  const resolve = (node: unknown): unknown => (isAlias(node) ? node.resolve(doc) : node);
  const isNull = (node: unknown): boolean => node == null || (isScalar(node) && node.value == null);
  const keyName = (pair: Pair, what: string, parentLine: number): string => {
    const key = resolve(pair.key);
    if (!isScalar(key) || key.value == null || typeof key.value === 'symbol' || typeof key.value === 'object') {
      fail(lineOf(key, parentLine), `${what} name must be a plain string, not ${describeNode(key)}`);
    }
    return String((key as { value: unknown }).value);
  };

  /** Vars of a mapping node, each with its line, checked. */
  const readVars = (node: unknown, where: string, line: number): Array<[string, unknown, number]> => {
    node = resolve(node);
    if (isNull(node)) return [];
    if (!isMap(node)) fail(lineOf(node, line), `vars of ${where} must be a mapping, not ${describeNode(node)}`);
    const map = node as YAMLMap;
    const seen = new Set<string>();
    const lines = new Map<string, number>();
    for (const pair of map.items) {
      const rawKey = resolve(pair.key);
      if (isScalar(rawKey) && typeof rawKey.value === 'symbol') continue; // merge key `<<`
      const key = keyName(pair, 'var', line);
      const keyLine = lineOf(rawKey, line);
      if (seen.has(key)) fail(keyLine, `var '${key}' is defined twice in ${where}`);
      seen.add(key);
      lines.set(key, keyLine);
      const valueNode = resolve(pair.value);
      const value = isNull(valueNode) ? null : (valueNode as Node).toJS(doc);
      const problem = badVar(key, value);
      if (problem) fail(lineOf(valueNode, keyLine), `${where}: ${problem}`);
    }
    const vars = (map.toJS(doc) ?? {}) as Record<string, unknown>;
    const out: Array<[string, unknown, number]> = [];
    for (const [key, value] of Object.entries(vars)) {
      const problem = badVar(key, value); // values brought in by a YAML merge key
      if (problem) fail(lineOf(map, line), `${where}: ${problem}`);
      out.push([key, value, lines.get(key) ?? lineOf(map, line)]);
    }
    return out;
  };

  const readHosts = (node: unknown, group: string, line: number): void => {
    node = resolve(node);
    if (isNull(node)) return;
    if (!isMap(node)) {
      fail(lineOf(node, line), `hosts of group '${group}' must be a mapping of host names (each followed by ':'), not ${describeNode(node)}`);
    }
    const seen = new Set<string>();
    for (const pair of (node as YAMLMap).items) {
      const name = keyName(pair, 'host', line);
      const hostLine = lineOf(resolve(pair.key), line);
      if (seen.has(name)) fail(hostLine, `host '${name}' is defined twice in group '${group}'`);
      seen.add(name);
      if (/\s/.test(name) || name === '') fail(hostLine, `host name '${name}' must not be empty or contain spaces`);
      const addr = parseAddress(name);
      let names: string[];
      try {
        names = expandHostRange(addr?.host ?? name);
      } catch (problem) {
        return fail(hostLine, String(problem));
      }
      const vars = readVars(pair.value, `host '${name}'`, hostLine);
      for (const n of names) {
        if (data.addHost(n, group, at(hostLine)) && addr?.port !== undefined) data.setHostVar(n, 'ansible_port', addr.port, at(hostLine));
        for (const [k, v, l] of vars) data.setHostVar(n, k, v, at(l));
      }
    }
  };

  const readGroup = (name: string, node: unknown, line: number): void => {
    options.checkGroupName?.(name, at(line));
    data.addGroup(name, at(line));
    node = resolve(node);
    if (isNull(node)) return;
    if (!isMap(node)) {
      fail(lineOf(node, line), `group '${name}' must be a mapping with 'hosts', 'vars' or 'children', not ${describeNode(node)}`);
    }
    const seen = new Set<string>();
    for (const pair of (node as YAMLMap).items) {
      const key = keyName(pair, 'key', line);
      const keyLine = lineOf(resolve(pair.key), line);
      if (!GROUP_KEYS.includes(key)) {
        fail(keyLine, `unexpected key '${key}' in group '${name}' (a group has only 'hosts', 'vars' and 'children')`);
      }
      if (seen.has(key)) fail(keyLine, `'${key}' appears twice in group '${name}'`);
      seen.add(key);
      if (key === 'hosts') readHosts(pair.value, name, keyLine);
      else if (key === 'vars') {
        for (const [k, v, l] of readVars(pair.value, `group '${name}'`, keyLine)) data.setGroupVar(name, k, v, at(l));
      } else {
        const children = resolve(pair.value);
        if (isNull(children)) continue;
        if (!isMap(children)) {
          fail(lineOf(children, keyLine), `children of group '${name}' must be a mapping of group names, not ${describeNode(children)}`);
        }
        const seenChildren = new Set<string>();
        for (const childPair of (children as YAMLMap).items) {
          const child = keyName(childPair, 'group', keyLine);
          const childLine = lineOf(resolve(childPair.key), keyLine);
          if (seenChildren.has(child)) fail(childLine, `group '${child}' is listed twice in the children of '${name}'`);
          seenChildren.add(child);
          if (child === 'all') fail(childLine, `group 'all' cannot be a child of '${name}'`);
          readGroup(child, childPair.value, childLine);
          data.addChild(name, child, at(childLine));
        }
      }
    }
  };

  const root = resolve(doc.contents);
  if (isNull(root)) fail(1, 'the inventory is empty (expected groups such as "all:")');
  if (!isMap(root)) fail(lineOf(root), `the inventory must be a mapping of groups (such as "all:"), not ${describeNode(root)}`);
  const seenTop = new Set<string>();
  for (const pair of (root as YAMLMap).items) {
    const name = keyName(pair, 'group', 1);
    const line = lineOf(resolve(pair.key));
    if (seenTop.has(name)) fail(line, `group '${name}' is defined twice at the top level`);
    seenTop.add(name);
    readGroup(name, pair.value, line);
  }
}
