// A host of the last phase is closed as soon as its own run is done (its lock goes with it), not
// with every other host at the end: each close writes to its host, and at 1 + 100 hosts a hundred
// closes at once were the run's last half second. A host others may read (an earlier phase, or one
// a peer has read) stays open until the end.
import test from 'node:test';
import assert from 'node:assert/strict';
import type { Role } from '../../lib/types.js';
import { FakeHost, on, playOnFakes } from '../support/fake-host.js';

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
          }
          log.push(`${h.name} done`);
        },
      },
    ],
    handlers: [],
  };
  const r = await playOnFakes([[on(hosts.get('mailserver')!, server)], [on(hosts.get('laptop1')!, client), on(hosts.get('laptop2')!, client)]]);
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
  const r = await playOnFakes([[on(hosts.get('laptop1')!, role), on(hosts.get('laptop2')!, role)]]);
  assert.equal([...r.stats.values()].filter((s) => s.failed || s.unreachable).length, 0, JSON.stringify(r.results));
  assert.ok(log.indexOf('close laptop1') > log.indexOf('laptop2 done'), log.join(', '));
});
