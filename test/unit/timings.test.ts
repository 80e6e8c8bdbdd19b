// STR_TIMINGS=all lists every milestone each time a host reaches it, with the host and the CPU
// time so far; STR_TIMINGS=1 keeps one line a milestone (first and last time, how often).
import test from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const timings = fileURLToPath(new URL('../../lib/timings.js', import.meta.url));
const script = `import { mark } from ${JSON.stringify(timings)}; mark('connected', 'laptop1'); mark('connected', 'laptop2'); mark('connections closed');`;
const run = (value: string) => spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8', env: { ...process.env, STR_TIMINGS: value } });

test('STR_TIMINGS=all: each milestone each time, by host, with CPU time', () => {
  const r = run('all');
  assert.equal(r.status, 0, r.stderr);
  const lines = r.stderr.trim().split('\n');
  assert.equal(lines.length, 4, r.stderr);
  assert.match(lines[0]!, /^timing +\d+ ms {2}cpu +\d+ ms {2}laptop1: connected$/);
  assert.match(lines[1]!, /^timing +\d+ ms {2}cpu +\d+ ms {2}laptop2: connected$/);
  assert.match(lines[2]!, /cpu +\d+ ms {2}connections closed$/);
  assert.match(lines[3]!, /ms {2}exit$/);
});

test('STR_TIMINGS=1: one line a milestone, first and last time and how often', () => {
  const r = run('1');
  assert.equal(r.status, 0, r.stderr);
  const lines = r.stderr.trim().split('\n');
  assert.equal(lines.length, 3, r.stderr);
  assert.match(lines[0]!, /^timing +\d+ ms \.\. +\d+ ms ×2 {2}connected$/);
  assert.doesNotMatch(r.stderr, /laptop1|cpu/);
});
