// node-forge, loaded by the part a run needs: the certificate reader (asn1, pem, sha256). The keys
// (the laptop CA's, its signatures) are node:crypto's, so the rest of forge is never loaded:
// loading all of it costs about as much again as the reader, on every run of the tool.
import { createRequire } from 'node:module';
import type Forge from 'node-forge';

const require = createRequire(import.meta.url);

/** forge with asn1, pem and sha256 registered (what reading a certificate needs). */
export function forgeReader(): typeof Forge {
  for (const m of ['asn1', 'pem', 'sha256']) require(`node-forge/lib/${m}`);
  return require('node-forge/lib/forge') as typeof Forge;
}
