// The operations layer (lib/ops) through the real engine on a fake host: only the difference is
// written, handlers are notified only on a change, check mode writes and runs nothing, --diff shows
// text changes and never a secret, and a task that does not apply is reported skipped.
import test from 'node:test';
import assert from 'node:assert/strict';
import { FakeHost, playOnFakes } from '../support/fake-host.js';
import type { Role, Task } from '../../lib/types.js';

const RELOAD = 'reload it';
function role(...tasks: Task[]): Role {
  return {
    name: 'ops-test',
    gather: () => ({ files: [{ path: '/etc/a.conf' }, { path: '/etc/k.key', digestOnly: true, secret: true }], probes: {} }),
    tasks,
    handlers: [{ name: RELOAD, run: async (h) => void (await h.$`service thing reload`) }],
  };
}
const appendLine = (line: string): Task => ({
  name: `a.conf has ${line}`,
  run: async (h) => void (await h.edit('/etc/a.conf', (t) => (t.split('\n').includes(line) ? t : t + line + '\n'), { notify: RELOAD })),
});

test('edit: writes only the difference and notifies once; the second run changes nothing', async () => {
  const h = new FakeHost('h', { '/etc/a.conf': 'x\n' });
  const r = await playOnFakes([[{ host: h, role: role(appendLine('y'), appendLine('z')) }]]);
  assert.equal(h.text('/etc/a.conf'), 'x\ny\nz\n');
  assert.deepEqual(h.commands, ['service thing reload']);
  assert.deepEqual(r.lines.map((l) => l.status), ['changed', 'changed', 'changed']);
  const again = await playOnFakes([[{ host: h, role: role(appendLine('y'), appendLine('z')) }]]);
  assert.deepEqual(again.lines.map((l) => l.status), ['ok', 'ok']);
  assert.deepEqual(h.commands, ['service thing reload']);
});

test('edit in check mode with diff: reported with its diff, nothing written, no handler run', async () => {
  const h = new FakeHost('h', { '/etc/a.conf': 'x\n' });
  const r = await playOnFakes([[{ host: h, role: role(appendLine('y')) }]], { check: true, diff: true });
  assert.equal(h.text('/etc/a.conf'), 'x\n');
  assert.deepEqual(h.written, []);
  assert.deepEqual(h.commands, []);
  assert.equal(r.lines[0].status, 'changed');
  assert.match(r.lines[0].diffs[0], /^\+y$/m);
  assert.match(r.lines[1].messages.join(), /would run: service thing reload/);
});

test('put: a secret is compared by digest, written with its mode, and never shown in a diff', async () => {
  const h = new FakeHost('h', { '/etc/k.key': { content: 'OLD-SECRET-KEY-MATERIAL-0000000000', mode: 0o644 } });
  const put: Task = { name: 'key', run: async (hh) => void (await hh.put({ path: '/etc/k.key', content: 'NEW-SECRET-KEY-MATERIAL-1111111111', mode: 0o640, group: 'smmsp', secret: true }, { notify: RELOAD })) };
  const r = await playOnFakes([[{ host: h, role: role(put) }]], { diff: true });
  assert.equal(h.text('/etc/k.key'), 'NEW-SECRET-KEY-MATERIAL-1111111111');
  assert.equal(h.files.get('/etc/k.key')!.mode, 0o640);
  assert.doesNotMatch(JSON.stringify(r.lines), /SECRET-KEY-MATERIAL/);
  const again = await playOnFakes([[{ host: h, role: role(put) }]]);
  assert.equal(again.lines[0].status, 'ok');
});

test('attrs: chown/chmod through zx with every value quoted, only when they differ', async () => {
  const h = new FakeHost('h', { "/etc/it's.key": { content: 'k', mode: 0o644, owner: 'root', group: 'root' } });
  const t: Task = { name: 'mode', run: async (hh) => void (await hh.attrs("/etc/it's.key", { mode: 0o600, owner: 'root', group: 'root' })) };
  const r = await playOnFakes([[{ host: h, role: { ...role(t), gather: () => ({ files: [], probes: {} }) } }]]);
  assert.equal(r.lines[0].status, 'changed');
  assert.deepEqual(h.commands, [`chown root:root -- '/etc/it'\\''s.key' && chmod 0600 -- '/etc/it'\\''s.key'`]);
  h.files.get("/etc/it's.key")!.mode = 0o600;
  h.commands.length = 0;
  const again = await playOnFakes([[{ host: h, role: { ...role(t), gather: () => ({ files: [], probes: {} }) } }]]);
  assert.equal(again.lines[0].status, 'ok');
  assert.deepEqual(h.commands, []);
});

test('skip: a task that does not apply is skipped and counted, not ok', async () => {
  const h = new FakeHost('h', { '/etc/a.conf': '' });
  const t: Task = { name: 'other mode', run: async (hh) => hh.skip('not this mode') };
  const r = await playOnFakes([[{ host: h, role: role(t, appendLine('y')) }]]);
  assert.equal(r.lines[0].status, 'skipped');
  assert.deepEqual(r.lines[0].messages, ['not this mode']);
  assert.equal(r.stats.get('h')!.skipped, 1);
});

test('a failing zx command fails the task with one line naming the command and its error', async () => {
  const h = new FakeHost('h', {}, {}, () => ({ code: 2, stdout: '', stderr: 'boom: no such thing' }));
  const t: Task = { name: 'runs', run: async (hh) => void (await hh.$`do-it --now`) };
  const r = await playOnFakes([[{ host: h, role: { ...role(t), gather: () => ({ files: [], probes: {} }) } }]]);
  assert.equal(r.lines[0].status, 'failed');
  assert.equal(r.lines[0].error, 'do-it --now failed (exit 2): boom: no such thing');
});

/** put of several files at once: a certificate twice and a key copied from a peer, as a laptop's first pair does. */
const SERVER_KEY = 'SERVER-SECRET-KEY-MATERIAL-2222222222';
function putThree(): Task {
  return {
    name: 'three files',
    run: async (hh) =>
      void (await hh.put(
        [
          { path: '/etc/a.crt', content: 'CERT\n', mode: 0o644, owner: 'root', group: 'smmsp' },
          { path: '/etc/b.crt', content: 'CERT\n', mode: 0o644, owner: 'root', group: 'smmsp' },
          { path: '/etc/k.key', from: { peer: hh.peer('srv'), path: '/srv/k.key' }, mode: 0o640, owner: 'root', group: 'smmsp', secret: true },
        ],
        { notify: RELOAD },
      )),
  };
}
const threeRole = (): Role => ({ ...role(putThree()), gather: () => ({ files: [{ path: '/etc/a.crt' }, { path: '/etc/b.crt' }, { path: '/etc/k.key', digestOnly: true, secret: true }], probes: {} }) });
const peerSrv = () => new FakeHost('srv', { '/srv/k.key': { content: SERVER_KEY, mode: 0o600 } });

test('put of several files: one write round trip, each with its owner and mode, the secret never shown, notify once', async () => {
  const h = new FakeHost('h', { '/etc/b.crt': { content: 'OLD\n', mode: 0o600, owner: 'root', group: 'root' } });
  const srv = peerSrv();
  const r = await playOnFakes([[{ host: h, role: threeRole() }]], { diff: true, peers: [srv] });
  assert.equal(r.lines[0].status, 'changed', JSON.stringify(r.lines));
  // the snapshot read (lock) + one write of the three files + the handler's command
  assert.equal(h.roundTrips, 3);
  assert.deepEqual(h.written, ['/etc/a.crt', '/etc/b.crt', '/etc/k.key']);
  assert.equal(h.text('/etc/k.key'), SERVER_KEY);
  for (const p of ['/etc/a.crt', '/etc/b.crt']) assert.deepEqual([h.files.get(p)!.mode, h.files.get(p)!.group, h.text(p)], [0o644, 'smmsp', 'CERT\n']);
  assert.deepEqual([h.files.get('/etc/k.key')!.mode, h.files.get('/etc/k.key')!.group], [0o640, 'smmsp']);
  assert.deepEqual(h.commands, ['service thing reload']);
  assert.deepEqual(r.lines[0].messages, ['create /etc/a.crt', 'update /etc/b.crt', 'create /etc/k.key']);
  assert.match(r.lines[0].diffs.join('\n'), /^\+CERT$/m);
  assert.doesNotMatch(JSON.stringify(r.lines), /SECRET-KEY-MATERIAL/);
  // again: nothing differs, nothing written, the peer's key not read (digest only), no handler
  const srvTrips = srv.roundTrips;
  const again = await playOnFakes([[{ host: h, role: threeRole() }]], { peers: [srv] });
  assert.deepEqual(again.lines.map((l) => l.status), ['ok']);
  assert.equal(h.written.length, 3);
  assert.equal(srv.roundTrips - srvTrips, 1, 'one digest read of the peer');
});

test('put of several files, only the one that differs is written (its mode alone)', async () => {
  const h = new FakeHost('h', {
    '/etc/a.crt': { content: 'CERT\n', mode: 0o644, owner: 'root', group: 'smmsp' },
    '/etc/b.crt': { content: 'CERT\n', mode: 0o600, owner: 'root', group: 'smmsp' },
    '/etc/k.key': { content: SERVER_KEY, mode: 0o640, owner: 'root', group: 'smmsp' },
  });
  const r = await playOnFakes([[{ host: h, role: threeRole() }]], { peers: [peerSrv()] });
  assert.deepEqual(h.written, ['/etc/b.crt']);
  assert.deepEqual(r.lines[0].messages, ['set owner/mode of /etc/b.crt']);
  assert.equal(h.files.get('/etc/b.crt')!.mode, 0o644);
});

test('put of several files in check mode: reported, nothing written, the peer secret never read', async () => {
  const h = new FakeHost('h', {});
  const srv = peerSrv();
  const r = await playOnFakes([[{ host: h, role: threeRole() }]], { check: true, diff: true, peers: [srv] });
  assert.equal(r.lines[0].status, 'changed');
  assert.deepEqual(h.written, []);
  assert.deepEqual(h.commands, []);
  assert.deepEqual(r.lines[0].messages, ['would update /etc/k.key from srv:/srv/k.key (secret content; not shown)', 'would create /etc/a.crt', 'would create /etc/b.crt']);
  assert.equal(srv.roundTrips, 1, 'the peer was asked for a digest only');
  assert.doesNotMatch(JSON.stringify(r.lines), /SECRET-KEY-MATERIAL/);
});

test('put of several files, then a failure: rollback puts every one back', async () => {
  const h = new FakeHost('h', { '/etc/b.crt': { content: 'OLD\n', mode: 0o600 } });
  const fail: Task = {
    name: 'fails',
    run: async (hh) => {
      const back = await hh.rollback();
      assert.deepEqual(back.sort(), ['/etc/a.crt', '/etc/b.crt', '/etc/k.key']);
      throw new Error('later task failed');
    },
  };
  const r = await playOnFakes([[{ host: h, role: { ...threeRole(), tasks: [putThree(), fail] } }]], { peers: [peerSrv()] });
  assert.equal(r.lines[1].status, 'failed');
  assert.equal(h.text('/etc/b.crt'), 'OLD\n');
  assert.equal(h.files.get('/etc/b.crt')!.mode, 0o600);
  assert.ok(!h.files.has('/etc/a.crt') && !h.files.has('/etc/k.key'));
});

test('put with made content: made only when written, never in check mode (which says what it would make)', async () => {
  let made = 0;
  const t: Task = {
    name: 'signed',
    run: async (hh) =>
      void (await hh.put({ path: '/etc/a.crt', make: async () => (made++, 'SIGNED\n'), describe: 'signed by the CA', mode: 0o644, group: 'smmsp' }, { notify: RELOAD })),
  };
  const h = new FakeHost('h', {});
  const chk = await playOnFakes([[{ host: h, role: role(t) }]], { check: true });
  assert.equal(made, 0);
  assert.deepEqual(h.written, []);
  assert.equal(chk.lines[0].status, 'changed');
  assert.deepEqual(chk.lines[0].messages, ['would create /etc/a.crt (signed by the CA)']);
  assert.match(chk.lines[1].messages.join(), /would run: service thing reload/);
  const real = await playOnFakes([[{ host: h, role: role(t) }]]);
  assert.equal(made, 1);
  assert.equal(h.text('/etc/a.crt'), 'SIGNED\n');
  assert.deepEqual(real.lines[0].messages, ['create /etc/a.crt']);
  assert.deepEqual(h.commands, ['service thing reload']);
});

test('missing: a real run fails the task with the error; check mode reports what the run would do', async () => {
  const t: Task = {
    name: 'needs a.crt',
    run: async (hh) => {
      const [f] = await hh.files(['/etc/a.crt']);
      if (!f.exists) return hh.missing('/etc/a.crt is missing on h', 'add the line once /etc/a.crt exists');
      hh.say('there');
    },
  };
  const chk = await playOnFakes([[{ host: new FakeHost('h', {}), role: role(t) }]], { check: true });
  assert.deepEqual([chk.lines[0].status, chk.lines[0].messages], ['changed', ['would add the line once /etc/a.crt exists']]);
  const real = await playOnFakes([[{ host: new FakeHost('h', {}), role: role(t) }]]);
  assert.deepEqual([real.lines[0].status, real.lines[0].error], ['failed', '/etc/a.crt is missing on h']);
  const there = await playOnFakes([[{ host: new FakeHost('h', { '/etc/a.crt': 'x' }), role: role(t) }]]);
  assert.deepEqual([there.lines[0].status, there.lines[0].messages], ['ok', ['there']]);
});

test('after a command changes the host, the next read takes back everything the snapshot held, in one round trip', async () => {
  const h = new FakeHost('h', { '/etc/a.conf': 'x\n', '/etc/b.conf': 'b\n', '/etc/k.key': { content: 'SECRET-KEY-MATERIAL-0123456789abcdef', mode: 0o600 } });
  const seen: string[] = [];
  const tasks: Task[] = [
    { name: 'b is read', run: async (hh) => void (await hh.files(['/etc/b.conf'])) },
    { name: 'regenerate', run: async (hh) => void (await hh.$`regenerate everything`) },
    { name: 'a is read again', run: async (hh) => void seen.push((await hh.files(['/etc/a.conf']))[0].content!.toString()) },
    { name: 'b and the key digest', run: async (hh) => void seen.push(String((await hh.files(['/etc/b.conf', { path: '/etc/k.key', digestOnly: true, secret: true }]))[1].sha256?.length)) },
  ];
  h.onRun = (_s, d) => {
    if (d?.includes('regenerate')) h.put('/etc/a.conf', 'new\n');
    return { code: 0, stdout: '', stderr: '' };
  };
  const r = await playOnFakes([[{ host: h, role: role(...tasks) }]]);
  assert.deepEqual(r.lines.map((l) => l.status), ['ok', 'changed', 'ok', 'ok']);
  assert.deepEqual(seen, ['new\n', '64']);
  // b.conf was read once before the command (its own round trip); after it, a.conf, b.conf and
  // the key's digest came back together: two reads in all, not three
  assert.equal(h.reads, 2, h.readPaths.join(' '));
  assert.deepEqual(h.readPaths.slice(1).sort(), ['/etc/a.conf', '/etc/b.conf', '/etc/k.key']);
});
