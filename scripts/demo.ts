// npm run demo : the whole story on the lab, in about a minute. Brings the lab up (if it is not up)
// and puts mailserver, laptop1 and laptop2 back in the how-to's starting state, runs the real
// `deploy` (the server) and `pair laptop1` entry points, sends a real mail from each laptop, and
// shows the server's log lines proving laptop1 relayed with verify=OK and laptop2 was refused.
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { labPaths, labReset, labUnavailable, labUp } from '../lab/lab.js';
import { sendTestMail, type TestMailResult } from '../lab/mail.js';

const HOSTS = ['mailserver', 'laptop1', 'laptop2'];
const HELP = `usage: npm run demo
On this machine (as root, after npm ci): brings up the lab of real Debian hosts if it is not up,
resets ${HOSTS.join(', ')} to the starting state (laptop mail refused: Relaying denied), runs
\`deploy --host mailserver\` and \`pair laptop1\` against the lab's inventory, sends a test mail from
laptop1 and from laptop2, and shows the server's log lines: laptop1 relayed with verify=OK, laptop2
was refused. Exit codes: 0 proven, 1 the lab cannot run here, 2 a step failed or the proof is missing.`;

const say = (s = '') => process.stdout.write(s + '\n');
const step = (s: string) => say(`\n==> ${s}`);

/** Run one of the tool's entry points as the admin would, its output shown as it comes. */
function runTool(script: string, args: string[]): Promise<number> {
  const full = ['-i', labPaths.inventory, '--known-hosts', labPaths.knownHosts, ...args];
  say(`$ npm run ${script} -- ${full.join(' ')}`);
  return new Promise((resolve, reject) => {
    const p = spawn(process.execPath, [fileURLToPath(new URL(`./${script}.js`, import.meta.url)), ...full], { stdio: ['ignore', 'inherit', 'inherit'] });
    p.on('error', reject);
    p.on('close', (code, signal) => resolve(code ?? (signal ? 130 : 2)));
  });
}

function showMail(laptop: string, r: TestMailResult): void {
  say(`${laptop}: mail ${r.messageId} ${r.relayed ? 'accepted by the server for relaying' : 'refused by the server'}; the server's log:`);
  for (const l of r.serverLines) say(`  ${l}`);
  if (r.relayed) say(`  (the server accepted the mail for relaying; its delivery to example.net then fails because the lab has no DNS: the acceptance is the proof)`);
}

async function main(argv: string[]): Promise<number> {
  if (argv.includes('-h') || argv.includes('--help')) {
    say(HELP);
    return 0;
  }
  if (argv.length) {
    process.stderr.write(`error: demo takes no arguments (got ${argv.join(' ')})\n`);
    return 1;
  }
  const why = await labUnavailable();
  if (why) {
    process.stderr.write(`error: the lab cannot run here: ${why}\n`);
    return 1;
  }
  const t0 = Date.now();
  step(`the lab: ${HOSTS.join(', ')} (real Debian 12 hosts: sshd and sendmail, each in its own namespaces)`);
  await labUp(HOSTS);
  await labReset(HOSTS);
  say(`reset to the starting state: sendmail with Debian's own certificates, laptops' SMART_HOST = mailserver, laptop mail refused`);

  step('deploy the server (the how-to\'s server steps)');
  const d = await runTool('deploy', ['--host', 'mailserver']);
  if (d !== 0) return fail(`deploy exited ${d}`);

  step('pair laptop1 (copy the server\'s certificate and key, include starttls.m4); laptop2 stays unpaired');
  const p = await runTool('pair', ['laptop1']);
  if (p !== 0) return fail(`pair exited ${p}`);

  step('send a real test mail from laptop1 and from laptop2 (each with its own sendmail, through mailserver)');
  const r1 = await sendTestMail('laptop1');
  showMail('laptop1', r1);
  const r2 = await sendTestMail('laptop2');
  showMail('laptop2', r2);

  step('proof');
  const ok1 = r1.serverLines.find((l) => /STARTTLS=server/.test(l) && /verify=OK/.test(l));
  const denied2 = r2.serverLines.find((l) => /Relaying denied/.test(l));
  let good = true;
  if (r1.relayed && r1.verify === 'OK' && ok1 && !r1.serverLines.some((l) => /Relaying denied/.test(l))) say(`laptop1 relayed, its certificate verified by the server:\n  ${ok1}`);
  else {
    good = false;
    say(`NOT PROVEN: laptop1 was ${r1.relayed ? 'accepted' : 'refused'}, the server's verify=${r1.verify ?? 'none'}`);
  }
  if (!r2.relayed && denied2) say(`laptop2 (not paired) was refused:\n  ${denied2}`);
  else {
    good = false;
    say(`NOT PROVEN: laptop2 was ${r2.relayed ? 'accepted' : 'refused without a Relaying denied line'}`);
  }
  say(`\n${good ? 'demo done' : 'demo FAILED'} in ${((Date.now() - t0) / 1000).toFixed(0)} s.`);
  say(`Try: npm run verify -- -i ${labPaths.inventory} --known-hosts ${labPaths.knownHosts} laptop1 laptop2`);
  say('The lab keeps running; tear it down with: npm run lab -- down');
  return good ? 0 : 2;
}

function fail(msg: string): number {
  say(`\ndemo FAILED: ${msg}`);
  say('The lab keeps running; tear it down with: npm run lab -- down');
  return 2;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (e: Error) => {
    process.stderr.write(`error: ${e.message}\n`);
    say('tear the lab down with: npm run lab -- down');
    process.exit(2);
  },
);
