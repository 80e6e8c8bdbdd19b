// Runs roles on hosts: one connection per host for the whole run, hosts of a phase in parallel
// (bounded by forks), phases in order (a server before the laptops that need it). Each task reports
// ok, changed or failed; a failed task stops that host; handlers run once at the end of a host's
// role, only when notified. Knows nothing about what the roles configure.
import { Connection, type ConnectOptions, type Target } from './connection.js';
import { runHost, type HostConnection } from './host-session.js';
import { peerReader } from './peers.js';
import { remember } from './snapshot.js';
import { keyedLimiter, limiter } from './limit.js';
import { runStore } from './run-store.js';
import { mark } from './timings.js';
import type { PeerHandle, RemoteFile, Role, RunResult, TaskResult } from './types.js';

export type { HostConnection } from './host-session.js';

/** A host, its role and that role's options (h.options), typed together where the plan is made. */
export interface HostPlan<O = unknown> {
  name: string;
  role: Role<O>;
  options: O;
  vars: Record<string, unknown>;
  target: Target;
}

/** A plan of any role: one play runs plans of several roles, each typed (role and options together)
 *  where it was made; the engine only hands a plan's options to that plan's own tasks. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type AnyHostPlan = HostPlan<any>;

export interface Reporter {
  taskStart?(host: string, task: string): void;
  taskResult(r: TaskResult): void;
  command?(host: string, line: string): void;
  hostUnreachable(host: string, message: string): void;
  hostDone?(host: string, stats: HostStats): void;
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

type Prepared =
  | { kind: 'ready'; conn: HostConnection; cache: Map<string, RemoteFile>; probes: Record<string, RunResult> }
  | { kind: 'gather-failed'; conn: HostConnection; message: string }
  | { kind: 'unreachable'; message: string }
  | { kind: 'skipped' };

/** Unauthenticated connections at once to one SSH server (OpenSSH's MaxStartups starts at 10). */
export const MAX_STARTUPS = 10;
/** SSH handshakes in progress at once, all servers together: the key exchanges run on this
 *  process's one thread, so more at once only makes each take longer, and beyond the connect
 *  timeout a host is reported unreachable for the tool's own load (seen at 1 + 100 hosts). */
export const MAX_HANDSHAKES = 32;
/** Hosts connecting and reading ahead at once (connections, channels and snapshots in memory). */
export const SETUP_AHEAD = 256;

/** Run phases in order; the hosts of one phase in parallel. */
export async function runPlay(phases: AnyHostPlan[][], opts: PlayOptions): Promise<PlayResult> {
  const conns = new Map<string, Promise<HostConnection>>();
  const open = opts.open ?? ((t: Target, o: ConnectOptions) => Connection.open(t, o));
  const stats = new Map<string, HostStats>();
  const results: TaskResult[] = [];
  const broken = new Map<string, string>();
  const targets = new Map<string, { vars: Record<string, unknown>; target: Target }>(opts.peers ?? []);
  for (const phase of phases) for (const p of phase) targets.set(p.name, { vars: p.vars, target: p.target });

  // Handshakes at most MAX_STARTUPS at a time per SSH server dialled first (the host itself, or
  // its first jump host): OpenSSH's MaxStartups default (10:30:100) starts dropping unauthenticated
  // connections beyond 10. Different hosts' servers do not wait for each other.
  const handshake = keyedLimiter(MAX_STARTUPS);
  const anyHandshake = limiter(MAX_HANDSHAKES);
  const connect = (name: string): Promise<HostConnection> => {
    let c = conns.get(name);
    if (!c) {
      const t = targets.get(name);
      if (!t) return Promise.reject(new Error(`no host ${name} in the inventory`));
      const first = t.target.jumps?.[0] ?? t.target;
      c = handshake(`${first.proxyCommand ?? ''}\0${first.host}\0${first.port}`, () => anyHandshake(() => open(t.target, opts.connect)));
      c.catch(() => undefined);
      conns.set(name, c);
    }
    return c;
  };
  const peerCache = new Map<string, Map<string, RemoteFile>>();
  const peerHandle = peerReader(targets, connect, broken, peerCache, opts.addSecret);
  const memo = runStore(); // h.memo: this run's values, shared by its hosts

  // Every host's connection and first round trip (lock + snapshot) start at once, in phase order
  // (at most SETUP_AHEAD at a time; handshakes bounded per SSH server, above): the laptops connect
  // and read while the server's tasks run, and a host's tasks start as soon as its phase is reached
  // and its snapshot is in. --forks bounds the hosts whose tasks run at once, not the reading ahead:
  // a read-only round trip per host, as the floor of the bench makes it.
  const setupSlot = limiter(Math.max(opts.forks, SETUP_AHEAD));
  const prepared = new Map<string, Promise<Prepared>>();
  for (const phase of phases) {
    for (const plan of phase) {
      const p = setupSlot(async (): Promise<Prepared> => {
        if (opts.signal?.aborted) return { kind: 'skipped' };
        let conn: HostConnection;
        try {
          mark('connect starts', plan.name);
          conn = await connect(plan.name);
          mark('connected', plan.name);
        } catch (e) {
          return { kind: 'unreachable', message: (e as Error).message };
        }
        const cache = new Map<string, RemoteFile>();
        peerCache.set(plan.name, cache); // peers of this host read the same snapshot
        try {
          const g = plan.role.gather(plan.vars, plan.options, (name) => targets.get(name)?.vars);
          const r = await conn.lockAndRead(opts.lockPath, opts.lockWaitSeconds, g.files, g.probes);
          r.files.forEach((f) => remember(f, cache, opts.addSecret));
          mark('locked and read', plan.name);
          return { kind: 'ready', conn, cache, probes: r.probes };
        } catch (e) {
          return { kind: 'gather-failed', conn, message: (e as Error).message };
        }
      });
      prepared.set(plan.name, p);
    }
  }

  // No barrier between phases: every host starts its tasks as soon as its snapshot is in, and a
  // host that reads a peer of an earlier phase (a laptop its server) waits, at that read, until the
  // peer's tasks are done: its files are final, while its handlers (the server's rebuild and
  // reload) still run. At most `forks` hosts run at once, taken in phase order.
  const slot = limiter(opts.forks);
  const runs: Promise<void>[] = [];
  const phaseOf = new Map<string, number>();
  phases.forEach((phase, i) => phase.forEach((p) => phaseOf.set(p.name, i)));
  const settled = new Map<string, { done: Promise<void>; resolve: () => void }>();
  for (const name of phaseOf.keys()) {
    let resolve!: () => void;
    const done = new Promise<void>((r) => (resolve = r));
    settled.set(name, { done, resolve });
  }
  // who read from whom: a host that fails in its handlers after others read from it fails them too
  const readersOf = new Map<string, Set<string>>();
  const peersFor = (reader: string) => (name: string): PeerHandle => {
    let r = readersOf.get(name);
    if (!r) readersOf.set(name, (r = new Set()));
    r.add(reader);
    const handle = peerHandle(name);
    const earlier = (phaseOf.get(name) ?? Infinity) < (phaseOf.get(reader) ?? -1);
    const wait = earlier ? settled.get(name)!.done : Promise.resolve();
    return { ...handle, settled: () => wait, files: async (specs) => (await wait, handle.files(specs)) };
  };
  const runOne = async (plan: AnyHostPlan, tasksDone: () => void): Promise<void> => {
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
        await runHost(plan, conn, st, opts, results, peersFor(plan.name), prep.cache, prep.probes, memo, tasksDone);
      }
    } finally {
      st.roundTrips = conn.roundTrips;
      if (st.failed) {
        broken.set(plan.name, 'a task failed');
        const failure = [...results].reverse().find((r) => r.host === plan.name && r.status === 'failed');
        for (const reader of readersOf.get(plan.name) ?? []) {
          const rs = stats.get(reader);
          if (!rs || rs.failed) continue;
          const r: TaskResult = {
            host: reader,
            task: `${plan.name} finished its part`,
            status: 'failed',
            messages: [],
            warnings: [],
            diffs: [],
            error: `${plan.name} failed after ${reader} read from it (${failure?.task ?? 'a task'}): ${reader}'s files are written, but run again once ${plan.name} is fixed`,
          };
          results.push(r);
          rs.failed++;
          opts.reporter.taskResult(r);
        }
      }
      opts.reporter.hostDone?.(plan.name, st);
      mark('host done', plan.name);
      closeIfDone(plan.name, conn);
    }
  };
  // A host of the last phase that no one has read as a peer is closed as soon as its run is done,
  // not with the others at the end: every close writes to the host (the lock channel's end, the
  // SSH disconnect), and a hundred of them at once made a run's last half second at 1 + 100 hosts.
  // Its lock goes with it: its part of the run is over. A peer that reads it later (hosts of one
  // phase may read each other) opens a new connection, closed at the end.
  const lastPhase = phases.length - 1;
  const earlyTrips = new Map<string, number>();
  const closeIfDone = (name: string, conn: HostConnection): void => {
    if (phaseOf.get(name) !== lastPhase || readersOf.has(name)) return;
    conns.delete(name);
    earlyTrips.set(name, conn.roundTrips);
    conn.close();
  };
  try {
    for (const phase of phases) {
      for (const plan of phase) {
        const resolve = settled.get(plan.name)!.resolve;
        // The host's files are final: its later readers (laptops of its server) read a copy of its
        // snapshot as it is now, which holds what its tasks wrote. Its handlers then run commands and
        // drop its own snapshot (cache.clear()); the copy stays, so the readers need no round trip
        // of their own for what the host already read or wrote.
        const done = () => {
          const live = peerCache.get(plan.name);
          if (live) peerCache.set(plan.name, new Map(live));
          resolve();
        };
        runs.push(slot(() => runOne(plan, done)).finally(resolve));
      }
    }
    await Promise.all(runs);
  } finally {
    for (const c of conns.values()) {
      try {
        (await c).close();
      } catch {
        /* never connected */
      }
    }
  }
  mark('connections closed');
  // round trips made on a host's connection as a peer of others count for that host too
  for (const [name, c] of conns) {
    const st = stats.get(name);
    try {
      const conn = await c;
      if (st) st.roundTrips = conn.roundTrips + (earlyTrips.get(name) ?? 0);
    } catch {
      /* unreachable */
    }
  }
  return { stats, results, interrupted: !!opts.signal?.aborted };
}
