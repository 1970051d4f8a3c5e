// @ambit/cni: the runtime side (CniRuntime, the kubelet/libcni role) and the shared CNI types and
// validators. The plugin binaries themselves are bin/ambit-cni and bin/ambit-ipam.
export { CniRuntime, type CniRuntimeOptions, type CniAttachmentRequest, type CniDelRequest, type CniVersionRequest } from './runtime/cni-runtime.ts';
export { CniPluginError, isCniPluginError, type CniPluginErrorInfo } from './runtime/errors.ts';
export { validateConflist, pluginStdin, RUNTIME_VERSIONS, type Conflist, type ConflistResult, type PluginConfigInputs } from './runtime/conflist.ts';
export { validatePluginConfig, DEFAULT_DATA_DIR, type PluginConfig, type PluginConfigResult } from './plugin/config.ts';
export { validateIpamConfig, type IpamConfig, type IpamConfigResult, type IpamRange } from './ipam/config.ts';
export { hostVethName } from './plugin/host-veth-name.ts';
export { CNI_CODE, type CniErrorReply } from './protocol/errors.ts';
export type { ConfigProblem } from './protocol/net-conf.ts';
export { parseCniArgs, formatCniArgs, type PodArgs } from './protocol/cni-args.ts';
export { convertResult, parseResult } from './protocol/result.ts';
export { SUPPORTED_VERSIONS, negotiateVersion, type CniVersionInfo } from './protocol/versions.ts';
export type { CniResult, CniInterface, CniIpConfig, CniRoute, CniDns, GcAttachment } from './protocol/types.ts';
export { AGENT_PROTOCOL_VERSION, AGENT_MAX_LINE, type AgentPod, type AgentRequest, type AgentResponse } from './plugin/agent-client.ts';
