// The lab's cluster DNS: Debian's dnsmasq running as pod kube-system/dns behind the Service
// kube-system/kube-dns (10.96.0.10). It answers only from a hosts file the supervisor writes from
// lab state and never forwards anywhere (no upstream servers, no resolv.conf).
import { DNS_SERVICE_IP } from './addresses.ts';

export const CLUSTER_DOMAIN = 'cluster.local';

export interface DnsService {
  namespace: string;
  name: string;
  /** ClusterIP, or the ready endpoint IPs of a headless Service. */
  addresses: string[];
}

/** One hosts line per address: `svc.ns`, `svc.ns.svc` and the FQDN; bare `svc` comes from search. */
export function renderHostsFile(services: readonly DnsService[]): string {
  const sorted = [...services].sort((a, b) => `${a.namespace}/${a.name}`.localeCompare(`${b.namespace}/${b.name}`));
  const lines = ['# written by the ambit lab supervisor from lab state'];
  for (const svc of sorted) {
    const names = [`${svc.name}.${svc.namespace}.svc.${CLUSTER_DOMAIN}`, `${svc.name}.${svc.namespace}.svc`, `${svc.name}.${svc.namespace}`];
    for (const address of svc.addresses) lines.push(`${address} ${names.join(' ')}`);
  }
  return lines.join('\n') + '\n';
}

/** The pod's /etc/resolv.conf, as kubelet writes it for ClusterFirst pods. */
export function renderResolvConf(namespace: string): string {
  return [
    `search ${namespace}.svc.${CLUSTER_DOMAIN} svc.${CLUSTER_DOMAIN} ${CLUSTER_DOMAIN}`,
    `nameserver ${DNS_SERVICE_IP}`,
    'options ndots:5',
    '',
  ].join('\n');
}

/** dnsmasq's command line: authoritative for cluster.local from one hosts file, no forwarding. */
export function dnsmasqCommand(hostsFile: string): string[] {
  return [
    'dnsmasq',
    '--keep-in-foreground',
    '--log-facility=-',
    '--no-resolv',
    '--no-hosts',
    '--no-poll',
    `--addn-hosts=${hostsFile}`,
    `--local=/${CLUSTER_DOMAIN}/`,
    '--domain-needed',
    '--pid-file',
    '--cache-size=0',
    '--port=53',
  ];
}
