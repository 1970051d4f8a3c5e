// Istio's standard request labels derived from what the waypoint knows: the SPIFFE IDs of both
// ends and the Service host the filter chain belongs to (chain name `<host>:<port>`, ADR 0007).

/** The namespace of an Istio SPIFFE ID (`spiffe://td/ns/<ns>/sa/<sa>`), or "unknown". */
export function spiffeNamespace(principal: string | undefined): string {
  const match = principal === undefined ? null : /^spiffe:\/\/[^/]+\/ns\/([^/]+)\/sa\/[^/]+$/.exec(principal);
  return match?.[1] ?? 'unknown';
}

/** destination_service (the FQDN), destination_service_name and _namespace from `<host>:<port>`. */
export function serviceLabels(chainName: string): { service: string; name: string; namespace: string } {
  // Pod-addressed traffic (`inbound-pod|<port>||<podIP>` chains) has no destination Service.
  if (chainName.startsWith('inbound-pod|')) return { service: 'unknown', name: 'unknown', namespace: 'unknown' };
  const colon = chainName.lastIndexOf(':');
  const host = colon > 0 && /^\d+$/.test(chainName.slice(colon + 1)) ? chainName.slice(0, colon) : chainName;
  if (host === '') return { service: 'unknown', name: 'unknown', namespace: 'unknown' };
  const labels = host.split('.');
  // `<name>.<namespace>.svc.<domain>`: the Kubernetes Service form; anything else is only a name.
  const kubernetes = labels.length >= 3 && labels[2] === 'svc';
  return { service: host, name: labels[0] ?? host, namespace: kubernetes ? (labels[1] ?? 'unknown') : 'unknown' };
}
