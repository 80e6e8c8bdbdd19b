// The contract between the engine (lib/) and the roles (roles/): a role is an ordered list of
// named tasks and handlers; each task sees one host only through a HostHandle.
import type { Shell } from 'zx/core';

export type TaskStatus = 'ok' | 'changed' | 'failed' | 'skipped';

/** A file on a host as read at one moment. `content` is absent for digest-only (secret) reads. */
export interface RemoteFile {
  path: string;
  exists: boolean;
  /** file content; undefined when read as digest only or missing */
  content?: Buffer;
  /** sha256 hex of the content */
  sha256?: string;
  /** instead of the content (ReadSpec.summary): the summary the host keeps of this file, its lines
   *  after the signature line, when that line is this file's own signature as read */
  summary?: { path: string; text: Buffer };
  mode?: number;
  owner?: string;
  group?: string;
  mtime?: number;
  size?: number;
  /** content is secret: never shown in logs, diffs or JSON */
  secret?: boolean;
}

/**
 * A probe gathered in the first round trip: a shell script whose output and exit code a task reads
 * with h.probe(name). A string runs in a subshell of its own, so it may exit, change folder or set
 * variables. `{ builtins: script }` runs in the read's own shell, without that fork: for a script of
 * the shell's builtins only (test, [, command -v, echo) that never exits, never changes folder and
 * sets no variable. On a small host a fork costs about as much as starting a small program, and the
 * first round trip of every host of a fleet lands at once.
 */
export type Probe = string | { builtins: string };

export interface ReadSpec {
  path: string;
  /** read only the sha256, never the content (keys) */
  digestOnly?: boolean;
  /** the content is secret (read into memory only, masked everywhere) */
  secret?: boolean;
  /**
   * A summary of this file that the host keeps (a role's own script writes it): its first line is
   * the file's signature when the summary was made, as `stat -c '%i %s %.9Y %.9Z'` prints it (inode,
   * size, mtime and ctime to the nanosecond), the rest is the summary. When the summary is newer than
   * the file, its bytes come back instead of the file's (RemoteFile.summary), and they count only
   * when the signature line is the file's own as read in the same round trip: a file replaced,
   * rewritten or put back with its old mtime since (cp -p) has another inode or ctime, and is then
   * read whole, as is a file with no summary or an older one. Never for a secret file.
   */
  summary?: string;
}

export interface WriteSpec {
  path: string;
  content: string | Buffer;
  /** mode for a new file, or to enforce on an existing one */
  mode?: number;
  owner?: string;
  group?: string;
  secret?: boolean;
}

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

export interface RunOptions {
  /** the command changes the host: skipped in check mode, marks the task changed */
  changes?: boolean;
  /** fail the task when the exit code is not 0 (default true) */
  check?: boolean;
  stdin?: string | Buffer;
  /** human description for verbose output instead of the command itself */
  describe?: string;
}

/** What put() writes: a whole file (content); (`from`) a peer's file copied through memory; or
 *  (`make`) content made only when it is written, never in check mode (a certificate signed from a
 *  CSR made on the host: check mode reports `describe` instead). */
export type PutSpec =
  | WriteSpec
  | (Omit<WriteSpec, 'content'> & { from: { peer: PeerHandle; path: string } })
  | (Omit<WriteSpec, 'content'> & { make: () => Promise<string | Buffer>; describe: string });

/** A read-only view of another host in the same run (e.g. a laptop's server). */
export interface PeerHandle {
  readonly name: string;
  readonly vars: Readonly<Record<string, unknown>>;
  files(specs: Array<string | ReadSpec>): Promise<RemoteFile[]>;
  /** resolves once the peer's own tasks in this run are done (at once for a peer of the same or a
   *  later phase, or one not in the run); files() waits for it by itself */
  settled(): Promise<void>;
}

/** One host as a task sees it. `O`: the options of the host's role (each role declares its own
 *  interface, e.g. roles/server.ts ServerOptions; the entry point gives them with the plan). */
export interface HostHandle<O = unknown> {
  readonly name: string;
  readonly vars: Readonly<Record<string, unknown>>;
  /** the role's options for this run (--regenerate-certs, the laptops to pair…), as the entry point set them */
  readonly options: Readonly<O>;
  readonly checkMode: boolean;
  /** probe results gathered at the start (name -> result) */
  probe(name: string): RunResult;
  /** files, from the gathered snapshot when possible, else read in one round trip */
  files(specs: Array<string | ReadSpec>): Promise<RemoteFile[]>;
  file(spec: string | ReadSpec): Promise<RemoteFile>;
  /** operations (lib/ops): read, compute the change with a pure function, write only the
   *  difference, notify when changed; true when something changed (or would, in check mode) */
  edit(path: string, fn: (text: string, exists: boolean) => string | { text: string; warnings?: string[] }, o?: { notify?: string | string[]; /** for a file the edit creates */ mode?: number; owner?: string; group?: string }): Promise<boolean>;
  /** whole files, or (`from`) a peer's file copied through memory (its secret read only to be
   *  written): those that differ are written in one round trip, each atomically; notify once */
  put(spec: PutSpec | readonly PutSpec[], o?: { notify?: string | string[] }): Promise<boolean>;
  attrs(path: string, want: { mode: number; owner: string; group: string }, o?: { notify?: string | string[] }): Promise<boolean>;
  absent(paths: string[], o?: { notify?: string | string[] }): Promise<boolean>;
  /** atomic writes (temp file + rename), owner/mode kept, dated backup; no-op in check mode */
  write(specs: WriteSpec[]): Promise<void>;
  /** zx's `$` on this host for commands that change it: `await h.$\`make -C /etc/mail\``; every
   *  value is quoted for a POSIX shell; in check mode the command is reported, not run */
  readonly $: Shell;
  /** zx's `$` on this host for commands that only read (run in check mode too) */
  readonly read$: Shell;
  /** run an argv (quoted) or a shell script; see RunOptions */
  run(cmd: string[] | { script: string }, opts?: RunOptions): Promise<RunResult>;
  notify(handler: string): void;
  /** whether a task of this host notified that handler in this run */
  notified(handler: string): boolean;
  warn(message: string): void;
  /** a message shown with the task's result line */
  say(message: string): void;
  /** something the task needs is not there (a file an earlier step makes): a real run fails the
   *  task with `error`; check mode, where that step's change was not made, reports `would` (what
   *  the run would do) and the task is changed. Use as `return h.missing(error, would)`. */
  missing(error: string, would: string): void;
  /** mark the task changed without a write (e.g. a command run) */
  changed(message?: string): void;
  /** the task does not apply to this host (the other TLS mode, a feature it lacks): reported as
   *  `skipped` with the reason, unless it also changed something */
  skip(reason: string): void;
  peer(name: string): PeerHandle;
  /** put back every file this run wrote on this host, as it was before (from the backups) */
  rollback(): Promise<string[]>;
  /** remember a secret value so that it is masked in every output */
  secret(value: string): void;
  /** structured results of the task (merged), in the task's result and the --json report */
  facts(values: Record<string, unknown>): void;
  /** a value kept for the length of this run and shared by every host's tasks (lib/run-store.ts):
   *  the first call under a key computes it, the others get the same; a failure is not kept */
  memo<T>(key: string, compute: () => T | Promise<T>): Promise<T>;
}

// `run` is a function property, not a method, so that it is checked strictly: a task that reads
// options (Task<{ regenerateCerts?: boolean }>) fits only a role whose options have them.
export interface Task<O = unknown> {
  name: string;
  run: (h: HostHandle<O>) => Promise<void>;
}

export interface Handler<O = unknown> {
  name: string;
  run: (h: HostHandle<O>) => Promise<void>;
}

export interface Role<O = unknown> {
  name: string;
  /** what to read in the first round trip (with the host lock); `peerVars`: another host's vars
   *  (undefined when it is not in the inventory), for what depends on a peer (a laptop's server) */
  gather: (vars: Readonly<Record<string, unknown>>, options: Readonly<O>, peerVars: (name: string) => Readonly<Record<string, unknown>> | undefined) => {
    files: ReadSpec[];
    probes: Record<string, Probe>;
  };
  tasks: Array<Task<O>>;
  /** in the order they run; each runs once at the end, when notified */
  handlers: Array<Handler<O>>;
}

export interface TaskResult {
  host: string;
  task: string;
  status: TaskStatus;
  messages: string[];
  warnings: string[];
  diffs: string[];
  error?: string;
  /** what the task recorded with h.facts() */
  facts?: Record<string, unknown>;
}
