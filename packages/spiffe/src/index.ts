// @ambit/spiffe: SPIFFE IDs, keys, CSRs, the mesh CA, trust bundles and the HBONE peer check.
export { parseSpiffeId, tryParseSpiffeId, istioIdentity, parseIstioIdentity, checkTrustDomain, type SpiffeId } from './spiffe-id.ts';
export { generateKeyPair, exportPrivateKeyPem, importPrivateKeyPem } from './keys.ts';
export { createCsr, inspectCsr, DEFAULT_MAX_CSR_BYTES, type CsrInfo } from './csr.ts';
export { CertificateAuthority, DEFAULT_TRUST_DOMAIN, type IssuedChain } from './ca.ts';
export { makeRootCa, makeIntermediateCa } from './plugin-ca.ts';
export { PLUGIN_FILES, ROOT_FILES, readRootFiles, writeRootFiles, writeNewPluginFiles, type PluginCaFiles } from './ca-files.ts';
export { TrustBundle } from './trust-bundle.ts';
export { verifyPeerChain, MAX_CHAIN_LENGTH, type PeerCheckOptions, type PeerCheck } from './verify-peer.ts';
export { peerChainFromTls } from './tls-peer.ts';
export { CODES as SPIFFE_ERROR_CODES } from './errors.ts';
export type { CryptoKey, CryptoKeyPair } from './webcrypto-types.ts';
