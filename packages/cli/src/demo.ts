// `ambit demo`: brings up examples/production in a lab, probes every flow of its expectations
// file from inside the source pods, prints each verdict, and exits 1 on any mismatch.
import { parseArgs } from 'node:util';
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import { formatDuration } from '@ambit/core';
import { labUp, labDown, labProbe, type ProbeSpec } from '@ambit/lab';
import { EXIT, UsageError } from './exit-codes.ts';
import { table } from './format.ts';

const EXAMPLE = fileURLToPath(new URL('../../../examples/production/', import.meta.url));

interface Check {
  from: string;
  to: string;
  protocol?: 'TCP' | 'UDP';
  http?: string;
  /** HTTP method of an `http` check (GET when absent). */
  method?: string;
  expect: 'connected' | 'refused';
  /** For a connected HTTP check: the status that must come back (a waypoint's 403, say). */
  status?: number;
  why: string;
}

function parseChecks(text: string, file: string): Check[] {
  const doc = parse(text) as { checks?: unknown };
  if (!Array.isArray(doc?.checks)) throw new UsageError(`${file}: expected a "checks" list`);
  return doc.checks.map((c: unknown, i: number) => {
    const check = c as Partial<Check>;
    if (typeof check.from !== 'string' || typeof check.to !== 'string' || (check.expect !== 'connected' && check.expect !== 'refused')) {
      throw new UsageError(`${file}: checks[${i}] needs from, to and expect (connected|refused)`);
    }
    if (check.status !== undefined && (!check.http || check.expect !== 'connected' || !Number.isInteger(check.status))) {
      throw new UsageError(`${file}: checks[${i}].status needs an http check expected to connect, and an integer status`);
    }
    return { ...check, why: check.why ?? '' } as Check;
  });
}

export async function demoCommand(argv: string[]): Promise<number> {
  const { values } = parseArgs({ args: argv, options: { keep: { type: 'boolean' }, name: { type: 'string', default: 'demo' }, nodes: { type: 'string', default: '2' } } });
  const name = String(values.name);
  const expectationsFile = `${EXAMPLE}expectations.yaml`;
  const checks = parseChecks(await readFile(expectationsFile, 'utf8'), expectationsFile);
  const started = Date.now();
  console.log(`demo: starting lab "${name}" with examples/production/manifests ...`);
  const status = await labUp({ name, nodes: Number(values.nodes), files: [`${EXAMPLE}manifests`] });
  console.log(`demo: lab up in ${formatDuration(Date.now() - started)}: ${status.nodes.length} nodes, ${status.pods.length} pods`);
  let mismatches = 0;
  try {
    const rows: string[][] = [];
    const results = await Promise.all(
      checks.map(async (check) => {
        const spec: ProbeSpec = { to: check.to, protocol: check.protocol ?? 'TCP', timeoutMs: 2000 };
        if (check.http) spec.http = { path: check.http, method: (check.method ?? 'GET').toUpperCase(), headers: {} };
        return { check, result: await labProbe(name, check.from, spec) };
      }),
    );
    for (const { check, result } of results) {
      const got = result.connected ? (check.http && result.status !== null ? `connected ${result.status}` : 'connected') : 'refused';
      const expected = check.status !== undefined ? `connected ${check.status}` : check.expect;
      const ok = check.status !== undefined ? result.connected && result.status === check.status : (result.connected ? 'connected' : 'refused') === check.expect;
      if (!ok) mismatches++;
      const what = `${check.http ? `${(check.method ?? 'GET').toUpperCase()} ${check.http} ` : ''}${check.to}`;
      rows.push([ok ? 'ok' : 'MISMATCH', check.from, what, got + (result.server ? ` (${result.server})` : result.error ? ` (${result.error})` : ''), expected, check.why]);
    }
    console.log(table(['VERDICT', 'FROM', 'TO', 'GOT', 'EXPECTED', 'WHY'], rows));
  } finally {
    if (!values.keep) {
      await labDown(name);
      console.log(`demo: lab "${name}" removed`);
    } else console.log(`demo: lab "${name}" kept running; remove it with "ambit lab down --name ${name}"`);
  }
  console.log(mismatches === 0 ? `demo: all ${checks.length} checks passed` : `demo: ${mismatches} of ${checks.length} checks did not match`);
  return mismatches === 0 ? EXIT.ok : EXIT.failed;
}
