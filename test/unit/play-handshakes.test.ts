// The play bounds the SSH handshakes in progress at once, all hosts together (MAX_HANDSHAKES), and
// per SSH server (MAX_STARTUPS): a fleet of 100 connects through at most 32 key exchanges at a
// time, so no handshake waits behind 99 others until the connect timeout (seen on the lab at
// 1 + 100 hosts: hosts reported unreachable for the tool's own load).
import test from 'node:test';
import assert from 'node:assert/strict';
import { MAX_HANDSHAKES, runPlay, type AnyHostPlan, type PlayOptions } from '../../lib/play.js';
import type { Role } from '../../lib/types.js';
import { FakeHost } from '../support/fake-host.js';

const nothing: Role = { name: 'nothing', gather: () => ({ files: [], probes: {} }), tasks: [], handlers: [] };

test('at most MAX_HANDSHAKES handshakes at once over 100 hosts, and every host connects', async () => {
  let now = 0;
  let most = 0;
  const opened: string[] = [];
  const plans: AnyHostPlan[] = Array.from({ length: 100 }, (_, i) => ({
    name: `laptop${i + 1}`,
    role: nothing,
    options: {},
    vars: {},
    target: { name: `laptop${i + 1}`, host: `198.18.0.${i + 21}`, port: 22, user: 'root', become: false },
  }));
  const opts: PlayOptions = {
    open: async (t) => {
      now++;
      most = Math.max(most, now);
      await new Promise((r) => setTimeout(r, 5));
      now--;
      opened.push(t.name);
      return new FakeHost(t.name);
    },
    check: false,
    diff: false,
    forks: 50,
    lockPath: '/run/lock/fake.lock',
    lockWaitSeconds: 0,
    keepBackups: 5,
    connect: { knownHosts: [], knownHostsFile: '/dev/null', timeoutMs: 1000 },
    reporter: { taskResult: () => {}, hostUnreachable: () => {} },
    mask: (s) => s,
    addSecret: () => {},
  };
  const r = await runPlay([plans], opts);
  assert.equal(MAX_HANDSHAKES, 32);
  assert.equal(most, MAX_HANDSHAKES, `${most} handshakes at once`);
  assert.equal(opened.length, 100);
  assert.equal([...r.stats.values()].filter((s) => s.unreachable).length, 0);
});
