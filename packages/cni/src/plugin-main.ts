// ambit-cni: the CNI plugin binary (started by bin/ambit-cni). Each verb's module is imported only
// when that verb runs, to keep the per-pod start-up short.
import { runCni, type CniRequest } from './protocol/harness.ts';
import { pluginContext } from './plugin/context.ts';

await runCni({
  ADD: async (r: CniRequest) => (await import('./plugin/add.ts')).add(pluginContext(r)),
  DEL: async (r: CniRequest) => (await import('./plugin/del.ts')).del(pluginContext(r)),
  CHECK: async (r: CniRequest) => (await import('./plugin/check.ts')).check(pluginContext(r)),
  GC: async (r: CniRequest) => (await import('./plugin/gc.ts')).gc(pluginContext(r)),
  STATUS: async (r: CniRequest) => (await import('./plugin/status.ts')).status(pluginContext(r)),
});
