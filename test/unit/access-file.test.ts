// Unit tests for roles/text/access-file.ts: pure edits of /etc/mail/access.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import {
  MARKER_PREFIX,
  accessLine,
  brokenHowtoLines,
  ensureAccessEntry,
  findAccessEntry,
  parseAccessLine,
  removeAccessEntry,
} from '../../roles/text/access-file.js';

// Tests run from dist/test/unit; the fixtures stay in the source tree.
const fixture = (name: string) => readFileSync(new URL(`../../../test/unit/fixtures/${name}`, import.meta.url), 'utf8');
const debian = fixture('access.debian12');

const KEY = '/O=Sendmail/OU=Sendmail+20Server/CN=mail.example/emailAddress=admin@example';
const OLD_KEY = '/O=Sendmail/OU=Sendmail+20Server/CN=oldname.example/emailAddress=admin@example';
const LINE = `CERTISSUER:${KEY}\tRELAY`;
const MARK = `${MARKER_PREFIX}server-issuer`;
const entry = { id: 'server-issuer', line: LINE };

test('accessLine: tag, key, tab, action', () => {
  assert.equal(accessLine('CERTISSUER', KEY, 'RELAY'), LINE);
  assert.equal(accessLine('CERTSUBJECT', '/CN=laptop1', 'RELAY'), 'CERTSUBJECT:/CN=laptop1\tRELAY');
  assert.throws(() => accessLine('CERTISSUER', '/O=a b', 'RELAY'), /whitespace/);
  assert.throws(() => accessLine('CERTISSUER', KEY, ''), /action/);
});

test('parseAccessLine: as makemap splits', () => {
  assert.deepEqual(parseAccessLine('Connect:127\t\t\t\tRELAY'), { key: 'Connect:127', action: 'RELAY' });
  assert.deepEqual(parseAccessLine('Connect:0      REJECT whilst invalid\r'), { key: 'Connect:0', action: 'REJECT whilst invalid' });
  assert.equal(parseAccessLine('#Connect:10 RELAY'), undefined);
  assert.equal(parseAccessLine(''), undefined);
});

// ---------------------------------------------------------------- ensureAccessEntry, table-driven
const ensureCases: {
  name: string;
  input: string;
  entry?: { id: string; line: string };
  expected: string;
  warnings?: RegExp[];
}[] = [
  {
    name: 'absent: appended to Debian\'s file, comments kept',
    input: debian,
    expected: `${debian}${MARK}\n${LINE}\n`,
  },
  {
    name: 'empty file',
    input: '',
    expected: `${MARK}\n${LINE}\n`,
  },
  {
    name: 'already present and marked: unchanged',
    input: `# head\n${MARK}\n${LINE}\nConnect:127\tRELAY\n`,
    expected: `# head\n${MARK}\n${LINE}\nConnect:127\tRELAY\n`,
  },
  {
    name: 'present unmarked, as the how-to writes it (space, CERTIssuer): adopted, line kept byte for byte',
    input: `Connect:127\tRELAY\nCERTIssuer:${KEY} RELAY\n# tail\n`,
    expected: `Connect:127\tRELAY\n${MARK}\nCERTIssuer:${KEY} RELAY\n# tail\n`,
  },
  {
    name: 'present unmarked in other case: adopted, never a second key differing in case',
    input: `certissuer:${KEY.toLowerCase()}\trelay\n`,
    expected: `${MARK}\ncertissuer:${KEY.toLowerCase()}\trelay\n`,
  },
  {
    name: 'present unmarked with another action: replaced and marked',
    input: `a\tOK\nCERTISSUER:${KEY}\tSUBJECT\nb\tOK\n`,
    expected: `a\tOK\n${MARK}\n${LINE}\nb\tOK\n`,
  },
  {
    name: 'stale marked line (issuer changed): replaced in place',
    input: `a\tOK\n${MARK}\nCERTISSUER:${OLD_KEY}\tRELAY\nb\tOK\n`,
    expected: `a\tOK\n${MARK}\n${LINE}\nb\tOK\n`,
  },
  {
    name: 'stale marked line plus a hand-added current one: one left',
    input: `${MARK}\nCERTISSUER:${OLD_KEY}\tRELAY\nCERTISSUER:${KEY} RELAY\n`,
    expected: `${MARK}\n${LINE}\n`,
    warnings: [/removed line 3 with the same key/],
  },
  {
    name: 'two unmarked lines with the same key: first adopted, second removed',
    input: `CERTISSUER:${KEY} RELAY\nx\tOK\nCERTISSUER:${KEY}\tRELAY\n`,
    expected: `${MARK}\nCERTISSUER:${KEY} RELAY\nx\tOK\n`,
    warnings: [/removed line 3/],
  },
  {
    name: 'no trailing newline: kept that way',
    input: '# access\nConnect:127\tRELAY',
    expected: `# access\nConnect:127\tRELAY\n${MARK}\n${LINE}`,
  },
  {
    name: 'CRLF line endings kept',
    input: '# access\r\nConnect:127\tRELAY\r\n',
    expected: `# access\r\nConnect:127\tRELAY\r\n${MARK}\r\n${LINE}\r\n`,
  },
  {
    name: 'orphan marker (its line deleted by hand) is dropped',
    input: `${MARK}\n\nConnect:127\tRELAY\n`,
    expected: `\nConnect:127\tRELAY\n${MARK}\n${LINE}\n`,
  },
  {
    name: 'the how-to\'s broken sed line is left alone and reported',
    input: `issuer=/O=Sendmail/OU=Sendmail+20Server/CN=mail.example/emailAddress=admin@example RELAY\n`,
    expected: `issuer=/O=Sendmail/OU=Sendmail+20Server/CN=mail.example/emailAddress=admin@example RELAY\n${MARK}\n${LINE}\n`,
    warnings: [/line 1 looks like the how-to's broken sed output/],
  },
  {
    name: 'a DN line without tag is reported too',
    input: `/O=Sendmail/OU=Sendmail+20Server RELAY\n`,
    expected: `/O=Sendmail/OU=Sendmail+20Server RELAY\n${MARK}\n${LINE}\n`,
    warnings: [/line 1 looks like/],
  },
  {
    name: 'laptop entry next to the server entry',
    input: `${MARK}\n${LINE}\n`,
    entry: { id: 'laptop laptop1', line: 'CERTSUBJECT:/CN=laptop1\tRELAY' },
    expected: `${MARK}\n${LINE}\n${MARKER_PREFIX}laptop laptop1\nCERTSUBJECT:/CN=laptop1\tRELAY\n`,
  },
];

for (const c of ensureCases) {
  const e = c.entry ?? entry;
  test(`ensureAccessEntry: ${c.name}`, () => {
    const r = ensureAccessEntry(c.input, e);
    assert.equal(r.text, c.expected);
    assert.equal(r.changed, c.input !== c.expected);
    for (const w of c.warnings ?? []) assert.ok(r.warnings.some((x) => w.test(x)), `warning ${w} in ${JSON.stringify(r.warnings)}`);
    if (!c.warnings) assert.deepEqual(r.warnings, []);
    // Idempotence: applying twice = applying once.
    const again = ensureAccessEntry(r.text, e);
    assert.equal(again.text, r.text);
    assert.equal(again.changed, false);
    // Exactly one line with the key, case-insensitively.
    const keyLines = r.text.split(/\r?\n/).filter((l) => parseAccessLine(l)?.key.toLowerCase() === parseAccessLine(e.line)!.key.toLowerCase());
    assert.equal(keyLines.length, 1);
  });
}

test('ensureAccessEntry: a key owned by another id is a conflict', () => {
  const text = `${MARKER_PREFIX}laptop-ca\nCERTISSUER:${KEY}\tSUBJECT\n`;
  assert.throws(() => ensureAccessEntry(text, entry), /already, for "laptop-ca"/);
});

test('ensureAccessEntry: rejects a bad line or id', () => {
  assert.throws(() => ensureAccessEntry('', { id: 'x', line: '# comment' }), /not an access line/);
  assert.throws(() => ensureAccessEntry('', { id: 'x', line: 'CERTISSUER:/O=a' }), /not an access line/);
  assert.throws(() => ensureAccessEntry('', { id: 'a\nb', line: LINE }), /bad access entry id/);
});

test('ensureAccessEntry: Debian file unchanged apart from the two added lines', () => {
  const r = ensureAccessEntry(debian, entry);
  assert.equal(r.text.slice(0, debian.length), debian);
  assert.equal(r.text.split('\n').length, debian.split('\n').length + 2);
});

// ---------------------------------------------------------------- find / remove
const withBoth = `# a\n${MARK}\n${LINE}\n${MARKER_PREFIX}laptop laptop1\nCERTSUBJECT:/CN=laptop1\tRELAY\n# z\n`;

test('findAccessEntry', () => {
  assert.deepEqual(findAccessEntry(withBoth, 'server-issuer'), { line: LINE, lineNumber: 3, key: `CERTISSUER:${KEY}`, action: 'RELAY' });
  assert.equal(findAccessEntry(withBoth, 'laptop laptop1')?.lineNumber, 5);
  assert.equal(findAccessEntry(withBoth, 'laptop laptop2'), undefined);
  assert.equal(findAccessEntry(`CERTISSUER:${KEY}\tRELAY\n`, 'server-issuer'), undefined, 'unmarked lines are not ours');
  assert.equal(findAccessEntry(debian, 'server-issuer'), undefined);
});

const removeCases: { name: string; input: string; id: string; expected: string }[] = [
  { name: 'laptop entry', input: withBoth, id: 'laptop laptop1', expected: `# a\n${MARK}\n${LINE}\n# z\n` },
  { name: 'server entry', input: withBoth, id: 'server-issuer', expected: `# a\n${MARKER_PREFIX}laptop laptop1\nCERTSUBJECT:/CN=laptop1\tRELAY\n# z\n` },
  { name: 'absent: unchanged', input: withBoth, id: 'laptop laptop2', expected: withBoth },
  { name: 'unmarked line is left alone', input: `CERTISSUER:${KEY}\tRELAY\n`, id: 'server-issuer', expected: `CERTISSUER:${KEY}\tRELAY\n` },
  { name: 'orphan marker removed', input: `a\tOK\n${MARK}\n`, id: 'server-issuer', expected: 'a\tOK\n' },
  { name: 'no trailing newline kept', input: `a\tOK\n${MARK}\n${LINE}\nb\tOK`, id: 'server-issuer', expected: 'a\tOK\nb\tOK' },
  { name: 'Debian file after ensure: back to the original', input: `${debian}${MARK}\n${LINE}\n`, id: 'server-issuer', expected: debian },
];
for (const c of removeCases) {
  test(`removeAccessEntry: ${c.name}`, () => {
    const out = removeAccessEntry(c.input, c.id);
    assert.equal(out, c.expected);
    assert.equal(removeAccessEntry(out, c.id), out, 'idempotent');
  });
}

test('brokenHowtoLines: Debian default has none', () => {
  assert.deepEqual(brokenHowtoLines(debian), []);
  assert.deepEqual(brokenHowtoLines('x\tOK\nissuer=/O=a RELAY\n'), [{ lineNumber: 2, line: 'issuer=/O=a RELAY' }]);
});
