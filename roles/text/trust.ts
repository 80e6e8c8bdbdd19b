// Trust, exactly, on both sides: the pure parts (the laptop's TLS_Srv rule, the server's self-signed
// check, the verdicts status shows). The tasks that write them are in roles/tasks/server-trust.ts.
//
// Laptop (client role): its sendmail hands mail only to its own server, verified. Without a rule,
// sendmail's `tls_server` ruleset accepts whatever answers for the smart host's name: a host with
// no STARTTLS (the mail goes in clear), one with a self-signed certificate (verify=FAIL is only
// logged), one with a certificate from any CA in /etc/ssl/certs (Debian's confCACERT_PATH). The rule
// is one line in the laptop's access map (checked on the lab, sendmail 8.17, cf/m4/proto.m4):
//     TLS_Srv:<SMART_HOST name, no brackets>	VERIFY+CS:<server subject>++CI:<server issuer>
// - tls_server looks up TLS_Srv:${server_name} (LookUpDomain), then ${server_addr}, then the bare
//   tag. ${server_name} is the SMART_HOST name without brackets ([mailserver.lab.example] and
//   mailserver.lab.example both looked up `TLS_Srv:mailserver.lab.example`); without brackets an
//   MX record may send the connection to another name, which this rule does not cover (a warning).
// - VERIFY: ${verify} must be OK, else the delivery is deferred (4.7.0) and stays queued. That
//   alone refuses no STARTTLS (NONE) and a certificate the laptop cannot verify (FAIL), but still
//   accepts any CA in /etc/ssl/certs.
// - CS:/CI: ${cert_subject} / ${cert_issuer} must equal the server certificate's subject and issuer,
//   in sendmail's xtext form (the CERTISSUER key encoding of dn.ts: `+HH`; extensions are separated
//   by `++`, which xtext never produces). With Debian's self-signed certificate, verify=OK plus this
//   issuer means "signed with the server's key"; with a CA-issued one, "the CA vouches for this
//   subject". +CN is not added: CS already pins the whole subject, CN included, and +CN would only
//   refuse a laptop that reaches its server by another name or by address.
// - The access map needs FEATURE(access_db) in the laptop's sendmail.mc (Debian has it; else
//   Stls_server has no lookup at all); access.db is rebuilt by make, no reload needed.
//
// Server (server role): `CERTISSUER:<X> RELAY` lets every certificate X issued relay. Exact only
// when X is the server's own self-signed certificate (isSelfSigned in dn.ts). Where the server's
// certificate is not self-signed, shared-key mode is refused (see refuseSharedKeyWithCaCert).
import { accessLine, findAccessEntry, parseAccessLine } from './access-file.js';
import { certSubjectKey, certIssuerKey, isSelfSigned } from './dn.js';
import { SERVER_CERT } from '../paths.js';
import { smartHostName } from './sendmail-mc.js';

/** The marker id of the laptop's `TLS_Srv:` line. */
export const SERVER_TLS_ID = 'server-tls';
/** The laptop var that turns the rule off (default on). */
export const REQUIRE_VAR = 'laptop_requires_verified_server';

/** Whether a laptop's vars ask for the rule (default yes); throws on a value that is not a boolean. */
export function requiresVerifiedServer(vars: Readonly<Record<string, unknown>>, where = REQUIRE_VAR): boolean {
  const v = vars[REQUIRE_VAR];
  if (v === undefined || v === null || v === '') return true;
  if (v === true || v === false) return v;
  if (typeof v === 'string' && /^(true|yes|on|1)$/i.test(v)) return true;
  if (typeof v === 'string' && /^(false|no|off|0)$/i.test(v)) return false;
  throw new Error(`${where}: ${REQUIRE_VAR} is ${JSON.stringify(v)}; expected true or false`);
}

/** The requirement (right-hand side) that accepts only this certificate's subject and issuer, verified. */
export function tlsSrvRequirement(serverCertPem: string): string {
  return `VERIFY+CS:${certSubjectKey(serverCertPem)}++CI:${certIssuerKey(serverCertPem)}`;
}

/** `TLS_Srv:<name>	VERIFY+CS:<subject>++CI:<issuer>` for the name the laptop connects to. */
export function tlsSrvLine(name: string, serverCertPem: string): string {
  const n = smartHostName(name.trim()).toLowerCase();
  if (!/^[a-z0-9._:-]+$/i.test(n) || !n) throw new Error(`not a host name for a TLS_Srv rule: ${JSON.stringify(name)}`);
  return accessLine('TLS_Srv', n, tlsSrvRequirement(serverCertPem));
}

/** The one-line reason shared-key mode is refused for a certificate that is not self-signed. */
export function notSelfSignedReason(host: string, certPath = SERVER_CERT): string {
  return (
    `${host}: ${certPath} is not self-signed (a CA issued it), so CERTISSUER:<its issuer> RELAY would let every ` +
    `certificate of that CA relay and shared-key mode would copy the CA-issued key to laptops: refused; ` +
    `set tls_mode: per-laptop for ${host} (keeps this certificate, relays by CERTSUBJECT per laptop)`
  );
}

export type ServerTrustState = 'current' | 'stale' | 'missing' | 'unsafe' | 'opted-out' | 'no-smarthost';

export interface ServerTrust {
  required: boolean;
  /** the name the rule is keyed on (the SMART_HOST name) */
  name?: string;
  state: ServerTrustState;
  /** the rule on the laptop, as written */
  line?: string;
  /** the rule the laptop should have for its server's current certificate */
  expected?: string;
  problem?: string;
}

/** A TLS_Srv requirement that pins nothing (no VERIFY, or VERIFY without CS and CI). */
function weakRequirement(action: string): boolean {
  const a = action.replace(/\s+/g, '');
  const verify = /^(?:(?:PERM|TEMP)\+)?VERIFY(?::\d+)?(?:\+|$)/i.test(a);
  return !verify || !/(?:^|\+)CS:/i.test(a) || !/(?:^|\+)CI:/i.test(a);
}

/** How the laptop's access map stands against the rule its server's current certificate calls for. */
export function judgeServerTrust(i: { required: boolean; smartHost?: string; accessText?: string; serverCertPem?: string }): ServerTrust {
  const name = i.smartHost ? smartHostName(i.smartHost).toLowerCase() : undefined;
  const line = (() => {
    if (!i.accessText || !name) return undefined;
    const mine = findAccessEntry(i.accessText, SERVER_TLS_ID);
    if (mine) return mine.line;
    for (const l of i.accessText.split(/\r?\n/)) {
      const p = parseAccessLine(l);
      if (p && p.key.toLowerCase() === `tls_srv:${name}`) return l;
    }
    return undefined;
  })();
  if (!i.required) return { required: false, name, state: 'opted-out', line };
  if (!name) return { required: true, state: 'no-smarthost', problem: 'no SMART_HOST: its mail does not go through its server' };
  let expected: string | undefined;
  try {
    expected = i.serverCertPem ? tlsSrvLine(name, i.serverCertPem) : undefined;
  } catch {
    expected = undefined;
  }
  if (!line) return { required: true, name, state: 'missing', expected, problem: `hands mail to whatever answers for ${name}: no TLS_Srv rule (pair again)` };
  const p = parseAccessLine(line)!;
  if (p.key.toLowerCase() !== `tls_srv:${name}` || weakRequirement(p.action)) {
    return { required: true, name, state: 'unsafe', line, expected, problem: `its TLS_Srv rule does not pin ${name}'s certificate: ${line}` };
  }
  if (expected && p.action.replace(/\s+/g, '').toLowerCase() !== parseAccessLine(expected)!.action.toLowerCase()) {
    return { required: true, name, state: 'stale', line, expected, problem: `its TLS_Srv rule pins another certificate than ${name}'s current one: pair again` };
  }
  return { required: true, name, state: expected ? 'current' : 'stale', line, expected };
}

/** `CERTISSUER:<X> RELAY` lines that let others than the paired laptops relay: every one whose X is
 *  not the subject of the server's own certificate, self-signed. 1-based line numbers. */
export function unsafeIssuerLines(accessText: string | undefined, serverCertPem: string | undefined): { lineNumber: number; line: string }[] {
  if (!accessText) return [];
  let own: string | undefined;
  try {
    own = serverCertPem && isSelfSigned(serverCertPem) ? `certissuer:${certSubjectKey(serverCertPem)}`.toLowerCase() : undefined;
  } catch {
    own = undefined;
  }
  const out: { lineNumber: number; line: string }[] = [];
  accessText.split(/\r?\n/).forEach((l, i) => {
    const p = parseAccessLine(l);
    if (!p || !/^certissuer:/i.test(p.key) || !/^relay$/i.test(p.action.trim())) return;
    if (own !== undefined && p.key.toLowerCase() === own) return;
    out.push({ lineNumber: i + 1, line: l });
  });
  return out;
}
