// The long-running components the lab starts (control plane, CNI agent, ztunnel, waypoint) run from
// one bundled ES module each, built by esbuild from their .ts entry points when the lab comes up
// (ADR 0008): a process that loads one JavaScript file skips Node's type stripping and the module
// graph of a few hundred files, about 35 MB of resident memory per process at idle.
import { readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { Message, Plugin } from 'esbuild';
import { AmbitError } from '@ambit/core';
import type { LabNames } from './names.ts';

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

/** A leading shebang and "use strict" prologue stay first, or the module would lose strict mode. */
const PROLOGUE = /^(#![^\n]*\n)?((?:\s|\/\*[\s\S]*?\*\/|\/\/[^\n]*\n)*(['"])use strict\3;?)?/;

const sourceLocation: Plugin = {
  name: 'ambit-source-location',
  setup(build) {
    build.onLoad({ filter: /\.(?:[cm]?js|[cm]?ts)$/ }, async (args) => {
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

/** CommonJS modules inside the bundle call require() for Node's built-ins. */
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
    await build({
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
      plugins: [sourceLocation],
      banner: { js: REQUIRE_BANNER },
      logLevel: 'silent',
    });
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
