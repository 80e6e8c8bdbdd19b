// npm run bench -- [--hosts N] [--runs N] [--tools LIST] [--kinds LIST] [--no-ansible] [--forks N]
//                  [--samples FILE] [--append] [--report-only] [--out FILE] [--chart FILE]
//
// Speed at fleet size, on the lab with 1 server + N laptops (default 20, up to 230), measured side by
// side with ansible-playbook (cold and warm ControlPersist masters) and with the floor
// (bench/floor.mjs: bare ssh2, one command per host):
//   1. the first `deploy` on fresh hosts (server role, and every laptop paired),
//   2. the no-change re-run (twice per round),
//   3. `deploy --regenerate-certs` (new certificates, every laptop paired again).
// Each tool gets its own fresh lab per round (a reset: its edits never meet the other's), and each
// timed run is followed by a floor run on the same lab, so the machine's drift cancels out of the
// ratios. After the runs that change something, laptop1 must relay through the server (real mail).
// Each round holds the lab's lock (flock /run/lock/str-lab-use[-N].lock) and releases it after.
// The samples of every host count go into one file (--samples), and BENCHMARKS.md and its chart are
// written from all of them (bench/report.ts), so runs with different --hosts add up to one report.
import { DEFAULT_FORKS } from './cli.js';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, totalmem, tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { labUp, labReset, labPaths, setLabLog } from '../lab/lab.js';
import { ensureRootfs } from '../lab/rootfs.js';
import { sendTestMail, sshRun } from '../lab/mail.js';
import { labInstance, repoRoot } from '../lab/config.js';
import { ANSIBLE_CACHE_DIR, ansibleVersion, ensureAnsible, ensurePythonRootfs } from '../bench/setup.js';
import { benchInventory } from '../bench/inventory.js';
import { firstLeadMs, hostsWorkScript, hostsWorkSpan, nextLeadMs } from '../bench/hosts-work.js';
import {
  KINDS, TOOLS, buildReport, chartSvg, emptySamples, mergeRun, parseSamples,
  type HostRun, type Kind, type Sample, type SamplesFile, type Tool,
} from '../bench/report.js';

const MAX_LAPTOPS = 230;
const root = repoRoot();
const INSTANCE = labInstance();
const LOCK = `/run/lock/str-lab-use${INSTANCE ? `-${INSTANCE}` : ''}.lock`;
const DEFAULT_SAMPLES = 'bench/results-latest.json';
const DEFAULT_OUT = 'BENCHMARKS.md';

const USAGE = `usage: npm run bench -- [options]
  --hosts N          laptops besides the server (default 20, at most ${MAX_LAPTOPS})
  --runs N           rounds per tool (default 5)
  --tools LIST       ours,ansible-cold,ansible-warm (default all three)
  --no-ansible       the same as --tools ours
  --kinds LIST       first,nochange,regen (default all; a first deploy always runs, untimed when left out)
  --forks N          hosts at once, for ours (--forks) and Ansible (-f) alike (default 50, ours' default)
  --samples FILE     the samples of every host count (default ${DEFAULT_SAMPLES}); this run's replace
                     those of its host count, the others are kept
  --append           add this run's rounds to the samples of its host count instead of replacing them
  --report-only      measure nothing: write the report and the chart from the samples file
  --out FILE         the report (default ${DEFAULT_OUT})
  --chart FILE       the SVG chart (default bench/chart.svg with the default --out, else --out's name with .svg)
Exit codes: 0 every measured target met, 3 a target not met (the report is written all the same), 1 an error.`;

function fail(msg: string): never {
  process.stderr.write(`error: ${msg}\n`);
  process.exit(1);
}

let flags: ReturnType<typeof parse>;
function parse() {
  return parseArgs({
    options: {
      hosts: { type: 'string', default: '20' },
      runs: { type: 'string', default: '5' },
      tools: { type: 'string' },
      'no-ansible': { type: 'boolean' },
      kinds: { type: 'string' },
      forks: { type: 'string', default: String(DEFAULT_FORKS) },
      out: { type: 'string', default: DEFAULT_OUT },
      chart: { type: 'string' },
      samples: { type: 'string', default: DEFAULT_SAMPLES },
      append: { type: 'boolean' },
      'report-only': { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  }).values;
}
try {
  flags = parse();
} catch (e) {
  fail(`${(e as Error).message.split('\n')[0]} (npm run bench -- --help)`);
}
if (flags.help) {
  process.stdout.write(USAGE + '\n');
  process.exit(0);
}
const wholeNumber = (v: string, name: string, min: number, max = Infinity): number => {
  const n = Number(v);
  if (!/^\d+$/.test(v) || n < min || n > max) fail(`--${name} wants a whole number from ${min}${max < Infinity ? ` to ${max}` : ''}, got '${v}'`);
  return n;
};
const list = <T extends string>(v: string | undefined, name: string, all: readonly T[]): T[] => {
  if (v === undefined) return [...all];
  const xs = v.split(',').map((s) => s.trim()).filter(Boolean);
  const bad = xs.filter((x) => !all.includes(x as T));
  if (bad.length || !xs.length) fail(`--${name}: '${bad.join(',') || v}' is not one of ${all.join(', ')}`);
  return all.filter((x) => xs.includes(x));
};
const LAPTOPS = wholeNumber(flags.hosts!, 'hosts', 1, MAX_LAPTOPS);
const RUNS = wholeNumber(flags.runs!, 'runs', 1);
const FORKS = wholeNumber(flags.forks!, 'forks', 1);
if (flags['no-ansible'] && flags.tools !== undefined) fail('--no-ansible and --tools: give one of them');
const RUN_TOOLS: Tool[] = flags['no-ansible'] ? ['ours'] : list(flags.tools, 'tools', TOOLS);
const RUN_KINDS: Kind[] = list(flags.kinds, 'kinds', KINDS);
const HOSTS = ['mailserver', ...Array.from({ length: LAPTOPS }, (_, i) => `laptop${i + 1}`)];
const samplesPath = resolve(root, flags.samples!);
const outPath = resolve(root, flags.out!);
const chartPath = resolve(root, flags.chart ?? (flags.out === DEFAULT_OUT ? 'bench/chart.svg' : flags.out!.replace(/\.md$/i, '') + '.svg'));
if (chartPath === outPath) fail(`--chart and --out are the same file (${flags.out})`);

function readSamples(): SamplesFile {
  if (!existsSync(samplesPath)) return emptySamples();
  try {
    return parseSamples(readFileSync(samplesPath, 'utf8'), flags.samples);
  } catch (e) {
    fail((e as Error).message);
  }
}
const previous = readSamples(); // read (and checked) before anything is measured
const earlier = previous.runs[String(LAPTOPS)];
if (flags.append && !flags['report-only'] && earlier && earlier.forks !== FORKS) {
  fail(`--append: the samples of ${LAPTOPS} laptops in ${flags.samples} were taken with --forks ${earlier.forks}, not ${FORKS}`);
}
if (flags['report-only'] && !Object.keys(previous.runs).length) fail(`--report-only: no samples in ${flags.samples}`);
if (!flags['report-only'] && process.getuid?.() !== 0) fail('the bench needs root (the lab)');
setLabLog((s) => process.stderr.write(s + '\n'));

/** Write a file through a temporary one beside it, renamed over it. */
function writeAtomic(path: string, text: string): void {
  mkdirSync(dirname(path), { recursive: true });
  const tmp = `${path}.tmp-${process.pid}`;
  writeFileSync(tmp, text);
  renameSync(tmp, path);
}

// ------------------------------------------------------------------ running things

interface Ran {
  code: number;
  stdout: string;
  stderr: string;
  ms: number;
  rssKb?: number;
}

/** Run a command, timed from spawn to exit. With rss, under GNU time (peak RSS of the process tree's largest). */
function timed(cmd: string, args: string[], env: Record<string, string> = {}, rss = false): Promise<Ran> {
  const full = rss ? ['/usr/bin/time', ['-f', '@RSS %M', cmd, ...args]] as const : ([cmd, args] as const);
  return new Promise((resolve, reject) => {
    const t0 = process.hrtime.bigint();
    const p = spawn(full[0], [...full[1]], { cwd: root, env: { ...process.env, NO_COLOR: '1', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    p.stdout.on('data', (d) => (stdout += d));
    p.stderr.on('data', (d) => (stderr += d));
    p.on('error', reject);
    p.on('close', (code) => {
      const ms = Number(process.hrtime.bigint() - t0) / 1e6;
      const m = /@RSS (\d+)\s*$/.exec(stderr);
      resolve({ code: code ?? -1, stdout, stderr: m ? stderr.slice(0, m.index) : stderr, ms, rssKb: m ? Number(m[1]) : undefined });
    });
  });
}

/** Hold the lab's lock (flock, like every other user of the lab) while fn runs. */
async function withLabLock<T>(fn: () => Promise<T>): Promise<T> {
  const holder = spawn('flock', [LOCK, 'sh', '-c', 'echo locked; exec cat >/dev/null'], { stdio: ['pipe', 'pipe', 'inherit'] });
  await new Promise<void>((resolve, reject) => {
    holder.stdout.once('data', () => resolve());
    holder.on('error', reject);
    holder.on('close', (c) => reject(new Error(`flock ${LOCK} ended (${c})`)));
  });
  try {
    return await fn();
  } finally {
    holder.stdin.end();
  }
}

// the hosts of this run only (the lab's own inventory lists every running host)
const INVENTORY = join(labPaths.dir, 'bench-inventory.yml');
function writeBenchInventory(): void {
  writeAtomic(INVENTORY, benchInventory(readFileSync(labPaths.inventory, 'utf8'), HOSTS));
}
const LAB_ARGS = ['-i', INVENTORY, '--known-hosts', labPaths.knownHosts];

/** Wait until the machine is idle (a 0.5 s window at least 90 % idle, at most 15 s): the hosts a
 *  reset restarted have started their daemons, so their start-up is not timed with the first run. */
async function settle(): Promise<void> {
  const idle = (): [number, number] => {
    const f = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number);
    return [f[3]! + (f[4] ?? 0), f.reduce((a, b) => a + b, 0)];
  };
  for (let i = 0; i < 30; i++) {
    const [i0, t0] = idle();
    await new Promise((r) => setTimeout(r, 500));
    const [i1, t1] = idle();
    if (t1 > t0 && (i1 - i0) / (t1 - t0) >= 0.9) return;
  }
}

async function floorPair(): Promise<{ npm: number; node: number }> {
  const viaNpm = await timed('npm', ['run', '-s', 'bench:floor', '--', ...LAB_ARGS]);
  const bare = await timed(process.execPath, ['bench/floor.mjs', ...LAB_ARGS]);
  for (const r of [viaNpm, bare]) if (r.code !== 0) throw new Error(`floor failed: ${r.stdout}${r.stderr}`);
  const want = `floor: ${HOSTS.length}/${HOSTS.length} hosts`;
  if (!viaNpm.stdout.includes(want) || !bare.stdout.includes(want)) throw new Error(`the floor did not read ${HOSTS.length} hosts: ${viaNpm.stdout}${bare.stdout}`);
  return { npm: viaNpm.ms, node: bare.ms };
}

function oursRecap(out: string): Record<string, { changed: number; failed: number; unreachable: number; roundTrips: number }> {
  const r: Record<string, { changed: number; failed: number; unreachable: number; roundTrips: number }> = {};
  for (const m of out.matchAll(/^(\S+)\s*: ok=\d+ changed=(\d+) failed=(\d+) unreachable=(\d+).*round_trips=(\d+)/gm)) {
    r[m[1]] = { changed: +m[2], failed: +m[3], unreachable: +m[4], roundTrips: +m[5] };
  }
  return r;
}

/** The recap must name exactly the hosts of this run. */
function checkHosts(tool: string, kind: Kind, names: string[], r: Ran): void {
  const got = [...names].sort();
  const want = [...HOSTS].sort();
  if (got.length !== want.length || got.some((h, i) => h !== want[i])) {
    throw new Error(`${tool} (${kind}): the recap names ${got.length} hosts, not the run's ${want.length} (exit ${r.code}):\n${r.stdout.split('\n').slice(-30).join('\n')}\n${r.stderr}`);
  }
}

async function runOurs(kind: Kind): Promise<Ran & { roundTrips: Record<string, number> }> {
  const args = ['run', '-s', 'deploy', '--', ...LAB_ARGS, '-v', '--forks', String(FORKS), ...(kind === 'regen' ? ['--regenerate-certs'] : [])];
  const r = await timed('npm', args, {}, true);
  const recap = oursRecap(r.stdout);
  if (r.code !== 0) throw new Error(`npm run deploy (${kind}) failed (exit ${r.code}):\n${r.stdout.split('\n').slice(-30).join('\n')}\n${r.stderr}`);
  checkHosts('npm run deploy', kind, Object.keys(recap), r);
  if (kind === 'nochange') {
    const changed = Object.entries(recap).filter(([, s]) => s.changed);
    if (changed.length) throw new Error(`the no-change deploy changed something on ${changed.map(([h]) => h).join(', ')}`);
  }
  return { ...r, roundTrips: Object.fromEntries(Object.entries(recap).map(([h, s]) => [h, s.roundTrips])) };
}

function ansibleRecap(out: string): Record<string, { changed: number; failed: number; unreachable: number }> {
  const r: Record<string, { changed: number; failed: number; unreachable: number }> = {};
  for (const m of out.matchAll(/^(\S+)\s*: ok=\d+\s+changed=(\d+)\s+unreachable=(\d+)\s+failed=(\d+)/gm)) {
    r[m[1]] = { changed: +m[2], unreachable: +m[3], failed: +m[4] };
  }
  return r;
}

/** Stop every ControlPersist master whose socket is in dir. */
function stopMasters(dir: string): void {
  if (!existsSync(dir)) return;
  for (const s of readdirSync(dir)) spawnSync('ssh', ['-o', `ControlPath=${join(dir, s)}`, '-O', 'exit', 'x'], { stdio: 'ignore' });
}

/**
 * Ansible's environment. Cold: no ControlPath dir given here (runAnsible makes a fresh one per run).
 * Warm: the round's dir, and ControlPersist long enough to outlast the round (the masters are stopped
 * at its end), so no master times out between two runs however slow a run is.
 */
function ansibleEnv(controlDir: string, warm: boolean): Record<string, string> {
  return {
    ANSIBLE_CONFIG: join(root, 'bench/ansible/ansible.cfg'),
    ANSIBLE_SSH_CONTROL_PATH_DIR: controlDir,
    ANSIBLE_NOCOLOR: '1',
    ...(warm ? { ANSIBLE_SSH_ARGS: '-o ControlMaster=auto -o ControlPersist=3600s' } : {}),
  };
}

/** ansible-playbook. Cold (no warmDir): a fresh ControlPath directory, masters stopped after. Warm: the round's. */
async function runAnsible(kind: Kind, warmDir?: string, verbose = false): Promise<Ran & { roundTrips?: Record<string, number> }> {
  const cp = warmDir ?? mkdtempSync(join(tmpdir(), 'bench-ansible-cp-'));
  try {
    const args = ['-i', INVENTORY, '-f', String(FORKS), 'bench/ansible/site.yml', ...(kind === 'regen' ? ['-e', 'regenerate_certs=true'] : []), ...(verbose ? ['-vvv'] : [])];
    const r = await timed('ansible-playbook', args, ansibleEnv(cp, !!warmDir), true);
    const recap = ansibleRecap(r.stdout);
    if (r.code !== 0 || Object.values(recap).some((s) => s.failed || s.unreachable)) {
      throw new Error(`ansible-playbook (${kind}) failed (exit ${r.code}):\n${r.stdout.split('\n').slice(-40).join('\n')}\n${r.stderr}`);
    }
    checkHosts('ansible-playbook', kind, Object.keys(recap), r);
    if (kind === 'nochange' && Object.values(recap).some((s) => s.changed)) throw new Error('the no-change ansible-playbook run changed something');
    let roundTrips: Record<string, number> | undefined;
    if (verbose) {
      // every ssh invocation (an exec or a file put over the ControlPersist master) is one round trip
      const byAddr: Record<string, number> = {};
      for (const m of r.stdout.matchAll(/^<([\d.]+)> SSH: EXEC /gm)) byAddr[m[1]] = (byAddr[m[1]] ?? 0) + 1;
      roundTrips = byAddr;
    }
    return { ...r, roundTrips };
  } finally {
    if (!warmDir) {
      stopMasters(cp);
      rmSync(cp, { recursive: true, force: true });
    }
  }
}

/** The running ControlPersist masters of dir: socket name → master pid (`ssh -O check`). */
function masters(dir: string): Map<string, string> {
  const m = new Map<string, string>();
  for (const s of readdirSync(dir)) {
    const r = spawnSync('ssh', ['-o', `ControlPath=${join(dir, s)}`, '-O', 'check', 'x'], { encoding: 'utf8' });
    const pid = /pid=(\d+)/.exec(r.stderr + r.stdout)?.[1];
    if (r.status === 0 && pid) m.set(s, pid);
  }
  return m;
}

/** Open a master to every host (untimed): `ansible all -m raw -a true` over the round's ControlPath dir. */
async function warmUp(dir: string): Promise<Map<string, string>> {
  const r = await timed('ansible', ['all', '-i', INVENTORY, '-f', String(FORKS), '-m', 'ansible.builtin.raw', '-a', 'true'], ansibleEnv(dir, true));
  if (r.code !== 0) throw new Error(`the warm-up (ansible all -m raw) failed (exit ${r.code}):\n${r.stdout.split('\n').slice(-20).join('\n')}\n${r.stderr}`);
  const m = masters(dir);
  if (m.size !== HOSTS.length) throw new Error(`the warm-up left ${m.size} running ControlPersist masters, not ${HOSTS.length}`);
  return m;
}

/** After a warm run: the same masters (same sockets, same pids), none new, none restarted. */
function checkStillWarm(dir: string, before: Map<string, string>, kind: Kind): void {
  const now = masters(dir);
  const same = now.size === before.size && [...before].every(([s, pid]) => now.get(s) === pid);
  if (!same) throw new Error(`ansible-playbook (${kind}, warm): the ControlPersist masters changed during the run (${before.size} before, ${now.size} after, not all the same): not a warm run`);
}

/** Wait (at most 4 min) until the 1-minute load average is below 6: sendmail queues instead of
 *  delivering above QueueLA (8) and refuses connections above RefuseLA (12), and 101 hosts' builds
 *  and reloads at once on 2 cores leave the load far above that for a minute or two. */
async function lowLoad(): Promise<void> {
  for (let i = 0; i < 240; i++) {
    if (Number(readFileSync('/proc/loadavg', 'utf8').split(' ')[0]) < 6) return;
    await new Promise((r) => setTimeout(r, 1000));
  }
}

async function checkRelay(tool: Tool, after: string): Promise<void> {
  await lowLoad();
  const r = await sendTestMail('laptop1');
  if (!r.relayed) throw new Error(`after ${tool}'s ${after} run, laptop1 does not relay:\n${r.laptopLines.join('\n')}\n${r.serverLines.join('\n')}`);
  process.stderr.write(`bench: ${tool} ${after}: laptop1 relays (verify=${r.verify})\n`);
}

/** One Debian reload on the server, `times` times, timed on the host (ms each): what a change to sendmail.mc costs at least. */
async function timeReloads(times: number): Promise<number[]> {
  const r = await sshRun(
    'mailserver',
    `for i in $(seq ${times}); do s=$(date +%s%N); /etc/init.d/sendmail reload >/dev/null 2>&1 || exit 1; e=$(date +%s%N); echo $(( (e - s) / 1000 )); done`,
  );
  const us = r.stdout.trim().split('\n').filter(Boolean).map(Number);
  if (r.code !== 0 || us.length !== times || us.some((v) => !Number.isFinite(v))) throw new Error(`timing /etc/init.d/sendmail reload failed (exit ${r.code}): ${r.stdout}${r.stderr}`);
  return us.map((v) => v / 1000);
}

/** Every host's own rebuild and reload at once, without any tool: sendmail.mc touched (so that
 *  Debian's Makefile runs parse_mc, update_mk and m4, as after a first deploy's edit), make, reload.
 *  The hosts start together at a time set ahead (the ssh handshakes are not timed) and report their
 *  clock (one kernel: one clock); the figure is the first start to the last end, ms. A try in which
 *  a host's session arrived after the start time is no figure (see bench/hosts-work.ts): the next
 *  try has a longer lead, and the next round starts from the lead that worked. */
let leadWorked: { leadMs: number; slackMs: number } | undefined; // the last try with no late host, for the next round's first
async function timeHostsWork(hosts: string[]): Promise<number> {
  const work = 'touch /etc/mail/sendmail.mc && make -C /etc/mail >/dev/null 2>&1 && /etc/init.d/sendmail reload >/dev/null 2>&1';
  let lead = firstLeadMs(hosts.length, leadWorked);
  for (let attempt = 1; ; attempt++) {
    const at = Date.now() + lead;
    const script = hostsWorkScript(at, work);
    const rs = await Promise.all(hosts.map((h) => sshRun(h, script)));
    const bad = rs.findIndex((r) => r.code !== 0);
    if (bad >= 0) throw new Error(`timing make + reload on ${hosts[bad]} failed (exit ${rs[bad].code}): ${rs[bad].stdout}${rs[bad].stderr}`);
    const span = hostsWorkSpan(at, rs.map((r, i) => ({ host: hosts[i], stdout: r.stdout })));
    if (!span.late.length) {
      leadWorked = { leadMs: lead, slackMs: span.slackMs };
      return span.spanMs;
    }
    process.stderr.write(`bench: make + reload at once: ${span.late.length} host(s) arrived after the start (last ${(-span.slackMs / 1000).toFixed(2)} s late, lead ${(lead / 1000).toFixed(1)} s), not a figure\n`);
    if (attempt === 4) throw new Error(`timing make + reload: ${span.late.length} host(s) still arrived late with a ${(lead / 1000).toFixed(1)} s lead (${span.late.slice(0, 5).join(', ')})`);
    await settle();
    lead = nextLeadMs(lead, -span.slackMs);
  }
}

// ------------------------------------------------------------------ one round of one tool

const cpu = cpus();
const thisRun: HostRun = {
  laptops: LAPTOPS,
  started: new Date().toISOString(),
  rounds: 0,
  forks: FORKS,
  machine: `Machine: ${cpu.length} cores (${cpu[0]?.model.trim() ?? '?'}), ${(totalmem() / 2 ** 30).toFixed(1)} GiB memory`,
  versions: {},
  samples: [],
  reloadMs: [],
  hostsWorkMs: [],
};

function saveSamples(): void {
  // every sample so far, so that the report can be made again (--report-only) if anything fails later
  writeAtomic(samplesPath, JSON.stringify(mergeRun(previous, thisRun, flags.append), null, 1) + '\n');
}

async function round(tool: Tool, n: number): Promise<void> {
  await withLabLock(async () => {
    await labUp(HOSTS);
    // a fresh lab for this tool: Ansible's on the rootfs with python3 (see bench/setup.ts)
    const saved = process.env.LAB_CACHE_DIR;
    if (tool !== 'ours') process.env.LAB_CACHE_DIR = ANSIBLE_CACHE_DIR;
    try {
      await labReset(HOSTS);
    } finally {
      if (saved === undefined) delete process.env.LAB_CACHE_DIR;
      else process.env.LAB_CACHE_DIR = saved;
    }
    writeBenchInventory();
    const warmDir = tool === 'ansible-warm' ? mkdtempSync(join(tmpdir(), 'bench-ansible-warm-')) : undefined;
    try {
      const warmMasters = warmDir ? await warmUp(warmDir) : undefined;
      await settle(); // the reset's (and the masters') start-up is not timed with the first run
      const seq: { kind: Kind; timed: boolean }[] = [
        { kind: 'first', timed: RUN_KINDS.includes('first') },
        ...(RUN_KINDS.includes('nochange') ? [{ kind: 'nochange' as Kind, timed: true }, { kind: 'nochange' as Kind, timed: true }] : []),
        ...(RUN_KINDS.includes('regen') ? [{ kind: 'regen' as Kind, timed: true }] : []),
      ];
      for (const { kind, timed: isTimed } of seq) {
        const r = tool === 'ours' ? await runOurs(kind) : await runAnsible(kind, warmDir);
        if (warmDir) checkStillWarm(warmDir, warmMasters!, kind);
        if (isTimed) {
          const f = await floorPair();
          thisRun.samples.push({ tool, kind, round: n, ms: r.ms, floorNpmMs: f.npm, floorNodeMs: f.node, rssKb: r.rssKb, roundTrips: r.roundTrips } satisfies Sample);
          process.stderr.write(`bench: 1+${LAPTOPS} round ${n} ${tool} ${kind}: ${(r.ms / 1000).toFixed(2)} s (floor ${(f.npm / 1000).toFixed(2)} s via npm, ${(f.node / 1000).toFixed(2)} s bare)\n`);
        } else {
          process.stderr.write(`bench: 1+${LAPTOPS} round ${n} ${tool} ${kind} (not timed): ${(r.ms / 1000).toFixed(2)} s\n`);
        }
        if (kind !== 'nochange') await checkRelay(tool, kind === 'first' ? 'first deploy' : 're-pair');
      }
      if (tool !== 'ours' && !thisRun.ansibleTrips) thisRun.ansibleTrips = (await runAnsible('nochange', warmDir, true)).roundTrips;
      if (tool === 'ours') {
        const ms = await timeReloads(3);
        thisRun.reloadMs.push(...ms);
        process.stderr.write(`bench: /etc/init.d/sendmail reload: ${ms.map((m) => (m / 1000).toFixed(2)).join(', ')} s\n`);
        await settle();
        const work = await timeHostsWork(HOSTS);
        thisRun.hostsWorkMs!.push(work);
        process.stderr.write(`bench: every host's make + reload at once (no tool): ${(work / 1000).toFixed(2)} s\n`);
      }
    } finally {
      if (warmDir) {
        stopMasters(warmDir);
        rmSync(warmDir, { recursive: true, force: true });
      }
    }
  });
}

// ------------------------------------------------------------------ main

let file: SamplesFile = previous;
if (!flags['report-only']) {
  const ansible = RUN_TOOLS.some((t) => t !== 'ours');
  thisRun.versions = {
    node: process.version,
    npm: spawnSync('npm', ['-v'], { encoding: 'utf8' }).stdout.trim(),
    commit: (() => {
      const head = spawnSync('git', ['-C', root, 'rev-parse', '--short', 'HEAD'], { encoding: 'utf8' }).stdout.trim();
      const dirty = spawnSync('git', ['-C', root, 'status', '--porcelain', '--untracked-files=no'], { encoding: 'utf8' }).stdout.trim();
      return head ? head + (dirty ? ' (with uncommitted changes)' : '') : 'unknown';
    })(),
  };
  await withLabLock(async () => {
    // apt first: while the lab is up the mirror may be out of reach (see bench/setup.ts)
    await ensureRootfs();
    if (ansible) {
      await ensureAnsible();
      await ensurePythonRootfs();
    }
    await labUp(HOSTS);
  });
  if (ansible) thisRun.versions.ansible = ansibleVersion().replace(/^ansible-playbook /, '');
  process.stderr.write(`bench: 1 + ${LAPTOPS} hosts, ${RUNS} round(s) of ${RUN_TOOLS.join(', ')}, runs: ${RUN_KINDS.join(', ')}, forks ${FORKS}\n`);
  for (let n = 1; n <= RUNS; n++) {
    for (const tool of RUN_TOOLS) {
      await round(tool, n);
      thisRun.rounds = n;
      saveSamples();
    }
  }
  // leave the hosts running, back in the lab's starting state on the lab's own rootfs
  await withLabLock(async () => {
    await labUp(HOSTS);
    await labReset(HOSTS);
  });
  file = mergeRun(previous, thisRun, flags.append);
}
const chartRef = relative(dirname(outPath), chartPath).split('\\').join('/');
const { text, ok } = buildReport(file, { chartRef, now: new Date() });
writeAtomic(chartPath, chartSvg(file));
writeAtomic(outPath, text);
process.stdout.write(text);
const shown = (p: string) => (p.startsWith(root + '/') ? relative(root, p) : p);
process.stdout.write(`\nwritten to ${shown(outPath)} and ${shown(chartPath)}; samples in ${shown(samplesPath)}\n`);
process.exit(ok ? 0 : 3);
