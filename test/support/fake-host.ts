// An in-memory host for unit tests of tasks and roles: the real engine (lib/play.ts runPlay, with
// its check mode, diff, backups, rollback, notify and handlers) runs the real roles against files
// held in a Map, with no SSH, no root and no lab. Probes are answered from a table by name, and every
// command a task runs is recorded (and answered by a handler the test may give), so a test reads
// "files and facts in, writes and commands out", as pyinfra's operation tests do.
import { createHash } from 'node:crypto';
import type { AnyHostPlan, HostConnection, PlayOptions, PlayResult } from '../../lib/play.js';
import { runPlay } from '../../lib/play.js';
import type { Probe, ReadSpec, RemoteFile, Role, RunResult, TaskResult, WriteSpec } from '../../lib/types.js';
import type { Target } from '../../lib/connection.js';
import { RemoteChild } from '../../lib/ssh/remote-child.js';

export interface FakeFile {
  content: Buffer;
  mode: number;
  owner: string;
  group: string;
  mtime: number;
}

export type FakeFileInit = string | Buffer | { content: string | Buffer; mode?: number; owner?: string; group?: string };

const OK: RunResult = { code: 0, stdout: '', stderr: '' };

export class FakeHost implements HostConnection {
  roundTrips = 0;
  /** read round trips after the first (lockAndRead), and the files they asked for */
  reads = 0;
  readPaths: string[] = [];
  readonly files = new Map<string, FakeFile>();
  /** what each run() was asked to do: its description when given, else the script */
  readonly commands: string[] = [];
  /** paths in the order they were written */
  readonly written: string[] = [];
  /** write() calls: each is one round trip however many files it carries */
  writeCalls = 0;
  /** what happened when (performance.now(), comparable across fakes): commands' start and end, writes */
  readonly log: Array<{ at: number; what: string }> = [];
  private born = 0;
  /** commands that take time: a substring of the command line -> milliseconds */
  slow: Record<string, number> = {};
  private note(what: string): void {
    this.log.push({ at: performance.now() - this.born, what });
  }
  /** the paths of each write round trip */
  readonly writes: string[][] = [];
  private backups = new Map<string, FakeFile>();
  private clock = 1_700_000_000;

  constructor(
    readonly name: string,
    files: Record<string, FakeFileInit> = {},
    /** probe name -> its stdout (exit 0); a missing probe answers empty */
    public probes: Record<string, string | RunResult> = {},
    /** answers run(); default: exit 0, no output */
    public onRun: (script: string, describe: string | undefined, host: FakeHost) => RunResult = () => OK,
  ) {
    for (const [p, f] of Object.entries(files)) this.put(p, f);
  }

  put(path: string, f: FakeFileInit): void {
    const o = typeof f === 'string' || Buffer.isBuffer(f) ? { content: f } : f;
    this.files.set(path, { content: Buffer.from(o.content), mode: o.mode ?? 0o644, owner: o.owner ?? 'root', group: o.group ?? 'root', mtime: this.clock++ });
  }
  text(path: string): string | undefined {
    return this.files.get(path)?.content.toString('utf8');
  }

  private snapshot(specs: ReadSpec[]): RemoteFile[] {
    return specs.map((s) => {
      const f = this.files.get(s.path);
      if (!f) return { path: s.path, exists: false, secret: s.secret || s.digestOnly };
      const sha256 = createHash('sha256').update(f.content).digest('hex');
      return {
        path: s.path, exists: true, sha256, mode: f.mode, owner: f.owner, group: f.group, mtime: f.mtime, size: f.content.length,
        secret: s.secret || s.digestOnly, ...(s.digestOnly ? {} : { content: Buffer.from(f.content) }),
      };
    });
  }
  private answer(probes: Record<string, Probe>): Record<string, RunResult> {
    const out: Record<string, RunResult> = {};
    for (const n of Object.keys(probes)) {
      const p = this.probes[n];
      out[n] = p === undefined ? OK : typeof p === 'string' ? { code: 0, stdout: p, stderr: '' } : p;
    }
    return out;
  }

  async lockAndRead(_lock: string, _wait: number, files: ReadSpec[], probes: Record<string, Probe>) {
    this.roundTrips++;
    return { files: this.snapshot(files), probes: this.answer(probes) };
  }
  async read(files: ReadSpec[], probes: Record<string, Probe> = {}) {
    this.roundTrips++;
    this.reads++;
    this.readPaths.push(...files.map((f) => f.path));
    return { files: this.snapshot(files), probes: this.answer(probes) };
  }
  async write(specs: WriteSpec[], existed: boolean[]) {
    this.roundTrips++;
    this.writeCalls++;
    this.note(`write ${specs.map((s) => s.path).join(' ')}`);
    this.writes.push(specs.map((s) => s.path));
    return specs.map((s, i) => {
      const old = this.files.get(s.path);
      let backup: string | undefined;
      if (old && existed[i]) {
        backup = `${s.path}.bak-fake-${this.written.length}`;
        this.backups.set(backup, old);
      }
      this.files.set(s.path, {
        content: Buffer.from(s.content), mode: s.mode ?? old?.mode ?? 0o644, owner: s.owner ?? old?.owner ?? 'root', group: s.group ?? old?.group ?? 'root', mtime: this.clock++,
      });
      this.written.push(s.path);
      return { path: s.path, backup };
    });
  }
  async run(script: string, _stdin?: string | Buffer, describe?: string): Promise<RunResult> {
    this.roundTrips++;
    this.commands.push(describe || script);
    return this.onRun(script, describe, this);
  }
  spawn(commandLine: string, describe?: string): RemoteChild {
    this.roundTrips++;
    this.commands.push(describe || commandLine);
    const r = this.onRun(commandLine, describe, this);
    const line = describe || commandLine;
    const ms = Object.entries(this.slow).find(([k]) => line.includes(k))?.[1];
    this.note(`start ${line}`);
    if (!ms) return RemoteChild.finished(r.code, r.stdout, r.stderr);
    return RemoteChild.after(new Promise((ok) => setTimeout(ok, ms)), () => {
      this.note(`end ${line}`);
      return RemoteChild.finished(r.code, r.stdout, r.stderr);
    });
  }
  async rollback(entries: Array<{ path: string; backup?: string }>): Promise<void> {
    this.roundTrips++;
    for (const e of entries) {
      const b = e.backup && this.backups.get(e.backup);
      if (b) this.files.set(e.path, b);
      else this.files.delete(e.path);
    }
  }
  close(): void {}
}

function target(name: string): Target {
  return { name, host: name, port: 22, user: 'root', become: false };
}

/** A host of a fake play: its role and that role's options (default: o.options of playOnFakes, else none). */
export interface FakePlan<O = unknown> {
  host: FakeHost;
  role: Role<O>;
  vars?: Record<string, unknown>;
  options?: O;
}

/** One fake plan, typed: the options are checked against the role's (e.g. serverRole's ServerOptions). */
export function on<O>(host: FakeHost, role: Role<O>, options?: NoInfer<O>, vars?: Record<string, unknown>): FakePlan<O> {
  return { host, role, options, vars };
}

/** Run roles on fake hosts: phases of [host, role, vars, options]; returns the play's result and every task line. */
export async function playOnFakes(
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  phases: Array<Array<FakePlan<any>>>,
  o: { check?: boolean; diff?: boolean; options?: object; peers?: FakeHost[] } = {},
): Promise<PlayResult & { lines: TaskResult[] }> {
  const hosts = new Map<string, FakeHost>();
  for (const ph of phases) for (const p of ph) hosts.set(p.host.name, p.host);
  for (const p of o.peers ?? []) hosts.set(p.name, p);
  const plans: AnyHostPlan[][] = phases.map((ph) => ph.map((p) => ({ name: p.host.name, role: p.role, options: p.options ?? o.options ?? {}, vars: p.vars ?? {}, target: target(p.host.name) })));
  const lines: TaskResult[] = [];
  const opts: PlayOptions = {
    open: async (t) => {
      const h = hosts.get(t.name);
      if (!h) throw new Error(`no fake host ${t.name}`);
      return h;
    },
    check: !!o.check,
    diff: !!o.diff,
    forks: 10,
    lockPath: '/run/lock/fake.lock',
    lockWaitSeconds: 0,
    keepBackups: 5,
    connect: { knownHosts: [], knownHostsFile: '/dev/null', timeoutMs: 1000 },
    reporter: { taskResult: (r) => lines.push(r), hostUnreachable: () => {} },
    mask: (s) => s,
    addSecret: () => {},
    peers: new Map((o.peers ?? []).map((p) => [p.name, { vars: {}, target: target(p.name) }])),
  };
  const r = await runPlay(plans, opts);
  return { ...r, lines };
}
