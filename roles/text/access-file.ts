// Pure edits of /etc/mail/access text (the source of access.db, built by makemap). No disk, no network.
//
// The tool marks each line it writes with a comment directly above it:
//     # sendmail-tls-relay: server-issuer
//     CERTISSUER:/O=Sendmail/OU=Sendmail+20Server/CN=mail.example/emailAddress=admin@example	RELAY
// so a later run finds its own line by id and replaces it when it is stale (for instance after a
// certificate regeneration changed the issuer) instead of adding a second one.
//
// makemap folds keys to lower case and fails (exit 65) on duplicate keys, and sendmail's lookups
// ignore case: two lines whose keys (tag included) differ only in case are never produced.

/** The comment that marks a line the tool wrote; the id follows it. */
export const MARKER_PREFIX = '# sendmail-tls-relay: ';

/** One access-map line: `TAG:key<TAB>action`, e.g. `CERTISSUER:/O=...	RELAY`. */
export function accessLine(tag: string, key: string, action: string): string {
  if (/\s/.test(tag + key) || !tag) throw new Error(`access key must not contain whitespace: ${tag}:${key}`);
  if (/[\r\n]/.test(action) || !action.trim()) throw new Error(`bad access action: ${JSON.stringify(action)}`);
  return `${tag}:${key}\t${action}`;
}

/** An access line split as makemap splits it: the key up to the first whitespace, then the value.
 *  Undefined for comments, blank lines and lines starting with whitespace. */
export function parseAccessLine(line: string): { key: string; action: string } | undefined {
  const l = line.replace(/\r$/, '');
  if (l === '' || l.startsWith('#') || /^\s/.test(l)) return undefined;
  const m = /^(\S+)\s*(.*)$/.exec(l)!;
  return { key: m[1], action: m[2].trim() };
}

/** The result of an edit: the new text, whether it differs, and things the admin should know. */
export interface AccessEdit {
  text: string;
  changed: boolean;
  warnings: string[];
}

/** Where the tool's entry with this id is: its line (without the marker) and 1-based line number. */
export interface AccessEntry {
  line: string;
  lineNumber: number;
  key: string;
  action: string;
}

const sameKey = (a: string, b: string) => a.toLowerCase() === b.toLowerCase();
const sameAction = (a: string, b: string) => a.replace(/\s+/g, ' ').toLowerCase() === b.replace(/\s+/g, ' ').toLowerCase();

function checkId(id: string): string {
  if (!id.trim() || /[\r\n]/.test(id)) throw new Error(`bad access entry id: ${JSON.stringify(id)}`);
  return id.trim();
}

function markerId(line: string): string | undefined {
  const l = line.replace(/\r$/, '');
  return l.startsWith(MARKER_PREFIX) ? l.slice(MARKER_PREFIX.length).trim() : undefined;
}

interface Split {
  lines: string[];
  eol: string;
  finalEol: boolean;
}

function split(text: string): Split {
  const eol = text.includes('\r\n') ? '\r\n' : '\n';
  const finalEol = text === '' || text.endsWith('\n');
  const body = text.endsWith('\n') ? text.slice(0, -1) : text;
  const lines = text === '' ? [] : body.split('\n').map((l) => l.replace(/\r$/, ''));
  return { lines, eol, finalEol };
}

function join({ lines, eol, finalEol }: Split): string {
  if (lines.length === 0) return '';
  return lines.join(eol) + (finalEol ? eol : '');
}

// Index of the line each marker of `id` marks (the marker is at index - 1). A marker not directly
// followed by an entry line is an orphan (index of the marker itself, negative-coded as -1 - i).
function markedIndexes(lines: string[], id: string): { entries: number[]; orphans: number[] } {
  const entries: number[] = [];
  const orphans: number[] = [];
  lines.forEach((l, i) => {
    if (markerId(l) !== id) return;
    if (i + 1 < lines.length && parseAccessLine(lines[i + 1]) && markerId(lines[i + 1]) === undefined) entries.push(i + 1);
    else orphans.push(i);
  });
  return { entries, orphans };
}

/** Lines that look like the how-to's broken sed output: a DN without its `CERTISSUER:` tag. */
export function brokenHowtoLines(text: string): { lineNumber: number; line: string }[] {
  const found: { lineNumber: number; line: string }[] = [];
  split(text).lines.forEach((l, i) => {
    const p = parseAccessLine(l);
    if (p && /^(issuer=|subject=|\/)/i.test(p.key)) found.push({ lineNumber: i + 1, line: l });
  });
  return found;
}

/** The tool's entry with this id, if the file has one. */
export function findAccessEntry(text: string, id: string): AccessEntry | undefined {
  const { lines } = split(text);
  const i = markedIndexes(lines, checkId(id)).entries[0];
  if (i === undefined) return undefined;
  const p = parseAccessLine(lines[i])!;
  return { line: lines[i], lineNumber: i + 1, key: p.key, action: p.action };
}

/** Makes `line` present exactly once, marked with `id`:
 *  - the entry marked with `id` is kept when equivalent (key ignoring case, same action), replaced
 *    when stale;
 *  - else an unmarked line with the same key (an admin's, e.g. from the how-to) is adopted (marked)
 *    when its action is the same, replaced when it differs;
 *  - else marker and line are appended at the end.
 *  Other lines with the same key (which would make makemap fail) are removed, with a warning. A line
 *  with the same key marked with another id is a conflict: an Error. Everything else stays byte for
 *  byte (line endings and the final newline included). The how-to's broken lines are reported. */
export function ensureAccessEntry(text: string, entry: { id: string; line: string }): AccessEdit {
  const id = checkId(entry.id);
  const want = parseAccessLine(entry.line);
  if (!want || !want.action || /[\r\n]/.test(entry.line)) {
    throw new Error(`not an access line: ${JSON.stringify(entry.line)}`);
  }
  const s = split(text);
  const { lines } = s;
  const warnings: string[] = [];

  // A line with the same key that another id owns: refuse rather than produce a duplicate key.
  lines.forEach((l, i) => {
    const other = i > 0 ? markerId(lines[i - 1]) : undefined;
    const p = parseAccessLine(l);
    if (other !== undefined && other !== id && p && sameKey(p.key, want.key)) {
      throw new Error(`access line ${i + 1} has the key ${want.key} already, for "${other}" (wanted for "${id}")`);
    }
  });

  const { entries, orphans } = markedIndexes(lines, id);
  let keep: number | undefined = entries[0];
  if (keep === undefined) {
    keep = lines.findIndex((l, i) => {
      const p = parseAccessLine(l);
      return p !== undefined && sameKey(p.key, want.key) && (i === 0 || markerId(lines[i - 1]) === undefined);
    });
    if (keep < 0) keep = undefined;
  }

  // Work out the new lines: null = delete.
  const out: (string | null)[] = [...lines];
  const insertBefore = new Map<number, string[]>();
  for (const o of orphans) out[o] = null;
  for (const e of entries.slice(1)) {
    out[e - 1] = null;
    out[e] = null;
    warnings.push(`removed a second entry marked "${id}" (line ${e + 1}: ${lines[e]})`);
  }
  lines.forEach((l, i) => {
    const p = parseAccessLine(l);
    if (i === keep || out[i] === null || !p || !sameKey(p.key, want.key)) return;
    out[i] = null;
    warnings.push(`removed line ${i + 1} with the same key (makemap refuses duplicate keys): ${l}`);
  });

  if (keep === undefined) {
    out.push(MARKER_PREFIX + id, entry.line);
  } else {
    const have = parseAccessLine(lines[keep])!;
    const marked = entries[0] === keep;
    if (!sameKey(have.key, want.key) || !sameAction(have.action, want.action)) out[keep] = entry.line;
    if (!marked) insertBefore.set(keep, [MARKER_PREFIX + id]);
  }

  const result: string[] = [];
  out.forEach((l, i) => {
    result.push(...(insertBefore.get(i) ?? []));
    if (l !== null) result.push(l);
  });
  const newText = join({ ...s, lines: result });
  for (const b of brokenHowtoLines(newText)) {
    warnings.push(`line ${b.lineNumber} looks like the how-to's broken sed output (no CERTISSUER: tag, sendmail never matches it): ${b.line}`);
  }
  return { text: newText, changed: newText !== text, warnings };
}

/** The text without the entry marked `id` (marker and line); unchanged when there is none. */
export function removeAccessEntry(text: string, id: string): string {
  const s = split(text);
  const { entries, orphans } = markedIndexes(s.lines, checkId(id));
  const drop = new Set<number>([...orphans, ...entries.flatMap((e) => [e - 1, e])]);
  if (drop.size === 0) return text;
  return join({ ...s, lines: s.lines.filter((_, i) => !drop.has(i)) });
}

/** The ids of every entry the tool marked in the text, in file order (each once). */
export function accessEntryIds(text: string): string[] {
  const ids: string[] = [];
  for (const l of split(text).lines) {
    const id = markerId(l);
    if (id !== undefined && id !== '' && !ids.includes(id)) ids.push(id);
  }
  return ids;
}
