// The operations layer: every change a task makes to a host goes through one of these, in
// pyinfra's and Ansible's manner: read the current state (from the run's snapshot), compute the
// change with a pure function, write only the difference, and notify handlers only when something
// was written. Check mode, diff, backup, rollback, owner and mode are handled once, below
// (h.write in lib/runner.ts), so no task has a check-mode branch of its own.
import { createHash } from 'node:crypto';
import type { HostHandle, PeerHandle, WriteSpec } from '../types.js';

type Handle = Pick<HostHandle, 'name' | 'files' | 'write' | 'notify' | 'warn' | 'checkMode' | 'changed' | '$'>;

/** Where put() copies a file from: another host of the run (a laptop's server), through memory only. */
export interface PeerSource {
  peer: PeerHandle;
  path: string;
}

export interface OpOptions {
  /** handlers to notify when the operation changed something */
  notify?: string | string[];
}

function notifyAll(h: Handle, o: OpOptions | undefined): void {
  for (const n of [o?.notify ?? []].flat()) h.notify(n);
}

/** What an edit function may return: the new text, or the new text with warnings to show. */
export type EditResult = string | { text: string; warnings?: string[] };

/**
 * Edit a text file: `fn` gets its current text ('' when it does not exist, with `exists` false)
 * and returns the new text; the file is written only when that differs. Returns true when changed.
 */
export async function edit(
  h: Handle,
  path: string,
  fn: (text: string, exists: boolean) => EditResult,
  o?: OpOptions & { mode?: number; owner?: string; group?: string },
): Promise<boolean> {
  const [cur] = await h.files([path]);
  const before = cur.exists ? cur.content!.toString('utf8') : '';
  let r: EditResult;
  try {
    r = fn(before, cur.exists);
  } catch (e) {
    // a pure edit that cannot be made (no anchor, a value that would break the file): name where
    throw new Error(`${h.name}:${path}: ${(e as Error).message}`);
  }
  const after = typeof r === 'string' ? r : r.text;
  if (typeof r !== 'string') for (const w of r.warnings ?? []) h.warn(`${path}: ${w}`);
  if (cur.exists && after === before) return false;
  if (!cur.exists && after === '') return false;
  // an existing file keeps its owner and mode; mode/owner/group are for a file this edit creates
  await h.write([{ path, content: after, ...(cur.exists ? {} : { mode: o?.mode, owner: o?.owner, group: o?.group }) }]);
  notifyAll(h, o);
  return true;
}

/**
 * Put a whole file (a certificate, a key copied from a peer through memory): written when its
 * content, owner or mode differ. A secret is compared by digest and never shown. True when changed.
 */
export async function put(h: Handle, spec: WriteSpec | (Omit<WriteSpec, 'content'> & { from: PeerSource }), o?: OpOptions): Promise<boolean> {
  if ('from' in spec) return putFrom(h, spec, o);
  const [cur] = await h.files([{ path: spec.path, digestOnly: !!spec.secret, secret: spec.secret }]);
  const want = createHash('sha256').update(Buffer.from(spec.content)).digest('hex');
  const same =
    cur.exists &&
    cur.sha256 === want &&
    (spec.mode === undefined || cur.mode === spec.mode) &&
    (spec.owner === undefined || cur.owner === spec.owner) &&
    (spec.group === undefined || cur.group === spec.group);
  if (same) return false;
  await h.write([spec]);
  notifyAll(h, o);
  return true;
}

/**
 * Copy a peer's file (a key) when its digest, owner or mode differ. Only digests are compared: the
 * content is read from the peer, into memory, only when it is to be written, and never in check
 * mode (which reports the change without reading the secret).
 */
async function putFrom(h: Handle, spec: Omit<WriteSpec, 'content'> & { from: PeerSource }, o?: OpOptions): Promise<boolean> {
  const secret = spec.secret ?? true;
  const [src] = await spec.from.peer.files([{ path: spec.from.path, digestOnly: true, secret }]);
  if (!src.exists) throw new Error(`${spec.from.peer.name} has no ${spec.from.path}`);
  const [cur] = await h.files([{ path: spec.path, digestOnly: true, secret }]);
  const same =
    cur.exists &&
    cur.sha256 === src.sha256 &&
    (spec.mode === undefined || cur.mode === spec.mode) &&
    (spec.owner === undefined || cur.owner === spec.owner) &&
    (spec.group === undefined || cur.group === spec.group);
  if (same) return false;
  if (h.checkMode) {
    h.changed(`update ${spec.path} from ${spec.from.peer.name}:${spec.from.path} (${secret ? 'secret content; not shown' : 'content not read in check mode'})`);
  } else {
    const [full] = await spec.from.peer.files([{ path: spec.from.path, secret }]);
    await h.write([{ path: spec.path, content: full.content!, mode: spec.mode, owner: spec.owner, group: spec.group, secret }]);
  }
  notifyAll(h, o);
  return true;
}

/**
 * Owner and mode of an existing file whose content is not to be read (a key): chown/chmod when
 * they differ. True when changed; false when they are right or the file does not exist.
 */
export async function attrs(h: Handle, path: string, want: { mode: number; owner: string; group: string }, o?: OpOptions): Promise<boolean> {
  const [cur] = await h.files([{ path, digestOnly: true, secret: true }]);
  if (!cur.exists) return false;
  if (cur.mode === want.mode && cur.owner === want.owner && cur.group === want.group) return false;
  const mode = want.mode.toString(8).padStart(4, '0');
  await h.$`chown ${`${want.owner}:${want.group}`} -- ${path} && chmod ${mode} -- ${path}`;
  notifyAll(h, o);
  return true;
}

/** Remove files that exist. True when something was removed. */
export async function absent(h: Handle, paths: string[], o?: OpOptions): Promise<boolean> {
  const cur = await h.files(paths.map((path) => ({ path, digestOnly: true, secret: true })));
  const there = cur.filter((f) => f.exists).map((f) => f.path);
  if (!there.length) return false;
  await h.$`rm -f -- ${there}`;
  notifyAll(h, o);
  return true;
}
