// A mixed lab: a Debian 13 (trixie) server with Debian 12 (bookworm) laptops, and the reverse
// (LAB_SUITE_<host>). deploy + pair, then laptop1's mail is accepted for relay with verify=OK and
// laptop2 (not paired) is refused, each host running the release it was asked for.
import test from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { requireLab, labUp, sendTestMail, hostRoot, hostExec } from './helpers.js';
import { tool, recap } from './tool.js';

const HOSTS = ['mailserver', 'laptop1', 'laptop2'];
const MAJOR = { bookworm: '12', trixie: '13' } as const;

for (const [server, laptops] of [['trixie', 'bookworm'], ['bookworm', 'trixie']] as const) {
  test(`mixed lab: a ${server} server with ${laptops} laptops`, { timeout: 15 * 60_000 }, async (t) => {
    if (!(await requireLab(t))) return;
    const saved = { ...process.env };
    process.env.LAB_SUITE_mailserver = server;
    process.env.LAB_SUITE_laptop1 = laptops;
    process.env.LAB_SUITE_laptop2 = laptops;
    try {
      await labUp(HOSTS); // hosts of another release are built again
      for (const h of HOSTS) {
        const want = h === 'mailserver' ? server : laptops;
        assert.match(readFileSync(join(hostRoot(h), 'etc/debian_version'), 'utf8'), new RegExp(`^${MAJOR[want]}\\.`), `${h} runs ${want}`);
      }
      const v = await hostExec('mailserver', '/usr/sbin/sendmail -d0.1 -bt </dev/null | head -1');
      assert.match(v.stdout, server === 'trixie' ? /Version 8\.18\./ : /Version 8\.17\./);
      const p = await tool('pair', ['laptop1']);
      assert.equal(p.code, 0, p.stdout + p.stderr);
      assert.ok(recap(p.stdout).laptop1.changed > 0, p.stdout);
      const r1 = await sendTestMail('laptop1');
      assert.equal(r1.relayed, true, `laptop1 not relayed:\n${r1.laptopLines.join('\n')}\n${r1.serverLines.join('\n')}`);
      assert.equal(r1.verify, 'OK', r1.serverLines.join('\n'));
      const r2 = await sendTestMail('laptop2');
      assert.equal(r2.relayed, false, r2.serverLines.join('\n'));
      assert.ok(r2.serverLines.some((l) => /Relaying denied/.test(l)), r2.serverLines.join('\n'));
      const again = await tool('pair', ['laptop1']);
      assert.equal(again.code, 0, again.stdout + again.stderr);
      assert.equal(recap(again.stdout).mailserver.changed + recap(again.stdout).laptop1.changed, 0, again.stdout);
    } finally {
      for (const k of ['LAB_SUITE_mailserver', 'LAB_SUITE_laptop1', 'LAB_SUITE_laptop2']) {
        if (saved[k] === undefined) delete process.env[k];
        else process.env[k] = saved[k];
      }
    }
  });
}
