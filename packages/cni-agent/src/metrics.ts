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
  }
}
