// ansible.cfg, for the settings this tool shares with Ansible. Found where Ansible looks
// (lib/ansible/config/manager.py find_ini_config_file), first found wins: $ANSIBLE_CONFIG (a file,
// or a folder holding ansible.cfg), ./ansible.cfg (not when the current folder is world-writable,
// as Ansible), ~/.ansible.cfg, /etc/ansible/ansible.cfg. Read with the `ini` package.
// Ansible's environment variables for the same settings (ANSIBLE_INVENTORY, ANSIBLE_REMOTE_USER, …)
// win over the file, and the tool's flags and inventory vars win over both (as in Ansible).
import { readFileSync, statSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { createRequire } from 'node:module';
import { ansibleBoolean } from './connvars.js';

export class AnsibleCfgError extends Error {
  override name = 'AnsibleCfgError';
}

export interface AnsibleCfg {
  /** The file read, if any. */
  file?: string;
  /** [defaults] inventory (comma-separated), paths resolved against the file's folder. */
  inventory?: string[];
  remoteUser?: string;
  privateKeyFile?: string;
  hostKeyChecking?: boolean;
  timeout?: number;
  forks?: number;
  become?: boolean;
  becomeUser?: string;
  becomeMethod?: string;
  /** [ssh_connection] ssh_args, as written. */
  sshArgs?: string;
  inventoryIgnoreExtensions?: string[];
  inventoryIgnorePatterns?: string[];
}

interface Setting {
  key: keyof AnsibleCfg;
  /** [section] and key names, first found wins. */
  ini: Array<[string, string]>;
  env?: string;
  type: 'string' | 'path' | 'pathlist' | 'bool' | 'int' | 'list';
}

const SETTINGS: Setting[] = [
  { key: 'inventory', ini: [['defaults', 'inventory'], ['defaults', 'hostfile']], env: 'ANSIBLE_INVENTORY', type: 'pathlist' },
  { key: 'remoteUser', ini: [['defaults', 'remote_user']], env: 'ANSIBLE_REMOTE_USER', type: 'string' },
  { key: 'privateKeyFile', ini: [['defaults', 'private_key_file']], env: 'ANSIBLE_PRIVATE_KEY_FILE', type: 'path' },
  { key: 'hostKeyChecking', ini: [['defaults', 'host_key_checking']], env: 'ANSIBLE_HOST_KEY_CHECKING', type: 'bool' },
  { key: 'timeout', ini: [['defaults', 'timeout']], env: 'ANSIBLE_TIMEOUT', type: 'int' },
  { key: 'forks', ini: [['defaults', 'forks']], env: 'ANSIBLE_FORKS', type: 'int' },
  { key: 'become', ini: [['privilege_escalation', 'become']], env: 'ANSIBLE_BECOME', type: 'bool' },
  { key: 'becomeUser', ini: [['privilege_escalation', 'become_user']], env: 'ANSIBLE_BECOME_USER', type: 'string' },
  { key: 'becomeMethod', ini: [['privilege_escalation', 'become_method']], env: 'ANSIBLE_BECOME_METHOD', type: 'string' },
  { key: 'sshArgs', ini: [['ssh_connection', 'ssh_args']], env: 'ANSIBLE_SSH_ARGS', type: 'string' },
  { key: 'inventoryIgnoreExtensions', ini: [['defaults', 'inventory_ignore_extensions'], ['inventory', 'ignore_extensions']], env: 'ANSIBLE_INVENTORY_IGNORE', type: 'list' },
  { key: 'inventoryIgnorePatterns', ini: [['defaults', 'inventory_ignore_patterns'], ['inventory', 'ignore_patterns']], env: 'ANSIBLE_INVENTORY_IGNORE_REGEX', type: 'list' },
];

/** The line of `key` in `[section]` of an INI text (1 when not found). */
function lineOf(text: string, section: string, key: string): number {
  let current = '';
  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const l = lines[i]!.trim();
    const s = /^\[([^\]]*)\]/.exec(l);
    if (s) current = s[1]!.trim();
    else if (current === section && new RegExp(`^${key.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\s*[=:]`).test(l)) return i + 1;
  }
  return 1;
}

function expandPath(p: string, base: string): string {
  if (p === '~' || p.startsWith('~/')) return join(homedir(), p.slice(1));
  return isAbsolute(p) ? p : resolve(base, p);
}

/**
 * Read an ansible.cfg text (and Ansible's environment variables, which win). Pure apart from the
 * home folder for `~`. Throws AnsibleCfgError naming file:line for a bad value.
 */
export function parseAnsibleCfg(text: string, file: string, env: NodeJS.ProcessEnv = {}): AnsibleCfg {
  // Python's configparser (what Ansible uses) takes `key: value` too; the ini package only `=`
  const normalised = text.replace(/^(\s*[A-Za-z0-9_.-]+)\s*:\s/gm, '$1 = ');
  let parsed: Record<string, unknown> = {};
  try {
    // the ini package is loaded only when there is an ansible.cfg to read (most runs have none)
    if (normalised.trim()) parsed = (createRequire(import.meta.url)('ini') as typeof import('ini')).decode(normalised) as Record<string, unknown>;
  } catch (e) {
    throw new AnsibleCfgError(`${file}:1: not a valid INI file: ${(e as Error).message}`);
  }
  const base = dirname(file);
  const cfg: AnsibleCfg = { file };
  for (const s of SETTINGS) {
    let raw: unknown;
    let where = '';
    if (s.env && env[s.env] !== undefined) {
      raw = env[s.env];
      where = `$${s.env}`;
    } else {
      for (const [section, key] of s.ini) {
        const sec = parsed[section] as Record<string, unknown> | undefined;
        if (sec && typeof sec === 'object' && sec[key] !== undefined) {
          raw = sec[key];
          where = `${file}:${lineOf(text, section, key)}: [${section}] ${key}`;
          break;
        }
      }
    }
    if (raw === undefined) continue;
    const text_ = typeof raw === 'string' ? raw.trim() : String(raw);
    const bad = (what: string): never => {
      throw new AnsibleCfgError(`${where}: ${what}, not ${JSON.stringify(text_)}`);
    };
    let value: unknown;
    switch (s.type) {
      case 'bool': {
        const b = typeof raw === 'boolean' ? raw : ansibleBoolean(text_);
        if (b === undefined) bad('must be a boolean (True/False, yes/no)');
        value = b;
        break;
      }
      case 'int': {
        if (!/^\d+$/.test(text_) || Number(text_) < 1) bad('must be a whole number of at least 1');
        value = Number(text_);
        break;
      }
      case 'path':
        if (text_ === '') bad('must be a path');
        value = expandPath(text_, base);
        break;
      case 'pathlist':
        value = text_.split(',').map((p) => p.trim()).filter(Boolean).map((p) => (p.includes(',') ? p : expandPath(p, base)));
        break;
      case 'list':
        value = text_.split(',').map((p) => p.trim()).filter(Boolean);
        break;
      default:
        if (text_ === '') bad('must not be empty');
        value = text_;
    }
    if (s.key === 'becomeMethod' && value !== 'sudo') {
      throw new AnsibleCfgError(`${where}: become_method '${String(value)}' is not supported: this tool becomes root with sudo only`);
    }
    (cfg as Record<string, unknown>)[s.key] = value;
  }
  return cfg;
}

/** The ansible.cfg Ansible would read, or undefined when there is none. */
export function findAnsibleCfg(env: NodeJS.ProcessEnv = process.env, cwd = process.cwd()): string | undefined {
  const candidates: string[] = [];
  if (env.ANSIBLE_CONFIG !== undefined) {
    let p = expandPath(env.ANSIBLE_CONFIG, cwd);
    try {
      if (statSync(p).isDirectory()) p = join(p, 'ansible.cfg');
    } catch {
      /* not there: the next candidate */
    }
    candidates.push(p);
  }
  try {
    if ((statSync(cwd).mode & 0o002) === 0) candidates.push(join(cwd, 'ansible.cfg'));
  } catch {
    /* no cwd */
  }
  candidates.push(join(homedir(), '.ansible.cfg'), '/etc/ansible/ansible.cfg');
  for (const c of candidates) {
    try {
      if (statSync(c).isFile()) return c;
    } catch {
      /* next */
    }
  }
  return undefined;
}

/** Find and read ansible.cfg (and Ansible's environment variables, also without a file). */
export function loadAnsibleCfg(env: NodeJS.ProcessEnv = process.env, cwd = process.cwd()): AnsibleCfg {
  const file = findAnsibleCfg(env, cwd);
  if (!file) return withoutFile(parseAnsibleCfg('', join(cwd, 'ansible.cfg'), env));
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new AnsibleCfgError(`${file}: cannot read ansible.cfg (${(e as NodeJS.ErrnoException).code ?? e})`);
  }
  return parseAnsibleCfg(text, file, env);
}

function withoutFile(cfg: AnsibleCfg): AnsibleCfg {
  delete cfg.file;
  return cfg;
}
