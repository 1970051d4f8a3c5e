// The bundler keeps every module's own location (import.meta.url, __dirname, __filename point at
// the source file, not at the bundle), keeps CommonJS modules strict, loads built-ins with require,
// writes ASCII only, and reports a source that does not build with its file and line.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { bundleEntries, componentMains } from './bundle.ts';
import { labNames } from './names.ts';

const dir = mkdtempSync(join(tmpdir(), 'ambit-bundle-'));
after(() => rmSync(dir, { recursive: true, force: true }));

function write(path: string, text: string): string {
  const full = join(dir, path);
  mkdirSync(join(full, '..'), { recursive: true });
  writeFileSync(full, text);
  return full;
}

test('each module keeps its own import.meta.url, __dirname and __filename; CommonJS stays strict', async () => {
  write('src/a/here.ts', 'export const here: string = import.meta.url;\n');
  write('src/b/here.ts', 'export const here: string = import.meta.url;\nexport const text = "import.meta.url";\n');
  // No semicolon after the directive: the module must stay strict (an assignment to an undeclared name throws).
  write('src/c/legacy.cjs', "/* licence */\n'use strict'\nexports.dir = __dirname;\nexports.file = __filename;\nexports.strict = (function () { return this === undefined; })();\n");
  const main = write(
    'src/main.ts',
    [
      "import { here as a } from './a/here.ts';",
      "import { here as b, text } from './b/here.ts';",
      "import legacy from './c/legacy.cjs';",
      'console.log(JSON.stringify({ a, b, text, main: import.meta.url, legacy }));',
    ].join('\n'),
  );
  await bundleEntries({ probe: main }, join(dir, 'out'));
  const printed = JSON.parse(execFileSync(process.execPath, [join(dir, 'out', 'probe.mjs')], { encoding: 'utf8' })) as Record<string, unknown>;
  assert.deepEqual(printed, {
    a: pathToFileURL(join(dir, 'src/a/here.ts')).href,
    b: pathToFileURL(join(dir, 'src/b/here.ts')).href,
    text: 'import.meta.url',
    main: pathToFileURL(main).href,
    legacy: { dir: join(dir, 'src/c'), file: join(dir, 'src/c/legacy.cjs'), strict: true },
  });
});

test('built-ins are required, not imported: node:http leaves Node\'s undici unloaded; named and default imports work', async () => {
  const main = write(
    'builtins/main.ts',
    [
      "import { createServer, STATUS_CODES } from 'node:http';",
      "import fs from 'node:fs';",
      "import * as path from 'path';",
      'console.log(JSON.stringify({',
      "  undici: process.moduleLoadList.includes('NativeModule internal/deps/undici/undici'),",
      "  createServer: typeof createServer, notFound: STATUS_CODES[404], readFileSync: typeof fs.readFileSync, join: path.join('a', 'b'),",
      '}));',
    ].join('\n'),
  );
  await bundleEntries({ builtins: main }, join(dir, 'out-builtins'));
  const printed = JSON.parse(execFileSync(process.execPath, [join(dir, 'out-builtins', 'builtins.mjs')], { encoding: 'utf8' })) as Record<string, unknown>;
  assert.deepEqual(printed, { undici: false, createServer: 'function', notFound: 'Not Found', readFileSync: 'function', join: 'a/b' });
});

test('the bundle is ASCII (V8 keeps it one byte per character) and non-ASCII characters keep their meaning', async () => {
  const main = write('ascii/main.ts', "const unit = /^(\\d+)(µs|ms)$/;\nconsole.log(JSON.stringify({ m: unit.exec('12µs')?.[2] ?? null, s: 'héllo ✓', t: `π=${'π'.length}` }));\n");
  await bundleEntries({ ascii: main }, join(dir, 'out-ascii'));
  const output = join(dir, 'out-ascii', 'ascii.mjs');
  assert.doesNotMatch(readFileSync(output, 'utf8'), /[\u0080-\uffff]/);
  assert.deepEqual(JSON.parse(execFileSync(process.execPath, [output], { encoding: 'utf8' })), { m: 'µs', s: 'héllo ✓', t: 'π=1' });
});

test('a source that does not build: AMBIT_LAB_BUNDLE_FAILED naming the file, line and problem', async () => {
  const main = write('bad/main.ts', "import { missing } from './nowhere.ts';\nconsole.log(missing);\n");
  await assert.rejects(bundleEntries({ bad: main }, join(dir, 'out-bad')), (error: Error & { code?: string }) => {
    assert.equal(error.code, 'AMBIT_LAB_BUNDLE_FAILED');
    assert.match(error.message, /bad\/main\.ts:1:\d+: Could not resolve "\.\/nowhere\.ts"/);
    return true;
  });
});

test('the bundles live in the lab state directory, one module per component', () => {
  const mains = componentMains(labNames('demo'));
  assert.deepEqual(Object.keys(mains).sort(), ['cni-agent', 'control-plane', 'waypoint', 'ztunnel']);
  for (const [component, main] of Object.entries(mains)) assert.equal(main, `${labNames('demo').stateDir}/bundles/${component}.mjs`);
});
