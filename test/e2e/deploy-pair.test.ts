// deploy and pair, end to end on the lab: real sshd, real sendmail, real mail.
import test from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync, mkdtempSync, statSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execFileSync } from 'node:child_process';
import { requireLab, labUp, labReset, sendTestMail, hostRoot, labPaths, hostAddress, hostExec } from './helpers.js';
import { tool, recap, etcMailSums, mtimeOf } from './tool.js';

const HOSTS = ['mailserver', 'laptop1', 'laptop2'];

test('deploy and pair', { timeout: 15 * 60_000 }, async (t) => {
  if (!(await requireLab(t))) return;
  await labUp(HOSTS);
  await labReset(HOSTS);

  await t.test('before: laptop1 is refused (Relaying denied)', async () => {
    const r = await sendTestMail('laptop1');
    assert.equal(r.relayed, false, r.serverLines.join('\n'));
    assert.ok(r.serverLines.some((l) => /Relaying denied/.test(l)), r.serverLines.join('\n'));
  });

  await t.test('deploy the server, pair laptop1: laptop1 relays with verify=OK, laptop2 is still refused', async () => {
    const d = await tool('deploy', ['--host', 'mailserver']);
    assert.equal(d.code, 0, d.stdout + d.stderr);
    assert.ok(recap(d.stdout).mailserver.changed > 0, d.stdout);
    const p = await tool('pair', ['laptop1']);
    assert.equal(p.code, 0, p.stdout + p.stderr);
    assert.ok(recap(p.stdout).laptop1.changed > 0, p.stdout);

    const access = readFileSync(join(hostRoot('mailserver'), 'etc/mail/access'), 'utf8');
    const lines = access.split('\n').filter((l) => /^CERTISSUER:/i.test(l));
    assert.deepEqual(lines, ['CERTISSUER:/O=Sendmail/OU=Sendmail+20Server/CN=mailserver.lab.example/emailAddress=admin@mailserver.lab.example\tRELAY']);
    // the access key is exactly what openssl says the issuer is, xtext-encoded
    const issuer = execFileSync('openssl', ['x509', '-noout', '-issuer', '-nameopt', 'compat', '-in', join(hostRoot('mailserver'), 'etc/mail/tls/sendmail-server.crt')], { encoding: 'utf8' })
      .trim()
      .replace(/^issuer=\s*/, '');
    assert.equal(lines[0].split('\t')[0], 'CERTISSUER:' + issuer.replace(/ /g, '+20'));

    const r1 = await sendTestMail('laptop1');
    assert.equal(r1.relayed, true, `laptop1 not relayed:\n${r1.laptopLines.join('\n')}\n${r1.serverLines.join('\n')}`);
    assert.equal(r1.verify, 'OK', r1.serverLines.join('\n'));
    assert.ok(!r1.serverLines.some((l) => /Relaying denied/.test(l)));
    const r2 = await sendTestMail('laptop2');
    assert.equal(r2.relayed, false, r2.serverLines.join('\n'));
    assert.ok(r2.serverLines.some((l) => /Relaying denied/.test(l)), r2.serverLines.join('\n'));
  });

  await t.test("laptop1 holds the server's certificate and key with Debian's owners and modes", () => {
    const tls = (h: string, f: string) => join(hostRoot(h), 'etc/mail/tls', f);
    assert.deepEqual(readFileSync(tls('laptop1', 'sendmail-client.crt')), readFileSync(tls('mailserver', 'sendmail-server.crt')));
    assert.deepEqual(readFileSync(tls('laptop1', 'sendmail-server.crt')), readFileSync(tls('mailserver', 'sendmail-server.crt')));
    assert.deepEqual(readFileSync(tls('laptop1', 'sendmail-common.key')), readFileSync(tls('mailserver', 'sendmail-common.key')));
    const key = statSync(tls('laptop1', 'sendmail-common.key'));
    assert.equal(key.mode & 0o777, 0o640);
    const smmsp = Number(readFileSync(join(hostRoot('laptop1'), 'etc/group'), 'utf8').match(/^smmsp:x:(\d+):/m)![1]);
    assert.equal(key.uid, 0);
    assert.equal(key.gid, smmsp);
    assert.equal(statSync(tls('laptop1', 'sendmail-client.crt')).mode & 0o777, 0o644);
  });

  await t.test('a second deploy and pair change nothing, and neither rebuild nor reload', async () => {
    const cf = mtimeOf('mailserver', 'etc/mail/sendmail.cf');
    const cf1 = mtimeOf('laptop1', 'etc/mail/sendmail.cf');
    const pid = readFileSync(join(hostRoot('mailserver'), 'run/sendmail/mta/sendmail.pid'), 'utf8').split('\n')[0];
    const sums = { mailserver: etcMailSums('mailserver'), laptop1: etcMailSums('laptop1') };
    // the inventory and known_hosts from the environment, then from a .env file
    const envDir = mkdtempSync(join(tmpdir(), 'str-env-'));
    writeFileSync(join(envDir, '.env'), `INVENTORY=${labPaths.inventory}\nKNOWN_HOSTS=${labPaths.knownHosts}\n`);
    const d = await tool('deploy', ['--host', 'mailserver'], { lab: false, env: { INVENTORY: labPaths.inventory, KNOWN_HOSTS: labPaths.knownHosts } });
    const p = await tool('pair', ['laptop1'], { lab: false, cwd: envDir });
    rmSync(envDir, { recursive: true, force: true });
    assert.equal(d.code, 0, d.stdout + d.stderr);
    assert.equal(p.code, 0, p.stdout + p.stderr);
    assert.deepEqual(recap(d.stdout).mailserver, { ok: recap(d.stdout).mailserver.ok, changed: 0, failed: 0, unreachable: 0 }, d.stdout);
    for (const h of ['mailserver', 'laptop1']) assert.equal(recap(p.stdout)[h].changed, 0, p.stdout);
    assert.doesNotMatch(d.stdout + p.stdout, /rebuild the configuration|reload sendmail/);
    assert.equal(mtimeOf('mailserver', 'etc/mail/sendmail.cf'), cf);
    assert.equal(mtimeOf('laptop1', 'etc/mail/sendmail.cf'), cf1);
    assert.equal(readFileSync(join(hostRoot('mailserver'), 'run/sendmail/mta/sendmail.pid'), 'utf8').split('\n')[0], pid, 'sendmail was not reloaded');
    assert.deepEqual(etcMailSums('mailserver'), sums.mailserver);
    assert.deepEqual(etcMailSums('laptop1'), sums.laptop1);
  });

  await t.test('an unknown host key and a changed host key are refused, and nothing on that host changes', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'str-kh-'));
    try {
      const all = readFileSync(labPaths.knownHosts, 'utf8').split('\n');
      const addr2 = hostAddress('laptop2');
      const without = all.filter((l) => !l.split(' ')[0].split(',').includes(addr2));
      assert.ok(without.length < all.length, 'the lab known_hosts names laptop2 by address');
      const unknownKh = join(dir, 'unknown');
      writeFileSync(unknownKh, without.join('\n'));
      const before = etcMailSums('laptop2');
      const u = await tool('pair', ['laptop2', '--known-hosts', unknownKh]);
      assert.equal(u.code, 4, u.stdout + u.stderr);
      assert.match(u.stdout, new RegExp(`unreachable laptop2: host key for ${addr2.replace(/\./g, '\\.')} is not in .* \\(ssh-ed25519 SHA256:[A-Za-z0-9+/]{43}\\)`));
      assert.deepEqual(etcMailSums('laptop2'), before);

      // a changed key: laptop2's entry now holds some other ed25519 key
      execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', join(dir, 'other')]);
      const other = readFileSync(join(dir, 'other.pub'), 'utf8').trim().split(' ').slice(0, 2).join(' ');
      const changedKh = join(dir, 'changed');
      writeFileSync(changedKh, [...without, `${addr2},laptop2 ${other}`].join('\n') + '\n');
      const c = await tool('pair', ['laptop2', '--known-hosts', changedKh]);
      assert.equal(c.code, 4, c.stdout + c.stderr);
      assert.match(c.stdout, new RegExp(`HOST KEY CHANGED for ${addr2.replace(/\./g, '\\.')}: got ssh-ed25519 SHA256:\\S+, .* expects ssh-ed25519 SHA256:\\S+`));
      assert.deepEqual(etcMailSums('laptop2'), before);
      // --accept-new-host-keys never accepts a changed key
      const c2 = await tool('pair', ['laptop2', '--known-hosts', changedKh, '--accept-new-host-keys']);
      assert.equal(c2.code, 4);
      assert.deepEqual(etcMailSums('laptop2'), before);
      const r = await hostExec('laptop2', 'true');
      assert.equal(r.code, 0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
