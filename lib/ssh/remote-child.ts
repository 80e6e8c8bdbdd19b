// A command running on a host, shaped like the ChildProcess that zx's `spawn` option must return
// (stdout and stderr streams, a stdin to write or pipe into, 'exit' and 'close' with the exit code),
// so that zx's own `$` runs commands on a host: `await h.$\`make -C /etc/mail\``. Node has no such
// adapter for an SSH channel, and zx expects exactly this much of a child, so it is written here.
import { EventEmitter } from 'node:events';
import { PassThrough, type Duplex, type Readable } from 'node:stream';
import { finished } from 'node:stream/promises';

/** The part of an ssh2 exec channel that is used (also implemented by the fake host in tests). */
export interface ExecStream extends Duplex {
  stderr: Readable;
  signal?(name: string): unknown;
  close?(): unknown;
}

export class RemoteChild extends EventEmitter {
  readonly stdout = new PassThrough();
  readonly stderr = new PassThrough();
  readonly stdin = new PassThrough();
  readonly pid = undefined;
  exitCode: number | null = null;
  signalCode: NodeJS.Signals | null = null;
  killed = false;
  private stream?: ExecStream;

  /** Connect the child to the channel once it is open; `stdinPrefix` goes first (sudo's password). */
  attach(stream: ExecStream, stdinPrefix = ''): void {
    this.stream = stream;
    this.emit('spawn');
    stream.pipe(this.stdout);
    stream.stderr.pipe(this.stderr);
    if (stdinPrefix) stream.write(stdinPrefix);
    this.stdin.pipe(stream);
    let code: number | null = null;
    let signal: NodeJS.Signals | null = null;
    stream.on('exit', (c: number | null, s?: string) => {
      code = c;
      signal = (s ? `SIG${s}` : null) as NodeJS.Signals | null;
    });
    stream.on('error', (e: Error) => this.fail(e));
    stream.on('close', () => {
      // every byte the command printed is delivered before 'close', as with a local child
      void Promise.all([finished(this.stdout).catch(() => undefined), finished(this.stderr).catch(() => undefined)]).then(() => {
        this.exitCode = code ?? (signal ? null : 255);
        this.signalCode = signal;
        this.emit('exit', this.exitCode, signal);
        this.emit('close', this.exitCode, signal);
      });
    });
  }

  /** A child that has already run: for check mode (nothing runs) and for fake hosts in tests. */
  static finished(code: number, stdout = '', stderr = ''): RemoteChild {
    const c = new RemoteChild();
    queueMicrotask(() => {
      c.emit('spawn');
      c.stdout.end(stdout);
      c.stderr.end(stderr);
      c.stdin.resume(); // input written by zx goes nowhere
      void Promise.all([finished(c.stdout).catch(() => undefined), finished(c.stderr).catch(() => undefined)]).then(() => {
        c.exitCode = code;
        c.emit('exit', code, null);
        c.emit('close', code, null);
      });
    });
    return c;
  }

  /** The channel could not be opened: 'error', then 'close' as a failed child. */
  fail(e: Error): void {
    if (this.exitCode !== null) return;
    this.exitCode = 255;
    this.emit('error', e);
    this.stdout.end();
    this.stderr.end();
    this.emit('exit', 255, null);
    this.emit('close', 255, null);
  }

  /** A child that starts once `ready` resolves (fails with its error otherwise): a command that
   *  must wait for something, such as writes of the same host still to be sent. */
  static after(ready: Promise<unknown>, start: () => RemoteChild): RemoteChild {
    const c = new RemoteChild();
    ready.then(
      () => {
        if (c.killed) return c.fail(new Error('killed before it started'));
        const real = start();
        c.inner = real;
        real.on('spawn', () => c.emit('spawn'));
        real.stdout.pipe(c.stdout);
        real.stderr.pipe(c.stderr);
        c.stdin.pipe(real.stdin);
        real.on('error', (e: Error) => c.emit('error', e));
        real.on('exit', (code: number | null, sig: NodeJS.Signals | null) => {
          c.exitCode = code;
          c.signalCode = sig;
          c.emit('exit', code, sig);
        });
        real.on('close', (code: number | null, sig: NodeJS.Signals | null) => {
          void Promise.all([finished(c.stdout).catch(() => undefined), finished(c.stderr).catch(() => undefined)]).then(() => c.emit('close', code, sig));
        });
      },
      (e: Error) => c.fail(e),
    );
    return c;
  }
  private inner?: RemoteChild;

  kill(signal: NodeJS.Signals = 'SIGTERM'): boolean {
    this.killed = true;
    if (this.inner) return this.inner.kill(signal);
    if (!this.stream) return false;
    this.stream.signal?.(signal.replace(/^SIG/, ''));
    this.stream.close?.();
    return true;
  }
}
