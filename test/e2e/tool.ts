// Runs the tool's entry points the way an admin does (a separate node process), against the lab.
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, statSync, lstatSync } from 'node:fs';
import { join } from 'node:path';
import { labPaths, hostRoot } from './helpers.js';

export interface ToolResult {
  code: number;
  stdout: string;
  stderr: string;
}

const root = new URL('../../../', import.meta.url).pathname;

/** node dist/scripts/<script>.js with the lab's inventory and known_hosts unless overridden. */
export function tool(script: string, args: string[] = [], opts: { env?: Record<string, string>; lab?: boolean; timeoutMs?: number; cwd?: string } = {}): Promise<ToolResult> {
  // -i may be given several times (the inventories add up, as in Ansible): the lab's inventory only
  // when the test names none
  const ownInventory = args.includes('-i') || args.includes('--inventory');
  const labArgs = opts.lab === false ? [] : [...(ownInventory ? [] : ['-i', labPaths.inventory]), '--known-hosts', labPaths.knownHosts];
  return new Promise((resolve, reject) => {
    const p = spawn(process.execPath, [join(root, 'dist', 'scripts', `${script}.js`), ...labArgs, ...args], {
      cwd: opts.cwd ?? root,
      env: { ...process.env, NO_COLOR: '1', ...opts.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    p.stdout.on('data', (d) => (stdout += d));
    p.stderr.on('data', (d) => (stderr += d));
    const timer = setTimeout(() => p.kill('SIGKILL'), opts.timeoutMs ?? 180_000);
    p.on('error', reject);
    p.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code: code ?? (signal ? 128 : -1), stdout, stderr });
    });
  });
}

/** The recap figures per host from the tool's plain output. */
export function recap(out: string): Record<string, { ok: number; changed: number; failed: number; unreachable: number }> {
  const r: Record<string, { ok: number; changed: number; failed: number; unreachable: number }> = {};
  for (const m of out.matchAll(/^(\S+)\s*: ok=(\d+) changed=(\d+) failed=(\d+) unreachable=(\d+)/gm)) {
    r[m[1]] = { ok: +m[2], changed: +m[3], failed: +m[4], unreachable: +m[5] };
  }
  return r;
}

/** sha256 of every file under a host's /etc/mail (path -> digest, mode, owner), read from its root. */
export function etcMailSums(host: string): Record<string, string> {
  const base = join(hostRoot(host), 'etc', 'mail');
  const out: Record<string, string> = {};
  const walk = (dir: string) => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      const p = join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.isFile()) {
        const st = statSync(p);
        out[p.slice(base.length)] = `${createHash('sha256').update(readFileSync(p)).digest('hex')} ${(st.mode & 0o7777).toString(8)} ${st.uid}:${st.gid}`;
      } else if (lstatSync(p).isSymbolicLink()) out[p.slice(base.length)] = 'link';
    }
  };
  walk(base);
  return out;
}

/** mtime (ms) of a file inside a lab host. */
export function mtimeOf(host: string, path: string): number {
  return statSync(join(hostRoot(host), path)).mtimeMs;
}

/**
 * Run an entry point and send `signal` to it as soon as its output matches `trigger` (e.g. a task
 * line): the run is cut at that point. Resolves with what it printed and whether the trigger fired.
 */
export function toolKilledAt(script: string, args: string[], trigger: RegExp, signal: NodeJS.Signals = 'SIGKILL', onTrigger?: () => Promise<void> | void): Promise<ToolResult & { fired: boolean }> {
  const labArgs = ['-i', labPaths.inventory, '--known-hosts', labPaths.knownHosts];
  return new Promise((resolve, reject) => {
    const p = spawn(process.execPath, [join(root, 'dist', 'scripts', `${script}.js`), ...labArgs, ...args], {
      cwd: root,
      env: { ...process.env, NO_COLOR: '1' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    let fired = false;
    const check = () => {
      if (!fired && trigger.test(stdout + stderr)) {
        fired = true;
        if (onTrigger) void Promise.resolve(onTrigger()).catch(() => undefined);
        else p.kill(signal);
      }
    };
    p.stdout.on('data', (d) => ((stdout += d), check()));
    p.stderr.on('data', (d) => ((stderr += d), check()));
    const timer = setTimeout(() => p.kill('SIGKILL'), 180_000);
    p.on('error', reject);
    p.on('close', (code, sig) => {
      clearTimeout(timer);
      resolve({ code: code ?? (sig ? 128 + (sig === 'SIGKILL' ? 9 : 15) : -1), stdout, stderr, fired });
    });
  });
}
