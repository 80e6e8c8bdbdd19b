// Trust, exactly (issue 11), end to end on the lab: real sshd, real sendmail, real mail.
// - The laptop hands mail only to its own server, verified: laptop9 plays an attacker (an open relay
//   on its address) that laptop1's /etc/hosts names as the server, (a) with no STARTTLS, (b) with its
//   own self-signed certificate, (c) with a certificate for its own name from a CA laptop1 trusts,
//   (d) with a certificate for the server's very subject from that CA. Nothing reaches it, the mail
//   stays queued on laptop1, and once the real server answers again a queue run delivers it and the
//   server relays it. In both modes.
// - The server relays only for its own laptops: a server certificate from a CA the server trusts, a
//   stranger (laptop2) with its own certificate from that CA. Shared-key mode is refused (nothing
//   copied, an older version's CERTISSUER:<CA> RELAY removed); per-laptop mode relays for the paired
//   laptop only.
import test from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import YAML from 'yaml';
import { requireLab, labUp, labReset, sendTestMail, hostRoot, hostAddress, hostExec, hostFqdn, labPaths, logCursor, sshRun, eventually } from './helpers.js';
import { tool, recap, etcMailSums } from './tool.js';

const HOSTS = ['mailserver', 'laptop1', 'laptop2', 'laptop9'];
const ATTACKER = 'laptop9';
const QID = /:\s([0-9A-Za-z]{14}):\s/;
const root = (h: string, p: string) => join(hostRoot(h), p);
const read = (h: string, p: string) => readFileSync(root(h, p), 'utf8');

async function sh(host: string, cmd: string): Promise<string> {
  const r = await sshRun(host, cmd);
  assert.equal(r.code, 0, `${host}: ${cmd}\n${r.stdout}${r.stderr}`);
  return r.stdout;
}

function opensslName(which: 'subject' | 'issuer', file: string): string {
  return execFileSync('openssl', ['x509', '-noout', `-${which}`, '-nameopt', 'compat', '-in', file], { encoding: 'utf8' }).trim().replace(new RegExp(`^${which}=\\s*`), '');
}
/** sendmail's xtext of a one-line name (the names here hold only spaces to encode). */
const xt = (s: string) => s.replace(/ /g, '+20');

/** The laptop's TLS_Srv lines. */
const tlsSrvLines = (laptop: string) => read(laptop, 'etc/mail/access').split('\n').filter((l) => /^TLS_Srv:/i.test(l));

interface Held {
  messageId: string;
  qid: string;
  line: string;
}

/** Inject a mail on the laptop and wait for its MTA's first delivery attempt (Sent or Deferred). */
async function sendOnce(laptop: string, timeoutMs = 60_000): Promise<Held> {
  const fqdn = hostFqdn(laptop);
  const messageId = `<strlab.trust.${Date.now()}.${randomBytes(4).toString('hex')}@${fqdn}>`;
  const log = logCursor(laptop);
  const mail = `From: root@${fqdn}\nTo: someone@example.net\nSubject: trust ${messageId}\nMessage-Id: ${messageId}\n\nheld?\n`;
  const r = await hostExec(laptop, `/usr/sbin/sendmail -oi -f 'root@${fqdn}' someone@example.net`, mail);
  assert.equal(r.code, 0, r.stderr);
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const lines = log();
    const qids = new Set(lines.filter((l) => /\bsm-mta\[/.test(l) && l.includes(`msgid=${messageId}`)).map((l) => QID.exec(l)?.[1]).filter(Boolean) as string[]);
    const line = lines.find((l) => /\bsm-mta\[/.test(l) && /\sto=/.test(l) && /stat=/.test(l) && qids.has(QID.exec(l)?.[1] ?? ''));
    if (line) return { messageId, qid: QID.exec(line)![1], line };
    if (Date.now() > deadline) throw new Error(`no delivery attempt for ${messageId} on ${laptop} within ${timeoutMs / 1000} s:\n${lines.join('\n')}`);
    await sleep(250);
  }
}

// ---------------------------------------------------------------- a test CA, made here

interface Pki {
  dir: string;
  caCert: string;
  caKey: string;
  issue(name: string, subj: string): { cert: string; key: string };
}
function makePki(dir: string, caSubj: string): Pki {
  const caKey = join(dir, 'ca.key');
  const caCert = join(dir, 'ca.crt');
  const o = (...a: string[]) => execFileSync('openssl', a, { stdio: ['ignore', 'pipe', 'pipe'] });
  o('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', caKey, '-out', caCert, '-days', '365', '-subj', caSubj, '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign');
  return {
    dir,
    caCert,
    caKey,
    issue(name, subj) {
      const key = join(dir, `${name}.key`);
      const csr = join(dir, `${name}.csr`);
      const cert = join(dir, `${name}.crt`);
      const ext = join(dir, `${name}.ext`);
      const cn = /CN=([^/]+)/.exec(subj)![1];
      writeFileSync(ext, `basicConstraints=CA:FALSE\nkeyUsage=digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth,clientAuth\nsubjectAltName=DNS:${cn}\n`);
      o('req', '-new', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', csr, '-subj', subj);
      o('x509', '-req', '-in', csr, '-CA', caCert, '-CAkey', caKey, '-CAcreateserial', '-out', cert, '-days', '365', '-extfile', ext);
      return { cert, key };
    },
  };
}

/** Trust the CA on a lab host the way an admin does: /usr/local/share/ca-certificates + update-ca-certificates. */
async function trustCa(host: string, pki: Pki): Promise<void> {
  writeFileSync(root(host, 'usr/local/share/ca-certificates/strlab-test-ca.crt'), readFileSync(pki.caCert));
  await sh(host, 'update-ca-certificates >/dev/null 2>&1 && ls -l /etc/ssl/certs | grep -q strlab-test-ca');
}

/** Install a certificate and key as a host's files (root:smmsp, 0644 / 0640). */
async function installCert(host: string, certPath: string, keyPath: string, files: { cert: string; key: string }): Promise<void> {
  writeFileSync(root(host, certPath), readFileSync(files.cert));
  writeFileSync(root(host, keyPath), readFileSync(files.key));
  await sh(host, `chown root:smmsp '${certPath}' '${keyPath}' && chmod 0644 '${certPath}' && chmod 0640 '${keyPath}'`);
}

// ---------------------------------------------------------------- the attacker

type AttackerKind = 'no-starttls' | 'self-signed' | 'trusted-ca' | 'trusted-ca-server-subject';

/** laptop9 as an open relay on its address, in one of the attacker's guises. */
async function attacker(kind: AttackerKind, pki: Pki): Promise<void> {
  const net = hostAddress('laptop1').split('.').slice(0, 3).join('.');
  await sh(
    ATTACKER,
    `set -e; mc=/etc/mail/sendmail.mc
[ -d /root/tls.orig ] || cp -a /etc/mail/tls /root/tls.orig
sed -i "s/^\\(DAEMON_OPTIONS(\\\`Family=inet, *Name=MTA-v4, Port=smtp, Addr=\\)127\\.0\\.0\\.1'/\\10.0.0.0'/" $mc
grep -q "Name=MTA-v4, Port=smtp, Addr=0.0.0.0'" $mc
sed -i '/SMART_HOST/d' $mc
grep -q '^Connect:${net}[[:space:]]' /etc/mail/access || printf 'Connect:${net}\\tRELAY\\nGreetPause:${net}\\t0\\nClientRate:${net}\\t0\\n' >> /etc/mail/access
sed -i "\\|include(\\\`/etc/mail/tls/starttls.m4')dnl|d" $mc
rm -rf /etc/mail/tls && cp -a /root/tls.orig /etc/mail/tls`,
  );
  if (kind !== 'no-starttls') {
    await sh(ATTACKER, `sed -i "/^MAILER_DEFINITIONS/i include(\\\`/etc/mail/tls/starttls.m4')dnl" /etc/mail/sendmail.mc`);
  }
  if (kind === 'trusted-ca') await installCert(ATTACKER, '/etc/mail/tls/sendmail-server.crt', '/etc/mail/tls/sendmail-common.key', pki.issue('attacker', `/O=Attacker/CN=${hostFqdn(ATTACKER)}`));
  if (kind === 'trusted-ca-server-subject') {
    const subj = opensslName('subject', root('mailserver', 'etc/mail/tls/sendmail-server.crt'));
    await installCert(ATTACKER, '/etc/mail/tls/sendmail-server.crt', '/etc/mail/tls/sendmail-common.key', pki.issue('attacker-server-subject', subj));
  }
  await sh(
    ATTACKER,
    `make -C /etc/mail >/dev/null 2>&1; /etc/init.d/sendmail stop >/dev/null 2>&1; /etc/init.d/sendmail start >/dev/null 2>&1
for i in $(seq 100); do ss -ltn | grep -q '0.0.0.0:25 ' && exit 0; sleep 0.1; done; echo 'attacker: not listening on 0.0.0.0:25' >&2; exit 1`,
  );
}

const HOSTS_FILE = 'etc/hosts';
/** Point the laptop's name for its server at another address (hijacked DNS, hostile hotspot). */
function pointServerNameAt(laptop: string, host: string): void {
  const text = read(laptop, HOSTS_FILE).split('\n').filter((l) => !/\smailserver\.lab\.example(\s|$)/.test(l));
  text.push(`${hostAddress(host)}\tmailserver.lab.example mailserver`, '');
  writeFileSync(root(laptop, HOSTS_FILE), text.join('\n').replace(/\n\n$/, '\n'));
}

interface StatusJson {
  hosts: Record<string, { role: string; current?: boolean; problems: string[]; unsafe?: string[]; serverTrust?: { state: string; line?: string } }>;
}

test('trust: the laptop hands mail only to its verified server; the server relays only for its own laptops', { timeout: 45 * 60_000 }, async (t) => {
  if (!(await requireLab(t))) return;
  await labUp(HOSTS);
  await labReset(HOSTS);

  const dir = mkdtempSync(join(tmpdir(), 'str-trust-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  t.after(() => labReset([ATTACKER, 'laptop1']).then(() => undefined)); // no attacker left for the next test
  const pki = makePki(dir, '/O=Strlab Test Public CA/CN=Strlab Test Public CA R1');
  const doc = YAML.parse(readFileSync(labPaths.inventory, 'utf8'));
  const invWith = (name: string, edit: (d: typeof doc) => void) => {
    const d = structuredClone(doc);
    edit(d);
    const p = join(dir, name);
    writeFileSync(p, YAML.stringify(d));
    return p;
  };
  const perLaptopInv = invWith('per-laptop.yml', (d) => (d.all.children.mailservers.hosts.mailserver.tls_mode = 'per-laptop'));
  const optOutInv = invWith('opt-out.yml', (d) => (d.all.children.laptops.hosts.laptop1.laptop_requires_verified_server = false));
  const badVarInv = invWith('bad-var.yml', (d) => (d.all.children.laptops.hosts.laptop1.laptop_requires_verified_server = 'maybe'));
  const shared = (s: string, a: string[]) => tool(s, a);
  const pl = (s: string, a: string[]) => tool(s, [...a, '-i', perLaptopInv]);
  const status = async (run: typeof shared, hosts = ['mailserver', 'laptop1']) => {
    const r = await run('status', ['--json', ...hosts.flatMap((h) => ['--host', h])]);
    return { code: r.code, json: JSON.parse(r.stdout) as StatusJson, out: r.stdout + r.stderr };
  };
  const mustRelay = async (laptop: string) => {
    const r = await sendTestMail(laptop);
    assert.equal(r.relayed, true, `${laptop} not relayed:\n${r.laptopLines.join('\n')}\n${r.serverLines.join('\n')}`);
    assert.equal(r.verify, 'OK', r.serverLines.join('\n'));
    assert.ok(!r.serverLines.some((l) => /Relaying denied/.test(l)), r.serverLines.join('\n'));
  };
  const mustBeRefused = async (laptop: string) => {
    const r = await sendTestMail(laptop);
    assert.equal(r.relayed, false, r.serverLines.join('\n'));
    assert.ok(r.serverLines.some((l) => /Relaying denied/.test(l)), r.serverLines.join('\n'));
    return r;
  };
  const serverSubject = () => xt(opensslName('subject', root('mailserver', 'etc/mail/tls/sendmail-server.crt')));
  const serverIssuer = () => xt(opensslName('issuer', root('mailserver', 'etc/mail/tls/sendmail-server.crt')));
  const expectedRule = () => `TLS_Srv:mailserver.lab.example\tVERIFY+CS:${serverSubject()}++CI:${serverIssuer()}`;

  await t.test('shared-key: pair writes the TLS_Srv rule (shown by --check --diff first); re-run changed=0; verify and status report it', async () => {
    assert.equal((await shared('deploy', ['--host', 'mailserver'])).code, 0);
    const before = read('laptop1', 'etc/mail/access');
    const c = await shared('pair', ['laptop1', '--check', '--diff']);
    assert.equal(c.code, 0, c.stdout + c.stderr);
    assert.ok(c.stdout.includes('+' + expectedRule()), c.stdout);
    assert.equal(read('laptop1', 'etc/mail/access'), before, '--check changed the access map');
    const p = await shared('pair', ['laptop1']);
    assert.equal(p.code, 0, p.stdout + p.stderr);
    assert.deepEqual(tlsSrvLines('laptop1'), [expectedRule()]);
    const again = await shared('pair', ['laptop1']);
    assert.equal(again.code, 0, again.stdout + again.stderr);
    assert.equal(recap(again.stdout).laptop1.changed, 0, again.stdout);
    await mustRelay('laptop1');
    const v = await shared('verify', ['laptop1']);
    assert.equal(v.code, 0, v.stdout + v.stderr);
    assert.match(v.stdout, /laptop1 hands mail only to its verified server: TLS_Srv:mailserver\.lab\.example VERIFY\+CS:/);
    const s = await status(shared);
    assert.equal(s.code, 0, s.out);
    assert.equal(s.json.hosts.laptop1.serverTrust?.state, 'current', s.out);
  });

  const attackers: AttackerKind[] = ['no-starttls', 'self-signed', 'trusted-ca', 'trusted-ca-server-subject'];
  const attackedThenDelivered = async () => {
    await trustCa('laptop1', pki); // (c), (d): a CA in the laptop's /etc/ssl/certs, as any public CA is
    const held: Held[] = [];
    pointServerNameAt('laptop1', ATTACKER);
    try {
      for (const kind of attackers) {
        await attacker(kind, pki);
        const evil = logCursor(ATTACKER);
        const h = await sendOnce('laptop1');
        held.push(h);
        assert.ok(h.line.includes(`[${hostAddress(ATTACKER)}]`), `${kind}: laptop1 did not talk to the attacker: ${h.line}`);
        assert.doesNotMatch(h.line, /stat=Sent/, `${kind}: laptop1 handed its mail to the attacker: ${h.line}`);
        assert.match(h.line, /dsn=4\.7\.0, stat=Deferred/, `${kind}: ${h.line}`);
        await sleep(500);
        const got = evil();
        assert.ok(!got.some((l) => l.includes(h.messageId) || /from=<root@laptop1\./.test(l)), `${kind}: the attacker received it:\n${got.join('\n')}`);
        const q = await sh('laptop1', 'mailq');
        assert.ok(q.includes(h.qid), `${kind}: ${h.qid} not queued on laptop1:\n${q}`);
      }
    } finally {
      pointServerNameAt('laptop1', 'mailserver');
    }
    // the real server answers again: a queue run delivers every held message, and the server relays them
    const server = logCursor('mailserver');
    const laptop = logCursor('laptop1');
    await sh('laptop1', '/usr/sbin/sendmail -q');
    const sent = await eventually(() => held.every((h) => laptop().some((l) => l.includes(`${h.qid}: to=`) && /stat=Sent/.test(l) && l.includes(`[${hostAddress('mailserver')}]`))), 60_000);
    assert.ok(sent, `not every held message was delivered:\n${laptop().join('\n')}`);
    const s = server();
    for (const h of held) assert.ok(s.some((l) => l.includes(`msgid=${h.messageId}`)), `${h.messageId} not on the server:\n${s.join('\n')}`);
    assert.ok(s.some((l) => /STARTTLS=server, relay=laptop1\.lab\.example/.test(l) && /verify=OK/.test(l)), s.join('\n'));
    assert.ok(!s.some((l) => /Relaying denied/.test(l)), s.join('\n'));
    assert.match(await sh('laptop1', 'mailq'), /is empty/);
  };

  await t.test('shared-key: four attackers answer for the server name; nothing reaches them, the mail stays queued, a queue run delivers it to the real server', attackedThenDelivered);

  await t.test('shared-key: --regenerate-certs on the server: the laptop refuses the new certificate until paired again; status exits 6, pair fixes it', async () => {
    const d = await shared('deploy', ['--host', 'mailserver', '--regenerate-certs']);
    assert.equal(d.code, 0, d.stdout + d.stderr);
    const server = logCursor('mailserver');
    const h = await sendOnce('laptop1');
    assert.match(h.line, /dsn=4\.7\.0, stat=Deferred/, h.line);
    assert.ok(!server().some((l) => l.includes(h.messageId)));
    const s = await status(shared);
    assert.equal(s.code, 6, s.out);
    assert.equal(s.json.hosts.laptop1.current, false, s.out);
    const p = await shared('pair', ['laptop1']);
    assert.equal(p.code, 0, p.stdout + p.stderr);
    assert.deepEqual(tlsSrvLines('laptop1'), [expectedRule()]);
    await sh('laptop1', '/usr/sbin/sendmail -q');
    assert.ok(await eventually(() => server().some((l) => l.includes(`msgid=${h.messageId}`)), 30_000), 'held message not delivered after pair');
    assert.equal((await status(shared)).code, 0);
  });

  await t.test('status exits 5 on an unsafe rule (VERIFY alone) and pair replaces it; the opt-out var removes the rule', async () => {
    await sh('laptop1', `sed -i 's/^\\(TLS_Srv:mailserver.lab.example\\).*/\\1\\tVERIFY/' /etc/mail/access && make -C /etc/mail access.db >/dev/null 2>&1`);
    const s = await status(shared);
    assert.equal(s.code, 5, s.out);
    assert.equal(s.json.hosts.laptop1.serverTrust?.state, 'unsafe', s.out);
    assert.equal((await shared('pair', ['laptop1'])).code, 0);
    assert.deepEqual(tlsSrvLines('laptop1'), [expectedRule()]);
    const o = await tool('pair', ['laptop1', '-i', optOutInv]);
    assert.equal(o.code, 0, o.stdout + o.stderr);
    assert.match(o.stdout + o.stderr, /laptop_requires_verified_server is false for laptop1/);
    assert.deepEqual(tlsSrvLines('laptop1'), []);
    const so = await status((sc, a) => tool(sc, [...a, '-i', optOutInv]));
    assert.equal(so.code, 0, so.out);
    assert.equal(so.json.hosts.laptop1.serverTrust?.state, 'opted-out');
    assert.equal((await shared('pair', ['laptop1'])).code, 0);
    assert.deepEqual(tlsSrvLines('laptop1'), [expectedRule()]);
    // a value that is not a boolean: bad input, named with file and line, before any host is contacted
    const before = { m: etcMailSums('mailserver'), l: etcMailSums('laptop1') };
    for (const script of ['pair', 'status', 'verify']) {
      const b = await tool(script, ['laptop1', '-i', badVarInv].filter((a) => script !== 'status' || a !== 'laptop1'));
      assert.equal(b.code, 1, `${script}: ${b.stdout}${b.stderr}`);
      assert.match(b.stderr, /^error: .*bad-var\.yml:\d+: laptop 'laptop1': laptop_requires_verified_server is "maybe"; expected true or false\n$/, script);
    }
    assert.deepEqual({ m: etcMailSums('mailserver'), l: etcMailSums('laptop1') }, before);
  });

  await t.test('per-laptop: switch modes (the rule stays, changed=0 on the second run); the four attackers are refused, the held mail delivered', async () => {
    assert.equal((await pl('deploy', ['--host', 'mailserver'])).code, 0);
    const p = await pl('pair', ['laptop1']);
    assert.equal(p.code, 0, p.stdout + p.stderr);
    const again = await pl('pair', ['laptop1']);
    assert.equal(recap(again.stdout).laptop1?.changed, 0, again.stdout);
    assert.deepEqual(tlsSrvLines('laptop1'), [expectedRule()]);
    await mustRelay('laptop1');
    await attackedThenDelivered();
  });

  const caKey = `CERTISSUER:${xt(opensslName('subject', pki.caCert))}`;
  await t.test("a server certificate from a CA the server trusts and an older version's CERTISSUER:<CA> RELAY: status exits 5 and names the line", async () => {
    await labReset(['mailserver', 'laptop1', 'laptop2']);
    // the server as an older version left it (deployed with Debian's certificate), then the admin
    // put in a certificate from a CA (trusted in the server's /etc/ssl/certs, as a public CA is)
    const d0 = await shared('deploy', ['--host', 'mailserver']);
    assert.equal(d0.code, 0, d0.stdout + d0.stderr);
    await trustCa('mailserver', pki);
    await installCert('mailserver', '/etc/mail/tls/sendmail-server.crt', '/etc/mail/tls/sendmail-common.key', pki.issue('mailserver', '/CN=mailserver.lab.example'));
    // the stranger: its own certificate from the same CA, presented by its sendmail
    const stranger = pki.issue('stranger', '/CN=laptop2.lab.example');
    await installCert('laptop2', '/etc/mail/tls/stranger.crt', '/etc/mail/tls/stranger.key', stranger);
    await sh(
      'laptop2',
      `sed -i "/^MAILER_DEFINITIONS/i include(\\\`/etc/mail/tls/starttls.m4')dnl\\ndefine(\\\`confCLIENT_CERT', \\\`/etc/mail/tls/stranger.crt')dnl\\ndefine(\\\`confCLIENT_KEY', \\\`/etc/mail/tls/stranger.key')dnl" /etc/mail/sendmail.mc && make -C /etc/mail >/dev/null 2>&1 && /etc/init.d/sendmail reload >/dev/null 2>&1`,
    );
    // what an older version's next run wrote: its marked line now names the CA, the relay is open to
    // the CA's other customers
    const access = read('mailserver', 'etc/mail/access');
    assert.match(access, /^# sendmail-tls-relay: server-issuer\nCERTISSUER:\S+\tRELAY$/m);
    writeFileSync(root('mailserver', 'etc/mail/access'), access.replace(/^(# sendmail-tls-relay: server-issuer\n)CERTISSUER:\S+\tRELAY$/m, `$1${caKey}\tRELAY`));
    await sh('mailserver', 'make -C /etc/mail >/dev/null 2>&1 && /etc/init.d/sendmail reload >/dev/null 2>&1');
    await mustRelay('laptop2'); // the hole is real: a stranger with a certificate from that CA relays
    const st = await status(shared, ['mailserver']);
    assert.equal(st.code, 5, st.out);
    assert.ok(st.json.hosts.mailserver.unsafe?.some((u) => u.includes(caKey)), st.out);
  });

  await t.test('that server in shared-key mode: refused in one line, the open line removed (the stranger refused), nothing copied; per-laptop relays for the paired laptop only', async () => {
    const laptop1Before = etcMailSums('laptop1');
    const d = await shared('deploy', ['--host', 'mailserver']);
    assert.equal(d.code, 2, d.stdout + d.stderr);
    assert.match(d.stdout + d.stderr, /mailserver: \/etc\/mail\/tls\/sendmail-server\.crt is not self-signed .*tls_mode: per-laptop/);
    assert.ok((d.stdout + d.stderr).includes(`removed the unsafe ${caKey} RELAY line`), d.stdout + d.stderr);
    assert.ok(!read('mailserver', 'etc/mail/access').toLowerCase().includes(caKey.toLowerCase()), 'the open CERTISSUER line is still there');
    const r = await mustBeRefused('laptop2');
    assert.equal(r.verify, 'OK', 'the stranger is verified (its CA is trusted), and still refused: the access map decides');
    // pair in shared-key mode: refused, the CA-issued key never reaches the laptop
    const p = await shared('pair', ['laptop1']);
    assert.notEqual(p.code, 0, p.stdout + p.stderr);
    assert.deepEqual(etcMailSums('laptop1'), laptop1Before, "pair changed laptop1's /etc/mail");
    assert.notDeepEqual(readFileSync(root('laptop1', 'etc/mail/tls/sendmail-common.key')), readFileSync(root('mailserver', 'etc/mail/tls/sendmail-common.key')));

    // per-laptop mode keeps the CA-issued certificate for the world and relays by CERTSUBJECT
    await trustCa('laptop1', pki); // a public CA is in every laptop's /etc/ssl/certs
    const dp = await pl('deploy', ['--host', 'mailserver']);
    assert.equal(dp.code, 0, dp.stdout + dp.stderr);
    const pp = await pl('pair', ['laptop1']);
    assert.equal(pp.code, 0, pp.stdout + pp.stderr);
    assert.deepEqual(tlsSrvLines('laptop1'), [`TLS_Srv:mailserver.lab.example\tVERIFY+CS:/CN=mailserver.lab.example++CI:${xt(opensslName('subject', pki.caCert))}`]);
    await mustRelay('laptop1');
    assert.equal((await mustBeRefused('laptop2')).verify, 'OK');
    const key = readFileSync(root('mailserver', 'etc/mail/tls/sendmail-common.key'));
    for (const f of Object.keys(etcMailSums('laptop1'))) {
      const path = root('laptop1', join('etc/mail', f));
      try {
        assert.ok(!readFileSync(path).equals(key), `${path} is the server's CA-issued key`);
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'EISDIR' && (e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
      }
    }
    const s = await status(pl, ['mailserver', 'laptop1']);
    assert.equal(s.code, 0, s.out);
  });
});
