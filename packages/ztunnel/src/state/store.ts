// What the ztunnel knows, indexed for the lookups of the data path: workloads by uid and by
// address, services by key and by VIP, and each service's endpoints. Updated from xDS deltas.
import type { AddressEntry } from './convert.ts';
import type { Service, Workload } from './types.ts';

export class ProxyState {
  private readonly workloads = new Map<string, Workload>();
  private readonly services = new Map<string, Service>();
  /** `network/ip` -> workload uid */
  private readonly workloadByIp = new Map<string, string>();
  /** `network/ip` -> service key */
  private readonly serviceByVip = new Map<string, string>();
  /** service key -> uids of workloads selected by it */
  private readonly endpoints = new Map<string, Set<string>>();
  /** xDS resource name -> what it holds, to undo on removal */
  private readonly byName = new Map<string, AddressEntry>();
  version = 0;

  apply(upserted: ReadonlyMap<string, AddressEntry>, removed: readonly string[]): void {
    for (const name of removed) this.remove(name);
    for (const [name, entry] of upserted) {
      this.remove(name);
      this.byName.set(name, entry);
      if (entry.kind === 'workload') this.addWorkload(entry.workload);
      else this.addService(entry.service);
    }
    this.version++;
  }

  private addWorkload(w: Workload): void {
    this.workloads.set(w.uid, w);
    for (const ip of w.addresses) this.workloadByIp.set(`${w.network}/${ip}`, w.uid);
    for (const key of w.services.keys()) {
      let set = this.endpoints.get(key);
      if (!set) this.endpoints.set(key, (set = new Set()));
      set.add(w.uid);
    }
  }

  private addService(s: Service): void {
    this.services.set(s.key, s);
    for (const vip of s.vips) this.serviceByVip.set(`${vip.network}/${vip.address}`, s.key);
  }

  private remove(name: string): void {
    const entry = this.byName.get(name);
    if (!entry) return;
    this.byName.delete(name);
    if (entry.kind === 'workload') {
      const w = entry.workload;
      this.workloads.delete(w.uid);
      for (const ip of w.addresses) if (this.workloadByIp.get(`${w.network}/${ip}`) === w.uid) this.workloadByIp.delete(`${w.network}/${ip}`);
      for (const key of w.services.keys()) this.endpoints.get(key)?.delete(w.uid);
    } else {
      const s = entry.service;
      this.services.delete(s.key);
      for (const vip of s.vips) if (this.serviceByVip.get(`${vip.network}/${vip.address}`) === s.key) this.serviceByVip.delete(`${vip.network}/${vip.address}`);
    }
  }

  workload(uid: string): Workload | undefined {
    return this.workloads.get(uid);
  }

  workloadByAddress(network: string, ip: string): Workload | undefined {
    const uid = this.workloadByIp.get(`${network}/${ip}`);
    return uid === undefined ? undefined : this.workloads.get(uid);
  }

  serviceByAddress(network: string, ip: string): Service | undefined {
    const key = this.serviceByVip.get(`${network}/${ip}`);
    return key === undefined ? undefined : this.services.get(key);
  }

  service(key: string): Service | undefined {
    return this.services.get(key);
  }

  /** Workloads behind a service that serve the given service port, with their target port. */
  endpointsOf(service: Service, servicePort: number): Array<{ workload: Workload; port: number }> {
    const result: Array<{ workload: Workload; port: number }> = [];
    for (const uid of this.endpoints.get(service.key) ?? []) {
      const w = this.workloads.get(uid);
      const target = w?.services.get(service.key)?.get(servicePort);
      if (w && target !== undefined) result.push({ workload: w, port: target });
    }
    return result;
  }

  allWorkloads(): IterableIterator<Workload> {
    return this.workloads.values();
  }

  allServices(): IterableIterator<Service> {
    return this.services.values();
  }
}
