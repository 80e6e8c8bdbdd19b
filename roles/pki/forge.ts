// node-forge, loaded by the part a run needs: the certificate reader (asn1, pem, sha256) on every
// run, the whole library (key generation) only when per-laptop mode makes its laptop CA.
// Loading all of forge costs about as much again as the reader, on every run of the tool.
import { createRequire } from 'node:module';
import type Forge from 'node-forge';

const require = createRequire(import.meta.url);

/** forge with asn1, pem and sha256 registered (what reading a certificate needs). */
export function forgeReader(): typeof Forge {
  for (const m of ['asn1', 'pem', 'sha256']) require(`node-forge/lib/${m}`);
  return require('node-forge/lib/forge') as typeof Forge;
}

let all: typeof Forge | undefined;
/** All of forge, loaded at the first property read. */
export const forgeLazy = new Proxy({} as typeof Forge, {
  get: (_t, key) => ((all ??= require('node-forge') as typeof Forge) as unknown as Record<string | symbol, unknown>)[key],
});
