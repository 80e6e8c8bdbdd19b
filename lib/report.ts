// What a run shows: a line per task per host (ok / changed / failed), in colour on a terminal
// (zx's chalk), the commands with -v (secrets masked), a recap per host in Ansible's manner, or
// one JSON document with --json.
import { chalk } from 'zx/core';
import type { TaskResult } from './types.js';
import type { HostStats, Reporter } from './play.js';

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

const C = { green: chalk.green, yellow: chalk.yellow, red: chalk.red, cyan: chalk.cyan, dim: chalk.dim, bold: chalk.bold };

/**
 * Whether a run's output is in colour: where chalk finds colours (a terminal that has them, or
 * FORCE_COLOR), unless NO_COLOR is set (it wins over FORCE_COLOR, as it always has here), the
 * command line says --no-color, or the output is JSON.
 */
export function useColour(o: { json?: boolean; noColor?: boolean }, env: NodeJS.ProcessEnv = process.env): boolean {
  return !o.json && !o.noColor && !env.NO_COLOR && chalk.level > 0;
}

export class ConsoleReporter implements Reporter {
  readonly unreachable = new Map<string, string>();
  private out: NodeJS.WritableStream;
  private err: NodeJS.WritableStream;
  constructor(private readonly o: ReportOptions) {
    this.out = o.out ?? process.stdout;
    this.err = o.err ?? process.stderr;
  }
  private c(color: keyof typeof C, s: string): string {
    return this.o.color ? C[color](s) : s;
  }
  private line(s: string): void {
    if (this.o.json) return;
    this.clearProgress();
    this.out.write(s + '\n');
  }

  // a transient status line on a terminal: which hosts are busy with which step, for how long
  private running = new Map<string, { task: string; since: number }>();
  private timer?: NodeJS.Timeout;
  private shown = false;
  private get progressOn(): boolean {
    return !this.o.json && !!(this.err as NodeJS.WriteStream).isTTY && !process.env.CI;
  }
  // the progress line is ours (zx's spinner is in zx's goods, which load the whole of zx): \r and
  // ESC [K (erase to the end of the line) are terminal controls, not colours, so not chalk's
  private clearProgress(): void {
    if (this.shown) this.err.write('\r\x1b[K');
    this.shown = false;
  }
  private drawProgress(): void {
    if (!this.running.size) return this.clearProgress();
    const now = Date.now();
    const [host, cur] = [...this.running].sort((a, b) => a[1].since - b[1].since)[0];
    const secs = Math.floor((now - cur.since) / 1000);
    const others = this.running.size > 1 ? ` (+${this.running.size - 1} more host${this.running.size > 2 ? 's' : ''} busy)` : '';
    const text = `… ${host}: ${cur.task}${secs >= 1 ? ` ${secs}s` : ''}${others}`;
    const width = (this.err as NodeJS.WriteStream).columns || 100;
    this.err.write('\r\x1b[K' + this.c('dim', text.slice(0, width - 1)));
    this.shown = true;
  }
  taskStart(host: string, task: string): void {
    if (!this.progressOn) return;
    this.running.set(host, { task, since: Date.now() });
    if (!this.timer) {
      this.timer = setInterval(() => this.drawProgress(), 250);
      this.timer.unref();
    }
  }
  hostDone(host: string): void {
    this.running.delete(host);
  }
  stopProgress(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    this.running.clear();
    this.clearProgress();
  }
  command(host: string, line: string): void {
    if (this.o.verbose && !this.o.json) this.clearProgress();
    if (this.o.verbose && !this.o.json) this.err.write(this.c('dim', `${host}: $ ${line.trim().split('\n').join('\n    ')}`) + '\n');
  }
  taskResult(r: TaskResult): void {
    this.running.delete(r.host);
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
    this.stopProgress();
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
    .map((l) => (l.startsWith('+') && !l.startsWith('+++') ? C.green(l) : l.startsWith('-') && !l.startsWith('---') ? C.red(l) : l))
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
