// The probe as a process, run by the lab inside a source pod's network namespace
// (`ip netns exec`), so names resolve through the pod's resolv.conf:
//   node probe-main.ts '{"from":"ns/pod","probes":[{"to":"HOST:PORT","protocol":"TCP","timeoutMs":1000}]}'
//   node probe-main.ts - < request.json
// Prints one JSON array of results on stdout (one per probe, in order) and exits 0; bad input
// exits 2 with the problems on stderr. A watchdog bounds the whole run: with at most 64 probes the
// process ends within max(timeoutMs) + 1 s.

// dns.lookup runs on libuv's thread pool (4 threads by default); probes of names whose DNS is
// blocked would queue behind each other. Must be set before the pool starts.
process.env['UV_THREADPOOL_SIZE'] ??= '16';

import { errorMessage } from '@ambit/core';
import { DEFAULT_CONCURRENCY, runProbes } from './probe.ts';
import { parseProbeRequest } from './probe-request.ts';
import type { ProbeResult } from './probe-types.ts';

const MAX_INPUT_BYTES = 4 * 1024 * 1024;
const STDIN_TIMEOUT_MS = 5000;
const SLACK_MS = 1000;

function usage(problems: string[]): never {
  for (const problem of problems) console.error(`probe: ${problem}`);
  console.error('usage: probe-main.ts REQUEST_JSON | -   (request on stdin)');
  process.exit(2);
}

function readStdin(): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const timer = setTimeout(() => reject(new Error(`no end of input on stdin within ${STDIN_TIMEOUT_MS}ms`)), STDIN_TIMEOUT_MS);
    process.stdin.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_INPUT_BYTES) {
        clearTimeout(timer);
        reject(new Error(`request larger than ${MAX_INPUT_BYTES} bytes`));
        return;
      }
      chunks.push(chunk);
    });
    process.stdin.on('end', () => {
      clearTimeout(timer);
      resolve(Buffer.concat(chunks).toString('utf8'));
    });
    process.stdin.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
  });
}

// Exactly one JSON array is printed, whichever comes first: the watchdog or the last probe.
// Under load the watchdog can fire while the last write still waits to be flushed; printing
// twice then sent two arrays and the lab could not parse them (seen in the 100-pod benchmark).
let printed = false;
function print(results: readonly ProbeResult[]): void {
  if (printed) return;
  printed = true;
  process.stdout.write(`${JSON.stringify(results)}\n`, () => process.exit(0));
}

const source = process.argv[2];
if (source === undefined) usage(['missing the request (a JSON argument, or - to read stdin)']);
let text: string;
try {
  text = source === '-' ? await readStdin() : source;
} catch (error) {
  usage([errorMessage(error)]);
}
let json: unknown;
try {
  json = JSON.parse(text);
} catch (error) {
  usage([`request is not JSON: ${errorMessage(error)}`]);
}
const parsed = parseProbeRequest(json);
if (!parsed.ok) usage(parsed.problems);
const request = parsed.value;

// Results so far; a probe still running when the watchdog fires is reported as a timeout.
const results: ProbeResult[] = request.probes.map((spec) => ({
  from: request.from,
  to: spec.to,
  protocol: spec.protocol,
  connected: false,
  status: null,
  server: null,
  error: 'timeout',
}));
const maxTimeout = Math.max(0, ...request.probes.map((spec) => spec.timeoutMs));
const rounds = Math.max(1, Math.ceil(request.probes.length / DEFAULT_CONCURRENCY));
setTimeout(() => print(results), maxTimeout * rounds + SLACK_MS).unref();
await runProbes(request, { onResult: (index, result) => (results[index] = result) });
print(results);
