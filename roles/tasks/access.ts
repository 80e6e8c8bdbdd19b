// The how-to's "configuring the access database": a CERTISSUER line for the server's certificate
// issuer, encoded as sendmail encodes it, present once; a stale line the tool wrote earlier (after
// the issuer changed) is replaced, not duplicated. access.db is rebuilt by make; sendmail reopens
// it by itself, so no reload is needed for this file alone.
import type { HostHandle } from '../../lib/types.js';
import { accessLine, brokenHowtoLines, ensureAccessEntry } from '../text/access-file.js';
import { certIssuerKey, isSelfSigned } from '../text/dn.js';
import { notSelfSignedReason } from '../text/trust.js';
import { ACCESS } from '../paths.js';
import { REBUILD_ACCESS } from './sendmail.js';
import { tlsMode } from '../text/tls-mode.js';
import { presented, sendmailUses } from './tls-files.js';

export { SERVER_ISSUER_ID } from '../text/tls-mode.js';
import { SERVER_ISSUER_ID } from '../text/tls-mode.js';
import { task } from '../../lib/role.js';

/** Make sure /etc/mail/access holds `line` under the tool's marker `id` (access.db is rebuilt). */
export async function ensureAccessLine(h: HostHandle, id: string, line: string): Promise<void> {
  await h.edit(
    ACCESS,
    (text) => {
      const e = ensureAccessEntry(text, { id, line });
      const broken = brokenHowtoLines(e.text).map((b) => `line ${b.lineNumber} looks like the how-to's sed output without its CERTISSUER tag, which matches nothing: ${b.line}`);
      return { text: e.text, warnings: [...e.warnings, ...broken] };
    },
    { notify: REBUILD_ACCESS },
  );
}

export const accessLetsIssuerRelay = task("the access map lets the server certificate's issuer relay", async (h) => {
  if (tlsMode(h.vars, h.name) === 'per-laptop') return h.skip('per-laptop mode: the laptop CA task writes the access lines');
  // the certificate sendmail presents (sendmail.cf's ServerCertFile), not Debian's by assumption
  const SERVER_CERT = presented(await sendmailUses(h, 'server')).cert;
  const [cert] = await h.files([SERVER_CERT]);
  // (check mode: update_tls, which makes it, did not run)
  if (!cert.exists) return h.missing(`${SERVER_CERT} is missing on ${h.name}`, `add the CERTISSUER line once ${SERVER_CERT} exists`);
  let key: string;
  try {
    key = certIssuerKey(cert.content!.toString('utf8'));
  } catch (e) {
    throw new Error(`${SERVER_CERT} on ${h.name}: ${(e as Error).message}`);
  }
  // exact only when the issuer is this server itself (sharedKeyNeedsSelfSignedCert refuses earlier)
  if (!isSelfSigned(cert.content!.toString('utf8'))) throw new Error(notSelfSignedReason(h.name, SERVER_CERT));
  await ensureAccessLine(h, SERVER_ISSUER_ID, accessLine('CERTISSUER', key, 'RELAY'));
});
