// gRPC channel credentials for the CA (port 15012): trust only the mesh roots and accept only a
// server whose certificate carries istiod's SPIFFE ID. That check does not depend on the address
// dialled (an IP in the lab, a Service name on Kubernetes); SNI and :authority are set to the
// name istiod is known by, as Istio's CA_ADDRESS / ALT_CA_HOSTNAME do.
import type { PeerCertificate } from 'node:tls';
import * as grpc from '@grpc/grpc-js';
import { istioIdentity } from '@ambit/spiffe';
import { CaError, IDENTITY_CODES } from './errors.ts';

/** The Kubernetes Service name of the control plane, sent as SNI and :authority by default. */
export const ISTIOD_HOST = 'istiod.istio-system.svc';

export interface CaChannel {
  credentials: grpc.ChannelCredentials;
  channelOptions: grpc.ChannelOptions;
}

export interface CaChannelOptions {
  trustDomain: string;
  /** The SPIFFE ID the server must present; default spiffe://<td>/ns/istio-system/sa/istiod. */
  serverIdentity?: string;
  /** SNI and :authority; default istiod.istio-system.svc. */
  serverName?: string;
}

/** The URI SANs of a peer certificate as Node reports it (`URI:spiffe://..., DNS:...`). */
export function uriSans(cert: Pick<PeerCertificate, 'subjectaltname'> | undefined): string[] {
  const text = cert?.subjectaltname ?? '';
  return text
    .split(', ')
    .filter((part) => part.startsWith('URI:'))
    .map((part) => part.slice(4));
}

/** Credentials and channel options for CaClient from the PEM roots (root-cert.pem) of the mesh. */
export function caChannelCredentials(rootsPem: string, options: CaChannelOptions): CaChannel {
  const expected = options.serverIdentity ?? istioIdentity(options.trustDomain, 'istio-system', 'istiod');
  const serverName = options.serverName ?? ISTIOD_HOST;
  const checkServerIdentity = (_host: string, cert: PeerCertificate): Error | undefined => {
    const uris = uriSans(cert);
    if (uris.length === 1 && uris[0] === expected) return undefined;
    return new CaError(IDENTITY_CODES.caUnavailable, `the CA server presented ${uris.length === 0 ? 'no SPIFFE ID' : uris.join(', ')}, expected exactly ${expected}`, {
      hint: 'CA_ADDRESS points at something that is not the control plane of this mesh, or the trust domain differs',
    });
  };
  return {
    credentials: grpc.credentials.createSsl(Buffer.from(rootsPem), null, null, { checkServerIdentity }),
    channelOptions: { 'grpc.ssl_target_name_override': serverName, 'grpc.default_authority': serverName },
  };
}
