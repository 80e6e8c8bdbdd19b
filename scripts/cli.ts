// What deploy, pair and the other entry points share: flags, .env, the inventory, known_hosts,
// the run itself, the report and the exit code. Roles are chosen by the entry point.
import { readFileSync, appendFileSync, existsSync, mkdirSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, resolve } from 'node:path';
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { createRequire } from 'node:module';
import {
  connectionOf, InventoryError, SelectionError, loadInventorySources, InventoryReadError, loadAnsibleCfg, AnsibleCfgError, matchHosts, splitHostPattern,
  type AnsibleCfg, type Inventory, type InventoryHost,
} from '../lib/inventory.js';
import { defaultSources } from '../lib/inventory/load.js';
import { parseKnownHosts, knownHostsLine } from '../lib/known-hosts.js';
import { runPlay, type AnyHostPlan, type HostPlan, type PlayResult } from '../lib/play.js';
import { ConsoleReporter, jsonReport, useColour } from '../lib/report.js';
import { Secrets } from '../lib/secrets.js';
import type { Target } from '../lib/connection.js';
import { SshConfigError } from '../lib/ssh/config.js';
import { nodeSshIo, readOnce } from '../lib/ssh/io.js';
import { resolveTarget, jumpNamesToCheck } from '../lib/ssh/target.js';
import { askSecret, canPrompt } from '../lib/prompt.js';
import { lookup } from 'node:dns/promises';
import type { Role } from '../lib/types.js';
import { mark } from '../lib/timings.js';

export const EXIT = { ok: 0, usage: 1, failed: 2, unreachable: 4, interrupted: 130 } as const;

/** Hosts running their tasks at once unless --forks or ansible.cfg says otherwise. Higher than
 *  Ansible's 5: a host costs this tool one connection (opened for every host at the start anyway)
 *  and a few MB, not a process, and most of a host's time is spent waiting for its own make and
 *  reload (Debian's init script sleeps 2 s), which 20 laptops can do at once as well as one. */
export const DEFAULT_FORKS = 50;

export const GROUPS = { servers: 'mailservers', laptops: 'laptops' } as const;

/** A bad input found before any host is contacted: one line, exit 1. */
export class UsageError extends Error {}

export const commonOptions = {
  inventory: { type: 'string', short: 'i', multiple: true },
  limit: { type: 'string', short: 'l' },
  'list-hosts': { type: 'boolean' },
  'known-hosts': { type: 'string' },
  check: { type: 'boolean', short: 'C' },
  diff: { type: 'boolean', short: 'D' },
  json: { type: 'boolean' },
  verbose: { type: 'boolean', short: 'v' },
  'no-color': { type: 'boolean' },
  forks: { type: 'string', short: 'f' },
  timeout: { type: 'string' },
  'lock-wait': { type: 'string' },
  'accept-new-host-keys': { type: 'boolean' },
  'regenerate-certs': { type: 'boolean' },
  'set-smarthost': { type: 'boolean' },
  'ssh-config': { type: 'string', short: 'F' },
  'ask-become-pass': { type: 'boolean', short: 'K' },
  help: { type: 'boolean', short: 'h' },
} as const satisfies ParseArgsConfig['options'];

export const COMMON_HELP = `Options:
  -i, --inventory PATH       Ansible inventory: YAML, JSON or INI file, or a folder of them; repeatable
                             (default: $INVENTORY, else ansible.cfg's inventory, else inventory/hosts.yml)
  -l, --limit PATTERN        only hosts matching an Ansible host pattern (laptop*, laptops:!laptop3,
                             mailservers:&site1, ~regex, several joined by ',' or ':')
      --list-hosts           print the hosts the command would act on, contact none
      --known-hosts FILE     known_hosts to check host keys against (default: $KNOWN_HOSTS or ~/.ssh/known_hosts)
      --accept-new-host-keys accept and record keys of hosts not yet in known_hosts (never a changed key)
  -C, --check                change nothing; report what would change
  -D, --diff                 show a unified diff of every text file changed (key files: only that they change)
      --regenerate-certs     run update_tls new on the server (every laptop then needs pair again)
      --set-smarthost        set a laptop's SMART_HOST to its server instead of only warning
      --json                 print one JSON document with per-host, per-task results instead of lines
  -v, --verbose              show the remote commands (secrets masked) and round trips per host
      --no-color             no colours (also NO_COLOR; FORCE_COLOR=1 colours output that is not a terminal)
  -f, --forks N              hosts running their tasks at once (default 50; every host connects
                             and reads at the start whatever the number)
      --timeout SECONDS      SSH connect timeout per host (default 10)
  -F, --ssh-config FILE      OpenSSH client config to read instead of ~/.ssh/config and /etc/ssh/ssh_config
                             (default: $SSH_CONFIG, else those two, as ssh reads them)
  -K, --ask-become-pass      ask for the sudo password (input hidden) instead of $BECOME_PASSWORD
      --lock-wait SECONDS    how long to wait for another run's lock on a host (default 60)
  -h, --help                 this text
ansible.cfg (ANSIBLE_CONFIG, ./ansible.cfg, ~/.ansible.cfg, /etc/ansible/ansible.cfg): inventory,
  remote_user, private_key_file, host_key_checking, timeout, forks, become, become_user,
  become_method, ssh_args (flags and inventory vars win).
Environment (or .env): INVENTORY, KNOWN_HOSTS, BECOME_PASSWORD (sudo password for ansible_become),
  SSH_KEY_PASSPHRASE (passphrase of an encrypted key; asked on a terminal when unset), SSH_CONFIG.
Exit codes: 0 ok, 1 bad input (nothing contacted), 2 a task failed, 4 a host was unreachable,
  130 interrupted.`;

export type Flags = { [K in Exclude<keyof typeof commonOptions, 'inventory'>]?: (typeof commonOptions)[K]['type'] extends 'boolean' ? boolean : string } & {
  inventory?: string[];
} & Record<string, unknown>;

export function parseFlags<O extends ParseArgsConfig['options']>(argv: string[], extra: O): { flags: Flags; positionals: string[] } {
  try {
    const { values, positionals } = parseArgs({ args: argv, options: { ...commonOptions, ...extra }, allowPositionals: true, strict: true });
    lastFlags = values as Flags;
    return { flags: values as Flags, positionals };
  } catch (e) {
    throw new UsageError((e as Error).message.split('\n')[0]);
  }
}

export function loadEnv(): void {
  // dotenv is loaded only when there is a .env to read (its default place: the current directory)
  if (!existsSync(resolve('.env'))) return;
  const { config: loadDotenv } = createRequire(import.meta.url)('dotenv') as typeof import('dotenv');
  loadDotenv({ quiet: true } as Parameters<typeof loadDotenv>[0]);
}

function intFlag(v: string | undefined, name: string, def: number, min: number): number {
  if (v === undefined) return def;
  const n = Number(v);
  if (!Number.isFinite(n) || n < min) throw new UsageError(`--${name} wants a number ≥ ${min}, got '${v}'`);
  return n;
}

let cfgCache: AnsibleCfg | undefined;
/** ansible.cfg where Ansible looks for it (read once); a bad value is bad input. */
export function ansibleConfig(): AnsibleCfg {
  if (!cfgCache) {
    try {
      cfgCache = loadAnsibleCfg();
    } catch (e) {
      if (e instanceof AnsibleCfgError) throw new UsageError(e.message);
      throw e;
    }
  }
  return cfgCache;
}

/** The inventory sources: -i (repeatable), else $INVENTORY, else ansible.cfg's, else inventory/hosts.yml. */
export function inventorySources(flags: Flags): string[] {
  return defaultSources(flags.inventory, process.env.INVENTORY, ansibleConfig().inventory);
}

export function loadInventory(flags: Flags): Inventory {
  const cfg = ansibleConfig();
  const sources = inventorySources(flags);
  let inv: Inventory;
  try {
    inv = loadInventorySources(sources, {
      knownGroups: [GROUPS.servers, GROUPS.laptops],
      ignoreExtensions: cfg.inventoryIgnoreExtensions,
      ignorePatterns: cfg.inventoryIgnorePatterns,
    });
  } catch (e) {
    if (e instanceof InventoryReadError) throw new UsageError(e.message);
    throw e;
  }
  if (inv.hosts.size === 0) throw new UsageError(`${sources.join(', ')}: no host in the inventory`);
  mark('inventory read');
  return inv;
}

/**
 * The hosts of `hosts` that --limit keeps (all of them without --limit), in their order. A pattern
 * that matches no host, or a limit that leaves nothing to do, is bad input.
 */
/**
 * The hosts --limit selects, as Ansible's subset(): its patterns, where `@FILE` stands for the host
 * names in FILE, one a line (a retry file). Undefined without --limit.
 */
export function limitHosts(inv: Inventory, flags: Flags): string[] | undefined {
  const limit = flags.limit as string | undefined;
  if (limit === undefined) return undefined;
  const patterns = splitHostPattern(limit).flatMap((p) => {
    if (!p.startsWith('@')) return [p];
    try {
      return readFileSync(p.slice(1), 'utf8').split('\n').map((l) => l.trim()).filter(Boolean);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      throw new UsageError(`--limit ${p}: cannot read ${p.slice(1)} (${code === 'ENOENT' ? 'no such file' : code ?? e})`);
    }
  });
  try {
    return matchHosts(inv, patterns);
  } catch (e) {
    if (e instanceof SelectionError) throw new UsageError(`--limit '${limit}': ${e.message}`);
    throw e;
  }
}

export function applyLimit(inv: Inventory, flags: Flags, hosts: InventoryHost[]): InventoryHost[] {
  const limit = flags.limit as string | undefined;
  if (limit === undefined) return hosts;
  let matched: string[];
  try {
    matched = limitHosts(inv, flags)!;
  } catch (e) {
    if (e instanceof SelectionError) throw new UsageError(`--limit '${limit}': ${e.message}`);
    throw e;
  }
  if (!matched.length) throw new UsageError(`--limit '${limit}' matches no host of ${inv.sources.join(', ')} (hosts: ${[...inv.hosts.keys()].join(', ')})`);
  const keep = new Set(matched);
  const out = hosts.filter((h) => keep.has(h.name));
  if (!out.length) {
    throw new UsageError(`--limit '${limit}' leaves no host to act on: it matches ${matched.join(', ')}; this command would act on ${hosts.map((h) => h.name).join(', ') || 'none'}`);
  }
  return out;
}

export function groupOf(inv: Inventory, host: InventoryHost): 'server' | 'laptop' {
  const s = host.groups.includes(GROUPS.servers);
  const l = host.groups.includes(GROUPS.laptops);
  if (s && l) throw new UsageError(`${host.file}:${host.line}: host '${host.name}' is in both ${GROUPS.servers} and ${GROUPS.laptops}`);
  if (!s && !l) throw new UsageError(`${host.file}:${host.line}: host '${host.name}' is in neither ${GROUPS.servers} nor ${GROUPS.laptops}`);
  return s ? 'server' : 'laptop';
}

export function serversOf(inv: Inventory): string[] {
  return inv.groups.get(GROUPS.servers)?.hosts ?? [];
}

/** The server of a laptop: its smarthost var (a host in mailservers), else the only mail server. */
export function serverOfLaptop(inv: Inventory, host: InventoryHost): string {
  const servers = serversOf(inv);
  const sh = host.vars['smarthost'];
  if (sh !== undefined && sh !== null) {
    if (typeof sh !== 'string' || !servers.includes(sh)) {
      throw new UsageError(`${host.origins['smarthost'] ? `${host.origins['smarthost'].file}:${host.origins['smarthost'].line}` : `${host.file}:${host.line}`}: laptop '${host.name}' has smarthost '${String(sh)}', which is not a host in ${GROUPS.servers} (${servers.join(', ') || 'none'})`);
    }
    return sh;
  }
  if (servers.length === 1) return servers[0];
  if (servers.length === 0) throw new UsageError(`${host.file}:${host.line}: laptop '${host.name}' has no server: the inventory has no host in ${GROUPS.servers}`);
  throw new UsageError(`${host.file}:${host.line}: laptop '${host.name}' has no smarthost var and there are several servers (${servers.join(', ')}): set smarthost`);
}

function expandHome(p: string): string {
  return p.startsWith('~/') ? resolve(homedir(), p.slice(2)) : resolve(p);
}

/** The flags of this run (parseFlags), for the ssh_config file the targets are resolved with. */
let lastFlags: Flags = {};
let sshIo: ReturnType<typeof nodeSshIo> | undefined;

/** How to reach the host: its inventory vars, then ssh_config, as `ssh HOST` (lib/ssh/target.ts). */
export function targetOf(inv: Inventory, host: InventoryHost): Target {
  void inv;
  const cfg = ansibleConfig();
  const c = connectionOf(host, undefined, {
    user: cfg.remoteUser, privateKeyFile: cfg.privateKeyFile, become: cfg.become, becomeUser: cfg.becomeUser, becomeMethod: cfg.becomeMethod, sshArgs: cfg.sshArgs,
  });
  const where = (key: string): string => {
    const w = host.origins[key];
    return w ? `${w.file}:${w.line}` : cfg.file ? `${cfg.file} (privilege_escalation)` : `${host.file}:${host.line}`;
  };
  // The roles write root-owned files under /etc/mail: the tool becomes root, with sudo, or not at all.
  if (c.become && c.becomeMethod !== undefined && c.becomeMethod !== 'sudo') {
    throw new UsageError(`${where('ansible_become_method')}: host '${host.name}': ansible_become_method '${c.becomeMethod}' is not supported: this tool becomes root with sudo only`);
  }
  if (c.become && c.becomeUser !== undefined && c.becomeUser !== 'root') {
    throw new UsageError(`${where('ansible_become_user')}: host '${host.name}': ansible_become_user '${c.becomeUser}' is not supported: the tool writes root-owned files under /etc/mail, so it becomes root only (remove it or set it to root)`);
  }
  // then ssh_config, as `ssh HOST` reads it after Ansible's command line (lib/ssh/target.ts):
  // ansible.cfg's ssh_args (or ansible_ssh_args) first, the vars' -o Port/User/IdentityFile, then
  // ansible_ssh_common_args/extra_args from the host's vars
  sshIo ??= readOnce(nodeSshIo()); // one run: each ssh_config file read once for all its hosts
  const configFile = (lastFlags['ssh-config'] as string | undefined) ?? (process.env.SSH_CONFIG || undefined);
  const v = host.vars;
  const set = (...keys: string[]) => keys.some((k) => v[k] !== undefined && v[k] !== null);
  const conn = {
    host: c.host, port: c.port, user: c.user, become: c.become,
    userSet: set('ansible_user', 'ansible_ssh_user') || cfg.remoteUser !== undefined,
    portSet: set('ansible_port', 'ansible_ssh_port'),
    ...(c.privateKeyFile ? { privateKeyFile: expandHome(c.privateKeyFile) } : {}),
  };
  const vars = c.sshArgs !== undefined ? { ...v, ansible_ssh_args: c.sshArgs } : v;
  try {
    return resolveTarget(host.name, vars, conn, `${host.file}:${host.line}`, { io: sshIo, ...(configFile ? { configFile } : {}) });
  } catch (e) {
    if (e instanceof SshConfigError) throw new UsageError(e.message);
    throw e;
  }
}

/** Jump hosts that no ssh_config names and the resolver does not know: bad input, found before any host is contacted. */
async function checkJumpHosts(targets: Target[]): Promise<void> {
  const seen = new Map<string, Promise<boolean>>();
  for (const t of targets) {
    for (const j of jumpNamesToCheck(t)) {
      let known = seen.get(j.host);
      if (!known) {
        known = Promise.race([
          lookup(j.host).then(() => true, (e: NodeJS.ErrnoException) => e.code !== 'ENOTFOUND'),
          new Promise<boolean>((r) => setTimeout(() => r(true), 3000).unref()), // a slow resolver: leave it to the connection
        ]);
        seen.set(j.host, known);
      }
      if (!(await known)) throw new UsageError(`${j.where}: ${t.name}: unknown jump host '${j.name}' (no ssh_config Host gives it a HostName and it does not resolve)`);
    }
  }
}

/** A host's plan: its role and that role's options (typed by the role: roles/server.ts ServerOptions…). */
export function planFor<O>(inv: Inventory, host: InventoryHost, role: Role<O>, options: NoInfer<O>): HostPlan<O> {
  return { name: host.name, role, options, ...peerOf(inv, host) };
}

/** What a host is to the run: its vars and how it is reached (a peer that is read, not changed, is only this). */
export function peerOf(inv: Inventory, host: InventoryHost): { vars: Record<string, unknown>; target: Target } {
  // the one place that decides a laptop's server (serverOfLaptop); the roles read it as smarthost
  const vars: Record<string, unknown> = groupOf(inv, host) === 'laptop' ? { ...host.vars, smarthost: serverOfLaptop(inv, host) } : { ...host.vars };
  return { vars, target: targetOf(inv, host) };
}

export interface PlayRequest {
  command: string;
  flags: Flags;
  inventory: Inventory;
  /** each plan with its role's options (planFor) */
  phases: AnyHostPlan[][];
  /** hosts not in the phases that roles may read as peers */
  peers?: Map<string, { vars: Record<string, unknown>; target: Target }>;
  /** hosts whose unreachability is not an error (the exit code ignores it) */
  unreachableOk?: string[];
  /** replaces the task lines and recap (or --json report): the entry point shows the results itself */
  /** called with the results before the exit code is computed (e.g. to print notes) */
  onResult?: (result: PlayResult, unreachable: Map<string, string>) => void;
  render?: (result: PlayResult, unreachable: Map<string, string>, opts: { json: boolean; color: boolean }) => string;
  /** show every task's messages on lines of their own (verify) */
  messageLines?: boolean;
}

/** --list-hosts: the hosts a command acts on, as `ansible PATTERN --list-hosts` prints them. */
export function listHosts(hosts: string[], peers: string[]): string {
  const acted = [...new Set(hosts)];
  const readOnly = [...new Set(peers)].filter((p) => !acted.includes(p));
  let out = `  hosts (${acted.length}):\n` + acted.map((h) => `    ${h}\n`).join('');
  if (readOnly.length) out += `  read from, not changed (${readOnly.length}):\n` + readOnly.map((h) => `    ${h}\n`).join('');
  return out;
}

/** Run the phases, print the report, and return the exit code. */
export async function play(req: PlayRequest): Promise<number> {
  const { flags } = req;
  const secrets = new Secrets();
  secrets.add(process.env.BECOME_PASSWORD);
  secrets.add(process.env.SSH_KEY_PASSPHRASE);
  const cfg = ansibleConfig();
  if (flags['list-hosts']) {
    process.stdout.write(listHosts(req.phases.flat().map((p) => p.name), [...(req.peers?.keys() ?? [])]));
    return EXIT.ok;
  }
  const knownHostsFile = expandHome(flags['known-hosts'] ?? process.env.KNOWN_HOSTS ?? '~/.ssh/known_hosts');
  let khText = '';
  try {
    khText = readFileSync(knownHostsFile, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw new UsageError(`${knownHostsFile}: cannot read known_hosts (${(e as NodeJS.ErrnoException).code})`);
  }
  const kh = parseKnownHosts(khText, knownHostsFile);
  const khParsed = new Map<string, ReturnType<typeof parseKnownHosts>['entries']>();
  // a host's own known_hosts files (ssh_config UserKnownHostsFile), unless --known-hosts names one for all
  const khFlag = flags['known-hosts'] !== undefined;
  const khLoaded = new Map<string, string>([[knownHostsFile, khText]]);
  const readKh = (f: string): string => {
    if (!khLoaded.has(f)) {
      try {
        khLoaded.set(f, readFileSync(f, 'utf8'));
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw new UsageError(`${f}: cannot read known_hosts (${(e as NodeJS.ErrnoException).code})`);
        khLoaded.set(f, '');
      }
    }
    return khLoaded.get(f)!;
  };
  const allTargets = [...req.phases.flat().map((p) => p.target), ...[...(req.peers?.values() ?? [])].map((p) => p.target)];
  for (const t of allTargets) {
    for (const ep of [t, ...(t.jumps ?? [])]) {
      if (khFlag) delete ep.knownHostsFiles;
      else ep.knownHostsFiles?.forEach(readKh); // unreadable: bad input now, not a failure later
    }
  }
  await checkJumpHosts(allTargets);
  let becomePassword = process.env.BECOME_PASSWORD;
  if (flags['ask-become-pass']) {
    if (!canPrompt()) throw new UsageError('-K/--ask-become-pass needs a terminal: set BECOME_PASSWORD (environment or .env) instead');
    becomePassword = await askSecret('BECOME password:');
    secrets.add(becomePassword);
  }
  const color = useColour({ json: !!flags.json, noColor: !!flags['no-color'] });
  // with render, the reporter stays silent (json: true prints nothing until the end)
  const reporter = new ConsoleReporter({ json: !!flags.json || !!req.render, verbose: !!flags.verbose, color, diff: !!flags.diff, messageLines: req.messageLines });
  const accepted: Array<{ file: string; line: string }> = [];
  const controller = new AbortController();
  let signals = 0;
  const onSignal = (sig: string) => {
    signals++;
    if (signals > 1) process.exit(EXIT.interrupted);
    process.stderr.write(`\n${sig}: stopping after the current step (again to stop at once)\n`);
    controller.abort();
  };
  const sigint = () => onSignal('SIGINT');
  const sigterm = () => onSignal('SIGTERM');
  process.on('SIGINT', sigint);
  process.on('SIGTERM', sigterm);
  let result: PlayResult;
  mark('inventory, known_hosts and flags read: the play starts');
  try {
    result = await runPlay(req.phases, {
      check: !!flags.check,
      diff: !!flags.diff,
      forks: intFlag(flags.forks, 'forks', cfg.forks ?? DEFAULT_FORKS, 1),
      lockPath: '/run/lock/sendmail-tls-relay.lock',
      lockWaitSeconds: intFlag(flags['lock-wait'], 'lock-wait', 60, 0),
      keepBackups: 5,
      connect: {
        knownHosts: kh.entries,
        knownHostsFile,
        // each file parsed once a run, however many hosts name it
        loadKnownHosts: (files) => files.flatMap((f) => khParsed.get(f) ?? khParsed.set(f, parseKnownHosts(readKh(f), f).entries).get(f)!),
        // host_key_checking = False in ansible.cfg: new keys are recorded, a changed key is still refused
        acceptNewHostKey: !!flags['accept-new-host-keys'] || cfg.hostKeyChecking === false,
        onNewHostKey: (t, type, key, file) => accepted.push({ file, line: knownHostsLine(t.host, t.port, type, key) }),
        timeoutMs: intFlag(flags.timeout, 'timeout', cfg.timeout ?? 10, 1) * 1000,
        becomePassword,
        keyPassphrase: process.env.SSH_KEY_PASSPHRASE,
        askPassphrase: canPrompt()
          ? async (file, attempt) => {
              const p = await askSecret(`${attempt > 1 ? 'Bad passphrase, try again. ' : ''}Enter passphrase for key '${file}':`);
              secrets.add(p);
              return p;
            }
          : undefined,
        // command lines are shown with -v only: not masked (a cost per command) when nobody sees them
        onCommand: flags.verbose && !flags.json ? (host, line) => reporter.command(host, secrets.mask(line)) : undefined,
      },
      reporter,
      signal: controller.signal,
      mask: secrets.mask,
      addSecret: (s) => secrets.add(s),
      peers: req.peers,
    });
  } finally {
    process.off('SIGINT', sigint);
    process.off('SIGTERM', sigterm);
  }
  for (const file of new Set(accepted.map((a) => a.file))) {
    const lines = accepted.filter((a) => a.file === file).map((a) => a.line);
    const before = readKh(file);
    mkdirSync(dirname(file), { recursive: true });
    appendFileSync(file, (before && !before.endsWith('\n') ? '\n' : '') + lines.join('\n') + '\n');
    if (!flags.json) process.stdout.write(`recorded ${lines.length} new host key(s) in ${file}\n`);
  }
  if (req.render) process.stdout.write(secrets.mask(req.render(result, reporter.unreachable, { json: !!flags.json, color })));
  else if (flags.json) process.stdout.write(secrets.mask(jsonReport(req.command, result.stats, result.results, reporter.unreachable, { check: !!flags.check, interrupted: result.interrupted })));
  else reporter.recap(result.stats, { interrupted: result.interrupted });
  req.onResult?.(result, reporter.unreachable);
  mark('report written');
  if (result.interrupted) return EXIT.interrupted;
  const all = [...result.stats.values()];
  if (all.some((s) => s.failed)) return EXIT.failed;
  const ok = new Set(req.unreachableOk ?? []);
  if ([...result.stats].some(([host, s]) => s.unreachable && !ok.has(host))) return EXIT.unreachable;
  return EXIT.ok;
}

/** Run an entry point's main: bad input → one line and exit 1; anything else → exit code. */
export function main(fn: () => Promise<number>): void {
  mark('modules loaded, main starts');
  fn().then(
    (code) => process.exit(code),
    (e: Error) => {
      if (e instanceof UsageError || e instanceof InventoryError || e instanceof SelectionError || e instanceof SshConfigError) {
        process.stderr.write(`error: ${e.message}\n`);
        process.exit(EXIT.usage);
      }
      process.stderr.write(`error: ${e.message}\n`);
      if (process.env.DEBUG) process.stderr.write(String(e.stack) + '\n');
      process.exit(EXIT.failed);
    },
  );
}

export { existsSync };
