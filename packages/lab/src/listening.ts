// Readiness from the kernel's own socket tables: a pod is serving when its process has a listening
// TCP socket (and a bound UDP socket) on every declared port. /proc/<pid>/net/* shows the tables of
// the process's network namespace, so this needs no tool inside the pod.
import { readFile } from 'node:fs/promises';

const TCP_LISTEN = '0A';
const UDP_UNCONNECTED = '07';

/** Local ports in a given state from a /proc/net/{tcp,tcp6,udp,udp6} table. */
export function parseSocketTable(text: string, state: string): Set<number> {
  const ports = new Set<number>();
  for (const line of text.split('\n').slice(1)) {
    const fields = line.trim().split(/\s+/);
    const local = fields[1];
    if (!local || fields[3] !== state) continue;
    const port = parseInt(local.slice(local.lastIndexOf(':') + 1), 16);
    if (Number.isInteger(port)) ports.add(port);
  }
  return ports;
}

async function table(pid: number, name: string): Promise<string> {
  try {
    return await readFile(`/proc/${pid}/net/${name}`, 'utf8');
  } catch {
    return '';
  }
}

export async function listeningPorts(pid: number): Promise<{ tcp: Set<number>; udp: Set<number> }> {
  const [tcp4, tcp6, udp4, udp6] = await Promise.all([table(pid, 'tcp'), table(pid, 'tcp6'), table(pid, 'udp'), table(pid, 'udp6')]);
  const tcp = new Set([...parseSocketTable(tcp4, TCP_LISTEN), ...parseSocketTable(tcp6, TCP_LISTEN)]);
  const udp = new Set([...parseSocketTable(udp4, UDP_UNCONNECTED), ...parseSocketTable(udp6, UDP_UNCONNECTED)]);
  return { tcp, udp };
}
