// The C side of the benchmark: the origin every path talks to (haproxy answering `GET /` with a
// 1 KiB body, one thread) and the C reference for the ztunnel pair, two haproxy processes doing
// the same L4 job over mutual TLS 1.3 with ECDSA P-256 certificates (outbound: plain TCP in the
// client pod, mTLS out; inbound: mTLS in the server pod, plain to 127.0.0.1), one thread each.
import { spawn } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

export const ORIGIN_PORT = 8080;
export const IPERF_PORT = 5201;
/** haproxy pair: outbound listeners in the client pod (127.0.0.1) and inbound TLS ports in the server pod */
export const PAIR = { httpOut: 18080, iperfOut: 15201, httpIn: 18443, iperfIn: 15443 } as const;
const SERVER_NAME = 'server.bench.ambit';

function openssl(args: readonly string[], cwd: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn('openssl', [...args], { cwd, stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    child.stderr.on('data', (c: Buffer) => (err += c.toString('utf8')));
    const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
    child.once('error', reject);
    child.once('exit', (code) => {
      clearTimeout(timer);
      if (code === 0) resolve();
      else reject(new Error(`openssl ${args.join(' ')} exited ${code}: ${err}`));
    });
  });
}

/** A throwaway P-256 CA and a server and a client leaf (SPIFFE URI SANs like the mesh's), in `dir`. */
export async function makeCertificates(dir: string): Promise<void> {
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes'];
  await openssl(['req', '-x509', ...ec, '-keyout', 'ca.key', '-out', 'ca.pem', '-days', '2', '-subj', '/O=ambit-bench/CN=bench-ca'], dir);
  for (const [name, san] of [
    ['server', `DNS:${SERVER_NAME},URI:spiffe://cluster.local/ns/direct/sa/server`],
    ['client', 'URI:spiffe://cluster.local/ns/direct/sa/client'],
  ] as const) {
    await openssl(['req', ...ec, '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', `/O=ambit-bench/CN=${name}`], dir);
    await writeFile(join(dir, `${name}.ext`), `subjectAltName=${san}\nextendedKeyUsage=serverAuth,clientAuth\n`);
    await openssl(['x509', '-req', '-in', `${name}.csr`, '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial', '-days', '2', '-out', `${name}.crt`, '-extfile', `${name}.ext`], dir);
  }
  // haproxy wants certificate and key in one PEM file.
  for (const name of ['server', 'client']) {
    const pem = (await readFile(join(dir, `${name}.crt`), 'utf8')) + (await readFile(join(dir, `${name}.key`), 'utf8'));
    await writeFile(join(dir, `${name}.pem`), pem);
  }
}

const GLOBAL = `global
  nbthread 1
  maxconn 4000
  ssl-default-bind-options ssl-min-ver TLSv1.3
  ssl-default-server-options ssl-min-ver TLSv1.3
defaults
  timeout connect 5s
  timeout client 60s
  timeout server 60s
`;

/** The origin: `GET /` answers 200 with a 1 KiB body; one thread. */
export async function writeOriginConfig(dir: string): Promise<string> {
  await writeFile(join(dir, 'body-1k.txt'), 'x'.repeat(1024));
  const file = join(dir, 'origin.cfg');
  await writeFile(
    file,
    `${GLOBAL}frontend origin
  mode http
  bind :${ORIGIN_PORT}
  http-request return status 200 content-type text/plain file ${join(dir, 'body-1k.txt')}
`,
  );
  return file;
}

/** Outbound half of the pair, in the client pod: plain TCP on 127.0.0.1 in, mTLS to the server pod out. */
export async function writeOutboundConfig(dir: string, serverIp: string): Promise<string> {
  const file = join(dir, 'pair-outbound.cfg');
  const tls = `ssl crt ${join(dir, 'client.pem')} ca-file ${join(dir, 'ca.pem')} verify required verifyhost ${SERVER_NAME} sni str(${SERVER_NAME})`;
  await writeFile(
    file,
    `${GLOBAL}listen http-out
  mode tcp
  bind 127.0.0.1:${PAIR.httpOut}
  server s ${serverIp}:${PAIR.httpIn} ${tls}
listen iperf-out
  mode tcp
  bind 127.0.0.1:${PAIR.iperfOut}
  server s ${serverIp}:${PAIR.iperfIn} ${tls}
`,
  );
  return file;
}

/** Inbound half of the pair, in the server pod: mTLS in (client certificate required), plain TCP to 127.0.0.1. */
export async function writeInboundConfig(dir: string): Promise<string> {
  const file = join(dir, 'pair-inbound.cfg');
  const tls = `ssl crt ${join(dir, 'server.pem')} ca-file ${join(dir, 'ca.pem')} verify required`;
  await writeFile(
    file,
    `${GLOBAL}listen http-in
  mode tcp
  bind :${PAIR.httpIn} ${tls}
  server o 127.0.0.1:${ORIGIN_PORT}
listen iperf-in
  mode tcp
  bind :${PAIR.iperfIn} ${tls}
  server o 127.0.0.1:${IPERF_PORT}
`,
  );
  return file;
}
