// verify end to end on the lab, and --json on every command: the JSON document parses and says
// what the plain output of the same run says.
import test from 'node:test';
import assert from 'node:assert/strict';
import { requireLab, labUp, labReset, hostAddress, logCursor } from './helpers.js';
import { tool, recap, etcMailSums } from './tool.js';

const HOSTS = ['mailserver', 'laptop1', 'laptop2'];

interface JsonDoc {
  command: string;
  hosts: Record<string, { ok: number; changed: number; failed: number; unreachable: number; tasks: Array<{ task: string; status: string; messages: string[]; error?: string }> }>;
}

const allSums = () => Object.fromEntries(HOSTS.map((h) => [h, etcMailSums(h)]));

/** The `status host: task...` lines of the plain output, per host in order. */
function plainTasks(out: string): Record<string, Array<{ status: string; text: string }>> {
  const r: Record<string, Array<{ status: string; text: string }>> = {};
  for (const m of out.matchAll(/^(ok|changed|failed|skipped)\s+(\S+): (.+)$/gm)) (r[m[2]] ??= []).push({ status: m[1], text: m[3] });
  return r;
}
/** The plain output shows, host by host and in order, the JSON's tasks with the same status. */
function assertPlainMatchesJson(out: string, doc: JsonDoc): void {
  const plain = plainTasks(out);
  assert.deepEqual(Object.keys(plain).sort(), Object.keys(doc.hosts).sort());
  for (const [host, h] of Object.entries(doc.hosts)) {
    assert.equal(plain[host].length, h.tasks.length, `${host}: task count`);
    h.tasks.forEach((t, i) => {
      assert.equal(plain[host][i].status, t.status, `${host}: ${t.task}`);
      assert.ok(plain[host][i].text.startsWith(t.task), `${host}: '${plain[host][i].text}' is not '${t.task}'`);
    });
  }
}
/** Each host's counts in the JSON equal the statuses of its own task list. */
function assertCountsMatchTasks(doc: JsonDoc): void {
  for (const [host, h] of Object.entries(doc.hosts)) {
    for (const s of ['ok', 'changed', 'failed'] as const) assert.equal(h[s], h.tasks.filter((t) => t.status === s).length, `${host} ${s}`);
  }
}

test('verify, and --json on deploy, pair and verify', { timeout: 15 * 60_000 }, async (t) => {
  if (!(await requireLab(t))) return;
  await labUp(HOSTS);
  await labReset(HOSTS);

  await t.test('bad input: one line, exit 1, nothing contacted', async () => {
    const r = await tool('verify', ['laptop1', '--rcpt', 'a b@example.net']);
    assert.equal(r.code, 1, r.stdout + r.stderr);
    assert.equal(r.stderr, 'error: --rcpt: not a mail address (local@domain): "a b@example.net"\n');
    const n = await tool('verify', ['mailserver']);
    assert.equal(n.code, 1, n.stdout + n.stderr);
    assert.equal(n.stderr.trim().split('\n').length, 1, n.stderr);
  });

  await t.test('before the server is deployed: exit 2, it offers no STARTTLS, nothing changes', async () => {
    const before = allSums();
    const r = await tool('verify', ['laptop2']);
    assert.equal(r.code, 2, r.stdout + r.stderr);
    assert.match(r.stdout, /^failed\s+laptop2: SMTP session .* — mailserver\.lab\.example:25 does not offer STARTTLS to laptop2: is the server deployed/m);
    assert.deepEqual(allSums(), before);
  });

  await t.test('an unpaired laptop of a deployed server: exit 2, the server answers Relaying denied, nothing changes', async () => {
    const d = await tool('deploy', ['--host', 'mailserver']);
    assert.equal(d.code, 0, d.stdout + d.stderr);
    const before = allSums();
    const r = await tool('verify', ['laptop2']);
    assert.equal(r.code, 2, r.stdout + r.stderr);
    assert.match(r.stdout, /^failed\s+laptop2: SMTP session .* — mailserver\.lab\.example refuses to relay for laptop2: 550 5\.7\.1 <someone@example\.net>\.\.\. Relaying denied$/m);
    assert.match(r.stdout, new RegExp(`laptop2: STARTTLS with mailserver\\.lab\\.example:25 \\(${hostAddress('mailserver').replace(/\./g, '\\.')}\\): TLS`));
    assert.match(r.stdout, /^laptop2 : ok=0 changed=0 failed=1 unreachable=0$/m);
    assert.deepEqual(allSums(), before);
  });

  await t.test('pair --json: parses, per-host counts match its task list, and the laptop changed', async () => {
    const p = await tool('pair', ['laptop1', '--json']);
    assert.equal(p.code, 0, p.stdout + p.stderr);
    const doc = JSON.parse(p.stdout) as JsonDoc;
    assert.equal(doc.command, 'pair');
    assert.deepEqual(Object.keys(doc.hosts).sort(), ['laptop1', 'mailserver']);
    assertCountsMatchTasks(doc);
    assert.ok(doc.hosts.laptop1.changed > 0);
    assert.ok(doc.hosts.laptop1.tasks.some((t) => t.status === 'changed' && /copy the server's certificate/.test(t.task)));
    assert.doesNotMatch(p.stdout, /BEGIN [A-Z ]*PRIVATE KEY/);
  });

  await t.test('deploy plain and deploy --json of the same state say the same, task by task', async () => {
    const plain = await tool('deploy', ['--host', 'mailserver', '--host', 'laptop1']);
    const json = await tool('deploy', ['--host', 'mailserver', '--host', 'laptop1', '--json']);
    assert.equal(plain.code, 0, plain.stdout + plain.stderr);
    assert.equal(json.code, 0, json.stdout + json.stderr);
    const doc = JSON.parse(json.stdout) as JsonDoc;
    assert.equal(doc.command, 'deploy');
    assertCountsMatchTasks(doc);
    const rc = recap(plain.stdout);
    assert.deepEqual(Object.keys(rc).sort(), Object.keys(doc.hosts).sort());
    for (const [host, h] of Object.entries(doc.hosts)) assert.deepEqual(rc[host], { ok: h.ok, changed: h.changed, failed: h.failed, unreachable: h.unreachable }, host);
    assertPlainMatchesJson(plain.stdout, doc);
    assert.ok(doc.hosts.mailserver.tasks.length >= 5 && doc.hosts.laptop1.tasks.length >= 3, json.stdout);
  });

  await t.test('verify a paired laptop: exit 0, RCPT accepted, the server logged verify=OK for it; nothing changes', async () => {
    const before = allSums();
    const log = logCursor('mailserver');
    const r = await tool('verify', ['laptop1']);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /^ok\s+laptop1: SMTP session/m);
    assert.match(r.stdout, /laptop1: RCPT TO:<someone@example\.net>: 250 2\.1\.5 <someone@example\.net>\.\.\. Recipient ok/);
    assert.match(r.stdout, /the server's certificate \(.*CN = mailserver\.lab\.example.*\): verification OK, name mailserver\.lab\.example/);
    assert.match(r.stdout, /the server asked for a client certificate; the laptop presented \/etc\/mail\/tls\/sendmail-client\.crt/);
    assert.match(r.stdout, /^laptop1 : ok=1 changed=0 failed=0 unreachable=0$/m);
    const addr = hostAddress('laptop1');
    const tls = log().filter((l) => l.includes('STARTTLS=server') && l.includes(`[${addr}]`));
    assert.ok(tls.some((l) => /verify=OK/.test(l)), `server log:\n${log().join('\n')}`);
    assert.ok(!log().some((l) => l.includes(`[${addr}]`) && /Relaying denied/.test(l)));
    assert.deepEqual(allSums(), before);
  });

  await t.test('verify --json on a paired and an unpaired laptop: exit 2, per-task results, --rcpt used', async () => {
    const before = allSums();
    const r = await tool('verify', ['laptop1', 'laptop2', '--json', '--rcpt', 'postmaster@example.org']);
    assert.equal(r.code, 2, r.stdout + r.stderr);
    const doc = JSON.parse(r.stdout) as JsonDoc;
    assert.equal(doc.command, 'verify');
    assertCountsMatchTasks(doc);
    assert.equal(doc.hosts.laptop1.tasks[0].status, 'ok');
    assert.ok(doc.hosts.laptop1.tasks[0].messages.some((m) => m === 'RCPT TO:<postmaster@example.org>: 250 2.1.5 <postmaster@example.org>... Recipient ok'), JSON.stringify(doc.hosts.laptop1));
    assert.equal(doc.hosts.laptop2.tasks[0].status, 'failed');
    assert.match(doc.hosts.laptop2.tasks[0].error!, /550 5\.7\.1 <postmaster@example\.org>\.\.\. Relaying denied/);
    assert.deepEqual(allSums(), before);
  });
});
