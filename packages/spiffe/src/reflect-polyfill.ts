// @peculiar/x509 v2 resolves its algorithm plug-ins through tsyringe, which refuses to load unless a
// Reflect metadata API exists. It only ever calls these three functions, so we provide exactly them
// (WeakMap-backed, no global state beyond Reflect) instead of pulling in a full polyfill. If another
// polyfill (reflect-metadata, core-js) is already installed we leave it alone.

type MetadataKey = unknown;
const store = new WeakMap<object, Map<MetadataKey, unknown>>();

function own(target: object, create: boolean): Map<MetadataKey, unknown> | undefined {
  let map = store.get(target);
  if (!map && create) {
    map = new Map();
    store.set(target, map);
  }
  return map;
}

interface ReflectMetadata {
  defineMetadata(key: MetadataKey, value: unknown, target: object): void;
  getOwnMetadata(key: MetadataKey, target: object): unknown;
  getMetadata(key: MetadataKey, target: object): unknown;
}

const reflect = Reflect as typeof Reflect & Partial<ReflectMetadata>;
if (typeof reflect.getMetadata !== 'function') {
  const polyfill: ReflectMetadata = {
    defineMetadata(key, value, target) {
      own(target, true)?.set(key, value);
    },
    getOwnMetadata(key, target) {
      return own(target, false)?.get(key);
    },
    getMetadata(key, target) {
      for (let t: object | null = target; t !== null; t = Object.getPrototypeOf(t) as object | null) {
        const map = own(t, false);
        if (map?.has(key)) return map.get(key);
      }
      return undefined;
    },
  };
  Object.assign(Reflect, polyfill);
}
