// Writes the lab's cluster state as Kubernetes objects into the control plane's config source
// (a directory of YAML files, one per object), the way the API server would hold it: Pods with
// status (podIP, hostIP, conditions), Services with their ClusterIP, EndpointSlices. Each file is
// replaced atomically (write then rename) and only when its content changed.
import { mkdir, readdir, rename, rm, writeFile, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { toManifest, type Resource, type Service } from '@ambit/api';
import type { PodRuntime } from './pod-runtime.ts';

export class ConfigWriter {
  private readonly dir: string;
  private readonly written = new Map<string, string>();

  constructor(dir: string) {
    this.dir = dir;
  }

  /** The object as the API server would hold it: each kind's own encoding (a ConfigMap's `data` is not a `spec`). */
  toObject(resource: Resource): Record<string, unknown> {
    return toManifest(resource);
  }

  podObject(pod: PodRuntime): Record<string, unknown> {
    const base = this.toObject(pod.resource);
    const spec = { ...(base['spec'] as Record<string, unknown>), nodeName: pod.node.name };
    const readyStatus = pod.ready ? 'True' : 'False';
    return {
      ...base,
      metadata: { ...pod.resource.metadata, namespace: pod.namespace, uid: pod.uid, ...(pod.owner ? { ownerReferences: [{ kind: 'Deployment', name: pod.owner.split('/').pop() }] } : {}) },
      spec,
      status: {
        phase: pod.ip ? 'Running' : 'Pending',
        hostIP: pod.node.ip,
        hostIPs: [{ ip: pod.node.ip }],
        ...(pod.ip ? { podIP: pod.ip, podIPs: [{ ip: pod.ip }] } : {}),
        conditions: [
          { type: 'PodScheduled', status: 'True' },
          { type: 'Initialized', status: 'True' },
          { type: 'ContainersReady', status: readyStatus },
          { type: 'Ready', status: readyStatus },
        ],
      },
    };
  }

  serviceObject(service: Service, clusterIP: string): Record<string, unknown> {
    const base = this.toObject(service);
    return { ...base, spec: { ...(base['spec'] as Record<string, unknown>), clusterIP, clusterIPs: [clusterIP], type: 'ClusterIP' } };
  }

  endpointSliceObject(service: Service, endpoints: Array<{ pod: PodRuntime; ports: Map<number, number> }>): Record<string, unknown> {
    const ports = (service.spec.ports ?? []).map((p) => ({
      ...(p.name ? { name: p.name } : {}),
      protocol: p.protocol ?? 'TCP',
      port: endpoints[0]?.ports.get(p.port) ?? (typeof p.targetPort === 'number' ? p.targetPort : p.port),
    }));
    return {
      apiVersion: 'discovery.k8s.io/v1',
      kind: 'EndpointSlice',
      metadata: {
        name: service.metadata.name,
        namespace: service.metadata.namespace,
        labels: { 'kubernetes.io/service-name': service.metadata.name },
      },
      addressType: 'IPv4',
      ports,
      endpoints: endpoints.map((e) => ({
        addresses: [e.pod.ip],
        conditions: { ready: e.pod.ready },
        nodeName: e.pod.node.name,
        targetRef: { kind: 'Pod', namespace: e.pod.namespace, name: e.pod.name, uid: e.pod.uid },
      })),
    };
  }

  /** Makes the directory hold exactly these documents. */
  async write(documents: Array<{ name: string; object: Record<string, unknown> }>): Promise<void> {
    await mkdir(this.dir, { recursive: true });
    const keep = new Set<string>();
    for (const doc of documents) {
      const file = `${doc.name.replaceAll('/', '.')}.yaml`;
      keep.add(file);
      // YAML 1.1 rules, as Kubernetes reads YAML: strings like y, no, on are quoted.
      const text = stringify(doc.object, { version: '1.1' });
      if (this.written.get(file) === text) continue;
      const tmp = join(this.dir, `.${file}.tmp`);
      await writeFile(tmp, text);
      await rename(tmp, join(this.dir, file));
      this.written.set(file, text);
    }
    for (const file of await readdir(this.dir)) {
      if (file.endsWith('.yaml') && !keep.has(file)) {
        await rm(join(this.dir, file), { force: true });
        this.written.delete(file);
      }
    }
  }

  async read(name: string): Promise<string> {
    return readFile(join(this.dir, `${name.replaceAll('/', '.')}.yaml`), 'utf8');
  }
}
