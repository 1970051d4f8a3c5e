// CSR signing throughput on one core: inspectCsr (parse, checks, signature) + CertificateAuthority.sign.
// Not a test. Run: cd /work/main && node_modules/node/bin/node packages/spiffe/bench/sign.ts [seconds]
import { CertificateAuthority, createCsr, generateKeyPair, inspectCsr } from '../src/index.ts';

const seconds = Number(process.argv[2] ?? 3);
const ca = await CertificateAuthority.createSelfSigned({ trustDomain: 'cluster.local' });
const csrs: string[] = [];
for (let i = 0; i < 64; i++) {
  csrs.push(await createCsr({ identity: `spiffe://cluster.local/ns/bench/sa/sa-${i}`, keys: await generateKeyPair() }));
}
// Warm up (JIT, key imports) before measuring.
for (const csr of csrs.slice(0, 16)) {
  const info = await inspectCsr(csr);
  await ca.sign({ publicKey: info.publicKey, identity: info.identities[0] as string, ttlSeconds: 86_400 });
}
let count = 0;
const started = process.hrtime.bigint();
const deadline = started + BigInt(Math.round(seconds * 1e9));
while (process.hrtime.bigint() < deadline) {
  const info = await inspectCsr(csrs[count % csrs.length] as string);
  await ca.sign({ publicKey: info.publicKey, identity: info.identities[0] as string, ttlSeconds: 86_400 });
  count++;
}
const elapsed = Number(process.hrtime.bigint() - started) / 1e9;
console.log(`${count} CSRs inspected and signed in ${elapsed.toFixed(2)}s: ${(count / elapsed).toFixed(0)} signatures/s on one core (node ${process.version})`);
