// What a run shows: a line per task per host (ok / changed / failed), in colour on a terminal,
// the commands with -v (secrets masked), a recap per host in Ansible's manner, or one JSON
// document with --json.
import type { TaskResult } from './types.js';
import type { HostStats, Reporter } from './runner.js';

export interface ReportOptions {
  json: boolean;
  verbose: boolean;
  color: boolean;
  diff: boolean;
  /** every task's messages on lines of their own, ok tasks' too (verify's findings) */
  messageLines?: boolean;
  out?: NodeJS.WritableStream;
  err?: NodeJS.WritableStream;
}

const C = { reset: '\x1b[0m', green: '\x1b[32m', yellow: '\x1b[33m', red: '\x1b[31m', cyan: '\x1b[36m', dim: '\x1b[2m', bold: '\x1b[1m' };

export class ConsoleReporter implements Reporter {
  readonly unreachable = new Map<string, string>();
  private out: NodeJS.WritableStream;
  private err: NodeJS.WritableStream;
  constructor(private readonly o: ReportOptions) {
    this.out = o.out ?? process.stdout;
    this.err = o.err ?? process.stderr;
  }
  private c(color: keyof typeof C, s: string): string {
    return this.o.color ? C[color] + s + C.reset : s;
  }
  private line(s: string): void {
    if (!this.o.json) this.out.write(s + '\n');
  }
  command(host: string, line: string): void {
    if (this.o.verbose && !this.o.json) this.err.write(this.c('dim', `${host}: $ ${line.trim().split('\n').join('\n    ')}`) + '\n');
  }
  taskResult(r: TaskResult): void {
    const colour = r.status === 'ok' ? 'green' : r.status === 'changed' ? 'yellow' : r.status === 'failed' ? 'red' : 'cyan';
    const head = `${this.c(colour, r.status.padEnd(7))} ${r.host}: ${r.task}`;
    const detail = r.error ? ` — ${r.error}` : !this.o.messageLines && r.messages.length && (r.status !== 'ok' || this.o.verbose) ? ` (${r.messages.join('; ')})` : '';
    this.line(head + (r.error ? this.c('red', detail) : detail));
    if (this.o.messageLines) for (const m of r.messages) this.line(`  ${r.host}: ${m}`);
    for (const w of r.warnings) this.line(this.c('yellow', `  [WARNING] ${r.host}: ${w}`));
    if (this.o.diff) for (const d of r.diffs) this.line(colourDiff(d, this.o.color));
  }
  hostUnreachable(host: string, message: string): void {
    this.unreachable.set(host, message);
    this.line(`${this.c('red', 'unreachable')} ${host}: ${message}`);
  }
  recap(stats: Map<string, HostStats>, extra?: { interrupted?: boolean }): void {
    if (this.o.json) return;
    this.line('');
    this.line(this.c('bold', 'RECAP'));
    const width = Math.max(...[...stats.keys()].map((k) => k.length), 4);
    for (const [host, s] of stats) {
      const text =
        `${host.padEnd(width)} : ok=${s.ok} changed=${s.changed} failed=${s.failed} unreachable=${s.unreachable}` +
        (s.skipped ? ` skipped=${s.skipped}` : '') +
        (this.o.verbose ? ` round_trips=${s.roundTrips}` : '') +
        (s.interrupted ? ` (interrupted ${s.interrupted})` : '');
      this.line(s.failed || s.unreachable ? this.c('red', text) : s.changed ? this.c('yellow', text) : this.c('green', text));
    }
    if (extra?.interrupted) this.line(this.c('red', 'interrupted: stopped after the current step; run again to converge'));
  }
}

function colourDiff(d: string, color: boolean): string {
  if (!color) return d.replace(/\n$/, '');
  return d
    .replace(/\n$/, '')
    .split('\n')
    .map((l) => (l.startsWith('+') && !l.startsWith('+++') ? C.green + l + C.reset : l.startsWith('-') && !l.startsWith('---') ? C.red + l + C.reset : l))
    .join('\n');
}

/** The --json document: per host, the recap figures and each task's result. */
export function jsonReport(command: string, stats: Map<string, HostStats>, results: TaskResult[], unreachable: Map<string, string>, extra: Record<string, unknown> = {}): string {
  const hosts: Record<string, unknown> = {};
  for (const [host, s] of stats) {
    hosts[host] = {
      ...s,
      unreachable_reason: unreachable.get(host),
      tasks: results.filter((r) => r.host === host).map((r) => ({ task: r.task, status: r.status, messages: r.messages, warnings: r.warnings, diffs: r.diffs, error: r.error, ...(r.facts ? { facts: r.facts } : {}) })),
    };
  }
  return JSON.stringify({ command, ...extra, hosts }, null, 2) + '\n';
}
