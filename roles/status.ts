// `status`: read-only roles. Each host's one task reads what it presents (and, for a laptop, what
// its server trusts, as a peer) and records the verdict with h.facts(); nothing is written.
import type { Role } from '../lib/types.js';
import { ACCESS, CLIENT_CERT, COMMON_KEY, SENDMAIL_CF, SENDMAIL_MC, SERVER_CERT } from './paths.js';
import { judgeServerTrust, requiresVerifiedServer } from './text/trust.js';
import { smartHost } from './text/sendmail-mc.js';
import { LAPTOP_CA_CERT, LAPTOP_CLIENT_CERT, LAPTOP_CLIENT_KEY, RELAY_CA_BUNDLE, RELAY_SERVER_CERT, caBundle } from './pki/laptop-ca.js';
import { laptopCommonName, tlsMode } from './text/tls-mode.js';
import { laptopStatus, serverStatus } from './text/status.js';
import { laptopServer } from './tasks/server-of.js';
import { perLaptopClientProbes } from './tasks/per-laptop.js';
import { presented as presentedBy, serverUses } from './tasks/tls-files.js';
import { cfOptions, describeListener, listeners, reachability, tlsFiles, DEBIAN_TLS_FILES } from './text/sendmail-cf.js';

const text = (f: { exists: boolean; content?: Buffer }) => (f.exists && f.content ? f.content.toString('utf8') : undefined);
const sha = (f: { exists: boolean; sha256?: string }) => (f.exists ? f.sha256 : undefined);

export const STATUS_TASK = 'status';

// the roles' face for scripts/status.ts: the table and the exit code from the verdicts
export { renderStatus, statusExitCode, type HostStatus } from './text/status.js';

export const serverStatusRole: Role = {
  name: 'server (status)',
  gather: () => ({ files: [{ path: SENDMAIL_CF }, { path: SERVER_CERT }, { path: LAPTOP_CA_CERT }, { path: ACCESS }, { path: RELAY_CA_BUNDLE }], probes: {} }),
  tasks: [
    {
      name: STATUS_TASK,
      async run(h) {
        const mode = tlsMode(h.vars, h.name);
        // what is in force: the built sendmail.cf's options (the certificate it presents, its listeners)
        const [cf] = await h.files([SENDMAIL_CF]);
        const options = cf.exists ? cfOptions(cf.content!) : [];
        const certPath = tlsFiles(options).serverCert ?? DEBIAN_TLS_FILES.serverCert;
        const reach = reachability(listeners(options));
        const [cert, ca, access, bundle] = await h.files([certPath, LAPTOP_CA_CERT, ACCESS, RELAY_CA_BUNDLE]);
        let expectedBundle: string | undefined;
        try {
          expectedBundle = text(cert) && text(ca) ? caBundle(text(cert)!, text(ca)!) : undefined;
        } catch {
          expectedBundle = undefined;
        }
        h.facts({
          status: serverStatus({
            mode, serverCertPem: text(cert), caCertPem: text(ca), accessText: text(access), bundleText: text(bundle), expectedBundle,
            certPath, listener: reach.use ? describeListener(reach.use) : undefined, listenerProblem: reach.problem,
          }),
        });
      },
    },
  ],
  handlers: [],
};

export const laptopStatusRole: Role = {
  name: 'laptop (status)',
  gather: () => ({
    files: [
      { path: CLIENT_CERT },
      { path: ACCESS },
      { path: SENDMAIL_MC },
      { path: LAPTOP_CLIENT_CERT },
      { path: RELAY_SERVER_CERT, digestOnly: true },
      { path: COMMON_KEY, digestOnly: true, secret: true },
      { path: LAPTOP_CLIENT_KEY, digestOnly: true, secret: true },
    ],
    probes: { laptopPublicKey: perLaptopClientProbes.laptopPublicKey },
  }),
  tasks: [
    {
      name: STATUS_TASK,
      async run(h) {
        const server = h.peer(laptopServer(h));
        const mode = tlsMode(server.vars, server.name);
        const from = presentedBy(await serverUses(h, server));
        const [scert, skey, ca, access] = await server.files([from.cert, { path: from.key, digestOnly: true, secret: true }, LAPTOP_CA_CERT, ACCESS]);
        const [ccert, lcert, relayCopy, key] = await h.files([CLIENT_CERT, LAPTOP_CLIENT_CERT, { path: RELAY_SERVER_CERT, digestOnly: true }, { path: COMMON_KEY, digestOnly: true, secret: true }]);
        const presented = mode === 'shared-key' ? ccert : lcert;
        const [laccess, mc] = await h.files([ACCESS, SENDMAIL_MC]);
        const trust = judgeServerTrust({
          required: requiresVerifiedServer(h.vars, `${h.name}: laptop_requires_verified_server`),
          smartHost: text(mc) ? smartHost(text(mc)!) : undefined,
          accessText: text(laccess),
          serverCertPem: text(scert),
        });
        h.facts({
          status: laptopStatus({
            name: h.name,
            cn: laptopCommonName(h.name, h.vars),
            server: server.name,
            mode,
            certPem: text(presented),
            certSha: sha(presented),
            keySha: sha(key),
            serverCertPem: text(scert),
            serverCertSha: sha(scert),
            serverKeySha: sha(skey),
            caCertPem: text(ca),
            publicKeyPem: h.probe('laptopPublicKey').stdout.trim() || undefined,
            relayServerCertSha: sha(relayCopy),
            accessText: text(access),
            trust,
          }),
        });
      },
    },
  ],
  handlers: [],
};
