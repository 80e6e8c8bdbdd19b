// Runs roles on hosts: one connection per host for the whole run, hosts of a phase in parallel
// (bounded by forks), phases in order (a server before the laptops that need it). Each task reports
// ok, changed or failed; a failed task stops that host; handlers run once at the end of a host's
// role, only when notified. Knows nothing about what the roles configure.
import { createHash } from 'node:crypto';
import { shq as shqLocal } from './shell.js';
import { AccessError, Connection, UnreachableError, type ConnectOptions, type Target } from './connection.js';
import { unifiedDiff } from './diff.js';
import { RemoteChild } from './ssh/remote-child.js';
import { hostShell } from './ssh/host-shell.js';
import * as ops from './ops/index.js';
import { ProcessOutput } from 'zx';
import type { HostHandle, PeerHandle, ReadSpec, RemoteFile, Role, RunOptions, RunResult, TaskResult, TaskStatus, WriteSpec } from './types.js';

export interface HostPlan {
  name: string;
  role: Role;
  vars: Record<string, unknown>;
  target: Target;
}

export interface Reporter {
  taskStart?(host: string, task: string): void;
  taskResult(r: TaskResult): void;
  command?(host: string, line: string): void;
  hostUnreachable(host: string, message: string): void;
  hostDone?(host: string, stats: HostStats): void;
}

/** What the play needs of a host's connection (lib/connection.ts's Connection; a fake host in tests). */
export interface HostConnection {
  readonly roundTrips: number;
  lockAndRead(lockPath: string, waitSeconds: number, files: ReadSpec[], probes: Record<string, string>): Promise<{ files: RemoteFile[]; probes: Record<string, RunResult> }>;
  read(files: ReadSpec[], probes?: Record<string, string>): Promise<{ files: RemoteFile[]; probes: Record<string, RunResult> }>;
  write(specs: WriteSpec[], existed: boolean[], keepBackups?: number): Promise<Array<{ path: string; backup?: string }>>;
  run(script: string, stdin?: string | Buffer, describe?: string): Promise<RunResult>;
  rollback(entries: Array<{ path: string; backup?: string }>): Promise<void>;
  /** start a command line as root on the host (what zx's `$` spawns; see lib/ssh/host-shell.ts) */
  spawn(commandLine: string, describe?: string): RemoteChild;
  close(): void;
}

export interface PlayOptions {
  /** how a host is connected to (default: an SSH connection, Connection.open) */
  open?: (target: Target, opts: ConnectOptions) => Promise<HostConnection>;
  check: boolean;
  diff: boolean;
  forks: number;
  lockPath: string;
  lockWaitSeconds: number;
  keepBackups: number;
  /** flags the roles may read (h.options) */
  options: Record<string, unknown>;
  connect: ConnectOptions;
  reporter: Reporter;
  signal?: AbortSignal;
  /** mask secrets in any text shown */
  mask: (s: string) => string;
  addSecret: (s: string) => void;
  /** targets of hosts that are not in the plan but may be read as peers */
  peers?: Map<string, { vars: Record<string, unknown>; target: Target }>;
}

export interface HostStats {
  ok: number;
  changed: number;
  failed: number;
  skipped: number;
  unreachable: number;
  roundTrips: number;
  interrupted?: string;
}

export interface PlayResult {
  stats: Map<string, HostStats>;
  results: TaskResult[];
  interrupted: boolean;
}

class TaskError extends Error {}

type Prepared =
  | { kind: 'ready'; conn: HostConnection; cache: Map<string, RemoteFile>; probes: Record<string, RunResult> }
  | { kind: 'gather-failed'; conn: HostConnection; message: string }
  | { kind: 'unreachable'; message: string }
  | { kind: 'skipped' };

/** Run phases in order; the hosts of one phase in parallel. */
export async function runPlay(phases: HostPlan[][], opts: PlayOptions): Promise<PlayResult> {
  const conns = new Map<string, Promise<HostConnection>>();
  const open = opts.open ?? ((t: Target, o: ConnectOptions) => Connection.open(t, o));
  const stats = new Map<string, HostStats>();
  const results: TaskResult[] = [];
  const broken = new Map<string, string>();
  const targets = new Map<string, { vars: Record<string, unknown>; target: Target }>(opts.peers ?? []);
  for (const phase of phases) for (const p of phase) targets.set(p.name, { vars: p.vars, target: p.target });

  const connect = (name: string): Promise<HostConnection> => {
    let c = conns.get(name);
    if (!c) {
      const t = targets.get(name);
      if (!t) return Promise.reject(new Error(`no host ${name} in the inventory`));
      c = open(t.target, opts.connect);
      c.catch(() => undefined);
      conns.set(name, c);
    }
    return c;
  };
  const peerCache = new Map<string, Map<string, RemoteFile>>();
  const peerPending = new Map<string, Map<string, Promise<unknown>>>();
  const peerHandle = (name: string): PeerHandle => {
    const t = targets.get(name);
    if (!t) throw new TaskError(`no host ${name} in the inventory`);
    return {
      name,
      vars: t.vars,
      async files(specs) {
        if (broken.has(name)) throw new TaskError(`${name} failed earlier in this run: ${broken.get(name)}`);
        const conn = await connect(name).catch((e: Error) => {
          throw new TaskError(`${name}: ${e.message}`);
        });
        const cache = peerCache.get(name) ?? new Map<string, RemoteFile>();
        peerCache.set(name, cache);
        const want = specs.map(normSpec);
        // many laptops ask the same peer for the same files at once: one read, the others wait for it
        const pending = peerPending.get(name) ?? new Map<string, Promise<unknown>>();
        peerPending.set(name, pending);
        for (;;) {
          const waits = want.filter((s) => !cacheHas(cache, s)).map((s) => pending.get(s.path)).filter((p) => p !== undefined);
          if (!waits.length) break;
          await Promise.all(waits.map((p) => p.catch(() => undefined)));
        }
        const missing = want.filter((s) => !cacheHas(cache, s));
        if (missing.length) {
          const read = conn.read(missing).then((r) => r.files.forEach((f) => remember(f, cache, opts.addSecret)));
          const settled = read.finally(() => missing.forEach((s) => pending.get(s.path) === settled && pending.delete(s.path)));
          settled.catch(() => undefined);
          missing.forEach((s) => pending.set(s.path, settled));
          await read;
        }
        return want.map((s) => cache.get(s.path)!);
      },
    };
  };

  // Every host's connection and first round trip (lock + snapshot) start at once, in phase order,
  // at most `forks` being set up at a time: the laptops connect and read while the server's tasks
  // run, and a host's tasks start as soon as its phase is reached and its snapshot is in.
  const setupSlot = limiter(opts.forks);
  const prepared = new Map<string, Promise<Prepared>>();
  for (const phase of phases) {
    for (const plan of phase) {
      const p = setupSlot(async (): Promise<Prepared> => {
        if (opts.signal?.aborted) return { kind: 'skipped' };
        let conn: HostConnection;
        try {
          conn = await connect(plan.name);
        } catch (e) {
          return { kind: 'unreachable', message: (e as Error).message };
        }
        const cache = new Map<string, RemoteFile>();
        peerCache.set(plan.name, cache); // peers of this host read the same snapshot
        try {
          const g = plan.role.gather(plan.vars, opts.options);
          const r = await conn.lockAndRead(opts.lockPath, opts.lockWaitSeconds, g.files, g.probes);
          r.files.forEach((f) => remember(f, cache, opts.addSecret));
          return { kind: 'ready', conn, cache, probes: r.probes };
        } catch (e) {
          return { kind: 'gather-failed', conn, message: (e as Error).message };
        }
      });
      prepared.set(plan.name, p);
    }
  }

  try {
    for (const phase of phases) {
      await pool(phase, opts.forks, async (plan) => {
        const st: HostStats = { ok: 0, changed: 0, failed: 0, skipped: 0, unreachable: 0, roundTrips: 0 };
        stats.set(plan.name, st);
        const prep = await prepared.get(plan.name)!;
        if (opts.signal?.aborted || prep.kind === 'skipped') {
          st.interrupted = 'before it started';
          return;
        }
        if (prep.kind === 'unreachable') {
          st.unreachable = 1;
          broken.set(plan.name, prep.message);
          opts.reporter.hostUnreachable(plan.name, opts.mask(prep.message));
          return;
        }
        const conn = prep.conn;
        try {
          if (prep.kind === 'gather-failed') {
            const r: TaskResult = { host: plan.name, task: 'read the current state', status: 'failed', messages: [], warnings: [], diffs: [], error: opts.mask(prep.message) };
            results.push(r);
            st.failed++;
            opts.reporter.taskResult(r);
          } else {
            await runHost(plan, conn, st, opts, results, peerHandle, prep.cache, prep.probes);
          }
        } finally {
          st.roundTrips = conn.roundTrips;
          if (st.failed) broken.set(plan.name, 'a task failed');
          opts.reporter.hostDone?.(plan.name, st);
        }
      });
      if (opts.signal?.aborted) break;
    }
  } finally {
    for (const c of conns.values()) {
      try {
        (await c).close();
      } catch {
        /* never connected */
      }
    }
  }
  // round trips made on a host's connection as a peer of others count for that host too
  for (const [name, c] of conns) {
    const st = stats.get(name);
    try {
      const conn = await c;
      if (st) st.roundTrips = conn.roundTrips;
    } catch {
      /* unreachable */
    }
  }
  return { stats, results, interrupted: !!opts.signal?.aborted };
}

function normSpec(s: string | ReadSpec): ReadSpec {
  return typeof s === 'string' ? { path: s } : s;
}
function cacheHas(cache: Map<string, RemoteFile>, s: ReadSpec): boolean {
  const f = cache.get(s.path);
  if (!f) return false;
  return s.digestOnly || !f.exists || f.content !== undefined;
}
function remember(f: RemoteFile, cache: Map<string, RemoteFile>, addSecret: (s: string) => void): void {
  if (f.secret && f.content) registerSecret(f.content.toString('utf8'), addSecret);
  cache.set(f.path, f);
}
/** A secret's whole text and each of its long lines, so that a fragment is masked too. */
function registerSecret(text: string, addSecret: (s: string) => void): void {
  addSecret(text.trim());
  for (const line of text.split('\n')) if (line.trim().length >= 16 && !line.startsWith('-----')) addSecret(line.trim());
}

async function runHost(
  plan: HostPlan,
  conn: HostConnection,
  st: HostStats,
  opts: PlayOptions,
  results: TaskResult[],
  peerHandle: (name: string) => PeerHandle,
  cache: Map<string, RemoteFile>,
  probes: Record<string, RunResult>,
): Promise<void> {
  const host = plan.name;
  const notified = new Set<string>();
  const written = new Map<string, string | undefined>();

  const record = (task: string, status: TaskStatus, ctx: TaskCtx, error?: string) => {
    const r: TaskResult = {
      host,
      task,
      status,
      messages: ctx.messages.map(opts.mask),
      warnings: ctx.warnings.map(opts.mask),
      diffs: ctx.diffs.map(opts.mask),
      error: error === undefined ? undefined : opts.mask(error),
      ...(ctx.facts ? { facts: JSON.parse(opts.mask(JSON.stringify(ctx.facts))) as Record<string, unknown> } : {}),
    };
    results.push(r);
    if (status === 'ok') st.ok++;
    else if (status === 'changed') st.changed++;
    else if (status === 'failed') st.failed++;
    else st.skipped++;
    opts.reporter.taskResult(r);
  };

  const makeHandle = (ctx: TaskCtx): HostHandle => {
    const files = async (specs: Array<string | ReadSpec>) => {
      const want = specs.map(normSpec);
      const missing = want.filter((s) => !cacheHas(cache, s));
      if (missing.length) {
        const r = await conn.read(missing);
        r.files.forEach((f) => remember(f, cache, opts.addSecret));
      }
      return want.map((s) => cache.get(s.path)!);
    };
    // zx's `$` on this host: h.$ for commands that change it (check mode: reported, not run; the
    // task is changed; the snapshot of files is dropped), h.read$ for commands that only look
    const $ = hostShell((line) => {
      ctx.lastCommand = line;
      ctx.changed = true;
      ctx.messages.push(opts.check ? `would run: ${line}` : `ran: ${line}`);
      if (opts.check) return RemoteChild.finished(0);
      cache.clear();
      return conn.spawn(line);
    });
    const read$ = hostShell((line) => {
      ctx.lastCommand = line;
      return conn.spawn(line);
    });
    const handle: HostHandle = {
      name: host,
      vars: plan.vars,
      options: opts.options,
      checkMode: opts.check,
      $,
      read$,
      edit: (path, fn, o) => ops.edit(handle, path, fn, o),
      put: (spec, o) => ops.put(handle, spec, o),
      attrs: (path, want, o) => ops.attrs(handle, path, want, o),
      absent: (paths, o) => ops.absent(handle, paths, o),
      probe(name) {
        const p = probes[name];
        if (!p) throw new TaskError(`probe ${name} was not gathered (role bug)`);
        return p;
      },
      files,
      async file(spec) {
        return (await files([spec]))[0];
      },
      async write(specs: WriteSpec[]) {
        const current = await files(specs.map((s) => ({ path: s.path, digestOnly: !!s.secret, secret: s.secret })));
        const todo: WriteSpec[] = [];
        specs.forEach((s, i) => {
          const cur = current[i];
          const content = Buffer.from(s.content);
          if (s.secret) registerSecret(content.toString('utf8'), opts.addSecret);
          const same =
            cur.exists &&
            (cur.sha256 ?? '') === sha256(content) &&
            (s.mode === undefined || cur.mode === s.mode) &&
            (s.owner === undefined || cur.owner === s.owner) &&
            (s.group === undefined || cur.group === s.group);
          if (same) return;
          todo.push(s);
          const what = !cur.exists
            ? `create ${s.path}`
            : cur.sha256 === sha256(content)
              ? `set owner/mode of ${s.path}`
              : `update ${s.path}`;
          ctx.messages.push(opts.check ? `would ${what}` : what);
          if (opts.diff && (!cur.exists || cur.sha256 !== sha256(content))) {
            const before = cur.exists ? (cur.content ? cur.content.toString('utf8') : '') : undefined;
            ctx.diffs.push(unifiedDiff(s.path, before, content.toString('utf8'), !!s.secret || !!cur.secret));
          }
        });
        if (!todo.length) return;
        ctx.changed = true;
        if (opts.check) return;
        const existed = todo.map((s) => !!cache.get(s.path)?.exists);
        const done = await conn.write(todo, existed, opts.keepBackups);
        // the first version of each file this run replaced is the one a rollback restores
        for (const d of done) if (!written.has(d.path)) written.set(d.path, d.backup);
        for (const s of todo) {
          const content = Buffer.from(s.content);
          const prev = cache.get(s.path);
          cache.set(s.path, {
            path: s.path,
            exists: true,
            content: s.secret ? undefined : content,
            sha256: sha256(content),
            mode: s.mode ?? prev?.mode ?? 0o644,
            owner: s.owner ?? prev?.owner,
            group: s.group ?? prev?.group,
            secret: s.secret,
          });
        }
      },
      async run(cmd, ro: RunOptions = {}) {
        const script = Array.isArray(cmd) ? cmd.map((a) => shqLocal(a)).join(' ') : cmd.script;
        const describe = ro.describe ?? script;
        if (ro.changes) {
          ctx.changed = true;
          if (opts.check) {
            ctx.messages.push(`would run: ${describe}`);
            return { code: 0, stdout: '', stderr: '' };
          }
          ctx.messages.push(`ran: ${describe}`);
        }
        const r = await conn.run(script, ro.stdin, ro.describe);
        if (ro.changes) cache.clear();
        if (r.code !== 0 && ro.check !== false) {
          const detail = (r.stderr.trim() || r.stdout.trim()).split('\n').slice(-12).join('\n');
          throw new TaskError(`${describe} failed (exit ${r.code})${detail ? `: ${detail}` : ''}`);
        }
        return r;
      },
      notify(handler) {
        if (!plan.role.handlers.some((h) => h.name === handler)) throw new TaskError(`no handler '${handler}' (role bug)`);
        notified.add(handler);
      },
      warn(m) {
        ctx.warnings.push(m);
      },
      say(m) {
        ctx.messages.push(m);
      },
      changed(m) {
        ctx.changed = true;
        if (m) ctx.messages.push(opts.check ? `would ${m}` : m);
      },
      skip(reason) {
        ctx.skipped = true;
        ctx.messages.push(reason);
      },
      peer(name) {
        return peerHandle(name);
      },
      async rollback() {
        if (opts.check || !written.size) return [];
        const entries = [...written].map(([path, backup]) => ({ path, backup })).reverse();
        await conn.rollback(entries);
        written.clear();
        cache.clear();
        return entries.map((e) => e.path);
      },
      secret(v) {
        registerSecret(v, opts.addSecret);
      },
      facts(values) {
        ctx.facts = { ...ctx.facts, ...values };
      },
    };
    return handle;
  };

  const steps: Array<{ name: string; run: (h: HostHandle) => Promise<void>; handler?: boolean }> = [
    ...plan.role.tasks,
    ...plan.role.handlers.map((h) => ({ name: h.name, run: h.run, handler: true })),
  ];
  for (const step of steps) {
    if (step.handler && !notified.has(step.name)) continue;
    if (opts.signal?.aborted) {
      st.interrupted = `before "${step.name}"`;
      return;
    }
    opts.reporter.taskStart?.(host, step.name);
    const ctx = newCtx();
    try {
      await step.run(makeHandle(ctx));
      record(step.name, step.handler || ctx.changed ? 'changed' : ctx.skipped ? 'skipped' : 'ok', ctx);
    } catch (e) {
      const msg =
        e instanceof ProcessOutput
          ? commandFailure(e, ctx.lastCommand)
          : e instanceof TaskError || e instanceof AccessError || e instanceof UnreachableError
            ? e.message
            : (e as Error).message || String(e);
      record(step.name, 'failed', ctx, msg);
      return;
    }
  }
}

/** A zx command that exited non-zero, in one line: the command, its exit code, its last words. */
function commandFailure(p: ProcessOutput, cmd = 'a command'): string {
  const detail = (p.stderr.trim() || p.stdout.trim()).split('\n').slice(-12).join('\n');
  return `${cmd} failed (exit ${p.exitCode ?? p.signal})${detail ? `: ${detail}` : ''}`;
}

interface TaskCtx {
  changed: boolean;
  /** the last command h.$ or h.read$ started (named when it fails) */
  lastCommand?: string;
  /** h.skip() was called: the task did not apply */
  skipped?: boolean;
  messages: string[];
  warnings: string[];
  diffs: string[];
  facts?: Record<string, unknown>;
}
function newCtx(): TaskCtx {
  return { changed: false, messages: [], warnings: [], diffs: [] };
}

function sha256(b: Buffer): string {
  return createHash('sha256').update(b).digest('hex');
}

/** A function that runs tasks with at most `limit` at once, in the order they were given. */
export function limiter(limit: number): <T>(fn: () => Promise<T>) => Promise<T> {
  let active = 0;
  const queue: Array<() => void> = [];
  const next = () => {
    if (active >= Math.max(1, limit)) return;
    const start = queue.shift();
    if (start) {
      active++;
      start();
    }
  };
  return <T>(fn: () => Promise<T>) =>
    new Promise<T>((resolve, reject) => {
      queue.push(() => {
        fn()
          .then(resolve, reject)
          .finally(() => {
            active--;
            next();
          });
      });
      next();
    });
}

/** Run fn over items with at most `limit` at once. */
export async function pool<T>(items: T[], limit: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const workers = Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, async () => {
    while (next < items.length) {
      const item = items[next++];
      await fn(item);
    }
  });
  await Promise.all(workers);
}
