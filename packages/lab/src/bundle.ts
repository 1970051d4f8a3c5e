// The long-running components the lab starts (control plane, CNI agent, ztunnel, waypoint) run from
// one bundled ES module each, built by esbuild from their .ts entry points when the lab comes up
// (ADR 0008): a process that loads one JavaScript file skips Node's type stripping and the module
// graph of a few hundred files, about 35 MB of resident memory per process at idle.
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { promisify } from 'node:util';
import { isBuiltin } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { Message, Plugin } from 'esbuild';
import { AmbitError } from '@ambit/core';
import type { LabNames } from './names.ts';

const execFileAsync = promisify(execFile);

/** The entry points, as the apps' own main modules (never imported by the lab, only bundled). */
const ENTRY_POINTS = {
  'control-plane': fileURLToPath(new URL('../../control-plane/src/main.ts', import.meta.url)),
  'cni-agent': fileURLToPath(new URL('../../cni-agent/src/main.ts', import.meta.url)),
  ztunnel: fileURLToPath(new URL('../../ztunnel/src/main.ts', import.meta.url)),
  waypoint: fileURLToPath(new URL('../../waypoint/src/main.ts', import.meta.url)),
} as const;

export type Component = keyof typeof ENTRY_POINTS;
/** The module each component's process runs, by component. */
export type ComponentMains = Readonly<Record<Component, string>>;

/** Where a lab keeps its bundles: in its state directory, so they live and die with the lab. */
export function componentMains(names: LabNames): ComponentMains {
  const dir = join(names.stateDir, 'bundles');
  const mains = {} as Record<Component, string>;
  for (const component of Object.keys(ENTRY_POINTS) as Component[]) mains[component] = join(dir, `${component}.mjs`);
  return mains;
}

/**
 * A bundle runs from another directory than its sources, yet code finds files next to itself
 * (the .proto trees, the netns addon, grpc-js's own protos) through import.meta.url, __dirname and
 * __filename. Each module keeps its own values: they become per-module variables holding the
 * source file's location (esbuild renames them apart when it hoists modules into one scope).
 */
const SOURCE_LOCATION: Record<string, string> = {
  'import.meta.url': '__ambit_source_url',
  'import.meta.filename': '__ambit_source_filename',
  'import.meta.dirname': '__ambit_source_dirname',
  __filename: '__ambit_source_filename',
  __dirname: '__ambit_source_dirname',
};

/**
 * A module `x.ts` with a sibling `x.generate.ts` is replaced in the bundle by what that program
 * prints, run now with this runtime: work a module would otherwise do at every start-up is done
 * once per bundle, from the sources of that moment (today: @ambit/xds-types' descriptor.ts, the
 * base .proto files already parsed). Run as .ts, `x.ts` itself is used.
 */
async function generated(generator: string): Promise<string> {
  try {
    return (await execFileAsync(process.execPath, [generator], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 })).stdout;
  } catch (cause) {
    const stderr = (cause as { stderr?: string }).stderr?.trim().split('\n').slice(0, 5).join(' | ');
    throw new Error(`${generator} failed: ${stderr || (cause as Error).message}`, { cause });
  }
}

/** A leading shebang and "use strict" prologue stay first, or the module would lose strict mode. */
const PROLOGUE = /^(#![^\n]*\n)?((?:\s|\/\*[\s\S]*?\*\/|\/\/[^\n]*\n)*(['"])use strict\3;?)?/;

const sourceLocation: Plugin = {
  name: 'ambit-source-location',
  setup(build) {
    build.onLoad({ filter: /\.(?:[cm]?js|[cm]?ts)$/ }, async (args) => {
      const generator = args.path.replace(/\.ts$/, '.generate.ts');
      if (generator !== args.path && existsSync(generator)) return { contents: await generated(generator), loader: 'js' };
      const text = await readFile(args.path, 'utf8');
      const loader = /\.[cm]?ts$/.test(args.path) ? 'ts' : 'js';
      if (!text.includes('import.meta') && !text.includes('__dirname') && !text.includes('__filename')) return { contents: text, loader };
      const declarations = [
        `__ambit_source_url = ${JSON.stringify(pathToFileURL(args.path).href)}`,
        `__ambit_source_filename = ${JSON.stringify(args.path)}`,
        `__ambit_source_dirname = ${JSON.stringify(dirname(args.path))}`,
      ];
      const prologue = PROLOGUE.exec(text)?.[0] ?? '';
      // 'use strict' may end without a semicolon before a line break; one keeps it a directive.
      const end = prologue.endsWith('"') || prologue.endsWith("'") ? ';' : '';
      // On the prologue's line, so line numbers (and the source map) stay those of the file.
      return { contents: `${prologue}${end}var ${declarations.join(', ')};${text.slice(prologue.length)}`, loader };
    });
  },
};

/**
 * Node's built-in modules are loaded with require(), never with an ES import, inside a bundle: an
 * ES import of a built-in reads every export to build its namespace, and reading `node:http`'s
 * lazy WebSocket/MessageEvent getters loads Node's own copy of undici, about 13 MB of resident
 * memory in a process that never uses it. A named import of `node:http` becomes a property read of
 * the required module at the point of use (esbuild's CommonJS interop).
 */
const BUILTINS_BY_REQUIRE = 'ambit-builtin';
const builtinsByRequire: Plugin = {
  name: 'ambit-builtins-by-require',
  setup(build) {
    build.onResolve({ filter: /^[a-z_:/0-9]+$/ }, (args) => {
      if (args.kind !== 'import-statement' && args.kind !== 'dynamic-import') return undefined;
      if (!isBuiltin(args.path)) return undefined;
      return { path: args.path.startsWith('node:') ? args.path : `node:${args.path}`, namespace: BUILTINS_BY_REQUIRE };
    });
    // Its own require() is a 'require-call', which esbuild leaves to Node (platform 'node').
    build.onLoad({ filter: /.*/, namespace: BUILTINS_BY_REQUIRE }, (args) => ({ contents: `module.exports = require(${JSON.stringify(args.path)});`, loader: 'js' }));
  },
};

/**
 * V8 keeps a module's source in memory, as one byte per character only if every character is
 * ASCII: a single 'µ' in a regular expression (esbuild escapes strings, not regular expressions)
 * doubled the ztunnel bundle's 2.7 MB. Every other character becomes its \u escape, which means
 * the same in strings, regular expressions, identifiers and cooked templates (only a template's raw
 * text would differ; esbuild already escapes strings and templates, so these are in regular
 * expressions and comments).
 */
function asciiOnly(text: string): string {
  return text.replace(/[\u0080-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/** CommonJS modules inside the bundle call require() for Node's built-ins (and so does builtinsByRequire). */
const REQUIRE_BANNER = "import { createRequire as __ambitCreateRequire } from 'node:module'; const require = __ambitCreateRequire(import.meta.url);";

/**
 * Bundles every component into `componentMains(names)`, from the sources as they are now, so an
 * edited .ts file is what the next `lab up` runs.
 */
export async function bundleComponents(names: LabNames): Promise<ComponentMains> {
  const mains = componentMains(names);
  await bundleEntries(ENTRY_POINTS, dirname(mains.ztunnel));
  return mains;
}

/**
 * Bundles each entry point (by output name) into `outDir`/<name>.mjs. Throws
 * AMBIT_LAB_BUNDLE_FAILED with esbuild's first errors (file:line:column and text) when a source
 * does not build.
 */
export async function bundleEntries(entryPoints: Readonly<Record<string, string>>, outDir: string): Promise<void> {
  const { build } = await import('esbuild');
  try {
    const result = await build({
      entryPoints: { ...entryPoints },
      outdir: outDir,
      outExtension: { '.js': '.mjs' },
      bundle: true,
      platform: 'node',
      format: 'esm',
      target: 'node24',
      // A linked map: `NODE_OPTIONS=--enable-source-maps` shows .ts lines; without it Node never reads it.
      sourcemap: 'linked',
      define: SOURCE_LOCATION,
      plugins: [sourceLocation, builtinsByRequire],
      banner: { js: REQUIRE_BANNER },
      logLevel: 'silent',
      write: false,
    });
    await mkdir(outDir, { recursive: true });
    await Promise.all(result.outputFiles.map((file) => writeFile(file.path, file.path.endsWith('.mjs') ? asciiOnly(file.text) : file.contents)));
  } catch (cause) {
    const errors = (cause as { errors?: Message[] }).errors ?? [];
    const first = errors.slice(0, 3).map(formatMessage);
    throw new AmbitError('AMBIT_LAB_BUNDLE_FAILED', `cannot bundle ${Object.keys(entryPoints).join(', ')}: ${first.length > 0 ? first.join('; ') : (cause as Error).message}`, {
      cause,
      hint: 'fix the source (`pnpm exec tsc -b` shows type errors too) and run `ambit lab up` again',
      details: { errors: errors.length },
    });
  }
}

function formatMessage(message: Message): string {
  const where = message.location ? `${message.location.file}:${message.location.line}:${message.location.column + 1}: ` : '';
  return `${where}${message.text}`;
}
