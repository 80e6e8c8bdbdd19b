// How long the laptop CA takes to sign one laptop's CSR (per-laptop mode: a pair of N laptops signs N
// of them on the tool's one thread). A figure, not a test: `npm run build && node dist/bench/sign-csr.js [N]`.
// The CSR and its key are made by openssl in a temporary directory that is removed at the end.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { laptopCsrArgs, laptopSubject, makeLaptopCa, signLaptopCsr } from '../roles/pki/laptop-ca.js';

const n = Number(process.argv[2] ?? 100);
if (!Number.isInteger(n) || n < 1) {
  console.error(`sign-csr: N must be a positive whole number, got ${process.argv[2]}`);
  process.exit(2);
}
const dir = mkdtempSync(join(tmpdir(), 'sign-csr-'));
try {
  const subject = laptopSubject('laptop1.lab.example');
  const csr = execFileSync('openssl', laptopCsrArgs(subject, join(dir, 'laptop.key')), { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  const ca = makeLaptopCa({ commonName: 'mailserver.lab.example' });
  const sign = () => signLaptopCsr(csr, ca.certPem, ca.keyPem, { expectedSubject: subject });
  let t = performance.now();
  sign();
  const first = performance.now() - t;
  const each: number[] = [];
  for (let i = 0; i < n; i++) {
    t = performance.now();
    sign();
    each.push(performance.now() - t);
  }
  each.sort((a, b) => a - b);
  const q = (p: number) => each[Math.min(each.length - 1, Math.floor(p * each.length))]!.toFixed(2);
  console.log(`signLaptopCsr: first ${first.toFixed(1)} ms; then ${n} more: median ${q(0.5)} ms (min ${q(0)}, 90th ${q(0.9)})`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
