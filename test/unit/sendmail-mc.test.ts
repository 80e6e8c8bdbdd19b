// Unit tests for roles/text/sendmail-mc.ts: pure edits of sendmail.mc and starttls.m4.
// Fixtures: sendmail.mc.debian12 and access.debian12 are Debian 12's files as installed;
// starttls.m4.debian12 is the output of Debian 12's update_tlsm4 run on Debian's /etc/mail/databases
// (only the header's host, date and paths normalised); sendmail.mc.local-config is an older-style
// sendmail.mc made from Debian's with a LOCAL_CONFIG section at its end, as the how-to assumes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import {
  ACCESS_DB_FEATURE,
  STARTTLS_INCLUDE,
  TLS_SRV_OPTIONS_OVERRIDE,
  commentOutVOption,
  defineLine,
  ensureAccessDb,
  ensureDefineAfterInclude,
  ensureStarttlsInclude,
  ensureTlsSrvOptionsOverride,
  hasVOption,
  isLive,
  listenAddresses,
  removeDefine,
  setSmartHost,
  smartHost,
  smartHostName,
} from '../../roles/text/sendmail-mc.js';

const fixture = (name: string) => readFileSync(new URL(`../../../test/unit/fixtures/${name}`, import.meta.url), 'utf8');
const deb12 = fixture('sendmail.mc.debian12');
const localConfig = fixture('sendmail.mc.local-config');
const starttls = fixture('starttls.m4.debian12');

const V_LINE = "define(`confTLS_SRV_OPTIONS', `V')dnl   # <= EDIT";

/** `text` with `line` inserted before the first line equal to `anchor`. */
function insertedBefore(text: string, anchor: string, line: string): string {
  const lines = text.split('\n');
  const i = lines.indexOf(anchor);
  assert.ok(i >= 0, `anchor ${anchor} in fixture`);
  lines.splice(i, 0, line);
  return lines.join('\n');
}
function insertedAfter(text: string, anchor: string, line: string): string {
  const lines = text.split('\n');
  const i = lines.indexOf(anchor);
  assert.ok(i >= 0, `anchor ${anchor} in fixture`);
  lines.splice(i + 1, 0, line);
  return lines.join('\n');
}

// Debian 12 with the include where ensureStarttlsInclude puts it.
const deb12WithInclude = insertedBefore(deb12, 'MAILER_DEFINITIONS', STARTTLS_INCLUDE);

test('fixtures are what the tests assume', () => {
  assert.ok(!/^LOCAL_CONFIG/m.test(deb12), 'Debian 12 has no LOCAL_CONFIG');
  assert.ok(/^LOCAL_CONFIG$/m.test(localConfig));
  assert.ok(starttls.split('\n').includes(V_LINE), 'update_tlsm4 writes the V line');
});

// ---------------------------------------------------------------- ensureStarttlsInclude
const includeCases: { name: string; input: string; expected: string }[] = [
  { name: 'Debian 12 (no LOCAL_CONFIG): before MAILER_DEFINITIONS', input: deb12, expected: deb12WithInclude },
  { name: 'older file with LOCAL_CONFIG: before LOCAL_CONFIG', input: localConfig, expected: insertedBefore(localConfig, 'LOCAL_CONFIG', STARTTLS_INCLUDE) },
  { name: 'already present: unchanged', input: deb12WithInclude, expected: deb12WithInclude },
  {
    name: 'present with other spacing and quotes: unchanged',
    input: insertedBefore(deb12, 'MAILER_DEFINITIONS', "include( `/etc/mail/tls/starttls.m4' )dnl"),
    expected: insertedBefore(deb12, 'MAILER_DEFINITIONS', "include( `/etc/mail/tls/starttls.m4' )dnl"),
  },
  {
    name: 'present unquoted: unchanged',
    input: insertedBefore(deb12, 'MAILER_DEFINITIONS', 'include(/etc/mail/tls/starttls.m4)'),
    expected: insertedBefore(deb12, 'MAILER_DEFINITIONS', 'include(/etc/mail/tls/starttls.m4)'),
  },
  {
    name: 'commented out (dnl): a live one is inserted',
    input: insertedBefore(deb12, 'MAILER_DEFINITIONS', `dnl ${STARTTLS_INCLUDE}`),
    expected: insertedBefore(insertedBefore(deb12, 'MAILER_DEFINITIONS', `dnl ${STARTTLS_INCLUDE}`), 'MAILER_DEFINITIONS', STARTTLS_INCLUDE),
  },
  {
    name: 'commented out (#): a live one is inserted',
    input: `# ${STARTTLS_INCLUDE}\nMAILER(\`smtp')dnl\n`,
    expected: `# ${STARTTLS_INCLUDE}\n${STARTTLS_INCLUDE}\nMAILER(\`smtp')dnl\n`,
  },
  { name: 'no MAILER_DEFINITIONS: before the first MAILER(', input: "FEATURE(`x')dnl\nMAILER(`local')dnl\nMAILER(`smtp')dnl\n", expected: `FEATURE(\`x')dnl\n${STARTTLS_INCLUDE}\nMAILER(\`local')dnl\nMAILER(\`smtp')dnl\n` },
  { name: 'CRLF kept', input: "a\r\nMAILER_DEFINITIONS\r\n", expected: `a\r\n${STARTTLS_INCLUDE}\r\nMAILER_DEFINITIONS\r\n` },
  { name: 'no final newline kept', input: "a\nMAILER(`smtp')dnl", expected: `a\n${STARTTLS_INCLUDE}\nMAILER(\`smtp')dnl` },
];
for (const c of includeCases) {
  test(`ensureStarttlsInclude: ${c.name}`, () => {
    const out = ensureStarttlsInclude(c.input);
    assert.equal(out, c.expected);
    assert.equal(ensureStarttlsInclude(out), out, 'idempotent');
  });
}

const noAnchor: { name: string; input: string }[] = [
  { name: 'empty', input: '' },
  { name: 'only defines', input: "define(`x', `y')dnl\n" },
  { name: 'anchors commented out', input: "dnl MAILER_DEFINITIONS\ndnl MAILER(`smtp')dnl\n# LOCAL_CONFIG\n" },
];
for (const c of noAnchor) {
  test(`ensureStarttlsInclude: no anchor (${c.name}) is an error`, () => {
    assert.throws(() => ensureStarttlsInclude(c.input), /no LOCAL_CONFIG, MAILER_DEFINITIONS or MAILER/);
  });
}

// ---------------------------------------------------------------- ensureTlsSrvOptionsOverride
const overrideCases: { name: string; input: string; expected: string }[] = [
  { name: 'added right after the include', input: deb12WithInclude, expected: insertedAfter(deb12WithInclude, STARTTLS_INCLUDE, TLS_SRV_OPTIONS_OVERRIDE) },
  {
    name: 'already there: unchanged',
    input: insertedAfter(deb12WithInclude, STARTTLS_INCLUDE, TLS_SRV_OPTIONS_OVERRIDE),
    expected: insertedAfter(deb12WithInclude, STARTTLS_INCLUDE, TLS_SRV_OPTIONS_OVERRIDE),
  },
  {
    name: 'existing define with V after the include: V removed in place',
    input: insertedAfter(deb12WithInclude, STARTTLS_INCLUDE, "define(`confTLS_SRV_OPTIONS', `V')dnl # mine"),
    expected: insertedAfter(deb12WithInclude, STARTTLS_INCLUDE, "define(`confTLS_SRV_OPTIONS', `')dnl # mine"),
  },
  {
    name: 'a define before the include does not count (starttls.m4 overrides it); its V is fixed too',
    input: insertedBefore(deb12WithInclude, STARTTLS_INCLUDE, "define(`confTLS_SRV_OPTIONS',`V')dnl"),
    expected: insertedAfter(insertedBefore(deb12WithInclude, STARTTLS_INCLUDE, "define(`confTLS_SRV_OPTIONS',`')dnl"), STARTTLS_INCLUDE, TLS_SRV_OPTIONS_OVERRIDE),
  },
  {
    name: 'a commented-out define after the include does not count, and is left alone',
    input: insertedAfter(deb12WithInclude, STARTTLS_INCLUDE, "dnl define(`confTLS_SRV_OPTIONS', `V')dnl"),
    expected: insertedAfter(insertedAfter(deb12WithInclude, STARTTLS_INCLUDE, "dnl define(`confTLS_SRV_OPTIONS', `V')dnl"), STARTTLS_INCLUDE, TLS_SRV_OPTIONS_OVERRIDE),
  },
];
for (const c of overrideCases) {
  test(`ensureTlsSrvOptionsOverride: ${c.name}`, () => {
    const out = ensureTlsSrvOptionsOverride(c.input);
    assert.equal(out, c.expected);
    assert.equal(ensureTlsSrvOptionsOverride(out), out, 'idempotent');
    assert.equal(hasVOption(out), false, 'no live V left in sendmail.mc');
  });
}

test('ensureTlsSrvOptionsOverride: without the include is an error', () => {
  assert.throws(() => ensureTlsSrvOptionsOverride(deb12), /does not include starttls\.m4/);
});

test('include then override on Debian 12: the override follows the include, both once', () => {
  const out = ensureTlsSrvOptionsOverride(ensureStarttlsInclude(deb12));
  const lines = out.split('\n');
  const i = lines.indexOf(STARTTLS_INCLUDE);
  assert.equal(lines[i + 1], TLS_SRV_OPTIONS_OVERRIDE);
  assert.equal(lines[i + 2], 'MAILER_DEFINITIONS');
  assert.equal(lines.filter((l) => l === STARTTLS_INCLUDE).length, 1);
  assert.equal(out.length, deb12.length + STARTTLS_INCLUDE.length + TLS_SRV_OPTIONS_OVERRIDE.length + 2);
});

// ---------------------------------------------------------------- starttls.m4: V option
const vCases: { name: string; input: string; has: boolean; expected: string }[] = [
  { name: "Debian's generated file", input: starttls, has: true, expected: starttls.replace(V_LINE, `dnl ${V_LINE}`) },
  { name: 'already commented out', input: starttls.replace(V_LINE, `dnl ${V_LINE}`), has: false, expected: starttls.replace(V_LINE, `dnl ${V_LINE}`) },
  { name: 'empty options', input: starttls.replace(V_LINE, "define(`confTLS_SRV_OPTIONS', `')dnl"), has: false, expected: starttls.replace(V_LINE, "define(`confTLS_SRV_OPTIONS', `')dnl") },
  { name: 'unquoted, indented', input: '  define(confTLS_SRV_OPTIONS, V)\n', has: true, expected: 'dnl   define(confTLS_SRV_OPTIONS, V)\n' },
  { name: 'the how-to\'s own line', input: "define(`confTLS_SRV_OPTIONS', `V')\n", has: true, expected: "dnl define(`confTLS_SRV_OPTIONS', `V')\n" },
];
for (const c of vCases) {
  test(`hasVOption/commentOutVOption: ${c.name}`, () => {
    assert.equal(hasVOption(c.input), c.has);
    const out = commentOutVOption(c.input);
    assert.equal(out, c.expected);
    assert.equal(hasVOption(out), false);
    assert.equal(commentOutVOption(out), out, 'idempotent');
  });
}

// ---------------------------------------------------------------- ensureAccessDb
const noAccessDb = deb12.replace(`${ACCESS_DB_FEATURE}\n`, '');
const accessDbCases: { name: string; input: string; expected: string }[] = [
  { name: 'Debian 12 has it: unchanged', input: deb12, expected: deb12 },
  { name: 'absent: inserted before MAILER_DEFINITIONS', input: noAccessDb, expected: insertedBefore(noAccessDb, 'MAILER_DEFINITIONS', ACCESS_DB_FEATURE) },
  {
    name: 'commented out: a live one inserted',
    input: noAccessDb.replace('MAILER_DEFINITIONS', `dnl ${ACCESS_DB_FEATURE}\nMAILER_DEFINITIONS`),
    expected: noAccessDb.replace('MAILER_DEFINITIONS', `dnl ${ACCESS_DB_FEATURE}\n${ACCESS_DB_FEATURE}\nMAILER_DEFINITIONS`),
  },
  { name: 'other arguments: left alone', input: "FEATURE(`access_db', `hash -T<TMPF> -o /etc/mail/access')dnl\nMAILER(`smtp')dnl\n", expected: "FEATURE(`access_db', `hash -T<TMPF> -o /etc/mail/access')dnl\nMAILER(`smtp')dnl\n" },
  { name: 'absent, LOCAL_CONFIG after the mailers: before the first mailer', input: localConfig.replace(`${ACCESS_DB_FEATURE}\n`, ''), expected: insertedBefore(localConfig.replace(`${ACCESS_DB_FEATURE}\n`, ''), 'MAILER_DEFINITIONS', ACCESS_DB_FEATURE) },
];
for (const c of accessDbCases) {
  test(`ensureAccessDb: ${c.name}`, () => {
    const out = ensureAccessDb(c.input);
    assert.equal(out, c.expected);
    assert.equal(ensureAccessDb(out), out, 'idempotent');
  });
}
test('ensureAccessDb: no anchor is an error', () => assert.throws(() => ensureAccessDb("define(`x')\n"), /no LOCAL_CONFIG/));

// ---------------------------------------------------------------- SMART_HOST
const smartHostCases: { name: string; input: string; expected: string | undefined }[] = [
  { name: 'Debian 12: none', input: deb12, expected: undefined },
  { name: 'bracketed', input: "define(`SMART_HOST', `[mail.example]')dnl\n", expected: '[mail.example]' },
  { name: 'with mailer, no spaces', input: "define(`SMART_HOST',`relay:mail.example')dnl\n", expected: 'relay:mail.example' },
  { name: 'commented out', input: "dnl define(`SMART_HOST', `[mail.example]')dnl\n", expected: undefined },
  { name: 'last one wins', input: "define(`SMART_HOST', `a.example')dnl\ndefine(`SMART_HOST', `[b.example]')dnl\n", expected: '[b.example]' },
];
for (const c of smartHostCases) {
  test(`smartHost: ${c.name}`, () => assert.equal(smartHost(c.input), c.expected));
}

const smartHostNameCases: [string, string][] = [
  ['[mail.example]', 'mail.example'],
  ['mail.example', 'mail.example'],
  ['relay:[mail.example]', 'mail.example'],
  ['esmtp:mail.example', 'mail.example'],
];
for (const [input, expected] of smartHostNameCases) {
  test(`smartHostName: ${input}`, () => assert.equal(smartHostName(input), expected));
}

const setSmartHostCases: { name: string; input: string; host: string; expected: string }[] = [
  { name: 'Debian 12: inserted before MAILER_DEFINITIONS', input: deb12, host: 'mailserver.example', expected: insertedBefore(deb12, 'MAILER_DEFINITIONS', "define(`SMART_HOST', `[mailserver.example]')dnl") },
  { name: 'replaced, comment kept', input: "define(`SMART_HOST', `old.example')dnl # isp\nMAILER(`smtp')dnl\n", host: 'new.example', expected: "define(`SMART_HOST', `[new.example]')dnl # isp\nMAILER(`smtp')dnl\n" },
  { name: 'mailer prefix kept', input: "define(`SMART_HOST', `relay:[old.example]')dnl\n", host: 'new.example', expected: "define(`SMART_HOST', `relay:[new.example]')dnl\n" },
  { name: 'already bracketed input not doubled', input: "define(`SMART_HOST', `[x.example]')dnl\n", host: '[x.example]', expected: "define(`SMART_HOST', `[x.example]')dnl\n" },
  { name: 'commented-out one left, live one inserted', input: "dnl define(`SMART_HOST', `old')dnl\nMAILER(`smtp')dnl\n", host: 'h.example', expected: "dnl define(`SMART_HOST', `old')dnl\ndefine(`SMART_HOST', `[h.example]')dnl\nMAILER(`smtp')dnl\n" },
];
for (const c of setSmartHostCases) {
  test(`setSmartHost: ${c.name}`, () => {
    const out = setSmartHost(c.input, c.host);
    assert.equal(out, c.expected);
    assert.equal(setSmartHost(out, c.host), out, 'idempotent');
    assert.equal(smartHostName(smartHost(out)!), c.host.replace(/[[\]]/g, ''));
  });
}
test('setSmartHost: rejects a value that would break the m4', () => {
  assert.throws(() => setSmartHost(deb12, "evil')dnl"), /not a host name/);
  assert.throws(() => setSmartHost(deb12, 'a b'), /not a host name/);
});

// ---------------------------------------------------------------- listenAddresses
const listenCases: { name: string; input: string; expected: string[] }[] = [
  { name: 'Debian 12: loopback only (the MSP on 587 is not the MTA)', input: deb12, expected: ['127.0.0.1'] },
  { name: 'IPv6 line enabled', input: deb12.replace("dnl DAEMON_OPTIONS(`Family=inet6, Name=MTA-v6, Port=smtp, Addr=::1')dnl", "DAEMON_OPTIONS(`Family=inet6, Name=MTA-v6, Port=smtp, Addr=::1')dnl"), expected: ['::1', '127.0.0.1'] },
  { name: 'Addr removed: every address', input: "DAEMON_OPTIONS(`Family=inet,  Name=MTA-v4, Port=smtp')dnl\n", expected: ['0.0.0.0'] },
  { name: 'inet6 without Addr', input: "DAEMON_OPTIONS(`Family=inet6, Name=MTA-v6, Port=25')dnl\n", expected: ['::'] },
  { name: 'reachable address, no Port', input: "DAEMON_OPTIONS(`Name=MTA, Addr=203.0.113.10')dnl\n", expected: ['203.0.113.10'] },
  { name: 'no DAEMON_OPTIONS: sendmail default', input: "MAILER(`smtp')dnl\n", expected: ['0.0.0.0'] },
  { name: 'only a submission daemon', input: "DAEMON_OPTIONS(`Port=submission, Name=MSA, M=Ea')dnl\n", expected: [] },
];
for (const c of listenCases) {
  test(`listenAddresses: ${c.name}`, () => assert.deepEqual(listenAddresses(c.input), c.expected));
}

test('isLive', () => {
  assert.equal(isLive('MAILER_DEFINITIONS'), true);
  assert.equal(isLive('dnl MAILER_DEFINITIONS'), false);
  assert.equal(isLive('  # x'), false);
  assert.equal(isLive('dnl'), false);
  assert.equal(isLive('dnlx'), true);
});

// ---------------------------------------------------------------- ensureDefineAfterInclude / removeDefine
const BUNDLE = '/etc/mail/tls/relay-ca-bundle.crt';
const CACERT_LINE = "define(`confCACERT', `/etc/mail/tls/relay-ca-bundle.crt')dnl";
const CERT_LINE = "define(`confCLIENT_CERT', `/etc/mail/tls/laptop-client.crt')dnl";
const deb12WithOverride = insertedAfter(deb12WithInclude, STARTTLS_INCLUDE, TLS_SRV_OPTIONS_OVERRIDE);
const DEBIAN_CACERT = "define(`confCACERT', `/etc/mail/tls/sendmail-server.crt')dnl";

test('defineLine', () => {
  assert.equal(defineLine('confCACERT', BUNDLE), CACERT_LINE);
  assert.equal(defineLine('X', ''), "define(`X', `')dnl");
});

const defineCases: { name: string; input: string; macro: string; value: string; expected: string }[] = [
  { name: 'after the TLS_SRV_OPTIONS override', input: deb12WithOverride, macro: 'confCACERT', value: BUNDLE, expected: insertedAfter(deb12WithOverride, TLS_SRV_OPTIONS_OVERRIDE, CACERT_LINE) },
  { name: 'no override: right after the include', input: deb12WithInclude, macro: 'confCACERT', value: BUNDLE, expected: insertedAfter(deb12WithInclude, STARTTLS_INCLUDE, CACERT_LINE) },
  {
    name: 'another macro: after the ones already there (order kept)',
    input: insertedAfter(deb12WithOverride, TLS_SRV_OPTIONS_OVERRIDE, CERT_LINE),
    macro: 'confCACERT',
    value: BUNDLE,
    expected: insertedAfter(insertedAfter(deb12WithOverride, TLS_SRV_OPTIONS_OVERRIDE, CERT_LINE), CERT_LINE, CACERT_LINE),
  },
  {
    name: 'new value replaces ours in place',
    input: insertedAfter(insertedAfter(deb12WithOverride, TLS_SRV_OPTIONS_OVERRIDE, "define(`confCACERT', `/old')dnl"), "define(`confCACERT', `/old')dnl", CERT_LINE),
    macro: 'confCACERT',
    value: BUNDLE,
    expected: insertedAfter(insertedAfter(deb12WithOverride, TLS_SRV_OPTIONS_OVERRIDE, CACERT_LINE), CACERT_LINE, CERT_LINE),
  },
  {
    name: 'other spacing/quoting of ours counts; duplicates in the block removed',
    input: insertedAfter(insertedAfter(deb12WithOverride, TLS_SRV_OPTIONS_OVERRIDE, 'define(confCACERT,/a)'), 'define(confCACERT,/a)', " define( `confCACERT' , `/b')dnl"),
    macro: 'confCACERT',
    value: BUNDLE,
    expected: insertedAfter(deb12WithOverride, TLS_SRV_OPTIONS_OVERRIDE, CACERT_LINE),
  },
  {
    name: "Debian's define before the include is left alone",
    input: insertedBefore(deb12WithOverride, STARTTLS_INCLUDE, DEBIAN_CACERT),
    macro: 'confCACERT',
    value: BUNDLE,
    expected: insertedAfter(insertedBefore(deb12WithOverride, STARTTLS_INCLUDE, DEBIAN_CACERT), TLS_SRV_OPTIONS_OVERRIDE, CACERT_LINE),
  },
  {
    name: 'a commented-out define further down does not count',
    input: insertedBefore(deb12WithOverride, 'MAILER(`local\')dnl', `dnl ${CACERT_LINE}`),
    macro: 'confCACERT',
    value: BUNDLE,
    expected: insertedAfter(insertedBefore(deb12WithOverride, 'MAILER(`local\')dnl', `dnl ${CACERT_LINE}`), TLS_SRV_OPTIONS_OVERRIDE, CACERT_LINE),
  },
  {
    name: 'a macro whose name starts the same is another macro',
    input: insertedAfter(deb12WithOverride, TLS_SRV_OPTIONS_OVERRIDE, "define(`confCACERT_PATH', `/etc/mail/tls')dnl"),
    macro: 'confCACERT',
    value: BUNDLE,
    expected: insertedAfter(insertedAfter(deb12WithOverride, TLS_SRV_OPTIONS_OVERRIDE, "define(`confCACERT_PATH', `/etc/mail/tls')dnl"), "define(`confCACERT_PATH', `/etc/mail/tls')dnl", CACERT_LINE),
  },
  {
    name: 'CRLF kept',
    input: `a\r\n${STARTTLS_INCLUDE}\r\nMAILER_DEFINITIONS\r\n`,
    macro: 'confCACERT',
    value: BUNDLE,
    expected: `a\r\n${STARTTLS_INCLUDE}\r\n${CACERT_LINE}\r\nMAILER_DEFINITIONS\r\n`,
  },
];
for (const c of defineCases) {
  test(`ensureDefineAfterInclude: ${c.name}`, () => {
    const out = ensureDefineAfterInclude(c.input, c.macro, c.value);
    assert.equal(out, c.expected);
    assert.equal(ensureDefineAfterInclude(out, c.macro, c.value), out, 'idempotent');
  });
}

test('ensureDefineAfterInclude: the laptop\'s three defines, then a change of one, then back', () => {
  let mc = ensureTlsSrvOptionsOverride(ensureStarttlsInclude(deb12));
  mc = ensureDefineAfterInclude(mc, 'confCLIENT_CERT', '/etc/mail/tls/laptop-client.crt');
  mc = ensureDefineAfterInclude(mc, 'confCLIENT_KEY', '/etc/mail/tls/laptop-client.key');
  mc = ensureDefineAfterInclude(mc, 'confCACERT', '/etc/mail/tls/relay-server.crt');
  const lines = mc.split('\n');
  const i = lines.indexOf(STARTTLS_INCLUDE);
  assert.deepEqual(lines.slice(i, i + 6), [
    STARTTLS_INCLUDE,
    TLS_SRV_OPTIONS_OVERRIDE,
    "define(`confCLIENT_CERT', `/etc/mail/tls/laptop-client.crt')dnl",
    "define(`confCLIENT_KEY', `/etc/mail/tls/laptop-client.key')dnl",
    "define(`confCACERT', `/etc/mail/tls/relay-server.crt')dnl",
    'MAILER_DEFINITIONS',
  ]);
  const changed = ensureDefineAfterInclude(mc, 'confCLIENT_KEY', '/k2');
  assert.equal(changed, mc.replace('/etc/mail/tls/laptop-client.key', '/k2'));
  // back to shared-key mode: what was added goes away again
  let back = changed;
  for (const m of ['confCLIENT_CERT', 'confCLIENT_KEY', 'confCACERT']) back = removeDefine(back, m);
  assert.equal(back, ensureTlsSrvOptionsOverride(ensureStarttlsInclude(deb12)));
});

test('ensureDefineAfterInclude: a live define of the macro after the block would win: an error', () => {
  const later = insertedBefore(deb12WithOverride, 'MAILER_DEFINITIONS', "define(`confCACERT', `/etc/mail/other.crt')dnl");
  const separated = insertedBefore(later, "define(`confCACERT', `/etc/mail/other.crt')dnl", 'dnl # admin');
  assert.throws(() => ensureDefineAfterInclude(separated, 'confCACERT', BUNDLE), /line \d+ defines confCACERT after the tool's block.*other\.crt/);
  const inMailers = `${deb12WithOverride}define(\`confCACERT', \`/x')dnl\n`;
  assert.throws(() => ensureDefineAfterInclude(inMailers, 'confCACERT', BUNDLE), /would win over ours/);
});

const defineErrors: { name: string; input: string; macro: string; value: string; error: RegExp }[] = [
  { name: 'no include', input: deb12, macro: 'confCACERT', value: BUNDLE, error: /does not include starttls\.m4/ },
  { name: 'commented-out include', input: insertedBefore(deb12, 'MAILER_DEFINITIONS', `dnl ${STARTTLS_INCLUDE}`), macro: 'confCACERT', value: BUNDLE, error: /does not include starttls\.m4/ },
  { name: "value with '", input: deb12WithOverride, macro: 'confCACERT', value: "/a')dnl", error: /must not contain a quote/ },
  { name: 'value with `', input: deb12WithOverride, macro: 'confCACERT', value: '/a`b', error: /must not contain a quote/ },
  { name: 'value with a newline', input: deb12WithOverride, macro: 'confCACERT', value: '/a\nMAILER(`x\')', error: /line break/ },
  { name: 'macro name with a quote', input: deb12WithOverride, macro: "conf'X", value: '/a', error: /not an m4 macro name/ },
  { name: 'macro name that is a regexp', input: deb12WithOverride, macro: 'conf.*', value: '/a', error: /not an m4 macro name/ },
];
for (const c of defineErrors) {
  test(`ensureDefineAfterInclude: ${c.name} is an error`, () => assert.throws(() => ensureDefineAfterInclude(c.input, c.macro, c.value), c.error));
}

const withOurs = insertedAfter(insertedAfter(deb12WithOverride, TLS_SRV_OPTIONS_OVERRIDE, CACERT_LINE), CACERT_LINE, CERT_LINE);
const removeCases: { name: string; input: string; macro: string; value?: string; expected: string }[] = [
  { name: 'ours removed, the others stay', input: withOurs, macro: 'confCACERT', expected: insertedAfter(deb12WithOverride, TLS_SRV_OPTIONS_OVERRIDE, CERT_LINE) },
  { name: 'with the matching value', input: withOurs, macro: 'confCACERT', value: BUNDLE, expected: insertedAfter(deb12WithOverride, TLS_SRV_OPTIONS_OVERRIDE, CERT_LINE) },
  { name: 'another value: left alone', input: withOurs, macro: 'confCACERT', value: '/etc/mail/tls/other.crt', expected: withOurs },
  { name: 'absent: unchanged', input: deb12WithOverride, macro: 'confCACERT', expected: deb12WithOverride },
  {
    name: "Debian's define before the include stays",
    input: insertedBefore(withOurs, STARTTLS_INCLUDE, DEBIAN_CACERT),
    macro: 'confCACERT',
    expected: insertedBefore(insertedAfter(deb12WithOverride, TLS_SRV_OPTIONS_OVERRIDE, CERT_LINE), STARTTLS_INCLUDE, DEBIAN_CACERT),
  },
  { name: 'no include: unchanged', input: `${CACERT_LINE}\nMAILER_DEFINITIONS\n`, macro: 'confCACERT', expected: `${CACERT_LINE}\nMAILER_DEFINITIONS\n` },
  { name: 'the override itself can go too', input: deb12WithOverride, macro: 'confTLS_SRV_OPTIONS', value: '', expected: deb12WithInclude },
];
for (const c of removeCases) {
  test(`removeDefine: ${c.name}`, () => {
    const out = removeDefine(c.input, c.macro, c.value);
    assert.equal(out, c.expected);
    assert.equal(removeDefine(out, c.macro, c.value), out, 'idempotent');
  });
}
test('removeDefine undoes ensureDefineAfterInclude on Debian 12', () => {
  assert.equal(removeDefine(ensureDefineAfterInclude(deb12WithOverride, 'confCACERT', BUNDLE), 'confCACERT', BUNDLE), deb12WithOverride);
  assert.throws(() => removeDefine(deb12, 'a b'), /not an m4 macro name/);
});
