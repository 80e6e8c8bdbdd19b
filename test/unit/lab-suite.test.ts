// The lab's releases: LAB_SUITE for every host, LAB_SUITE_<host> for one, a rootfs cache per
// release (bookworm keeps the historical path), and the mirror debootstrap uses for each.
import test from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, mkdirSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { hostSuite, labSuite, rootfsDir, cacheDir } from '../../lab/config.js';
import { debianMirror } from '../../lab/rootfs.js';

test('LAB_SUITE: default bookworm; names and numbers; anything else refused in one line', () => {
  assert.equal(labSuite({}), 'bookworm');
  assert.equal(labSuite({ LAB_SUITE: 'trixie' }), 'trixie');
  assert.equal(labSuite({ LAB_SUITE: ' 13 ' }), 'trixie');
  assert.equal(labSuite({ LAB_SUITE: '12' }), 'bookworm');
  assert.equal(labSuite({ LAB_SUITE: '' }), 'bookworm');
  assert.throws(() => labSuite({ LAB_SUITE: 'sid' }), /^Error: lab: LAB_SUITE=sid is not a suite the lab builds \(bookworm, trixie\)$/);
});

test('LAB_SUITE_<host> wins over LAB_SUITE for that host only (a mixed lab)', () => {
  const env = { LAB_SUITE: 'trixie', LAB_SUITE_mailserver: 'bookworm' };
  assert.equal(hostSuite('mailserver', env), 'bookworm');
  assert.equal(hostSuite('laptop1', env), 'trixie');
  assert.equal(hostSuite('laptop1', { LAB_SUITE_mailserver: 'trixie' }), 'bookworm');
  assert.throws(() => hostSuite('laptop2', { LAB_SUITE_laptop2: 'jessie' }), /LAB_SUITE_laptop2=jessie/);
});

test('rootfs cache per release: bookworm keeps rootfs, trixie is rootfs-trixie', () => {
  assert.equal(rootfsDir('bookworm'), join(cacheDir(), 'rootfs'));
  assert.equal(rootfsDir(), join(cacheDir(), 'rootfs'));
  assert.equal(rootfsDir('trixie'), join(cacheDir(), 'rootfs-trixie'));
});

test("debianMirror: the source naming the release, else the machine's Debian mirror (it carries every release)", () => {
  const dir = mkdtempSync(join(tmpdir(), 'strl-apt-'));
  try {
    mkdirSync(join(dir, 'sources.list.d'));
    writeFileSync(join(dir, 'sources.list.d', 'debian.sources'), 'Types: deb\nURIs: http://deb.example/debian\nSuites: bookworm bookworm-updates\nComponents: main\n\nTypes: deb\nURIs: http://security.example/debian-security\nSuites: bookworm-security\nComponents: main\n');
    assert.equal(debianMirror(dir, 'bookworm'), 'http://deb.example/debian');
    assert.equal(debianMirror(dir, 'trixie'), 'http://deb.example/debian');
    writeFileSync(join(dir, 'sources.list'), 'deb http://trixie.example/debian trixie main\n');
    assert.equal(debianMirror(dir, 'trixie'), 'http://trixie.example/debian');
    rmSync(join(dir, 'sources.list.d'), { recursive: true });
    rmSync(join(dir, 'sources.list'));
    writeFileSync(join(dir, 'sources.list'), 'deb http://ubuntu.example/ubuntu noble main\n');
    assert.throws(() => debianMirror(dir, 'trixie'), /no apt source serves Debian trixie main/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
