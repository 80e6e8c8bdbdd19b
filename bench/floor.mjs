#!/usr/bin/env node
// The floor of the benchmark: bare Node + ssh2, one connection per host, all in parallel, one command
// per host reading what the roles compare (sendmail.mc, access, starttls.m4, the server certificate,
// the mtimes of sendmail.cf and access.db). No tool that connects and reads can be faster.
//
//   node bench/floor.mjs -i .lab/inventory.yml --known-hosts .lab/known_hosts
//
// The inventory is read with two regular expressions (ansible_host, ansible_ssh_private_key_file),
// not a YAML parser, to keep the floor's start-up bare. Host keys are checked against known_hosts.
// Prints one line: hosts, bytes read, milliseconds (from process start). Exit 1 when a host fails.
import { readFileSync } from 'node:fs';
import { connect } from 'node:net';
import { createRequire } from 'node:module';
import { performance } from 'node:perf_hooks';

const require = createRequire(import.meta.url);
const { Client } = require('ssh2');
// STR_TIMINGS=1: the same milestones as the tool's lib/timings.ts, printed at exit
const timings = process.env.STR_TIMINGS ? new Map() : undefined;
const mark = (label) => {
  if (!timings) return;
  const t = performance.now();
  const s = timings.get(label);
  if (s) (s.last = t), s.n++;
  else timings.set(label, { first: t, last: t, n: 1 });
};
if (timings) {
  process.on('exit', () => {
    for (const [l, s] of timings) process.stderr.write(`timing ${s.first.toFixed(0).padStart(5)} ms${s.n > 1 ? ` .. ${s.last.toFixed(0).padStart(5)} ms ×${s.n}` : ''}  ${l}\n`);
    process.stderr.write(`timing ${performance.now().toFixed(0).padStart(5)} ms  exit\n`);
  });
}
mark('modules loaded, main starts');

const args = process.argv.slice(2);
const opt = (name, def) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : def;
};
const inventory = readFileSync(opt('-i', '.lab/inventory.yml'), 'utf8');
const hosts = [...inventory.matchAll(/^\s*ansible_host:\s*['"]?([^'"\s]+)/gm)].map((m) => m[1]);
const keyFile = /^\s*ansible_ssh_private_key_file:\s*['"]?([^'"\s]+)/m.exec(inventory)?.[1];
if (!hosts.length || !keyFile) {
  console.error('floor: no ansible_host / ansible_ssh_private_key_file in the inventory');
  process.exit(1);
}
const privateKey = readFileSync(keyFile);
const known = new Map();
for (const line of readFileSync(opt('--known-hosts', '.lab/known_hosts'), 'utf8').split('\n')) {
  const [names, , key] = line.trim().split(/\s+/);
  if (!key || names.startsWith('#')) continue;
  for (const n of names.split(',')) known.set(n, [...(known.get(n) ?? []), key]);
}

const COMMAND =
  'cat /etc/mail/sendmail.mc /etc/mail/access /etc/mail/tls/starttls.m4 /etc/mail/tls/sendmail-server.crt; ' +
  'stat -c %Y /etc/mail/sendmail.cf /etc/mail/access.db';

function readHost(host) {
  return new Promise((resolve, reject) => {
    const c = new Client();
    c.on('ready', () => {
      mark('connected');
      c.exec(COMMAND, (err, stream) => {
        if (err) return reject(err);
        let bytes = 0;
        let code = null;
        stream.on('data', (d) => (bytes += d.length));
        stream.stderr.on('data', () => {});
        stream.on('exit', (c_) => (code = c_));
        stream.on('close', () => {
          mark('read');
          c.end();
          if (code !== 0) reject(new Error(`${host}: exit ${code}`));
          else resolve(bytes);
        });
      });
    });
    c.on('error', (e) => reject(new Error(`${host}: ${e.message}`)));
    // the tool's own (lib/connection.ts, skipHostKeysProof): sshd's hostkeys-00 announcement is
    // declined instead of having the host sign with each of its keys and verifying every proof
    c.once('handshake', () => {
      const handlers = c._protocol?._handlers;
      const orig = handlers?.GLOBAL_REQUEST;
      if (typeof orig !== 'function') return;
      handlers.GLOBAL_REQUEST = (p, name, wantReply, data) => {
        if (name !== 'hostkeys-00@openssh.com') return orig(p, name, wantReply, data);
        if (wantReply) p.requestFailure();
      };
    });
    // the tool's own socket trick (lib/ssh/coalesced-socket.ts): ssh2 writes each packet in three
    // or four writes; one writev a tick instead. Without it the floor was slower than the tool.
    const sock = connect({ host, port: 22 });
    const write = sock.write;
    let corked = false;
    sock.write = (...a) => {
      if (!corked) {
        corked = true;
        sock.cork();
        process.nextTick(() => ((corked = false), sock.uncork()));
      }
      return write.apply(sock, a);
    };
    c.connect({
      sock,
      host,
      port: 22,
      username: 'root',
      privateKey,
      // 30 s, not the tool's 10: at 1 + 100 on 2 cores, 101 key exchanges at once left one host
      // past 10 s and the whole round was lost; the floor's time is what it is, it must just finish
      readyTimeout: 30000,
      hostVerifier: (key) => (known.get(host) ?? []).includes(key.toString('base64')),
    });
  });
}

mark('inventory, known_hosts read: connect starts');
const results = await Promise.allSettled(hosts.map(readHost));
const failed = results.filter((r) => r.status === 'rejected');
for (const f of failed) console.error('floor:', f.reason.message);
const bytes = results.reduce((a, r) => a + (r.status === 'fulfilled' ? r.value : 0), 0);
console.log(`floor: ${hosts.length - failed.length}/${hosts.length} hosts, ${bytes} bytes, ${performance.now().toFixed(0)} ms`);
process.exit(failed.length ? 1 : 0);
