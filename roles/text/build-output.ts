// What `make -C /etc/mail` said, sorted into errors (the build is broken: roll back) and warnings
// (the build is good: show them with the task). Pure: the text in, the verdict out.
//
// Debian's Makefile runs m4 with its stderr in /etc/mail/sendmail.cf.errors and installs the new
// sendmail.cf whatever m4 said, and runs makemap without looking at its exit code: `make` exits 0
// in both cases. So the exit code alone says nothing, and a non-empty sendmail.cf.errors says only
// that m4 printed something. What m4 and makemap print (checked on Debian 12 and 13):
//   WARNING: FEATURE(blacklist_recipients) is deprecated; use FEATURE(blocklist_recipients.m4).
//   WARNING: confUNSAFE_GROUP_WRITES is deprecated; use confDONT_BLAME_SENDMAIL.
//   *** WARNING: FEATURE(`greet_pause') before FEATURE(`access_db')
//   *** confREAD_TIMEOUT is obsolete.
//   m4:/etc/mail/sendmail.mc:106: Warning: excess arguments to builtin `define' ignored
//     -> warnings: sendmail.cf is complete and sendmail runs it as meant
//   *** ERROR: FEATURE() should be before MAILER()
//   *** FEATURE(local_procmail) must occur before MAILER(local)
//   m4:/etc/mail/sendmail.mc:107: cannot open `/etc/mail/nonexistent.m4': No such file or directory
//     -> errors: a part of the configuration is missing or in the wrong place
//   makemap: /etc/mail/access.new.db: line 141: key connect:10.1.2.3: duplicate key
//   makemap: /etc/mail/access.new.db: line 142: no RHS for LHS lonelykey
//     -> makemap keeps the first entry and skips the line: the admin's data, a warning, unless the
//        key is one of the TLS keys the tool writes (CERTISSUER:/CERTSUBJECT:): then our line or
//        the admin's is lost, an error. Any other makemap message (open, put error) is an error.
// Anything not known to be a warning is an error: when in doubt, keep the last good configuration.

export interface BuildOutput {
  /** make's exit code */
  makeExit: number;
  /** make's stdout and stderr (makemap's messages are there) */
  makeOutput: string;
  /** the content of /etc/mail/sendmail.cf.errors after make (m4's stderr) */
  cfErrors: string;
}

export interface BuildVerdict {
  errors: string[];
  warnings: string[];
}

/** m4's messages, a line each; a line starting with blanks continues the message before it. */
function messages(text: string): string[] {
  const out: string[] = [];
  for (const raw of text.split(/\r?\n/)) {
    if (!raw.trim()) continue;
    if (/^\s/.test(raw) && out.length) out[out.length - 1] += ' ' + raw.trim();
    else out.push(raw.trim());
  }
  return out;
}

/** Whether one m4 message (from sendmail.cf.errors) is only a warning. */
export function isM4Warning(message: string): boolean {
  if (/\bERROR\b/.test(message)) return false;
  if (/^(\*\*\*\s*)?WARNING\b/i.test(message)) return true;
  if (/^m4:[^:]*:\d+:\s*Warning:/i.test(message)) return true;
  return /^\*\*\*\s*\S+ is (obsolete|deprecated)\b/.test(message);
}

/** Whether one makemap message is only a warning (see the header). */
export function isMakemapWarning(message: string): boolean {
  const dup = /:\s*line \d+: key (\S+): duplicate key\s*$/.exec(message);
  if (dup) return !/^cert(issuer|subject):/i.test(dup[1]);
  const norhs = /:\s*line \d+: no RHS for LHS (\S+)\s*$/.exec(message);
  if (norhs) return !/^cert(issuer|subject):/i.test(norhs[1]);
  return false;
}

/** Sort make's output into errors and warnings. A non-zero exit of make is an error in itself. */
export function classifyBuildOutput(o: BuildOutput): BuildVerdict {
  const errors: string[] = [];
  const warnings: string[] = [];
  for (const m of messages(o.cfErrors)) (isM4Warning(m) ? warnings : errors).push(m);
  for (const line of o.makeOutput.split(/\r?\n/).map((l) => l.trim())) {
    if (/^(\S*\/)?makemap:/.test(line)) (isMakemapWarning(line) ? warnings : errors).push(line);
    else if (/^make(\[\d+\])?: \*\*\*/.test(line)) errors.push(line);
  }
  if (o.makeExit !== 0 && errors.length === 0) {
    // make failed without a message we know: its last lines say why
    const tail = o.makeOutput.split(/\r?\n/).map((l) => l.trim()).filter(Boolean).slice(-3);
    errors.push(`make exited ${o.makeExit}${tail.length ? `: ${tail.join(' | ')}` : ''}`);
  }
  return { errors, warnings };
}

/** The marker line between make's output and sendmail.cf.errors in the safe make's report. */
export const CF_ERRORS_MARKER = '--- sendmail.cf.errors ---';

/** Parse the safe make's report: `rc=N`, make's output, the marker, sendmail.cf.errors. */
export function parseSafeMakeReport(stdout: string): BuildOutput {
  const m = /^rc=(\d+)\n/.exec(stdout);
  const rest = m ? stdout.slice(m[0].length) : stdout;
  const at = rest.indexOf(`\n${CF_ERRORS_MARKER}\n`);
  const makeOutput = at >= 0 ? rest.slice(0, at) : rest;
  const cfErrors = at >= 0 ? rest.slice(at + CF_ERRORS_MARKER.length + 2) : '';
  return { makeExit: m ? Number(m[1]) : 1, makeOutput, cfErrors };
}
