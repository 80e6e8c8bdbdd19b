// lib/run-store.ts: h.memo's store, one per play run.
import test from 'node:test';
import assert from 'node:assert/strict';
import { runStore } from '../../lib/run-store.js';

test('runStore: computed once per key, shared by calls made meanwhile; another store knows nothing of it', async () => {
  const memo = runStore();
  let n = 0;
  const compute = async () => {
    n++;
    await new Promise((r) => setTimeout(r, 5));
    return { n };
  };
  const [a, b] = await Promise.all([memo('k', compute), memo('k', compute)]);
  assert.equal(a, b);
  assert.equal(await memo('k', compute), a);
  assert.equal(n, 1);
  assert.deepEqual(await memo('other', compute), { n: 2 });
  assert.deepEqual(await runStore()('k', compute), { n: 3 });
});

test('runStore: a computation that fails is not kept', async () => {
  const memo = runStore();
  await assert.rejects(memo('k', () => Promise.reject(new Error('no'))), /no/);
  assert.equal(await memo('k', () => 7), 7);
});
