// Per-laptop certificates, unpair and status, end to end on the lab: real sshd, real sendmail, real mail.
import test from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync, mkdtempSync, rmSync, readdirSync, statSync, lstatSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execFileSync } from 'node:child_process';
import YAML from 'yaml';
import { requireLab, labUp, labReset, sendTestMail, hostRoot, labPaths, hostExec } from './helpers.js';
import { tool, recap, etcMailSums } from './tool.js';

const HOSTS = ['mailserver', 'laptop1', 'laptop2'];
const tls = (h: string, f: string) => join(hostRoot(h), 'etc/mail/tls', f);

/** Every regular file under a host's /etc/mail (backups included). */
function filesUnder(host: string): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.isFile() && !lstatSync(p).isSymbolicLink()) out.push(p);
    }
  };
  walk(join(hostRoot(host), 'etc/mail'));
  return out;
}

function accessLines(): string[] {
  return readFileSync(join(hostRoot('mailserver'), 'etc/mail/access'), 'utf8')
    .split('\n')
    .filter((l) => /^CERT(ISSUER|SUBJECT):/i.test(l));
}

function opensslName(which: 'subject' | 'issuer', file: string): string {
  return execFileSync('openssl', ['x509', '-noout', `-${which}`, '-nameopt', 'compat', '-in', file], { encoding: 'utf8' })
    .trim()
    .replace(new RegExp(`^${which}=\\s*`), '');
}

async function mustRelay(laptop: string): Promise<void> {
  const r = await sendTestMail(laptop);
  assert.equal(r.relayed, true, `${laptop} not relayed:\n${r.laptopLines.join('\n')}\n${r.serverLines.join('\n')}`);
  assert.equal(r.verify, 'OK', r.serverLines.join('\n'));
}
async function mustBeRefused(laptop: string): Promise<Awaited<ReturnType<typeof sendTestMail>>> {
  const r = await sendTestMail(laptop);
  assert.equal(r.relayed, false, r.serverLines.join('\n'));
  assert.ok(r.serverLines.some((l) => /Relaying denied/.test(l)), r.serverLines.join('\n'));
  return r;
}

function assertNoChange(out: { code: number; stdout: string; stderr: string }, hosts: string[]): void {
  assert.equal(out.code, 0, out.stdout + out.stderr);
  const rc = recap(out.stdout);
  for (const h of hosts) assert.equal(rc[h]?.changed, 0, `${h} changed on the second run:\n${out.stdout}`);
}

interface StatusJson {
  hosts: Record<string, { role: string; current?: boolean; state?: string; accessLine?: boolean; problems: string[]; cert?: { fingerprint: string } }>;
}

test('per-laptop certificates, unpair and status', { timeout: 30 * 60_000 }, async (t) => {
  if (!(await requireLab(t))) return;
  await labUp(HOSTS);
  await labReset(HOSTS);

  const dir = mkdtempSync(join(tmpdir(), 'str-perlaptop-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const doc = YAML.parse(readFileSync(labPaths.inventory, 'utf8'));
  doc.all.children.mailservers.hosts.mailserver.tls_mode = 'per-laptop';
  const perLaptopInv = join(dir, 'per-laptop.yml');
  writeFileSync(perLaptopInv, YAML.stringify(doc));
  // tool() passes the lab's inventory first; a later -i wins
  const pl = (script: string, args: string[]) => tool(script, [...args, '-i', perLaptopInv]);
  const shared = (script: string, args: string[]) => tool(script, args);
  const status = async (inv: (s: string, a: string[]) => ReturnType<typeof tool>): Promise<StatusJson> => {
    const r = await inv('status', ['--json', '--host', 'mailserver', '--host', 'laptop1', '--host', 'laptop2']);
    const doc = JSON.parse(r.stdout) as StatusJson;
    // status exits 6 when a laptop is stale or a server has a problem (issue 11), else 0
    const stale = Object.values(doc.hosts).some((h) => (h.role === 'laptop' ? !h.current : h.problems.length > 0));
    assert.equal(r.code, stale ? 6 : 0, r.stdout + r.stderr);
    return doc;
  };
  let laptop1Cert = Buffer.alloc(0);

  await t.test('per-laptop mode: deploy the server, pair laptop1 and laptop2: both relay with verify=OK', async () => {
    const d = await pl('deploy', ['--host', 'mailserver']);
    assert.equal(d.code, 0, d.stdout + d.stderr);
    const p = await pl('pair', ['laptop1', 'laptop2']);
    assert.equal(p.code, 0, p.stdout + p.stderr);
    await mustRelay('laptop1');
    await mustRelay('laptop2');
  });

  await t.test("no laptop holds the server's key; keys, certificates and access lines are as designed", () => {
    const serverKey = readFileSync(tls('mailserver', 'sendmail-common.key'));
    const caKey = readFileSync(tls('mailserver', 'laptop-ca.key'));
    for (const l of ['laptop1', 'laptop2']) {
      for (const f of filesUnder(l)) {
        const b = readFileSync(f);
        assert.ok(!b.equals(serverKey), `${f} is the server's key`);
        assert.ok(!b.includes(serverKey.subarray(40, 120)), `${f} holds part of the server's key`);
        assert.ok(!b.equals(caKey), `${f} is the laptop CA's key`);
      }
      const k = statSync(tls(l, 'laptop-client.key'));
      const smmsp = Number(readFileSync(join(hostRoot(l), 'etc/group'), 'utf8').match(/^smmsp:x:(\d+):/m)![1]);
      assert.equal(k.mode & 0o777, 0o640);
      assert.equal(k.uid, 0);
      assert.equal(k.gid, smmsp);
      // the key the laptop made: ECDSA P-256 (laptopCsrArgs), which its sendmail presents (the relay above)
      assert.match(execFileSync('openssl', ['pkey', '-in', tls(l, 'laptop-client.key'), '-noout', '-text'], { encoding: 'utf8' }), /ASN1 OID: prime256v1/);
      // the laptop's certificate: issued by the laptop CA, for its key (openssl agrees)
      const v = execFileSync('openssl', ['verify', '-CAfile', tls('mailserver', 'laptop-ca.crt'), tls(l, 'laptop-client.crt')], { encoding: 'utf8' });
      assert.match(v, /: OK/);
      assert.equal(opensslName('subject', tls(l, 'laptop-client.crt')), `/O=Sendmail/OU=Sendmail Laptop/CN=${l}.lab.example`);
      assert.deepEqual(readFileSync(tls(l, 'relay-server.crt')), readFileSync(tls('mailserver', 'sendmail-server.crt')));
      const mc = readFileSync(join(hostRoot(l), 'etc/mail/sendmail.mc'), 'utf8');
      assert.match(mc, /define\(`confCLIENT_KEY', `\/etc\/mail\/tls\/laptop-client\.key'\)dnl/);
    }
    const ca = statSync(tls('mailserver', 'laptop-ca.key'));
    assert.equal(ca.mode & 0o777, 0o600);
    assert.equal(ca.uid, 0);
    assert.equal(ca.gid, 0);
    // the access map: the laptop CA decides by subject, one RELAY per laptop, no shared-key line
    const lines = accessLines();
    const caSubject = opensslName('subject', tls('mailserver', 'laptop-ca.crt')).replace(/ /g, '+20');
    const subj = (l: string) => opensslName('subject', tls(l, 'laptop-client.crt')).replace(/ /g, '+20');
    assert.deepEqual(lines.sort(), [`CERTISSUER:${caSubject}\tSUBJECT`, `CERTSUBJECT:${subj('laptop1')}\tRELAY`, `CERTSUBJECT:${subj('laptop2')}\tRELAY`].sort());
    // the server trusts the laptop CA through the bundle (its own certificate + the CA)
    const bundle = readFileSync(tls('mailserver', 'relay-ca-bundle.crt'), 'utf8');
    assert.ok(bundle.startsWith(readFileSync(tls('mailserver', 'sendmail-server.crt'), 'utf8').trim()));
    assert.ok(bundle.includes(readFileSync(tls('mailserver', 'laptop-ca.crt'), 'utf8').trim()));
    laptop1Cert = readFileSync(tls('laptop1', 'laptop-client.crt'));
  });

  await t.test('a second deploy and pair change nothing', async () => {
    assertNoChange(await pl('deploy', ['--host', 'mailserver']), ['mailserver']);
    assertNoChange(await pl('pair', ['laptop1', 'laptop2']), HOSTS);
  });

  await t.test('status: every laptop current, access lines present', async () => {
    const s = await status(pl);
    for (const l of ['laptop1', 'laptop2']) {
      assert.equal(s.hosts[l].current, true, JSON.stringify(s.hosts[l]));
      assert.equal(s.hosts[l].accessLine, true);
    }
    assert.deepEqual(s.hosts.mailserver.problems, []);
    const plain = await pl('status', ['--host', 'mailserver', '--host', 'laptop1']);
    assert.match(plain.stdout, /laptop1 \(laptop of mailserver, per-laptop\): current/);
    assert.doesNotMatch(plain.stdout, /PRIVATE KEY/);
  });

  await t.test("laptop1's certificate copied onto laptop2 (without laptop1's key): laptop2 is refused", async () => {
    writeFileSync(tls('laptop2', 'laptop-client.crt'), laptop1Cert);
    assert.equal((await hostExec('laptop2', '/etc/init.d/sendmail reload')).code, 0);
    await mustBeRefused('laptop2');
    // pair again puts laptop2's own certificate back (its key no longer matches the one there)
    const p = await pl('pair', ['laptop2']);
    assert.equal(p.code, 0, p.stdout + p.stderr);
    assert.match(p.stdout, /certificate wrong-subject: signing a new one|certificate wrong-key: signing a new one/);
    await mustRelay('laptop2');
  });

  await t.test("a certificate laptop2 signs itself with the laptop CA's name copied: verify=FAIL, refused", async () => {
    const caName = opensslName('subject', tls('mailserver', 'laptop-ca.crt'));
    const r = await hostExec(
      'laptop2',
      `set -e; cd /tmp; openssl req -x509 -newkey rsa:2048 -nodes -keyout fakeca.key -subj '${caName}' -days 30 -out fakeca.crt 2>/dev/null; ` +
        `openssl req -new -key /etc/mail/tls/laptop-client.key -subj '/O=Sendmail/OU=Sendmail Laptop/CN=laptop2.lab.example' 2>/dev/null | ` +
        `openssl x509 -req -CA fakeca.crt -CAkey fakeca.key -CAcreateserial -days 30 -out /etc/mail/tls/laptop-client.crt 2>/dev/null; ` +
        `rm -f fakeca.key; /etc/init.d/sendmail reload`,
    );
    assert.equal(r.code, 0, r.stderr);
    assert.equal(opensslName('issuer', tls('laptop2', 'laptop-client.crt')), caName);
    const m = await mustBeRefused('laptop2');
    assert.equal(m.verify, 'FAIL', m.serverLines.join('\n'));
    const p = await pl('pair', ['laptop2']);
    assert.equal(p.code, 0, p.stdout + p.stderr);
    assert.match(p.stdout, /certificate other-ca: signing a new one/);
    await mustRelay('laptop2');
  });

  await t.test('unpair laptop1: laptop1 is refused, laptop2 still relays', async () => {
    const u = await pl('unpair', ['laptop1']);
    assert.equal(u.code, 0, u.stdout + u.stderr);
    assert.match(u.stdout, /note: laptop1: mailserver no longer lets it relay/);
    assert.ok(!existsSync(tls('laptop1', 'laptop-client.crt')), "laptop1's certificate is gone");
    assert.ok(!accessLines().some((l) => /laptop1/.test(l)), accessLines().join('\n'));
    assert.ok(accessLines().some((l) => /CN=laptop2\.lab\.example\tRELAY/.test(l)));
    // without its certificate laptop1 no longer verifies its server either, so its TLS_Srv rule
    // (issue 11) holds the mail in its own queue (4.7.0) before the server could say Relaying denied
    const r = await sendTestMail('laptop1');
    assert.equal(r.relayed, false, r.serverLines.join('\n'));
    assert.ok(r.deferred || r.serverLines.some((l) => /Relaying denied/.test(l)), `${r.laptopLines.join('\n')}\n${r.serverLines.join('\n')}`);
    await mustRelay('laptop2');
    const s = await status(pl);
    assert.equal(s.hosts.laptop1.current, false);
    assert.equal(s.hosts.laptop1.accessLine, false);
    assert.equal(s.hosts.laptop2.current, true);
  });

  await t.test('switch to shared-key mode: one run converges, the second changes nothing', async () => {
    const p = await shared('pair', ['laptop1', 'laptop2']);
    assert.equal(p.code, 0, p.stdout + p.stderr);
    assert.deepEqual(accessLines(), [`CERTISSUER:${opensslName('issuer', tls('mailserver', 'sendmail-server.crt')).replace(/ /g, '+20')}\tRELAY`]);
    assert.doesNotMatch(readFileSync(join(hostRoot('mailserver'), 'etc/mail/sendmail.mc'), 'utf8'), /relay-ca-bundle/);
    assert.doesNotMatch(readFileSync(join(hostRoot('laptop1'), 'etc/mail/sendmail.mc'), 'utf8'), /laptop-client/);
    assertNoChange(await shared('pair', ['laptop1', 'laptop2']), HOSTS);
    await mustRelay('laptop1');
  });

  await t.test('shared-key mode: unpair explains and changes nothing without --regenerate-and-repair', async () => {
    const before = { m: etcMailSums('mailserver'), l: etcMailSums('laptop1') };
    const u = await shared('unpair', ['laptop1']);
    assert.equal(u.code, 1, u.stdout + u.stderr);
    assert.match(u.stderr, /^error: laptop1 relays through mailserver in shared-key mode.*--regenerate-and-repair.*nothing was changed\n$/);
    assert.deepEqual(etcMailSums('mailserver'), before.m);
    assert.deepEqual(etcMailSums('laptop1'), before.l);
  });

  await t.test("status reports a stale laptop after the server's certificate was regenerated (shared-key)", async () => {
    const d = await shared('deploy', ['--host', 'mailserver', '--regenerate-certs']);
    assert.equal(d.code, 0, d.stdout + d.stderr);
    const s = await status(shared);
    assert.equal(s.hosts.laptop1.current, false);
    assert.equal(s.hosts.laptop1.state, 'stale');
    const plain = await shared('status', ['--host', 'mailserver', '--host', 'laptop1']);
    assert.match(plain.stdout, /laptop1 \(laptop of mailserver, shared-key\): STALE/);
    assert.match(plain.stdout, /! certificate is not mailserver's current one: pair again/);
    const p = await shared('pair', ['laptop1']);
    assert.equal(p.code, 0, p.stdout + p.stderr);
    assert.equal((await status(shared)).hosts.laptop1.current, true);
  });

  await t.test('switch back to per-laptop mode: one run converges, the second changes nothing; both relay', async () => {
    const p = await pl('pair', ['laptop1', 'laptop2']);
    assert.equal(p.code, 0, p.stdout + p.stderr);
    assertNoChange(await pl('pair', ['laptop1', 'laptop2']), HOSTS);
    const serverKey = readFileSync(tls('mailserver', 'sendmail-common.key'));
    for (const l of ['laptop1', 'laptop2']) for (const f of filesUnder(l)) assert.ok(!readFileSync(f).equals(serverKey), `${f} is the server's key`);
    await mustRelay('laptop1');
    await mustRelay('laptop2');
  });

  await t.test("status reports stale laptops after the server's certificate was regenerated (per-laptop); the bundle follows", async () => {
    const d = await pl('deploy', ['--host', 'mailserver', '--regenerate-certs']);
    assert.equal(d.code, 0, d.stdout + d.stderr);
    const bundle = readFileSync(tls('mailserver', 'relay-ca-bundle.crt'), 'utf8');
    assert.ok(bundle.startsWith(readFileSync(tls('mailserver', 'sendmail-server.crt'), 'utf8').trim()), 'the bundle holds the new server certificate');
    const s = await status(pl);
    assert.deepEqual(s.hosts.mailserver.problems, []);
    assert.equal(s.hosts.laptop1.current, false);
    assert.ok(s.hosts.laptop1.problems.some((p) => /relay-server\.crt is not mailserver's current certificate/.test(p)), JSON.stringify(s.hosts.laptop1));
    // the laptops refuse the server's new certificate until paired again (their TLS_Srv rule: the
    // copy they verify it with is the old one); the mail waits in the laptop's queue; pair refreshes the copy
    const held = await sendTestMail('laptop2');
    assert.equal(held.deferred, true, held.laptopLines.join('\n'));
    const p = await pl('pair', ['laptop1', 'laptop2']);
    assert.equal(p.code, 0, p.stdout + p.stderr);
    await mustRelay('laptop2');
    const after = await status(pl);
    assert.equal(after.hosts.laptop1.current, true);
    assert.equal(after.hosts.laptop2.current, true);
  });
});
