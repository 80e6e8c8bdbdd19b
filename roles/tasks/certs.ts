// The how-to's "copying certificates (server to client)": the server's certificate becomes the
// laptop's client and server certificate, the server's key the laptop's key. The key passes
// through the tool's memory only (read from the server's SSH session, written to the laptop's).

import { CLIENT_CERT, COMMON_KEY, SERVER_CERT } from '../paths.js';
import { RELOAD } from './sendmail.js';
import { laptopServer } from './server-of.js';
import { certInfo, isSelfSigned } from '../text/dn.js';
import { notSelfSignedReason } from '../text/trust.js';
import { tlsMode } from '../text/tls-mode.js';
import { presented, serverUses } from './tls-files.js';
import { task } from '../../lib/role.js';

const CERT_MODE = 0o644;
const KEY_MODE = 0o640;

export const copyServerCertificate = task("copy the server's certificate and key to the laptop", async (h) => {
  const server = h.peer(laptopServer(h));
  if (tlsMode(server.vars, server.name) === 'per-laptop') return h.skip(`per-laptop mode (${server.name}): the laptop gets a key of its own`);
  // what the server's sendmail presents (its sendmail.cf), copied to where the laptop's sendmail
  // looks (Debian's names; laptopTlsFilesServed refused a laptop whose sendmail.mc names others)
  const from = presented(await serverUses(h, server));
  const [scert, skey] = await server.files([from.cert, { path: from.key, digestOnly: true, secret: true }]);
  if (!scert.exists || !skey.exists) {
    throw new Error(`${server.name} has no ${!scert.exists ? from.cert : from.key}: deploy the server first (npm run deploy -- --host ${server.name})`);
  }
  // a CA-issued key never leaves the server: shared-key mode is for the server's own certificate
  if (!isSelfSigned(scert.content!.toString('utf8'))) throw new Error(notSelfSignedReason(server.name, from.cert));
  const [ccert] = await h.files([CLIENT_CERT]);
  if (ccert.exists && ccert.content && ccert.sha256 !== scert.sha256) {
    const was = certInfo(ccert.content.toString('utf8')).fingerprintSha256;
    const now = certInfo(scert.content!.toString('utf8')).fingerprintSha256;
    h.say(`laptop certificate ${was} is not the server's ${now}`);
  }
  const cert = { content: scert.content!, mode: CERT_MODE, owner: 'root', group: 'smmsp' };
  // the three files in one write (one round trip); the key compared by digest, and read from the
  // server into memory only when it is to be written
  await h.put(
    [
      { path: CLIENT_CERT, ...cert },
      { path: SERVER_CERT, ...cert },
      { path: COMMON_KEY, from: { peer: server, path: from.key }, mode: KEY_MODE, owner: 'root', group: 'smmsp', secret: true },
    ],
    { notify: RELOAD },
  );
});
