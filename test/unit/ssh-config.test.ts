// ssh_config resolution: a table of config texts and hosts, each compared with what the real
// OpenSSH client says (`ssh -G -F FILE HOST`), and the errors (Include loop, bad values) by file:line.
import test from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { resolveSshConfig, parseProxyJump, sshArgsOptions, expandTokens, SshConfigError, type SshSettings } from '../../lib/ssh/config.js';
import { nodeSshIo, globSync } from '../../lib/ssh/io.js';

const dir = mkdtempSync(join(tmpdir(), 'str-sshcfg-'));
test.after(() => rmSync(dir, { recursive: true, force: true }));
const io = { ...nodeSshIo(), home: userInfo().homedir }; // ssh takes ~ from the passwd entry

interface Case {
  name: string;
  /** file name (in the test dir) → text; `main` is given to -F; {D} is replaced by the test dir */
  files: Record<string, string>;
  host: string;
  /** ssh command-line words (-o Key=Value, -J …, -p, -l) */
  args?: string[];
}

const cases: Case[] = [
  { name: 'alias with HostName, Port, User', host: 'laptop1', files: { main: 'Host laptop1\n  HostName 198.18.4.21\n  Port 2222\n  User admin\n' } },
  { name: 'first match wins', host: 'laptop1', files: { main: 'Host laptop*\n  User first\nHost laptop1\n  User second\n  Port 23\nHost *\n  User last\n  Port 24\n' } },
  { name: 'negated pattern', host: 'laptop3', files: { main: 'Host laptop* !laptop3\n  User a\nHost *\n  User b\n' } },
  { name: 'negated pattern, other host', host: 'laptop2', files: { main: 'Host laptop* !laptop3\n  User a\nHost *\n  User b\n' } },
  { name: '? is exactly one character', host: 'laptop12', files: { main: 'Host laptop?\n  Port 2201\nHost laptop??\n  Port 2202\n' } },
  { name: 'host is lower-cased, patterns are case-sensitive', host: 'LAPTOP1', files: { main: 'Host Laptop1\n  Port 2201\nHost laptop1\n  Port 2202\n' } },
  { name: 'comma-separated list, = separator, tabs', host: 'b.example', files: { main: 'Host=a.example,b.example\n\tUser=eq\n\tPort = 2200\n' } },
  { name: '%h in HostName', host: 'mail', files: { main: 'Host *\n  HostName %h.lab.example\n' } },
  { name: 'top-level settings before any Host', host: 'x', files: { main: 'User top\nPort 2000\nHost x\n  User late\n' } },
  { name: 'IdentityFile accumulates, tokens, IdentitiesOnly', host: 'k', files: { main: 'Host k\n  IdentityFile ~/.ssh/id_%h_%r\n  IdentitiesOnly yes\n  User bob\nHost *\n  IdentityFile {D}/second\n  IdentitiesOnly no\n' } },
  { name: 'ProxyJump chain', host: 'laptop1', files: { main: 'Host laptop*\n  ProxyJump admin@jump1:2022,jump2\n' } },
  { name: 'ProxyCommand with quotes and tokens', host: 'pc', files: { main: 'Host pc\n  HostName 10.1.2.3\n  User u\n  ProxyCommand ssh -W "%h:%p" -l %r bastion\n' } },
  { name: 'ProxyJump before ProxyCommand: the first wins', host: 'p', files: { main: 'Host p\n  ProxyJump j1\nHost *\n  ProxyCommand nc %h %p\n' } },
  { name: 'ProxyJump none', host: 'p', files: { main: 'Host p\n  ProxyJump none\nHost *\n  ProxyJump j1\n' } },
  { name: 'UserKnownHostsFile and StrictHostKeyChecking', host: 'h', files: { main: 'Host h\n  UserKnownHostsFile ~/kh_%h {D}/kh2\n  StrictHostKeyChecking accept-new\n' } },
  { name: 'StrictHostKeyChecking no', host: 'h', files: { main: 'StrictHostKeyChecking no\n' } },
  { name: 'Include (absolute) at top level and inside Host', host: 'inc', files: { main: 'Include {D}/inc-top\nHost inc\n  Include {D}/inc-in\nHost *\n  Port 9\n', 'inc-top': 'Host other\n  User other\n', 'inc-in': 'User included\nHost *\n  HostName fromblock\n' } },
  { name: 'Include inside a Host that does not match', host: 'zzz', files: { main: 'Host inc\n  Include {D}/inc-in\nHost *\n  User outer\n', 'inc-in': 'User included\nHost *\n  HostName fromblock\n' } },
  { name: 'Include glob', host: 'g', files: { main: 'Include {D}/conf.d/*.conf\n', 'conf.d/10-a.conf': 'Host g\n  User ten\n', 'conf.d/20-b.conf': 'Host g\n  User twenty\n  Port 20\n', 'conf.d/x.txt': 'Port 30\n' } },
  { name: 'Match host and all', host: 'm', files: { main: 'Host m\n  HostName real.example\nMatch host real.example\n  User matched\nMatch all\n  Port 2020\n' } },
  { name: 'command-line -o wins over the file', host: 'laptop1', args: ['-o', 'User=cli', '-o', 'ProxyJump=root@198.18.4.5', '-p', '2022'], files: { main: 'Host laptop1\n  User file\n  Port 23\n  ProxyJump other\n' } },
  { name: '-J on the command line', host: 'laptop1', args: ['-J', 'a@b:23,c'], files: { main: 'Host *\n  ProxyCommand nc %h %p\n' } },
  { name: 'comments and blank lines', host: 'c', files: { main: '# comment\n\n   # indented comment\nHost c # trailing\n  Port 2345\n' } },
];

function sshG(file: string, host: string, args: string[]): Record<string, string[]> {
  const out = execFileSync('ssh', ['-G', ...args, '-F', file, host], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  const r: Record<string, string[]> = {};
  for (const line of out.split('\n')) {
    const m = /^(\S+) (.*)$/.exec(line);
    if (m) (r[m[1]!] ??= []).push(m[2]!);
  }
  return r;
}

/** Ours, in ssh -G's words. */
function asSshG(s: SshSettings): Record<string, string | string[] | undefined> {
  const shk = s.strictHostKeyChecking;
  return {
    hostname: s.hostName,
    user: s.user ?? io.localUser,
    port: String(s.port ?? 22),
    identitiesonly: s.identitiesOnly ? 'yes' : 'no',
    proxyjump: s.proxyJump,
    proxycommand: s.proxyCommand,
    userknownhostsfile: s.userKnownHostsFiles?.join(' '),
    stricthostkeychecking: shk === undefined ? 'ask' : shk === 'yes' ? 'true' : shk === 'no' || shk === 'off' ? 'false' : shk,
    identityfile: s.identityFiles.length ? s.identityFiles : undefined,
  };
}

for (const c of cases) {
  test(`ssh_config: ${c.name} (as ssh -G)`, () => {
    const sub = mkdtempSync(join(dir, 'case-'));
    for (const [name, text] of Object.entries(c.files)) {
      mkdirSync(join(sub, name, '..'), { recursive: true });
      writeFileSync(join(sub, name), text.replaceAll('{D}', sub));
    }
    const main = join(sub, 'main');
    const words = c.args ?? [];
    const ours = resolveSshConfig(
      { host: c.host, options: sshArgsOptions(words, 'args').options, userConfig: main, systemConfig: false },
      io,
    );
    const g = sshG(main, c.host, words);
    const mine = asSshG(ours);
    const first = (k: string) => g[k]?.[0];
    assert.equal(mine.hostname, first('hostname'), 'hostname');
    assert.equal(mine.user, first('user'), 'user');
    assert.equal(mine.port, first('port'), 'port');
    assert.equal(mine.identitiesonly, first('identitiesonly'), 'identitiesonly');
    // ssh -G prints an address hop as [addr]: compare the hops
    const hops = (v: string | undefined) => (v === undefined ? undefined : parseProxyJump(v, 'ssh -G'));
    assert.deepEqual(hops(mine.proxyjump as string | undefined), hops(first('proxyjump')), 'proxyjump');
    assert.equal(mine.stricthostkeychecking, first('stricthostkeychecking'), 'stricthostkeychecking');
    // ssh -G prints ProxyCommand and IdentityFile before token expansion: expand its text the same way
    const tokens = { h: ours.hostName, n: ours.host, p: mine.port as string, r: mine.user as string, u: io.localUser, d: io.home };
    const pc = first('proxycommand');
    assert.equal(mine.proxycommand, pc === undefined ? undefined : expandTokens(pc, tokens, 'ssh -G'), 'proxycommand');
    if (mine.userknownhostsfile !== undefined) assert.equal(mine.userknownhostsfile, first('userknownhostsfile'), 'userknownhostsfile');
    if (mine.identityfile !== undefined) {
      const theirs = (g['identityfile'] ?? []).map((f) => expandTokens(f.replace(/^~\//, io.home + '/'), tokens, 'ssh -G'));
      assert.deepEqual(mine.identityfile, theirs, 'identityfile');
    }
  });
}

test('ssh_config: Include relative to ~/.ssh, and the system file after the user file', () => {
  const home = mkdtempSync(join(dir, 'home-'));
  mkdirSync(join(home, '.ssh', 'config.d'), { recursive: true });
  writeFileSync(join(home, '.ssh', 'config'), 'Include config.d/*\nHost *\n  Port 2222\n');
  writeFileSync(join(home, '.ssh', 'config.d', 'lab'), 'Host laptop1\n  HostName 198.18.4.21\n');
  const sysDir = mkdtempSync(join(dir, 'etc-'));
  writeFileSync(join(sysDir, 'ssh_config'), 'Host *\n  User sysuser\n  Port 1\n');
  const s = resolveSshConfig({ host: 'laptop1', systemConfig: join(sysDir, 'ssh_config') }, { ...io, home });
  assert.equal(s.hostName, '198.18.4.21');
  assert.equal(s.port, 2222);
  assert.equal(s.user, 'sysuser');
  assert.equal(s.where['hostname'], `${join(home, '.ssh', 'config.d', 'lab')}:2`);
});

test('ssh_config: an Include loop is an error naming the file and line', () => {
  const a = join(dir, 'loop-a');
  const b = join(dir, 'loop-b');
  writeFileSync(a, 'Host x\n  User x\nInclude ' + b + '\n');
  writeFileSync(b, '# b\nInclude ' + a + '\n');
  assert.throws(() => resolveSshConfig({ host: 'anything', userConfig: a, systemConfig: false }, io), (e: Error) => {
    assert.ok(e instanceof SshConfigError);
    assert.equal(e.message, `${b}:2: Include loop: ${a} -> ${b} -> ${a}`);
    return true;
  });
  // ssh refuses it too
  assert.throws(() => execFileSync('ssh', ['-G', '-F', a, 'anything'], { stdio: 'pipe' }));
});

test('ssh_config: bad values name file:line', () => {
  const f = join(dir, 'bad');
  const table: Array<[string, RegExp]> = [
    ['Host x\n  Port 99999\n', /bad:2: Port must be a number from 1 to 65535, not "99999"/],
    ['Host x\n  IdentitiesOnly maybe\n', /bad:2: identitiesonly must be yes or no/],
    ['Host x\n  StrictHostKeyChecking sometimes\n', /bad:2: StrictHostKeyChecking must be/],
    ['Host x\n  HostName "unbalanced\n', /bad:2: unbalanced quotes/],
    ['Match exec "true"\n  User x\n', /bad:1: Match exec is not supported/],
    ['Host x\n  IdentityFile ~/%z\n', /bad:2: unknown token %z/],
  ];
  for (const [text, re] of table) {
    writeFileSync(f, text);
    assert.throws(() => resolveSshConfig({ host: 'x', userConfig: f, systemConfig: false }, io), re, text);
  }
});

test('ProxyJump values', () => {
  assert.deepEqual(parseProxyJump('admin@jump:2022,jump2,ssh://u@[::1]:23', 'w'), [
    { user: 'admin', host: 'jump', port: 2022 },
    { host: 'jump2' },
    { user: 'u', host: '::1', port: 23 },
  ]);
  assert.throws(() => parseProxyJump('a,,b', 'inventory.yml:3'), /inventory.yml:3: empty jump host/);
  assert.throws(() => parseProxyJump('@x', 'w'), /bad jump host/);
  assert.throws(() => parseProxyJump('x:0', 'w'), /bad port/);
});

test('ssh command-line options (ansible_ssh_common_args)', () => {
  const r = sshArgsOptions(['-C', '-o', 'ControlMaster=auto', '-oProxyJump=j', '-J', 'k', '-p2200', '-l', 'u', '-i', '/k', '-F', '/cfg', '-4'], 'w');
  assert.deepEqual(r.options.map((o) => `${o.key}=${o.value}`), ['ControlMaster=auto', 'ProxyJump=j', 'ProxyJump=k', 'Port=2200', 'User=u', 'IdentityFile=/k']);
  assert.equal(r.configFile, '/cfg');
  assert.throws(() => sshArgsOptions(['-o'], 'ansible_ssh_common_args of laptop1'), /ansible_ssh_common_args of laptop1: ssh option -o needs an argument/);
  assert.throws(() => sshArgsOptions(['laptop1'], 'w'), /"laptop1" is not an ssh option/);
});

test('Include glob: sorted, no dot files', () => {
  const g = mkdtempSync(join(dir, 'glob-'));
  for (const n of ['b.conf', 'a.conf', '.hidden.conf', 'c.txt']) writeFileSync(join(g, n), '');
  assert.deepEqual(globSync(`${g}/*.conf`), [`${g}/a.conf`, `${g}/b.conf`]);
  assert.deepEqual(globSync(`${g}/[ab].conf`), [`${g}/a.conf`, `${g}/b.conf`]);
  assert.deepEqual(globSync(`${g}/nothing*`), []);
});
