// The test data files of test/unit/fixtures/ (read from the checkout: dist/test/support/*.js finds
// them at ../../../test/unit/fixtures/).
import { readFileSync } from 'node:fs';

export function fixture(name: string): string {
  return readFileSync(new URL(`../../../test/unit/fixtures/${name}`, import.meta.url), 'utf8');
}

/** Option lines of Debian 12's sendmail.cf with Debian's starttls.m4 (from a lab server after
 *  deploy), with the comment lines around them that a reader must pass over. */
export const DEBIAN_CF = fixture('sendmail.cf.debian12');

/** Only its live `O` lines: what `grep '^O …='` on that sendmail.cf (or on m4's output) prints. */
export const DEBIAN_CF_OPTIONS = DEBIAN_CF.split('\n').filter((l) => l.startsWith('O ')).join('\n');
