// Bad input and hostile conditions: one clear line naming the problem and where, a documented exit
// code, no change on any host; secrets never shown, never on the local disk.
import test from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:net';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, mkdirSync, writeFileSync, readFileSync, readdirSync, statSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import forge from 'node-forge';
import { xtext } from '../../roles/text/dn.js';
import { requireLab, labUp, labReset, hostRoot, hostAddress, hostExec, labPaths } from './helpers.js';
import { tool, recap, etcMailSums, toolKilledAt } from './tool.js';

const HOSTS = ['mailserver', 'laptop1', 'laptop2'];
const dir = mkdtempSync(join(tmpdir(), 'str-bad-'));
let n = 0;
function file(text: string, ext = '.yml'): string {
  const p = join(dir, `f${++n}${ext}`);
  writeFileSync(p, text);
  return p;
}
/** A folder holding `files` (relative path -> text); returns its path. */
function folder(files: Record<string, string>): string {
  const d = join(dir, `d${++n}`);
  for (const [rel, text] of Object.entries(files)) {
    mkdirSync(dirname(join(d, rel)), { recursive: true });
    writeFileSync(join(d, rel), text);
  }
  return d;
}
/** An inventory of lab hosts; `extra` adds lines under each host (name -> yaml lines). */
function labInventory(hosts: Record<string, { group: 'mailservers' | 'laptops'; vars?: Record<string, string | number | boolean> }>): string {
  const groups: Record<string, string[]> = { mailservers: [], laptops: [] };
  for (const [name, h] of Object.entries(hosts)) {
    const vars = { ansible_user: 'root', ansible_ssh_private_key_file: labPaths.key, ...h.vars };
    groups[h.group].push(`        ${JSON.stringify(name)}:\n` + Object.entries(vars).map(([k, v]) => `          ${k}: ${JSON.stringify(v)}`).join('\n'));
  }
  return file(`all:\n  children:\n    mailservers:\n      hosts:\n${groups.mailservers.join('\n')}\n    laptops:\n      hosts:\n${groups.laptops.join('\n') || '        {}'}\n`);
}

/** A local TCP port that counts connections (to prove nothing was contacted), or never answers. */
async function listener(silent = true): Promise<{ port: number; count: () => number; close: () => void; server: Server }> {
  let c = 0;
  const sockets: import('node:net').Socket[] = [];
  const server = createServer((s) => {
    c++;
    sockets.push(s);
    if (!silent) s.end();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as import('node:net').AddressInfo).port;
  return { port, count: () => c, close: () => (sockets.forEach((s) => s.destroy()), server.close()), server };
}

test('bad input before any host is contacted: one line naming file and line, exit 1', async () => {
  const l = await listener();
  try {
    const host = `ansible_host: 127.0.0.1\n          ansible_port: ${l.port}`;
    const good = (body: string) => `all:\n  children:\n${body}`;
    const cases: Array<[string, string[], RegExp]> = [
      ['missing inventory', ['-i', join(dir, 'nope.yml')], /^error: .*nope\.yml: cannot read the inventory \(no such file\)$/],
      ['inventory folder with no inventory in it', ['-i', folder({ 'README.md': 'ignored\n', 'old.ini': '[laptops]\nl1\n' })], /^error: .*d\d+: no host in the inventory$/],
      ['an INI line Ansible refuses', ['-i', file(`[mailservers]\nm1 ansible_host=127.0.0.1 ansible_port=${l.port}\n[laptops]\nl1 ansible_port ${l.port}\n`, '.ini')], /^error: .*f\d+\.ini:4: expected key=value host variable, got 'ansible_port'$/],
      ['an INI :children naming no group', ['-i', file(`[mailservers]\nm1 ansible_host=127.0.0.1 ansible_port=${l.port}\n[laptops:children]\noffice\n`, '.ini')], /^error: .*f\d+\.ini:4: section \[laptops:children\] names a group that is not defined: office$/],
      ['a group_vars file that is not YAML', ['-i', join(folder({ hosts: `[mailservers]\nm1 ansible_host=127.0.0.1 ansible_port=${l.port}\n`, 'group_vars/mailservers.yml': 'ansible_user: root\nbroken: [1,\n' }), 'hosts')], /^error: .*group_vars\/mailservers\.yml:\d+: not valid YAML: /],
      ['a become password in host_vars', ['-i', join(folder({ 'hosts.ini': `[mailservers]\nm1 ansible_host=127.0.0.1 ansible_port=${l.port}\n`, 'host_vars/m1.yml': 'ansible_become_password: hunter2\n' }), 'hosts.ini')], /^error: .*host_vars\/m1\.yml:1: ansible_become_password is not read from a file \(secrets stay off the disk\): remove it and set BECOME_PASSWORD in the environment or \.env$/],
      ['not YAML', ['-i', file('all:\n  children: [\n')], /^error: .*f\d+\.yml:\d+: /],
      ['wrong shape (hosts is a list)', ['-i', file(good('    mailservers:\n      hosts:\n        - mailserver\n'))], /^error: .*f\d+\.yml:5: /],
      ['typo of a group', ['-i', file(good(`    mailserver:\n      hosts:\n        m1:\n          ${host}\n`))], /^error: .*f\d+\.yml:3: .*unknown group 'mailserver' \(did you mean 'mailservers'\?\)/],
      ['duplicate host', ['-i', file(good(`    laptops:\n      hosts:\n        l1:\n          ${host}\n        l1:\n          ${host}\n`))], /^error: .*f\d+\.yml:\d+: host 'l1' is defined twice/],
      ['bad port', ['-i', file(good(`    mailservers:\n      hosts:\n        m1:\n          ansible_port: 99999\n`))], /^error: .*f\d+\.yml:\d+: .*ansible_port/],
    ];
    for (const [name, args, want] of cases) {
      const r = await tool('deploy', args, { lab: false });
      assert.equal(r.code, 1, `${name}: exit 1\n${r.stdout}${r.stderr}`);
      assert.match(r.stderr.trim(), want, name);
      assert.equal(r.stderr.trim().split('\n').length, 1, `${name}: one line`);
    }
    // --limit, ansible.cfg and become: refused before anything is contacted
    const iniInv = file(`[mailservers]\nm1 ansible_host=127.0.0.1 ansible_port=${l.port}\n[laptops]\nl1 ansible_host=127.0.0.1 ansible_port=${l.port} smarthost=m1\n`, '.ini');
    const badCfg = file('[defaults]\nforks = many\n', '.cfg');
    const more: Array<[string, string[], Record<string, string>, RegExp]> = [
      ['a pattern that matches no host', ['deploy', '-i', iniInv, '--limit', 'desk*'], {}, /^error: --limit 'desk\*' matches no host of .*f\d+\.ini \(hosts: m1, l1\)$/],
      ['a limit that leaves nothing to do', ['verify', '-i', iniInv, 'l1', '--limit', 'm1'], {}, /^error: --limit 'm1' leaves no host to act on: it matches m1; this command would act on l1$/],
      ['a bad ansible.cfg value', ['deploy', '-i', iniInv], { ANSIBLE_CONFIG: badCfg }, /^error: .*f\d+\.cfg:2: \[defaults\] forks: must be a whole number of at least 1, not "many"$/],
      ['become_user other than root', ['deploy', '-i', file(`[mailservers]\nm1 ansible_host=127.0.0.1 ansible_port=${l.port} ansible_user=admin ansible_become=yes ansible_become_user=postgres\n[laptops]\n`, '.ini')], {}, /^error: .*f\d+\.ini:2: host 'm1': ansible_become_user 'postgres' is not supported: the tool writes root-owned files under \/etc\/mail, so it becomes root only/],
      ['become_method other than sudo', ['deploy', '-i', file(`[mailservers]\nm1 ansible_host=127.0.0.1 ansible_port=${l.port} ansible_user=admin ansible_become=yes\n[laptops]\n[all:vars]\nansible_become_method=su\n`, '.ini')], {}, /^error: .*f\d+\.ini:5: host 'm1': ansible_become_method 'su' is not supported: this tool becomes root with sudo only$/],
    ];
    for (const [name, [cmd, ...args], env, want] of more) {
      const r = await tool(cmd, args, { lab: false, env });
      assert.equal(r.code, 1, `${name}: exit 1\n${r.stdout}${r.stderr}`);
      assert.match(r.stderr.trim(), want, name);
      assert.equal(r.stderr.trim().split('\n').length, 1, `${name}: one line`);
    }
    // host selection errors list the hosts of the right group
    const inv = file(good(`    mailservers:\n      hosts:\n        m1:\n          ${host}\n    laptops:\n      hosts:\n        l1:\n          ${host}\n        l2:\n          ${host}\n          smarthost: l1\n`));
    const sel: Array<[string, string[], RegExp]> = [
      ['deploy unknown host', ['deploy', '-i', inv, '--host', 'l9'], /unknown host 'l9' \(known hosts: m1, l1, l2\)/],
      ['pair a server', ['pair', '-i', inv, 'm1'], /'m1' \(in mailservers\) not in group 'laptops' \(known laptops: l1, l2\)/],
      ['a laptop as a server', ['pair', '-i', inv, 'l2'], /laptop 'l2' has smarthost 'l1', which is not a host in mailservers \(m1\)/],
      ['pair with no laptop', ['pair', '-i', inv], /name the laptops to pair, or --all \(known laptops: l1, l2\)/],
    ];
    for (const [name, [cmd, ...args], want] of sel) {
      const r = await tool(cmd, args, { lab: false });
      assert.equal(r.code, 1, name);
      assert.match(r.stderr, want, name);
    }
    const two = file(good(`    mailservers:\n      hosts:\n        m1:\n          ${host}\n        m2:\n          ${host}\n    laptops:\n      hosts:\n        l1:\n          ${host}\n`));
    const r = await tool('pair', ['-i', two, 'l1'], { lab: false });
    assert.equal(r.code, 1);
    assert.match(r.stderr, /laptop 'l1' has no smarthost var and there are several servers \(m1, m2\): set smarthost/);
    const none = file(good(`    laptops:\n      hosts:\n        l1:\n          ${host}\n`));
    assert.match((await tool('pair', ['-i', none, 'l1'], { lab: false })).stderr, /laptop 'l1' has no server/);
    assert.equal(l.count(), 0, 'no host was contacted');
  } finally {
    l.close();
  }
});

test('hostile conditions on the lab', { timeout: 20 * 60_000 }, async (t) => {
  if (!(await requireLab(t))) return;
  await labUp(HOSTS);
  await labReset(HOSTS);
  const ms = { ansible_host: hostAddress('mailserver') };
  const l1 = { ansible_host: hostAddress('laptop1') };

  await t.test('unreachable hosts: named in the recap, the others still done, in bounded time', async () => {
    const silent = await listener(true);
    try {
      const inv = labInventory({
        mailserver: { group: 'mailservers', vars: ms },
        laptop1: { group: 'laptops', vars: l1 },
        refused: { group: 'laptops', vars: { ansible_host: hostAddress('laptop2'), ansible_port: 2222 } },
        nowhere: { group: 'laptops', vars: { ansible_host: hostAddress('laptop99') } },
        silent: { group: 'laptops', vars: { ansible_host: '127.0.0.1', ansible_port: silent.port } },
      });
      const started = Date.now();
      const r = await tool('deploy', ['-i', inv, '--timeout', '3']);
      const took = Date.now() - started;
      assert.equal(r.code, 4, r.stdout + r.stderr);
      const rc = recap(r.stdout);
      assert.equal(rc.mailserver.failed + rc.mailserver.unreachable, 0);
      assert.equal(rc.laptop1.failed + rc.laptop1.unreachable, 0, 'the reachable laptop is still paired');
      assert.ok(r.stdout.includes(`unreachable refused: nothing listens on [${hostAddress('laptop2')}]:2222 (connection refused)`), r.stdout);
      assert.match(r.stdout, /unreachable nowhere: .*(cannot be reached|did not answer in time)/);
      assert.match(r.stdout, /unreachable silent: \[127\.0\.0\.1\]:\d+ did not answer in time/);
      for (const h of ['refused', 'nowhere', 'silent']) assert.equal(rc[h].unreachable, 1, h);
      assert.ok(took < 20_000, `bounded time: ${took} ms`);
    } finally {
      silent.close();
    }
  });

  await t.test('authentication problems: wrong key, missing key file, encrypted key, refused user', async () => {
    await labReset(HOSTS);
    const before = etcMailSums('mailserver');
    const other = join(dir, 'other_key');
    execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', other]);
    const enc = join(dir, 'enc_key');
    execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', 'a passphrase', '-f', enc]);
    const cases: Array<[string, Record<string, string>, RegExp]> = [
      ['wrong key', { ansible_ssh_private_key_file: other }, /unreachable mailserver: authentication failed for root@[\d.]+ with key .*other_key/],
      ['missing key file', { ansible_ssh_private_key_file: join(dir, 'no_such_key') }, /unreachable mailserver: cannot read the SSH key .*no_such_key: ENOENT/],
      ['encrypted key, no passphrase', { ansible_ssh_private_key_file: enc }, /unreachable mailserver: the SSH key .*enc_key is encrypted: set SSH_KEY_PASSPHRASE/],
      ['user refused', { ansible_user: 'nobody' }, /unreachable mailserver: authentication failed for nobody@/],
    ];
    for (const [name, vars, want] of cases) {
      const inv = labInventory({ mailserver: { group: 'mailservers', vars: { ...ms, ...vars } } });
      const r = await tool('deploy', ['-i', inv], { env: { SSH_KEY_PASSPHRASE: '' } });
      assert.equal(r.code, 4, `${name}\n${r.stdout}${r.stderr}`);
      assert.match(r.stdout, want, name);
    }
    assert.deepEqual(etcMailSums('mailserver'), before, 'nothing changed');
  });

  await t.test('a broken host: sendmail missing, sendmail.mc missing or without anchors, update_tls refusing', async () => {
    const cases: Array<[string, string, RegExp]> = [
      ['sendmail not installed', 'mv /usr/sbin/sendmail /usr/sbin/sendmail.away', /failed\s+mailserver: sendmail is installed — sendmail not found on mailserver/],
      ['sendmail.mc missing', 'mv /etc/mail/sendmail.mc /etc/mail/sendmail.mc.away', /failed\s+mailserver: sendmail is installed — \/etc\/mail\/sendmail\.mc is missing on mailserver/],
      ['no anchors', "sed -i '/^MAILER/d; /^LOCAL_CONFIG/d' /etc/mail/sendmail.mc", /failed\s+mailserver: include starttls\.m4 in sendmail\.mc — mailserver:\/etc\/mail\/sendmail\.mc: .*(LOCAL_CONFIG|MAILER)/],
      ['no certificate, HANDS_OFF', 'rm -f /etc/mail/tls/sendmail-server.crt; echo HANDS_OFF=\\"Yes\\" >> /etc/mail/sendmail.conf', /failed\s+mailserver: the certificates exist \(update_tls\) — update_tls will not run on mailserver: HANDS_OFF is set in \/etc\/mail\/sendmail\.conf/],
      ['no certificate, no update_tls', 'rm -f /etc/mail/tls/sendmail-server.crt /usr/share/sendmail/update_tls', /failed\s+mailserver: the certificates exist \(update_tls\) — \/etc\/mail\/tls\/sendmail-server\.crt is missing and \/usr\/share\/sendmail\/update_tls is not installed on mailserver/],
      ['garbage certificate', 'echo garbage > /etc/mail/tls/sendmail-server.crt', /failed\s+mailserver: the certificates exist \(update_tls\) — .*not a PEM certificate/],
    ];
    for (const [name, breakIt, want] of cases) {
      await labReset(['mailserver']);
      const b = await hostExec('mailserver', breakIt);
      assert.equal(b.code, 0, `${name}: ${b.stderr}`);
      const before = etcMailSums('mailserver');
      const r = await tool('deploy', ['--host', 'mailserver']);
      assert.equal(r.code, 2, `${name}\n${r.stdout}${r.stderr}`);
      assert.match(r.stdout, want, name);
      assert.deepEqual(etcMailSums('mailserver'), before, `${name}: nothing changed`);
    }
    await labReset(['mailserver']);
  });

  await t.test('an expired certificate is an error, one expiring within 30 days a warning with the date', async () => {
    for (const [days, want, code] of [[-2, /expired on \d{4}-\d{2}-\d{2}/, 2], [10, /\[WARNING\] mailserver: \/etc\/mail\/tls\/sendmail-server\.crt expires on \d{4}-\d{2}-\d{2} \(in \d+ days\)/, 0]] as const) {
      await labReset(['mailserver']);
      const keys = forge.pki.rsa.generateKeyPair(2048);
      const cert = forge.pki.createCertificate();
      cert.publicKey = keys.publicKey;
      cert.serialNumber = '0a';
      cert.validity.notBefore = new Date(Date.now() - 400 * 86400_000);
      cert.validity.notAfter = new Date(Date.now() + days * 86400_000);
      const attrs = [{ shortName: 'O', value: 'Sendmail' }, { shortName: 'CN', value: 'mailserver.lab.example' }];
      cert.setSubject(attrs);
      cert.setIssuer(attrs);
      cert.sign(keys.privateKey, forge.md.sha256.create());
      await hostExec('mailserver', 'cat > /etc/mail/tls/sendmail-server.crt', forge.pki.certificateToPem(cert));
      const r = await tool('deploy', ['--host', 'mailserver']);
      assert.equal(r.code, code, r.stdout + r.stderr);
      assert.match(r.stdout, want);
    }
    await labReset(['mailserver']);
  });

  await t.test('hostile values: host names, DNs and vars with quotes, $(), ; and newlines run nothing extra', async () => {
    await labReset(HOSTS);
    // a server certificate whose DN holds shell metacharacters
    const dn = `/O=Evil $(touch /tmp/pwned-dn); rm -rf /x/CN=mailserver.lab.example/OU=it's "quoted" \`id\``;
    const mk = await hostExec(
      'mailserver',
      `cd /etc/mail/tls && openssl req -x509 -new -key sendmail-common.key -days 30 -subj "$1" -out sendmail-server.crt 2>&1`.replace('"$1"', `'${dn.replace(/'/g, `'\\''`)}'`),
    );
    assert.equal(mk.code, 0, mk.stdout + mk.stderr);
    // a name with white space is refused before anything is contacted
    const spaced = labInventory({ 'mail server': { group: 'mailservers', vars: ms } });
    const sp = await tool('deploy', ['-i', spaced]);
    assert.equal(sp.code, 1);
    assert.match(sp.stderr.trim(), /^error: .*:\d+: host name 'mail server' must not be empty or contain spaces$/);
    const inv = labInventory({
      "mail'server;$(touch${IFS}/tmp/pwned-name)": { group: 'mailservers', vars: ms },
      'lap"top`touch${IFS}/tmp/pwned-laptop`|&<>': { group: 'laptops', vars: l1 },
    });
    for (const h of ['mailserver', 'laptop1']) await hostExec(h, 'rm -f /tmp/pwned-*');
    const r = await tool('deploy', ['-i', inv, '-v']);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    for (const h of ['mailserver', 'laptop1']) {
      assert.equal((await hostExec(h, 'ls /tmp/pwned-* 2>/dev/null | wc -l')).stdout.trim(), '0', `nothing ran on ${h}`);
    }
    assert.ok(!existsSync('/tmp/pwned-dn') && !existsSync('/tmp/pwned-name') && !existsSync('/tmp/pwned-laptop'));
    const access = readFileSync(join(hostRoot('mailserver'), 'etc/mail/access'), 'utf8');
    const issuer = execFileSync('openssl', ['x509', '-noout', '-issuer', '-nameopt', 'compat', '-in', join(hostRoot('mailserver'), 'etc/mail/tls/sendmail-server.crt')], { encoding: 'utf8' })
      .trim()
      .replace(/^issuer=\s*/, '');
    assert.match(issuer, /Evil \$\(touch .*"quoted" `id`/, 'the hostile DN is in the certificate');
    assert.ok(access.split('\n').includes(`CERTISSUER:${xtext(issuer)}\tRELAY`), access.split('\n').filter((l) => /CERTISSUER/.test(l)).join('\n'));
    const again = await tool('deploy', ['-i', inv]);
    assert.equal(Object.values(recap(again.stdout)).reduce((a, b) => a + b.changed, 0), 0, again.stdout);
    await labReset(HOSTS);
  });

  await t.test('SIGTERM during a run: stops after the current step, says where, and the next run converges', async () => {
    await labReset(HOSTS);
    const k = await toolKilledAt('pair', ['laptop1'], /changed mailserver: include starttls\.m4/, 'SIGTERM');
    assert.ok(k.fired);
    assert.equal(k.code, 130, k.stdout + k.stderr);
    assert.match(k.stderr, /SIGTERM: stopping after the current step/);
    assert.match(k.stdout, /mailserver : .*\(interrupted before "[^"]+"\)/);
    assert.match(k.stdout, /interrupted: stopped after the current step; run again to converge/);
    const again = await tool('pair', ['laptop1']);
    assert.equal(again.code, 0, again.stdout + again.stderr);
    const third = await tool('pair', ['laptop1']);
    assert.equal(Object.values(recap(third.stdout)).reduce((a, b) => a + b.changed, 0), 0);
  });

  await t.test('secrets: the key never shows in any output, never lands on this machine, and stays 0640 root:smmsp', async () => {
    await labReset(HOSTS);
    const key = readFileSync(join(hostRoot('mailserver'), 'etc/mail/tls/sendmail-common.key'), 'utf8');
    const body = key.split('\n').filter((l) => l && !l.startsWith('-----'));
    const password = 'sudo-pw-' + Math.random().toString(36).slice(2);
    const env = { BECOME_PASSWORD: password };
    const outputs: string[] = [];
    const runs: Array<[string, string[]]> = [
      ['deploy', ['-v', '--diff', '--check']],
      ['deploy', ['-v', '--diff', '--host', 'mailserver']],
      ['pair', ['-v', '--diff', 'laptop1']],
      ['pair', ['-v', '--diff', '--json', 'laptop2']],
      ['deploy', ['-v', '--diff', '--host', 'mailserver', '--regenerate-certs']],
      ['pair', ['-v', '--diff', '--all']],
      ['pair', ['-v', '--json', '--check', '--all']],
    ];
    for (const [cmd, args] of runs) {
      const r = await tool(cmd, args, { env });
      outputs.push(r.stdout + r.stderr);
    }
    const newKey = readFileSync(join(hostRoot('mailserver'), 'etc/mail/tls/sendmail-common.key'), 'utf8');
    const all = outputs.join('\n');
    for (const line of [...body, ...newKey.split('\n').filter((l) => l && !l.startsWith('-----'))]) {
      assert.ok(!all.includes(line), 'a line of the key appeared in the output');
    }
    assert.ok(!all.includes(password), 'the sudo password appeared in the output');
    assert.match(all, /secret content (changed|created); not shown/);
    // nothing of the key in this machine's temp folders
    const needle = newKey.split('\n')[1];
    const scan = (d: string, depth = 0): string[] => {
      if (depth > 3 || !existsSync(d)) return [];
      const hits: string[] = [];
      for (const e of readdirSync(d, { withFileTypes: true })) {
        const p = join(d, e.name);
        try {
          if (e.isDirectory()) hits.push(...scan(p, depth + 1));
          else if (e.isFile() && statSync(p).size < 1_000_000 && readFileSync(p, 'latin1').includes(needle)) hits.push(p);
        } catch { /* vanished */ }
      }
      return hits;
    };
    assert.deepEqual([...new Set([tmpdir(), '/tmp', '/var/tmp'])].flatMap((d) => scan(d)), [], 'key material in a temp folder');
    // modes on the laptops, backups included
    const smmsp = Number(readFileSync(join(hostRoot('laptop1'), 'etc/group'), 'utf8').match(/^smmsp:x:(\d+):/m)![1]);
    for (const h of ['laptop1', 'laptop2']) {
      const tls = join(hostRoot(h), 'etc/mail/tls');
      const keys = readdirSync(tls).filter((f) => f.startsWith('sendmail-common.key'));
      assert.ok(keys.length >= 2, `${h}: the key and a backup of it: ${keys.join(' ')}`);
      for (const f of keys) {
        const st = statSync(join(tls, f));
        assert.equal(st.mode & 0o007, 0, `${h}:${f} is not world-readable`);
        assert.ok((st.mode & 0o777) <= 0o640, `${h}:${f} mode ${(st.mode & 0o777).toString(8)}`);
        assert.equal(st.uid, 0);
        assert.equal(st.gid, smmsp);
      }
    }
  });
});

test.after(() => rmSync(dir, { recursive: true, force: true }));
