// npm run demo end to end: the newcomer's first command, on the real lab.
import test from 'node:test';
import assert from 'node:assert/strict';
import { requireLab, labUp, labReset, hostAddress } from './helpers.js';
import { tool } from './tool.js';

const HOSTS = ['mailserver', 'laptop1', 'laptop2'];

test('demo: deploy, pair laptop1, laptop1 relays with verify=OK, laptop2 is refused', { timeout: 10 * 60_000 }, async (t) => {
  if (!(await requireLab(t))) return;
  await labUp(HOSTS);
  // the demo resets the hosts itself: leave laptop2 paired and the server deployed first, so the
  // test fails unless the demo really starts from the starting state
  await labReset(HOSTS);
  const pre = await tool('deploy', ['--host', 'mailserver', '--host', 'laptop2']);
  assert.equal(pre.code, 0, pre.stdout + pre.stderr);

  const r = await tool('demo', [], { lab: false, timeoutMs: 8 * 60_000 });
  assert.equal(r.code, 0, r.stdout + r.stderr);
  assert.match(r.stdout, /^\$ npm run deploy -- -i \S+ --known-hosts \S+ --host mailserver$/m);
  assert.match(r.stdout, /^\$ npm run pair -- -i \S+ --known-hosts \S+ laptop1$/m);
  assert.match(r.stdout, /^changed\s+laptop1: copy the server's certificate and key to the laptop/m, 'pair changed laptop1');
  assert.match(r.stdout, new RegExp(String.raw`laptop1 relayed, its certificate verified by the server:\n {2}.*sm-mta\[\d+\]: STARTTLS=server, relay=laptop1\.lab\.example \[` + hostAddress('laptop1').replace(/\./g, '\\.') + String.raw`\].*verify=OK`));
  assert.match(r.stdout, /laptop2 \(not paired\) was refused:\n {2}.*<someone@example\.net>\.\.\. Relaying denied/);
  assert.match(r.stdout, /npm run lab -- down/);
  assert.doesNotMatch(r.stdout, /NOT PROVEN|FAILED/);
  assert.doesNotMatch(r.stdout, /BEGIN [A-Z ]*PRIVATE KEY/);
});

test('demo: arguments are refused with one line and exit 1', async () => {
  const r = await tool('demo', ['--bogus'], { lab: false });
  assert.equal(r.code, 1);
  assert.equal(r.stderr, 'error: demo takes no arguments (got --bogus)\n');
});
