// Who is calling the CA. Istio authenticates a ztunnel with its projected service-account token
// (audience istio-ca) and the TokenReview API; the lab has no API server, so each node gets a
// random bearer token instead, issued by the lab supervisor. Both sit behind CallerAuthenticator,
// so the Kubernetes authenticator can come later without touching the CA service.
//
// The control plane never holds a token in clear: nodes.json maps sha256(token) (hex) to a node
// name, and a presented token is hashed and compared with timingSafeEqual against every entry
// (no early exit), so neither the token nor which entry matched leaks through timing.
import { createHash, timingSafeEqual } from 'node:crypto';
import { readFile, stat } from 'node:fs/promises';
import type * as grpc from '@grpc/grpc-js';
import { errorMessage, type Logger } from '@ambit/core';
import { CA_CODES, caError } from './errors.ts';

// The writer of the credential files and the hash are shared with the lab (its supervisor issues
// them), so they live in @ambit/core; re-exported here for the CA's callers.
export { issueNodeCredentials, hashToken, type IssuedNodeCredentials } from '@ambit/core';

/** An authenticated caller. Only nodes for now; Kubernetes service accounts will add a kind. */
export interface Caller {
  kind: 'node';
  /** The node name, as pods' spec.nodeName spells it (`node-1`). */
  node: string;
  /** For logs and metrics: `node/node-1`. */
  subject: string;
}

export interface CallerAuthenticator {
  /** The caller, or undefined when the request carries no credential or an unknown one. Never throws. */
  authenticate(metadata: grpc.Metadata): Promise<Caller | undefined>;
}

/** A bearer longer than this is refused unhashed (a projected JWT is ~1 KiB; our tokens are 64 chars). */
export const MAX_BEARER_LENGTH = 8192;
const NODE_NAME = /^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$/;
const SHA256_HEX = /^[0-9a-f]{64}$/;

/** The bearer token of `authorization: Bearer <token>`, or undefined (absent, repeated, other scheme, empty, too long). */
export function bearerToken(metadata: grpc.Metadata): string | undefined {
  const values = metadata.get('authorization');
  if (values.length !== 1) return undefined;
  const [value] = values;
  if (typeof value !== 'string') return undefined;
  const match = /^Bearer[ ]+(\S+)\s*$/i.exec(value);
  const token = match?.[1];
  if (token === undefined || token.length > MAX_BEARER_LENGTH) return undefined;
  return token;
}


interface Entry {
  hash: Buffer;
  node: string;
}

/** Parses nodes.json; throws AMBIT_CA_CREDENTIALS_FILE naming the bad entry. */
export function parseNodesFile(text: string, file: string): Entry[] {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (cause) {
    throw caError(CA_CODES.credentialsFile, `${file}: not JSON: ${errorMessage(cause)}`, { cause });
  }
  const nodes = typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>)['nodes'] : undefined;
  if (typeof nodes !== 'object' || nodes === null || Array.isArray(nodes)) {
    throw caError(CA_CODES.credentialsFile, `${file}: expected {"nodes": {"<sha256 hex of token>": "<node>", ...}}`, {
      hint: 'write it with issueNodeCredentials()',
    });
  }
  const entries: Entry[] = [];
  for (const [hash, node] of Object.entries(nodes as Record<string, unknown>)) {
    if (!SHA256_HEX.test(hash)) {
      throw caError(CA_CODES.credentialsFile, `${file}: nodes key ${JSON.stringify(hash.slice(0, 80))} is not a lower-case sha256 hex digest`, {
        hint: 'the file holds hashes of tokens, never tokens',
      });
    }
    if (typeof node !== 'string' || !NODE_NAME.test(node)) {
      throw caError(CA_CODES.credentialsFile, `${file}: nodes.${hash.slice(0, 12)}...: ${JSON.stringify(node)} is not a node name`);
    }
    entries.push({ hash: Buffer.from(hash, 'hex'), node });
  }
  return entries;
}

export interface NodeTokenAuthenticatorOptions {
  /** Path of nodes.json. */
  file: string;
  logger: Logger;
}

/**
 * Node credentials from nodes.json, reloaded when the file changes (checked with one stat per call:
 * device, inode, size and mtime; issueNodeCredentials replaces the file by rename, so a new inode).
 * A file that becomes unreadable or malformed keeps the last good credentials and logs an error.
 */
export class NodeTokenAuthenticator implements CallerAuthenticator {
  readonly file: string;
  readonly #logger: Logger;
  #entries: Entry[] = [];
  #stamp = '';
  #loading: Promise<void> | undefined;

  constructor(options: NodeTokenAuthenticatorOptions) {
    this.file = options.file;
    this.#logger = options.logger;
  }

  /** Loads the file now; throws AMBIT_CA_CREDENTIALS_FILE. Call once at start-up to fail fast. */
  async load(): Promise<void> {
    const stamp = await this.#stampOf();
    await this.#read(stamp);
  }

  /** Node names that currently have a credential. */
  nodes(): string[] {
    return [...new Set(this.#entries.map((e) => e.node))].sort();
  }

  async authenticate(metadata: grpc.Metadata): Promise<Caller | undefined> {
    await this.#refresh();
    const token = bearerToken(metadata);
    if (token === undefined) return undefined;
    const presented = createHash('sha256').update(token, 'utf8').digest();
    let found: string | undefined;
    for (const entry of this.#entries) {
      // Every entry is compared, match or not, so timing does not depend on which one matched.
      if (timingSafeEqual(presented, entry.hash) && found === undefined) found = entry.node;
    }
    return found === undefined ? undefined : { kind: 'node', node: found, subject: `node/${found}` };
  }

  async #stampOf(): Promise<string> {
    try {
      const s = await stat(this.file, { bigint: true });
      return `${s.dev}:${s.ino}:${s.size}:${s.mtimeNs}`;
    } catch (cause) {
      throw caError(CA_CODES.credentialsFile, `cannot read node credentials ${this.file}: ${errorMessage(cause)}`, {
        cause,
        hint: 'the lab supervisor writes it with issueNodeCredentials() before starting the control plane',
      });
    }
  }

  async #read(stamp: string): Promise<void> {
    let text: string;
    try {
      text = await readFile(this.file, 'utf8');
    } catch (cause) {
      throw caError(CA_CODES.credentialsFile, `cannot read node credentials ${this.file}: ${errorMessage(cause)}`, { cause });
    }
    this.#entries = parseNodesFile(text, this.file);
    this.#stamp = stamp;
    this.#logger.info({ file: this.file, nodes: this.nodes() }, 'node credentials loaded');
  }

  async #refresh(): Promise<void> {
    // Concurrent calls share one reload.
    this.#loading ??= (async () => {
      try {
        const stamp = await this.#stampOf();
        if (stamp !== this.#stamp) await this.#read(stamp);
      } catch (error) {
        this.#logger.error({ file: this.file, err: errorMessage(error) }, 'node credentials not reloaded; keeping the last good ones');
      } finally {
        this.#loading = undefined;
      }
    })();
    await this.#loading;
  }
}

