// Shared by the authz unit tests: config objects in their decoded form (through the protobuf
// codec, so oneof names are set as the xDS layer will hand them over) and a request builder.
import { decodeMessage, encodeMessage } from '@ambit/xds-types';
import type { RequestInfo } from '../contracts.ts';

export function decoded<T>(typeName: string, init: object): T {
  return decodeMessage<T>(typeName, encodeMessage(typeName, init));
}

export function request(overrides: Partial<RequestInfo> = {}): RequestInfo {
  return {
    method: 'GET',
    path: '/',
    query: '',
    host: 'shop.example.com',
    headers: [],
    protocol: 'HTTP/1.1',
    grpc: false,
    sourceIp: '10.0.0.1',
    sourcePort: 40000,
    destinationIp: '10.96.0.10',
    destinationPort: 8080,
    principal: 'spiffe://cluster.local/ns/shop/sa/web',
    requestId: 'r-1',
    ...overrides,
  };
}
