// Makes Istio's plug-in CA files with @ambit/spiffe. Never commit what it writes (certs/.gitignore).
//   node_modules/node/bin/node certs/make-plugin-ca.ts root --out DIR [--trust-domain TD]
//   node_modules/node/bin/node certs/make-plugin-ca.ts intermediate --out DIR --root-dir DIR --cluster NAME
import { parseArgs } from 'node:util';
import { makeIntermediateCa, makeRootCa, readRootFiles, writeNewPluginFiles, writeRootFiles } from '../packages/spiffe/src/index.ts';

const USAGE = `usage:
  make-plugin-ca.ts root --out DIR [--trust-domain TD]
  make-plugin-ca.ts intermediate --out DIR --root-dir DIR --cluster NAME`;

function fail(message: string): never {
  console.error(`error: ${message}\n${USAGE}`);
  process.exit(2);
}

const [verb, ...rest] = process.argv.slice(2);
let values: { out?: string | undefined; cluster?: string | undefined; 'root-dir'?: string | undefined; 'trust-domain'?: string | undefined };
try {
  values = parseArgs({
    args: rest,
    options: { out: { type: 'string' }, cluster: { type: 'string' }, 'root-dir': { type: 'string' }, 'trust-domain': { type: 'string' } },
    strict: true,
  }).values;
} catch (error) {
  fail((error as Error).message);
}
if (!values.out) fail('--out DIR is required');

try {
  if (verb === 'root') {
    const trustDomain = values['trust-domain'];
    await writeRootFiles(values.out, await makeRootCa(trustDomain === undefined ? {} : { trustDomain }));
    process.stdout.write(`root CA written to ${values.out} (root-cert.pem, root-key.pem); keep root-key.pem offline\n`);
  } else if (verb === 'intermediate') {
    if (!values['root-dir'] || !values.cluster) fail('intermediate needs --root-dir DIR and --cluster NAME');
    const files = await makeIntermediateCa({ root: await readRootFiles(values['root-dir']), cluster: values.cluster });
    await writeNewPluginFiles(values.out, files);
    process.stdout.write(`plug-in CA for cluster "${values.cluster}" written to ${values.out} (ca-cert.pem, ca-key.pem, cert-chain.pem, root-cert.pem)\n`);
  } else {
    fail(`expected "root" or "intermediate", got ${verb === undefined ? 'nothing' : `"${verb}"`}`);
  }
} catch (error) {
  const e = error as Error & { describe?: () => string };
  console.error(`error: ${typeof e.describe === 'function' ? e.describe() : e.message}`);
  process.exit(2);
}
