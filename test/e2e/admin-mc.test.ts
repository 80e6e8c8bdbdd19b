// The admin's own sendmail.mc and certificates on the lab server (test/unit/fixtures/mc/): deploy
// and pair, then a real laptop's mail is accepted for relay; a deprecation warning is shown and
// kept; TLS set up by hand is used as it is (the access key from the certificate sendmail really
// presents); a set-up the tool cannot serve is refused with one line and nothing changes; a server
// nobody can reach is said so, by deploy and by status. Runs on LAB_SUITE (bookworm or trixie).
import test from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { requireLab, labUp, labReset, sendTestMail, hostRoot, hostExec } from './helpers.js';
import { tool, recap, etcMailSums } from './tool.js';

const HOSTS = ['mailserver', 'laptop1'];
const fixture = (name: string) => readFileSync(new URL(`../../../test/unit/fixtures/mc/${name}`, import.meta.url), 'utf8');
const read = (h: string, p: string) => readFileSync(join(hostRoot(h), p), 'utf8');

/** The server as the admin left it: their sendmail.mc, built and running. */
async function install(mc: string, extra = ''): Promise<void> {
  const r = await hostExec('mailserver', `${extra}cat > /etc/mail/sendmail.mc && make -C /etc/mail >/dev/null 2>&1; /etc/init.d/sendmail reload >/dev/null 2>&1; echo done`, mc);
  assert.match(r.stdout, /done/, r.stderr);
}

async function assertRelays(label: string): Promise<void> {
  const r = await sendTestMail('laptop1');
  assert.equal(r.relayed, true, `${label}: laptop1 should relay\n${r.laptopLines.join('\n')}\n${r.serverLines.join('\n')}`);
  assert.equal(r.verify, 'OK', `${label}: ${r.serverLines.join('\n')}`);
  assert.ok(!r.serverLines.some((l) => /Relaying denied/.test(l)), label);
}

test("the admin's own sendmail.mc", { timeout: 20 * 60_000 }, async (t) => {
  if (!(await requireLab(t))) return;
  await labUp(HOSTS);

  for (const name of ['blacklist-recipients.mc', 'no-dnl-defines-after-mailer.mc', 'include-last-line-no-newline.mc', 'access-db-twice.mc', 'local-config-twice.mc', 'milters-authinfo.mc']) {
    await t.test(`${name}: deploy + pair, laptop1 relays with verify=OK; a second run changes nothing`, async () => {
      await labReset(HOSTS);
      await install(fixture(name));
      const before = fixture(name);
      const d = await tool('pair', ['laptop1']);
      assert.equal(d.code, 0, d.stdout + d.stderr);
      if (name === 'blacklist-recipients.mc') {
        // m4's deprecation warning is shown with the task, and the new sendmail.cf is kept
        assert.match(d.stdout + d.stderr, /WARNING: FEATURE\(blacklist_recipients\) is deprecated/);
        assert.doesNotMatch(d.stdout + d.stderr, /make -C \/etc\/mail failed|restored/);
        assert.match(read('mailserver', 'etc/mail/sendmail.cf'), /^O ServerCertFile=\/etc\/mail\/tls\/sendmail-server\.crt$/m);
      }
      const after = read('mailserver', 'etc/mail/sendmail.mc');
      assert.equal(after.endsWith('\n'), before.endsWith('\n'), 'final newline kept as it was');
      assert.equal(after.split('\n').filter((l) => /^\s*include\(`\/etc\/mail\/tls\/starttls\.m4'\)/.test(l)).length, 1, 'one include');
      await assertRelays(name);
      const again = await tool('pair', ['laptop1']);
      assert.equal(again.code, 0, again.stdout + again.stderr);
      assert.equal(recap(again.stdout).mailserver.changed, 0, again.stdout);
      assert.equal(recap(again.stdout).laptop1.changed, 0, again.stdout);
    });
  }

  await t.test('hand TLS (CERT_DIR helper macros, no starttls.m4): the access key is the issuer of the certificate sendmail presents; laptop1 relays', async () => {
    await labReset(HOSTS);
    const subj = '/O=Hand Made/CN=mailserver.lab.example';
    await install(
      fixture('hand-tls-certdir.mc'),
      `mkdir -p /etc/mail/certs && openssl req -x509 -newkey rsa:2048 -nodes -days 400 -subj '${subj}' -keyout /etc/mail/certs/mail.key -out /etc/mail/certs/mail.pem 2>/dev/null && ` +
        // without starttls.m4 (its confDONT_BLAME_SENDMAIL), sendmail wants the key readable by root only
        `cp /etc/mail/certs/mail.pem /etc/mail/certs/mail-ca.pem && chmod 0600 /etc/mail/certs/mail.key && `,
    );
    const d = await tool('pair', ['laptop1']);
    assert.equal(d.code, 0, d.stdout + d.stderr);
    const access = read('mailserver', 'etc/mail/access').split('\n').filter((l) => /^CERTISSUER:/i.test(l));
    assert.deepEqual(access, ['CERTISSUER:/O=Hand+20Made/CN=mailserver.lab.example\tRELAY']);
    const issuer = execFileSync('openssl', ['x509', '-noout', '-issuer', '-nameopt', 'compat', '-in', join(hostRoot('mailserver'), 'etc/mail/certs/mail.pem')], { encoding: 'utf8' }).trim().replace(/^issuer=\s*/, '');
    assert.equal(access[0].split('\t')[0], 'CERTISSUER:' + issuer.replace(/ /g, '+20'));
    // the admin's TLS stays in force: no include was added that would override it
    assert.doesNotMatch(read('mailserver', 'etc/mail/sendmail.mc'), /^include\(`\/etc\/mail\/tls\/starttls\.m4'\)/m);
    assert.match(read('mailserver', 'etc/mail/sendmail.cf'), /^O ServerCertFile=\/etc\/mail\/certs\/mail\.pem$/m);
    assert.deepEqual(readFileSync(join(hostRoot('laptop1'), 'etc/mail/tls/sendmail-client.crt')), readFileSync(join(hostRoot('mailserver'), 'etc/mail/certs/mail.pem')));
    await assertRelays('hand TLS');
    // what the tool read: sendmail.cf's ServerCertFile (m4 of the admin's file), not Debian's path
    const j = JSON.parse((await tool('deploy', ['--host', 'mailserver', '--json'])).stdout);
    const facts = j.hosts.mailserver.tasks.find((x: { facts?: { tlsFiles?: unknown } }) => x.facts?.tlsFiles).facts;
    assert.equal(facts.tlsFiles.serverCert, '/etc/mail/certs/mail.pem');
    assert.equal(facts.tlsFiles.serverKey, '/etc/mail/certs/mail.key');
    assert.equal(j.hosts.mailserver.changed, 0);
    // the paired laptop and its server (laptop2 is not paired: status would exit 6 for it)
    const s = await tool('status', ['--json', '--host', 'mailserver', '--host', 'laptop1']);
    assert.equal(s.code, 0, s.stdout + s.stderr);
    assert.match(s.stdout, /\/etc\/mail\/certs\/mail\.pem/);
    // update_tls's files are not what sendmail presents: HANDS_OFF and a missing Debian certificate
    // do not matter, and --regenerate-certs is refused (it would not change the certificate in use)
    await hostExec('mailserver', 'echo HANDS_OFF=\\"Yes\\" >> /etc/mail/sendmail.conf; rm -f /etc/mail/tls/sendmail-server.crt');
    const quiet = await tool('deploy', ['--host', 'mailserver']);
    assert.equal(quiet.code, 0, quiet.stdout + quiet.stderr);
    assert.equal(recap(quiet.stdout).mailserver.changed, 0, quiet.stdout);
    const before = etcMailSums('mailserver');
    const regen = await tool('deploy', ['--host', 'mailserver', '--regenerate-certs']);
    assert.equal(regen.code, 2, regen.stdout + regen.stderr);
    assert.match(regen.stdout, /sendmail on mailserver presents confSERVER_CERT \(O ServerCertFile=\/etc\/mail\/certs\/mail\.pem\), not update_tls's \/etc\/mail\/tls\/sendmail-server\.crt: --regenerate-certs would not change it/);
    assert.deepEqual(etcMailSums('mailserver'), before);
  });

  await t.test("Let's Encrypt paths that do not exist: refused in one line naming the define and the file; nothing changed", async () => {
    await labReset(HOSTS);
    await install(fixture('letsencrypt-after-include.mc'));
    const before = etcMailSums('mailserver');
    const d = await tool('deploy', ['--host', 'mailserver']);
    assert.equal(d.code, 2, d.stdout + d.stderr);
    const line = (d.stdout + d.stderr).split('\n').find((l) => /confSERVER_CERT/.test(l));
    assert.ok(line, d.stdout + d.stderr);
    assert.match(line!, /mailserver:\/etc\/mail\/sendmail\.mc: confSERVER_CERT \(O ServerCertFile=\/etc\/letsencrypt\/live\/mail\.example\.org\/fullchain\.pem\) names a file that does not exist; nothing was changed/);
    assert.deepEqual(etcMailSums('mailserver'), before);
  });

  await t.test('MTA commented out (only the MSA on 127.0.0.1): deploy warns that laptops cannot reach the server, status shows it', async () => {
    await labReset(HOSTS);
    await install(fixture('mta-commented-out.mc'));
    const d = await tool('deploy', ['--host', 'mailserver']);
    assert.equal(d.code, 0, d.stdout + d.stderr);
    assert.match(d.stdout + d.stderr, /sendmail listens only on MSP-v4 127\.0\.0\.1:587 M=Ea, so laptops cannot reach it/);
    const s = await tool('status', ['--host', 'mailserver']);
    assert.match(s.stdout, /laptops connect to NOTHING REACHABLE/);
    assert.match(s.stdout, /so laptops cannot reach it/);
  });

  await t.test('the lab server as it comes: deploy names where laptops connect', async () => {
    await labReset(HOSTS);
    const d = await tool('deploy', ['--host', 'mailserver', '--json']);
    assert.equal(d.code, 0, d.stdout + d.stderr);
    const task = JSON.parse(d.stdout).hosts.mailserver.tasks.find((x: { task: string }) => /laptops can reach the server/.test(x.task));
    assert.equal(task.facts.listener, 'MTA-v4 0.0.0.0:25');
    assert.deepEqual(task.warnings, []);
    const s = await tool('status', ['--host', 'mailserver']);
    assert.match(s.stdout, /laptops connect to MTA-v4 0\.0\.0\.0:25/);
  });
  await labReset(HOSTS);
});
