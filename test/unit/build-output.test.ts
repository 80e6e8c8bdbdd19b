// m4's and makemap's warnings vs errors, on the safe make's real reports captured on lab hosts
// (test/unit/fixtures/build/<suite>-<case>.txt: files/safe-make.sh's stdout on Debian 12 and 13).
import test from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { classifyBuildOutput, isM4Warning, isMakemapWarning, parseSafeMakeReport } from '../../roles/text/build-output.js';

const path = (name: string) => new URL(`../../../test/unit/fixtures/build/${name}.txt`, import.meta.url);
const report = (name: string) => parseSafeMakeReport(readFileSync(path(name), 'utf8'));

for (const suite of ['bookworm', 'trixie']) {
  const has = existsSync(path(`${suite}-m4-warnings`));
  test(`${suite}: deprecation warnings of m4 are warnings, not errors`, { skip: !has && suite === 'trixie' ? 'no trixie capture' : false }, () => {
    const r = report(`${suite}-m4-warnings`);
    assert.equal(r.makeExit, 0);
    assert.match(r.cfErrors, /blacklist_recipients/);
    const v = classifyBuildOutput(r);
    assert.deepEqual(v.errors, []);
    assert.deepEqual(v.warnings, [
      'WARNING: FEATURE(blacklist_recipients) is deprecated; use FEATURE(blocklist_recipients.m4).',
      'WARNING: confUNSAFE_GROUP_WRITES is deprecated; use confDONT_BLAME_SENDMAIL.',
    ]);
  });
  test(`${suite}: m4 errors are errors (make exits 0 all the same); m4's own Warning: is a warning`, { skip: !has && suite === 'trixie' ? 'no trixie capture' : false }, () => {
    const r = report(`${suite}-m4-errors`);
    assert.equal(r.makeExit, 0);
    const v = classifyBuildOutput(r);
    assert.deepEqual(v.errors, [
      '*** ERROR: FEATURE() should be before MAILER()',
      '*** FEATURE(local_procmail) must occur before MAILER(local)',
      '*** ERROR: FEATURE() should be before MAILER()',
      '*** ERROR: unknown parameter "bad" for FEATURE(`ratecontrol\')',
    ]);
    assert.equal(v.warnings.length, 1);
    assert.match(v.warnings[0], /^m4:\/etc\/mail\/sendmail\.mc:\d+: Warning: excess arguments to builtin `define' ignored$/);
  });
  test(`${suite}: makemap: the admin's duplicate key or missing RHS is a warning, a duplicate CERTISSUER key an error`, { skip: !has && suite === 'trixie' ? 'no trixie capture' : false }, () => {
    const r = report(`${suite}-makemap`);
    assert.equal(r.cfErrors, '');
    const v = classifyBuildOutput(r);
    assert.equal(v.warnings.length, 2, v.warnings.join('\n'));
    assert.match(v.warnings[0], /key connect:10\.1\.2\.3: duplicate key$/);
    assert.match(v.warnings[1], /no RHS for LHS lonelykey$/);
    assert.equal(v.errors.length, 1);
    assert.match(v.errors[0], /key certissuer:\/cn=x: duplicate key$/);
  });
}

test('a non-zero exit of make with no known message is an error naming its last lines', () => {
  const v = classifyBuildOutput({ makeExit: 2, makeOutput: "make: Entering directory '/etc/mail'\nsomething odd\n", cfErrors: '' });
  assert.equal(v.errors.length, 1);
  assert.match(v.errors[0], /^make exited 2: .*something odd/);
  const w = classifyBuildOutput({ makeExit: 2, makeOutput: "make: *** No rule to make target '/etc/mail/x.m4', needed by '/etc/mail/databases'.  Stop.\n", cfErrors: '' });
  assert.deepEqual(w.errors, ["make: *** No rule to make target '/etc/mail/x.m4', needed by '/etc/mail/databases'.  Stop."]);
});

test('one m4 message per line; a line starting with blanks continues the one before', () => {
  const v = classifyBuildOutput({ makeExit: 0, makeOutput: '', cfErrors: "*** ERROR: No system type defined (use OSTYPE macro)\n\tUse the OSTYPE macro to select a valid system type.\nWARNING: x is deprecated\n" });
  assert.deepEqual(v.errors, ['*** ERROR: No system type defined (use OSTYPE macro) Use the OSTYPE macro to select a valid system type.']);
  assert.deepEqual(v.warnings, ['WARNING: x is deprecated']);
});

const M4 = [
  ['WARNING: FEATURE(blacklist_recipients) is deprecated; use FEATURE(blocklist_recipients.m4).', true],
  ["*** WARNING: FEATURE(`greet_pause') before FEATURE(`access_db')", true],
  ['*** confREAD_TIMEOUT is obsolete.', true],
  ["m4:stdin:3: Warning: excess arguments to builtin `define' ignored", true],
  ["m4:/etc/mail/sendmail.mc:107: cannot open `/etc/mail/nonexistent.m4': No such file or directory", false],
  ['*** ERROR: FEATURE() should be before MAILER()', false],
  ['*** MAILER(`smtp\') must appear before MAILER(`uucp\')', false],
  ['*** ERROR: WARNING in an error is still an error', false],
  ['anything else', false],
] as const;
for (const [line, warn] of M4) test(`isM4Warning(${JSON.stringify(line)}) = ${warn}`, () => assert.equal(isM4Warning(line), warn));

const MAKEMAP = [
  ['makemap: /etc/mail/access.new.db: line 3: key connect:10.1.2.3: duplicate key', true],
  ['makemap: /etc/mail/access.new.db: line 4: no RHS for LHS lonelykey', true],
  ['makemap: /etc/mail/access.new.db: line 5: key certsubject:/cn=laptop1: duplicate key', false],
  ['makemap: /etc/mail/access.new.db: line 6: no RHS for LHS certissuer:/cn=x', false],
  ['makemap: error opening type hash map /etc/mail/access.new.db: Permission denied', false],
] as const;
for (const [line, warn] of MAKEMAP) test(`isMakemapWarning(${JSON.stringify(line)}) = ${warn}`, () => assert.equal(isMakemapWarning(line), warn));

test('parseSafeMakeReport: rc, make output, sendmail.cf.errors', () => {
  assert.deepEqual(parseSafeMakeReport('rc=2\nline a\nline b\n--- sendmail.cf.errors ---\nWARNING: x\n'), { makeExit: 2, makeOutput: 'line a\nline b', cfErrors: 'WARNING: x\n' });
});
