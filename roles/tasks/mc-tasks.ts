// The how-to's sendmail.mc edits as tasks: each reads sendmail.mc, computes the new text with a
// pure function from sendmail-mc.ts, and writes only when it differs.
import type { HostHandle, Task } from '../../lib/types.js';
import { SENDMAIL_MC } from '../paths.js';
import { REBUILD, RELOAD } from './sendmail.js';
import { ensureAccessDb, ensureStarttlsInclude, ensureTlsSrvOptionsOverride, handTls, removeVFromSrvOptions, setSmartHost, smartHost, smartHostName } from '../text/sendmail-mc.js';
import { sendmailUses } from './tls-files.js';
import { describeListener } from '../text/sendmail-cf.js';
import { task } from '../../lib/role.js';

/** Apply a pure edit to sendmail.mc; rebuild and reload when it changed the text. */
export async function editSendmailMc(h: HostHandle, edit: (mc: string) => string): Promise<void> {
  const [mc] = await h.files([SENDMAIL_MC]);
  if (!mc.exists) throw new Error(`${SENDMAIL_MC} is missing on ${h.name}`);
  await h.edit(SENDMAIL_MC, edit, { notify: [REBUILD, RELOAD] });
}

export const includeStarttls = task('include starttls.m4 in sendmail.mc', async (h) => {
  const [mc] = await h.files([SENDMAIL_MC]);
  if (mc.exists && handTls(mc.content!.toString('utf8'))) {
    return h.say(`${SENDMAIL_MC} sets up TLS itself (confSERVER_CERT/confCLIENT_CERT, no starttls.m4): not added, its defines would override the admin's`);
  }
  await editSendmailMc(h, ensureStarttlsInclude);
});

// the how-to comments out the V in starttls.m4, but update_tls writes that file again on every
// run; an empty confTLS_SRV_OPTIONS after the include in sendmail.mc survives regeneration
export const askForClientCertificates = task('the server asks for client certificates (no V in confTLS_SRV_OPTIONS)', (h) =>
  editSendmailMc(h, (mc) => (handTls(mc) ? removeVFromSrvOptions(mc) : ensureTlsSrvOptionsOverride(ensureStarttlsInclude(mc)))),
);

export const accessDbFeature = task('the access_db feature is on', (h) => editSendmailMc(h, ensureAccessDb));

// judged from the DaemonPortOptions in force (sendmail.cf, or m4 on the sendmail.mc this run
// writes): a warning, not a failure: the tool's part is done and may be meant for a listener
// the admin adds later, but nobody can relay until then, and `status` says so too
export const warnLoopbackOnly = task('laptops can reach the server (a port-25 listener on the network)', async (h) => {
  const { reach } = await sendmailUses(h, 'server');
  if (reach.use) {
    h.say(`laptops connect to ${describeListener(reach.use)}`);
    h.facts({ listener: describeListener(reach.use) });
    return;
  }
  h.facts({ listener: null, listenerProblem: reach.problem });
  h.warn(`${h.name}: ${reach.problem}: give sendmail an MTA listener on port 25 of a reachable address (DAEMON_OPTIONS(\`Family=inet, Name=MTA-v4, Port=smtp, Addr=0.0.0.0')dnl in ${SENDMAIL_MC}, no Addr=127.0.0.1, no M=a)`);
});

/** The names a laptop's SMART_HOST may give for its server. */
export function serverNames(server: { name: string; vars: Readonly<Record<string, unknown>> }, fqdn?: string): string[] {
  const names = [server.name, String(server.vars['ansible_host'] ?? ''), fqdn ?? ''].filter(Boolean).map((n) => n.toLowerCase());
  return [...new Set(names)];
}

/** The options the SMART_HOST task reads (the client role's, roles/client.ts ClientOptions). */
export interface SmartHostOptions {
  /** --set-smarthost: set a laptop's SMART_HOST to its server instead of only warning */
  setSmarthost?: boolean;
}

export function smartHostTask(serverOf: (h: HostHandle) => string, serverFqdn: (h: HostHandle) => Promise<string | undefined>): Task<SmartHostOptions> {
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
