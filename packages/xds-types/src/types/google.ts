// google.protobuf and google.rpc messages as decoded by this package (see ../options.ts):
// snake_case names, every scalar present, unset messages null, int64 as decimal strings.

/** A message this package does not type field by field (Envoy's larger messages). */
export interface UntypedMessage {
  readonly [field: string]: unknown;
}

/** An enum value as decoded: its name, or its number when the schema does not know it. */
export type EnumValue<Name extends string> = Name | number;

/** A 64-bit integer as a decimal string ('86400'). */
export type Int64 = string;

/** google.protobuf.Any. */
export interface Any {
  type_url: string;
  value: Uint8Array;
}

/** google.protobuf.Empty. */
export type Empty = Record<string, never>;

/** google.protobuf.UInt32Value (and the other wrappers, by their value type). */
export interface UInt32Value {
  value: number;
}

/** google.protobuf.Duration. */
export interface Duration {
  seconds: Int64;
  nanos: number;
}

/** google.protobuf.Struct: a JSON object. */
export interface Struct {
  fields: Record<string, Value>;
}

/**
 * google.protobuf.Value: one JSON value; `kind` names the member that is set. The one exception to
 * snake_case: protobufjs bundles struct.proto with camelCase member names (stringValue, ...), and
 * this package's Root uses that bundled definition. The wire format is
 * unaffected.
 */
export interface Value {
  kind?: 'nullValue' | 'numberValue' | 'stringValue' | 'boolValue' | 'structValue' | 'listValue';
  nullValue?: EnumValue<'NULL_VALUE'>;
  numberValue?: number;
  stringValue?: string;
  boolValue?: boolean;
  structValue?: Struct;
  listValue?: ListValue;
}

/** google.protobuf.ListValue. */
export interface ListValue {
  values: Value[];
}

/** google.rpc.Status (a NACK's error_detail). */
export interface Status {
  code: number;
  message: string;
  details: Any[];
}

/** google.protobuf.BoolValue. */
export interface BoolValue {
  value: boolean;
}
