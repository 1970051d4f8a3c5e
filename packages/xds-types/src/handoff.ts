// Typed encode/decode of the hand-off messages, framed (frame.ts).
import { decodeMessage, encodeMessage } from './codec.ts';
import { encodeFrame, HANDOFF_MAX_FRAME } from './frame.ts';
import type { Init } from './input.ts';
import type { Hello, WorkloadRequest, WorkloadResponse } from './types/handoff.ts';

export const HANDOFF_TYPE = {
  hello: 'ambit.handoff.v1.Hello',
  request: 'ambit.handoff.v1.WorkloadRequest',
  response: 'ambit.handoff.v1.WorkloadResponse',
} as const;

export function encodeHelloFrame(hello: Init<Hello>, maxFrame: number = HANDOFF_MAX_FRAME): Buffer {
  return encodeFrame(encodeMessage(HANDOFF_TYPE.hello, hello), maxFrame);
}

export function encodeRequestFrame(request: Init<WorkloadRequest>, maxFrame: number = HANDOFF_MAX_FRAME): Buffer {
  return encodeFrame(encodeMessage(HANDOFF_TYPE.request, request), maxFrame);
}

export function encodeResponseFrame(response: Init<WorkloadResponse>, maxFrame: number = HANDOFF_MAX_FRAME): Buffer {
  return encodeFrame(encodeMessage(HANDOFF_TYPE.response, response), maxFrame);
}

/** Decodes one message (a frame's payload, without its length prefix). */
export function decodeHello(message: Uint8Array): Hello {
  return decodeMessage<Hello>(HANDOFF_TYPE.hello, message);
}

export function decodeRequest(message: Uint8Array): WorkloadRequest {
  return decodeMessage<WorkloadRequest>(HANDOFF_TYPE.request, message);
}

export function decodeResponse(message: Uint8Array): WorkloadResponse {
  return decodeMessage<WorkloadResponse>(HANDOFF_TYPE.response, message);
}
