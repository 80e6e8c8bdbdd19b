// How to reach an inventory host, as Ansible's ssh connection reaches it: `ssh [ssh_args]
// [-o Port=ansible_port] [-o IdentityFile=key] [-o User=ansible_user] [ansible_ssh_common_args]
// [ansible_ssh_extra_args] HOST`, HOST being ansible_host or the inventory name, with ssh reading
// ~/.ssh/config and /etc/ssh/ssh_config after its command line (the first value obtained wins, so
// the inventory's vars win over ssh_config). Jump hosts (ProxyJump, -J) are resolved through
// ssh_config too, as `ssh -J` does.
import { createRequire } from 'node:module';
import { isIP } from 'node:net';
import type { Endpoint, Target } from '../connection.js';
import { parseProxyJump, resolveSshConfig, sshArgsOptions, SshConfigError, type SshConfigIo, type SshOption, type SshSettings } from './config.js';

export interface SshContext {
  io: SshConfigIo;
  /** --ssh-config FILE / $SSH_CONFIG: read instead of ~/.ssh/config and /etc/ssh/ssh_config (ssh -F) */
  configFile?: string;
}

export interface InventoryConnection {
  host: string;
  port: number;
  user: string;
  privateKeyFile?: string;
  become: boolean;
  /** whether the user and port were set (by a var, or ansible.cfg's remote_user): Ansible then passes
   *  -o User= / -o Port=, which win over ssh_config; default: whether the host's vars set them */
  userSet?: boolean;
  portSet?: boolean;
}

// The args vars of a run's hosts are mostly one text set for a whole group: each is split once.
const splitTexts = new Map<string, string[]>();

/** Split an args var as Ansible does (shlex): quotes kept together, nothing expanded. */
export function splitArgs(text: string): string[] {
  let words = splitTexts.get(text);
  if (!words) {
    // loaded when an args var is there (~7 ms of start-up otherwise)
    const { parse: shellParse } = createRequire(import.meta.url)('shell-quote') as typeof import('shell-quote');
    words = shellParse(text, (key) => `$${key}`).map((w) => (typeof w === 'string' ? w : 'pattern' in w ? w.pattern : 'op' in w ? w.op : String(w)));
    if (splitTexts.size > 256) splitTexts.clear();
    splitTexts.set(text, words);
  }
  return [...words];
}

const present = (vars: Record<string, unknown>, ...keys: string[]) => keys.some((k) => vars[k] !== undefined && vars[k] !== null);

function expandHome(p: string, home: string): string {
  return p === '~' ? home : p.startsWith('~/') ? home + p.slice(1) : p;
}

function strictAccepts(s: SshSettings): boolean {
  return ['accept-new', 'no', 'off', 'false'].includes(s.strictHostKeyChecking ?? '');
}

const DEFAULT_IDENTITIES = ['id_rsa', 'id_ecdsa', 'id_ed25519'];

function identityFiles(s: SshSettings, home: string): string[] {
  return s.identityFiles.length ? s.identityFiles : DEFAULT_IDENTITIES.map((n) => `${home}/.ssh/${n}`);
}

function configFiles(ctx: SshContext, argsFile: string | undefined): { userConfig?: string; systemConfig?: string | false } {
  const f = argsFile ?? ctx.configFile;
  return f ? { userConfig: expandHome(f, ctx.io.home), systemConfig: false } : {};
}

/** The jump hosts of a ProxyJump value, each resolved through ssh_config (the first one's own ProxyJump too). */
function jumpEndpoints(value: string, where: string, ctx: SshContext, argsFile: string | undefined, seen: string[]): Endpoint[] {
  const hops = parseProxyJump(value, where);
  const out: Endpoint[] = [];
  hops.forEach((hop, i) => {
    const options: SshOption[] = [];
    if (hop.user) options.push({ key: 'User', value: hop.user, where });
    if (hop.port) options.push({ key: 'Port', value: String(hop.port), where });
    const s = resolveSshConfig({ host: hop.host, options, ...configFiles(ctx, argsFile) }, ctx.io);
    const ep: Endpoint = {
      name: hop.host,
      host: s.hostName,
      port: s.port ?? 22,
      user: s.user ?? 'root',
      identityFiles: identityFiles(s, ctx.io.home),
      identitiesOnly: s.identitiesOnly,
      proxyFrom: where,
    };
    if (s.userKnownHostsFiles?.length) ep.knownHostsFiles = s.userKnownHostsFiles;
    if (strictAccepts(s)) ep.acceptNewHostKey = true;
    // only the first hop's own proxy settings count: ssh -J A,B reaches B through A whatever B's config says
    if (i === 0 && s.proxyJump) {
      const key = `${s.hostName}:${ep.port}`;
      if (seen.includes(key) || seen.length > 8) throw new SshConfigError(`${s.where['proxyjump'] ?? where}: ProxyJump loop through ${hop.host}`);
      out.push(...jumpEndpoints(s.proxyJump, s.where['proxyjump'] ?? where, ctx, argsFile, [...seen, key]));
    } else if (i === 0 && s.proxyCommand) {
      ep.proxyCommand = s.proxyCommand;
      ep.proxyFrom = s.where['proxycommand'] ?? where;
    }
    out.push(ep);
  });
  return out;
}

/**
 * The Target of an inventory host. `conn` is the inventory's connection (lib/inventory.ts
 * connectionOf, defaults applied); `vars` tell which of its values the inventory set (those win);
 * `where` names the host's line in the inventory for messages.
 */
export function resolveTarget(name: string, vars: Record<string, unknown>, conn: InventoryConnection, where: string, ctx: SshContext): Target {
  const options: SshOption[] = [];
  let argsFile: string | undefined;
  const addArgs = (key: string, text: unknown) => {
    if (text === undefined || text === null || text === '') return;
    if (typeof text !== 'string') throw new SshConfigError(`${where}: ${key} of ${name} must be a string`);
    const r = sshArgsOptions(splitArgs(text), `${where}: ${key} of ${name}`);
    options.push(...r.options);
    if (r.configFile) argsFile = r.configFile;
  };
  // the order of Ansible's ssh command line: ssh_args, then the connection vars, then the args vars
  addArgs('ansible_ssh_args', vars['ansible_ssh_args'] ?? process.env.ANSIBLE_SSH_ARGS);
  const inv = `${where}: ${name}`;
  if (conn.portSet ?? present(vars, 'ansible_port', 'ansible_ssh_port')) options.push({ key: 'Port', value: String(conn.port), where: inv });
  if (conn.privateKeyFile) options.push({ key: 'IdentityFile', value: conn.privateKeyFile, where: inv });
  if (conn.userSet ?? present(vars, 'ansible_user', 'ansible_ssh_user')) options.push({ key: 'User', value: conn.user, where: inv });
  addArgs('ansible_ssh_common_args', vars['ansible_ssh_common_args']);
  addArgs('ansible_ssh_extra_args', vars['ansible_ssh_extra_args']);

  const s = resolveSshConfig({ host: conn.host, options, ...configFiles(ctx, argsFile) }, ctx.io);
  const files = identityFiles(s, ctx.io.home).filter((f) => f !== conn.privateKeyFile);
  const t: Target = {
    name,
    host: s.hostName,
    port: s.port ?? 22,
    // ssh would take the local user's name; this tool has always defaulted to root
    user: s.user ?? conn.user,
    become: conn.become,
    identityFiles: files,
    identitiesOnly: s.identitiesOnly,
  };
  if (conn.privateKeyFile) t.privateKeyFile = conn.privateKeyFile;
  if (s.userKnownHostsFiles?.length) t.knownHostsFiles = s.userKnownHostsFiles;
  if (strictAccepts(s)) t.acceptNewHostKey = true;
  if (s.proxyJump) t.jumps = jumpEndpoints(s.proxyJump, s.where['proxyjump'] ?? where, ctx, argsFile, [`${s.hostName}:${t.port}`]);
  else if (s.proxyCommand) {
    t.proxyCommand = s.proxyCommand;
    t.proxyFrom = s.where['proxycommand'] ?? where;
  }
  return t;
}

/** Jump host names that neither ssh_config (HostName) nor the resolver know: [name, where]. */
export function jumpNamesToCheck(t: Target): Array<{ name: string; host: string; where: string }> {
  return (t.jumps ?? []).filter((j) => j.host === j.name.toLowerCase() && !isIP(j.host)).map((j) => ({ name: j.name, host: j.host, where: j.proxyFrom ?? '' }));
}
