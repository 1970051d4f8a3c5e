// Inbound: HBONE on 15008 (mTLS, the peer's SPIFFE identity known) and plaintext on 15006 (no
// identity: PeerAuthentication STRICT refuses it through the converted DENY policy). Either way
// the destination must be this pod, policy decides, and the ztunnel connects to the app from
// inside the pod's netns with the ORIGINAL client address as source (a transparent socket, the
// in-pod policy route brings the replies back), so the app sees who really called.
import type { Duplex } from 'node:stream';
import type { Socket } from 'node:net';
import { connectInNetns, originalDestination } from '@ambit/netns';
import { applicablePolicies, evaluate, type ConnectionAttributes, type Identity } from '@ambit/authz';
import { parseIstioIdentity } from '@ambit/spiffe';
import { relay, formatAuthority, type ConnectRequest, type ConnectResult, type PeerInfo, type StreamClosedInfo } from '@ambit/hbone';
import { errorMessage } from '@ambit/core';
import { ConnectionRecord } from './connection-record.ts';
import { ZTUNNEL_MARK, type ProxyContext } from './context.ts';
import { sourceWorkload, type PodInfo } from './outbound.ts';
import type { Workload } from '../state/types.ts';

export function identityOf(uri: string): Identity | undefined {
  const parsed = parseIstioIdentity(uri);
  return parsed ? { trustDomain: parsed.trustDomain, namespace: parsed.namespace, serviceAccount: parsed.serviceAccount, uri } : undefined;
}

function authorize(ctx: ProxyContext, destination: Workload, attributes: ConnectionAttributes): { allowed: boolean; reason: string } {
  const policies = applicablePolicies(ctx.policies, { namespace: destination.namespace, authorizationPolicies: destination.authorizationPolicies }, ctx.rootNamespace);
  return evaluate(policies, attributes);
}

/** Opens the connection to the app as the client: transparent source address, ztunnel mark. */
function connectToApp(pod: PodInfo, ip: string, port: number, clientIp: string): Promise<Socket> {
  return connectInNetns({ netns: pod.netnsPath, host: ip, port, localAddress: clientIp, transparent: true, mark: ZTUNNEL_MARK, timeoutMs: 5000 }).then((socket) => socket.setNoDelay(true));
}

interface PendingRecord {
  record: ConnectionRecord;
  release: () => void;
}

/** The HBONE server's handlers for one pod. */
export function hboneHandlers(ctx: ProxyContext, pod: PodInfo): {
  onConnect: (request: ConnectRequest, peer: PeerInfo) => Promise<ConnectResult>;
  onStreamClosed: (info: StreamClosedInfo) => void;
} {
  const pending = new Map<string, PendingRecord>();
  const keyOf = (peer: PeerInfo, streamId: number): string => `${peer.address}:${peer.port}/${streamId}`;
  return {
    async onConnect(request, peer) {
      const target = request.target;
      if (!pod.addresses.includes(target.ip)) return { status: 400, reason: `ip mismatch: ${target.ip} is not an address of ${pod.namespace}/${pod.name}` };
      const destination = sourceWorkload(ctx, pod);
      const source = identityOf(peer.identity);
      const attributes: ConnectionAttributes = { source, sourceIp: peer.address, destinationIp: target.ip, destinationPort: target.port };
      const srcWorkload = ctx.state.workloadByAddress('', peer.address);
      const record = new ConnectionRecord(
        { direction: 'inbound', reporter: 'destination', srcAddr: formatAuthority(peer.address, peer.port), srcWorkload, srcIdentity: peer.identity, dstAddr: formatAuthority(request.localAddress, request.localPort), hboneAddr: request.authority, dstWorkload: destination, dstService: undefined, dstIdentity: pod.identity, mtls: true },
        ctx.metrics,
        ctx.accessLog,
      );
      const decision = authorize(ctx, destination, attributes);
      if (!decision.allowed) {
        record.close(0, 0, { message: `connection closed due to policy rejection: ${decision.reason}`, flags: 'DENY' });
        return { status: 401, reason: decision.reason };
      }
      // NetworkPolicy on the inner port: the kernel saw only 15008 (see network-policy.ts).
      const netpol = ctx.networkPolicy?.check('ingress', target.ip, peer.address, target.port);
      if (netpol !== undefined && !netpol.allowed) {
        record.close(0, 0, { message: `connection closed due to NetworkPolicy: ${netpol.reason}`, flags: 'DENY' });
        return { status: 401, reason: `NetworkPolicy: ${netpol.reason}` };
      }
      let upstream: Socket;
      try {
        upstream = await connectToApp(pod, target.ip, target.port, peer.address);
      } catch (error) {
        record.close(0, 0, { message: errorMessage(error), flags: 'CONNECT' });
        return { status: 503, reason: errorMessage(error) };
      }
      const release = ctx.live.add({
        workload: () => sourceWorkload(ctx, pod),
        attributes,
        close: (reason) => {
          ctx.logger.info({ pod: `${pod.namespace}/${pod.name}`, peer: peer.identity, reason }, 'closing a live connection');
          upstream.resetAndDestroy();
        },
      });
      pending.set(keyOf(peer, request.streamId), { record, release });
      return { status: 200, upstream };
    },
    onStreamClosed(info) {
      const entry = pending.get(keyOf(info.peer, info.streamId));
      if (!entry) return;
      pending.delete(keyOf(info.peer, info.streamId));
      entry.release();
      entry.record.close(info.bytesFromClient, info.bytesToClient, info.error ? { message: errorMessage(info.error), flags: '-' } : undefined);
    },
  };
}

/** Plaintext inbound on 15006: a client outside the mesh (or a non-HBONE peer). */
export function handlePlaintextInbound(ctx: ProxyContext, pod: PodInfo, client: Socket): void {
  client.on('error', () => undefined);
  let original: { address: string; port: number };
  try {
    original = originalDestination(client);
  } catch {
    client.resetAndDestroy();
    return;
  }
  const clientIp = client.remoteAddress ?? '';
  const destination = sourceWorkload(ctx, pod);
  const attributes: ConnectionAttributes = { sourceIp: clientIp, destinationIp: original.address, destinationPort: original.port };
  const record = new ConnectionRecord(
    { direction: 'inbound', reporter: 'destination', srcAddr: formatAuthority(clientIp, client.remotePort ?? 1), srcWorkload: ctx.state.workloadByAddress('', clientIp), srcIdentity: undefined, dstAddr: formatAuthority(original.address, original.port), hboneAddr: undefined, dstWorkload: destination, dstService: undefined, dstIdentity: undefined, mtls: false },
    ctx.metrics,
    ctx.accessLog,
  );
  const decision = authorize(ctx, destination, attributes);
  if (!decision.allowed) {
    record.close(0, 0, { message: `connection closed due to policy rejection: ${decision.reason}`, flags: 'DENY' });
    client.resetAndDestroy();
    return;
  }
  void connectToApp(pod, original.address, original.port, clientIp).then(
    (upstream: Duplex & Socket) => {
      const release = ctx.live.add({ workload: () => sourceWorkload(ctx, pod), attributes, close: () => upstream.resetAndDestroy() });
      relay(client, upstream, (result) => {
        release();
        record.close(result.bytesAToB, result.bytesBToA, result.error ? { message: errorMessage(result.error), flags: '-' } : undefined);
      });
    },
    (error: unknown) => {
      record.close(0, 0, { message: errorMessage(error), flags: 'CONNECT' });
      client.resetAndDestroy();
    },
  );
}
