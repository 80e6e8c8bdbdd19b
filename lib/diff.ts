// Unified diffs of text files for --diff; secret files only say that they change.
// `diff` is loaded on the first diff only (a run without --diff never needs it).
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);

export function unifiedDiff(path: string, before: string | undefined, after: string, secret = false): string {
  if (secret) return `--- ${path}\n+++ ${path}\n(secret content ${before === undefined ? 'created' : 'changed'}; not shown)\n`;
  const { createTwoFilesPatch } = require('diff') as typeof import('diff');
  return createTwoFilesPatch(
    before === undefined ? '/dev/null' : `${path} (before)`,
    `${path} (after)`,
    before ?? '',
    after,
    undefined,
    undefined,
    { context: 3 },
  ).replace(/^=+\n/, '');
}
