// Shell scripts that read and write files on a host in one round trip (their text is in lib/sh/*.sh,
// checked by sh -n and shellcheck in the tests), and the parser of what the read script prints.
// Builds text and parses text; the connection sends it.
import { createHash, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { shq } from './shell.js';
import type { ReadSpec, RemoteFile, RunResult, WriteSpec } from './types.js';

/**
 * A shell script of lib/sh/, read once (dist/lib/*.js finds it at the checkout's lib/sh/), without
 * its comment lines (they stay in the file for readers, not on every round trip's command line).
 */
const scripts = new Map<string, string>();
export function shellScript(name: string): string {
  let t = scripts.get(name);
  if (t === undefined) {
    const text = readFileSync(new URL(`../../lib/sh/${name}`, import.meta.url), 'utf8');
    t = text.split('\n').filter((l) => l.trim() !== '' && !l.trimStart().startsWith('#')).join('\n') + '\n';
    scripts.set(name, t);
  }
  return t;
}

/** A script printing each file (base64, or its sha256 only) and each probe's exit code and output. */
export function readScript(files: ReadSpec[], probes: Record<string, string> = {}): string {
  let s = '';
  if (files.length || Object.keys(probes).length) s += shellScript('read.sh');
  // one call for every file: contents (c) and digests (d) (lib/sh/read.sh: rs)
  if (files.length) s += `rs '${files.map((_, i) => i).join(' ')}' '${files.map((f) => (f.digestOnly ? 'd' : 'c')).join(' ')}' ${files.map((f) => shq(f.path)).join(' ')}\n`;
  const names = Object.keys(probes);
  if (names.length) {
    const nonce = randomBytes(8).toString('hex');
    s += `echo '@N ${nonce}'\n`;
    names.forEach((n, i) => (s += `p ${i} ${shq(probes[n])} ${nonce}\n`));
  }
  return s;
}

export interface ReadResult {
  files: RemoteFile[];
  probes: Record<string, RunResult>;
}

/** Parse what readScript printed. Throws when a record is missing or malformed. */
export function parseReadOutput(out: string, files: ReadSpec[], probes: Record<string, string> = {}): ReadResult {
  const lines = out.split('\n');
  const got = new Map<number, RemoteFile>();
  const probeNames = Object.keys(probes);
  const gotProbes: Record<string, RunResult> = {};
  let nonce = ''; // the script's frame mark for probe output, printed before any probe runs
  const batched: RemoteFile[] = []; // files whose content comes in the next @BLOB, in order
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i];
    if (line.startsWith('@BLOB ')) {
      const blob = Buffer.from(line.slice(6), 'base64');
      let at = 0;
      for (const rf of batched) {
        const end = at + (rf.size ?? 0);
        if (end > blob.length) throw new Error(`cannot read ${rf.path}: the host sent less than its size`);
        rf.content = blob.subarray(at, end);
        rf.sha256 = createHash('sha256').update(rf.content).digest('hex');
        at = end;
      }
      if (at !== blob.length) throw new Error(`cannot read ${batched.map((b) => b.path).join(', ')}: the host sent more than their sizes`);
      batched.length = 0;
      continue;
    }
    if (line.startsWith('@F ')) {
      const [, idxS, exists, mode, owner, group, mtime, size] = line.split(' ');
      const idx = Number(idxS);
      const spec = files[idx];
      if (!spec) throw new Error(`unexpected file record ${idxS}`);
      const body = lines[++i] ?? '';
      if (exists !== '1') {
        got.set(idx, { path: spec.path, exists: false, secret: spec.secret || spec.digestOnly });
        continue;
      }
      if (body === '!' || body.startsWith('!')) throw new Error(`cannot read ${spec.path} (permission denied?)`);
      const rf: RemoteFile = {
        path: spec.path,
        exists: true,
        mode: parseInt(mode, 8),
        owner,
        group,
        mtime: Number(mtime),
        size: Number(size),
        secret: spec.secret || spec.digestOnly,
      };
      if (body === '@B' && !spec.digestOnly) {
        batched.push(rf);
      } else if (spec.digestOnly) {
        const digest = body.trim().slice(0, 64);
        if (!/^[0-9a-f]{64}$/.test(digest)) throw new Error(`cannot read ${spec.path}: no digest`);
        rf.sha256 = digest;
      } else {
        rf.content = Buffer.from(body, 'base64');
        rf.sha256 = createHash('sha256').update(rf.content).digest('hex');
      }
      got.set(idx, rf);
    } else if (line.startsWith('@N ')) {
      nonce = line.slice(3);
    } else if (line.startsWith('@P ') && nonce) {
      const name = probeNames[Number(line.slice(3))];
      const body: string[] = [];
      let code: number | undefined;
      for (i++; i < lines.length; i++) {
        if (lines[i].startsWith(`@E${nonce} `) && /^\d+$/.test(lines[i].slice(nonce.length + 3))) {
          code = Number(lines[i].slice(nonce.length + 3));
          break;
        }
        body.push(lines[i]);
      }
      if (code === undefined) break; // cut short: reported below as no answer
      // like $(...): the framing newline and the output's trailing newlines go
      if (name !== undefined) gotProbes[name] = { code, stdout: body.join('\n').replace(/\n+$/, ''), stderr: '' };
    }
  }
  const result: RemoteFile[] = files.map((f, i) => {
    const r = got.get(i);
    if (!r || (r.exists && !f.digestOnly && !r.content)) throw new Error(`no answer for ${f.path}: the host's shell output was cut short`);
    return r;
  });
  for (const n of probeNames) if (!gotProbes[n]) throw new Error(`no answer for probe ${n}`);
  return { files: result, probes: gotProbes };
}

export interface WritePlan {
  script: string;
  /** stdin: the files' contents one after the other, as they are, in order */
  stdin: Buffer;
}

/**
 * A script that writes every file atomically: a temp file in the same folder, owner and mode
 * copied from the file it replaces (or as given), fsync, a dated backup of the old file kept next
 * to it (at most `keep` per file), then rename. Contents come on stdin, never on the command line.
 * One perl for all the files (lib/sh/write.pl: why perl there), given the files as its arguments.
 */
export function writeScript(specs: WriteSpec[], stamp: string, keep = 5, tag = 'bak'): WritePlan {
  const args = [`${tag}-${stamp}`, tag, String(Math.max(1, Math.floor(keep)))];
  const contents: Buffer[] = [];
  for (const w of specs) {
    const mode = w.mode !== undefined ? w.mode.toString(8).padStart(4, '0') : '';
    const own = w.owner || w.group ? `${w.owner ?? ''}:${w.group ?? ''}`.replace(/:$/, '') : '';
    const content = Buffer.from(w.content);
    args.push(w.path, mode, own, String(content.length));
    contents.push(content);
  }
  return { script: `exec perl -e ${shq(shellScript('write.pl'))} -- ${args.map(shq).join(' ')}\n`, stdin: Buffer.concat(contents) };
}

/** Where writeScript keeps the backup of `path` for this stamp. */
export function backupPath(path: string, stamp: string, tag = 'bak'): string {
  return `${path}.${tag}-${stamp}`;
}

/**
 * A script that puts files back as they were before this run: each from its backup (copied, then
 * renamed over the file, so the restore is atomic too), or removed when the run created it.
 */
export function rollbackScript(entries: Array<{ path: string; backup?: string }>): string {
  let s = 'set -e\n';
  for (const e of entries) {
    if (e.backup) s += `cp -p -- ${shq(e.backup)} ${shq(e.path + '.restore')} && mv -f -- ${shq(e.path + '.restore')} ${shq(e.path)}\n`;
    else s += `rm -f -- ${shq(e.path)}\n`;
  }
  return s;
}

/** A backup stamp like 20261128T215012Z, sortable. */
export function backupStamp(d = new Date()): string {
  return d.toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z');
}
