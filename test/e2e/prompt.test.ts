// Prompts on a terminal, as Ansible's -K: the tool runs in a real pseudo-terminal (util-linux
// `script`), the test waits for the prompt on the screen and types the answer. -K asks for the sudo
// password; an encrypted key without SSH_KEY_PASSPHRASE asks for its passphrase (once, for every
// host using it). The input is never echoed, and without a terminal the clear errors stay.
import test from 'node:test';
import assert from 'node:assert/strict';
import { spawn, execFileSync } from 'node:child_process';
import { copyFileSync, chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { requireLab, labUp, labReset, hostExec, hostAddress, labPaths } from './helpers.js';
import { tool, recap } from './tool.js';
import { shq } from '../../lib/shell.js';

const HOSTS = ['mailserver', 'laptop1', 'laptop2'];
const root = new URL('../../../', import.meta.url).pathname;

interface Answer {
  /** the screen text to wait for */
  when: RegExp;
  type: string;
}

/** Run an entry point in a pseudo-terminal; type each answer when its prompt shows. */
function inPty(script: string, args: string[], answers: Answer[], env: Record<string, string> = {}): Promise<{ code: number; screen: string; prompts: number }> {
  const cmd = [process.execPath, join(root, 'dist', 'scripts', `${script}.js`), ...args].map(shq).join(' ');
  return new Promise((resolve, reject) => {
    const p = spawn('script', ['-qefc', cmd, '/dev/null'], { cwd: root, env: { ...process.env, NO_COLOR: '1', ...env }, stdio: ['pipe', 'pipe', 'pipe'] });
    let screen = '';
    let next = 0;
    let prompts = 0;
    let seen = 0; // the screen up to here was answered already
    const onData = (d: Buffer) => {
      screen += d.toString('utf8');
      const m = next < answers.length ? answers[next]!.when.exec(screen.slice(seen)) : null;
      if (m) {
        seen += m.index + m[0].length;
        prompts++;
        // typed a moment after the prompt shows, as a person would (the terminal is in raw mode by then)
        const answer = answers[next++]!.type;
        setTimeout(() => p.stdin.write(answer + '\r'), 200);
      }
    };
    p.stdout.on('data', onData);
    p.stderr.on('data', onData);
    const timer = setTimeout(() => p.kill('SIGKILL'), 60_000);
    p.on('error', reject);
    p.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code: code ?? -1, screen, prompts });
    });
  });
}

test('prompts on a terminal: -K and key passphrases', { timeout: 10 * 60_000 }, async (t) => {
  if (!(await requireLab(t))) return;
  await labUp(HOSTS);
  await labReset(HOSTS);
  const dir = mkdtempSync(join(tmpdir(), 'str-prompt-'));
  const password = `pw '$(id)" ${Math.random().toString(36).slice(2)}`;
  const passphrase = `key pass ${Math.random().toString(36).slice(2)}`;
  try {
    const setup = await hostExec(
      'laptop2',
      'set -e; useradd -m -s /bin/sh admin; IFS= read -r pw; printf "admin:%s\\n" "$pw" | chpasswd; ' +
        'echo "admin ALL=(ALL:ALL) ALL" > /etc/sudoers.d/admin; chmod 0440 /etc/sudoers.d/admin; ' +
        'install -d -o admin -m 0700 /home/admin/.ssh; cat > /home/admin/.ssh/authorized_keys; chown admin /home/admin/.ssh/authorized_keys',
      `${password}\n${readFileSync(labPaths.publicKey, 'utf8')}`,
    );
    assert.equal(setup.code, 0, setup.stdout + setup.stderr);
    const key = join(dir, 'encrypted_key');
    copyFileSync(labPaths.key, key);
    chmodSync(key, 0o600);
    execFileSync('ssh-keygen', ['-q', '-p', '-P', '', '-N', passphrase, '-f', key]);
    const inv = join(dir, 'inventory.yml');
    writeFileSync(
      inv,
      `all:\n  children:\n    mailservers:\n      hosts:\n        mailserver: { ansible_host: ${hostAddress('mailserver')}, ansible_user: root, ansible_ssh_private_key_file: ${key} }\n` +
        `    laptops:\n      hosts:\n        laptop1: { ansible_host: ${hostAddress('laptop1')}, ansible_user: root, ansible_ssh_private_key_file: ${key} }\n` +
        `        laptop2: { ansible_host: ${hostAddress('laptop2')}, ansible_user: admin, ansible_become: yes, ansible_ssh_private_key_file: ${labPaths.key} }\n`,
    );
    const common = ['-i', inv, '--known-hosts', labPaths.knownHosts, '--ssh-config', '/dev/null'];
    const env = { BECOME_PASSWORD: '', SSH_KEY_PASSPHRASE: '', SSH_AUTH_SOCK: '' };

    await t.test('without a terminal: the clear errors', async () => {
      const k = await tool('pair', [...common, '-K', 'laptop2'], { lab: false, env });
      assert.equal(k.code, 1, k.stdout + k.stderr);
      assert.equal(k.stderr.trim(), 'error: -K/--ask-become-pass needs a terminal: set BECOME_PASSWORD (environment or .env) instead');
      const enc = await tool('status', [...common, '--host', 'laptop1'], { lab: false, env });
      assert.equal(enc.code, 4, enc.stdout + enc.stderr);
      assert.match(enc.stdout, new RegExp(`the SSH key ${key} is encrypted: set SSH_KEY_PASSPHRASE \\(environment or \\.env\\) or use an agent`));
    });

    await t.test('-K asks for the sudo password, input hidden', async () => {
      // (the server's key is the encrypted one: its passphrase from the environment here)
      const r = await inPty('pair', [...common, '-K', 'laptop2'], [{ when: /BECOME password:/, type: password }], { ...env, SSH_KEY_PASSPHRASE: passphrase });
      assert.equal(r.code, 0, r.screen);
      assert.equal(r.prompts, 1, r.screen);
      assert.ok(recap(r.screen).laptop2.changed > 0, r.screen);
      assert.ok(!r.screen.includes(password), 'the password is not echoed nor shown');
      const wrong = await inPty('pair', [...common, '-K', 'laptop2'], [{ when: /BECOME password:/, type: 'not it' }], { ...env, SSH_KEY_PASSPHRASE: passphrase });
      assert.equal(wrong.code, 4, wrong.screen);
      assert.match(wrong.screen, /sudo on laptop2 refused the password/);
    });

    await t.test('an encrypted key asks for its passphrase once for every host using it', async () => {
      const ask = /Enter passphrase for key '[^']+':/;
      const bad = /Bad passphrase, try again\. Enter passphrase for key '[^']+':/;
      // deploy --check: both hosts connect and read, nothing is written
      const r = await inPty('deploy', [...common, '--check', '--host', 'mailserver', '--host', 'laptop1'], [{ when: ask, type: 'wrong' }, { when: bad, type: passphrase }], env);
      assert.equal(r.code, 0, r.screen);
      assert.equal(r.prompts, 2, r.screen);
      // each answered prompt is drawn last with a check mark: one prompt, asked again once after the wrong answer, for both hosts
      assert.equal(r.screen.match(/\u2714 (Bad passphrase, try again\. )?Enter passphrase for key/g)?.length, 2, r.screen);
      assert.ok(r.screen.includes(`Enter passphrase for key '${key}'`), r.screen);
      assert.ok(!r.screen.includes(passphrase), 'the passphrase is not echoed');
      const rc = recap(r.screen);
      assert.equal(rc.mailserver?.unreachable, 0, r.screen);
      assert.equal(rc.laptop1?.unreachable, 0, r.screen);
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
    await labReset(HOSTS);
  }
});
