// CA throughput: CSRs signed per second through the real gRPC path (TLS on 127.0.0.1, bearer
// credential, every gate of CreateCertificate) with 8 calls in flight, against raw
// CertificateAuthority.sign() per second, printed as a ratio.
//
//   cd /work/main && taskset -c 0 node_modules/node/bin/node packages/control-plane/bench/ca-sign.ts [seconds-per-phase=2] [rounds=5]
//
// `taskset -c 0` pins the process and all its threads (libuv's pool runs WebCrypto) to one core, so
// the numbers are per core; without taskset the pool spreads over every core. Client and server
// share the process and the core, as ztunnel and istiod would not: the gRPC figure includes the
// client's half (serialisation, TLS), which makes it a lower bound for the server alone.
// CSRs and keys are made before the clock starts.
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { Registry } from 'prom-client';
import { silentLogger } from '@ambit/core';
import { CertificateAuthority, createCsr, generateKeyPair } from '@ambit/spiffe';
import { caClientConstructor } from '@ambit/xds-types';
import { CaService } from '../src/ca/ca-service.ts';
import { issueNodeCredentials, NodeTokenAuthenticator } from '../src/ca/credentials.ts';
import { caChannelCredentials, ServingCertificate } from '../src/ca/server-tls.ts';

const SECONDS = Number(process.argv[2] ?? 2);
const ROUNDS = Number(process.argv[3] ?? 5);
const IN_FLIGHT = 8;
const TD = 'cluster.local';
const WEB = `spiffe://${TD}/ns/app/sa/web`;
const POOL = 64;

interface CaClient {
  CreateCertificate(request: unknown, metadata: grpc.Metadata, callback: (error: grpc.ServiceError | null, response?: { cert_chain: string[] }) => void): void;
}

/** Runs `op` with IN_FLIGHT concurrent loops for SECONDS; returns completed operations per second. */
async function rate(op: (i: number) => Promise<void>): Promise<number> {
  const end = performance.now() + SECONDS * 1000;
  let done = 0;
  const start = performance.now();
  await Promise.all(
    Array.from({ length: IN_FLIGHT }, async (_, worker) => {
      for (let i = worker; performance.now() < end; i += IN_FLIGHT) {
        await op(i);
        done++;
      }
    }),
  );
  return done / ((performance.now() - start) / 1000);
}

const dir = await mkdtemp(join(tmpdir(), 'ambit-ca-bench-'));
try {
  const issued = await issueNodeCredentials(dir, ['node-1']);
  const token = (await readFile(issued.tokenFiles['node-1'] as string, 'utf8')).trim();
  const authenticator = new NodeTokenAuthenticator({ file: issued.nodesFile, logger: silentLogger });
  await authenticator.load();
  const authority = await CertificateAuthority.createSelfSigned({ trustDomain: TD });
  const service = new CaService({
    authority,
    authenticator,
    directory: { identitiesOnNode: () => new Set([WEB]) },
    logger: silentLogger,
    registry: new Registry(),
  });
  const serving = await ServingCertificate.obtain(service, { logger: silentLogger });
  const server = new grpc.Server();
  service.register(server);
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync('127.0.0.1:0', serving.serverCredentials(), (e, p) => (e ? reject(e) : resolve(p))),
  );
  const channel = caChannelCredentials(service.trustBundle().toPem(), { trustDomain: TD });
  const client = new (caClientConstructor())(`127.0.0.1:${port}`, channel.credentials, channel.options) as unknown as CaClient & grpc.Client;

  const keys = await Promise.all(Array.from({ length: POOL }, () => generateKeyPair()));
  const requests = await Promise.all(
    keys.map(async (k) => ({ csr: await createCsr({ identity: WEB, keys: k }), validity_duration: '86400', metadata: { fields: { ImpersonatedIdentity: { stringValue: WEB } } } })),
  );
  const metadata = new grpc.Metadata();
  metadata.set('authorization', `Bearer ${token}`);

  const call = (i: number) =>
    new Promise<void>((resolve, reject) =>
      client.CreateCertificate(requests[i % POOL], metadata, (error, response) => (error ? reject(error) : response?.cert_chain.length ? resolve() : reject(new Error('empty chain')))),
    );
  for (let i = 0; i < 50; i++) await call(i); // warm-up: TLS handshake, JIT

  const phases = {
    raw: (i: number) => authority.sign({ publicKey: (keys[i % POOL] as (typeof keys)[number]).publicKey, identity: WEB, ttlSeconds: 86_400 }).then(() => undefined),
    direct: async (i: number) => {
      const result = await service.createCertificate(requests[i % POOL], metadata);
      if (!result.ok) throw new Error(result.message);
    },
    grpc: call,
  };
  // Interleaved rounds, medians: a shared machine's load drifts, and it should hit every phase alike.
  const samples: Record<keyof typeof phases, number[]> = { raw: [], direct: [], grpc: [] };
  const ratios: number[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    for (const name of Object.keys(phases) as Array<keyof typeof phases>) samples[name].push(await rate(phases[name]));
    ratios.push((samples.grpc.at(-1) as number) / (samples.raw.at(-1) as number));
  }
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;
  const raw = median(samples.raw);
  const direct = median(samples.direct);
  const viaGrpc = median(samples.grpc);

  const f = (n: number) => n.toFixed(0).padStart(7);
  process.stdout.write(`CA signing, ${IN_FLIGHT} in flight, ${ROUNDS} interleaved rounds of ${SECONDS}s per phase (medians), on ${availableParallelism()} core(s) (1 under taskset -c 0)\n`);
  process.stdout.write(`  raw CertificateAuthority.sign()        ${f(raw)} /s\n`);
  process.stdout.write(`  CaService.createCertificate (no gRPC)  ${f(direct)} /s   (${(direct / raw).toFixed(2)} x raw)\n`);
  process.stdout.write(`  gRPC CreateCertificate over TLS        ${f(viaGrpc)} /s   (${(viaGrpc / raw).toFixed(2)} x raw; median per-round ratio ${median(ratios).toFixed(2)})\n`);
  client.close();
  serving.stop();
  await new Promise<void>((resolve) => server.tryShutdown(() => resolve()));
} finally {
  await rm(dir, { recursive: true, force: true });
}
