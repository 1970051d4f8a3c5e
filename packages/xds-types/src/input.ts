// The input form of a message: what encodeMessage and grpc-js accept. Every field may be omitted
// or null, recursively; everything else is the decoded form.

export type Init<T> = T extends Uint8Array
  ? Uint8Array
  : T extends readonly (infer U)[]
    ? Init<U>[]
    : T extends object
      ? { [K in keyof T]?: Init<T[K]> | null | undefined }
      : T;
