// The one conversion convention of @ambit/xds-types: encodeMessage, decodeMessage, packAny,
// unpackAny and the gRPC service definitions (services.ts, which use the first two) all follow it;
// PROTO_LOADER_OPTIONS is the same for anyone loading the protos with @grpc/proto-loader:
//   keepCase  field names exactly as in the .proto files (snake_case: type_url, service_account)
//   longs     64-bit integers as decimal strings ('86400')
//   enums     enum values as their names ('HBONE'); a number the schema does not know stays a number
//   bytes     Buffer (a Uint8Array)
//   defaults  unset scalars read as their zero value; unset message fields read as null
//   arrays    unset repeated fields read as []
//   objects   unset maps read as {}
//   oneofs    a oneof's name holds the name of its set member (Address.type = 'workload')
export const CONVERSION = {
  longs: String,
  enums: String,
  defaults: true,
  arrays: true,
  objects: true,
  oneofs: true,
} as const;

export const PROTO_LOADER_OPTIONS = { keepCase: true, ...CONVERSION } as const;
