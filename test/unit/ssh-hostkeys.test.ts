// skipHostKeysProof (lib/connection.ts) relies on ssh2's own handler table: an in-process ssh2
// server and client check that the installed ssh2 still has it, that a hostkeys-00@openssh.com
// announcement then asks for no proof, and that without the wrap ssh2 would have asked.
import test from 'node:test';
import assert from 'node:assert/strict';
import ssh2 from 'ssh2';
import { skipHostKeysProof } from '../../lib/connection.js';

const { Server, Client, utils } = ssh2;

function keyPem(): string {
  return utils.generateKeyPairSync('ed25519').private;
}

async function session(wrap: boolean): Promise<{ proofs: number; hadHandlers: boolean }> {
  const hostKey = utils.parseKey(keyPem());
  const server = new Server({ hostKeys: [keyPem()] }, (c) => {
    c.on('authentication', (ctx) => ctx.accept());
    c.on('ready', () => undefined);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const port = (server.address() as { port: number }).port;
  const client = new Client();
  let proofs = 0;
  let hadHandlers = false;
  if (wrap) skipHostKeysProof(client);
  client.once('handshake', () => {
    const proto = (client as unknown as { _protocol: { openssh_hostKeysProve: (...a: unknown[]) => void; _handlers: Record<string, unknown> } })._protocol;
    hadHandlers = typeof proto._handlers?.GLOBAL_REQUEST === 'function';
    proto.openssh_hostKeysProve = () => void proofs++;
  });
  await new Promise<void>((resolve, reject) => {
    client.on('ready', () => resolve());
    client.on('error', reject);
    client.connect({ host: '127.0.0.1', port, username: 'u', password: 'p', hostVerifier: () => true });
  });
  // what sshd sends after authentication (ssh2's parser hands the handler the key blobs)
  const blob = (Array.isArray(hostKey) ? hostKey[0] : (hostKey as { getPublicSSH(): Buffer })).getPublicSSH();
  const proto = (client as unknown as { _protocol: { _handlers: Record<string, (...a: unknown[]) => void> } })._protocol;
  try {
    proto._handlers.GLOBAL_REQUEST(proto, 'hostkeys-00@openssh.com', false, [blob]);
  } finally {
    client.end();
    server.close();
  }
  return { proofs, hadHandlers };
}

test("ssh2 keeps the handler table skipHostKeysProof wraps, and without the wrap it would ask for proofs", async () => {
  const plain = await session(false);
  assert.equal(plain.hadHandlers, true, 'ssh2 Protocol._handlers.GLOBAL_REQUEST is gone: revisit skipHostKeysProof');
  assert.equal(plain.proofs, 1);
});

test('with skipHostKeysProof a hostkeys-00 announcement asks for no proof', async () => {
  const wrapped = await session(true);
  assert.equal(wrapped.proofs, 0);
});
