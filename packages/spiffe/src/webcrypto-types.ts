// WebCrypto types from @types/node (the workspace compiles without the DOM lib).
import type { webcrypto } from 'node:crypto';

export type CryptoKey = webcrypto.CryptoKey;
export type CryptoKeyPair = webcrypto.CryptoKeyPair;
export type Crypto = webcrypto.Crypto;
export type Algorithm = webcrypto.Algorithm;
export type EcKeyAlgorithm = webcrypto.EcKeyAlgorithm;
export type EcKeyImportParams = webcrypto.EcKeyImportParams;
export type EcdsaParams = webcrypto.EcdsaParams;
export type JsonWebKey = webcrypto.JsonWebKey;
