// The run's snapshot of a host's files: what was read (content, or only a digest for secrets),
// reused by every task and peer read of the run, and the secrets it holds registered for masking.
import { createHash } from 'node:crypto';
import type { ReadSpec, RemoteFile } from './types.js';

export function normSpec(s: string | ReadSpec): ReadSpec {
  return typeof s === 'string' ? { path: s } : s;
}
export function cacheHas(cache: Map<string, RemoteFile>, s: ReadSpec): boolean {
  const f = cache.get(s.path);
  if (!f) return false;
  // a summary stands for the content only where the asker takes one (ReadSpec.summary)
  return s.digestOnly || !f.exists || f.content !== undefined || (s.summary !== undefined && f.summary?.path === s.summary);
}
export function remember(f: RemoteFile, cache: Map<string, RemoteFile>, addSecret: (s: string) => void): void {
  if (f.secret && f.content) registerSecret(f.content.toString('utf8'), addSecret);
  cache.set(f.path, f);
}
/** A secret's whole text and each of its long lines, so that a fragment is masked too. */
export function registerSecret(text: string, addSecret: (s: string) => void): void {
  addSecret(text.trim());
  for (const line of text.split('\n')) if (line.trim().length >= 16 && !line.startsWith('-----')) addSecret(line.trim());
}

export function sha256(b: Buffer): string {
  return createHash('sha256').update(b).digest('hex');
}
