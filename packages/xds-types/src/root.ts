// The protobufjs Root holding every message Ambit speaks: Envoy xDS, Istio WDS/authorization/CA and
// Ambit's own hand-off and policy protos. Built on first use from the .proto files at run time: the
// base files first, Envoy's proxy configuration files only once a type from them is looked up.
import { existsSync } from 'node:fs';
import { isAbsolute, join } from 'node:path';
import protobuf from 'protobufjs';
import { AmbitError } from '@ambit/core';
import { BASE_DESCRIPTOR, type BaseDescriptor } from './descriptor.ts';
import { BASE_PROTO_FILES, ENVOY_PROXY_PROTO_FILES, INCLUDE_DIRS } from './paths.ts';

let loaded: protobuf.Root | undefined;
let complete = false;

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

/** Parses `files` (and their imports, each file once) into `root` and resolves every type. */
function loadInto(root: protobuf.Root, files: readonly string[]): void {
  try {
    root.loadSync([...files], { keepCase: true });
    root.resolveAll();
  } catch (cause) {
    if (cause instanceof AmbitError) throw cause;
    throw new AmbitError('AMBIT_XDS_PROTO_LOAD', `cannot load the .proto files: ${(cause as Error).message}`, { cause });
  }
}

function newRoot(): protobuf.Root {
  const root = new protobuf.Root();
  root.resolvePath = resolveImport;
  return root;
}

/** The Root with at least the base files loaded: from the bundle's descriptor if it has one. */
function baseRoot(): protobuf.Root {
  if (loaded) return loaded;
  let root: protobuf.Root;
  if (BASE_DESCRIPTOR) {
    root = rootFromDescriptor(BASE_DESCRIPTOR);
  } else {
    root = newRoot();
    loadInto(root, BASE_PROTO_FILES);
  }
  loaded = root;
  return root;
}

/** A Root holding a descriptor's types, to which more .proto files can still be loaded. */
export function rootFromDescriptor(descriptor: BaseDescriptor): protobuf.Root {
  const root = newRoot();
  try {
    protobuf.Root.fromJSON(descriptor.json, root);
    // Loading the Envoy proxy files later skips what the descriptor already holds.
    root.files.push(...descriptor.files);
    root.resolveAll();
  } catch (cause) {
    throw new AmbitError('AMBIT_XDS_PROTO_LOAD', `cannot load the bundled proto descriptor: ${(cause as Error).message}`, { cause });
  }
  return root;
}

/** The base files parsed into a fresh Root, as JSON (descriptor.generate.ts prints it for bundles). */
export function parseBaseDescriptor(): BaseDescriptor {
  const root = parseBaseRoot();
  return { files: [...root.files], json: root.toJSON() };
}

/** The base files parsed into a fresh Root (what a process run as .ts starts from). */
export function parseBaseRoot(): protobuf.Root {
  const root = newRoot();
  loadInto(root, BASE_PROTO_FILES);
  return root;
}

/** Loads (once) and returns the Root with every type of every file resolved. */
export function protoRoot(): protobuf.Root {
  const root = baseRoot();
  if (!complete) {
    // Into the same Root: types already handed out stay valid and the file list stays one.
    loadInto(root, ENVOY_PROXY_PROTO_FILES);
    complete = true;
  }
  return root;
}

/**
 * Looks a fully-qualified name up among the loaded types, loading the remaining files first when
 * the base files do not define it: every type is found in every process, whichever files it needed.
 */
export function lookupProto(name: string): protobuf.ReflectionObject | null {
  const found = lookupExact(baseRoot(), name);
  if (found || complete) return found;
  return lookupExact(protoRoot(), name);
}

function lookupExact(root: protobuf.Root, name: string): protobuf.ReflectionObject | null {
  let found: protobuf.ReflectionObject | null;
  try {
    found = root.lookup(name);
  } catch {
    return null;
  }
  // protobufjs also finds relative names in nested namespaces; insist on the exact full name.
  return found?.fullName === `.${name}` ? found : null;
}

/** The message type of a fully-qualified name ('istio.workload.Address', leading dot optional). */
export function messageType(typeName: string): protobuf.Type {
  const name = typeName.startsWith('.') ? typeName.slice(1) : typeName;
  const found = lookupProto(name);
  if (!(found instanceof protobuf.Type)) {
    throw new AmbitError('AMBIT_XDS_UNKNOWN_TYPE', `no protobuf message type named ${name}`, {
      hint: 'use a fully-qualified name such as istio.workload.Address',
      details: { typeName: name },
    });
  }
  return found;
}
