// Safe to run again: certificate regeneration (by the tool and by hand), check mode, a make
// failure, a lock held by another run, and runs cut short by SIGKILL or a dropped connection.
import test from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { requireLab, labUp, labReset, sendTestMail, hostRoot, hostExec, sshRun, hostDiagnostics } from './helpers.js';
import { tool, recap, etcMailSums, toolKilledAt } from './tool.js';

const HOSTS = ['mailserver', 'laptop1', 'laptop2'];
const read = (h: string, p: string) => readFileSync(join(hostRoot(h), p), 'utf8');
const totalChanged = (out: string) => Object.values(recap(out)).reduce((n, r) => n + r.changed, 0);

/** The converged state: laptop1 relays, one include, one CERTISSUER line, make succeeds. */
async function assertConverged(label: string): Promise<void> {
  const mc = read('mailserver', 'etc/mail/sendmail.mc');
  assert.equal(mc.split('\n').filter((l) => l.startsWith("include(`/etc/mail/tls/starttls.m4')")).length, 1, `${label}: one include`);
  assert.ok(mc.includes('MAILER(`smtp\')dnl'), `${label}: sendmail.mc not truncated`);
  const access = read('mailserver', 'etc/mail/access');
  assert.equal(access.split('\n').filter((l) => /^CERTISSUER:/i.test(l)).length, 1, `${label}: one CERTISSUER line`);
  assert.ok(access.includes('Connect:127'), `${label}: access not truncated`);
  for (const h of ['mailserver', 'laptop1']) {
    const m = await hostExec(h, 'make -C /etc/mail >/dev/null 2>&1; echo rc=$?; test -s /etc/mail/sendmail.cf.errors && echo errors');
    assert.equal(m.stdout.trim(), 'rc=0', `${label}: make on ${h}`);
  }
  const r = await sendTestMail('laptop1');
  assert.equal(r.relayed, true, `${label}: laptop1 should relay\n${r.laptopLines.join('\n')}\n${r.serverLines.join('\n')}`);
  assert.equal(r.verify, 'OK');
}

test('safe to run again', { timeout: 30 * 60_000 }, async (t) => {
  if (!(await requireLab(t))) return;
  await labUp(HOSTS);

  await t.test('--check changes nothing on any host and reports as many changes as the real run then makes', async () => {
    await labReset(HOSTS);
    const before = Object.fromEntries(HOSTS.map((h) => [h, etcMailSums(h)]));
    const c = await tool('deploy', ['--check', '--diff']);
    assert.equal(c.code, 0, c.stdout + c.stderr);
    for (const h of HOSTS) assert.deepEqual(etcMailSums(h), before[h], `--check changed ${h}`);
    assert.match(c.stdout, /\+include\(`\/etc\/mail\/tls\/starttls\.m4'\)dnl/, 'the diff shows the include');
    assert.match(c.stdout, /sendmail-common\.key[\s\S]*secret content/, 'a key file only says it changes');
    const real = await tool('deploy', []);
    assert.equal(real.code, 0, real.stdout + real.stderr);
    assert.ok(totalChanged(c.stdout) > 0);
    assert.equal(totalChanged(c.stdout), totalChanged(real.stdout), `check:\n${c.stdout}\nreal:\n${real.stdout}`);
    await assertConverged('after deploy');
  });

  await t.test("sendmail.cf unchanged since the tool's build is read as its option lines; planted, put back with cp -p or rebuilt by hand, it is read whole or as it is", async () => {
    const SUMMARY = 'var/lib/sendmail-tls-relay/sendmail.cf.options';
    const summaryOfCf = async (h: string) => {
      const sig = (await hostExec(h, "stat -c '%i %s %.9Y %.9Z' /etc/mail/sendmail.cf")).stdout.trim();
      const lines = (await hostExec(h, "LC_ALL=C grep -a -n '^O' /etc/mail/sendmail.cf")).stdout;
      return `${sig}\n${lines}`;
    };
    // the deploy above built sendmail.cf on each host (files/safe-make.sh), and kept its summary
    for (const h of ['mailserver', 'laptop1']) assert.equal(read(h, SUMMARY), await summaryOfCf(h), `${h}: the summary is of sendmail.cf as built`);
    const roundTrips = (out: string, h: string) => Number(new RegExp(`^${h}\\s*:.*round_trips=(\\d+)`, 'm').exec(out)?.[1]);
    // what the run reads is the summary: lines planted in it (under the file's own signature) are believed
    const good = read('mailserver', SUMMARY);
    await hostExec('mailserver', `sed -i 's#^\\([0-9]*:O ServerCertFile=\\).*#\\1/etc/mail/tls/planted.crt#' /${SUMMARY}`);
    const planted = await tool('deploy', ['--host', 'mailserver', '--check', '-v']);
    await hostExec('mailserver', `cat > /${SUMMARY}`, good);
    assert.match(planted.stdout + planted.stderr, /O ServerCertFile=\/etc\/mail\/tls\/planted\.crt\) names a file that does not exist/, planted.stdout + planted.stderr);
    const again = await tool('deploy', ['-v']);
    assert.equal(again.code, 0, again.stdout + again.stderr);
    assert.equal(totalChanged(again.stdout), 0, again.stdout);
    assert.equal(roundTrips(again.stdout, 'mailserver'), 1, again.stdout);
    // put back with cp -p: the old mtime, a new ctime: the summary is refused, the file read whole
    await hostExec('mailserver', 'cp -p /etc/mail/sendmail.cf /tmp/cf && cp -p /tmp/cf /etc/mail/sendmail.cf');
    const copied = await tool('deploy', ['--host', 'mailserver', '-v']);
    assert.equal(copied.code, 0, copied.stdout + copied.stderr);
    assert.equal(totalChanged(copied.stdout), 0, copied.stdout);
    assert.equal(roundTrips(copied.stdout, 'mailserver'), 2, `refused, then read whole:\n${copied.stdout}`);
    // rebuilt by hand: newer than its summary, which then never counts, whatever it says
    await hostExec('mailserver', `sed -i 's#^\\([0-9]*:O ServerCertFile=\\).*#\\1/etc/mail/tls/planted.crt#' /${SUMMARY}`);
    await hostExec('mailserver', 'touch /etc/mail/sendmail.mc && make -C /etc/mail >/dev/null 2>&1');
    const rebuilt = await tool('deploy', ['--host', 'mailserver', '--check', '-v']);
    await hostExec('mailserver', `cat > /${SUMMARY}`, good);
    assert.equal(rebuilt.code, 0, rebuilt.stdout + rebuilt.stderr);
    assert.doesNotMatch(rebuilt.stdout + rebuilt.stderr, /planted/, rebuilt.stdout);
    assert.equal(roundTrips(rebuilt.stdout, 'mailserver'), 1, rebuilt.stdout);
    // the daemon still runs the configuration before the make: the run reloads it (no build)
    const settled = await tool('deploy', ['--host', 'mailserver']);
    assert.equal(settled.code, 0, settled.stdout + settled.stderr);
    assert.notEqual(read('mailserver', SUMMARY), await summaryOfCf('mailserver'), 'a run that builds nothing leaves the summary as it was');
  });

  await t.test('regenerate with the tool, then re-pair: laptop1 relays again, laptop2 still refused', async () => {
    const oldCert = read('mailserver', 'etc/mail/tls/sendmail-server.crt');
    const g = await tool('deploy', ['--host', 'mailserver', '--regenerate-certs']);
    assert.equal(g.code, 0, g.stdout + g.stderr);
    assert.notEqual(read('mailserver', 'etc/mail/tls/sendmail-server.crt'), oldCert, 'a new certificate');
    const refused = await sendTestMail('laptop1');
    assert.equal(refused.relayed, false, 'the old certificate no longer relays');
    // a check run names the stale laptop and both fingerprints
    const chk = await tool('pair', ['laptop1', '--check']);
    assert.match(chk.stdout, /laptop1: copy the server's certificate .*laptop certificate ([0-9A-F]{2}:){31}[0-9A-F]{2} is not the server's ([0-9A-F]{2}:){31}[0-9A-F]{2}/);
    const p = await tool('pair', ['laptop1']);
    assert.equal(p.code, 0, p.stdout + p.stderr);
    await assertConverged('after regenerate + pair');
    const r2 = await sendTestMail('laptop2');
    assert.equal(r2.relayed, false);
  });

  await t.test('regenerated by hand on the server: refused, then deploy and pair repair it', async () => {
    // update_tls new, with the V back in starttls.m4 as update_tlsm4 writes it when nothing overrides it
    const h = await hostExec(
      'mailserver',
      "/usr/share/sendmail/update_tls new >/dev/null 2>&1 && sed -i \"s/^define(\\`confTLS_SRV_OPTIONS', \\`')/define(\\`confTLS_SRV_OPTIONS', \\`V')/\" /etc/mail/tls/starttls.m4 && /etc/init.d/sendmail reload >/dev/null 2>&1; echo $?",
    );
    assert.equal(h.stdout.trim(), '0');
    assert.match(read('mailserver', 'etc/mail/tls/starttls.m4'), /^define\(`confTLS_SRV_OPTIONS', `V'\)/m, 'the V is back in starttls.m4');
    const refused = await sendTestMail('laptop1');
    assert.equal(refused.relayed, false);
    const d = await tool('deploy', ['--host', 'mailserver']);
    assert.equal(d.code, 0, d.stdout + d.stderr);
    const p = await tool('pair', ['laptop1']);
    assert.equal(p.code, 0, p.stdout + p.stderr);
    assert.ok(recap(p.stdout).laptop1.changed > 0);
    await assertConverged('after hand regeneration');
    const again = await tool('pair', ['laptop1']);
    assert.equal(totalChanged(again.stdout), 0, again.stdout);
  });

  await t.test('a make failure keeps the previous configuration, and sendmail keeps accepting mail', async () => {
    const mcPath = join(hostRoot('mailserver'), 'etc/mail/sendmail.mc');
    const cfBefore = read('mailserver', 'etc/mail/sendmail.cf');
    const pid = read('mailserver', 'run/sendmail/mta/sendmail.pid').split('\n')[0];
    // the admin's broken line, and our include gone so that the tool has an edit to make
    const broken = read('mailserver', 'etc/mail/sendmail.mc')
      .replace("include(`/etc/mail/tls/starttls.m4')dnl\n", '')
      .replace('MAILER_DEFINITIONS', "FEATURE(`no_such_feature_str')dnl\nMAILER_DEFINITIONS");
    await hostExec('mailserver', `cat > /etc/mail/sendmail.mc`, broken);
    const d = await tool('deploy', ['--host', 'mailserver']);
    assert.equal(d.code, 2, d.stdout + d.stderr);
    assert.match(d.stdout, /failed\s+mailserver: rebuild the configuration .*make -C \/etc\/mail failed on mailserver: .*no_such_feature_str/);
    assert.match(d.stdout, /restored \/etc\/mail\/sendmail\.mc/);
    assert.equal(readFileSync(mcPath, 'utf8'), broken, "sendmail.mc is back as the admin left it");
    assert.equal(read('mailserver', 'etc/mail/sendmail.cf'), cfBefore, 'the previous sendmail.cf is in place');
    assert.equal(read('mailserver', 'run/sendmail/mta/sendmail.pid').split('\n')[0], pid, 'not reloaded');
    const r = await sendTestMail('laptop1');
    assert.equal(r.relayed, true, 'sendmail still accepts and relays mail on the last good configuration');
    // the admin fixes the line; the next run converges
    await hostExec('mailserver', `sed -i '/no_such_feature_str/d' /etc/mail/sendmail.mc`);
    const fixed = await tool('deploy', ['--host', 'mailserver']);
    assert.equal(fixed.code, 0, fixed.stdout + fixed.stderr);
    await assertConverged('after the fix');
  });

  await t.test('a second run waits for the host lock a bounded time, then fails clearly and changes nothing', async () => {
    // another run: an SSH session holding the host's lock for 6 s
    const holder = sshRun('mailserver', 'flock /run/lock/sendmail-tls-relay.lock sleep 6');
    const held = await hostExec('mailserver', `for i in 1 2 3 4 5 6 7 8 9 10; do flock -n /run/lock/sendmail-tls-relay.lock true || { echo held; exit 0; }; sleep 0.2; done; echo free`);
    assert.equal(held.stdout.trim(), 'held', 'the other run holds the lock');
    const before = etcMailSums('mailserver');
    const started = Date.now();
    const d = await tool('deploy', ['--host', 'mailserver', '--lock-wait', '1']);
    assert.equal(d.code, 2, d.stdout + d.stderr);
    assert.match(d.stdout, /mailserver: another run holds the lock \/run\/lock\/sendmail-tls-relay\.lock \(waited 1 s\)/);
    assert.ok(Date.now() - started < 15_000);
    assert.deepEqual(etcMailSums('mailserver'), before);
    assert.equal((await holder).code, 0);
  });

  const cuts: Array<[string, RegExp]> = [
    ['before the edits', /ok\s+mailserver: sendmail is installed/],
    ['during the edits', /changed mailserver: include starttls\.m4/],
    ['after the edits, before make', /mailserver: the access map/],
    ['after make, before the reload', /changed mailserver: rebuild the configuration/],
    ["during the laptop's edits", /changed laptop1: copy the server's certificate/],
  ];
  for (const [where, trigger] of cuts) {
    await t.test(`killed with SIGKILL ${where}: the next run converges`, async () => {
      await labReset(['mailserver', 'laptop1']);
      const k = await toolKilledAt('pair', ['laptop1'], trigger, 'SIGKILL');
      assert.ok(k.fired, `the run reached "${trigger}":\n${k.stdout}`);
      const again = await tool('pair', ['laptop1']);
      // a host that stopped answering (seen once in CI: nothing listened on the server's port 22) says
      // what runs on it and what its log holds
      const diagnostics = again.code === 0 ? '' : `\n${await hostDiagnostics('mailserver')}\n${await hostDiagnostics('laptop1')}`;
      assert.equal(again.code, 0, again.stdout + again.stderr + diagnostics);
      await assertConverged(`killed ${where}`);
    });
  }

  await t.test("the laptop's sshd stops mid-run: that host fails, the next run converges", async () => {
    await labReset(['mailserver', 'laptop1']);
    const k = await toolKilledAt('pair', ['laptop1'], /laptop1: sendmail is installed/, 'SIGKILL', async () => {
      await hostExec('laptop1', 'pkill -KILL sshd; true');
    });
    assert.ok(k.fired);
    assert.notEqual(k.code, 0, k.stdout);
    await hostExec('laptop1', 'mkdir -p /run/sshd && /usr/sbin/sshd');
    const again = await tool('pair', ['laptop1']);
    assert.equal(again.code, 0, again.stdout + again.stderr);
    await assertConverged('after sshd stopped');
  });
});
