// npm run bench -- [--runs N] [--out FILE] [--no-ansible]
//
// Speed at fleet size, on the lab with 1 server + 20 laptops, measured side by side with
// ansible-playbook and with the floor (bench/floor.mjs: bare ssh2, one command per host):
//   1. the first `deploy` on fresh hosts (server role, and every laptop paired),
//   2. the no-change re-run (twice per round),
//   3. `deploy --regenerate-certs` (new certificates, every laptop paired again).
// Each tool gets its own fresh lab per round (a reset: its edits never meet the other's), and each
// timed run is followed by a floor run on the same lab, so the machine's drift cancels out of the
// ratios. After the runs that change something, laptop1 must relay through the server (real mail).
// Each round holds the lab's lock (flock /run/lock/str-lab-use.lock) and releases it after.
// Writes the table to BENCHMARKS.md with the date, the machine and the commands to reproduce.
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, totalmem, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { labUp, labReset, labPaths, setLabLog } from '../lab/lab.js';
import { ensureRootfs } from '../lab/rootfs.js';
import { sendTestMail } from '../lab/mail.js';
import { repoRoot } from '../lab/config.js';
import { ANSIBLE_CACHE_DIR, ansibleVersion, ensureAnsible, ensurePythonRootfs } from '../bench/setup.js';

const HOSTS = ['mailserver', ...Array.from({ length: 20 }, (_, i) => `laptop${i + 1}`)];
const LOCK = '/run/lock/str-lab-use.lock';
const root = repoRoot();

type Tool = 'ours' | 'ansible';
type Kind = 'first' | 'nochange' | 'regen';
interface Sample {
  tool: Tool;
  kind: Kind;
  round: number;
  ms: number;
  floorNpmMs: number;
  floorNodeMs: number;
  rssKb?: number;
  roundTrips?: Record<string, number>;
}

const { values: flags } = parseArgs({
  options: {
    runs: { type: 'string', default: '5' },
    out: { type: 'string', default: 'BENCHMARKS.md' },
    'no-ansible': { type: 'boolean' },
    samples: { type: 'string', default: join(tmpdir(), 'bench-samples.json') },
    'report-only': { type: 'boolean' },
    help: { type: 'boolean', short: 'h' },
  },
});
if (flags.help) {
  process.stdout.write('usage: npm run bench -- [--runs N (default 5)] [--out FILE (default BENCHMARKS.md)] [--no-ansible] [--samples FILE] [--report-only]\n');
  process.exit(0);
}
const RUNS = Number(flags.runs);
if (!Number.isInteger(RUNS) || RUNS < 1) {
  process.stderr.write(`error: --runs wants a whole number ≥ 1, got '${flags.runs}'\n`);
  process.exit(1);
}
if (process.getuid?.() !== 0) {
  process.stderr.write('error: the bench needs root (the lab)\n');
  process.exit(1);
}
setLabLog((s) => process.stderr.write(s + '\n'));

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

const LAB_ARGS = ['-i', labPaths.inventory, '--known-hosts', labPaths.knownHosts];

async function floorPair(): Promise<{ npm: number; node: number }> {
  const viaNpm = await timed('npm', ['run', '-s', 'bench:floor', '--', ...LAB_ARGS]);
  const bare = await timed(process.execPath, ['bench/floor.mjs', ...LAB_ARGS]);
  for (const r of [viaNpm, bare]) if (r.code !== 0) throw new Error(`floor failed: ${r.stdout}${r.stderr}`);
  return { npm: viaNpm.ms, node: bare.ms };
}

function oursRecap(out: string): Record<string, { changed: number; failed: number; unreachable: number; roundTrips: number }> {
  const r: Record<string, { changed: number; failed: number; unreachable: number; roundTrips: number }> = {};
  for (const m of out.matchAll(/^(\S+)\s*: ok=\d+ changed=(\d+) failed=(\d+) unreachable=(\d+).*round_trips=(\d+)/gm)) {
    r[m[1]] = { changed: +m[2], failed: +m[3], unreachable: +m[4], roundTrips: +m[5] };
  }
  return r;
}

async function runOurs(kind: Kind): Promise<Ran & { roundTrips: Record<string, number> }> {
  const args = ['run', '-s', 'deploy', '--', ...LAB_ARGS, '-v', ...(kind === 'regen' ? ['--regenerate-certs'] : [])];
  const r = await timed('npm', args, {}, true);
  const recap = oursRecap(r.stdout);
  if (r.code !== 0 || Object.keys(recap).length !== HOSTS.length) {
    throw new Error(`npm run deploy (${kind}) failed (exit ${r.code}):\n${r.stdout.split('\n').slice(-30).join('\n')}\n${r.stderr}`);
  }
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

/** ansible-playbook with a fresh ControlPath directory (no master left from an earlier run), masters stopped after. */
async function runAnsible(kind: Kind, verbose = false): Promise<Ran & { roundTrips?: Record<string, number> }> {
  const cp = mkdtempSync(join(tmpdir(), 'bench-ansible-cp-'));
  try {
    const args = ['-i', labPaths.inventory, 'bench/ansible/site.yml', ...(kind === 'regen' ? ['-e', 'regenerate_certs=true'] : []), ...(verbose ? ['-vvv'] : [])];
    const r = await timed('ansible-playbook', args, { ANSIBLE_CONFIG: join(root, 'bench/ansible/ansible.cfg'), ANSIBLE_SSH_CONTROL_PATH_DIR: cp, ANSIBLE_NOCOLOR: '1' }, true);
    const recap = ansibleRecap(r.stdout);
    if (r.code !== 0 || Object.keys(recap).length !== HOSTS.length || Object.values(recap).some((s) => s.failed || s.unreachable)) {
      throw new Error(`ansible-playbook (${kind}) failed (exit ${r.code}):\n${r.stdout.split('\n').slice(-40).join('\n')}\n${r.stderr}`);
    }
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
    for (const s of readdirSync(cp)) spawnSync('ssh', ['-o', `ControlPath=${join(cp, s)}`, '-O', 'exit', 'x'], { stdio: 'ignore' });
    rmSync(cp, { recursive: true, force: true });
  }
}

async function checkRelay(tool: Tool, after: string): Promise<void> {
  const r = await sendTestMail('laptop1');
  if (!r.relayed) throw new Error(`after ${tool}'s ${after} run, laptop1 does not relay:\n${r.laptopLines.join('\n')}\n${r.serverLines.join('\n')}`);
  process.stderr.write(`bench: ${tool} ${after}: laptop1 relays (verify=${r.verify})\n`);
}

// ------------------------------------------------------------------ one round of one tool

const samples: Sample[] = [];
let ansibleTrips: Record<string, number> | undefined;

async function round(tool: Tool, n: number): Promise<void> {
  await withLabLock(async () => {
    await labUp(HOSTS);
    // a fresh lab for this tool: Ansible's on the rootfs with python3 (see bench/setup.ts)
    const saved = process.env.LAB_CACHE_DIR;
    if (tool === 'ansible') process.env.LAB_CACHE_DIR = ANSIBLE_CACHE_DIR;
    try {
      await labReset(HOSTS);
    } finally {
      if (saved === undefined) delete process.env.LAB_CACHE_DIR;
      else process.env.LAB_CACHE_DIR = saved;
    }
    const kinds: Kind[] = ['first', 'nochange', 'nochange', 'regen'];
    for (const kind of kinds) {
      const r = tool === 'ours' ? await runOurs(kind) : await runAnsible(kind);
      const f = await floorPair();
      samples.push({ tool, kind, round: n, ms: r.ms, floorNpmMs: f.npm, floorNodeMs: f.node, rssKb: r.rssKb, roundTrips: 'roundTrips' in r ? r.roundTrips : undefined });
      process.stderr.write(`bench: round ${n} ${tool} ${kind}: ${(r.ms / 1000).toFixed(2)} s (floor ${(f.npm / 1000).toFixed(2)} s via npm, ${(f.node / 1000).toFixed(2)} s bare)\n`);
      if (kind !== 'nochange') await checkRelay(tool, kind === 'first' ? 'first deploy' : 're-pair');
    }
    if (tool === 'ansible' && !ansibleTrips) ansibleTrips = (await runAnsible('nochange', true)).roundTrips;
  });
  // every sample so far, so that the table can be made again (--report-only) if anything fails later
  writeFileSync(flags.samples!, JSON.stringify({ samples, ansibleTrips }, null, 1));
}

// ------------------------------------------------------------------ figures

function stats(xs: number[]): { median: number; min: number; max: number; n: number } {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return { median: s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2, min: s[0], max: s[s.length - 1], n: s.length };
}
const sec = (ms: number) => (ms / 1000).toFixed(2);
const fmt = (x: { median: number; min: number; max: number }) => `${sec(x.median)} s (${sec(x.min)}–${sec(x.max)})`;

function report(versions: Record<string, string>, started: Date): { text: string; ok: boolean } {
  const sel = (tool: Tool, kind: Kind) => samples.filter((s) => s.tool === tool && s.kind === kind);
  const kindsLabel: Record<Kind, string> = {
    first: 'first deploy + pair of 20 (fresh hosts)',
    nochange: 'no-change re-run',
    regen: 're-pair of 20 after --regenerate-certs',
  };
  const lines: string[] = [];
  lines.push('| run | ours (npm run deploy) | ansible-playbook | floor via npm | Ansible / ours | ours / floor (npm) | ours / floor (bare node) |');
  lines.push('|---|---|---|---|---|---|---|');
  const ratios: Record<Kind, { ansibleOurs?: number; oursFloor: number; oursFloorNode: number }> = {} as never;
  for (const kind of ['first', 'nochange', 'regen'] as Kind[]) {
    const o = sel('ours', kind);
    const a = sel('ansible', kind);
    const oursFloor = stats(o.map((s) => s.ms / s.floorNpmMs)).median;
    const oursFloorNode = stats(o.map((s) => s.ms / s.floorNodeMs)).median;
    // each tool's time over its paired floor, then the ratio of those: the machine's drift cancels
    const ansibleOurs = a.length ? stats(a.map((s) => s.ms / s.floorNpmMs)).median / oursFloor : undefined;
    ratios[kind] = { ansibleOurs, oursFloor, oursFloorNode };
    const floor = stats([...o, ...a].map((s) => s.floorNpmMs));
    lines.push(
      `| ${kindsLabel[kind]} | ${fmt(stats(o.map((s) => s.ms)))} | ${a.length ? fmt(stats(a.map((s) => s.ms))) : '—'} | ${fmt(floor)} | ` +
        `${ansibleOurs ? ansibleOurs.toFixed(1) + '×' : '—'} | ${oursFloor.toFixed(2)}× | ${oursFloorNode.toFixed(2)}× |`,
    );
  }
  const floorNode = stats(samples.map((s) => s.floorNodeMs));
  const floorNpm = stats(samples.map((s) => s.floorNpmMs));
  const trips = (kind: Kind) => {
    const all = sel('ours', kind).flatMap((s) => Object.entries(s.roundTrips ?? {}));
    const max = (h: (n: string) => boolean) => Math.max(...all.filter(([n]) => h(n)).map(([, v]) => v));
    return `server ${max((n) => n === 'mailserver')}, laptops ≤ ${max((n) => n !== 'mailserver')}`;
  };
  const ansTrips = ansibleTrips ? Object.entries(ansibleTrips) : [];
  const serverAddr = ansTrips.find(([a]) => a.endsWith('.10'));
  const laptopMax = Math.max(...ansTrips.filter(([a]) => !a.endsWith('.10')).map(([, v]) => v));
  const rss = stats(samples.filter((s) => s.tool === 'ours' && s.rssKb).map((s) => s.rssKb!));
  const nochangeTripsMax = Math.max(...sel('ours', 'nochange').flatMap((s) => Object.values(s.roundTrips ?? {})));
  const firstAnsible = ratios.first.ansibleOurs;
  const targets = [
    ['no-change deploy ≥ 15× faster than ansible-playbook', ratios.nochange.ansibleOurs, (v: number) => v >= 15, (v: number) => `${v.toFixed(1)}×`],
    ['no-change deploy ≤ 1.5× the floor (npm and Node start-up included)', ratios.nochange.oursFloor, (v: number) => v <= 1.5, (v: number) => `${v.toFixed(2)}×`],
    ['first deploy + pair ≥ 3× faster than ansible-playbook', firstAnsible, (v: number) => v >= 3, (v: number) => `${v.toFixed(1)}×`],
    ['≤ 2 round trips per host on a no-change run', nochangeTripsMax, (v: number) => v <= 2, (v: number) => `${v}`],
    ['peak RSS < 200 MB', rss.max / 1024, (v: number) => v < 200, (v: number) => `${v.toFixed(0)} MB`],
  ] as const;
  let ok = true;
  const targetLines = targets.map(([what, v, pass, show]) => {
    if (v === undefined || Number.isNaN(v)) return `- ${what}: not measured`;
    const met = pass(v as number);
    ok &&= met;
    return `- ${what}: **${met ? 'met' : 'NOT met'}** (${show(v as number)})`;
  });
  const cpu = cpus();
  const text = `# Benchmarks

Measured by \`npm run bench\` on ${started.toISOString().slice(0, 16).replace('T', ' ')} UTC, ${RUNS} rounds per tool.

Machine: ${cpu.length} cores (${cpu[0]?.model.trim() ?? '?'}), ${(totalmem() / 2 ** 30).toFixed(1)} GiB memory; the lab's 21 hosts
(1 server + 20 laptops, Debian 12 in namespaces) run on the same cores. ${Object.entries(versions).map(([k, v]) => `${k} ${v}`).join(', ')}.

Median (min–max) wall-clock time from start to exit, ${RUNS} samples per cell (${RUNS * 2} for the no-change runs).
Ratios are medians of each run's time over its paired floor run (same lab, right after), so the
machine's drift cancels: Ansible / ours = (Ansible / its floor) ÷ (ours / its floor).

${lines.join('\n')}

Floor alone (\`bench/floor.mjs\`: bare Node + ssh2, one connection per host, all at once, one command
reading sendmail.mc, access, starttls.m4, the certificate and the mtimes of sendmail.cf and access.db):
${fmt(floorNode)} with \`node\`, ${fmt(floorNpm)} through \`npm run\`.

Remote round trips per host (beyond the connection), ours (\`-v\` recap, max over the runs):
first deploy: ${trips('first')}; no-change: ${trips('nochange')}; re-pair: ${trips('regen')}.
ansible-playbook, no-change run (ssh invocations over the ControlPersist master, from \`-vvv\`):
${ansTrips.length ? `server ${serverAddr?.[1] ?? '?'}, laptops ≤ ${laptopMax}` : 'not measured'}.

Peak RSS of \`npm run deploy\` on the 21 hosts (GNU time: the largest process of npm's tree, i.e. the
tool's node process): median ${(rss.median / 1024).toFixed(0)} MB, max ${(rss.max / 1024).toFixed(0)} MB.

## Targets (issue 8)

${targetLines.join('\n')}

## How it runs

- Ours: \`npm run deploy -- -i .lab/inventory.yml --known-hosts .lab/known_hosts -v\` (\`--regenerate-certs\` for
  the re-pair), through npm, as an admin runs it; dist/ already built (the launcher only stats the sources).
- Ansible: \`ANSIBLE_CONFIG=bench/ansible/ansible.cfg ansible-playbook -i .lab/inventory.yml bench/ansible/site.yml\`
  (\`-e regenerate_certs=true\` for the re-pair); pipelining on, ControlPersist 60 s, forks 10, no fact
  gathering. Each run starts without a ControlPersist master (a fresh ControlPath directory; the masters
  are stopped after the run), as a re-run some minutes later would. Ansible needs Python on the hosts:
  its lab runs on a copy of the lab's rootfs with python3 added (bench/setup.ts); the tool's lab has none.
- Each round: lab lock taken, the 21 hosts reset to the lab's starting state (each tool its own fresh
  lab), then first deploy, no-change ×2, re-pair, each followed by the floor (through npm and bare);
  after the first deploy and the re-pair, laptop1 sends a real mail that the server must relay
  (TLS client certificate, CERTISSUER access entry). Rounds of the two tools alternate.

## Reproduce

\`\`\`sh
npm ci
npm run bench                 # about 15 minutes; installs ansible-core with apt when missing
npm run bench -- --runs 3     # fewer rounds
npm run bench:floor -- -i .lab/inventory.yml --known-hosts .lab/known_hosts   # the floor alone
\`\`\`
`;
  return { text, ok };
}

// ------------------------------------------------------------------ main

const started = new Date();
const versions: Record<string, string> = {
  node: process.version,
  npm: spawnSync('npm', ['-v'], { encoding: 'utf8' }).stdout.trim(),
};
if (flags['report-only']) {
  const saved = JSON.parse(readFileSync(flags.samples!, 'utf8')) as { samples: Sample[]; ansibleTrips?: Record<string, number> };
  samples.push(...saved.samples);
  ansibleTrips = saved.ansibleTrips;
  if (!flags['no-ansible']) versions['ansible'] = ansibleVersion().replace(/^ansible-playbook /, '');
} else {
  if (!flags['no-ansible']) {
    await withLabLock(async () => {
      // apt first: while the lab is up the mirror may be out of reach (see bench/setup.ts)
      await ensureRootfs();
      await ensureAnsible();
      await ensurePythonRootfs();
      await labUp(HOSTS);
    });
    versions['ansible'] = ansibleVersion().replace(/^ansible-playbook /, '');
  }
  for (let n = 1; n <= RUNS; n++) {
    await round('ours', n);
    if (!flags['no-ansible']) await round('ansible', n);
  }
  // leave the 21 hosts running, back in the lab's starting state on the lab's own rootfs
  await withLabLock(async () => {
    await labUp(HOSTS);
    await labReset(HOSTS);
  });
}
const { text, ok } = report(versions, started);
writeFileSync(resolve(root, flags.out!), text);
process.stdout.write(text);
process.stdout.write(`\nwritten to ${flags.out}\n`);
process.exit(ok ? 0 : 3);
