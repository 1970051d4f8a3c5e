// HBONE benchmark, one process (client and server share the event loop, so numbers are a floor):
//   1. raw TCP loopback throughput (the ceiling),
//   2. HBONE throughput over one CONNECT stream (1 GiB or 10 s, whichever comes first),
//   3. new CONNECT streams per second over a pooled session vs new mTLS connections per second.
// Run: cd /work/main && node_modules/node/bin/node packages/hbone/bench/throughput.ts [seconds=10]
import net, { type AddressInfo, type Socket } from 'node:net';
import { once } from 'node:events';
import type { Writable } from 'node:stream';
import { HbonePool, createHboneServer, type HboneCredentials, type HboneConnectOptions } from '../src/index.ts';
import { CLIENT_ID, issue, newCa, SERVER_ID } from '../test/pki.ts';

const seconds = Number(process.argv[2] ?? 10);
const GiB = 1024 * 1024 * 1024;
const chunk = Buffer.alloc(256 * 1024, 0x5a);

/** A sink on 127.0.0.1 that counts what it reads; resolves bytes when the sender ends. */
async function sink(): Promise<{ port: number; close(): void }> {
  const server = net.createServer({ allowHalfOpen: true }, (socket) => {
    socket.on('error', () => {});
    socket.resume();
    socket.on('end', () => socket.end());
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return { port: (server.address() as AddressInfo).port, close: () => server.close() };
}

/** Writes until limitBytes or limitMs, with backpressure; returns bytes and seconds once the far end closed. */
async function blast(stream: Writable, limitMs: number): Promise<{ bytes: number; secs: number }> {
  const start = performance.now();
  let bytes = 0;
  await new Promise<void>((resolve, reject) => {
    stream.on('error', reject);
    const pump = (): void => {
      while (bytes < GiB && performance.now() - start < limitMs) {
        bytes += chunk.length;
        if (!stream.write(chunk)) {
          stream.once('drain', pump);
          return;
        }
      }
      stream.end();
      resolve();
    };
    pump();
  });
  await once(stream, 'close');
  return { bytes, secs: (performance.now() - start) / 1000 };
}

function dialer(port: number): () => Promise<Socket> {
  return () =>
    new Promise((resolve, reject) => {
      const s = net.connect({ host: '127.0.0.1', port, allowHalfOpen: true }, () => resolve(s));
      s.once('error', reject);
    });
}

const ca = await newCa();
const serverCreds = await issue(ca, SERVER_ID);
const clientCreds: HboneCredentials = await issue(ca, CLIENT_ID);
const target = await sink();
const hbone = createHboneServer({
  credentials: serverCreds,
  onConnect: async (request) => ({ status: 200, upstream: await dialer(request.target.port)() }),
});
const { port } = await hbone.listen({ host: '127.0.0.1', port: 0 });
const options = (): HboneConnectOptions => ({
  key: { sourceIdentity: CLIENT_ID, destinationIdentities: [SERVER_ID], sourceIp: '127.0.0.1', destinationIp: '127.0.0.1' },
  dial: dialer(port),
  credentials: clientCreds,
  authority: `127.0.0.1:${target.port}`,
});

const limitMs = seconds * 1000;
const raw = await blast(await dialer(target.port)(), limitMs);
const rawGBps = raw.bytes / raw.secs / 1e9;

const pool = new HbonePool();
const tunnel = await pool.connect(options());
tunnel.resume();
const hb = await blast(tunnel, limitMs);
const hbGBps = hb.bytes / hb.secs / 1e9;

/** Opens and closes `concurrency` connections at a time for `ms`; returns completed per second. */
async function rate(ms: number, concurrency: number, once1: () => Promise<void>): Promise<number> {
  const start = performance.now();
  let done = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (performance.now() - start < ms) {
        await once1();
        done++;
      }
    }),
  );
  return done / ((performance.now() - start) / 1000);
}

async function streamOnce(p: HbonePool): Promise<void> {
  const s = await p.connect(options());
  s.resume();
  s.end();
  if (!s.closed) await once(s, 'close');
}

const rateMs = Math.min(5000, limitMs / 2);
const pooled = await rate(rateMs, 16, () => streamOnce(pool));
const fresh = await rate(rateMs, 16, async () => {
  const p = new HbonePool();
  try {
    await streamOnce(p);
  } finally {
    await p.close();
  }
});

await pool.close();
await hbone.close({ drainMs: 0 });
target.close();

const f = (n: number, d = 2): string => n.toFixed(d);
console.log(`node ${process.version}, one process, ${seconds}s bounds`);
console.log(`raw TCP loopback      ${f(rawGBps)} GB/s  (${f(raw.bytes / 2 ** 20, 0)} MiB in ${f(raw.secs)} s)`);
console.log(`HBONE one stream      ${f(hbGBps)} GB/s  (${f(hb.bytes / 2 ** 20, 0)} MiB in ${f(hb.secs)} s)  = ${f((hbGBps / rawGBps) * 100, 1)}% of raw TCP`);
console.log(`new streams, pooled   ${f(pooled, 0)} /s`);
console.log(`new mTLS connections  ${f(fresh, 0)} /s`);
console.log(`pooled / new-connection ratio: ${f(pooled / fresh, 1)}x`);
