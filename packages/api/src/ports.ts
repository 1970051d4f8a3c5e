// Named port resolution, as Kubernetes' FindPort does for Service targetPorts.
import type { Pod } from './kinds/pod.ts';

/**
 * The container port a target refers to on this pod: a number is used as is (Kubernetes does not
 * require it to be declared); a name is looked up among all containers' ports, matching name and
 * protocol (default TCP), first match wins. Undefined when nothing matches.
 */
export function resolveContainerPort(pod: Pod, target: number | string, protocol: string = 'TCP'): number | undefined {
  if (typeof target === 'number') return Number.isInteger(target) && target >= 1 && target <= 65535 ? target : undefined;
  for (const container of pod.spec.containers) {
    for (const port of container.ports) {
      if (port.name === target && port.protocol === protocol) return port.containerPort;
    }
  }
  return undefined;
}
