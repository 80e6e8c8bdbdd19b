// Which keys a connection offers: the inventory's key must be usable; ssh_config's and ssh's
// default keys are skipped when missing, unreadable or encrypted while something else can be offered.
import test from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadKeys, type ConnectOptions, type Endpoint } from '../../lib/connection.js';

const dir = mkdtempSync(join(tmpdir(), 'str-keys-'));
test.after(() => rmSync(dir, { recursive: true, force: true }));
const plain = join(dir, 'plain');
const enc = join(dir, 'enc');
execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', plain]);
execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', 'secret words', '-f', enc]);
const opts = (o: Partial<ConnectOptions> = {}): ConnectOptions => ({ knownHosts: [], knownHostsFile: 'kh', timeoutMs: 1000, ...o });
const ep = (o: Partial<Endpoint>): Endpoint => ({ name: 'h', host: 'h', port: 22, user: 'root', ...o });

async function withAgent<T>(sock: string | undefined, fn: () => Promise<T>): Promise<T> {
  const old = process.env.SSH_AUTH_SOCK;
  if (sock === undefined) delete process.env.SSH_AUTH_SOCK;
  else process.env.SSH_AUTH_SOCK = sock;
  try {
    return await fn();
  } finally {
    if (old === undefined) delete process.env.SSH_AUTH_SOCK;
    else process.env.SSH_AUTH_SOCK = old;
  }
}

test('the inventory key must be there and usable', async () => {
  await withAgent(undefined, async () => {
    await assert.rejects(loadKeys(ep({ privateKeyFile: join(dir, 'missing') }), opts()), /cannot read the SSH key .*missing: ENOENT/);
    await assert.rejects(loadKeys(ep({ privateKeyFile: enc }), opts()), /the SSH key .*enc is encrypted: set SSH_KEY_PASSPHRASE/);
    await assert.rejects(loadKeys(ep({ privateKeyFile: enc }), opts({ keyPassphrase: 'wrong' })), /encrypted and SSH_KEY_PASSPHRASE does not open it/);
    assert.deepEqual((await loadKeys(ep({ privateKeyFile: enc }), opts({ keyPassphrase: 'secret words' }))).map((k) => k.file), [enc]);
  });
});

test('ssh_config and default keys: skipped when missing, or encrypted while something else can be offered', async () => {
  await withAgent(undefined, async () => {
    assert.deepEqual((await loadKeys(ep({ identityFiles: [join(dir, 'missing'), plain] }), opts())).map((k) => k.file), [plain]);
    assert.deepEqual((await loadKeys(ep({ identityFiles: [enc, plain] }), opts())).map((k) => k.file), [plain], 'the plain key is offered, no passphrase asked');
    await assert.rejects(loadKeys(ep({ identityFiles: [enc] }), opts()), /the SSH key .*enc is encrypted: set SSH_KEY_PASSPHRASE/, 'the only key: said so');
    let asked = 0;
    const keys = await loadKeys(ep({ identityFiles: [enc] }), opts({ askPassphrase: async () => (asked++, 'secret words') }));
    assert.equal(asked, 1);
    assert.deepEqual(keys.map((k) => k.file), [enc]);
  });
  await withAgent('/nonexistent/agent.sock', async () => {
    assert.deepEqual(await loadKeys(ep({ identityFiles: [enc] }), opts()), [], 'the agent is offered instead');
    await assert.rejects(loadKeys(ep({ identityFiles: [enc], identitiesOnly: true }), opts()), /is encrypted/, 'IdentitiesOnly: no agent');
  });
});
