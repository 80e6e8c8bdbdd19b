// A host of the last phase is closed as soon as its own run is done (its lock goes with it), not
// with every other host at the end: each close writes to its host, and at 1 + 100 hosts a hundred
// closes at once were the run's last half second. A host others may read (an earlier phase, or one
// a peer has read) stays open until the end.
import test from 'node:test';
import assert from 'node:assert/strict';
import { runPlay, type AnyHostPlan, type PlayOptions } from '../../lib/play.js';
import type { Role } from '../../lib/types.js';
import { FakeHost } from '../support/fake-host.js';

function options(hosts: Map<string, FakeHost>): PlayOptions {
  return {
    open: async (t) => hosts.get(t.name)!,
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
}

const plan = (name: string, role: Role): AnyHostPlan => ({ name, role, options: {}, vars: {}, target: { name, host: name, port: 22, user: 'root', become: false } });

/** Hosts whose close() is logged with what had happened by then. */
function loggedHosts(names: string[], log: string[]): Map<string, FakeHost> {
  return new Map(
    names.map((n) => {
      const h = new FakeHost(n);
      h.close = () => void log.push(`close ${n}`);
      return [n, h];
    }),
  );
}

test("a laptop's connection closes when its own run is done; its server's at the end", async () => {
  const log: string[] = [];
  const hosts = loggedHosts(['mailserver', 'laptop1', 'laptop2'], log);
  let release!: () => void;
  const slow = new Promise<void>((r) => (release = r));
  const server: Role = { name: 'server', gather: () => ({ files: [], probes: {} }), tasks: [], handlers: [] };
  const client: Role = {
    name: 'client',
    gather: () => ({ files: [], probes: {} }),
    tasks: [
      {
        name: 'read the server, laptop2 slowly',
        run: async (h) => {
          await h.peer('mailserver').files(['/etc/mail/tls/sendmail-server.crt']);
          if (h.name === 'laptop2') {
            // laptop1 is done and closed while laptop2 still runs
            await new Promise((r) => setTimeout(r, 20));
            log.push('laptop2 still running');
            release();
          } else await Promise.resolve();
          log.push(`${h.name} done`);
        },
      },
    ],
    handlers: [],
  };
  const r = await runPlay([[plan('mailserver', server)], [plan('laptop1', client), plan('laptop2', client)]], options(hosts));
  await slow;
  assert.equal([...r.stats.values()].filter((s) => s.failed || s.unreachable).length, 0, JSON.stringify(r.results));
  assert.ok(log.indexOf('close laptop1') >= 0 && log.indexOf('close laptop1') < log.indexOf('laptop2 still running'), log.join(', '));
  assert.ok(log.indexOf('close mailserver') > log.indexOf('laptop2 done'), log.join(', '));
  assert.equal(log.filter((l) => l.startsWith('close')).length, 3, log.join(', '));
});

test('a host of the last phase that a peer has read stays open until the end', async () => {
  const log: string[] = [];
  const hosts = loggedHosts(['laptop1', 'laptop2'], log);
  const role: Role = {
    name: 'status',
    gather: () => ({ files: [], probes: {} }),
    tasks: [
      {
        name: 'laptop2 reads laptop1',
        run: async (h) => {
          // laptop2 reads laptop1 while laptop1's run goes on
          if (h.name === 'laptop1') await new Promise((r) => setTimeout(r, 10));
          else {
            await h.peer('laptop1').files(['/etc/mail/sendmail.mc']);
            await new Promise((r) => setTimeout(r, 20));
            log.push('laptop2 done');
          }
        },
      },
    ],
    handlers: [],
  };
  const r = await runPlay([[plan('laptop1', role), plan('laptop2', role)]], options(hosts));
  assert.equal([...r.stats.values()].filter((s) => s.failed || s.unreachable).length, 0, JSON.stringify(r.results));
  assert.ok(log.indexOf('close laptop1') > log.indexOf('laptop2 done'), log.join(', '));
});
