// Channel credentials for the control plane's xDS: TLS with the mesh roots, accepting only a
// server whose certificate carries istiod's SPIFFE ID as its one URI SAN (no DNS check: the agent
// dials an IP in the lab and a Service name on Kubernetes), or plaintext without roots.
import type { PeerCertificate } from 'node:tls';
import * as grpc from '@grpc/grpc-js';
import { agentError, CNI_AGENT_ERROR_CODES } from './errors.ts';

export const ISTIOD_HOST = 'istiod.istio-system.svc';

export function istiodIdentity(trustDomain: string): string {
  return `spiffe://${trustDomain}/ns/istio-system/sa/istiod`;
}

/** The URI SANs of a certificate as Node prints them (`URI:spiffe://..., DNS:...`). */
export function uriSans(cert: Pick<PeerCertificate, 'subjectaltname'> | undefined): string[] {
  return (cert?.subjectaltname ?? '')
    .split(', ')
    .filter((part) => part.startsWith('URI:'))
    .map((part) => part.slice(4));
}

/** The checkServerIdentity of the xDS channel: undefined when `cert` names exactly `expected`. */
export function checkIstiod(expected: string): (host: string, cert: PeerCertificate) => Error | undefined {
  return (_host, cert) => {
    const uris = uriSans(cert);
    if (uris.length === 1 && uris[0] === expected) return undefined;
    return agentError(CNI_AGENT_ERROR_CODES.SERVER_IDENTITY, `the xDS server presented ${uris.length === 0 ? 'no SPIFFE ID' : uris.join(', ')}, expected exactly ${expected}`, {
      hint: 'XDS_ADDRESS points at something that is not this mesh\'s control plane, or TRUST_DOMAIN differs',
    });
  };
}

export function xdsCredentials(rootsPem: Buffer | undefined, trustDomain: string): { credentials: grpc.ChannelCredentials; channelOptions: grpc.ChannelOptions } {
  if (rootsPem === undefined) return { credentials: grpc.credentials.createInsecure(), channelOptions: {} };
  return {
    credentials: grpc.credentials.createSsl(rootsPem, null, null, { checkServerIdentity: checkIstiod(istiodIdentity(trustDomain)) }),
    channelOptions: { 'grpc.ssl_target_name_override': ISTIOD_HOST, 'grpc.default_authority': ISTIOD_HOST },
  };
}
