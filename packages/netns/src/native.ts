// Loads the node-gyp addon (build/Release/ambit_netns.node) lazily, so that importing the package
// never fails; the first call that needs the kernel does, with a clear error.
import { createRequire } from 'node:module';
import { AmbitError } from '@ambit/core';

/** Raw addon surface; see src/native/netns.c. Only this package calls it. */
export interface NativeAddon {
  openSocket(
    netns: string | null,
    family: 4 | 6,
    type: 0 | 1,
    bindAddress: string | null,
    bindPort: number,
    backlog: number,
    mark: number,
    transparent: boolean,
    reuseAddress: boolean,
  ): number;
  setMark(fd: number, mark: number): void;
  originalDst(fd: number): Buffer;
  /** mode 0: try LOCK_EX|LOCK_NB (false when held elsewhere); mode 1: LOCK_UN. */
  flock(fd: number, mode: 0 | 1): boolean;
}

const ADDON_PATH = '../build/Release/ambit_netns.node';
let addon: NativeAddon | undefined;

export function native(): NativeAddon {
  if (addon !== undefined) return addon;
  const require = createRequire(import.meta.url);
  try {
    addon = require(ADDON_PATH) as NativeAddon;
  } catch (error) {
    throw new AmbitError('AMBIT_NETNS_ADDON_MISSING', `cannot load the @ambit/netns native addon (${ADDON_PATH})`, {
      cause: error,
      hint: 'build it with `pnpm install` at the repository root, or `pnpm --filter @ambit/netns run install`',
    });
  }
  return addon;
}
