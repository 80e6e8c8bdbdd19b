// What the roles run on hosts from files/ (shell scripts, checked by sh -n/bash -n and shellcheck in
// the tests): read once from the checkout (dist/roles/*.js finds it at ../../files/).
import { readFileSync } from 'node:fs';

const cache = new Map<string, string>();

/** The text of files/NAME. */
export function hostFile(name: string): string {
  let t = cache.get(name);
  if (t === undefined) {
    t = readFileSync(new URL(`../../files/${name}`, import.meta.url), 'utf8');
    cache.set(name, t);
  }
  return t;
}
