// lib/ssh/coalesced-socket.ts: the writes of one tick leave as one writev, in order, with no wait.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, connect, type AddressInfo, type Socket } from 'node:net';
import { once } from 'node:events';
import { coalesceWrites, tcpSocket } from '../../lib/ssh/coalesced-socket.js';

/** A loopback server that keeps what it receives; the client socket's _write/_writev calls counted. */
async function pair(make: (port: number) => Socket) {
  const got: Buffer[] = [];
  const server = createServer((s) => s.on('data', (d) => got.push(d)));
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const sock = make((server.address() as AddressInfo).port);
  await once(sock, 'connect');
  const calls = { write: 0, writev: 0, chunks: 0 };
  const w = sock._write.bind(sock);
  const wv = sock._writev!.bind(sock);
  sock._write = (c, e, cb) => (calls.write++, calls.chunks++, w(c, e, cb));
  sock._writev = (cs, cb) => (calls.writev++, (calls.chunks += cs.length), wv(cs, cb));
  const close = async () => {
    sock.end();
    await once(sock, 'close');
    server.close();
  };
  return { sock, got, calls, close };
}

// an SSH packet as ssh2's AES-GCM cipher hands it over: length, ciphertext, tag
const packet = (n: number) => [Buffer.from([0, 0, 0, n]), Buffer.alloc(n, 0x61 + n), Buffer.alloc(16, 0x7a)];

test('a plain socket makes one syscall per write (why the module exists)', async () => {
  const p = await pair((port) => connect({ host: '127.0.0.1', port }));
  for (const b of packet(32)) p.sock.write(b);
  await new Promise((r) => setImmediate(r));
  assert.equal(p.calls.write, 3);
  assert.equal(p.calls.writev, 0);
  await p.close();
});

test('the writes of one tick go in one writev, in order, and arrive whole', async () => {
  const p = await pair((port) => tcpSocket('127.0.0.1', port));
  const sent = [...packet(32), ...packet(48)];
  for (const b of sent) p.sock.write(b);
  await new Promise((r) => setImmediate(r));
  assert.deepEqual(p.calls, { write: 0, writev: 1, chunks: 6 });
  await p.close();
  assert.deepEqual(Buffer.concat(p.got), Buffer.concat(sent));
});

test('each tick is sent at its end: no write waits for a later one', async () => {
  const p = await pair((port) => coalesceWrites(connect({ host: '127.0.0.1', port })));
  for (const b of packet(16)) p.sock.write(b);
  await new Promise((r) => process.nextTick(r));
  // flushed already, before any I/O or timer of the next turn
  assert.equal(p.calls.writev, 1);
  assert.equal(p.sock.writableLength, 0);
  p.sock.write(Buffer.from('x'));
  await new Promise((r) => setImmediate(r));
  assert.equal(p.calls.chunks, 4);
  await p.close();
  assert.equal(Buffer.concat(p.got).length, 4 + 16 + 16 + 1);
});
