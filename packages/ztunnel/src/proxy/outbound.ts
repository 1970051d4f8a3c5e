// Outbound (port 15001 in the pod): the app's connection, captured by the in-pod rules, goes to
// its next hop as routeOutbound decides: over pooled HBONE to the destination's 15008 (or a
// waypoint's), by plain TCP to an unmeshed destination, or refused. The ztunnel's own sockets are
// opened inside the pod netns with the ztunnel mark, so they leave from the pod's address and are
// not captured again.
import type { Socket } from 'node:net';
import { connectInNetns, originalDestination } from '@ambit/netns';
import { buildBaggage, buildForwarded, newTraceparent, relay, formatAuthority, parseAuthority } from '@ambit/hbone';
import { errorMessage } from '@ambit/core';
import { routeOutbound } from './outbound-route.ts';
import { ConnectionRecord } from './connection-record.ts';
import { ZTUNNEL_MARK, type ProxyContext } from './context.ts';
import type { Workload } from '../state/types.ts';
import type { HandoffPod } from '../handoff/index.ts';

/** A pod the CNI agent handed over, with the SPIFFE identity its proxies act for. */
export interface PodInfo extends HandoffPod {
  identity: string;
}

/** The pod's Workload as xDS describes it; a minimal one from the hand-off until xDS catches up. */
export function sourceWorkload(ctx: ProxyContext, pod: PodInfo): Workload {
  for (const ip of pod.addresses) {
    const w = ctx.state.workloadByAddress('', ip);
    if (w) return w;
  }
  return {
    uid: pod.uid,
    name: pod.name,
    namespace: pod.namespace,
    addresses: pod.addresses,
    network: '',
    protocol: 'HBONE',
    trustDomain: ctx.trustDomain,
    serviceAccount: pod.serviceAccount,
    identity: pod.identity,
    node: '',
    canonicalName: pod.name,
    canonicalRevision: 'latest',
    workloadName: pod.name,
    workloadType: 'pod',
    waypoint: undefined,
    services: new Map(),
    authorizationPolicies: [],
    healthy: true,
    clusterId: '',
    capacity: 1,
  };
}

/** The source's baggage header, built once per Workload object (xDS replaces the object when it changes). */
const baggageCache = new WeakMap<Workload, string>();
function baggageOf(source: Workload): string {
  let baggage = baggageCache.get(source);
  if (baggage === undefined) {
    baggage = buildBaggage({
      ...(source.clusterId ? { clusterName: source.clusterId } : {}),
      namespace: source.namespace,
      workloadType: (['deployment', 'cronjob', 'job'].includes(source.workloadType) ? source.workloadType : 'pod') as 'pod',
      workloadName: source.workloadName,
      serviceName: source.canonicalName,
      serviceVersion: source.canonicalRevision,
    });
    baggageCache.set(source, baggage);
  }
  return baggage;
}

export function handleOutbound(ctx: ProxyContext, pod: PodInfo, app: Socket): void {
  app.on('error', () => undefined);
  let original: { address: string; port: number };
  try {
    original = originalDestination(app);
  } catch (error) {
    ctx.logger.warn({ pod: `${pod.namespace}/${pod.name}`, err: errorMessage(error) }, 'outbound connection without an original destination');
    app.resetAndDestroy();
    return;
  }
  const source = sourceWorkload(ctx, pod);
  const route = routeOutbound(ctx.state, source, { ip: original.address, port: original.port });
  const srcAddr = `${app.remoteAddress}:${app.remotePort}`;
  const record = new ConnectionRecord(
    {
      direction: 'outbound',
      reporter: 'source',
      srcAddr,
      srcWorkload: source,
      srcIdentity: pod.identity,
      dstAddr: route.kind === 'reject' ? formatAuthority(original.address, original.port) : formatAuthority(route.address, route.port),
      hboneAddr: route.kind === 'hbone' ? route.authority : undefined,
      dstWorkload: route.destination.workload,
      dstService: route.destination.service,
      dstIdentity: route.kind === 'hbone' ? route.identities[0] : undefined,
      mtls: route.kind === 'hbone',
    },
    ctx.metrics,
    ctx.accessLog,
  );
  if (route.kind === 'reject') {
    record.close(0, 0, { message: route.reason, flags: 'CONNECT' });
    app.resetAndDestroy();
    return;
  }
  const podIp = pod.addresses[0] ?? '';
  // NetworkPolicy on the inner port of a pod-to-pod HBONE connection: the source's egress side
  // (the destination's ztunnel judges its ingress side). Through a waypoint the inner target is
  // a service address; the waypoint's own connection to the pod is judged at the pod.
  if (route.kind === 'hbone' && !route.waypoint) {
    const inner = parseAuthority(route.authority);
    const netpol = inner.ok ? ctx.networkPolicy?.check('egress', podIp, inner.ip, inner.port) : undefined;
    if (netpol !== undefined && !netpol.allowed) {
      record.close(0, 0, { message: `connection closed due to NetworkPolicy: ${netpol.reason}`, flags: 'DENY' });
      app.resetAndDestroy();
      return;
    }
  }
  void (async () => {
    try {
      let upstream;
      if (route.kind === 'hbone') {
        const cert = ctx.certificates.get(pod.identity) ?? (await ctx.certificates.wait(pod.identity, 10_000));
        const credentials = ctx.trust ? ctx.trust.credentials(cert) : cert;
        const service = route.destination.service;
        upstream = await ctx.pool.connect({
          key: { sourceIdentity: pod.identity, destinationIdentities: route.identities, sourceIp: podIp, destinationIp: route.address },
          dial: () => connectInNetns({ netns: pod.netnsPath, host: route.address, port: route.port, mark: ZTUNNEL_MARK, timeoutMs: 10_000 }),
          credentials,
          authority: route.authority,
          headers: {
            forwarded: buildForwarded({ forIp: app.remoteAddress ?? podIp, ...(app.remotePort ? { forPort: app.remotePort } : {}), ...(service ? { host: service.hostname } : {}) }),
            traceparent: newTraceparent(),
            baggage: baggageOf(source),
          },
          timeoutMs: 10_000,
        });
      } else {
        upstream = (await connectInNetns({ netns: pod.netnsPath, host: route.address, port: route.port, mark: ZTUNNEL_MARK, timeoutMs: 10_000 })).setNoDelay(true);
      }
      relay(app, upstream, (result) => {
        record.close(result.bytesAToB, result.bytesBToA, result.error ? { message: errorMessage(result.error), flags: '-' } : undefined);
      });
    } catch (error) {
      record.close(0, 0, { message: errorMessage(error), flags: 'CONNECT' });
      app.resetAndDestroy();
    }
  })();
}
