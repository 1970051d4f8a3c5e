// The agent's own metrics (`ambit_cni_agent_*`), on the registry the app passes in. Label values
// are from small fixed sets only.
import * as prom from 'prom-client';

export class AgentMetrics {
  readonly enrolledPods: prom.Gauge;
  readonly capturedPods: prom.Gauge;
  readonly knownPods: prom.Gauge;
  readonly handoffConnected: prom.Gauge;
  readonly handoffConnections: prom.Counter;
  readonly handoffAcks: prom.Counter<'result'>;
  readonly pluginRequests: prom.Counter<'op' | 'result'>;
  readonly actions: prom.Counter<'action' | 'result'>;
  readonly snapshots: prom.Counter;
  readonly netpolRules: prom.Gauge;
  readonly netpolApplies: prom.Counter<'result'>;
  readonly netpolApplySeconds: prom.Histogram;
  readonly netpolDrops: prom.Counter<'pod' | 'direction' | 'policy'>;
  /** Where the drop counters come from at scrape time (set by the app). */
  dropsSource: (() => Promise<Array<{ pod: string; direction: string; policy: string; packets: number }>>) | undefined;

  constructor(registry: prom.Registry) {
    const registers = [registry];
    this.enrolledPods = new prom.Gauge({ name: 'ambit_cni_agent_enrolled_pods', help: 'Pods of this node that are enrolled and whose netns is known (desired capture).', registers });
    this.capturedPods = new prom.Gauge({ name: 'ambit_cni_agent_captured_pods', help: 'Pods whose in-pod capture rules are installed.', registers });
    this.knownPods = new prom.Gauge({ name: 'ambit_cni_agent_known_pods', help: 'Pods the CNI plugin reported on this node.', registers });
    this.handoffConnected = new prom.Gauge({ name: 'ambit_cni_agent_handoff_connected', help: '1 while a ztunnel is connected to the hand-off socket.', registers });
    this.handoffConnections = new prom.Counter({ name: 'ambit_cni_agent_handoff_connections_total', help: 'ztunnel connections that said Hello.', registers });
    this.handoffAcks = new prom.Counter({
      name: 'ambit_cni_agent_handoff_acks_total',
      help: 'Answers to hand-off requests: ok, error (the ztunnel refused), closed (no answer: timeout or disconnect).',
      labelNames: ['result'],
      registers,
    });
    this.pluginRequests = new prom.Counter({
      name: 'ambit_cni_agent_plugin_requests_total',
      help: 'CNI plugin requests by op (add, del, invalid) and result (ok, error).',
      labelNames: ['op', 'result'],
      registers,
    });
    this.actions = new prom.Counter({
      name: 'ambit_cni_agent_reconcile_actions_total',
      help: 'Reconcile steps by action (capture, add, del, uncapture, snapshot) and result (ok, error).',
      labelNames: ['action', 'result'],
      registers,
    });
    this.snapshots = new prom.Counter({ name: 'ambit_cni_agent_handoff_snapshots_total', help: 'Replays completed with SnapshotSent.', registers });
    this.netpolRules = new prom.Gauge({ name: 'ambit_netpol_rules', help: 'Rules in this node\'s NetworkPolicy table (inet ambit-netpol).', registers });
    this.netpolApplies = new prom.Counter({ name: 'ambit_netpol_applies_total', help: 'NetworkPolicy table loads by result (ok, error); an unchanged ruleset counts as ok without a load.', labelNames: ['result'], registers });
    this.netpolApplySeconds = new prom.Histogram({
      name: 'ambit_netpol_apply_seconds',
      help: 'Time to compile and load the NetworkPolicy table in one nft transaction.',
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers,
    });
    // Filled on scrape from the kernel's counters (see NetpolEnforcer.drops): labels are pods and
    // policies of this node, bounded by what the node runs.
    this.netpolDrops = new prom.Counter({
      name: 'ambit_netpol_dropped_packets_total',
      help: 'Packets dropped by NetworkPolicy on this node, per pod, direction and policy (default-deny = no rule allowed it).',
      labelNames: ['pod', 'direction', 'policy'],
      registers,
      collect: async () => {
        const source = this.dropsSource;
        if (source === undefined) return;
        const drops = await source();
        this.netpolDrops.reset();
        for (const d of drops) this.netpolDrops.inc({ pod: d.pod, direction: d.direction, policy: d.policy }, d.packets);
      },
    });
  }
}
