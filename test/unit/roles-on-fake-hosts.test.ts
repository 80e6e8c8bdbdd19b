// The real roles and the real engine against in-memory hosts (test/support/fake-host.ts): no SSH, no
// root, no lab. Files and probes in; writes, commands, task statuses and handlers out.
import test from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FakeHost, on, playOnFakes } from '../support/fake-host.js';
// what m4 on Debian's sendmail.mc with starttls.m4 gives for the options sendmail's TLS uses
import { DEBIAN_CF, DEBIAN_CF_OPTIONS, fixture } from '../support/fixtures.js';
import { serverRole } from '../../roles/server.js';
import { clientRole } from '../../roles/client.js';
import { sendmailProbes } from '../../roles/tasks/sendmail.js';
import { parseReadOutput, readScript } from '../../lib/remote-files.js';
import { ACCESS, CLIENT_CERT, COMMON_KEY, SENDMAIL_CF, SENDMAIL_MC, SERVER_CERT } from '../../roles/paths.js';


/** A certificate and key as Debian's update_tls makes them (self-signed, one shared key). */
function debianCert(fqdn: string): { cert: string; key: string } {
  const d = mkdtempSync(join(tmpdir(), 'str-fake-'));
  try {
    execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '3650', '-subj',
      `/O=Sendmail/OU=Sendmail Server/CN=${fqdn}/emailAddress=admin@${fqdn}`, '-keyout', join(d, 'k'), '-out', join(d, 'c')], { stdio: 'ignore' });
    return { cert: readFileSync(join(d, 'c'), 'utf8'), key: readFileSync(join(d, 'k'), 'utf8') };
  } finally {
    rmSync(d, { recursive: true, force: true });
  }
}

const INSTALLED = { sendmail: 'sendmail\nupdate_tls\nmake\nm4' };
/** The read-only m4 run, as the host sees it: without makeinfo.sh's header (its ~15 programs). */
const READ_ONLY_M4 = 'm4 -D_NO_MAKEINFO_ 2>/dev/null';
/** A Debian host's answers: m4 (read only, to learn the TLS files) prints Debian's options; the rest succeeds. */
const debianRun = (_s: string, describe: string | undefined) =>
  describe?.includes(READ_ONLY_M4) ? { code: 0, stdout: DEBIAN_CF_OPTIONS + '\n', stderr: '' } : { code: 0, stdout: '', stderr: '' };
const SERVER_TLS = debianCert('mail.example.org');

function debianServer(): FakeHost {
  return new FakeHost('mailserver', {
    [SENDMAIL_MC]: fixture('sendmail.mc.debian12').replace("Addr=127.0.0.1'", "Addr=0.0.0.0'"),
    [ACCESS]: fixture('access.debian12'),
    [SERVER_CERT]: { content: SERVER_TLS.cert, group: 'smmsp' },
    [COMMON_KEY]: { content: SERVER_TLS.key, mode: 0o640, group: 'smmsp' },
    [SENDMAIL_CF]: DEBIAN_CF,
  }, INSTALLED, debianRun);
}
function debianLaptop(name: string): FakeHost {
  const own = debianCert(`${name}.example.org`);
  return new FakeHost(name, {
    [SENDMAIL_MC]: fixture('sendmail.mc.debian12').replace('MAILER_DEFINITIONS', "define(`SMART_HOST', `[mail.example.org]')dnl\nMAILER_DEFINITIONS"),
    [SERVER_CERT]: { content: own.cert, group: 'smmsp' },
    [CLIENT_CERT]: { content: own.cert, group: 'smmsp' },
    [COMMON_KEY]: { content: own.key, mode: 0o640, group: 'smmsp' },
  }, INSTALLED, debianRun);
}
const statusOf = (lines: Array<{ host: string; task: string; status: string }>, host: string, task: RegExp) => lines.find((l) => l.host === host && task.test(l.task))?.status;

test('server role on a fresh Debian 12 server: edits, one rebuild and one reload, the other mode skipped', async () => {
  const srv = debianServer();
  const r = await playOnFakes([[{ host: srv, role: serverRole }]]);
  const st = r.stats.get('mailserver')!;
  assert.equal(st.failed, 0, JSON.stringify(r.lines.filter((l) => l.status === 'failed')));
  assert.match(srv.text(SENDMAIL_MC)!, /^include\(`\/etc\/mail\/tls\/starttls\.m4'\)dnl$/m);
  assert.match(srv.text(SENDMAIL_MC)!, /^define\(`confTLS_SRV_OPTIONS', `'\)dnl$/m);
  assert.match(srv.text(ACCESS)!, /^CERTISSUER:\/O=Sendmail\/OU=Sendmail\+20Server\/CN=mail\.example\.org\/emailAddress=admin@mail\.example\.org\tRELAY$/m);
  // the rebuild and the reload it owes: one round trip (safe-make build-reload), both reported
  assert.deepEqual(srv.commands.filter((c) => !c.includes(READ_ONLY_M4)), ["sh -c '…' safe-make build-reload"]);
  assert.equal(statusOf(r.lines, 'mailserver', /^rebuild the configuration/), 'changed');
  assert.equal(statusOf(r.lines, 'mailserver', /^reload sendmail$/), 'changed');
  assert.equal(statusOf(r.lines, 'mailserver', /laptop CA exists/), 'skipped');
  assert.equal(st.skipped, r.lines.filter((l) => l.status === 'skipped').length);
  assert.ok(st.skipped >= 1);
});

test('server role again: changed=0, nothing written, no handler, one round trip', async () => {
  const srv = debianServer();
  await playOnFakes([[{ host: srv, role: serverRole }]]);
  const writes = srv.written.length;
  srv.commands.length = 0;
  srv.roundTrips = 0;
  const r = await playOnFakes([[{ host: srv, role: serverRole }]]);
  assert.equal(r.stats.get('mailserver')!.changed, 0);
  assert.equal(srv.written.length, writes);
  assert.deepEqual(srv.commands, []);
  assert.equal(srv.roundTrips, 1);
});

test('check mode: every change is reported, nothing is written or run', async () => {
  const srv = debianServer();
  const before = new Map([...srv.files].map(([p, f]) => [p, f.content.toString('utf8')]));
  const r = await playOnFakes([[{ host: srv, role: serverRole }]], { check: true, diff: true });
  assert.deepEqual(srv.written, []);
  // only m4 on the planned sendmail.mc runs (read-only: which files sendmail will use), once
  assert.deepEqual(srv.commands.map((c) => (c.includes(READ_ONLY_M4) ? 'm4' : c)), ['m4']);
  for (const [p, c] of before) assert.equal(srv.text(p), c, p);
  assert.ok(r.stats.get('mailserver')!.changed >= 3);
  const mc = r.lines.find((l) => /include starttls/.test(l.task))!;
  assert.match(mc.messages.join('\n'), /^would update \/etc\/mail\/sendmail\.mc$/m);
  assert.match(mc.diffs.join('\n'), /^\+include\(`\/etc\/mail\/tls\/starttls\.m4'\)dnl$/m);
});

test('client role: the laptop gets the server certificate and key with Debian modes, then reloads', async () => {
  const srv = debianServer();
  const lap = debianLaptop('laptop1');
  const r = await playOnFakes([[{ host: srv, role: serverRole }], [{ host: lap, role: clientRole, vars: { smarthost: 'mailserver' } }]]);
  assert.equal(r.stats.get('laptop1')!.failed, 0, JSON.stringify(r.lines.filter((l) => l.status === 'failed')));
  assert.equal(lap.text(CLIENT_CERT), SERVER_TLS.cert);
  assert.equal(lap.text(COMMON_KEY), SERVER_TLS.key);
  assert.equal(lap.files.get(COMMON_KEY)!.mode, 0o640);
  assert.equal(lap.files.get(COMMON_KEY)!.group, 'smmsp');
  // the certificate twice, the key, sendmail.mc and the access map: one write round trip
  assert.equal(lap.writes.length, 1, JSON.stringify(lap.writes));
  assert.deepEqual(lap.writes[0].slice(0, 3), [CLIENT_CERT, SERVER_CERT, COMMON_KEY]);
  assert.ok(lap.writes[0].includes(SENDMAIL_MC) && lap.writes[0].includes(ACCESS), JSON.stringify(lap.writes));
  assert.ok(lap.commands.includes("sh -c '…' safe-make build-reload"), lap.commands.join('\n'));
  assert.equal(statusOf(r.lines, 'laptop1', /^reload sendmail$/), 'changed');
  assert.equal(statusOf(r.lines, 'laptop1', /own key and a certificate from the laptop CA/), 'skipped');
  // the laptop hands mail only to its server, verified: subject and issuer of the server's certificate pinned
  assert.equal(statusOf(r.lines, 'laptop1', /hands mail only to its verified server/), 'changed');
  assert.match(lap.text(ACCESS) ?? '', /^TLS_Srv:mail\.example\.org\tVERIFY\+CS:\/O=Sendmail\/OU=Sendmail\+20Server\/CN=mail\.example\.org\/emailAddress=admin@mail\.example\.org\+\+CI:\/O=Sendmail\/OU=Sendmail\+20Server\/CN=mail\.example\.org\/emailAddress=admin@mail\.example\.org$/m);
});

test('a server whose certificate a CA issued: shared-key mode refused, its key never copied', async () => {
  const d = mkdtempSync(join(tmpdir(), 'str-ca-'));
  try {
    const o = (args: string[]) => execFileSync('openssl', args, { cwd: d, stdio: 'ignore' });
    o(['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '30', '-subj', '/O=Public CA/CN=Public CA', '-keyout', 'ca.key', '-out', 'ca.crt']);
    o(['req', '-newkey', 'rsa:2048', '-nodes', '-subj', '/CN=mail.example.org', '-keyout', 's.key', '-out', 's.csr']);
    o(['x509', '-req', '-in', 's.csr', '-CA', 'ca.crt', '-CAkey', 'ca.key', '-CAcreateserial', '-days', '30', '-out', 's.crt']);
    const srv = debianServer();
    srv.put(SERVER_CERT, { content: readFileSync(join(d, 's.crt')), group: 'smmsp' });
    srv.put(COMMON_KEY, { content: readFileSync(join(d, 's.key')), mode: 0o640, group: 'smmsp' });
    const lap = debianLaptop('laptop1');
    const r = await playOnFakes([[{ host: srv, role: serverRole }], [{ host: lap, role: clientRole, vars: { smarthost: 'mailserver' } }]]);
    assert.ok(r.stats.get('mailserver')!.failed >= 1);
    assert.match(r.lines.find((l) => l.host === 'mailserver' && l.status === 'failed')!.error!, /not self-signed.*tls_mode: per-laptop/);
    assert.doesNotMatch(srv.text(ACCESS)!, /CERTISSUER:\/O=Public\+20CA/);
    assert.notEqual(lap.text(COMMON_KEY), readFileSync(join(d, 's.key'), 'utf8'));
  } finally {
    rmSync(d, { recursive: true, force: true });
  }
});

test('a failed make rolls back every file the run wrote on that host', async () => {
  const srv = debianServer();
  const mc = srv.text(SENDMAIL_MC);
  const access = srv.text(ACCESS);
  // files/safe-make.sh reports a broken build as it does on a host: rc, make's output, sendmail.cf.errors
  srv.onRun = (sc, d) =>
    /safe-make build(-reload)?$/.test(d ?? '')
      ? { code: 3, stdout: 'rc=0\nmake: Entering directory\n--- sendmail.cf.errors ---\nm4:sendmail.mc:12: ERROR: end of file in string\n', stderr: '' }
      : debianRun(sc, d);
  const r = await playOnFakes([[{ host: srv, role: serverRole }]]);
  assert.equal(r.stats.get('mailserver')!.failed, 1);
  assert.match(r.lines.find((l) => l.status === 'failed')!.error!, /make -C \/etc\/mail failed on mailserver: .*end of file in string/);
  assert.ok(srv.commands.includes("sh -c '…' safe-make restore"), srv.commands.join('\n'));
  assert.equal(srv.text(SENDMAIL_MC), mc);
  assert.equal(srv.text(ACCESS), access);
  assert.ok(!srv.commands.includes("sh -c '…' safe-make reload"));
});

test("typed role options: the server role writes the access lines of the laptops it is given, for this server only", async () => {
  const srv = debianServer();
  const pair = [
    { name: 'laptop1', server: 'mailserver', cn: 'laptop1.example.org' },
    { name: 'laptop9', server: 'otherserver', cn: 'laptop9.example.org' },
  ];
  const r = await playOnFakes([[on(srv, serverRole, { pair }, { tls_mode: 'per-laptop' })]]);
  assert.equal(r.stats.get('mailserver')!.failed, 0, JSON.stringify(r.lines.filter((l) => l.status === 'failed')));
  const access = srv.text(ACCESS)!;
  assert.match(access, /^CERTSUBJECT:.*laptop1\.example\.org\s+RELAY$/m);
  assert.doesNotMatch(access, /laptop9/);
  // without the option, no laptop line is written
  const bare = debianServer();
  await playOnFakes([[on(bare, serverRole, {}, { tls_mode: 'per-laptop' })]]);
  assert.doesNotMatch(bare.text(ACCESS)!, /^CERTSUBJECT:/m);
  // a misspelt option does not compile (the build of the tests fails if this line ever does)
  // @ts-expect-error: 'pairs' is not an option of the server role
  on(srv, serverRole, { pairs: pair });
  // @ts-expect-error: the client role has no regenerateCerts
  on(srv, clientRole, { regenerateCerts: true });
});

test("what a server's sendmail uses is kept per run: a second play in the same process reads the server again", async () => {
  // play 1: the server (read as a peer) presents a hand-set certificate, which the laptop copies
  const one = debianCert('one.example.org');
  const srv1 = new FakeHost('mailserver', {
    [SENDMAIL_CF]: 'O ServerCertFile=/etc/mail/tls/one.crt\nO ServerKeyFile=/etc/mail/tls/one.key\n',
    '/etc/mail/tls/one.crt': one.cert,
    '/etc/mail/tls/one.key': { content: one.key, mode: 0o600 },
  });
  const lap1 = debianLaptop('laptop1');
  await playOnFakes([[{ host: lap1, role: clientRole, vars: { smarthost: 'mailserver' } }]], { peers: [srv1] });
  assert.equal(lap1.text(CLIENT_CERT), one.cert);
  // play 2, same process, a server of the same name with Debian's files: its own sendmail.cf counts
  const srv2 = debianServer();
  srv2.put(SENDMAIL_CF, DEBIAN_CF);
  const lap2 = debianLaptop('laptop1');
  const r = await playOnFakes([[{ host: lap2, role: clientRole, vars: { smarthost: 'mailserver' } }]], { peers: [srv2] });
  assert.equal(statusOf(r.lines, 'laptop1', /copy the server's certificate/), 'changed', JSON.stringify(r.lines.filter((l) => l.status === 'failed')));
  assert.equal(lap2.text(CLIENT_CERT), SERVER_TLS.cert);
});

test('only the access map changed: make -C /etc/mail access.db, no sendmail.cf rebuild, no reload', async () => {
  const srv = debianServer();
  await playOnFakes([[{ host: srv, role: serverRole }]]);
  // someone removed the tool's CERTISSUER line by hand; sendmail.mc is as the tool left it
  srv.put(ACCESS, fixture('access.debian12'));
  srv.commands.length = 0;
  const r = await playOnFakes([[{ host: srv, role: serverRole }]]);
  assert.match(srv.text(ACCESS)!, /^CERTISSUER:\/O=Sendmail\/OU=Sendmail\+20Server\/CN=mail\.example\.org.*\tRELAY$/m);
  assert.deepEqual(srv.commands, ["sh -c '…' safe-make build access.db"]);
  assert.equal(statusOf(r.lines, 'mailserver', /rebuild the access map/), 'changed');
  assert.equal(statusOf(r.lines, 'mailserver', /rebuild the configuration/), undefined);
  assert.equal(statusOf(r.lines, 'mailserver', /reload sendmail/), undefined);
});

test('sendmail.mc and the access map changed: one full make (access.db with it), one reload', async () => {
  const srv = debianServer();
  const r = await playOnFakes([[{ host: srv, role: serverRole }]]);
  assert.equal(statusOf(r.lines, 'mailserver', /rebuild the access map/), 'skipped');
  assert.ok(!srv.commands.some((c) => c.includes('access.db')), srv.commands.join('\n'));
});

test("a host's writes go in one round trip, before its handlers", async () => {
  const srv = debianServer();
  await playOnFakes([[{ host: srv, role: serverRole }]]);
  assert.ok(srv.written.length >= 2, srv.written.join(' ')); // sendmail.mc and access at least
  assert.equal(srv.writeCalls, 1);
  const write = srv.log.findIndex((e) => e.what.startsWith('write '));
  const make = srv.log.findIndex((e) => e.what.includes('safe-make build'));
  assert.ok(write >= 0 && write < make, JSON.stringify(srv.log));
});

test("a laptop is paired while its server reloads: it waits for the server's tasks, not its handlers", async () => {
  const srv = debianServer();
  srv.slow = { 'safe-make build-reload': 300 };
  const lap = debianLaptop('laptop1');
  const r = await playOnFakes([[{ host: srv, role: serverRole }], [{ host: lap, role: clientRole, vars: { smarthost: 'mailserver' } }]]);
  assert.equal(r.stats.get('laptop1')!.failed, 0, JSON.stringify(r.lines.filter((l) => l.status === 'failed')));
  const serverWrote = srv.log.find((e) => e.what.startsWith('write '))!.at;
  const reloadEnd = srv.log.find((e) => e.what.startsWith("end sh -c '…' safe-make build-reload"))!.at;
  const laptopWrote = lap.log.find((e) => e.what.startsWith('write '))!.at;
  assert.ok(laptopWrote < reloadEnd, `laptop wrote at ${laptopWrote} ms, the server's reload ended at ${reloadEnd} ms`);
  assert.ok(laptopWrote >= serverWrote, 'the laptop wrote before its server had');
  // what it copied is the server's certificate and key as the server's part of the run left them
  assert.equal(lap.text(SERVER_CERT), srv.text(SERVER_CERT));
  assert.equal(lap.text(COMMON_KEY), srv.text(COMMON_KEY));
});

test("a server that fails in its handlers after its laptops read from it fails them too", async () => {
  const srv = debianServer();
  srv.slow = { 'safe-make build': 200 };
  srv.onRun = (sc, d) =>
    /safe-make build(-reload)?$/.test(d ?? '')
      ? { code: 3, stdout: 'rc=0\nmake: Entering directory\n--- sendmail.cf.errors ---\nm4:sendmail.mc:12: ERROR: end of file in string\n', stderr: '' }
      : debianRun(sc, d);
  const lap = debianLaptop('laptop1');
  const r = await playOnFakes([[{ host: srv, role: serverRole }], [{ host: lap, role: clientRole, vars: { smarthost: 'mailserver' } }]]);
  assert.ok(r.stats.get('mailserver')!.failed >= 1);
  assert.ok(r.stats.get('laptop1')!.failed >= 1);
  const why = r.lines.find((l) => l.host === 'laptop1' && l.status === 'failed')!;
  assert.match(why.error!, /mailserver failed after laptop1 read from it/);
});

test("a build with warnings only keeps sendmail.cf and reloads on its own; a clean build owes the reload nothing more", async () => {
  const srv = debianServer();
  const warnings = readFileSync(new URL('../../../test/unit/fixtures/build/bookworm-m4-warnings.txt', import.meta.url), 'utf8');
  // safe-make build-reload exits 3 on a build that is not clean, before any reload
  srv.onRun = (sc, d) => (/safe-make build-reload$/.test(d ?? '') ? { code: 3, stdout: warnings, stderr: '' } : debianRun(sc, d));
  const r = await playOnFakes([[{ host: srv, role: serverRole }]]);
  assert.equal(r.stats.get('mailserver')!.failed, 0, JSON.stringify(r.lines.filter((l) => l.status === 'failed')));
  assert.deepEqual(srv.commands.filter((c) => !c.includes(READ_ONLY_M4)), ["sh -c '…' safe-make build-reload", "sh -c '…' safe-make keep", "sh -c '…' safe-make reload"]);
  assert.ok(r.lines.some((l) => l.host === 'mailserver' && l.warnings.some((w) => /blacklist_recipients/.test(w))));
});

test("a reload of its own that fails (after a build with warnings): the reload fails with what the init script said", async () => {
  const srv = debianServer();
  const warnings = readFileSync(new URL('../../../test/unit/fixtures/build/bookworm-m4-warnings.txt', import.meta.url), 'utf8');
  srv.onRun = (sc, d) =>
    /safe-make build-reload$/.test(d ?? '')
      ? { code: 3, stdout: warnings, stderr: '' }
      : /safe-make reload$/.test(d ?? '')
        ? { code: 1, stdout: 'Reloading Mail Transport Agent (MTA): sendmail', stderr: 'start-stop-daemon: no process found' }
        : debianRun(sc, d);
  const r = await playOnFakes([[{ host: srv, role: serverRole }]]);
  const failed = r.lines.filter((l) => l.host === 'mailserver' && l.status === 'failed');
  assert.equal(failed.length, 1, JSON.stringify(failed));
  assert.equal(failed[0].task, 'reload sendmail');
  assert.match(failed[0].error!, /^\/etc\/init\.d\/sendmail reload failed on mailserver \(exit 1\): start-stop-daemon: no process found\nReloading/);
});

test("a clean build whose reload fails: the rebuild fails and says it was the reload", async () => {
  const srv = debianServer();
  srv.onRun = (sc, d) =>
    /safe-make build-reload$/.test(d ?? '') ? { code: 4, stdout: 'Reloading Mail Transport Agent (MTA): sendmail', stderr: '/etc/init.d/sendmail reload failed (exit 1)' } : debianRun(sc, d);
  const r = await playOnFakes([[{ host: srv, role: serverRole }]]);
  const failed = r.lines.filter((l) => l.host === 'mailserver' && l.status === 'failed');
  assert.equal(failed.length, 1, JSON.stringify(failed));
  assert.match(failed[0].task, /^rebuild the configuration/);
  assert.match(failed[0].error!, /was clean, then \/etc\/init\.d\/sendmail reload failed: .*exit 1/s);
  assert.ok(!srv.commands.includes("sh -c '…' safe-make reload"));
});

test("a laptop reads its server's files as the server's tasks left them, from memory: no read on the server while its handlers run", async () => {
  const srv = debianServer();
  srv.slow = { 'safe-make build-reload': 200 };
  const lap = debianLaptop('laptop1');
  const r = await playOnFakes([[{ host: srv, role: serverRole }], [{ host: lap, role: clientRole, vars: { smarthost: 'mailserver' } }]]);
  assert.equal(r.stats.get('laptop1')!.failed, 0, JSON.stringify(r.lines.filter((l) => l.status === 'failed')));
  // the server's handler dropped the server's own snapshot when it ran; the laptop's read did not
  // need it: only the shared key, which the server's snapshot holds as a digest (a secret), is read
  assert.deepEqual(srv.readPaths, [COMMON_KEY]);
  assert.equal(srv.reads, 1);
  assert.equal(lap.text(SERVER_CERT), srv.text(SERVER_CERT));
  assert.equal(lap.text(COMMON_KEY), srv.text(COMMON_KEY));
});

test('the sendmail probe is of the shell\'s builtins alone, so it runs without a fork, and answers in dash', () => {
  const p = sendmailProbes.sendmail;
  assert.ok(typeof p !== 'string', 'declared as a builtins probe');
  // the first word of every simple command (after ;, &&, ||, { and }): a builtin of dash, never a program
  const words = p.builtins
    .split(/;|&&|\|\||\{|\}/)
    .map((c) => c.trim().split(/\s+/)[0])
    .filter(Boolean);
  for (const w of words) assert.ok(['test', '[', 'command', 'echo', 'true'].includes(w), `${w} is not a builtin of dash`);
  assert.ok(!/\$\(|`|\b\w+=/.test(p.builtins), 'no command substitution, no assignment');
  const r = execFileSync('/bin/sh', ['-c', readScript([], sendmailProbes)]);
  const got = parseReadOutput(r, [], sendmailProbes).probes.sendmail;
  assert.equal(got.code, 0);
  for (const w of got.stdout.split('\n').filter(Boolean)) assert.ok(['sendmail', 'update_tls', 'make', 'm4', 'stale-cf', 'stale-db', 'stale-daemon'].includes(w), w);
});
