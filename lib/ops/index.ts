// The operations layer: every change a task makes to a host goes through one of these, in
// pyinfra's and Ansible's manner: read the current state (from the run's snapshot), compute the
// change with a pure function, write only the difference, and notify handlers only when something
// was written. Check mode, diff, backup, rollback, owner and mode are handled once, below
// (h.write in lib/host-session.ts), so no task has a check-mode branch of its own.
import { createHash } from 'node:crypto';
import type { HostHandle, PeerHandle, PutSpec, WriteSpec } from '../types.js';

type Handle = Pick<HostHandle, 'name' | 'files' | 'write' | 'notify' | 'warn' | 'checkMode' | 'changed' | '$'>;

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
 * Put whole files (certificates, a key copied from a peer through memory): those whose content,
 * owner or mode differ are written, all in one round trip (each file atomically, with its backup),
 * and the handlers are notified once. A secret is compared by digest and never shown; a peer's
 * file is compared by digest too, and its content read from the peer, into memory, only when it is
 * to be written, never in check mode (which reports the change without reading the secret). Made
 * content (`make`) is made only in a real run, when the task has decided the file is to be written.
 * True when something changed.
 */
export async function put(h: Handle, spec: PutSpec | readonly PutSpec[], o?: OpOptions): Promise<boolean> {
  const specs: readonly PutSpec[] = Array.isArray(spec) ? spec : [spec as PutSpec];
  const secretOf = (s: PutSpec) => ('from' in s ? (s.secret ?? true) : !!s.secret);
  // what each file should hold, as a digest: the content's, or the peer's file's (one read per peer)
  const want = new Map<PutSpec, string>();
  for (const [peer, of] of byPeer(specs)) {
    const src = await peer.files(of.map((s) => ({ path: s.from.path, digestOnly: true, secret: secretOf(s) })));
    src.forEach((f, i) => {
      if (!f.exists) throw new Error(`${peer.name} has no ${of[i].from.path}`);
      want.set(of[i], f.sha256!);
    });
  }
  for (const s of specs) if ('content' in s) want.set(s, createHash('sha256').update(Buffer.from(s.content)).digest('hex'));
  const cur = await h.files(specs.map((s) => ({ path: s.path, digestOnly: secretOf(s), secret: secretOf(s) || undefined })));
  const todo = specs.filter((s, i) => {
    const c = cur[i];
    // made content (`make`) is not known before it is made: written (h.write skips it if the same)
    const same =
      want.has(s) &&
      c.exists &&
      c.sha256 === want.get(s) &&
      (s.mode === undefined || c.mode === s.mode) &&
      (s.owner === undefined || c.owner === s.owner) &&
      (s.group === undefined || c.group === s.group);
    return !same;
  });
  if (!todo.length) return false;
  // a peer's file that is to be written: its content, read now (one read per peer); in check mode,
  // only said
  const content = new Map<PutSpec, Buffer>();
  for (const [peer, of] of byPeer(todo)) {
    if (h.checkMode) {
      for (const s of of) h.changed(`update ${s.path} from ${peer.name}:${s.from.path} (${secretOf(s) ? 'secret content; not shown' : 'content not read in check mode'})`);
      continue;
    }
    const full = await peer.files(of.map((s) => ({ path: s.from.path, secret: secretOf(s) })));
    full.forEach((f, i) => content.set(of[i], f.content!));
  }
  const writes: WriteSpec[] = [];
  for (const s of todo) {
    if ('content' in s) writes.push(s);
    else if ('from' in s) {
      if (content.has(s)) writes.push({ path: s.path, content: content.get(s)!, mode: s.mode, owner: s.owner, group: s.group, secret: secretOf(s) });
    } else if (h.checkMode) h.changed(`${cur[specs.indexOf(s)].exists ? 'update' : 'create'} ${s.path} (${s.describe})`);
    else writes.push({ path: s.path, content: await s.make(), mode: s.mode, owner: s.owner, group: s.group, secret: s.secret });
  }
  if (writes.length) await h.write(writes); // one round trip, in the order given
  notifyAll(h, o);
  return true;
}

type FromSpec = Extract<PutSpec, { from: unknown }>;

/** The specs copied from peers, grouped by peer (by name: each h.peer() is a new handle), in the order given. */
function byPeer(specs: readonly PutSpec[]): Array<[PeerHandle, FromSpec[]]> {
  const m = new Map<string, [PeerHandle, FromSpec[]]>();
  for (const s of specs) {
    if (!('from' in s)) continue;
    const g = m.get(s.from.peer.name) ?? [s.from.peer, []];
    g[1].push(s);
    m.set(s.from.peer.name, g);
  }
  return [...m.values()];
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
