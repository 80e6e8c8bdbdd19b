// One SSH connection per host (node-ssh over ssh2): host key checked against known_hosts, commands
// run through a POSIX shell with every value quoted, files read and written in one round trip each,
// and a lock on the host held for the whole run by one long-lived channel.
import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { NodeSSH } from 'node-ssh';
import type { ClientChannel } from 'ssh2';
import { RemoteChild } from './ssh/remote-child.js';
import { shq } from './shell.js';
import { checkHostKey, fingerprintSha256, keyTypeOf, type KnownHostEntry } from './known-hosts.js';
import { parseReadOutput, readScript, shellScript, writeScript, backupStamp, backupPath, rollbackScript, type ReadResult } from './remote-files.js';
import type { ReadSpec, RunResult, WriteSpec } from './types.js';

export interface Target {
  name: string;
  host: string;
  port: number;
  user: string;
  privateKeyFile?: string;
  become: boolean;
}

export interface ConnectOptions {
  knownHosts: KnownHostEntry[];
  knownHostsFile: string;
  /** accept a host key that known_hosts does not know (never a changed one) */
  acceptNewHostKey?: boolean;
  onNewHostKey?: (target: Target, keyType: string, key: Buffer) => void;
  timeoutMs: number;
  becomePassword?: string;
  keyPassphrase?: string;
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
  ) {}

  static async open(target: Target, opts: ConnectOptions): Promise<Connection> {
    let privateKey: string | undefined;
    if (target.privateKeyFile) {
      try {
        privateKey = await readFile(target.privateKeyFile, 'utf8');
      } catch (e) {
        throw new AccessError(`cannot read the SSH key ${target.privateKeyFile}: ${(e as NodeJS.ErrnoException).code ?? e}`);
      }
      if (isEncryptedKey(privateKey) && !opts.keyPassphrase) {
        // ssh2 would say only "Encrypted private OpenSSH key detected, but no passphrase given"
        throw new AccessError(`the SSH key ${target.privateKeyFile} is encrypted: set SSH_KEY_PASSPHRASE (environment or .env) or use an agent`);
      }
    }
    let hostKeyProblem: Error | undefined;
    const ssh = new NodeSSH();
    const label = target.port === 22 ? target.host : `[${target.host}]:${target.port}`;
    try {
      await ssh.connect({
        host: target.host,
        port: target.port,
        username: target.user,
        privateKey,
        passphrase: opts.keyPassphrase,
        agent: privateKey ? undefined : process.env.SSH_AUTH_SOCK,
        readyTimeout: opts.timeoutMs,
        tryKeyboard: false,
        hostVerifier: (key: Buffer) => {
          const keyType = keyTypeOf(key);
          const verdict = checkHostKey(opts.knownHosts, target.host, target.port, keyType, key);
          const fp = fingerprintSha256(key);
          if (verdict.status === 'match') return true;
          if (verdict.status === 'unknown' && opts.acceptNewHostKey) {
            opts.onNewHostKey?.(target, keyType, key);
            return true;
          }
          if (verdict.status === 'unknown') {
            hostKeyProblem = new AccessError(
              `host key for ${label} is not in ${opts.knownHostsFile} (${keyType} ${fp}); check it, then add it or run again with --accept-new-host-keys`,
            );
          } else if (verdict.status === 'revoked') {
            hostKeyProblem = new AccessError(`host key for ${label} is marked @revoked in ${opts.knownHostsFile} (${keyType} ${fp})`);
          } else {
            const expected = (verdict.expected ?? []).map((e) => `${e.keyType} ${e.fingerprint}`).join(', ');
            hostKeyProblem = new AccessError(
              `HOST KEY CHANGED for ${label}: got ${keyType} ${fp}, ${opts.knownHostsFile}${verdict.line ? `:${verdict.line}` : ''} expects ${expected}; refusing to connect`,
            );
          }
          return false;
        },
      });
    } catch (e) {
      ssh.dispose();
      if (hostKeyProblem) throw hostKeyProblem;
      throw classifyConnectError(e as Error & { code?: string; level?: string }, target, label);
    }
    // node-ssh drops its error listener once connected: an error later (the host's sshd killed, a
    // reset) must end the channels, not the process; 'close' follows and the channels fail then
    ssh.connection?.on('error', () => undefined);
    const conn = new Connection(target, ssh, opts);
    if (target.become && target.user !== 'root') await conn.checkSudo();
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

  private async rawExec(line: string, stdin?: string | Buffer): Promise<RunResult> {
    const release = await this.channelSlot();
    this.roundTrips++;
    const client = this.ssh.connection;
    if (!client) {
      release();
      throw new UnreachableError(`${this.target.name}: connection closed`);
    }
    return new Promise<RunResult>((resolve, reject) => {
      client.exec(line, (err, stream) => {
        if (err) return reject(new UnreachableError(`${this.target.name}: ${err.message}`));
        const out: Buffer[] = [];
        const errb: Buffer[] = [];
        let code: number | null = null;
        stream.on('data', (d: Buffer) => out.push(d));
        stream.stderr.on('data', (d: Buffer) => errb.push(d));
        stream.on('exit', (c: number | null) => (code = c));
        stream.on('close', () =>
          resolve({ code: code ?? 255, stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(errb).toString('utf8') }),
        );
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
  async lockAndRead(lockPath: string, waitSeconds: number, files: ReadSpec[], probes: Record<string, string>): Promise<ReadResult> {
    const dir = lockPath.replace(/\/[^/]*$/, '') || '/';
    const end = `@END${randomBytes(8).toString('hex')}`; // probes print raw text: the end mark is unguessable
    const script =
      `lockdir=${shq(dir)} lock=${shq(lockPath)} wait=${Math.max(0, Math.floor(waitSeconds))}\n` +
      shellScript('lock-read.sh') +
      readScript(files, probes) +
      `echo ${end}\nexec cat >/dev/null\n`;
    const { line, stdinPrefix } = this.wrap(script);
    this.opts.onCommand?.(this.target.name, `(lock ${lockPath}, read ${files.map((f) => f.path).join(' ')}${Object.keys(probes).length ? ', probes ' + Object.keys(probes).join(' ') : ''})`);
    const release = await this.channelSlot(); // held until the lock channel closes
    this.roundTrips++;
    const client = this.ssh.connection;
    if (!client) {
      release();
      throw new UnreachableError(`${this.target.name}: connection closed`);
    }
    const out = await new Promise<string>((resolve, reject) => {
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
        stream.on('data', (d: Buffer) => {
          chunks.push(d);
          if (done) return;
          // @LOCKED can only be the first thing the script prints; the end mark only the last
          const head = chunks[0].subarray(0, 8).toString('latin1');
          if (head === '@LOCKED\n') {
            done = true;
            reject(new AccessError(`${this.target.name}: another run holds the lock ${lockPath} (waited ${waitSeconds} s); try again when it has finished`));
            return;
          }
          tail = Buffer.concat([tail, d]).subarray(-endMark.length);
          if (tail.equals(endMark)) {
            done = true;
            resolve(Buffer.concat(chunks).toString('utf8'));
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
    return parseReadOutput(out.slice(0, out.lastIndexOf(end)), files, probes);
  }

  async read(files: ReadSpec[], probes: Record<string, string> = {}): Promise<ReadResult> {
    this.opts.onCommand?.(this.target.name, `(read ${files.map((f) => f.path).join(' ')})`);
    const r = await this.run(readScript(files, probes), undefined, '');
    if (r.code !== 0) throw new Error(`reading ${files.map((f) => f.path).join(', ')} failed: ${r.stderr.trim()}`);
    return parseReadOutput(r.stdout, files, probes);
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
    this.ssh.dispose();
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

function classifyConnectError(e: Error & { code?: string; level?: string }, t: Target, label: string): Error {
  const msg = e.message || String(e);
  if (e.level === 'client-authentication' || /authentication methods failed/i.test(msg)) {
    return new AccessError(`authentication failed for ${t.user}@${label}${t.privateKeyFile ? ` with key ${t.privateKeyFile}` : ''}`);
  }
  if (/passphrase|Encrypted private|decrypt key|bad decrypt/i.test(msg)) return new AccessError(`the SSH key ${t.privateKeyFile} is encrypted and SSH_KEY_PASSPHRASE does not open it`);
  if (/Cannot parse privateKey|Unsupported key format/i.test(msg)) return new AccessError(`the SSH key ${t.privateKeyFile} is not a private key ssh2 can read: ${msg}`);
  if (e.code === 'ECONNREFUSED') return new UnreachableError(`nothing listens on ${label} (connection refused)`);
  if (e.code === 'EHOSTUNREACH' || e.code === 'ENETUNREACH') return new UnreachableError(`${label} cannot be reached (${e.code})`);
  if (e.code === 'ENOTFOUND' || e.code === 'EAI_AGAIN') return new UnreachableError(`${t.host} does not resolve (${e.code})`);
  if (/Timed out while waiting for handshake/i.test(msg) || e.code === 'ETIMEDOUT') return new UnreachableError(`${label} did not answer in time`);
  return new UnreachableError(`${label}: ${msg}`);
}
