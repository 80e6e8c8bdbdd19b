// The bench's no-tool figure (every host's make + reload at once): a host whose ssh session arrived
// after the start time makes the try no figure; the span is read from the hosts' ns clocks exactly.
import test from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { firstLeadMs, hostsWorkScript, hostsWorkSpan, nextLeadMs } from '../../bench/hosts-work.js';

const AT = 1_796_000_000_000; // ms since the epoch (2026-12)
const ns = (relMs: number) => (BigInt(AT) * 1_000_000n + BigInt(Math.round(relMs * 1e6))).toString();
const line = (a: number, s: number, e: number) => `${ns(a)} ${ns(s)} ${ns(e)}\n`;

test('all hosts arrived before the start: the span is first start to last end, none late', () => {
  const r = hostsWorkSpan(AT, [
    { host: 'mailserver', stdout: line(-2000, 1, 4001) },
    { host: 'laptop1', stdout: line(-1500, 0.5, 3500) },
    { host: 'laptop2', stdout: line(-300, 2, 4200.25) },
  ]);
  assert.deepEqual(r.late, []);
  assert.equal(r.spanMs, 4199.75);
  assert.equal(r.slackMs, 300);
});

test('a host that arrived after the start is reported late, with how late the last one was', () => {
  // as seen at 1 + 100 with a 7 s lead: the last sessions arrived 12.7 s after the start
  const r = hostsWorkSpan(AT, [
    { host: 'mailserver', stdout: line(-6000, 0, 9000) },
    { host: 'laptop99', stdout: line(12739, 12740, 15600) },
    { host: 'laptop100', stdout: line(400, 401, 9000) },
  ]);
  assert.deepEqual(r.late, ['laptop99', 'laptop100']);
  assert.equal(r.slackMs, -12739);
  assert.equal(r.spanMs, 15600);
});

test('output that is not three ns times, or out of order, is an error naming the host', () => {
  assert.throws(() => hostsWorkSpan(AT, [{ host: 'laptop3', stdout: 'make: *** error\n' }]), /^Error: laptop3: not "arrived started ended"/);
  assert.throws(() => hostsWorkSpan(AT, [{ host: 'laptop4', stdout: line(0, 10, 5) }]), /^Error: laptop4: times out of order/);
  assert.throws(() => hostsWorkSpan(AT, []), /no hosts/);
});

test('the lead grows past the overrun, and the first lead grows with the hosts', () => {
  assert.equal(firstLeadMs(21), 3840);
  assert.equal(firstLeadMs(101), 7040);
  assert.ok(nextLeadMs(7040, 12739) > 7040 + 12739);
  assert.equal(nextLeadMs(1000, -5), 2000);
});

test('a round starts from the lead an earlier round needed, with half again as margin, never below the formula', () => {
  // 101 hosts: 7.04 s was too short, 28.3 s worked with its last host 9.3 s early: 19 s were needed
  assert.equal(firstLeadMs(101, { leadMs: 28_300, slackMs: 9_300 }), 28_500);
  // a lead that worked with much to spare is not carried over below the formula
  assert.equal(firstLeadMs(21, { leadMs: 3840, slackMs: 3500 }), 3840);
  // a negative slack counts as none
  assert.equal(firstLeadMs(101, { leadMs: 20_000, slackMs: -1 }), 30_000);
});

test('the host script waits for the start time and prints arrived <= started <= ended (run by a real sh)', () => {
  const at = Date.now() + 300;
  const out = execFileSync('sh', ['-c', hostsWorkScript(at, 'sleep 0.1')], { encoding: 'utf8' });
  const r = hostsWorkSpan(at, [{ host: 'here', stdout: out }]);
  assert.deepEqual(r.late, []);
  assert.ok(r.spanMs >= 90 && r.spanMs < 2000, `span ${r.spanMs}`);
  assert.throws(() => hostsWorkScript(Number.NaN, 'true'), /bad start time/);
  // a failing work exits non-zero and prints nothing
  assert.throws(() => execFileSync('sh', ['-c', hostsWorkScript(Date.now(), 'false')], { stdio: 'pipe' }));
});
