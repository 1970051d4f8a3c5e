// Command-line arguments of server-main.ts, validated into a result listing every problem. Pure.
//   --pod NS/NAME --node NODE [--tcp 80,81] [--udp 53] [--host 0.0.0.0]
// Each flag takes `--flag value` or `--flag=value`; --tcp and --udp may repeat.
import type { ParseResult } from './parse-result.ts';

export interface ServerArgs {
  pod: string;
  node: string;
  tcp: number[];
  udp: number[];
  host: string;
}

export const SERVER_USAGE = 'usage: server-main.ts --pod NS/NAME --node NODE [--tcp PORT,PORT...] [--udp PORT,PORT...] [--host ADDRESS]';

const POD = /^[a-z0-9]([-a-z0-9.]*[a-z0-9])?\/[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/;

function parsePorts(flag: string, texts: readonly string[], problems: string[]): number[] {
  const ports: number[] = [];
  for (const part of texts.flatMap((text) => text.split(','))) {
    const trimmed = part.trim();
    const port = Number(trimmed);
    if (!/^\d+$/.test(trimmed) || port > 65535) {
      problems.push(`${flag}: "${trimmed}" is not a port (expected an integer 0..65535)`);
    } else if (ports.includes(port) && port !== 0) {
      problems.push(`${flag}: port ${port} is listed twice`);
    } else {
      ports.push(port);
    }
  }
  return ports;
}

export function parseServerArgs(argv: readonly string[]): ParseResult<ServerArgs> {
  const problems: string[] = [];
  const values = new Map<string, string[]>();
  const known = ['--pod', '--node', '--tcp', '--udp', '--host'];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] ?? '';
    const eq = arg.indexOf('=');
    const flag = arg.startsWith('--') && eq !== -1 ? arg.slice(0, eq) : arg;
    if (!known.includes(flag)) {
      problems.push(`unknown argument "${arg}"`);
      continue;
    }
    let value: string | undefined;
    if (flag !== arg) value = arg.slice(eq + 1);
    else value = argv[++i];
    if (value === undefined || value === '') {
      problems.push(`${flag} needs a value`);
      continue;
    }
    values.set(flag, [...(values.get(flag) ?? []), value]);
  }
  const single = (flag: string): string | undefined => {
    const list = values.get(flag) ?? [];
    if (list.length > 1) problems.push(`${flag} given ${list.length} times`);
    return list[0];
  };
  const pod = single('--pod');
  const node = single('--node');
  const host = single('--host') ?? '0.0.0.0';
  if (pod === undefined) problems.push('--pod NS/NAME is required');
  else if (!POD.test(pod)) problems.push(`--pod: "${pod}" is not NAMESPACE/NAME`);
  if (node === undefined) problems.push('--node NODE is required');
  const tcp = parsePorts('--tcp', values.get('--tcp') ?? [], problems);
  const udp = parsePorts('--udp', values.get('--udp') ?? [], problems);
  if (!values.has('--tcp') && !values.has('--udp')) problems.push('give at least one --tcp or --udp port');
  if (problems.length > 0 || pod === undefined || node === undefined) return { ok: false, problems };
  return { ok: true, value: { pod, node, tcp, udp, host } };
}
