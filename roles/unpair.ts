// `unpair` in per-laptop mode: the server forgets the laptop (its CERTSUBJECT line goes; make
// rebuilds access.db and sendmail reopens it, no reload), and the laptop loses its certificate
// and the defines naming it (when it can be reached).
import type { Role } from '../lib/types.js';
import { ACCESS, SENDMAIL_MC, SERVER_CERT } from './paths.js';
import { configurationIsCurrent, RELOAD, sendmailHandlers, sendmailInstalled, sendmailProbes } from './tasks/sendmail.js';
import { findAccessEntry, removeAccessEntry } from './text/access-file.js';
import { laptopEntryId, pairingsFor } from './text/tls-mode.js';
import { LAPTOP_DEFINES, type PairingOptions } from './tasks/per-laptop.js';
import { LAPTOP_CA_CERT, LAPTOP_CLIENT_CERT } from './pki/laptop-ca.js';
import { REBUILD_ACCESS } from './tasks/sendmail.js';
import { editSendmailMc } from './tasks/mc-tasks.js';
import { removeDefine } from './text/sendmail-mc.js';
import { task } from '../lib/role.js';

/** What the entry point gives the server's unpair role: the laptops to unpair. */
export type ServerUnpairOptions = Required<Pick<PairingOptions, 'unpair'>>;

const forgetLaptops = task<ServerUnpairOptions>("the access map no longer lets the unpaired laptops relay", async (h) => {
  await h.edit(
    ACCESS,
    (text) =>
      pairingsFor(h.options.unpair, h.name).reduce((t, p) => {
        const id = laptopEntryId(p.name);
        h.say(findAccessEntry(t, id) ? `removed ${p.name}'s line` : `${p.name} had no line`);
        return removeAccessEntry(t, id);
      }, text),
    { notify: REBUILD_ACCESS },
  );
});

export const serverUnpairRole: Role<ServerUnpairOptions> = {
  name: 'server (unpair)',
  gather: () => ({ files: [{ path: SENDMAIL_MC }, { path: ACCESS }, { path: SERVER_CERT }, { path: LAPTOP_CA_CERT }], probes: sendmailProbes }),
  tasks: [sendmailInstalled, forgetLaptops, configurationIsCurrent],
  handlers: sendmailHandlers(),
};

const dropOwnCertificate = task("the laptop no longer presents its certificate", async (h) => {
  await editSendmailMc(h, (mc) => LAPTOP_DEFINES.reduce((t, [macro, value]) => removeDefine(t, macro, value), mc));
  // removed, not backed up: a backup would keep what unpair takes away
  await h.absent([LAPTOP_CLIENT_CERT], { notify: RELOAD });
});

export const laptopUnpairRole: Role = {
  name: 'laptop (unpair)',
  gather: () => ({ files: [{ path: SENDMAIL_MC }, { path: LAPTOP_CLIENT_CERT }], probes: sendmailProbes }),
  tasks: [sendmailInstalled, dropOwnCertificate, configurationIsCurrent],
  handlers: sendmailHandlers(),
};
