// The how-to's "copying certificates (server to client)": the server's certificate becomes the
// laptop's client and server certificate, the server's key the laptop's key. The key passes
// through the tool's memory only (read from the server's SSH session, written to the laptop's).
import type { HostHandle, Task } from '../../lib/types.js';
import { CLIENT_CERT, COMMON_KEY, SERVER_CERT } from '../paths.js';
import { RELOAD } from './sendmail.js';
import { laptopServer } from './server-of.js';
import { certInfo, isSelfSigned } from '../text/dn.js';
import { notSelfSignedReason } from '../text/trust.js';
import { tlsMode } from '../text/tls-mode.js';
import { presented, serverUses } from './tls-files.js';

const CERT_MODE = 0o644;
const KEY_MODE = 0o640;

/** Which of the laptop's files differ from the server's (pure). */
export function staleCertFiles(
  serverCertSha: string,
  serverKeySha: string,
  laptop: { clientCertSha?: string; serverCertSha?: string; keySha?: string },
): { certs: boolean; key: boolean } {
  return {
    certs: laptop.clientCertSha !== serverCertSha || laptop.serverCertSha !== serverCertSha,
    key: laptop.keySha !== serverKeySha,
  };
}

export const copyServerCertificate: Task = {
  name: "copy the server's certificate and key to the laptop",
  async run(h: HostHandle) {
    const server = h.peer(laptopServer(h));
    if (tlsMode(server.vars, server.name) === 'per-laptop') return h.skip(`per-laptop mode (${server.name}): the laptop gets a key of its own`);
    // what the server's sendmail presents (its sendmail.cf), copied to where the laptop's sendmail
    // looks (Debian's names; laptopTlsFilesServed refused a laptop whose sendmail.mc names others)
    const from = presented(await serverUses(server));
    const [scert, skey] = await server.files([from.cert, { path: from.key, digestOnly: true, secret: true }]);
    if (!scert.exists || !skey.exists) {
      throw new Error(`${server.name} has no ${!scert.exists ? from.cert : from.key}: deploy the server first (npm run deploy -- --host ${server.name})`);
    }
    // a CA-issued key never leaves the server: shared-key mode is for the server's own certificate
    if (!isSelfSigned(scert.content!.toString('utf8'))) throw new Error(notSelfSignedReason(server.name, from.cert));
    const [ccert, lscert, lkey] = await h.files([CLIENT_CERT, SERVER_CERT, { path: COMMON_KEY, digestOnly: true, secret: true }]);
    const stale = staleCertFiles(scert.sha256!, skey.sha256!, {
      clientCertSha: ccert.exists ? ccert.sha256 : undefined,
      serverCertSha: lscert.exists ? lscert.sha256 : undefined,
      keySha: lkey.exists ? lkey.sha256 : undefined,
    });
    if (stale.certs && ccert.exists && ccert.content) {
      const was = certInfo(ccert.content.toString('utf8')).fingerprintSha256;
      const now = certInfo(scert.content!.toString('utf8')).fingerprintSha256;
      h.say(`laptop certificate ${was} is not the server's ${now}`);
    }
    const writes = [
      { path: CLIENT_CERT, content: scert.content!, mode: CERT_MODE, owner: 'root', group: 'smmsp' },
      { path: SERVER_CERT, content: scert.content!, mode: CERT_MODE, owner: 'root', group: 'smmsp' },
    ];
    if (stale.key && h.checkMode) {
      // say what would change without reading the key itself
      await h.write(writes);
      h.changed(`update ${COMMON_KEY} (secret content; not shown)`);
    } else if (stale.key || lkey.mode !== KEY_MODE || lkey.group !== 'smmsp' || lkey.owner !== 'root') {
      // only now read the key itself, once per run for all laptops
      const [key] = await server.files([{ path: from.key, secret: true }]);
      await h.write([...writes, { path: COMMON_KEY, content: key.content!, mode: KEY_MODE, owner: 'root', group: 'smmsp', secret: true }]);
    } else {
      await h.write(writes);
    }
    if (stale.certs || stale.key) h.notify(RELOAD);
  },
};
