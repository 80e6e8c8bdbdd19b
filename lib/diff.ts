// Unified diffs of text files for --diff; secret files only say that they change.
import { createTwoFilesPatch } from 'diff';

export function unifiedDiff(path: string, before: string | undefined, after: string, secret = false): string {
  if (secret) return `--- ${path}\n+++ ${path}\n(secret content ${before === undefined ? 'created' : 'changed'}; not shown)\n`;
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
