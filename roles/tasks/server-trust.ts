// Trust, exactly, on both sides, as tasks (the rule and the checks themselves: roles/text/trust.ts).
// Laptop: one TLS_Srv line in its access map, so it hands mail only to its own server, verified.
// Server: shared-key mode only with its own self-signed certificate.

import { accessLine, ensureAccessEntry, findAccessEntry, parseAccessLine, removeAccessEntry } from '../text/access-file.js';
import { certInfo, certIssuerKey, certSubjectKey, isSelfSigned } from '../text/dn.js';
import { ACCESS, SENDMAIL_MC, SERVER_CERT } from '../paths.js';
import { REBUILD_ACCESS, rebuildAccess } from './sendmail.js';
import { editSendmailMc, serverNames } from './mc-tasks.js';
import { ensureAccessDb, smartHost, smartHostName } from '../text/sendmail-mc.js';
import { laptopServer } from './server-of.js';
import { tlsMode } from '../text/tls-mode.js';
import { presented, serverUses, usesOrSkip } from './tls-files.js';
import { SERVER_ISSUER_ID } from './access.js';

import { REQUIRE_VAR, SERVER_TLS_ID, notSelfSignedReason, requiresVerifiedServer, tlsSrvLine, unsafeIssuerLines } from '../text/trust.js';
import { task } from '../../lib/role.js';

// ------------------------------------------------------------------ tasks

/** Server, shared-key mode: the certificate must be the server's own, self-signed. Otherwise remove
 *  an unsafe CERTISSUER line of ours (an older version wrote it: the relay is open until it goes),
 *  rebuild access.db at once, and refuse with one line naming per-laptop mode. */
export const sharedKeyNeedsSelfSignedCert = task("the server's certificate is its own, self-signed (shared-key mode)", async (h) => {
  if (tlsMode(h.vars, h.name) === 'per-laptop') return h.skip('per-laptop mode: laptops get certificates from the laptop CA');
  // the certificate sendmail presents (sendmail.cf's ServerCertFile), not Debian's by assumption
  // (a sendmail.mc with no place for the include: the include task names that problem)
  const uses = await usesOrSkip(h, 'server');
  if (!uses) return;
  const certPath = presented(uses).cert;
  const [cert, access] = await h.files([certPath, ACCESS]);
  if (!cert.exists || !cert.content) return; // certificatesExist makes it, or says why not
  const pem = cert.content.toString('utf8');
  try {
    certInfo(pem);
  } catch {
    return; // unreadable: the CERTISSUER task names the problem
  }
  if (isSelfSigned(pem)) return;
  const text = access.exists && access.content ? access.content.toString('utf8') : '';
  const ours = findAccessEntry(text, SERVER_ISSUER_ID);
  if (ours && /^relay$/i.test(ours.action.trim())) {
    await h.edit(ACCESS, (t) => removeAccessEntry(t, SERVER_ISSUER_ID));
    h.warn(`removed the unsafe ${ours.key} RELAY line (${ACCESS}:${ours.lineNumber}) an earlier version wrote: it let every certificate of that CA relay`);
    await rebuildAccess.run(h); // now: the task fails below and handlers would not run
  }
  for (const u of unsafeIssuerLines(removeAccessEntry(text, SERVER_ISSUER_ID), pem)) {
    h.warn(`${ACCESS}:${u.lineNumber} lets every certificate of that issuer relay (not ours, left alone): ${u.line}`);
  }
  throw new Error(notSelfSignedReason(h.name, certPath));
});

/** Laptop: its sendmail hands mail only to its own server, verified (TLS_Srv rule in its access map). */
export const laptopRequiresVerifiedServer = task('the laptop hands mail only to its verified server', async (h) => {
  const server = h.peer(laptopServer(h));
  if (!requiresVerifiedServer(h.vars, `${h.name}: ${REQUIRE_VAR}`)) {
    await h.edit(ACCESS, (t) => removeAccessEntry(t, SERVER_TLS_ID), { notify: REBUILD_ACCESS });
    h.warn(`${REQUIRE_VAR} is false for ${h.name}: its sendmail hands mail to whatever answers for its smart host's name, verified or not`);
    return;
  }
  // the certificate the server's sendmail presents (its sendmail.cf), the one the laptop will see
  const certPath = presented(await serverUses(h, server)).cert;
  const [scert] = await server.files([certPath]);
  if (!scert.exists || !scert.content) {
    return h.missing(`${server.name} has no ${certPath}: deploy the server first (npm run deploy -- --host ${server.name})`, `add the TLS_Srv rule once ${server.name} has ${certPath}`);
  }
  const pem = scert.content.toString('utf8');
  if (tlsMode(server.vars, server.name) !== 'per-laptop' && !isSelfSigned(pem)) throw new Error(notSelfSignedReason(server.name, certPath));
  const [mc] = await h.files([SENDMAIL_MC]);
  const current = mc.exists && mc.content ? smartHost(mc.content.toString('utf8')) : undefined;
  if (!current) {
    h.warn(`${h.name} has no SMART_HOST: no TLS_Srv rule to write (its mail does not go through ${server.name})`);
    return;
  }
  const name = smartHostName(current);
  if (!serverNames(server, /\/CN=([^/]+)/.exec(certInfo(pem).subject)?.[1]).includes(name.toLowerCase())) {
    h.warn(`SMART_HOST on ${h.name} is ${current}, not ${server.name}: no TLS_Srv rule written for it`);
    return;
  }
  if (!/^\[.*\]$/.test(current.replace(/^[A-Za-z0-9_-]+:(?=\[)/, ''))) {
    h.warn(`SMART_HOST on ${h.name} is ${current} without brackets: sendmail looks up MX records for it and may connect to another name, which the TLS_Srv rule does not cover; --set-smarthost writes [${name}]`);
  }
  await editSendmailMc(h, ensureAccessDb); // without access_db, tls_server looks nothing up
  const line = tlsSrvLine(name, pem);
  await h.edit(ACCESS, (t) => ensureAccessEntry(t, { id: SERVER_TLS_ID, line }), { notify: REBUILD_ACCESS, mode: 0o600, owner: 'root', group: 'root' });
});
