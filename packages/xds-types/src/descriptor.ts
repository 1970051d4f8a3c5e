// The base .proto files (paths.ts) already parsed, for processes started from a bundle. Run as .ts,
// this is null and root.ts parses the files. The lab's bundler replaces this module with what
// descriptor.generate.ts prints at bundle time (the same files' protobufjs JSON), so a bundled
// component never runs the .proto parser: its hot loops made V8's optimising compilers run at
// start-up, about 8 MB of a ztunnel's idle RSS (test/bench/RESULTS.md, idle memory).
import type protobuf from 'protobufjs';

export interface BaseDescriptor {
  /** The files the JSON came from, as the Root records them: loading more skips these. */
  files: string[];
  json: protobuf.INamespace;
}

export const BASE_DESCRIPTOR: BaseDescriptor | null = null;
