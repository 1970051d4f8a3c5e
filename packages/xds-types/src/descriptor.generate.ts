// Prints the module that replaces descriptor.ts in a bundle (packages/lab/src/bundle.ts runs this
// file at bundle time): BASE_DESCRIPTOR holding the base .proto files as parsed now, so the bundle
// can never disagree with the .proto files it was made with.
import { parseBaseDescriptor } from './root.ts';

process.stdout.write(`export const BASE_DESCRIPTOR = ${JSON.stringify(parseBaseDescriptor())};\n`);
