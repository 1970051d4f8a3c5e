// @ambit/cni-agent: the node agent (an app; this index is for its own tests and tools).
export { AgentApp, type AgentAppOptions } from './app.ts';
export { CniAgent, type AgentOptions, type InpodRules, type KnownPod, type PodDebug } from './agent.ts';
export { HandoffServer, type HandoffServerOptions } from './handoff-server.ts';
export { PluginServer, type PluginServerOptions } from './plugin-server.ts';
export { parseRequest, encodeResponse, LineReader, MAX_LINE, PROTOCOL_VERSION, type PluginPod, type PluginRequest, type PluginResponse } from './plugin-protocol.ts';
export { plan, backoffMs, type Action, type ActualPod, type DesiredPod, type HandoffPhase, type Plan, type PlanInput } from './reconcile.ts';
export { loadSettings, DEFAULTS, type Settings } from './settings.ts';
export { decodePolicyWorkload, ipFromBytes, ipToBytes, POLICY_WORKLOAD_TYPE, type ViewPod } from './view.ts';
export { checkIstiod, istiodIdentity, uriSans, xdsCredentials } from './tls.ts';
export { AgentMetrics } from './metrics.ts';
export { CAPTURE, inpodConfig, nftInpodRules } from './inpod.ts';
export { CNI_AGENT_ERROR_CODES, type CniAgentErrorCode } from './errors.ts';
