// Checks a plain object against a message type before encoding, because protobufjs's fromObject
// silently drops unknown keys and coerces bad scalars ('abc' -> 0). Accepts exactly the shapes
// decodeMessage produces (options.ts) plus the usual input leniencies: any field may be omitted,
// null or undefined; enums as names or integers; 64-bit integers as decimal strings or safe integers.
import protobuf from 'protobufjs';

const INT32 = ['int32', 'sint32', 'sfixed32'];
const UINT32 = ['uint32', 'fixed32'];
const INT64 = ['int64', 'sint64', 'sfixed64'];
const UINT64 = ['uint64', 'fixed64'];

/** Returns the first problem as `path: what is wrong`, or undefined when the object fits the type. */
export function checkMessage(type: protobuf.Type, value: unknown, path: string = type.name): string | undefined {
  if (typeof value !== 'object' || value === null || Array.isArray(value) || value instanceof Uint8Array) {
    return `${path}: expected an object for ${type.fullName.slice(1)}, got ${describe(value)}`;
  }
  const record = value as Record<string, unknown>;
  for (const key of Object.keys(record)) {
    if (record[key] === undefined || type.fields[key]) continue;
    const oneof = type.oneofs?.[key];
    if (oneof) {
      const chosen = record[key];
      if (chosen !== null && !(typeof chosen === 'string' && oneof.oneof.includes(chosen))) {
        return `${path}.${key}: oneof discriminator must name one of ${oneof.oneof.join(', ')}, got ${describe(chosen)}`;
      }
      continue;
    }
    return `${path}.${key}: no such field in ${type.fullName.slice(1)} (field names are snake_case as in the .proto file)`;
  }
  for (const oneof of type.oneofsArray) {
    const set = oneof.oneof.filter((name) => record[name] !== undefined && record[name] !== null);
    if (set.length > 1) return `${path}: oneof ${oneof.name} has more than one member set (${set.join(', ')})`;
  }
  for (const field of type.fieldsArray) {
    const problem = checkField(field, record[field.name], `${path}.${field.name}`);
    if (problem) return problem;
  }
  return undefined;
}

function checkField(field: protobuf.Field, value: unknown, path: string): string | undefined {
  if (value === undefined || value === null) return undefined;
  if (field instanceof protobuf.MapField) {
    if (typeof value !== 'object' || Array.isArray(value) || value instanceof Uint8Array) return `${path}: expected a map (plain object), got ${describe(value)}`;
    for (const [key, item] of Object.entries(value as Record<string, unknown>)) {
      if (field.keyType !== 'string' && !/^-?\d+$/.test(key)) return `${path}: map key ${JSON.stringify(key)} is not an integer`;
      if (item === null || item === undefined) return `${path}[${JSON.stringify(key)}]: map values cannot be null`;
      const problem = checkSingle(field, item, `${path}[${JSON.stringify(key)}]`);
      if (problem) return problem;
    }
    return undefined;
  }
  if (field.repeated) {
    if (!Array.isArray(value)) return `${path}: expected an array, got ${describe(value)}`;
    for (let i = 0; i < value.length; i++) {
      const item: unknown = value[i];
      if (item === null || item === undefined) return `${path}[${i}]: repeated elements cannot be null`;
      const problem = checkSingle(field, item, `${path}[${i}]`);
      if (problem) return problem;
    }
    return undefined;
  }
  return checkSingle(field, value, path);
}

function checkSingle(field: protobuf.Field, value: unknown, path: string): string | undefined {
  const resolved = field.resolvedType;
  if (resolved instanceof protobuf.Type) return checkMessage(resolved, value, path);
  if (resolved instanceof protobuf.Enum) {
    if (typeof value === 'string') {
      return value in resolved.values ? undefined : `${path}: ${JSON.stringify(value)} is not a value of ${resolved.fullName.slice(1)} (${Object.keys(resolved.values).join(', ')})`;
    }
    return isIntegerIn(value, -2147483648, 2147483647) ? undefined : `${path}: expected an enum name or integer, got ${describe(value)}`;
  }
  const t = field.type;
  if (t === 'string') return typeof value === 'string' ? undefined : `${path}: expected a string, got ${describe(value)}`;
  if (t === 'bool') return typeof value === 'boolean' ? undefined : `${path}: expected a boolean, got ${describe(value)}`;
  if (t === 'bytes') return value instanceof Uint8Array ? undefined : `${path}: expected bytes (Uint8Array or Buffer), got ${describe(value)}`;
  if (t === 'double' || t === 'float') return typeof value === 'number' ? undefined : `${path}: expected a number, got ${describe(value)}`;
  if (INT32.includes(t)) return isIntegerIn(value, -2147483648, 2147483647) ? undefined : `${path}: expected an int32, got ${describe(value)}`;
  if (UINT32.includes(t)) return isIntegerIn(value, 0, 4294967295) ? undefined : `${path}: expected a uint32 (0..4294967295), got ${describe(value)}`;
  if (INT64.includes(t)) return isLong(value, true) ? undefined : `${path}: expected an int64 as a decimal string or safe integer, got ${describe(value)}`;
  if (UINT64.includes(t)) return isLong(value, false) ? undefined : `${path}: expected a uint64 as a decimal string or non-negative safe integer, got ${describe(value)}`;
  return `${path}: unsupported field type ${t}`;
}

function isIntegerIn(value: unknown, min: number, max: number): boolean {
  return typeof value === 'number' && Number.isInteger(value) && value >= min && value <= max;
}

function isLong(value: unknown, signed: boolean): boolean {
  if (typeof value === 'number') return Number.isSafeInteger(value) && (signed || value >= 0);
  if (typeof value !== 'string' || !(signed ? /^-?\d{1,20}$/ : /^\d{1,20}$/).test(value)) return false;
  const big = BigInt(value);
  return signed ? big >= -(2n ** 63n) && big < 2n ** 63n : big < 2n ** 64n;
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (value instanceof Uint8Array) return 'bytes';
  if (typeof value === 'string') return `the string ${JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}...` : value)}`;
  if (typeof value === 'object') return 'an object';
  return `${typeof value} ${String(value)}`;
}
