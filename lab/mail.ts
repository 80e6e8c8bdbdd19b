// Talking to lab hosts: ssh with the lab key under strict host key checking, and sending a test mail
// from a laptop with its real sendmail, then reading the outcome from both hosts' mail logs.
import { randomBytes } from 'node:crypto';
import { existsSync, openSync, readSync, closeSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { $ } from 'zx';
import { hostAddress, hostFqdn, hostRoot, labNet, labPaths } from './config.js';
import { hostExec } from './lab.js';

export interface RunResult { code: number; stdout: string; stderr: string }

/** ssh options every lab connection uses: the lab key, its known_hosts, strict checking, no prompts. */
export function sshOptions(): string[] {
  return [
    '-F', '/dev/null',
    '-i', labPaths.key,
    '-o', 'IdentitiesOnly=yes',
    '-o', 'StrictHostKeyChecking=yes',
    '-o', `UserKnownHostsFile=${labPaths.knownHosts}`,
    '-o', 'GlobalKnownHostsFile=/dev/null',
    '-o', 'BatchMode=yes',
    '-o', 'ConnectTimeout=10',
    '-o', 'LogLevel=ERROR',
  ];
}

/** Run a shell command on a lab host as root over ssh (system ssh). Never throws for a non-zero exit. */
export async function sshRun(host: string, command: string, input?: string): Promise<RunResult> {
  const target = `root@${hostAddress(host, labNet())}`;
  const r = await $({ input: input ?? '', quiet: true, nothrow: true })`ssh ${sshOptions()} ${target} ${command}`;
  return { code: r.exitCode ?? -1, stdout: r.stdout, stderr: r.stderr };
}

/** The file every host's syslog (mail included) goes to, relative to the host's root. */
export const MAIL_LOG = 'var/log/mail.log';

/** Path of a host's mail log as seen from the machine. */
export function mailLogPath(host: string): string {
  return join(hostRoot(host), MAIL_LOG);
}

function fileSize(p: string): number {
  try {
    return statSync(p).size;
  } catch {
    return 0;
  }
}
function readFrom(p: string, offset: number): string {
  if (!existsSync(p)) return '';
  const size = fileSize(p);
  if (size < offset) offset = 0; // truncated or replaced (host reset)
  const buf = Buffer.alloc(size - offset);
  const fd = openSync(p, 'r');
  try {
    readSync(fd, buf, 0, buf.length, offset);
  } finally {
    closeSync(fd);
  }
  return buf.toString('utf8');
}

/** Lines a host's mail log gains while fn runs (a simple cursor). */
export function logCursor(host: string): () => string[] {
  const p = mailLogPath(host);
  const start = fileSize(p);
  return () => readFrom(p, start).split('\n').filter(Boolean);
}

export interface TestMailResult {
  /** the server accepted the recipient: the laptop's MTA logged stat=Sent for the message */
  relayed: boolean;
  /** the laptop itself refused to hand the message to what answered (its TLS_Srv rule: 4.7.0,
   *  Deferred): the message stays in the laptop's queue */
  deferred: boolean;
  /** the server's `verify=` of its STARTTLS=server line for this laptop's connection, if any */
  verify: string | undefined;
  /** the laptop's verify= (STARTTLS=client) for the connection to the server, if any */
  clientVerify: string | undefined;
  messageId: string;
  /** the server's log lines about this message / this laptop's connection */
  serverLines: string[];
  /** the laptop's log lines for this message */
  laptopLines: string[];
}

const QID = /:\s([0-9A-Za-z]{14}):\s/;

/**
 * Inject a mail on `laptop` with its real sendmail (`/usr/sbin/sendmail -oi -f root@<laptop fqdn> rcpt`)
 * and wait (bounded) until the laptop's MTA logs the outcome of handing it to the server.
 * Throws when no outcome shows within timeoutMs (e.g. the server is unreachable: mail stays queued).
 */
export async function sendTestMail(laptop: string, rcpt = 'someone@example.net', timeoutMs = 40_000): Promise<TestMailResult> {
  const fqdn = hostFqdn(laptop);
  const messageId = `<strlab.${Date.now()}.${randomBytes(4).toString('hex')}@${fqdn}>`;
  const laptopAddr = `[${hostAddress(laptop, labNet())}]`;
  const serverLog = logCursor('mailserver');
  const laptopLog = logCursor(laptop);
  const mail =
    `From: root@${fqdn}\nTo: ${rcpt}\nSubject: sendmail-tls-relay lab test ${messageId}\n` +
    `Message-Id: ${messageId}\nDate: ${new Date().toUTCString()}\n\nTest mail from the lab.\n`;
  const r = await hostExec(laptop, `/usr/sbin/sendmail -oi -f 'root@${fqdn}' '${rcpt.replace(/'/g, '')}'`, mail);
  if (r.code !== 0) throw new Error(`sendTestMail: sendmail on ${laptop} exited ${r.code}: ${r.stderr.trim()}`);

  const deadline = Date.now() + timeoutMs;
  let laptopLines: string[] = [];
  let outcome: 'sent' | 'refused' | 'deferred' | undefined;
  for (;;) {
    const lines = laptopLog();
    // queue ids of the message on the laptop (MSP, then MTA): the from= lines carry the Message-Id
    const qids = new Set<string>();
    for (const l of lines) if (l.includes(`msgid=${messageId}`)) { const m = QID.exec(l); if (m) qids.add(m[1]); }
    laptopLines = lines.filter((l) => { const m = QID.exec(l); return !!m && qids.has(m[1]); });
    // the MTA's (sm-mta) delivery to the smart host decides
    for (const l of laptopLines) {
      if (!/\bsm-mta\[/.test(l) || !/\sto=/.test(l)) continue;
      if (/stat=Sent/.test(l)) outcome = 'sent';
      else if (/dsn=5\./.test(l)) outcome = 'refused';
      else if (/dsn=4\.7\.0, stat=Deferred/.test(l)) outcome = 'deferred';
    }
    if (outcome) break;
    if (Date.now() > deadline) {
      throw new Error(
        `sendTestMail: no outcome for ${messageId} from ${laptop} within ${timeoutMs / 1000} s\nlaptop:\n${laptopLines.join('\n')}\nserver:\n${serverLog().join('\n')}`,
      );
    }
    await sleep(250);
  }
  // The server's syslog may write its lines a moment after the laptop logged the outcome (seen on a
  // loaded machine): wait, bounded, for the server's own word on this message (accepted: its queue
  // id; refused: the reject line for this laptop's address).
  const serverSide = () => {
    const slines = serverLog();
    const serverQids = new Set<string>();
    for (const l of slines) if (l.includes(`msgid=${messageId}`)) { const m = QID.exec(l); if (m) serverQids.add(m[1]); }
    return slines.filter((l) => {
      const m = QID.exec(l);
      if (m && serverQids.has(m[1])) return true;
      return l.includes(laptopAddr) && (/STARTTLS=server/.test(l) || /Relaying denied/.test(l) || /reject=/.test(l));
    });
  };
  let serverLines = serverSide();
  const seen = (ls: string[]) =>
    outcome === 'sent' ? ls.some((l) => l.includes(`msgid=${messageId}`)) : outcome === 'refused' ? ls.some((l) => /Relaying denied|reject=/.test(l)) : true;
  for (const until = Date.now() + 5000; !seen(serverLines) && Date.now() < until; ) {
    await sleep(100);
    serverLines = serverSide();
  }
  const verifyOf = (ls: string[], side: string) => {
    let v: string | undefined;
    for (const l of ls) if (l.includes(`STARTTLS=${side}`)) v = /verify=([A-Z]+)/.exec(l)?.[1] ?? v;
    return v;
  };
  const clientTls = laptopLog().filter((l) => l.includes('STARTTLS=client') && l.includes(`relay=mailserver.`));
  return {
    relayed: outcome === 'sent',
    deferred: outcome === 'deferred',
    verify: verifyOf(serverLines, 'server'),
    clientVerify: verifyOf(clientTls, 'client'),
    messageId,
    serverLines,
    laptopLines,
  };
}
