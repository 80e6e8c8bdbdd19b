// Per-laptop mode as tasks (see tls-mode.ts for the choice of mode, laptop-ca.ts for the pure parts).
// Every task here does nothing in the mode it is not for, except undo what the other mode left
// behind, so that switching a server between modes is one run that converges.
//
// Server: the laptop CA (key root:root 0600, never printed), the confCACERT bundle (its own
// certificate + the CA), `CERTISSUER:<CA> SUBJECT` and one `CERTSUBJECT:<laptop> RELAY` per paired
// laptop (the entry point hands the laptops to pair or unpair in the role's options, PairingOptions,
// so that the server's lines are written in the server's own run).
// Laptop: its own key (made on the laptop, never read by the tool), a certificate the tool signs
// with the CA key (read from the server into memory only), a copy of the server's certificate to
// verify the server, and defines after the include naming those files. The server's key must not
// stay on a laptop: a copy from shared-key mode is replaced by the laptop's own (update_tls new).
import type { HostHandle } from '../../lib/types.js';
import { accessEntryIds, ensureAccessEntry, findAccessEntry, removeAccessEntry, accessLine } from '../text/access-file.js';
import { certIssuerKey, certInfo } from '../text/dn.js';
import {
  LAPTOP_CA_CERT,
  LAPTOP_CA_KEY,
  LAPTOP_CLIENT_CERT,
  LAPTOP_CLIENT_KEY,
  RELAY_CA_BUNDLE,
  RELAY_SERVER_CERT,
  caBundle,
  laptopCertState,
  laptopCsrArgs,
  laptopSubject,
  makeLaptopCa,
  signLaptopCsr,
} from '../pki/laptop-ca.js';
import { ACCESS, COMMON_KEY, SERVER_CERT, TLS_DIR, UPDATE_TLS } from '../paths.js';
import { REBUILD_ACCESS, RELOAD } from './sendmail.js';
import { editSendmailMc } from './mc-tasks.js';
import { ensureDefineAfterInclude, ensureStarttlsInclude, removeDefine } from '../text/sendmail-mc.js';
import { laptopServer } from './server-of.js';
import { SERVER_ISSUER_ID } from './access.js';
import { presented, sendmailUses, serverUses } from './tls-files.js';
import {
  LAPTOP_CA_ID,
  LAPTOP_ID_PREFIX,
  expiryOf,
  laptopAccessLine,
  laptopCaAccessLine,
  laptopCommonName,
  laptopCsrFromKeyArgs,
  laptopEntryId,
  pairingsFor,
  serverCommonName,
  tlsMode,
  type LaptopPairing,
} from '../text/tls-mode.js';
import { task } from '../../lib/role.js';

const CA_KEY_MODE = 0o600;
const CERT_MODE = 0o644;
const LAPTOP_KEY_MODE = 0o640;

/** The options the access-map task reads (the server role's, roles/server.ts ServerOptions): the
 *  laptops whose lines this run writes or removes (each pairing names its server; the others' are
 *  left alone). */
export interface PairingOptions {
  pair?: readonly LaptopPairing[];
  unpair?: readonly LaptopPairing[];
}

/** The laptop-side files and the defines that name them (shared-key mode removes these defines). */
export const LAPTOP_DEFINES: ReadonlyArray<[string, string]> = [
  ['confCLIENT_CERT', LAPTOP_CLIENT_CERT],
  ['confCLIENT_KEY', LAPTOP_CLIENT_KEY],
  ['confCACERT', RELAY_SERVER_CERT],
];

/** Probes the client role gathers for this file's tasks. */
export const perLaptopClientProbes: Record<string, string> = {
  // the public half of the laptop's own key (the private key is never read by the tool)
  laptopPublicKey: `[ -f ${LAPTOP_CLIENT_KEY} ] && openssl pkey -in ${LAPTOP_CLIENT_KEY} -pubout 2>/dev/null; true`,
  // digests of dated backups of sendmail-common.key (a backup may hold a copy of the server's key)
  // one sha256sum for all of them (a program per backup adds up over a fleet): "SHA  PATH" lines
  keyBackups: `set -- ${COMMON_KEY}.bak-*; [ -e "$1" ] && sha256sum -- "$@" 2>/dev/null; true`,
};

/**
 * The probes of perLaptopClientProbes a laptop needs: none when its server (its smarthost var) is
 * in shared-key mode, where the tasks that read them skip; an openssl and a sha256sum on every
 * laptop of a fleet, at every run, add up. When the server cannot be told, all of them (the tasks
 * then say what is wrong).
 */
export function perLaptopClientProbesFor(
  vars: Readonly<Record<string, unknown>>,
  peerVars: (name: string) => Readonly<Record<string, unknown>> | undefined,
): Record<string, string> {
  try {
    const server = peerVars(laptopServer({ name: 'the laptop', vars }));
    if (server && tlsMode(server) !== 'per-laptop') return {};
  } catch {
    // no server, or a bad tls_mode: the tasks report it
  }
  return perLaptopClientProbes;
}

/** Apply a pure edit to /etc/mail/access; rebuild access.db when the text changed (no reload:
 *  sendmail reopens access.db when it changes). */
async function editAccess(h: HostHandle, edit: (text: string) => string): Promise<void> {
  await h.edit(ACCESS, edit, { notify: REBUILD_ACCESS });
}

function ensure(text: string, id: string, line: string, h: HostHandle): string {
  const e = ensureAccessEntry(text, { id, line });
  for (const w of e.warnings) h.warn(`${ACCESS}: ${w}`);
  return e.text;
}

// ------------------------------------------------------------------ server

export const laptopCaExists = task('the laptop CA exists (per-laptop mode)', async (h) => {
  if (tlsMode(h.vars, h.name) !== 'per-laptop') return h.skip('shared-key mode');
  const [cert, key] = await h.files([LAPTOP_CA_CERT, { path: LAPTOP_CA_KEY, digestOnly: true, secret: true }]);
  if (cert.exists && key.exists) {
    await h.attrs(LAPTOP_CA_KEY, { mode: CA_KEY_MODE, owner: 'root', group: 'root' });
    const info = certInfo(cert.content!.toString('utf8'));
    const ex = expiryOf(info.notBefore, info.notAfter);
    if (ex.state === 'expired') throw new Error(`${LAPTOP_CA_CERT} on ${h.name} expired on ${info.notAfter.toISOString().slice(0, 10)}: remove ${LAPTOP_CA_CERT} and ${LAPTOP_CA_KEY}, deploy, and pair every laptop again`);
    if (ex.state === 'expiring') h.warn(`${LAPTOP_CA_CERT} expires on ${info.notAfter.toISOString().slice(0, 10)} (in ${ex.days} days)`);
    return;
  }
  if (cert.exists !== key.exists) {
    h.warn(`${h.name} has ${cert.exists ? LAPTOP_CA_CERT : LAPTOP_CA_KEY} without ${cert.exists ? LAPTOP_CA_KEY : LAPTOP_CA_CERT}: making a new laptop CA; every laptop must be paired again`);
  }
  const ca = makeLaptopCa({ commonName: serverCommonName(h.name, h.vars) });
  h.secret(ca.keyPem);
  // key first in the same round trip: a certificate without its key is never left behind
  await h.write([
    { path: LAPTOP_CA_KEY, content: ca.keyPem, mode: CA_KEY_MODE, owner: 'root', group: 'root', secret: true },
    { path: LAPTOP_CA_CERT, content: ca.certPem, mode: CERT_MODE, owner: 'root', group: 'root' },
  ]);
});

export const serverTrustsLaptopCa = task('the server trusts the laptop CA for client certificates (confCACERT bundle)', async (h) => {
  if (tlsMode(h.vars, h.name) !== 'per-laptop') {
    await editSendmailMc(h, (mc) => removeDefine(mc, 'confCACERT', RELAY_CA_BUNDLE));
    return;
  }
  const SERVER_CERT = presented(await sendmailUses(h, 'server')).cert;
  const [scert, ca] = await h.files([SERVER_CERT, LAPTOP_CA_CERT]);
  if (!scert.exists || !ca.exists) {
    return h.missing(`${!scert.exists ? SERVER_CERT : LAPTOP_CA_CERT} is missing on ${h.name}`, `create ${RELAY_CA_BUNDLE} (the server's certificate and the laptop CA)`);
  }
  // rebuilt whenever the server's certificate changes (update_tls new)
  const bundle = caBundle(scert.content!.toString('utf8'), ca.content!.toString('utf8'));
  await h.put({ path: RELAY_CA_BUNDLE, content: bundle, mode: CERT_MODE, owner: 'root', group: 'smmsp' }, { notify: RELOAD });
  await editSendmailMc(h, (mc) => ensureDefineAfterInclude(ensureStarttlsInclude(mc), 'confCACERT', RELAY_CA_BUNDLE));
});

export const accessForLaptops = task<PairingOptions>('the access map lets each paired laptop relay (per-laptop mode)', async (h) => {
  const mode = tlsMode(h.vars, h.name);
  const pair = pairingsFor(h.options.pair, h.name);
  const unpair = pairingsFor(h.options.unpair, h.name);
  if (mode !== 'per-laptop') {
    // shared-key mode: the per-laptop lines go
    await editAccess(h, (text) => {
      let t = text;
      for (const id of accessEntryIds(text)) if (id === LAPTOP_CA_ID || id.startsWith(LAPTOP_ID_PREFIX)) t = removeAccessEntry(t, id);
      return t;
    });
    if (unpair.length) h.say(`shared-key mode: no per-laptop line to remove for ${unpair.map((p) => p.name).join(', ')}`);
    return;
  }
  const [scert, ca] = await h.files([presented(await sendmailUses(h, 'server')).cert, LAPTOP_CA_CERT]);
  if (!ca.exists) return h.missing(`${LAPTOP_CA_CERT} is missing on ${h.name}`, 'add the laptop CA and paired laptops to the access map');
  await editAccess(h, (text) => {
    let t = text;
    // the shared-key line must go: otherwise any holder of the server's key still relays. Adopting
    // it first (ensure) also catches the how-to's unmarked line with the same key.
    if (scert.exists) {
      const issuerLine = accessLine('CERTISSUER', certIssuerKey(scert.content!.toString('utf8')), 'RELAY');
      t = removeAccessEntry(ensureAccessEntry(t, { id: SERVER_ISSUER_ID, line: issuerLine }).text, SERVER_ISSUER_ID);
    } else t = removeAccessEntry(t, SERVER_ISSUER_ID);
    t = ensure(t, LAPTOP_CA_ID, laptopCaAccessLine(ca.content!.toString('utf8')), h);
    for (const p of pair) t = ensure(t, laptopEntryId(p.name), laptopAccessLine(p.cn), h);
    for (const p of unpair) t = removeAccessEntry(t, laptopEntryId(p.name));
    return t;
  });
  for (const p of unpair) h.say(`${p.name} unpaired`);
});

// ------------------------------------------------------------------ laptop

function serverOf(h: HostHandle) {
  const server = h.peer(laptopServer(h));
  return { server, mode: tlsMode(server.vars, server.name) };
}

export const serverKeyNotOnLaptop = task("the laptop does not hold the server's key (per-laptop mode)", async (h) => {
  const { server, mode } = serverOf(h);
  if (mode !== 'per-laptop') return h.skip(`shared-key mode (${server.name})`);
  const [skey] = await server.files([{ path: COMMON_KEY, digestOnly: true, secret: true }]);
  if (!skey.exists) return;
  const [lkey] = await h.files([{ path: COMMON_KEY, digestOnly: true, secret: true }]);
  if (lkey.exists && lkey.sha256 === skey.sha256) {
    // sendmail-common.key is also the laptop's own server key: give it a key of its own
    h.say(`${COMMON_KEY} is the same key as ${server.name}'s: making the laptop's own`);
    await h.$`${UPDATE_TLS} new`;
    h.notify(RELOAD);
  }
  // dated backups the tool left when it replaced a copy of the key
  const copies = h
    .probe('keyBackups')
    .stdout.split('\n')
    .map((l) => /^([0-9a-f]{64}) [ *](.+)$/.exec(l))
    .filter((m): m is RegExpExecArray => !!m && m[1] === skey.sha256 && m[2].startsWith(`${TLS_DIR}/`))
    .map((m) => m[2]);
  if (copies.length) {
    h.say(`removing ${copies.length} backup(s) holding ${server.name}'s key`);
    await h.absent(copies);
  }
});

export const laptopOwnCertificate = task('the laptop has its own key and a certificate from the laptop CA (per-laptop mode)', async (h) => {
  const { server, mode } = serverOf(h);
  if (mode !== 'per-laptop') return h.skip(`shared-key mode (${server.name})`);
  const subject = laptopSubject(laptopCommonName(h.name, h.vars));
  const [ca, access] = await server.files([LAPTOP_CA_CERT, ACCESS]);
  if (!ca.exists) {
    return h.missing(`${server.name} has no laptop CA (${LAPTOP_CA_CERT}): deploy the server first (npm run deploy -- --host ${server.name})`, `make a key and have ${server.name}'s laptop CA sign its certificate`);
  }
  const caPem = ca.content!.toString('utf8');
  const [cert, key] = await h.files([LAPTOP_CLIENT_CERT, { path: LAPTOP_CLIENT_KEY, digestOnly: true, secret: true }]);
  const pub = key.exists ? h.probe('laptopPublicKey').stdout.trim() : '';
  const keyUsable = key.exists && pub.includes('PUBLIC KEY');
  const state = laptopCertState({
    certPem: cert.exists ? cert.content!.toString('utf8') : undefined,
    caCertPem: caPem,
    expectedSubject: subject,
    publicKeyPem: keyUsable ? pub : undefined,
  });
  if (state === 'current' && keyUsable) {
    await h.attrs(LAPTOP_CLIENT_KEY, { mode: LAPTOP_KEY_MODE, owner: 'root', group: 'smmsp' }, { notify: RELOAD });
  } else {
    h.say(keyUsable ? `certificate ${state}: signing a new one` : 'no usable key of its own: making one on the laptop');
    // made only when written (never in check mode, which neither makes a key nor reads the CA key):
    // the key is made on the laptop (umask 077, then root:smmsp 0640); only the CSR comes back, and
    // the CA key is read from the server into memory to sign it
    const sign = async () => {
      const csr = keyUsable
        ? await h.read$`openssl ${laptopCsrFromKeyArgs(subject)}`
        : await h.$`umask 077; openssl ${laptopCsrArgs(subject)} && chown root:smmsp -- ${LAPTOP_CLIENT_KEY} && chmod 0640 -- ${LAPTOP_CLIENT_KEY}`;
      const [caKey] = await server.files([{ path: LAPTOP_CA_KEY, secret: true }]);
      if (!caKey.exists || !caKey.content) throw new Error(`${server.name} has no ${LAPTOP_CA_KEY}`);
      return signLaptopCsr(csr.stdout, caPem, caKey.content.toString('utf8'), { expectedSubject: subject });
    };
    const describe = keyUsable ? `signed by ${server.name}'s laptop CA` : `a key made on the laptop as ${LAPTOP_CLIENT_KEY}, its certificate signed by ${server.name}'s laptop CA`;
    await h.put({ path: LAPTOP_CLIENT_CERT, make: sign, describe, mode: CERT_MODE, owner: 'root', group: 'smmsp' }, { notify: RELOAD });
  }
  // the server's side is written in the server's run (pair): say when it is missing
  const entry = access.exists ? findAccessEntry(access.content!.toString('utf8'), laptopEntryId(h.name)) : undefined;
  if (!entry || entry.line !== laptopAccessLine(subject)) {
    h.warn(`${server.name}'s access map has no line for ${h.name} (${subject.oneline}): it will be refused until paired (npm run pair ${h.name})`);
  }
});

export const laptopHasServerCertificate = task("the laptop holds a copy of the server's certificate to verify it (per-laptop mode)", async (h) => {
  const { server, mode } = serverOf(h);
  if (mode !== 'per-laptop') return h.skip(`shared-key mode (${server.name})`);
  const SERVER_CERT = presented(await serverUses(h, server)).cert;
  const [scert] = await server.files([SERVER_CERT]);
  if (!scert.exists) throw new Error(`${server.name} has no ${SERVER_CERT}: deploy the server first`);
  await h.put({ path: RELAY_SERVER_CERT, content: scert.content!, mode: CERT_MODE, owner: 'root', group: 'smmsp' }, { notify: RELOAD });
});

export const laptopUsesOwnCertificate = task("sendmail.mc names the laptop's own certificate and key (per-laptop mode)", async (h) => {
  const { mode } = serverOf(h);
  await editSendmailMc(h, (mc) => {
    let t = mc;
    if (mode === 'per-laptop') {
      t = ensureStarttlsInclude(t);
      for (const [macro, value] of LAPTOP_DEFINES) t = ensureDefineAfterInclude(t, macro, value);
    } else for (const [macro, value] of LAPTOP_DEFINES) t = removeDefine(t, macro, value);
    return t;
  });
});
