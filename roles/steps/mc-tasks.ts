// The how-to's sendmail.mc edits as tasks: each reads sendmail.mc, computes the new text with a
// pure function from sendmail-mc.ts, and writes only when it differs.
import type { HostHandle, Task } from '../../lib/types.js';
import { SENDMAIL_MC } from './paths.js';
import { REBUILD, RELOAD } from './sendmail.js';
import { ensureAccessDb, ensureStarttlsInclude, ensureTlsSrvOptionsOverride, listenAddresses, setSmartHost, smartHost, smartHostName } from './sendmail-mc.js';

/** Apply a pure edit to sendmail.mc; rebuild and reload when it changed the text. */
export async function editSendmailMc(h: HostHandle, edit: (mc: string) => string): Promise<void> {
  const [mc] = await h.files([SENDMAIL_MC]);
  if (!mc.exists) throw new Error(`${SENDMAIL_MC} is missing on ${h.name}`);
  const before = mc.content!.toString('utf8');
  let after: string;
  try {
    after = edit(before);
  } catch (e) {
    throw new Error(`${h.name}:${SENDMAIL_MC}: ${(e as Error).message}`);
  }
  if (after === before) return;
  await h.write([{ path: SENDMAIL_MC, content: after }]);
  h.notify(REBUILD);
  h.notify(RELOAD);
}

export const includeStarttls: Task = {
  name: 'include starttls.m4 in sendmail.mc',
  run: (h) => editSendmailMc(h, ensureStarttlsInclude),
};

export const askForClientCertificates: Task = {
  // the how-to comments out the V in starttls.m4, but update_tls writes that file again on every
  // run; an empty confTLS_SRV_OPTIONS after the include in sendmail.mc survives regeneration
  name: 'the server asks for client certificates (no V in confTLS_SRV_OPTIONS)',
  run: (h) => editSendmailMc(h, (mc) => ensureTlsSrvOptionsOverride(ensureStarttlsInclude(mc))),
};

export const accessDbFeature: Task = {
  name: 'the access_db feature is on',
  run: (h) => editSendmailMc(h, ensureAccessDb),
};

export const warnLoopbackOnly: Task = {
  name: 'laptops can reach the server (not only 127.0.0.1)',
  async run(h) {
    const [mc] = await h.files([SENDMAIL_MC]);
    const addrs = listenAddresses(mc.content!.toString('utf8'));
    if (addrs.length && addrs.every((a) => a === '127.0.0.1' || a === '::1' || a === 'localhost')) {
      h.warn(`sendmail on ${h.name} listens for SMTP on ${addrs.join(', ')} only, so laptops cannot reach it: remove the Addr= from the MTA DAEMON_OPTIONS in ${SENDMAIL_MC}`);
    }
  },
};

/** The names a laptop's SMART_HOST may give for its server. */
export function serverNames(server: { name: string; vars: Readonly<Record<string, unknown>> }, fqdn?: string): string[] {
  const names = [server.name, String(server.vars['ansible_host'] ?? ''), fqdn ?? ''].filter(Boolean).map((n) => n.toLowerCase());
  return [...new Set(names)];
}

export function smartHostTask(serverOf: (h: HostHandle) => string, serverFqdn: (h: HostHandle) => Promise<string | undefined>): Task {
  return {
    name: "the laptop's SMART_HOST is its server",
    async run(h) {
      const server = h.peer(serverOf(h));
      const fqdn = await serverFqdn(h);
      const [mc] = await h.files([SENDMAIL_MC]);
      const current = smartHost(mc.content!.toString('utf8'));
      const names = serverNames(server, fqdn);
      if (current && names.includes(smartHostName(current).toLowerCase())) return;
      const want = fqdn ?? String(server.vars['ansible_host'] ?? server.name);
      if (h.options.setSmarthost) {
        await editSendmailMc(h, (text) => setSmartHost(text, want));
        return;
      }
      h.warn(
        current
          ? `SMART_HOST on ${h.name} is ${current}, not its server ${server.name} (${names.join(', ')}): mail will not go through it; run with --set-smarthost to set [${want}]`
          : `${h.name} has no SMART_HOST: mail goes straight to the recipients' servers, not through ${server.name}; run with --set-smarthost to set [${want}]`,
      );
    },
  };
}

export { RELOAD };
