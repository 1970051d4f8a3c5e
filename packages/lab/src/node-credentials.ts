// The lab issues each node its own bearer credential for the control plane (xDS and CA), as a
// Kubernetes cluster gives each ztunnel a projected service-account token: `<node>.token` (0600)
// for the node's ztunnel, and `nodes.json` with only the tokens' sha256 hashes for the control
// plane. The file format is the contract with the control plane's NodeTokenAuthenticator.
import { createHash, randomBytes } from 'node:crypto';
import { chmod, mkdir, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

async function writePrivate(file: string, text: string): Promise<void> {
  const tmp = `${file}.${process.pid}.tmp`;
  await writeFile(tmp, text, { mode: 0o600 });
  await chmod(tmp, 0o600);
  await rename(tmp, file);
}

export async function issueNodeCredentials(dir: string, nodes: readonly string[]): Promise<{ nodesFile: string; tokenFiles: Record<string, string> }> {
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const hashes: Record<string, string> = {};
  const tokenFiles: Record<string, string> = {};
  for (const node of nodes) {
    const token = randomBytes(32).toString('hex');
    const file = join(dir, `${node}.token`);
    await writePrivate(file, `${token}\n`);
    hashes[createHash('sha256').update(token, 'utf8').digest('hex')] = node;
    tokenFiles[node] = file;
  }
  const nodesFile = join(dir, 'nodes.json');
  await writePrivate(nodesFile, `${JSON.stringify({ nodes: hashes }, null, 2)}\n`);
  return { nodesFile, tokenFiles };
}
