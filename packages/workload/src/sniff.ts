// Decides from the first bytes of a TCP connection which protocol the client speaks. Pure: the
// caller feeds what it has read so far and whether the client already half-closed.

export type SniffVerdict = 'more' | 'h2c' | 'http/1.1' | 'tcp';

/** The HTTP/2 client connection preface (RFC 9113, section 3.4). */
export const H2_PREFACE = Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n', 'latin1');

/** Past this many bytes without a line end, the client is not speaking HTTP/1. */
export const MAX_SNIFF_BYTES = 8192;

const REQUEST_LINE = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+ \S+ HTTP\/1\.[01]\r?$/;
/** Bytes that can still grow into an HTTP/1 request line: a method token, maybe a space and more. */
const MAY_BE_REQUEST_LINE = /^[A-Z]{1,20}(?: [^\r\n]*)?$/;

export function sniff(bytes: Buffer, ended: boolean): SniffVerdict {
  const overlap = Math.min(bytes.length, H2_PREFACE.length);
  if (bytes.subarray(0, overlap).equals(H2_PREFACE.subarray(0, overlap))) {
    if (bytes.length >= H2_PREFACE.length) return 'h2c';
    return ended ? 'tcp' : 'more';
  }
  const lineEnd = bytes.indexOf(0x0a);
  if (lineEnd === -1) {
    if (ended || bytes.length >= MAX_SNIFF_BYTES) return 'tcp';
    return MAY_BE_REQUEST_LINE.test(bytes.toString('latin1')) ? 'more' : 'tcp';
  }
  return REQUEST_LINE.test(bytes.subarray(0, lineEnd).toString('latin1')) ? 'http/1.1' : 'tcp';
}
