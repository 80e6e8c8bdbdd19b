// The roles' face for what every entry point checks before any host is contacted (scripts/pairing.ts):
// a server's tls_mode, the name a laptop's certificate carries, a laptop's
// laptop_requires_verified_server. A face of its own, light (pure text modules only), so that
// `status` and `verify` do not load the server and client roles' tasks to read three vars.
export { tlsMode, laptopCommonName, type LaptopPairing, type TlsMode } from './text/tls-mode.js';
export { laptopSubject } from './pki/laptop-ca.js';
export { requiresVerifiedServer } from './text/trust.js';
