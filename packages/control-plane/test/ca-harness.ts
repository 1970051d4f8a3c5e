// Shared set-up for the CA tests: a real grpc-js server on 127.0.0.1 over TLS with the control
// plane's own serving certificate, real per-node credentials in a temp dir, an in-memory identity
// directory, a recording logger and a fresh metrics registry. Not a test file itself.
import { generateKeyPairSync, sign as rsaSign } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { Registry } from 'prom-client';
import type { LogFields, Logger } from '@ambit/core';
import { CertificateAuthority, createCsr, generateKeyPair } from '@ambit/spiffe';
import { caClientConstructor } from '@ambit/xds-types';
import { CaService, type IdentityDirectory } from '../src/ca/ca-service.ts';
import { issueNodeCredentials, NodeTokenAuthenticator } from '../src/ca/credentials.ts';
import { caChannelCredentials, ServingCertificate } from '../src/ca/server-tls.ts';

export const TD = 'cluster.local';
export const ZTUNNEL = `spiffe://${TD}/ns/istio-system/sa/ztunnel`;
export const WEB = `spiffe://${TD}/ns/app/sa/web`;
export const DB = `spiffe://${TD}/ns/app/sa/db`;

export interface LogRecord {
  level: 'debug' | 'info' | 'warn' | 'error';
  fields: LogFields;
  message: string;
}

/** A Logger that keeps every line (with its child bindings) for assertions. */
export class RecordingLogger implements Logger {
  readonly records: LogRecord[];
  readonly #bindings: LogFields;
  constructor(records: LogRecord[] = [], bindings: LogFields = {}) {
    this.records = records;
    this.#bindings = bindings;
  }
  debug(fields: LogFields, message: string): void {
    this.records.push({ level: 'debug', fields: { ...this.#bindings, ...fields }, message });
  }
  info(fields: LogFields, message: string): void {
    this.records.push({ level: 'info', fields: { ...this.#bindings, ...fields }, message });
  }
  warn(fields: LogFields, message: string): void {
    this.records.push({ level: 'warn', fields: { ...this.#bindings, ...fields }, message });
  }
  error(fields: LogFields, message: string): void {
    this.records.push({ level: 'error', fields: { ...this.#bindings, ...fields }, message });
  }
  child(bindings: LogFields): Logger {
    return new RecordingLogger(this.records, { ...this.#bindings, ...bindings });
  }
}

export class MemoryDirectory implements IdentityDirectory {
  readonly byNode = new Map<string, Set<string>>([
    ['node-1', new Set([WEB])],
    ['node-2', new Set([DB])],
  ]);
  identitiesOnNode(node: string): ReadonlySet<string> {
    return this.byNode.get(node) ?? new Set();
  }
}

export interface CaRequest {
  csr: string;
  validity_duration?: string;
  metadata?: { fields: Record<string, unknown> } | null;
}

interface CaClient {
  CreateCertificate(
    request: CaRequest,
    metadata: grpc.Metadata,
    options: grpc.CallOptions,
    callback: (error: grpc.ServiceError | null, response?: { cert_chain: string[] }) => void,
  ): void;
}

export type CallResult = { ok: true; certChain: string[] } | { ok: false; code: grpc.status; details: string };

export interface Harness {
  dir: string;
  authority: CertificateAuthority;
  service: CaService;
  serving: ServingCertificate;
  logger: RecordingLogger;
  registry: Registry;
  directory: MemoryDirectory;
  port: number;
  tokens: Record<string, string>;
  /** A client trusting `rootsPem` (default: the service's bundle now). */
  client(rootsPem?: string): grpc.Client;
  call(client: grpc.Client, request: CaRequest, token?: string | null): Promise<CallResult>;
  /** A fresh key and CSR for `identity`, asked for as node-1 (impersonating unless it is the ztunnel identity). */
  request(identity: string, options?: { ttl?: number; impersonate?: string | null }): Promise<CaRequest>;
  counter(name: string, labels?: Record<string, string>): Promise<number>;
  close(): Promise<void>;
}

export async function startHarness(options: { renewable?: boolean; maxTtlSeconds?: number } = {}): Promise<Harness> {
  const dir = await mkdtemp(join(tmpdir(), 'ambit-ca-test-'));
  const issued = await issueNodeCredentials(join(dir, 'credentials'), ['node-1', 'node-2']);
  const tokens: Record<string, string> = {};
  for (const [node, file] of Object.entries(issued.tokenFiles)) tokens[node] = (await readFile(file, 'utf8')).trim();
  const logger = new RecordingLogger();
  const registry = new Registry();
  const directory = new MemoryDirectory();
  const authenticator = new NodeTokenAuthenticator({ file: issued.nodesFile, logger });
  await authenticator.load();
  const authority = await CertificateAuthority.createSelfSigned({ trustDomain: TD });
  const service = new CaService({
    authority,
    authenticator,
    directory,
    logger,
    registry,
    ...(options.maxTtlSeconds === undefined ? {} : { maxTtlSeconds: options.maxTtlSeconds }),
  });
  const serving = await ServingCertificate.obtain(service, { logger, ipAddresses: ['127.0.0.1'] });
  const server = new grpc.Server();
  service.register(server);
  const credentials = options.renewable ? serving.renewableServerCredentials() : serving.serverCredentials();
  const port = await new Promise<number>((resolve, reject) => {
    server.bindAsync('127.0.0.1:0', credentials, (error, bound) => (error ? reject(error) : resolve(bound)));
  });
  const clients: grpc.Client[] = [];
  const Client = caClientConstructor();

  const harness: Harness = {
    dir,
    authority,
    service,
    serving,
    logger,
    registry,
    directory,
    port,
    tokens,
    client(rootsPem = service.trustBundle().toPem()) {
      const channel = caChannelCredentials(rootsPem, { trustDomain: TD });
      const client = new Client(`127.0.0.1:${port}`, channel.credentials, channel.options);
      clients.push(client);
      return client;
    },
    call(client, request, token = tokens['node-1']) {
      const metadata = new grpc.Metadata();
      if (token !== null && token !== undefined) metadata.set('authorization', `Bearer ${token}`);
      return new Promise<CallResult>((resolve) => {
        const deadline = new Date(Date.now() + 10_000);
        (client as unknown as CaClient).CreateCertificate(request, metadata, { deadline }, (error, response) => {
          if (error) resolve({ ok: false, code: error.code, details: error.details });
          else resolve({ ok: true, certChain: response?.cert_chain ?? [] });
        });
      });
    },
    async request(identity, { ttl = 0, impersonate } = {}) {
      const keys = await generateKeyPair();
      const csr = await createCsr({ identity, keys });
      const asked = impersonate === undefined ? (identity === ZTUNNEL ? null : identity) : impersonate;
      return {
        csr,
        validity_duration: String(ttl),
        metadata: asked === null ? null : { fields: { ImpersonatedIdentity: { stringValue: asked } } },
      };
    },
    async counter(name, labels) {
      const metric = registry.getSingleMetric(name);
      if (!metric) throw new Error(`no metric ${name}`);
      const { values } = await metric.get();
      const wanted = Object.entries(labels ?? {});
      return values.filter((v) => wanted.every(([k, val]) => v.labels[k] === val)).reduce((sum, v) => sum + v.value, 0);
    },
    async close() {
      for (const client of clients) client.close();
      serving.stop();
      await new Promise<void>((resolve) => server.tryShutdown(() => resolve()));
      await rm(dir, { recursive: true, force: true });
    },
  };
  return harness;
}

// --- hand-built DER, for CSRs @ambit/spiffe would never make ---

function der(tag: number, ...parts: Uint8Array[]): Buffer {
  const body = Buffer.concat(parts);
  const n = body.length;
  const length = n < 0x80 ? Buffer.from([n]) : n < 0x100 ? Buffer.from([0x81, n]) : Buffer.from([0x82, n >> 8, n & 0xff]);
  return Buffer.concat([Buffer.from([tag]), length, body]);
}

/** A correctly self-signed PKCS#10 request for an RSA-2048 key with one URI SAN. */
export function rsaCsr(identity: string): string {
  const { publicKey, privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const spki = publicKey.export({ type: 'spki', format: 'der' });
  const sanOid = Buffer.from([0x06, 0x03, 0x55, 0x1d, 0x11]);
  const extensionRequestOid = Buffer.from([0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x09, 0x0e]);
  const sha256WithRsa = Buffer.from([0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x0b]);
  const generalNames = der(0x30, der(0x86, Buffer.from(identity)));
  const extension = der(0x30, sanOid, der(0x01, Buffer.from([0xff])), der(0x04, generalNames));
  const attribute = der(0x30, extensionRequestOid, der(0x31, der(0x30, extension)));
  const info = der(0x30, der(0x02, Buffer.from([0])), der(0x30), spki, der(0xa0, attribute));
  const signature = rsaSign('sha256', info, privateKey);
  const request = der(0x30, info, der(0x30, sha256WithRsa, der(0x05)), der(0x03, Buffer.from([0]), signature));
  return `-----BEGIN CERTIFICATE REQUEST-----\n${request.toString('base64').match(/.{1,64}/g)?.join('\n')}\n-----END CERTIFICATE REQUEST-----\n`;
}

/** The same CSR with the last byte of its signature flipped (still well-formed DER). */
export function flipSignatureByte(pem: string): string {
  const body = pem.replace(/-----(BEGIN|END) CERTIFICATE REQUEST-----/g, '').replace(/\s+/g, '');
  const bytes = Buffer.from(body, 'base64');
  bytes[bytes.length - 1] = (bytes[bytes.length - 1] as number) ^ 0x01;
  return `-----BEGIN CERTIFICATE REQUEST-----\n${bytes.toString('base64').match(/.{1,64}/g)?.join('\n')}\n-----END CERTIFICATE REQUEST-----\n`;
}
