// One host's part of a run: its tasks in order through the host handle (files from the snapshot,
// writes, zx's $ on the host, the operations, notify), then its notified handlers once each. A failed
// task stops the host. Knows nothing about what the roles configure.
import { mark } from './timings.js';
import { shq as shqLocal } from './shell.js';
import { AccessError, UnreachableError } from './connection.js';
import { unifiedDiff } from './diff.js';
import { RemoteChild } from './ssh/remote-child.js';
import { hostShell } from './ssh/host-shell.js';
import type { Shell } from 'zx/core';
import * as ops from './ops/index.js';
import { ProcessOutput } from 'zx/core';
import { cacheHas, normSpec, registerSecret, remember, sha256 } from './snapshot.js';
import type { HostPlan, HostStats, PlayOptions } from './play.js';
import type { Memo } from './run-store.js';
import type { HostHandle, PeerHandle, Probe, ReadSpec, RemoteFile, RunOptions, RunResult, TaskResult, TaskStatus, WriteSpec } from './types.js';

export class TaskError extends Error {}

/** What the play needs of a host's connection (lib/connection.ts's Connection; a fake host in tests). */
export interface HostConnection {
  readonly roundTrips: number;
  lockAndRead(lockPath: string, waitSeconds: number, files: ReadSpec[], probes: Record<string, Probe>): Promise<{ files: RemoteFile[]; probes: Record<string, RunResult> }>;
  read(files: ReadSpec[], probes?: Record<string, Probe>): Promise<{ files: RemoteFile[]; probes: Record<string, RunResult> }>;
  write(specs: WriteSpec[], existed: boolean[], keepBackups?: number): Promise<Array<{ path: string; backup?: string }>>;
  run(script: string, stdin?: string | Buffer, describe?: string): Promise<RunResult>;
  rollback(entries: Array<{ path: string; backup?: string }>): Promise<void>;
  /** start a command line as root on the host (what zx's `$` spawns; see lib/ssh/host-shell.ts) */
  spawn(commandLine: string, describe?: string): RemoteChild;
  close(): void;
}

export async function runHost<O>(
  plan: HostPlan<O>,
  conn: HostConnection,
  st: HostStats,
  opts: PlayOptions,
  results: TaskResult[],
  peerHandle: (name: string) => PeerHandle,
  cache: Map<string, RemoteFile>,
  probes: Record<string, RunResult>,
  memo: Memo,
  /** called once every task succeeded, before the first handler runs: the host's files are final */
  onTasksDone?: () => void,
): Promise<void> {
  const host = plan.name;
  const notified = new Set<string>();
  const written = new Map<string, string | undefined>();
  // Writes are sent together: the tasks' writes wait here (the snapshot already holds the new
  // content, as in check mode) and go in one round trip before the next command on this host, a
  // rollback, or the handlers, whichever comes first. A task that fails leaves nothing half-sent.
  const pending = new Map<string, { spec: WriteSpec; existed: boolean }>();
  let flushing: Promise<void> | undefined;
  const flush = (): Promise<void> => {
    if (flushing) return flushing.then(flush);
    if (!pending.size) return Promise.resolve();
    const batch = [...pending.values()];
    pending.clear();
    flushing = conn
      .write(batch.map((b) => b.spec), batch.map((b) => b.existed), opts.keepBackups)
      .then((done) => {
        // the first version of each file this run replaced is the one a rollback restores
        for (const d of done) if (!written.has(d.path)) written.set(d.path, d.backup);
      })
      .finally(() => (flushing = undefined));
    return flushing;
  };
  /** A command started on this host once the writes before it are sent. */
  const afterWrites = (start: () => RemoteChild): RemoteChild => (pending.size || flushing ? RemoteChild.after(flush(), start) : start());

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

  // A command that changes the host drops the snapshot (it may have changed any file). What the
  // snapshot held is read back with the next read that misses, in the same round trip (each file as
  // it was held: contents, or only its digest), so that the tasks after a command (update_tls new,
  // then the checks of the new certificate) do not read again one file at a time.
  let dropped: ReadSpec[] = [];
  const dropSnapshot = () => {
    for (const f of cache.values()) {
      if (!dropped.some((d) => d.path === f.path)) {
        dropped.push(f.summary ? { path: f.path, summary: f.summary.path } : { path: f.path, digestOnly: f.exists && f.content === undefined, secret: f.secret });
      }
    }
    cache.clear();
  };
  const makeHandle = (ctx: TaskCtx): HostHandle<O> => {
    const files = async (specs: Array<string | ReadSpec>) => {
      const want = specs.map(normSpec);
      const missing = want.filter((s) => !cacheHas(cache, s));
      if (missing.length) {
        const again = dropped.filter((d) => !cacheHas(cache, d) && !missing.some((m) => m.path === d.path));
        dropped = [];
        const r = await conn.read([...missing, ...again]);
        r.files.forEach((f) => remember(f, cache, opts.addSecret));
      }
      return want.map((s) => cache.get(s.path)!);
    };
    // zx's `$` on this host: h.$ for commands that change it (check mode: reported, not run; the
    // task is changed; the snapshot of files is dropped), h.read$ for commands that only look
    // made when a task first uses them: most tasks of a run run no command, and a zx `$` is a Proxy
    // and a copy of its options (two a task, every task of every host)
    let $: Shell | undefined;
    let read$: Shell | undefined;
    const handle: HostHandle<O> = {
      name: host,
      vars: plan.vars,
      options: plan.options,
      checkMode: opts.check,
      get $() {
        return ($ ??= hostShell((line) => {
          ctx.lastCommand = line;
          ctx.changed = true;
          ctx.messages.push(opts.check ? `would run: ${displayLine(line)}` : `ran: ${displayLine(line)}`);
          if (opts.check) return RemoteChild.finished(0);
          dropSnapshot();
          return afterWrites(() => conn.spawn(line, displayLine(line)));
        }));
      },
      get read$() {
        return (read$ ??= hostShell((line) => {
          ctx.lastCommand = line;
          return afterWrites(() => conn.spawn(line, displayLine(line)));
        }));
      },
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
        // in check mode nothing is written, but the snapshot takes the new content, so that the
        // tasks after this one see what the real run would have left (and report what it would do)
        if (!opts.check) {
          for (const spec of todo) {
            // a file written twice in a run: the last content, backed up from what the host had
            const existed = pending.get(spec.path)?.existed ?? !!cache.get(spec.path)?.exists;
            pending.set(spec.path, { spec, existed });
          }
        }
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
        await flush();
        const r = await conn.run(script, ro.stdin, ro.describe);
        if (ro.changes) dropSnapshot();
        if (r.code !== 0 && ro.check !== false) {
          const detail = (r.stderr.trim() || r.stdout.trim()).split('\n').slice(-12).join('\n');
          throw new TaskError(`${describe} failed (exit ${r.code})${detail ? `: ${detail}` : ''}`);
        }
        return r;
      },
      notified(handler) {
        return notified.has(handler);
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
      missing(error, would) {
        if (!opts.check) throw new TaskError(error);
        ctx.changed = true;
        ctx.messages.push(`would ${would}`);
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
        pending.clear(); // never sent: nothing to restore
        await flushing?.catch(() => undefined);
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
      memo,
    };
    return handle;
  };

  const steps: Array<{ name: string; run: (h: HostHandle<O>) => Promise<void>; handler?: boolean }> = [
    ...plan.role.tasks,
    ...plan.role.handlers.map((h) => ({ name: h.name, run: h.run, handler: true })),
  ];
  let tasksDone = false;
  // the tasks' writes, sent before the handlers run and before the host's files count as final
  const sendWrites = async (): Promise<boolean> => {
    try {
      await flush();
      return true;
    } catch (e) {
      record('write the changed files', 'failed', newCtx(), (e as Error).message);
      return false;
    }
  };
  for (const step of steps) {
    if (step.handler && !tasksDone) {
      tasksDone = true;
      if (!(await sendWrites())) return;
      onTasksDone?.();
    }
    if (step.handler && !notified.has(step.name)) continue;
    if (opts.signal?.aborted) {
      st.interrupted = `before "${step.name}"`;
      return;
    }
    opts.reporter.taskStart?.(host, step.name);
    const ctx = newCtx();
    try {
      mark(`${plan.role.name}: ${step.name}: starts`, host);
      await step.run(makeHandle(ctx));
      mark(`${plan.role.name}: ${step.name}: done`, host);
      record(step.name, ctx.changed ? 'changed' : ctx.skipped ? 'skipped' : step.handler ? 'changed' : 'ok', ctx);
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
  if (!tasksDone) {
    if (!(await sendWrites())) return;
    onTasksDone?.();
  }
}

/** A command line as shown to people: a script passed as one quoted argument (sh -c '…') shows as '…'. */
export function displayLine(line: string): string {
  return line.replace(/'(?:[^']|'\\'')*'/g, (q) => (q.includes('\n') ? "'…'" : q));
}

/** A zx command that exited non-zero, in one line: the command, its exit code, its last words. */
function commandFailure(p: ProcessOutput, line = 'a command'): string {
  const cmd = displayLine(line);
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
