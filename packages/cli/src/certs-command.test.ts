import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, stat, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CertificateAuthority } from '@ambit/spiffe';
import { certsCommand } from './certs-command.ts';

let tmp = '';
before(async () => {
  tmp = await mkdtemp(join(tmpdir(), 'ambit-certs-cli-'));
});
after(async () => {
  await rm(tmp, { recursive: true, force: true });
});

async function run(t: { mock: { method: (o: object, m: string, f: (...a: unknown[]) => void) => unknown } }, argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  t.mock.method(console, 'log', (...a: unknown[]) => void (out += `${a.join(' ')}\n`));
  t.mock.method(console, 'error', (...a: unknown[]) => void (err += `${a.join(' ')}\n`));
  const code = await certsCommand(argv);
  return { code, out, err };
}

test('root then intermediate make a plug-in CA directory the CA loads', async (t) => {
  const rootDir = join(tmp, 'root');
  const r = await run(t, ['root', '--out', rootDir, '--trust-domain', 'mesh.example', '--ttl', '87600h']);
  assert.equal(r.code, 0, r.err);
  assert.equal((await stat(join(rootDir, 'root-key.pem'))).mode & 0o777, 0o600);
  const east = join(tmp, 'east');
  const i = await run(t, ['intermediate', '--out', east, '--root', rootDir, '--cluster', 'east']);
  assert.equal(i.code, 0, i.err);
  assert.match(i.out, /cert-chain.pem/);
  assert.equal((await stat(join(east, 'ca-key.pem'))).mode & 0o777, 0o600);
  const ca = await CertificateAuthority.fromFiles(east);
  assert.equal(ca.trustDomain, 'mesh.example');
  assert.equal(ca.rootPem, await readFile(join(rootDir, 'root-cert.pem'), 'utf8'));
});

const usage: Array<[string, string[], RegExp]> = [
  ['no verb', [], /usage:/],
  ['unknown verb', ['leaf'], /unknown certs command "leaf"/],
  ['missing --out', ['root'], /--out is required/],
  ['unknown flag', ['root', '--out', 'x', '--bogus'], /Unknown option '--bogus'/],
  ['bad --ttl', ['root', '--out', 'x', '--ttl', '10 years'], /--ttl: invalid duration/],
  ['bad trust domain', ['root', '--out', 'DIR', '--trust-domain', 'Upper.Case'], /AMBIT_SPIFFE_BAD_ID/],
  ['missing --cluster', ['intermediate', '--out', 'x', '--root', 'y'], /--cluster is required/],
  ['root directory without files', ['intermediate', '--out', 'DIR', '--root', 'NOWHERE', '--cluster', 'c'], /cannot read .*root-cert.pem.*AMBIT_SPIFFE_CA_FILES/],
  ['bad cluster name', ['intermediate', '--out', 'DIR', '--root', 'ROOT', '--cluster', 'a/b'], /invalid cluster name/],
];
for (const [name, argv, message] of usage) {
  test(`certs: ${name} -> exit 2`, async (t) => {
    const rootDir = join(tmp, `r-${name.replace(/\W+/g, '-')}`);
    if (argv.includes('ROOT')) assert.equal((await run(t, ['root', '--out', rootDir])).code, 0);
    const args = argv.map((a) => (a === 'DIR' ? join(tmp, `o-${name.replace(/\W+/g, '-')}`) : a === 'NOWHERE' ? join(tmp, 'nowhere') : a === 'ROOT' ? rootDir : a));
    const r = await run(t, args);
    assert.equal(r.code, 2);
    assert.match(r.err + r.out, message);
  });
}

test('certs refuses to overwrite existing keys', async (t) => {
  const dir = join(tmp, 'twice');
  assert.equal((await run(t, ['root', '--out', dir])).code, 0);
  const again = await run(t, ['root', '--out', dir]);
  assert.equal(again.code, 2);
  assert.match(again.err, /already exists; refusing to overwrite/);
});
