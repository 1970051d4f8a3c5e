// Drops proto3 implicit-presence fields holding their zero value before encoding, so that a decoded
// object (which carries every default, options.ts) re-encodes to the canonical bytes instead of
// writing `name: ''` as `0a 00`. Message fields are kept when set, even to {}: their presence means
// something (an empty LabelSelector matches everything; an absent one does not apply).
// Runs after checkMessage, so the shapes are known to be right.
import protobuf from 'protobufjs';

export function pruneDefaults(type: protobuf.Type, value: object): Record<string, unknown> {
  const record = value as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(record)) {
    const item = record[key];
    if (item === undefined || item === null) continue;
    const field = type.fields[key];
    if (!field) {
      out[key] = item; // a oneof discriminator; fromObject ignores it
      continue;
    }
    const resolved = field.resolvedType;
    const isMessage = resolved instanceof protobuf.Type;
    if (field instanceof protobuf.MapField) {
      const entries = Object.entries(item as Record<string, unknown>);
      if (entries.length === 0) continue;
      out[key] = isMessage ? Object.fromEntries(entries.map(([k, v]) => [k, pruneDefaults(resolved, v as object)])) : item;
    } else if (field.repeated) {
      const list = item as unknown[];
      if (list.length === 0) continue;
      out[key] = isMessage ? list.map((v) => pruneDefaults(resolved, v as object)) : list;
    } else if (isMessage) {
      out[key] = pruneDefaults(resolved, item as object);
    } else if (hasPresence(field) || !isZero(field, item)) {
      out[key] = item;
    }
  }
  return out;
}

function hasPresence(field: protobuf.Field): boolean {
  return (field as unknown as { hasPresence?: boolean }).hasPresence === true || field.partOf !== null;
}

const LONG = new Set(['int64', 'uint64', 'sint64', 'fixed64', 'sfixed64']);

function isZero(field: protobuf.Field, value: unknown): boolean {
  const resolved = field.resolvedType;
  if (resolved instanceof protobuf.Enum) return value === 0 || (typeof value === 'string' && resolved.values[value] === 0);
  if (field.type === 'string') return value === '';
  if (field.type === 'bytes') return value instanceof Uint8Array && value.length === 0;
  if (field.type === 'bool') return value === false;
  if (LONG.has(field.type)) return value === 0 || (typeof value === 'string' && /^-?0+$/.test(value));
  return value === 0 && !Object.is(value, -0); // -0.0 is not the default of a double
}
