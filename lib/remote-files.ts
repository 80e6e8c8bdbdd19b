// Shell scripts that read and write files on a host in one round trip (their text is in lib/sh/*.sh,
// checked by sh -n and shellcheck in the tests), and the parser of what the read script prints.
// Builds text and parses text; the connection sends it.
import { createHash, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { shq } from './shell.js';
import type { Probe, ReadSpec, RemoteFile, RunResult, WriteSpec } from './types.js';

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

/** A script printing each file (its bytes, or its sha256 only) and each probe's exit code and output. */
export function readScript(files: ReadSpec[], probes: Record<string, Probe> = {}): string {
  const names = Object.keys(probes);
  if (!files.length && !names.length) return '';
  // frames the raw output (file contents, probe output): printed first, so nothing read can forge it
  const nonce = randomBytes(8).toString('hex');
  let s = shellScript('read.sh') + `nonce=${nonce}\necho "@N $nonce"\n`;
  // one call for every file: contents (c), digests (d), contents or their summaries (s, each followed
  // by its summary, u) (lib/sh/read.sh: rs)
  if (files.length) {
    const ids: string[] = [];
    const kinds: string[] = [];
    const paths: string[] = [];
    files.forEach((f, i) => {
      const summary = f.summary !== undefined && !f.digestOnly && !f.secret;
      ids.push(String(i));
      kinds.push(f.digestOnly ? 'd' : summary ? 's' : 'c');
      paths.push(shq(f.path));
      if (summary) ids.push(`${i}u`), kinds.push('u'), paths.push(shq(f.summary!));
    });
    s += `rs '${ids.join(' ')}' '${kinds.join(' ')}' ${paths.join(' ')}\n`;
  }
  // p: in a subshell; q: a builtins-only probe, in this shell (lib/sh/read.sh)
  names.forEach((n, i) => {
    const pr = probes[n];
    s += typeof pr === 'string' ? `p ${i} ${shq(pr)}\n` : `q ${i} ${shq(pr.builtins)}\n`;
  });
  return s;
}

export interface ReadResult {
  files: RemoteFile[];
  probes: Record<string, RunResult>;
}

/** A batch of files that came back other than its sizes said: one of them changed while it was read;
 *  or a summary whose signature is not its file's (ReadSpec.summary): the file is read whole. The
 *  probes' answers (all there) come with it. */
export class ReadRaceError extends Error {
  constructor(
    message: string,
    readonly probes: Record<string, RunResult>,
  ) {
    super(message);
  }
}

/**
 * The read's output with every raw section ("@R NONCE" … "\n@R NONCE") cut out: the text that is left
 * (a line "@R <k>" where section k was), the sections' bytes, and the nonce (the frame mark of the
 * raw sections and of the probes' output; empty when the output has none).
 */
function cutRaw(out: Buffer): { text: string; raw: Buffer[]; nonce: string } {
  // the first "@N" line (the read prints it before anything it reads)
  const m = /(?:^|\n)@N ([0-9a-f]+)\n/.exec(out.subarray(0, 4096).toString('latin1'));
  if (!m) return { text: out.toString('utf8'), raw: [], nonce: '' };
  const open = Buffer.from(`\n@R ${m[1]}\n`);
  const raw: Buffer[] = [];
  const parts: string[] = [];
  let at = 0;
  for (;;) {
    const o = out.indexOf(open, at);
    if (o < 0) break;
    const start = o + open.length;
    const close = out.indexOf(open, start);
    if (close < 0) break; // cut short: reported below as no answer
    parts.push(out.subarray(at, o + 1).toString('utf8'), `@R ${raw.length}`);
    raw.push(out.subarray(start, close));
    at = close + open.length - 1; // the newline after the closing mark ends the placeholder's line
  }
  parts.push(out.subarray(at).toString('utf8'));
  return { text: parts.join(''), raw, nonce: m[1] };
}

/** Parse what readScript printed. Throws when a record is missing or malformed. */
export function parseReadOutput(out: Buffer | string, files: ReadSpec[], probes: Record<string, Probe> = {}): ReadResult {
  const { text, raw, nonce } = cutRaw(Buffer.isBuffer(out) ? out : Buffer.from(out, 'utf8'));
  const lines = text.split('\n');
  const got = new Map<number, RemoteFile>();
  const probeNames = Object.keys(probes);
  const gotProbes: Record<string, RunResult> = {};
  let race: string | undefined;
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i];
    if (line.startsWith('@S ')) {
      // a batch: stat lines, digests of the d files, the c files' bytes, then "@Z ok" (or "@Z fail":
      // void, the files follow one by one)
      let end = i + 1;
      while (end < lines.length && !lines[end].startsWith('@Z ')) end++;
      if (end >= lines.length) break; // cut short: reported below as no answer
      if (lines[end] !== '@Z ok') {
        i = end;
        continue;
      }
      const allIds = line.slice(3).split(' ');
      const body = lines.slice(i + 1, end);
      i = end;
      const batch: RemoteFile[] = [];
      const ids: number[] = [];
      // a file's signature (inode, size, mtime and ctime to the nanosecond), as a summary's first line
      // holds it; and each present summary's size, by its file's index
      const signature = new Map<RemoteFile, string>();
      const summarySize = new Map<number, number>();
      let k = 0;
      for (const id of allIds) {
        const isSummary = id.endsWith('u');
        const idx = Number(isSummary ? id.slice(0, -1) : id);
        const spec = files[idx];
        const fields = (body[k++] ?? '').split(' ');
        if (!spec || fields.length !== 8) throw new Error(`unexpected file record ${id}: ${fields.join(' ')}`);
        const [mode, owner, group, mtime, size, inode, mtimeNs, ctimeNs] = fields;
        if (isSummary) {
          summarySize.set(idx, Number(size));
          continue;
        }
        const rf: RemoteFile = { path: spec.path, exists: true, mode: parseInt(mode, 8), owner, group, mtime: Number(mtime), size: Number(size), secret: spec.secret || spec.digestOnly };
        signature.set(rf, `${inode} ${size} ${mtimeNs} ${ctimeNs}`);
        got.set(idx, rf);
        batch.push(rf);
        ids.push(idx);
      }
      ids.forEach((idx, j) => {
        if (!files[idx].digestOnly) return;
        const digest = (body[k++] ?? '').replace(/^\\/, '').slice(0, 64);
        if (!/^[0-9a-f]{64}$/.test(digest)) throw new Error(`cannot read ${files[idx].path}: no digest`);
        batch[j].sha256 = digest;
      });
      // the s files whose summary came in their place
      const used = new Set<number>();
      if ((body[k] ?? '').startsWith('@U ')) for (const u of body[k++].slice(3).split(' ')) used.add(Number(u));
      const contents = batch.map((rf, j) => ({ rf, idx: ids[j] })).filter(({ idx }) => !files[idx].digestOnly);
      const sizeOf = ({ rf, idx }: { rf: RemoteFile; idx: number }) => (used.has(idx) ? summarySize.get(idx) : rf.size) ?? 0;
      if (contents.length) {
        const m = /^@R (\d+)$/.exec(body[k++] ?? '');
        const blob = m ? raw[Number(m[1])] : undefined;
        if (!blob) throw new Error(`no answer for ${contents[0].rf.path}: the host's shell output was cut short`);
        const want = contents.reduce((a, c) => a + sizeOf(c), 0);
        if (blob.length !== want) {
          race ??= `cannot read ${contents.map((c) => c.rf.path).join(', ')}: the host sent ${blob.length} bytes for ${want} (a file changed while it was read)`;
          continue;
        }
        let at = 0;
        for (const c of contents) {
          const bytes = blob.subarray(at, at + sizeOf(c));
          at += sizeOf(c);
          if (!used.has(c.idx)) {
            c.rf.content = bytes;
            c.rf.sha256 = createHash('sha256').update(bytes).digest('hex');
            continue;
          }
          // the summary counts only when its first line is the file's own signature as read now
          const nl = bytes.indexOf(10);
          if (nl < 0 || bytes.toString('latin1', 0, nl) !== signature.get(c.rf)) {
            race ??= `${c.rf.path}: its summary ${files[c.idx].summary} is not of the file as it is (it is read whole)`;
            continue;
          }
          c.rf.summary = { path: files[c.idx].summary!, text: bytes.subarray(nl + 1) };
        }
      }
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
      if (body.startsWith('!')) throw new Error(`cannot read ${spec.path} (permission denied?)`);
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
      if (spec.digestOnly) {
        const digest = body.trim().slice(0, 64);
        if (!/^[0-9a-f]{64}$/.test(digest)) throw new Error(`cannot read ${spec.path}: no digest`);
        rf.sha256 = digest;
      } else {
        rf.content = Buffer.from(body, 'base64');
        rf.sha256 = createHash('sha256').update(rf.content).digest('hex');
      }
      got.set(idx, rf);
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
  for (const n of probeNames) if (!gotProbes[n]) throw new Error(`no answer for probe ${n}`);
  if (race) throw new ReadRaceError(race, gotProbes);
  const result: RemoteFile[] = files.map((f, i) => {
    const r = got.get(i);
    if (!r || (r.exists && !f.digestOnly && !r.content && !r.summary)) throw new Error(`no answer for ${f.path}: the host's shell output was cut short`);
    return r;
  });
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
