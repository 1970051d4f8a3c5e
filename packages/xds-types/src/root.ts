// The protobufjs Root holding every message Ambit speaks: Envoy xDS, Istio WDS/authorization/CA and
// Ambit's own hand-off and policy protos. Built once, on first use, from the .proto files at run time.
import { existsSync } from 'node:fs';
import { isAbsolute, join } from 'node:path';
import protobuf from 'protobufjs';
import { AmbitError } from '@ambit/core';
import { INCLUDE_DIRS, PROTO_FILES } from './paths.ts';

let cached: protobuf.Root | undefined;

/** Finds an import in the include directories (protobufjs otherwise resolves relative to the importer). */
function resolveImport(origin: string, target: string): string {
  if (isAbsolute(target) && existsSync(target)) return target;
  for (const dir of INCLUDE_DIRS) {
    const candidate = join(dir, target);
    if (existsSync(candidate)) return candidate;
  }
  // Not on disk: google/protobuf/{any,struct,...}.proto are bundled inside protobufjs, which
  // recognises the bare name; anything else fails in loadSync with the file name.
  return target;
}

/** Loads (once) and returns the Root with every type resolved. */
export function protoRoot(): protobuf.Root {
  if (cached) return cached;
  const root = new protobuf.Root();
  root.resolvePath = resolveImport;
  try {
    root.loadSync([...PROTO_FILES], { keepCase: true });
    root.resolveAll();
  } catch (cause) {
    if (cause instanceof AmbitError) throw cause;
    throw new AmbitError('AMBIT_XDS_PROTO_LOAD', `cannot load the .proto files: ${(cause as Error).message}`, { cause });
  }
  cached = root;
  return root;
}

/** The message type of a fully-qualified name ('istio.workload.Address', leading dot optional). */
export function messageType(typeName: string): protobuf.Type {
  const name = typeName.startsWith('.') ? typeName.slice(1) : typeName;
  let found: protobuf.ReflectionObject | null;
  try {
    found = protoRoot().lookup(name);
  } catch {
    found = null;
  }
  // protobufjs also finds relative names in nested namespaces; insist on the exact full name.
  if (!(found instanceof protobuf.Type) || found.fullName !== `.${name}`) {
    throw new AmbitError('AMBIT_XDS_UNKNOWN_TYPE', `no protobuf message type named ${name}`, {
      hint: 'use a fully-qualified name such as istio.workload.Address',
      details: { typeName: name },
    });
  }
  return found;
}
