// The bench's figures: the samples file (every timed run of every host count), the medians and ratios,
// issue 15's targets, the chart's data and BENCHMARKS.md's text. Pure: scripts/bench.ts measures and
// writes files, this only computes from the samples.
import { svgChart, type ChartSeries } from './chart.js';

export type Tool = 'ours' | 'ansible-cold' | 'ansible-warm';
export type Kind = 'first' | 'nochange' | 'regen';
export const TOOLS: readonly Tool[] = ['ours', 'ansible-cold', 'ansible-warm'];
export const KINDS: readonly Kind[] = ['first', 'nochange', 'regen'];

export interface Sample {
  tool: Tool;
  kind: Kind;
  round: number;
  ms: number;
  /** the floor run right after, through `npm run bench:floor` */
  floorNpmMs: number;
  /** the floor run right after that, `node bench/floor.mjs` */
  floorNodeMs: number;
  rssKb?: number;
  roundTrips?: Record<string, number>;
}

/** Everything measured for one host count (1 server + `laptops`). */
export interface HostRun {
  laptops: number;
  /** ISO date of the run's start ('' when unknown: samples of an older bench) */
  started: string;
  rounds: number;
  forks: number;
  machine: string;
  versions: Record<string, string>;
  samples: Sample[];
  /** ssh invocations per host address of one no-change ansible-playbook run (-vvv) */
  ansibleTrips?: Record<string, number>;
  /** `/etc/init.d/sendmail reload` on the server, timed on the host, ms */
  reloadMs: number[];
  /** every host's own `make -C /etc/mail` + reload after a touch of sendmail.mc, all hosts at once,
   *  no tool (a synchronised start, timed on the hosts: first start to last end), ms */
  hostsWorkMs?: number[];
}

export interface SamplesFile {
  version: 2;
  /** keyed by the number of laptops */
  runs: Record<string, HostRun>;
}

export function emptySamples(): SamplesFile {
  return { version: 2, runs: {} };
}

/**
 * Read a samples file: this bench's (version 2), or the older bench's ({samples, ansibleTrips}: one
 * run of 20 laptops, Ansible with cold masters only).
 */
export function parseSamples(text: string, where = 'samples file'): SamplesFile {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (e) {
    throw new Error(`bench: ${where} is not JSON: ${(e as Error).message}`);
  }
  const d = data as Record<string, unknown>;
  if (d && d.version === 2 && typeof d.runs === 'object' && d.runs) return d as unknown as SamplesFile;
  if (d && Array.isArray(d.samples)) {
    const samples = (d.samples as (Omit<Sample, 'tool'> & { tool: string })[]).map((s) => ({ ...s, tool: (s.tool === 'ansible' ? 'ansible-cold' : s.tool) as Tool }));
    const rounds = Math.max(0, ...samples.map((s) => s.round));
    return {
      version: 2,
      runs: {
        '20': {
          laptops: 20,
          started: '',
          rounds,
          forks: 10,
          machine: 'Machine: not recorded (samples of the older bench)',
          versions: {},
          samples,
          ansibleTrips: d.ansibleTrips as Record<string, number> | undefined,
          reloadMs: [],
        },
      },
    };
  }
  throw new Error(`bench: ${where} holds neither this bench's samples (version 2) nor the older bench's`);
}

/**
 * The file with `run` in it. A run replaces the samples of its host count, unless `append`: then its
 * rounds are added to them (numbered after theirs), e.g. to add rounds, or another tool's rounds.
 */
export function mergeRun(file: SamplesFile, run: HostRun, append = false): SamplesFile {
  const key = String(run.laptops);
  const old = file.runs[key];
  if (!append || !old) return { version: 2, runs: { ...file.runs, [key]: run } };
  const offset = Math.max(0, ...old.samples.map((s) => s.round));
  return {
    version: 2,
    runs: {
      ...file.runs,
      [key]: {
        ...run,
        started: old.started || run.started,
        rounds: old.rounds + run.rounds,
        samples: [...old.samples, ...run.samples.map((s) => ({ ...s, round: s.round + offset }))],
        ansibleTrips: old.ansibleTrips ?? run.ansibleTrips,
        reloadMs: [...old.reloadMs, ...run.reloadMs],
        hostsWorkMs: [...(old.hostsWorkMs ?? []), ...(run.hostsWorkMs ?? [])],
        versions: { ...old.versions, ...run.versions },
      },
    },
  };
}

// ------------------------------------------------------------------ statistics

export interface Stats {
  median: number;
  min: number;
  max: number;
  n: number;
}
export function stats(xs: number[]): Stats | undefined {
  if (!xs.length) return undefined;
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return { median: s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2, min: s[0], max: s[s.length - 1], n: s.length };
}
const median = (xs: number[]) => stats(xs)?.median;

const sec = (ms: number) => (ms / 1000).toFixed(2);
const fmtRange = (x: Stats | undefined) => (x ? `${sec(x.median)} s (${sec(x.min)}–${sec(x.max)})` : '—');
const times = (x: number | undefined, d = 1) => (x === undefined || !Number.isFinite(x) ? '—' : `${x.toFixed(d)}×`);
const mb = (kb: number) => `${(kb / 1024).toFixed(0)} MB`;

export const TOOL_LABEL: Record<Tool, string> = {
  ours: 'ours (npm run deploy)',
  'ansible-cold': 'ansible-playbook, cold masters',
  'ansible-warm': 'ansible-playbook, warm masters',
};

export function sel(run: HostRun, tool: Tool, kind: Kind): Sample[] {
  return run.samples.filter((s) => s.tool === tool && s.kind === kind);
}

/** Median of each run's time over its paired floor (through npm). */
export function overFloor(run: HostRun, tool: Tool, kind: Kind, floor: 'npm' | 'node' = 'npm'): number | undefined {
  return median(sel(run, tool, kind).map((s) => s.ms / (floor === 'npm' ? s.floorNpmMs : s.floorNodeMs)));
}

/** How many times faster ours is than `tool`: (tool / its floor) ÷ (ours / its floor), so the machine's drift cancels. */
export function fasterThan(run: HostRun, tool: Tool, kind: Kind): number | undefined {
  const o = overFloor(run, 'ours', kind);
  const a = overFloor(run, tool, kind);
  return o !== undefined && a !== undefined ? a / o : undefined;
}

/** Median over ours' runs of time ÷ (3 × its paired floor via npm + one Debian reload). */
export function overFloorPlusReload(run: HostRun, kind: Kind): { ratio: number; limitMs: number } | undefined {
  const reload = median(run.reloadMs);
  const s = sel(run, 'ours', kind);
  if (reload === undefined || !s.length) return undefined;
  return { ratio: median(s.map((x) => x.ms / (3 * x.floorNpmMs + reload)))!, limitMs: median(s.map((x) => 3 * x.floorNpmMs + reload))! };
}

export function peakRssKb(run: HostRun, tool: Tool): number | undefined {
  const r = run.samples.filter((s) => s.tool === tool && s.rssKb).map((s) => s.rssKb!);
  return r.length ? Math.max(...r) : undefined;
}

// ------------------------------------------------------------------ targets (issue 15)

export interface Target {
  what: string;
  /** undefined: not measured */
  met?: boolean;
  shown: string;
}

/** Two host counts' absolute times compare only when they were measured within this of each other:
 *  this machine's speed moved by more than 2x within one day (2026-12-05: a 1 + 20 measured at 13:16
 *  UTC and a 1 + 100 at 18:30 UTC of the same commit gave a growth of 16x, where the hosts' own work
 *  alone grew 12x), so "the same day" is not the same machine. A 1 + 100 of ours alone takes 40-80
 *  minutes; measured back to back, the two starts are within this. */
export const SAME_SESSION_MS = 3 * 3600_000;

/** When two host counts' samples were taken more than {@link SAME_SESSION_MS} apart (or one start
 *  is unknown): why their absolute times do not compare; undefined when they do. */
export function measuredApart(a: HostRun, b: HostRun): string | undefined {
  const day = (r: HostRun) => (r.started ? r.started.slice(0, 16).replace('T', ' ') + ' UTC' : 'an unknown date');
  const ta = Date.parse(a.started);
  const tb = Date.parse(b.started);
  if (Number.isFinite(ta) && Number.isFinite(tb) && Math.abs(ta - tb) <= SAME_SESSION_MS) return undefined;
  return `1 + ${a.laptops} measured ${day(a)}, 1 + ${b.laptops} measured ${day(b)}; measure both in one session (starts within ${SAME_SESSION_MS / 3600_000} h)`;
}

function target(what: string, value: number | undefined, pass: (v: number) => boolean, show: (v: number) => string, missing: string): Target {
  if (value === undefined || !Number.isFinite(value)) return { what, shown: missing };
  return { what, met: pass(value), shown: show(value) };
}

export function targets(file: SamplesFile): Target[] {
  const r20 = file.runs['20'];
  const r100 = file.runs['100'];
  const no20 = 'not measured (no run with `--hosts 20`)';
  const no100 = 'not measured (no run with `--hosts 100`)';
  const t: Target[] = [];
  const vsWarm = (r: HostRun | undefined, kind: Kind, min: number, label: string) => {
    const warm = r && fasterThan(r, 'ansible-warm', kind);
    const cold = r && fasterThan(r, 'ansible-cold', kind);
    t.push(target(label, warm, (v) => v >= min, (v) => `${v.toFixed(1)}× (cold masters: ${times(cold)})`, r ? 'not measured (no warm Ansible runs)' : no20));
  };
  const plusReload = (r: HostRun | undefined, kind: Kind, label: string) => {
    const x = r && overFloorPlusReload(r, kind);
    const o = r && stats(sel(r, 'ours', kind).map((s) => s.ms));
    const work = r && median(r.hostsWorkMs ?? []);
    const hosts = work === undefined ? '' : `; the hosts' own make + reload at once take ${sec(work)} s`;
    t.push(
      target(label, x?.ratio, (v) => v <= 1, (v) => `${sec(o!.median)} s against ${sec(x!.limitMs)} s: ${v.toFixed(2)}× the limit${hosts}`, r ? 'not measured (no reload timed)' : no20),
    );
  };
  t.push(target('1 + 20, no-change run ≤ 1.2× the floor through npm', r20 && overFloor(r20, 'ours', 'nochange'), (v) => v <= 1.2, (v) => `${v.toFixed(2)}×`, no20));
  vsWarm(r20, 'nochange', 20, '1 + 20, no-change run ≥ 20× faster than ansible-playbook with warm masters');
  plusReload(r20, 'first', '1 + 20, first deploy + pair ≤ 3× the floor + one Debian reload');
  vsWarm(r20, 'first', 8, '1 + 20, first deploy + pair ≥ 8× faster than ansible-playbook (warm masters)');
  plusReload(r20, 'regen', '1 + 20, re-pair after --regenerate-certs ≤ 3× the floor + one Debian reload');
  vsWarm(r20, 'regen', 8, '1 + 20, re-pair ≥ 8× faster than ansible-playbook (warm masters)');
  t.push(target('1 + 100, no-change run ≤ 1.2× the floor through npm', r100 && overFloor(r100, 'ours', 'nochange'), (v) => v <= 1.2, (v) => `${v.toFixed(2)}×`, no100));
  const f20 = r20 && median(sel(r20, 'ours', 'first').map((s) => s.ms));
  const f100 = r100 && median(sel(r100, 'ours', 'first').map((s) => s.ms));
  // two absolute times compare only when they were measured in one session (the same machine's
  // speed): each run's ratios pair it with its own floor, this target does not
  const apart = r20 && r100 && measuredApart(r20, r100);
  t.push(
    target(
      '1 + 100, first deploy + pair ≤ 2× the time for 20',
      f20 && f100 && !apart ? f100 / f20 : undefined,
      (v) => v <= 2,
      (v) => `${sec(f100!)} s against ${sec(f20!)} s: ${v.toFixed(2)}×`,
      !r100 ? no100 : !r20 ? no20 : apart ? `not comparable: ${apart}` : 'not measured (no first deploy)',
    ),
  );
  const rss = r100 && peakRssKb(r100, 'ours');
  t.push(target('1 + 100, peak RSS < 150 MB', rss === undefined ? undefined : rss / 1024, (v) => v < 150, (v) => `${v.toFixed(0)} MB`, no100));
  return t;
}

// ------------------------------------------------------------------ the chart

export const SERIES_STYLE: Record<Tool | 'floor', { name: string; color: string; dash?: string }> = {
  ours: { name: 'ours (npm run deploy)', color: '#1f77b4' },
  'ansible-cold': { name: 'ansible-playbook, cold masters', color: '#d62728' },
  'ansible-warm': { name: 'ansible-playbook, warm masters', color: '#ff7f0e', dash: '7 4' },
  floor: { name: 'floor (bench/floor.mjs via npm)', color: '#7f7f7f', dash: '3 3' },
};

export function runsByHosts(file: SamplesFile): HostRun[] {
  return Object.values(file.runs).sort((a, b) => a.laptops - b.laptops);
}

/** The chart: first deploy + pair and no-change, seconds against 1 + laptops. */
export function chartSvg(file: SamplesFile): string {
  const runs = runsByHosts(file);
  const panel = (kind: Kind, title: string) => {
    const series: ChartSeries[] = TOOLS.map((tool) => ({
      ...SERIES_STYLE[tool],
      points: runs.flatMap((r) => {
        const m = median(sel(r, tool, kind).map((s) => s.ms));
        return m === undefined ? [] : [{ x: 1 + r.laptops, y: m / 1000 }];
      }),
    }));
    series.push({
      ...SERIES_STYLE.floor,
      points: runs.flatMap((r) => {
        const m = median(r.samples.filter((s) => s.kind === kind).map((s) => s.floorNpmMs));
        return m === undefined ? [] : [{ x: 1 + r.laptops, y: m / 1000 }];
      }),
    });
    return { title, series };
  };
  return svgChart({
    title: 'Wall time against hosts (1 server + N laptops), median',
    xLabel: 'hosts',
    yLabel: 'seconds (log scale)',
    panels: [panel('first', 'first deploy + pair'), panel('nochange', 'no-change run')],
  });
}

// ------------------------------------------------------------------ BENCHMARKS.md

const KIND_LABEL: Record<Kind, (n: number | string) => string> = {
  first: (n) => `first deploy + pair of ${n} (fresh hosts)`,
  nochange: () => 'no-change re-run',
  regen: (n) => `re-pair of ${n} after --regenerate-certs`,
};

/** "ours 5, ansible-playbook cold 3": the rounds each tool has samples of (with --append they may differ). */
export function roundsPerTool(run: HostRun): string {
  const short: Record<Tool, string> = { ours: 'ours', 'ansible-cold': 'Ansible cold', 'ansible-warm': 'Ansible warm' };
  return TOOLS.map((t) => [t, new Set(run.samples.filter((s) => s.tool === t).map((s) => s.round)).size] as const)
    .filter(([, n]) => n)
    .map(([t, n]) => `${short[t]} ${n}`)
    .join(', ') || 'none';
}

function hostCountSection(run: HostRun): string {
  const n = run.laptops;
  const L: string[] = [];
  const has = (tool: Tool) => run.samples.some((s) => s.tool === tool);
  L.push(`### 1 server + ${n} laptops`);
  L.push('');
  L.push(`${run.started ? `Measured ${run.started.slice(0, 16).replace('T', ' ')} UTC` : 'Date not recorded'}, rounds: ${roundsPerTool(run)}, forks ${run.forks}. ${run.machine}.` +
    (Object.keys(run.versions).length ? ` ${Object.entries(run.versions).map(([k, v]) => `${k} ${v}`).join(', ')}.` : ''));
  L.push('');
  L.push('| run | ours (npm run deploy) | Ansible, cold masters | Ansible, warm masters | floor via npm | cold / ours | warm / ours | ours / floor (npm) | ours / floor (bare node) |');
  L.push('|---|---|---|---|---|---|---|---|---|');
  for (const kind of KINDS) {
    const inKind = run.samples.filter((s) => s.kind === kind);
    if (!inKind.length) continue;
    const col = (tool: Tool) => fmtRange(stats(sel(run, tool, kind).map((s) => s.ms)));
    L.push(
      `| ${KIND_LABEL[kind](n)} | ${col('ours')} | ${col('ansible-cold')} | ${col('ansible-warm')} | ${fmtRange(stats(inKind.map((s) => s.floorNpmMs)))} | ` +
        `${times(fasterThan(run, 'ansible-cold', kind))} | ${times(fasterThan(run, 'ansible-warm', kind))} | ${times(overFloor(run, 'ours', kind), 2)} | ${times(overFloor(run, 'ours', kind, 'node'), 2)} |`,
    );
  }
  L.push('');
  L.push(`Floor alone: ${fmtRange(stats(run.samples.map((s) => s.floorNodeMs)))} with \`node\`, ${fmtRange(stats(run.samples.map((s) => s.floorNpmMs)))} through \`npm run\`.`);
  const reload = stats(run.reloadMs);
  L.push(
    `One Debian reload (\`/etc/init.d/sendmail reload\` on the server over ssh, timed on the host): ` +
      (reload ? `${sec(reload.median)} s (${sec(reload.min)}–${sec(reload.max)}, ${reload.n} times).` : 'not measured.'),
  );
  const work = stats(run.hostsWorkMs ?? []);
  if (work)
    L.push(
      `Every host's own work at once, no tool (\`touch sendmail.mc; make -C /etc/mail; /etc/init.d/sendmail reload\` on all ${n + 1} hosts, a synchronised start, ` +
        `first start to last end on the hosts' clock): ${sec(work.median)} s (${sec(work.min)}–${sec(work.max)}, ${work.n} times): what a first deploy's rebuilds and reloads cost on these cores, whichever tool starts them.`,
    );
  const trips = (kind: Kind) => {
    const all = sel(run, 'ours', kind).flatMap((s) => Object.entries(s.roundTrips ?? {}));
    if (!all.length) return 'not measured';
    const server = all.filter(([h]) => h === 'mailserver').map(([, v]) => v);
    const laptops = all.filter(([h]) => h !== 'mailserver').map(([, v]) => v);
    return `server ${server.length ? Math.max(...server) : '?'}, laptops ≤ ${laptops.length ? Math.max(...laptops) : '?'}`;
  };
  L.push(`Remote round trips per host, ours (\`-v\` recap, max over the runs): first deploy: ${trips('first')}; no-change: ${trips('nochange')}; re-pair: ${trips('regen')}.`);
  if (run.ansibleTrips) {
    const e = Object.entries(run.ansibleTrips);
    const server = e.find(([a]) => a.endsWith('.10'))?.[1];
    const laptops = e.filter(([a]) => !a.endsWith('.10')).map(([, v]) => v);
    L.push(`ansible-playbook, no-change run (ssh invocations per host, from \`-vvv\`): server ${server ?? '?'}, laptops ≤ ${laptops.length ? Math.max(...laptops) : '?'}.`);
  }
  const rss = (tool: Tool) => {
    const r = run.samples.filter((s) => s.tool === tool && s.rssKb).map((s) => s.rssKb!);
    const st = stats(r);
    return st ? `median ${mb(st.median)}, max ${mb(st.max)}` : 'not measured';
  };
  L.push(`Peak RSS (GNU time, the largest process of the tree): ours ${rss('ours')}` + (has('ansible-cold') || has('ansible-warm') ? `; ansible-playbook ${rss(has('ansible-cold') ? 'ansible-cold' : 'ansible-warm')}.` : '.'));
  return L.join('\n');
}

interface Figure {
  label: string;
  value: (r: HostRun) => number | undefined;
  unit: 'ms' | 'kb';
}

function figures(): Figure[] {
  const f: Figure[] = [];
  for (const tool of TOOLS) {
    for (const kind of KINDS) {
      f.push({ label: `${TOOL_LABEL[tool]}: ${KIND_LABEL[kind]('N').replace(' of N', '').replace(' (fresh hosts)', '')}`, value: (r) => median(sel(r, tool, kind).map((s) => s.ms)), unit: 'ms' });
    }
  }
  f.push({ label: 'floor via npm', value: (r) => median(r.samples.map((s) => s.floorNpmMs)), unit: 'ms' });
  f.push({ label: 'floor, bare node', value: (r) => median(r.samples.map((s) => s.floorNodeMs)), unit: 'ms' });
  f.push({ label: 'one Debian reload', value: (r) => median(r.reloadMs), unit: 'ms' });
  f.push({ label: "every host's make + reload at once (no tool)", value: (r) => median(r.hostsWorkMs ?? []), unit: 'ms' });
  f.push({ label: 'peak RSS, ours (max)', value: (r) => peakRssKb(r, 'ours'), unit: 'kb' });
  f.push({ label: 'peak RSS, ansible-playbook (max)', value: (r) => peakRssKb(r, 'ansible-cold') ?? peakRssKb(r, 'ansible-warm'), unit: 'kb' });
  return f;
}

/**
 * How each figure grows with the hosts: its median per host count, then from the smallest to the
 * largest count that has it, as a factor and per added host.
 */
export function growthTable(file: SamplesFile): string {
  const runs = runsByHosts(file);
  if (runs.length < 2) return '';
  const lo = runs[0];
  const hi = runs[runs.length - 1];
  const L: string[] = [];
  L.push(`| figure | ${runs.map((r) => `${1 + r.laptops} hosts`).join(' | ')} | ${1 + hi.laptops} / ${1 + lo.laptops} hosts | per added host |`);
  L.push(`|---|${runs.map(() => '---|').join('')}---|---|`);
  for (const f of figures()) {
    const vals = runs.map((r) => f.value(r));
    const have = runs.filter((_, i) => vals[i] !== undefined);
    if (!have.length) continue;
    const show = (v: number | undefined) => (v === undefined ? '—' : f.unit === 'ms' ? `${sec(v)} s` : mb(v));
    let grow = '—';
    let per = '—';
    if (have.length >= 2) {
      const a = have[0];
      const b = have[have.length - 1];
      const va = f.value(a)!;
      const vb = f.value(b)!;
      const span = a === lo && b === hi ? '' : ` (${1 + a.laptops} → ${1 + b.laptops} hosts)`;
      grow = va > 0 ? `${(vb / va).toFixed(2)}×${span}` : '—';
      per = `${((vb - va) / (b.laptops - a.laptops)).toFixed(0)} ${f.unit === 'ms' ? 'ms' : 'kB'}`;
    }
    L.push(`| ${f.label} | ${vals.map(show).join(' | ')} | ${grow} | ${per} |`);
  }
  const apart = measuredApart(lo, hi);
  if (apart) L.push('', `Measured apart (${apart}): the growth mixes two speeds of the machine.`);
  return L.join('\n');
}

export interface ReportOptions {
  /** path of the chart, relative to the report (undefined: no chart) */
  chartRef?: string;
  now?: Date;
}

export function buildReport(file: SamplesFile, opts: ReportOptions = {}): { text: string; ok: boolean; targets: Target[] } {
  const runs = runsByHosts(file);
  const ts = targets(file);
  const ok = ts.every((t) => t.met !== false);
  const counts = runs.map((r) => `1 + ${r.laptops}`).join(', ');
  const growth = growthTable(file);
  const text = `# Benchmarks

Measured by \`npm run bench\` on the lab (1 Debian server + N laptops in network namespaces, on the same
cores as the tools), for ${runs.length ? counts : 'no'} host${runs.length === 1 && runs[0].laptops === 0 ? '' : 's'}${opts.now ? `; report written ${opts.now.toISOString().slice(0, 16).replace('T', ' ')} UTC` : ''}.
Each figure is the median (min–max) wall-clock time from start to exit. Ratios are medians of each
run's time over its paired floor run (same lab, right after), so the machine's drift cancels:
Ansible / ours = (Ansible / its floor) ÷ (ours / its floor).

## Targets (issue 15)

${ts.map((t) => `- ${t.what}: ${t.met === undefined ? t.shown : `**${t.met ? 'met' : 'NOT met'}** (${t.shown})`}`).join('\n')}

"Faster than Ansible" is checked against warm ControlPersist masters (the faster way to run it); the
cold figure is shown beside it. "The floor + one Debian reload" is, per run, 3 × its paired floor
through npm + the median time of one \`/etc/init.d/sendmail reload\`.
${opts.chartRef ? `\n![Wall time against hosts](${opts.chartRef})\n` : ''}
${growth ? `## Growth with the hosts\n\n${growth}\n\n` : ''}## Per host count

${runs.map(hostCountSection).join('\n\n')}

## How it runs

- Ours: \`npm run deploy -- -i <bench inventory> --known-hosts <lab>/known_hosts -v --forks F\`
  (\`--regenerate-certs\` for the re-pair), through npm, as an admin runs it; dist/ already built.
- Ansible: \`ANSIBLE_CONFIG=bench/ansible/ansible.cfg ansible-playbook -i <bench inventory> -f F bench/ansible/site.yml\`
  (\`-e regenerate_certs=true\` for the re-pair): pipelining on, no fact gathering, the same forks as ours.
  Cold masters: each run starts without a ControlPersist master (a fresh ControlPath directory, the
  masters stopped after the run), as a re-run some minutes later would. Warm masters: one ControlPath
  directory for the whole round, ControlPersist 1 h, the masters opened by an untimed
  \`ansible all -m raw -a true\` before the round's first run and stopped at its end, as an admin
  re-running within the hour. Ansible's hosts have python3 (a copy of the lab's rootfs, bench/setup.ts).
- The reload: ours runs Debian's init script with its fixed 2 s wait after SIGHUP ended as soon as
  the daemon has restarted (README, "The reload without its fixed 2 s wait"); the playbook's handler
  runs \`/etc/init.d/sendmail reload\` as it is, as an Ansible admin writes it. "One Debian reload"
  and "every host's own work" are the init script as it is.
- The bench inventory lists exactly the hosts of the run (the lab's inventory lists every running host).
- Each round, per tool: lab lock taken, the hosts reset to the lab's starting state (each tool its own
  fresh lab), a wait until the machine is idle (the restarted hosts' start-up is not timed), then
  first deploy, no-change ×2, re-pair, each followed by the floor (through npm, then bare node).
  Ours runs as installed: V8's code cache of the bundle is written by the first run that exits 0
  after a build (bin/run.mjs), so at most round 1's first deploy runs without it; after each run that changes something, laptop1 sends a real mail that the server must
  relay (TLS client certificate, CERTISSUER access entry). Rounds of the tools alternate.
- Floor: \`bench/floor.mjs\`, bare Node + ssh2, one connection per host, all at once, one command
  reading what the roles compare (sendmail.mc, access, starttls.m4, the certificate, two mtimes).

## Reproduce

\`\`\`sh
npm ci
npm run bench -- --hosts 20                 # 1 + 20: writes the samples for 20 and this file
npm run bench -- --hosts 100 --runs 3       # 1 + 100: adds its samples, rewrites this file from all
npm run bench -- --report-only              # this file and the chart again from the samples
\`\`\`
`;
  return { text, ok, targets: ts };
}
