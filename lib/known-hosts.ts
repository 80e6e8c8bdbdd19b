// OpenSSH known_hosts: parsing, host key checking and new lines, following sshd(8) "SSH_KNOWN_HOSTS
// FILE FORMAT" and OpenSSH's hostfile.c / match.c. Pure: the caller reads and writes the file.
import { createHash, createHmac, randomBytes } from 'node:crypto';

export type KnownHostMarker = '@cert-authority' | '@revoked';

export interface HashedPattern {
  hashed: { salt: Buffer; hash: Buffer };
}

export interface KnownHostEntry {
  /** 1-based line number in the file. */
  line: number;
  marker?: KnownHostMarker;
  /** Comma-separated host patterns split apart (`!` negation and wildcards kept), or a hashed name. */
  patterns: string[] | HashedPattern;
  keyType: string;
  keyBase64: string;
  /** The decoded key blob (SSH wire format). */
  key: Buffer;
  comment?: string;
}

export interface KnownHosts {
  entries: KnownHostEntry[];
  /** One line per skipped malformed line: `file:line: problem` (or `line N: problem` without file). */
  warnings: string[];
}

export type HostKeyStatus = 'match' | 'mismatch' | 'unknown' | 'revoked';

export interface HostKeyVerdict {
  status: HostKeyStatus;
  /**
   * 'match': the line that holds this key; 'revoked': the @revoked line; 'mismatch': the first line
   * holding a different key of the same type (OpenSSH's "Offending key").
   */
  line?: number;
  /**
   * The keys known for this host (not @revoked/@cert-authority): for 'mismatch' those of the
   * presented key's type; for 'unknown' the keys of other types already known ("but keys of
   * different type are already known for this host"), absent when none.
   */
  expected?: { keyType: string; fingerprint: string; line: number }[];
}

/** rsa-sha2-256/512 are signature algorithms of an ssh-rsa key; the key itself is ssh-rsa. */
function plainKeyType(keyType: string): string {
  return keyType === 'rsa-sha2-256' || keyType === 'rsa-sha2-512' ? 'ssh-rsa' : keyType;
}

/** The key type at the start of an SSH wire-format key blob, e.g. 'ssh-ed25519'. Throws on a bad blob. */
export function keyTypeOf(blob: Buffer): string {
  if (blob.length < 4) throw new Error('SSH key blob too short');
  const len = blob.readUInt32BE(0);
  if (len === 0 || len > 64 || blob.length < 4 + len) throw new Error('SSH key blob has no valid key type');
  const type = blob.subarray(4, 4 + len).toString('latin1');
  if (!/^[\x21-\x7e]+$/.test(type)) throw new Error('SSH key blob has no valid key type');
  return type;
}

/** `SHA256:<base64 without padding>` of the key blob, as `ssh-keygen -lf` prints it. */
export function fingerprintSha256(keyBlob: Buffer): string {
  return 'SHA256:' + createHash('sha256').update(keyBlob).digest('base64').replace(/=+$/, '');
}

/** The name OpenSSH looks up in known_hosts: `host` on port 22, else `[host]:port`; lower case. */
export function knownHostsName(host: string, port = 22): string {
  const h = host.toLowerCase();
  return port === 22 ? h : `[${h}]:${port}`;
}

const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;

function decodeBase64(text: string): Buffer | undefined {
  if (!BASE64.test(text) || text.length % 4 !== 0) return undefined;
  return Buffer.from(text, 'base64');
}

/** Parse a known_hosts file. Comments and blank lines are skipped; malformed lines become warnings. */
export function parseKnownHosts(text: string, file?: string): KnownHosts {
  const entries: KnownHostEntry[] = [];
  const warnings: string[] = [];
  const lines = text.split('\n');
  lines.forEach((raw, i) => {
    const lineNo = i + 1;
    const warn = (problem: string): void => {
      warnings.push(file ? `${file}:${lineNo}: ${problem}` : `line ${lineNo}: ${problem}`);
    };
    const line = raw.replace(/\r$/, '').trim();
    if (line === '' || line.startsWith('#')) return;
    const fields = line.split(/[ \t]+/);
    let marker: KnownHostMarker | undefined;
    if (fields[0]!.startsWith('@')) {
      const m = fields.shift()!;
      if (m !== '@cert-authority' && m !== '@revoked') return warn(`unknown marker '${m}'`);
      marker = m;
    }
    if (fields.length < 3) return warn('expected host patterns, key type and key');
    const [hostField, keyType, keyBase64] = fields as [string, string, string];
    const comment = fields.slice(3).join(' ');

    let patterns: KnownHostEntry['patterns'];
    if (hostField.startsWith('|')) {
      const m = /^\|1\|([^|]+)\|([^|]+)$/.exec(hostField);
      const salt = m ? decodeBase64(m[1]!) : undefined;
      const hash = m ? decodeBase64(m[2]!) : undefined;
      if (!salt || !hash || salt.length !== 20 || hash.length !== 20) return warn('malformed hashed host name');
      patterns = { hashed: { salt, hash } };
    } else {
      patterns = hostField.split(',').filter((p) => p !== '');
      if (patterns.length === 0) return warn('no host patterns');
    }

    const key = decodeBase64(keyBase64);
    if (!key) return warn('key is not valid base64');
    let blobType: string;
    try {
      blobType = keyTypeOf(key);
    } catch {
      return warn('key is not a valid SSH public key');
    }
    if (blobType !== keyType) return warn(`key type '${keyType}' does not match the key's own type '${blobType}'`);

    const entry: KnownHostEntry = { line: lineNo, patterns, keyType, keyBase64, key };
    if (marker) entry.marker = marker;
    if (comment) entry.comment = comment;
    entries.push(entry);
  });
  return { entries, warnings };
}

/** OpenSSH match_pattern(): `*` any run of characters, `?` exactly one; whole string; case-sensitive. */
export function matchPattern(text: string, pattern: string): boolean {
  // Iterative wildcard match with backtracking to the last '*'.
  let t = 0;
  let p = 0;
  let star = -1;
  let mark = 0;
  while (t < text.length) {
    if (p < pattern.length && (pattern[p] === '?' || pattern[p] === text[t])) {
      t++;
      p++;
    } else if (p < pattern.length && pattern[p] === '*') {
      star = p++;
      mark = t;
    } else if (star !== -1) {
      p = star + 1;
      t = ++mark;
    } else {
      return false;
    }
  }
  while (p < pattern.length && pattern[p] === '*') p++;
  return p === pattern.length;
}

/**
 * OpenSSH match_hostname(): 1 if a positive pattern matches, -1 if a negated one does (a negated
 * match wins), 0 if none. Case-insensitive.
 */
export function matchHostPatterns(name: string, patterns: readonly string[]): 1 | 0 | -1 {
  const n = name.toLowerCase();
  let positive = false;
  for (const raw of patterns) {
    const negated = raw.startsWith('!');
    const pattern = (negated ? raw.slice(1) : raw).toLowerCase();
    if (matchPattern(n, pattern)) {
      if (negated) return -1;
      positive = true;
    }
  }
  return positive ? 1 : 0;
}

function hashName(name: string, salt: Buffer): Buffer {
  return createHmac('sha1', salt).update(name).digest();
}

/** Does this entry's host field match the lookup name (`host` or `[host]:port`)? */
export function entryMatchesName(entry: KnownHostEntry, lookupName: string): boolean {
  if (Array.isArray(entry.patterns)) return matchHostPatterns(lookupName, entry.patterns) === 1;
  const { salt, hash } = (entry.patterns as HashedPattern).hashed;
  return hashName(lookupName.toLowerCase(), salt).equals(hash);
}

/**
 * Check the key a host presented against known_hosts entries, as ssh does with
 * StrictHostKeyChecking=yes: a @revoked line for this key → 'revoked'; an entry holding this key →
 * 'match'; entries of the same key type but another key → 'mismatch'; otherwise 'unknown' (with
 * `expected` listing keys of other types when the host is known by those). @cert-authority lines are
 * ignored (host certificates are not plain keys).
 */
export function checkHostKey(
  entries: readonly KnownHostEntry[],
  host: string,
  port: number,
  keyType: string,
  keyBlob: Buffer,
): HostKeyVerdict {
  const name = knownHostsName(host, port);
  const type = plainKeyType(keyType);
  const forHost = entries.filter((e) => entryMatchesName(e, name));

  const revoked = forHost.find((e) => e.marker === '@revoked' && e.key.equals(keyBlob));
  if (revoked) return { status: 'revoked', line: revoked.line };

  const plain = forHost.filter((e) => e.marker === undefined);
  const same = plain.find((e) => e.key.equals(keyBlob));
  if (same) return { status: 'match', line: same.line };

  const describeEntry = (e: KnownHostEntry) => ({ keyType: e.keyType, fingerprint: fingerprintSha256(e.key), line: e.line });
  const sameType = plain.filter((e) => e.keyType === type);
  if (sameType.length > 0) return { status: 'mismatch', line: sameType[0]!.line, expected: sameType.map(describeEntry) };
  if (plain.length > 0) return { status: 'unknown', expected: plain.map(describeEntry) };
  return { status: 'unknown' };
}

export interface KnownHostsLineOptions {
  /** Hash the host name as `ssh-keygen -H` / HashKnownHosts=yes do. */
  hash?: boolean;
  /** The 20-byte salt for a hashed name (random by default; for tests). */
  salt?: Buffer;
  /** A comment to put after the key. */
  comment?: string;
}

/**
 * A known_hosts line (without newline) recording this host's key, to append when the admin accepts a
 * new key. Throws on a host name that cannot appear in known_hosts (whitespace, commas, control
 * characters) or a key type that disagrees with the blob.
 */
export function knownHostsLine(
  host: string,
  port: number,
  keyType: string,
  keyBlob: Buffer,
  options: KnownHostsLineOptions = {},
): string {
  // eslint-disable-next-line no-control-regex
  if (host === '' || /[\s,\x00-\x1f\x7f]/.test(host) || host.startsWith('|') || host.startsWith('@') || host.startsWith('#')) {
    throw new Error(`cannot write a known_hosts line for host name ${JSON.stringify(host)}`);
  }
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw new Error(`bad port ${port}`);
  const blobType = keyTypeOf(keyBlob);
  if (plainKeyType(keyType) !== blobType) throw new Error(`key type '${keyType}' does not match the key's own type '${blobType}'`);
  const name = knownHostsName(host, port);
  let hostField = name;
  if (options.hash) {
    const salt = options.salt ?? randomBytes(20);
    if (salt.length !== 20) throw new Error('the salt of a hashed known_hosts name is 20 bytes');
    hostField = `|1|${salt.toString('base64')}|${hashName(name, salt).toString('base64')}`;
  }
  const comment = options.comment ? ` ${options.comment.replace(/[\r\n]+/g, ' ')}` : '';
  return `${hostField} ${blobType} ${keyBlob.toString('base64')}${comment}`;
}
