// Every pure sendmail.mc edit on sendmail.mc files as admins write them (test/unit/fixtures/mc/),
// and what m4 makes of the edited file: it builds without errors, and sendmail.cf names the files
// and listeners the tool reads (built on this machine with m4 against the lab rootfs's cf tree).
import test from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import {
  STARTTLS_INCLUDE, ensureAccessDb, ensureDefineAfterInclude, ensureStarttlsInclude, ensureTlsSrvOptionsOverride, handTls, isLive,
  removeDefine, setSmartHost, smartHost,
} from '../../roles/text/sendmail-mc.js';
import { cfOptions, describeListener, listeners, plannedMc, reachability, tlsFiles, DEBIAN_TLS_FILES } from '../../roles/text/sendmail-cf.js';
import { classifyBuildOutput } from '../../roles/text/build-output.js';
import { buildCf, m4Unavailable } from './m4-build.js';
import { ensureRootfs } from '../../lab/rootfs.js';

const dir = new URL('../../../test/unit/fixtures/mc/', import.meta.url);
const fixture = (name: string) => readFileSync(new URL(name, dir), 'utf8');
const STARTTLS_M4 = readFileSync(new URL('../starttls.m4.debian12', dir), 'utf8');
const FIXTURES = readdirSync(dir).filter((f) => f.endsWith('.mc')).sort();

const INCLUDE_RE = /^\s*s?include\s*\(\s*`?\/etc\/mail\/tls\/starttls\.m4/;
const liveCount = (mc: string, re: RegExp) => mc.split(/\r?\n/).filter((l) => isLive(l) && re.test(l)).length;
/** `before`'s lines appear in `after` in order: the edit only inserted lines (or changed the ones named). */
function onlyInserted(before: string, after: string, changed: RegExp = /$^/): boolean {
  const a = after.split('\n');
  let i = 0;
  for (const line of before.split('\n')) {
    if (changed.test(line)) continue;
    while (i < a.length && a[i] !== line) i++;
    if (i === a.length) return false;
    i++;
  }
  return true;
}

/** What each fixture's server must come out as: the certificate sendmail presents, where laptops connect. */
const EXPECT: Record<string, { cert: string; connect: string | null; warnings?: number; handTls?: boolean }> = {
  'access-db-twice.mc': { cert: DEBIAN_TLS_FILES.serverCert, connect: 'MTA-v4 0.0.0.0:25' },
  'blacklist-recipients.mc': { cert: DEBIAN_TLS_FILES.serverCert, connect: 'MTA-v4 0.0.0.0:25', warnings: 1 },
  'hand-tls-certdir.mc': { cert: '/etc/mail/certs/mail.pem', connect: 'MTA-v4 0.0.0.0:25', handTls: true },
  'include-after-domain.mc': { cert: DEBIAN_TLS_FILES.serverCert, connect: 'MTA-v4 0.0.0.0:25' },
  // m4: "Warning: end of file treated as newline" (the tool keeps the file without a final newline)
  'include-last-line-no-newline.mc': { cert: DEBIAN_TLS_FILES.serverCert, connect: 'MTA-v4 0.0.0.0:25', warnings: 1 },
  'include-mid-file-no-dnl.mc': { cert: DEBIAN_TLS_FILES.serverCert, connect: 'MTA-v4 0.0.0.0:25' },
  'ipv6-and-smtps.mc': { cert: DEBIAN_TLS_FILES.serverCert, connect: 'MTA-v6 [::]:25' },
  'letsencrypt-after-include.mc': { cert: '/etc/letsencrypt/live/mail.example.org/fullchain.pem', connect: 'MTA-v4 0.0.0.0:25' },
  'local-config-twice.mc': { cert: DEBIAN_TLS_FILES.serverCert, connect: 'MTA-v4 0.0.0.0:25' },
  'milters-authinfo.mc': { cert: DEBIAN_TLS_FILES.serverCert, connect: 'MTA-v4 0.0.0.0:25' },
  'mta-commented-out.mc': { cert: DEBIAN_TLS_FILES.serverCert, connect: null },
  'no-dnl-defines-after-mailer.mc': { cert: DEBIAN_TLS_FILES.serverCert, connect: 'MTA-v4 0.0.0.0:25' },
};

test('every fixture has an expectation', () => assert.deepEqual(FIXTURES, Object.keys(EXPECT).sort()));

for (const name of FIXTURES) {
  const mc = fixture(name);
  const endsWithNewline = mc.endsWith('\n');
  test(`${name}: include starttls.m4 once, idempotent, only inserted, final newline kept`, () => {
    if (EXPECT[name].handTls) {
      assert.equal(handTls(mc), true);
      assert.equal(plannedMc(mc, 'server'), ensureAccessDb(mc));
      return;
    }
    const t = ensureStarttlsInclude(mc);
    assert.equal(liveCount(t, INCLUDE_RE), 1);
    assert.equal(ensureStarttlsInclude(t), t);
    assert.ok(onlyInserted(mc, t));
    assert.equal(t.endsWith('\n'), endsWithNewline);
    if (liveCount(mc, INCLUDE_RE) === 1) assert.equal(t, mc, 'an include already there is kept where it is');
    else assert.ok(t.split('\n').includes(STARTTLS_INCLUDE));
  });
  test(`${name}: the server's edits (include, V override, access_db): idempotent, one override after the include`, () => {
    const p = plannedMc(mc, 'server');
    assert.equal(plannedMc(p, 'server'), p);
    assert.equal(p.endsWith('\n'), endsWithNewline);
    assert.ok(onlyInserted(mc, p, /confTLS_SRV_OPTIONS/));
    assert.ok(liveCount(p, /^\s*FEATURE\s*\(\s*`?access_db/) >= 1);
    assert.equal(liveCount(p, /^\s*FEATURE\s*\(\s*`?access_db/), Math.max(1, liveCount(mc, /^\s*FEATURE\s*\(\s*`?access_db/)), 'access_db never added twice');
    if (!EXPECT[name].handTls) {
      const lines = p.split('\n');
      const inc = lines.findIndex((l) => isLive(l) && INCLUDE_RE.test(l));
      assert.equal(lines[inc + 1], "define(`confTLS_SRV_OPTIONS', `')dnl");
      assert.equal(ensureTlsSrvOptionsOverride(p), p);
    }
  });
  test(`${name}: SMART_HOST set and read back; defines after the include added and removed`, () => {
    const s = setSmartHost(mc, 'mail.example.org');
    assert.equal(smartHost(s)?.replace(/^[a-z]+:/, ''), '[mail.example.org]');
    assert.equal(setSmartHost(s, 'mail.example.org'), s);
    assert.equal(s.endsWith('\n'), endsWithNewline);
    if (EXPECT[name].handTls) return;
    const inc = ensureStarttlsInclude(mc);
    const d = ensureDefineAfterInclude(inc, 'confCLIENT_CERT', '/etc/mail/tls/laptop-client.crt');
    assert.equal(ensureDefineAfterInclude(d, 'confCLIENT_CERT', '/etc/mail/tls/laptop-client.crt'), d);
    assert.equal(removeDefine(d, 'confCLIENT_CERT', '/etc/mail/tls/laptop-client.crt'), inc);
  });
}

// ---------------------------------------------------------------- m4 on the edited files

for (const suite of ['bookworm', 'trixie'] as const) {
  test(`${suite}: every fixture, as the server's edits leave it, builds with m4; sendmail.cf names the expected certificate and listener`, async (t) => {
    let why = m4Unavailable(suite);
    if (why && process.env.CI === 'true') {
      await ensureRootfs(console.error, suite); // CI: the e2e suite needs it anyway
      why = m4Unavailable(suite);
    }
    if (why) return t.skip(why);
    for (const name of FIXTURES) {
      const { cf, errors } = buildCf(plannedMc(fixture(name), 'server'), STARTTLS_M4, suite);
      const v = classifyBuildOutput({ makeExit: 0, makeOutput: '', cfErrors: errors });
      assert.deepEqual(v.errors, [], `${name}: ${errors}`);
      assert.equal(v.warnings.length, EXPECT[name].warnings ?? 0, `${name}: ${errors}`);
      const opts = cfOptions(cf);
      assert.deepEqual(cfOptions(Buffer.from(cf, 'utf8')), opts, `${name}: the built file's bytes give the same options`);
      assert.equal(tlsFiles(opts).serverCert, EXPECT[name].cert, name);
      const r = reachability(listeners(opts));
      assert.equal(r.use ? describeListener(r.use) : null, EXPECT[name].connect, `${name}: ${r.problem}`);
      if (!EXPECT[name].handTls) assert.match(cf, /^O TLSSrvOptions=?\s*$|^#O TLSSrvOptions/m, `${name}: V must not be in force`);
    }
  });
}
