// Quoting for a POSIX shell (sh/dash on the hosts). zx's own quote() emits bash's $'...' form,
// which dash does not understand, so remote commands are built with this instead.

const SAFE = /^[A-Za-z0-9_\/.,:=@%+-]+$/;

/** One argument, quoted so that a POSIX shell reads it back byte for byte. */
export function shq(value: string | number): string {
  const s = String(value);
  if (s === '') return "''";
  if (SAFE.test(s)) return s;
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

/** A command line from an argument vector: every element quoted. */
export function shJoin(argv: ReadonlyArray<string | number>): string {
  return argv.map(shq).join(' ');
}
