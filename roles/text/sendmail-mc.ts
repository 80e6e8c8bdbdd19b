// Pure edits of /etc/mail/sendmail.mc and reads of /etc/mail/tls/starttls.m4. No disk, no network.
//
// A line is live unless it starts (after optional blanks) with `dnl` or `#`. Edits insert or change
// whole lines and keep every other byte (line endings and the final newline included).

/** The line the how-to adds to sendmail.mc. */
export const STARTTLS_INCLUDE = "include(`/etc/mail/tls/starttls.m4')dnl";
/** Our override of starttls.m4's `V` (which update_tls puts back every time it runs). */
export const TLS_SRV_OPTIONS_OVERRIDE = "define(`confTLS_SRV_OPTIONS', `')dnl";
/** Debian's access_db FEATURE line. */
export const ACCESS_DB_FEATURE = "FEATURE(`access_db', , `skip')dnl";

interface Lines {
  lines: string[];
  eol: string;
}

function split(text: string): Lines {
  // The last element is '' when the text ends with a newline: it comes back on join.
  return { lines: text.split(/\r?\n/), eol: text.includes('\r\n') ? '\r\n' : '\n' };
}

const join = ({ lines, eol }: Lines) => lines.join(eol);

/** Whether an .mc/.m4 line takes effect: not commented out with `dnl` or `#` at its start. */
export function isLive(line: string): boolean {
  return !/^\s*(dnl\b|#)/.test(line);
}

const findLive = (lines: string[], re: RegExp, from = 0) => {
  for (let i = from; i < lines.length; i++) if (isLive(lines[i]) && re.test(lines[i])) return i;
  return -1;
};

// The include of starttls.m4, whatever the spacing and quoting (include or sinclude).
const INCLUDE_RE = /^\s*s?include\s*\(\s*`?\s*\/etc\/mail\/tls\/starttls\.m4\s*'?\s*\)/;
const LOCAL_CONFIG_RE = /^\s*LOCAL_CONFIG\b/;
const MAILER_RE = /^\s*(MAILER_DEFINITIONS\b|MAILER\s*\()/;
// define(`NAME', `value') with or without quotes; value = group 1.
const defineRe = (name: string) => new RegExp(`^(\\s*define\\s*\\(\\s*\`?${name}'?\\s*,\\s*)(\`?)([^'\`)]*)('?)(\\s*\\))`);
const SRV_OPTIONS_RE = defineRe('confTLS_SRV_OPTIONS');
const SMART_HOST_RE = defineRe('SMART_HOST');
const ACCESS_DB_RE = /^\s*FEATURE\s*\(\s*`?access_db'?/;

function insertAt(text: string, index: (lines: string[]) => number, line: string): string {
  const l = split(text);
  l.lines.splice(index(l.lines), 0, line);
  return join(l);
}

// Where FEATUREs and defines go: before LOCAL_CONFIG, MAILER_DEFINITIONS or the first MAILER(,
// whichever comes first.
function beforeMailers(lines: string[]): number {
  const candidates = [findLive(lines, LOCAL_CONFIG_RE), findLive(lines, MAILER_RE)].filter((i) => i >= 0);
  if (candidates.length === 0) {
    throw new Error('sendmail.mc has no LOCAL_CONFIG, MAILER_DEFINITIONS or MAILER(...) line: cannot tell where to insert');
  }
  return Math.min(...candidates);
}

/** Makes sendmail.mc include starttls.m4, once: before LOCAL_CONFIG if there is one (as the how-to
 *  says), else before MAILER_DEFINITIONS / the first MAILER( line (Debian 12 has no LOCAL_CONFIG).
 *  A live include in any spacing/quoting counts; a commented-out one (`dnl include(...)`) does not.
 *  Throws when the file has none of these anchors. */
export function ensureStarttlsInclude(mc: string): string {
  const { lines } = split(mc);
  if (findLive(lines, INCLUDE_RE) >= 0) return mc;
  return insertAt(mc, (ls) => {
    const local = findLive(ls, LOCAL_CONFIG_RE);
    if (local >= 0) return local;
    const mailer = findLive(ls, MAILER_RE);
    if (mailer >= 0) return mailer;
    throw new Error(
      'sendmail.mc has no LOCAL_CONFIG, MAILER_DEFINITIONS or MAILER(...) line: cannot tell where to include starttls.m4',
    );
  }, STARTTLS_INCLUDE);
}

/** Makes sendmail ask for client certificates in a way that survives update_tls rewriting
 *  starttls.m4 (which puts `V` back): a live `define(`confTLS_SRV_OPTIONS', ...)` without `V` after
 *  the include (inserted right after it when missing). Any live define of confTLS_SRV_OPTIONS in
 *  sendmail.mc that contains `V` has its `V` removed. Throws when there is no live include. */
export function ensureTlsSrvOptionsOverride(mc: string): string {
  const l = split(mc);
  const include = findLive(l.lines, INCLUDE_RE);
  if (include < 0) throw new Error('sendmail.mc does not include starttls.m4: add the include first');
  l.lines = l.lines.map((line) => {
    if (!isLive(line)) return line;
    return line.replace(SRV_OPTIONS_RE, (_m, head, q1, value: string, q2, tail) => head + q1 + value.replace(/V/g, '') + q2 + tail);
  });
  if (findLive(l.lines, SRV_OPTIONS_RE, include + 1) < 0) l.lines.splice(include + 1, 0, TLS_SRV_OPTIONS_OVERRIDE);
  return join(l);
}

/** Whether sendmail.mc sets up TLS by hand: a live define of confSERVER_CERT or confCLIENT_CERT and
 *  no live include of starttls.m4. The include would then go after the admin's defines (before the
 *  MAILERs) and starttls.m4's own defines would override them, so the tool does not add it; sendmail
 *  uses the admin's files, which the tool reads from sendmail.cf. */
export function handTls(mc: string): boolean {
  const { lines } = split(mc);
  if (findLive(lines, INCLUDE_RE) >= 0) return false;
  return findLive(lines, /^\s*define\s*\(\s*`?conf(SERVER|CLIENT)_CERT'?\s*,/) >= 0;
}

/** Every live confTLS_SRV_OPTIONS define without its `V` (sendmail then asks for client certificates). */
export function removeVFromSrvOptions(mc: string): string {
  const l = split(mc);
  l.lines = l.lines.map((line) => (isLive(line) ? line.replace(SRV_OPTIONS_RE, (_m, head, q1, value: string, q2, tail) => head + q1 + value.replace(/V/g, '') + q2 + tail) : line));
  return join(l);
}

/** Whether starttls.m4 (or any m4 text) has a live confTLS_SRV_OPTIONS define containing `V`
 *  (sendmail then never asks for a client certificate). Debian's update_tlsm4 writes
 *  "define(`confTLS_SRV_OPTIONS', `V')dnl   # <= EDIT". */
export function hasVOption(starttlsM4: string): boolean {
  return split(starttlsM4).lines.some((line) => isLive(line) && /V/.test(SRV_OPTIONS_RE.exec(line)?.[3] ?? ''));
}

/** Comments out (prefix `dnl `) each live confTLS_SRV_OPTIONS define containing `V`, as the how-to
 *  says. update_tls undoes this; see {@link ensureTlsSrvOptionsOverride}. */
export function commentOutVOption(starttlsM4: string): string {
  const l = split(starttlsM4);
  l.lines = l.lines.map((line) => (isLive(line) && /V/.test(SRV_OPTIONS_RE.exec(line)?.[3] ?? '') ? `dnl ${line}` : line));
  return join(l);
}

/** Makes sure the access database is used: Debian's `FEATURE(`access_db', , `skip')dnl`, inserted
 *  before LOCAL_CONFIG / MAILER_DEFINITIONS / the first MAILER( when no live access_db FEATURE
 *  exists. A live one with other arguments (another map type or file) is the admin's choice and is
 *  left alone. */
export function ensureAccessDb(mc: string): string {
  if (findLive(split(mc).lines, ACCESS_DB_RE) >= 0) return mc;
  return insertAt(mc, beforeMailers, ACCESS_DB_FEATURE);
}

/** The value of the (last, as m4 lets the last one win) live SMART_HOST define, as written, e.g.
 *  `[mail.example]` or `relay:[mail.example]`; undefined when there is none. */
export function smartHost(mc: string): string | undefined {
  let value: string | undefined;
  for (const line of split(mc).lines) {
    const m = isLive(line) ? SMART_HOST_RE.exec(line) : null;
    if (m) value = m[3].trim();
  }
  return value;
}

/** The host name in a SMART_HOST value: without a `mailer:` prefix and without brackets. */
export function smartHostName(value: string): string {
  return value.replace(/^[A-Za-z0-9_-]+:(?=\[|[^:]*$)/, '').replace(/^\[(.*)\]$/, '$1');
}

/** Sets SMART_HOST to `[host]` (brackets: no MX lookup). Live SMART_HOST defines get the new
 *  value (their `mailer:` prefix is kept); when there is none, a define is inserted before
 *  LOCAL_CONFIG / MAILER_DEFINITIONS / the first MAILER(. */
export function setSmartHost(mc: string, host: string): string {
  const bare = host.replace(/^\[(.*)\]$/, '$1');
  if (!/^[A-Za-z0-9._:-]+$/.test(bare)) throw new Error(`not a host name for SMART_HOST: ${JSON.stringify(host)}`);
  const value = `[${bare}]`;
  const l = split(mc);
  let found = false;
  l.lines = l.lines.map((line) => {
    if (!isLive(line)) return line;
    return line.replace(SMART_HOST_RE, (_m, head, _q1, old: string, _q2, tail) => {
      found = true;
      const mailer = /^([A-Za-z0-9_-]+):(?=\[|[^:]*$)/.exec(old.trim())?.[1];
      return `${head}\`${mailer ? `${mailer}:` : ''}${value}'${tail}`;
    });
  });
  if (found) return join(l);
  return insertAt(mc, beforeMailers, `define(\`SMART_HOST', \`${value}')dnl`);
}

/** The addresses sendmail's MTA listens on: the Addr= of each live DAEMON_OPTIONS for port smtp
 *  (Port=smtp, Port=25 or no Port). No Addr= means every address (0.0.0.0, or :: for inet6); no
 *  live DAEMON_OPTIONS at all means sendmail's default, every address. Debian 12: ['127.0.0.1']. */
export function listenAddresses(mc: string): string[] {
  const daemons = split(mc).lines.filter(isLive).flatMap((line) => {
    const m = /^\s*DAEMON_OPTIONS\s*\(\s*`?([^')]*)/.exec(line);
    return m ? [m[1]] : [];
  });
  if (daemons.length === 0) return ['0.0.0.0'];
  const out: string[] = [];
  for (const d of daemons) {
    const opts = new Map<string, string>();
    for (const kv of d.split(',')) {
      const [k, ...v] = kv.split('=');
      if (k.trim()) opts.set(k.trim().toLowerCase(), v.join('=').trim());
    }
    const port = opts.get('port') ?? 'smtp';
    if (port !== 'smtp' && port !== '25') continue;
    out.push(opts.get('addr') ?? (opts.get('family') === 'inet6' ? '::' : '0.0.0.0'));
  }
  return out;
}

// ---------------------------------------------------------------- defines after the include
// The tool's block: the live `define(...)` lines that directly follow the live starttls.m4 include
// (the TLS_SRV_OPTIONS override among them). Defines there win over starttls.m4's (m4: last wins).

const MACRO_NAME_RE = /^[A-Za-z_][A-Za-z0-9_]*$/;
const anyDefineRe = /^\s*define\s*\(/;
const macroDefineRe = (macro: string) => new RegExp(`^\\s*define\\s*\\(\\s*\`?${macro}'?\\s*,`);

/** The line {@link ensureDefineAfterInclude} writes: define(`MACRO', `value')dnl */
export function defineLine(macro: string, value: string): string {
  if (!MACRO_NAME_RE.test(macro)) throw new Error(`not an m4 macro name: ${JSON.stringify(macro)}`);
  if (/['`\r\n]/.test(value)) throw new Error(`value for ${macro} must not contain a quote (\` or ') or a line break: ${JSON.stringify(value)}`);
  return `define(\`${macro}', \`${value}')dnl`;
}

/** Index of the live include and the end (exclusive) of the run of live defines right after it. */
function defineBlock(lines: string[]): { include: number; end: number } {
  const include = findLive(lines, INCLUDE_RE);
  if (include < 0) return { include, end: include };
  let end = include + 1;
  while (end < lines.length && isLive(lines[end]) && anyDefineRe.test(lines[end])) end++;
  return { include, end };
}

/** Makes sendmail.mc define `macro` as `value` after the starttls.m4 include, so that it wins over
 *  starttls.m4's own define: a live define of the macro inside the block of defines that directly
 *  follows the include (the TLS_SRV_OPTIONS override included) is replaced in place (extra ones
 *  there are removed); otherwise the line goes at the end of that block. Defines of the macro
 *  before the include (Debian's) are left alone. Throws when there is no live include, when the
 *  value holds a quote or a line break, and when a live define of the macro further down (outside
 *  the block) would win over ours. */
export function ensureDefineAfterInclude(mc: string, macro: string, value: string): string {
  const line = defineLine(macro, value);
  const l = split(mc);
  const { include, end } = defineBlock(l.lines);
  if (include < 0) throw new Error(`sendmail.mc does not include starttls.m4: add the include before defining ${macro}`);
  const re = macroDefineRe(macro);
  const later = findLive(l.lines, re, end);
  if (later >= 0) {
    throw new Error(
      `sendmail.mc line ${later + 1} defines ${macro} after the tool's block (it would win over ours): ${l.lines[later].trim()}`,
    );
  }
  const mine: number[] = [];
  for (let i = include + 1; i < end; i++) if (re.test(l.lines[i])) mine.push(i);
  if (mine.length === 0) {
    l.lines.splice(end, 0, line);
  } else {
    l.lines[mine[0]] = line;
    for (const i of mine.slice(1).reverse()) l.lines.splice(i, 1);
  }
  return join(l);
}

/** The value of a define line of `macro` (quotes stripped), or undefined when it is not one. */
function defineValue(line: string, macro: string): string | undefined {
  const m = new RegExp(`^\\s*define\\s*\\(\\s*\`?${macro}'?\\s*,\\s*\`?([^']*?)'?\\s*\\)`).exec(line);
  return m ? m[1] : undefined;
}

/** sendmail.mc without the define(s) of `macro` in the block of defines that directly follows the
 *  starttls.m4 include (only those whose value is `value`, when given). Defines anywhere else are
 *  left alone; without a live include, nothing changes. */
export function removeDefine(mc: string, macro: string, value?: string): string {
  if (!MACRO_NAME_RE.test(macro)) throw new Error(`not an m4 macro name: ${JSON.stringify(macro)}`);
  const l = split(mc);
  const { include, end } = defineBlock(l.lines);
  if (include < 0) return mc;
  const drop = new Set<number>();
  for (let i = include + 1; i < end; i++) {
    const v = defineValue(l.lines[i], macro);
    if (v !== undefined && (value === undefined || v === value)) drop.add(i);
  }
  if (drop.size === 0) return mc;
  l.lines = l.lines.filter((_, i) => !drop.has(i));
  return join(l);
}
