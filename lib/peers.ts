// Other hosts of the run as a task sees them (a laptop reads its server's certificate): read-only,
// from the peer's own snapshot when it has one, and many laptops asking for the same file of the same
// peer at once share one read.
import type { HostConnection } from './host-session.js';
import { TaskError } from './host-session.js';
import { cacheHas, normSpec, remember } from './snapshot.js';
import type { Target } from './connection.js';
import type { PeerHandle, RemoteFile } from './types.js';

export function peerReader(
  targets: Map<string, { vars: Record<string, unknown>; target: Target }>,
  connect: (name: string) => Promise<HostConnection>,
  broken: Map<string, string>,
  peerCache: Map<string, Map<string, RemoteFile>>,
  addSecret: (s: string) => void,
): (name: string) => PeerHandle {
  const peerPending = new Map<string, Map<string, Promise<unknown>>>();
  return (name: string): PeerHandle => {
    const t = targets.get(name);
    if (!t) throw new TaskError(`no host ${name} in the inventory`);
    return {
      name,
      vars: t.vars,
      settled: () => Promise.resolve(),
      async files(specs) {
        if (broken.has(name)) throw new TaskError(`${name} failed earlier in this run: ${broken.get(name)}`);
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
        // what the cache holds now, taken at once: the peer's own run drops its snapshot when it
        // runs a command (its handlers run while its laptops read), so nothing is looked up again
        // after an await
        const got = new Map<string, RemoteFile>();
        for (const s of want) if (cacheHas(cache, s)) got.set(s.path, cache.get(s.path)!);
        const missing = want.filter((s) => !got.has(s.path));
        if (missing.length) {
          // connected only for what the peer's snapshot lacks (no await before pending is set: the
          // laptops asking at once find this read and wait for it)
          const read = connect(name)
            .catch((e: Error) => {
              throw new TaskError(`${name}: ${e.message}`);
            })
            .then((conn) => conn.read(missing))
            .then((r) => {
              r.files.forEach((f) => remember(f, cache, addSecret));
              return r.files;
            });
          const settled = read.finally(() => missing.forEach((s) => pending.get(s.path) === settled && pending.delete(s.path)));
          settled.catch(() => undefined);
          missing.forEach((s) => pending.set(s.path, settled));
          (await read).forEach((f, i) => got.set(missing[i]!.path, f));
        }
        return want.map((s) => got.get(s.path)!);
      },
    };
  };
}
