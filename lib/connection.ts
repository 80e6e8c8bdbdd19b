// One SSH connection per host (node-ssh over ssh2), directly, through jump hosts (ProxyJump: each
// hop's host key checked, a channel of one hop the socket of the next) or a ProxyCommand (its
// stdin/stdout the socket): host key checked against known_hosts, commands
// run through a POSIX shell with every value quoted, files read and written in one round trip each,
// and a lock on the host held for the whole run by one long-lived channel.
import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { NodeSSH } from 'node-ssh';
import type { ClientChannel } from 'ssh2';
import { RemoteChild } from './ssh/remote-child.js';
import { tcpSocket } from './ssh/coalesced-socket.js';
import { shq } from './shell.js';
import { checkHostKey, fingerprintSha256, keyTypeOf, type KnownHostEntry } from './known-hosts.js';
import { parseReadOutput, readScript, shellScript, writeScript, backupStamp, backupPath, rollbackScript, ReadRaceError, type ReadResult } from './remote-files.js';
import type { Probe, ReadSpec, RunResult, WriteSpec } from './types.js';
// jump hosts, ProxyCommand, keys (below)
import { spawn } from 'node:child_process';
import { Duplex } from 'node:stream';
import ssh2, { type AuthMethod, type ParsedKey } from 'ssh2';

const sshUtils = ssh2.utils;

/** The spec of a file to be read whole, without its summary (ReadSpec.summary). */
const whole = ({ summary: _summary, ...spec }: ReadSpec): ReadSpec => spec;

/** Where and how to log in on one SSH server: the host itself, or a jump host on the way. */
export interface Endpoint {
  /** how the admin named it (inventory name, or the jump host as written), for messages */
  name: string;
  host: string;
  port: number;
  user: string;
  /** the key of the inventory (ansible_ssh_private_key_file): a missing one is an error */
  privateKeyFile?: string;
  /** keys to offer after privateKeyFile (ssh_config IdentityFile, ssh's defaults): missing ones are skipped */
  identityFiles?: string[];
  /** IdentitiesOnly=yes: offer the key files only, never the agent's keys */
  identitiesOnly?: boolean;
  /** known_hosts files for this host (ssh_config UserKnownHostsFile); default: ConnectOptions' */
  knownHostsFiles?: string[];
  /** StrictHostKeyChecking accept-new/no: record a key that known_hosts does not know (never a changed one) */
  acceptNewHostKey?: boolean;
  /** ProxyCommand: run by /bin/sh, its stdin/stdout are the connection */
  proxyCommand?: string;
  /** where the ProxyJump/ProxyCommand came from (file:line), for messages */
  proxyFrom?: string;
}

export interface Target extends Endpoint {
  become: boolean;
  /** jump hosts (ProxyJump), first to last; the target is reached through the last */
  jumps?: Endpoint[];
}

export interface ConnectOptions {
  knownHosts: KnownHostEntry[];
  knownHostsFile: string;
  /** the entries of other known_hosts files (an endpoint's knownHostsFiles) */
  loadKnownHosts?: (files: string[]) => KnownHostEntry[];
  /** accept a host key that known_hosts does not know (never a changed one) */
  acceptNewHostKey?: boolean;
  onNewHostKey?: (target: Endpoint, keyType: string, key: Buffer, file: string) => void;
  timeoutMs: number;
  becomePassword?: string;
  keyPassphrase?: string;
  /** ask for a key's passphrase on the terminal (undefined: no terminal) */
  askPassphrase?: (keyFile: string, attempt: number) => Promise<string | undefined>;
  /** called with every command line before it runs (verbose output) */
  onCommand?: (host: string, line: string) => void;
}

/** An error that makes the host "unreachable" in the recap (no session could be had). */
export class UnreachableError extends Error {}
/** The host answered, but refused us: host key, authentication, sudo. */
export class AccessError extends Error {}

/** Channels open at once on one connection: OpenSSH's MaxSessions defaults to 10, and the lock
 *  channel holds one for the whole run. */
export const MAX_CHANNELS = 8;

/** The passphrase that opens each key file, asked once in this run whatever the number of hosts. */
const passphrases = new Map<string, Promise<string | undefined>>();

interface LoadedKey {
  file: string;
  key: ParsedKey;
}

/** Read and open the endpoint's key files: the passphrase from SSH_KEY_PASSPHRASE, else asked on the terminal. */
// One parse per key (by its text) however many hosts use it: ssh2's parseKey turns an OpenSSH key
// into PEM through an ASN.1 writer, ~5 ms each, which 100 hosts would pay 100 times. In memory only.
const parsedKeys = new Map<string, ReturnType<typeof sshUtils.parseKey>>();
const parseKeyOnce = (text: string): ReturnType<typeof sshUtils.parseKey> => {
  let k = parsedKeys.get(text);
  if (!k) parsedKeys.set(text, (k = sshUtils.parseKey(text)));
  return k;
};

export async function loadKeys(ep: Endpoint, opts: ConnectOptions): Promise<LoadedKey[]> {
  const files = [...(ep.privateKeyFile ? [ep.privateKeyFile] : []), ...(ep.identityFiles ?? []).filter((f) => f !== ep.privateKeyFile)];
  const texts: Array<{ file: string; text: string; encrypted: boolean; optional: boolean }> = [];
  for (const file of files) {
    const optional = file !== ep.privateKeyFile; // ssh_config's or ssh's default keys: skipped when unusable, as ssh does
    try {
      const text = await readFile(file, 'utf8');
      texts.push({ file, text, encrypted: isEncryptedKey(text), optional });
    } catch (e) {
      if (optional) continue;
      throw new AccessError(`cannot read the SSH key ${file}: ${(e as NodeJS.ErrnoException).code ?? e}`);
    }
  }
  // something else to offer: the agent, or a key that needs no passphrase
  const agentUsable = !!process.env.SSH_AUTH_SOCK && !ep.identitiesOnly;
  const out: LoadedKey[] = [];
  for (const { file, text, encrypted, optional } of texts) {
    const others = agentUsable || texts.some((t) => t.file !== file && (!t.encrypted || !t.optional));
    if (!encrypted) {
      const k = parseKeyOnce(text);
      if (k instanceof Error) {
        if (optional) continue;
        throw new AccessError(`the SSH key ${file} is not a private key ssh2 can read: ${k.message}`);
      }
      out.push({ file, key: Array.isArray(k) ? k[0] : k });
      continue;
    }
    let passphrase = opts.keyPassphrase;
    if (passphrase) {
      const k = sshUtils.parseKey(text, passphrase);
      if (!(k instanceof Error)) {
        out.push({ file, key: Array.isArray(k) ? k[0] : k });
        continue;
      }
      if (optional && others) continue;
      throw new AccessError(`the SSH key ${file} is encrypted and SSH_KEY_PASSPHRASE does not open it`);
    }
    // an encrypted key ssh_config names (or ~/.ssh/id_*) while the agent or another key can be
    // offered: not asked for (the agent usually holds it)
    if (optional && others) continue;
    if (!opts.askPassphrase) {
      // ssh2 would say only "Encrypted private OpenSSH key detected, but no passphrase given"
      throw new AccessError(`the SSH key ${file} is encrypted: set SSH_KEY_PASSPHRASE (environment or .env) or use an agent`);
    }
    // one prompt (and its retries) per key file, however many hosts wait for it
    let asked = passphrases.get(file);
    if (!asked) {
      const ask = opts.askPassphrase;
      asked = (async () => {
        for (let attempt = 1; attempt <= 3; attempt++) {
          const p = await ask(file, attempt);
          if (p === undefined) return undefined;
          if (!(sshUtils.parseKey(text, p) instanceof Error)) return p;
        }
        return undefined;
      })();
      passphrases.set(file, asked);
    }
    passphrase = await asked;
    const k = passphrase === undefined ? undefined : sshUtils.parseKey(text, passphrase);
    const opened = k === undefined || k instanceof Error ? undefined : Array.isArray(k) ? k[0] : k;
    if (!opened) throw new AccessError(`the SSH key ${file} is encrypted and the passphrase given does not open it`);
    out.push({ file, key: opened });
  }
  return out;
}

function labelOf(ep: { host: string; port: number }): string {
  return ep.port === 22 ? ep.host : `[${ep.host}]:${ep.port}`;
}

/** The ProxyCommand as a socket: /bin/sh -c COMMAND, its stdin and stdout; why it ended, if it did. */
function proxyCommandSocket(ep: Endpoint): { sock: Duplex; exited: () => string | undefined; kill: () => void } {
  const child = spawn('/bin/sh', ['-c', ep.proxyCommand!], { stdio: ['pipe', 'pipe', 'pipe'] });
  let stderr = '';
  let ended: string | undefined;
  child.stderr.on('data', (d: Buffer) => (stderr = (stderr + d.toString('utf8')).slice(-2000)));
  const why = (code: number | null, signal: NodeJS.Signals | null) => {
    const last = stderr.trim().split('\n').pop()?.trim();
    ended = `the ProxyCommand for ${ep.name} (${ep.proxyFrom ?? 'ssh_config'}) exited ${signal ? `on ${signal}` : `with code ${code}`}${last ? `: ${last}` : ''}`;
  };
  child.on('exit', why);
  child.on('error', (e) => (ended = `the ProxyCommand for ${ep.name} could not start: ${e.message}`));
  const sock = Duplex.from({ writable: child.stdin, readable: child.stdout });
  sock.on('error', () => undefined);
  return { sock, exited: () => ended, kill: () => child.kill('SIGTERM') };
}

/**
 * After authentication OpenSSH's sshd announces all its host keys (hostkeys-00@openssh.com, for
 * UpdateHostKeys), and ssh2 always asks it to prove each one: the server signs with every key (an
 * RSA-3072 signature among them) and ssh2 verifies every proof, ~6 ms of this process's time per
 * host, for keys this tool never records (known_hosts is the admin's). ssh2 has no option to
 * decline, so its handler for that one message is wrapped to ignore it, as OpenSSH's own client does
 * with UpdateHostKeys=no. The connection's host key is checked during key exchange, as before. The
 * handler table is ssh2's own (Protocol._handlers, read at each message): when a version of ssh2 no
 * longer has it, nothing is changed (test/unit/ssh-hostkeys.test.ts checks the installed one has).
 */
export function skipHostKeysProof(client: ssh2.Client): boolean {
  const c = client as unknown as { _protocol?: { _handlers?: Record<string, unknown> } };
  const wrap = () => {
    const handlers = c._protocol?._handlers;
    const orig = handlers?.GLOBAL_REQUEST;
    if (!handlers || typeof orig !== 'function') return false;
    handlers.GLOBAL_REQUEST = (p: { requestFailure(): void }, name: string, wantReply: boolean, data: unknown) => {
      if (name === 'hostkeys-00@openssh.com') {
        if (wantReply) p.requestFailure();
        return;
      }
      return (orig as (...a: unknown[]) => unknown)(p, name, wantReply, data);
    };
    return true;
  };
  // the Protocol object exists once the socket is up: at the end of the first key exchange
  client.once('handshake', wrap);
  return true;
}

/** Open one SSH session to an endpoint (over `sock` when given: a channel of the previous jump host). */
async function dial(ep: Endpoint, opts: ConnectOptions, sock: Duplex | undefined, role: string): Promise<{ ssh: NodeSSH; cleanup: () => void }> {
  const keys = await loadKeys(ep, opts);
  let hostKeyProblem: Error | undefined;
  let proxy: ReturnType<typeof proxyCommandSocket> | undefined;
  if (!sock && ep.proxyCommand) {
    proxy = proxyCommandSocket(ep);
    sock = proxy.sock;
  }
  const label = labelOf(ep);
  const who = role ? `${role} ${ep.name}${ep.name !== ep.host ? ` (${label})` : ''}: ` : '';
  const khFiles = ep.knownHostsFiles?.length ? ep.knownHostsFiles : [opts.knownHostsFile];
  const khEntries = ep.knownHostsFiles?.length && opts.loadKnownHosts ? opts.loadKnownHosts(ep.knownHostsFiles) : opts.knownHosts;
  const khName = khFiles.join(' ');
  const auth: AuthMethod[] = keys.map((k) => ({ type: 'publickey', username: ep.user, key: k.key }) as AuthMethod);
  const agent = process.env.SSH_AUTH_SOCK;
  // the inventory's key alone, as before, unless ssh_config names more keys or none was given
  if (agent && !ep.identitiesOnly && (!ep.privateKeyFile || ep.identityFiles?.length)) auth.push({ type: 'agent', username: ep.user, agent } as AuthMethod);
  if (!auth.length) auth.push({ type: 'none', username: ep.user } as AuthMethod);
  const ssh = new NodeSSH();
  const cleanup = () => {
    ssh.dispose();
    proxy?.kill();
  };
  try {
    const connecting = ssh.connect({
      // a direct connection: our own socket, which sends each packet's writes as one (coalesced-socket.ts)
      sock: sock ?? tcpSocket(ep.host, ep.port),
      host: ep.host,
      port: ep.port,
      username: ep.user,
      authHandler: auth,
      readyTimeout: opts.timeoutMs,
      tryKeyboard: false,
      hostVerifier: (key: Buffer) => {
        const keyType = keyTypeOf(key);
        const verdict = checkHostKey(khEntries, ep.host, ep.port, keyType, key);
        const fp = fingerprintSha256(key);
        if (verdict.status === 'match') return true;
        if (verdict.status === 'unknown' && (opts.acceptNewHostKey || ep.acceptNewHostKey)) {
          opts.onNewHostKey?.(ep, keyType, key, khFiles[0]!);
          return true;
        }
        if (verdict.status === 'unknown') {
          hostKeyProblem = new AccessError(
            `${who}host key for ${label} is not in ${khName} (${keyType} ${fp}); check it, then add it or run again with --accept-new-host-keys`,
          );
        } else if (verdict.status === 'revoked') {
          hostKeyProblem = new AccessError(`${who}host key for ${label} is marked @revoked in ${khName} (${keyType} ${fp})`);
        } else {
          const expected = (verdict.expected ?? []).map((e) => `${e.keyType} ${e.fingerprint}`).join(', ');
          hostKeyProblem = new AccessError(
            `${who}HOST KEY CHANGED for ${label}: got ${keyType} ${fp}, ${khFiles.length === 1 ? khFiles[0] : khName}${verdict.line ? `:${verdict.line}` : ''} expects ${expected}; refusing to connect`,
          );
        }
        return false;
      },
    } as Parameters<NodeSSH['connect']>[0]);
    if (ssh.connection) skipHostKeysProof(ssh.connection);
    await connecting;
  } catch (e) {
    cleanup();
    if (hostKeyProblem) throw hostKeyProblem;
    // let the ProxyCommand's exit be seen before blaming the connection
    if (proxy && !proxy.exited()) await new Promise((r) => setTimeout(r, 50));
    const ended = proxy?.exited();
    if (ended) throw new UnreachableError(ended);
    const err = classifyConnectError(e as Error & { code?: string; level?: string }, ep, label, keys.map((k) => k.file), role ? 'IdentityFile in ssh_config for it' : 'ansible_ssh_private_key_file or IdentityFile');
    if (who) err.message = who + err.message;
    throw err;
  }
  // node-ssh drops its error listener once connected: an error later (the host's sshd killed, a
  // reset) must end the channels, not the process; 'close' follows and the channels fail then
  ssh.connection?.on('error', () => undefined);
  return { ssh, cleanup };
}

/** A channel from a connected jump host to the next hop, as the next connection's socket. */
async function forward(via: NodeSSH, viaName: string, to: Endpoint, timeoutMs: number): Promise<Duplex> {
  const what = `${labelOf(to)}${to.name !== to.host ? ` (${to.name})` : ''}`;
  let timer: NodeJS.Timeout | undefined;
  try {
    // the jump host's own connect() may wait minutes for an address that does not answer
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new UnreachableError(`jump host ${viaName} could not reach ${what} in time`)), timeoutMs);
    });
    return (await Promise.race([via.forwardOut('127.0.0.1', 0, to.host, to.port), timeout])) as unknown as Duplex;
  } catch (e) {
    if (e instanceof UnreachableError) throw e;
    throw new UnreachableError(`jump host ${viaName} cannot reach ${what}: ${(e as Error).message}`);
  } finally {
    clearTimeout(timer);
  }
}

export class Connection {
  roundTrips = 0;
  private lockChannel?: ClientChannel;
  private openChannels = 0;
  private channelWaiters: Array<() => void> = [];
  private sudoMode: 'none' | 'nopasswd' | 'password' = 'none';

  private constructor(
    readonly target: Target,
    private readonly ssh: NodeSSH,
    private readonly opts: ConnectOptions,
    private readonly cleanups: Array<() => void>,
  ) {}

  static async open(target: Target, opts: ConnectOptions): Promise<Connection> {
    // jump hosts first to last, each reached through the previous one (ssh -J); the target last
    const cleanups: Array<() => void> = [];
    const undo = () => cleanups.reverse().forEach((c) => c());
    let via: { ssh: NodeSSH; name: string } | undefined;
    let conn: Connection;
    try {
      for (const hop of target.jumps ?? []) {
        const sock = via ? await forward(via.ssh, via.name, hop, opts.timeoutMs) : undefined;
        const d = await dial(hop, opts, sock, 'jump host');
        cleanups.push(d.cleanup);
        via = { ssh: d.ssh, name: hop.name };
      }
      const sock = via ? await forward(via.ssh, via.name, target, opts.timeoutMs) : undefined;
      const d = await dial(target, opts, sock, '');
      cleanups.push(d.cleanup);
      conn = new Connection(target, d.ssh, opts, cleanups);
      if (target.jumps?.length) opts.onCommand?.(target.name, `(connected to ${labelOf(target)} through ${target.jumps.map((j) => `jump host ${j.name}`).join(', ')})`);
      else if (target.proxyCommand) opts.onCommand?.(target.name, `(connected to ${labelOf(target)} over the ProxyCommand of ${target.proxyFrom ?? 'ssh_config'})`);
    } catch (e) {
      undo();
      throw e;
    }
    if (target.become && target.user !== 'root') {
      try {
        await conn.checkSudo();
      } catch (e) {
        conn.close();
        throw e;
      }
    }
    return conn;
  }

  private async checkSudo(): Promise<void> {
    const nopw = await this.rawExec('sudo -n true');
    if (nopw.code === 0) {
      this.sudoMode = 'nopasswd';
      return;
    }
    if (!this.opts.becomePassword) {
      throw new AccessError(`sudo on ${this.target.name} needs a password: set BECOME_PASSWORD (environment or .env)`);
    }
    const pw = await this.rawExec("sudo -S -k -p '' true", this.opts.becomePassword + '\n');
    if (pw.code !== 0) {
      throw new AccessError(`sudo on ${this.target.name} refused the password from BECOME_PASSWORD (user ${this.target.user})`);
    }
    this.sudoMode = 'password';
  }

  /** The command line that runs `script` with sh as root (through sudo when needed). */
  private wrap(script: string): { line: string; stdinPrefix: string } {
    const sh = `sh -c ${shq(script)}`;
    if (this.sudoMode === 'nopasswd') return { line: `sudo -n -- ${sh}`, stdinPrefix: '' };
    if (this.sudoMode === 'password') return { line: `sudo -S -k -p '' -- ${sh}`, stdinPrefix: this.opts.becomePassword + '\n' };
    return { line: sh, stdinPrefix: '' };
  }

  /** Wait for a free channel slot (at most MAX_CHANNELS at once); returns its release. */
  private async channelSlot(): Promise<() => void> {
    while (this.openChannels >= MAX_CHANNELS) await new Promise<void>((r) => this.channelWaiters.push(r));
    this.openChannels++;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.openChannels--;
      this.channelWaiters.shift()?.();
    };
  }

  private async rawExec(line: string, stdin?: string | Buffer): Promise<RunResult & { bytes: Buffer }> {
    const release = await this.channelSlot();
    this.roundTrips++;
    const client = this.ssh.connection;
    if (!client) {
      release();
      throw new UnreachableError(`${this.target.name}: connection closed`);
    }
    return new Promise<RunResult & { bytes: Buffer }>((resolve, reject) => {
      client.exec(line, (err, stream) => {
        if (err) return reject(new UnreachableError(`${this.target.name}: ${err.message}`));
        const out: Buffer[] = [];
        const errb: Buffer[] = [];
        let code: number | null = null;
        stream.on('data', (d: Buffer) => out.push(d));
        stream.stderr.on('data', (d: Buffer) => errb.push(d));
        stream.on('exit', (c: number | null) => (code = c));
        stream.on('close', () => {
          const bytes = Buffer.concat(out);
          resolve({ code: code ?? 255, stdout: bytes.toString('utf8'), stderr: Buffer.concat(errb).toString('utf8'), bytes });
        });
        stream.on('error', (e: Error) => reject(new UnreachableError(`${this.target.name}: ${e.message}`)));
        if (stdin !== undefined) stream.end(stdin);
        else stream.end();
      });
    }).finally(release);
  }

  /** Run a shell script as root on the host. */
  async run(script: string, stdin?: string | Buffer, describe?: string): Promise<RunResult> {
    const { line, stdinPrefix } = this.wrap(script);
    if (describe !== '') this.opts.onCommand?.(this.target.name, describe ?? script);
    const input = stdinPrefix || stdin !== undefined ? Buffer.concat([Buffer.from(stdinPrefix), Buffer.from(stdin ?? '')]) : undefined;
    return this.rawExec(line, input);
  }

  /**
   * Start `script` with sh as root (through sudo when needed) and hand back a child-process-like
   * object (lib/ssh/remote-child.ts): what zx's `spawn` option needs, so zx's `$` runs on this host.
   */
  spawn(script: string, describe?: string): RemoteChild {
    const child = new RemoteChild();
    const { line, stdinPrefix } = this.wrap(script);
    if (describe !== '') this.opts.onCommand?.(this.target.name, describe ?? script);
    void this.channelSlot().then((release) => {
      this.roundTrips++;
      const client = this.ssh.connection;
      if (!client) {
        release();
        return child.fail(new UnreachableError(`${this.target.name}: connection closed`));
      }
      client.exec(line, (err, stream) => {
        if (err) {
          release();
          return child.fail(new UnreachableError(`${this.target.name}: ${err.message}`));
        }
        stream.on('close', release);
        child.attach(stream, stdinPrefix);
      });
    });
    return child;
  }

  /**
   * Take the host's lock and read the files and probes, in one round trip. The lock is held by
   * the channel until close(); a killed run drops the connection, which releases it.
   */
  async lockAndRead(lockPath: string, waitSeconds: number, files: ReadSpec[], probes: Record<string, Probe>): Promise<ReadResult> {
    const dir = lockPath.replace(/\/[^/]*$/, '') || '/';
    const end = `@END${randomBytes(8).toString('hex')}`; // probes print raw text: the end mark is unguessable
    const script =
      `lockdir=${shq(dir)} lock=${shq(lockPath)} wait=${Math.max(0, Math.floor(waitSeconds))}\n` +
      shellScript('lock-read.sh') +
      readScript(files, probes) +
      // then hold the lock until the run closes the channel (stdin's end): the shell's own read, no program
      `echo ${end}\nwhile read -r _; do :; done\n`;
    const { line, stdinPrefix } = this.wrap(script);
    this.opts.onCommand?.(this.target.name, `(lock ${lockPath}, read ${files.map((f) => f.path).join(' ')}${Object.keys(probes).length ? ', probes ' + Object.keys(probes).join(' ') : ''})`);
    const release = await this.channelSlot(); // held until the lock channel closes
    this.roundTrips++;
    const client = this.ssh.connection;
    if (!client) {
      release();
      throw new UnreachableError(`${this.target.name}: connection closed`);
    }
    const out = await new Promise<Buffer>((resolve, reject) => {
      client.exec(line, (err, stream) => {
        if (err) {
          release();
          return reject(new UnreachableError(`${this.target.name}: ${err.message}`));
        }
        this.lockChannel = stream;
        const chunks: Buffer[] = [];
        let tail = Buffer.from('\n'); // the last bytes seen, for the end mark
        const endMark = Buffer.from(`\n${end}\n`);
        let errText = '';
        let done = false;
        // The channel stays open for the whole run (it holds the lock), and so does this listener:
        // once the read has ended it keeps nothing, or every host's read (a whole sendmail.cf among
        // it) stayed in memory twice, its chunks beside their concatenation, until the run ended.
        stream.on('data', (d: Buffer) => {
          if (done) return;
          chunks.push(d);
          // @LOCKED can only be the first thing the script prints; the end mark only the last
          const head = chunks[0].subarray(0, 8).toString('latin1');
          if (head === '@LOCKED\n') {
            done = true;
            chunks.length = 0;
            reject(new AccessError(`${this.target.name}: another run holds the lock ${lockPath} (waited ${waitSeconds} s); try again when it has finished`));
            return;
          }
          tail = Buffer.concat([tail, d.subarray(-endMark.length)]).subarray(-endMark.length); // never a copy of the whole chunk
          if (tail.equals(endMark)) {
            done = true;
            const all = Buffer.concat(chunks);
            chunks.length = 0;
            resolve(all);
          }
        });
        stream.stderr.on('data', (d: Buffer) => (errText += d.toString('utf8')));
        stream.on('close', () => {
          release();
          if (!done) {
            done = true;
            reject(new AccessError(`${this.target.name}: could not take the lock ${lockPath}: ${errText.trim() || 'channel closed'}`));
          }
        });
        if (stdinPrefix) stream.write(stdinPrefix);
      });
    });
    const read = out.subarray(0, out.lastIndexOf(end));
    try {
      return parseReadOutput(read, files, probes);
    } catch (e) {
      if (!(e instanceof ReadRaceError)) throw e;
      // a file changed while it was read (an admin's editor), or a summary is not of its file as it
      // is: read the files once more, whole (the lock is still held); the probes' answers stand
      return { files: (await this.read(files.map(whole))).files, probes: e.probes };
    }
  }

  async read(files: ReadSpec[], probes: Record<string, Probe> = {}): Promise<ReadResult> {
    this.opts.onCommand?.(this.target.name, `(read ${files.map((f) => f.path).join(' ')})`);
    const { line, stdinPrefix } = this.wrap(readScript(files, probes));
    const r = await this.rawExec(line, stdinPrefix ? stdinPrefix : undefined);
    if (r.code !== 0) throw new Error(`reading ${files.map((f) => f.path).join(', ')} failed: ${r.stderr.trim()}`);
    try {
      return parseReadOutput(r.bytes, files, probes);
    } catch (e) {
      // a summary that is not of its file as it is: once more, each file whole
      if (!(e instanceof ReadRaceError) || !files.some((f) => f.summary !== undefined)) throw e;
      return this.read(files.map(whole), probes);
    }
  }

  private writes = 0;

  /** Write files atomically; returns where each old version was backed up (undefined: new file). */
  async write(specs: WriteSpec[], existed: boolean[], keepBackups = 5): Promise<Array<{ path: string; backup?: string }>> {
    const stamp = `${backupStamp()}-${String(++this.writes).padStart(2, '0')}`;
    const plan = writeScript(specs, stamp, keepBackups);
    this.opts.onCommand?.(this.target.name, `(write ${specs.map((s) => s.path).join(' ')} atomically, with backups)`);
    const r = await this.run(plan.script, plan.stdin, '');
    if (r.code !== 0) throw new Error(`writing ${specs.map((s) => s.path).join(', ')} failed: ${r.stderr.trim() || `exit ${r.code}`}`);
    return specs.map((s, i) => ({ path: s.path, backup: existed[i] ? backupPath(s.path, stamp) : undefined }));
  }

  /** Put files back from their backups (or remove the ones the run created), in one round trip. */
  async rollback(entries: Array<{ path: string; backup?: string }>): Promise<void> {
    if (!entries.length) return;
    this.opts.onCommand?.(this.target.name, `(restore ${entries.map((e) => e.path).join(' ')} from their backups)`);
    const r = await this.run(rollbackScript(entries), undefined, '');
    if (r.code !== 0) throw new Error(`restoring ${entries.map((e) => e.path).join(', ')} failed: ${r.stderr.trim() || `exit ${r.code}`}`);
  }

  close(): void {
    try {
      this.lockChannel?.end();
    } catch {
      /* already closed */
    }
    this.cleanups.slice().reverse().forEach((c) => c());
  }
}

/** Whether a private key file needs a passphrase (OpenSSH format: its cipher name is not "none"). */
export function isEncryptedKey(key: string): boolean {
  if (!key.includes('OPENSSH PRIVATE KEY')) return /Proc-Type: 4,ENCRYPTED|BEGIN ENCRYPTED PRIVATE KEY/.test(key);
  const raw = Buffer.from(key.replace(/-----[^-]+-----/g, '').replace(/\s+/g, ''), 'base64');
  const magic = 'openssh-key-v1\0';
  if (raw.length < magic.length + 4 || raw.subarray(0, magic.length).toString('latin1') !== magic) return false;
  const len = raw.readUInt32BE(magic.length);
  return raw.subarray(magic.length + 4, magic.length + 4 + len).toString('latin1') !== 'none';
}

function classifyConnectError(e: Error & { code?: string; level?: string }, t: Endpoint, label: string, keyFiles: string[], keyHint: string): Error {
  const msg = e.message || String(e);
  if (e.level === 'client-authentication' || /authentication methods failed/i.test(msg)) {
    return new AccessError(`authentication failed for ${t.user}@${label}${keyFiles.length ? ` with key ${keyFiles.join(', ')}` : process.env.SSH_AUTH_SOCK ? ' (agent keys)' : ` (no key: set ${keyHint}, or use an agent)`}`);
  }
  if (e.code === 'ECONNREFUSED') return new UnreachableError(`nothing listens on ${label} (connection refused)`);
  if (e.code === 'EHOSTUNREACH' || e.code === 'ENETUNREACH') return new UnreachableError(`${label} cannot be reached (${e.code})`);
  if (e.code === 'ENOTFOUND' || e.code === 'EAI_AGAIN') return new UnreachableError(`${t.host} does not resolve (${e.code})`);
  if (/Timed out while waiting for handshake/i.test(msg) || e.code === 'ETIMEDOUT') return new UnreachableError(`${label} did not answer in time`);
  return new UnreachableError(`${label}: ${msg}`);
}
