// Ambient enrollment (Istio's label `istio.io/dataplane-mode`): a pod's own label wins over its
// namespace's; `ambient` enrolls, any other pod value (Istio uses `none`) opts the pod out of an
// enrolled namespace. One rule for the control plane, the lab and the CNI side.
export const DATAPLANE_MODE_LABEL = 'istio.io/dataplane-mode';

export function isAmbientEnrolled(podLabels: Readonly<Record<string, string>>, namespaceLabels: Readonly<Record<string, string>> | undefined): boolean {
  const own = podLabels[DATAPLANE_MODE_LABEL];
  if (own !== undefined) return own === 'ambient';
  return namespaceLabels?.[DATAPLANE_MODE_LABEL] === 'ambient';
}
