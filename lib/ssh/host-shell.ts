// zx's own `$`, configured for one host: commands are quoted for a POSIX shell (lib/shell.ts: zx's
// default quote writes bash's $'…', which dash, Debian's /bin/sh, does not read) and spawned over
// the host's connection instead of locally. What comes back is zx's ProcessPromise/ProcessOutput:
// `.nothrow()`, `.quiet()`, `.stdout`, `.exitCode`, `$({ input })`… as with a local `$`.
import { $, type Shell } from 'zx/core'; // zx's core only: the whole of zx (globby, fs-extra…) costs ~100 ms more at start
import { shq } from '../shell.js';
import type { RemoteChild } from './remote-child.js';

/** Runs a shell command line on the host as root (sh -c), returning a child-process-like object. */
export type RemoteSpawn = (commandLine: string) => RemoteChild;

export function hostShell(spawnRemote: RemoteSpawn): Shell {
  const spawn = ((cmd: string) => spawnRemote(cmd)) as unknown as typeof import('node:child_process').spawn;
  return $({ spawn, quote: (s: string) => shq(s), prefix: '', postfix: '', quiet: true, verbose: false });
}
