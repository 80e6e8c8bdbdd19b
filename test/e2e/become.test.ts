// ansible_become: a non-root user that becomes root with sudo, its password from BECOME_PASSWORD
// (never from the inventory), refused clearly when missing or wrong, and never shown.
import test from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { requireLab, labUp, labReset, hostExec, hostRoot, hostAddress, labPaths } from './helpers.js';
import { tool, recap, etcMailSums } from './tool.js';

const HOSTS = ['mailserver', 'laptop1', 'laptop2'];

test('ansible_become with sudo', { timeout: 10 * 60_000 }, async (t) => {
  if (!(await requireLab(t))) return;
  await labUp(HOSTS);
  await labReset(HOSTS);
  const password = `pw '$(id)"; ${Math.random().toString(36).slice(2)}`;
  const pub = readFileSync(labPaths.publicKey, 'utf8');
  const setup = await hostExec(
    'laptop2',
    'set -e; command -v sudo >/dev/null || { echo "sudo is not installed in the lab rootfs"; exit 1; }; ' +
      'useradd -m -s /bin/sh admin; IFS= read -r pw; printf "admin:%s\\n" "$pw" | chpasswd; ' +
      'echo "admin ALL=(ALL:ALL) ALL" > /etc/sudoers.d/admin; chmod 0440 /etc/sudoers.d/admin; ' +
      'install -d -o admin -m 0700 /home/admin/.ssh; cat > /home/admin/.ssh/authorized_keys; chown admin /home/admin/.ssh/authorized_keys',
    `${password}\n${pub}`,
  );
  assert.equal(setup.code, 0, setup.stdout + setup.stderr);
  const dir = mkdtempSync(join(tmpdir(), 'str-become-'));
  try {
    const inv = join(dir, 'inventory.yml');
    writeFileSync(
      inv,
      `all:\n  vars:\n    ansible_ssh_private_key_file: ${labPaths.key}\n  children:\n` +
        `    mailservers:\n      hosts:\n        mailserver:\n          ansible_host: ${hostAddress('mailserver')}\n          ansible_user: root\n` +
        `    laptops:\n      hosts:\n        laptop2:\n          ansible_host: ${hostAddress('laptop2')}\n          ansible_user: admin\n          ansible_become: yes\n`,
    );
    const before = etcMailSums('laptop2');
    const missing = await tool('pair', ['-i', inv, 'laptop2'], { env: { BECOME_PASSWORD: '' } });
    assert.equal(missing.code, 4, missing.stdout + missing.stderr);
    assert.match(missing.stdout, /unreachable laptop2: sudo on laptop2 needs a password: set BECOME_PASSWORD/);
    const wrong = await tool('pair', ['-i', inv, 'laptop2', '-v'], { env: { BECOME_PASSWORD: 'not the password' } });
    assert.equal(wrong.code, 4, wrong.stdout + wrong.stderr);
    assert.match(wrong.stdout, /unreachable laptop2: sudo on laptop2 refused the password from BECOME_PASSWORD \(user admin\)/);
    assert.ok(!(wrong.stdout + wrong.stderr).includes('not the password'));
    assert.deepEqual(etcMailSums('laptop2'), before, 'nothing changed');

    const ok = await tool('pair', ['-i', inv, 'laptop2', '-v', '--diff'], { env: { BECOME_PASSWORD: password } });
    assert.equal(ok.code, 0, ok.stdout + ok.stderr);
    assert.ok(recap(ok.stdout).laptop2.changed > 0);
    assert.ok(!(ok.stdout + ok.stderr).includes(password), 'the sudo password is never shown');
    const key = statSync(join(hostRoot('laptop2'), 'etc/mail/tls/sendmail-common.key'));
    assert.equal(key.uid, 0, 'written as root through sudo');
    assert.equal(key.mode & 0o777, 0o640);
    const again = await tool('pair', ['-i', inv, 'laptop2'], { env: { BECOME_PASSWORD: password } });
    assert.equal(recap(again.stdout).laptop2.changed, 0, again.stdout);
  } finally {
    rmSync(dir, { recursive: true, force: true });
    await labReset(['laptop2']);
  }
});
