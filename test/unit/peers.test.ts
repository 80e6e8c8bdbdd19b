// A laptop reads its server's files while the server's own run goes on: the server's handlers run
// commands, and a command drops the server's snapshot (lib/host-session.ts). A peer read must hand
// back what it read even when the snapshot is dropped right after (CI once saw laptop1 fail with
// "Cannot read properties of undefined (reading 'exists')" through a jump host).
import test from 'node:test';
import assert from 'node:assert/strict';
import { peerReader } from '../../lib/peers.js';
import type { HostConnection } from '../../lib/host-session.js';
import type { ReadSpec, RemoteFile } from '../../lib/types.js';

test("a peer read returns what it read though the peer's snapshot is dropped as it lands", async () => {
  const peerCache = new Map<string, Map<string, RemoteFile>>();
  const conn = {
    read(specs: ReadSpec[]) {
      const files: RemoteFile[] = specs.map((s) => ({ path: s.path, exists: true, content: Buffer.from(`body of ${s.path}`), sha256: 'x' }) as RemoteFile);
      const p = Promise.resolve({ files, probes: {} });
      // the server's handler starts a command just after the read lands: its snapshot is dropped
      void p.then(() => Promise.resolve().then(() => peerCache.get('mailserver')?.clear()));
      return p;
    },
  } as unknown as HostConnection;
  const targets = new Map([['mailserver', { vars: {}, target: {} as never }]]);
  const handle = peerReader(targets, async () => conn, new Map(), peerCache, () => undefined)('mailserver');
  const [cert, key] = await handle.files(['/etc/mail/tls/sendmail-server.crt', { path: '/etc/mail/tls/sendmail-common.key', digestOnly: true }]);
  assert.ok(cert?.exists, 'the certificate is there');
  assert.equal(cert.content!.toString(), 'body of /etc/mail/tls/sendmail-server.crt');
  assert.ok(key?.exists, 'the key is there');
});
