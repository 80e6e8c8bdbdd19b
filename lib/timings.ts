// STR_TIMINGS=1: where a run's wall-clock time goes, printed to stderr at exit: for each milestone,
// the first and last time it was reached (ms since the process started) and how often.
// STR_TIMINGS=all: every milestone each time it is reached, in order, with the process's CPU time
// so far (user + system, ms): what a run of 101 hosts does between two milestones. Off by
// default; a no-op then. The bench and issue 15 use it to compare start-up and tear-down with the
// floor's (bench/floor.mjs prints the same milestones).
import { performance } from 'node:perf_hooks';

const on = !!process.env.STR_TIMINGS;
const all = process.env.STR_TIMINGS === 'all';
const seen = new Map<string, { first: number; last: number; n: number }>();
const every: string[] = [];

/** Note that a milestone was reached now (by `host`: named with STR_TIMINGS=all). */
export function mark(label: string, host?: string): void {
  if (!on) return;
  const t = performance.now();
  if (all) {
    const c = process.cpuUsage();
    every.push(`timing ${t.toFixed(0).padStart(5)} ms  cpu ${((c.user + c.system) / 1000).toFixed(0).padStart(5)} ms  ${host ? `${host}: ` : ''}${label}`);
  }
  const s = seen.get(label);
  if (s) {
    s.last = t;
    s.n++;
  } else seen.set(label, { first: t, last: t, n: 1 });
}

/** The milestones so far, in the order first reached (with STR_TIMINGS=all: each time), as lines. */
export function timingsReport(): string {
  if (all) return every.join('\n');
  return [...seen]
    .sort((a, b) => a[1].first - b[1].first)
    .map(([l, s]) => `timing ${s.first.toFixed(0).padStart(5)} ms${s.n > 1 ? ` .. ${s.last.toFixed(0).padStart(5)} ms ×${s.n}` : ''}  ${l}`)
    .join('\n');
}

// bin/run.mjs says whether V8's code cache of the bundle was used, none was there yet, or rejected
const codeCache = () => (globalThis as { __strCodeCache?: string }).__strCodeCache;
if (on) {
  process.on('exit', () => {
    const cc = codeCache();
    process.stderr.write(timingsReport() + `\ntiming ${performance.now().toFixed(0).padStart(5)} ms  exit${cc ? ` (code cache: ${cc})` : ''}\n`);
  });
}
