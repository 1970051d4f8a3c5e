// Facts about the runtime every Ambit process shares.
import { fileURLToPath } from 'node:url';

/**
 * Node's on-disk compile cache for the project's own modules. Short-lived processes (a CNI plugin
 * call per pod, a probe per source pod, a workload server per pod) spend most of their start-up
 * compiling; with the cache a plugin call drops from about 140 ms to about 60 ms on this machine
 * (test/bench/RESULTS.md). It lives under node_modules, so it is rebuilt with the dependencies.
 */
export const COMPILE_CACHE_DIR = fileURLToPath(new URL('../../../node_modules/.cache/ambit-node-compile', import.meta.url));

/** Makes every Node process this one starts use the compile cache (unless the caller chose one). */
export function shareCompileCache(): void {
  process.env['NODE_COMPILE_CACHE'] ??= COMPILE_CACHE_DIR;
}
