// The ztunnel's side of the pod hand-off from the CNI agent (see client.ts).
export { HandoffClient, type HandoffClientOptions, type HandoffHandlers, type HandoffPod } from './client.ts';
export { HANDOFF_ERROR_CODES, handoffError, type HandoffErrorCode } from './errors.ts';
