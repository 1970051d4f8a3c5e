// Strict PEM (RFC 7468) decoding: only the labels we expect, base64 body checked, DER's outer
// SEQUENCE length must cover the whole body (no trailing bytes, no indefinite length).
import { CODES, spiffeError } from './errors.ts';
import type { SpiffeErrorCode } from './errors.ts';

export interface PemBlock {
  label: string;
  der: Uint8Array;
}

const BLOCK = /-----BEGIN ([A-Z0-9 ]+)-----\r?\n([\s\S]*?)-----END ([A-Z0-9 ]+)-----/g;
const BASE64_LINE = /^[A-Za-z0-9+/]*={0,2}$/;

/** Every PEM block in `text`. Text outside blocks is ignored (as OpenSSL does). */
export function decodePemBlocks(text: string, code: SpiffeErrorCode = CODES.badPem): PemBlock[] {
  if (typeof text !== 'string') throw spiffeError(code, `expected PEM text, got ${typeof text}`);
  const blocks: PemBlock[] = [];
  for (const match of text.matchAll(BLOCK)) {
    const [, begin, body = '', end] = match;
    if (begin !== end) throw spiffeError(code, `PEM block "BEGIN ${begin}" ends with "END ${end}"`);
    const lines = body.split(/\r?\n/).map((l) => l.trim()).filter((l) => l.length > 0);
    if (lines.length === 0 || !lines.every((l) => BASE64_LINE.test(l))) {
      throw spiffeError(code, `PEM block "${begin}" has a body that is not base64`);
    }
    const b64 = lines.join('');
    const der = new Uint8Array(Buffer.from(b64, 'base64'));
    if (Buffer.from(der).toString('base64') !== b64) throw spiffeError(code, `PEM block "${begin}" has malformed base64`);
    checkDerEnvelope(der, code, `PEM block "${begin}"`);
    blocks.push({ label: begin ?? '', der });
  }
  return blocks;
}

/** Exactly one block with `label`; anything else is an error with `code`. */
export function decodePem(text: string, label: string, code: SpiffeErrorCode): Uint8Array {
  const blocks = decodePemBlocks(text, code);
  if (blocks.length !== 1) throw spiffeError(code, `expected exactly one PEM block "${label}", found ${blocks.length}`);
  const [block] = blocks as [PemBlock];
  if (block.label !== label) throw spiffeError(code, `expected a PEM block "${label}", found "${block.label}"`);
  return block.der;
}

export function encodePem(der: Uint8Array | ArrayBuffer, label: string): string {
  const b64 = Buffer.from(der instanceof ArrayBuffer ? new Uint8Array(der) : der).toString('base64');
  const lines = b64.match(/.{1,64}/g) ?? [];
  return `-----BEGIN ${label}-----\n${lines.join('\n')}\n-----END ${label}-----\n`;
}

/** The outer DER TLV must be a SEQUENCE with a definite length that spans exactly `der`. */
export function checkDerEnvelope(der: Uint8Array, code: SpiffeErrorCode, what: string): void {
  const fail = (why: string) => spiffeError(code, `${what} is not DER: ${why}`);
  if (der.length < 2 || der[0] !== 0x30) throw fail('does not start with a SEQUENCE');
  const first = der[1] as number;
  let length: number;
  let header: number;
  if (first < 0x80) {
    length = first;
    header = 2;
  } else {
    const n = first & 0x7f;
    if (n === 0) throw fail('indefinite length');
    if (n > 4 || der.length < 2 + n) throw fail('length field too large');
    length = 0;
    for (let i = 0; i < n; i++) length = length * 256 + (der[2 + i] as number);
    if (length < 0x80 || (n > 1 && der[2] === 0)) throw fail('length not minimally encoded');
    header = 2 + n;
  }
  if (header + length !== der.length) throw fail(`declares ${header + length} bytes but has ${der.length}`);
}
