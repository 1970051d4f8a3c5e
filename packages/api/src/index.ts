// @ambit/api: users' Kubernetes YAML in, typed and validated resources out. Bad input gives
// every problem at once, as values with file:line:col and a field path; nothing here throws for it.
export type { SourceFile, SourceRef, ObjectMeta, ResourceBase, Protocol } from './types.ts';
export type { Resource, ResourceKind } from './resource.ts';
export type { Namespace, NamespaceSpec } from './kinds/namespace.ts';
export type { ServiceAccount, ServiceAccountSpec } from './kinds/service-account.ts';
export type { Pod, PodSpec, PodStatus, PodPhase, PodCondition, ConditionStatus, Container, ContainerPort, EnvVar } from './kinds/pod.ts';
export type { Service, ServiceSpec, ServicePort } from './kinds/service.ts';
export type { Deployment, DeploymentSpec, PodTemplateSpec } from './kinds/deployment.ts';
export type {
  AuthorizationPolicy,
  AuthorizationPolicySpec,
  AuthorizationAction,
  AuthorizationRule,
  AuthorizationSource,
  AuthorizationOperation,
  AuthorizationCondition,
} from './kinds/authorization-policy.ts';
export type { WorkloadSelector, PolicyTargetReference, TargetKind } from './kinds/istio-common.ts';
export type { PeerAuthentication, PeerAuthenticationSpec, MtlsMode } from './kinds/peer-authentication.ts';
export type { NetworkPolicy, NetworkPolicySpec, NetworkPolicyPeer, NetworkPolicyPort, NetworkPolicyIngressRule, NetworkPolicyEgressRule, IPBlock, PolicyType } from './kinds/network-policy.ts';
export type { CalicoNetworkPolicy, CalicoNetworkPolicySpec, GlobalNetworkPolicy, GlobalNetworkPolicySpec, CalicoRule, CalicoEntityRule, CalicoAction, CalicoProtocol, CalicoPort, CalicoIcmp, CalicoPolicyType, CalicoServiceAccountMatch } from './kinds/calico-policy.ts';
export type { Tier, Tier as CalicoTier, TierSpec, TierDefaultAction } from './kinds/tier.ts';
export type { Gateway, GatewaySpec, GatewayListener, GatewayAddress, ListenerProtocol, AllowedRoutes } from './kinds/gateway.ts';
export type { HTTPRoute, HTTPRouteSpec, HTTPRouteRule, HTTPRouteMatch, HTTPRouteFilter, HTTPBackendRef, BackendObjectReference, ParentReference, HTTPHeader, HTTPHeaderFilter, HTTPPathModifier, HTTPMethod, PathMatchType, ValueMatchType } from './kinds/http-route.ts';
export type { DestinationRule, DestinationRuleSpec, TrafficPolicy, OutlierDetection, ConnectionPoolSettings, Subset } from './kinds/destination-rule.ts';
export type { ConfigMap, ConfigMapSpec } from './kinds/config-map.ts';
export { isMeshConfigMap, readMeshConfigText, MESH_CONFIG_MAP } from './kinds/config-map.ts';
export type { LabelSelector, LabelSelectorRequirement, SelectorOperator } from './selector.ts';
export type { ParseResult } from './parse.ts';
export type { Problem } from '@ambit/core';

export { effectivePolicyTypes } from './kinds/network-policy.ts';
export { effectiveCalicoTypes, parseCalicoPort } from './kinds/calico-policy.ts';
export { BUILT_IN_TIER_ORDERS } from './kinds/tier.ts';
export { parseCalicoSelector, matchCalicoSelector } from './calico-selector.ts';
export type { CalicoSelector, CalicoSelectorResult } from './calico-selector.ts';
export { loadMeshConfig, DEFAULT_TRUST_DOMAIN, DEFAULT_ROOT_NAMESPACE } from './mesh-config.ts';
export type { MeshConfig, ExtensionProvider, EnvoyExtAuthzHttpProvider } from './mesh-config.ts';
export { selectorMatches, isEmptySelector, formatSelector } from './selector.ts';
export { parseResources } from './parse.ts';
export { loadResourceFiles } from './load.ts';
export { resourceKey, isNamespaced, applyOrder } from './order.ts';
export { toYaml, toManifest } from './to-yaml.ts';
export { resolveContainerPort } from './ports.ts';
export { DEFAULT_NAMESPACE } from './metadata.ts';
export * as codes from './codes.ts';
export { analyzeResources, policyEnforcement, ANALYZE_CODES, type AnalyzeOptions, type PolicyEnforcement } from './analyze.ts';
export { ztunnelUnsupportedFields, ZTUNNEL_WHEN_KEYS, ZTUNNEL_UNSUPPORTED_OPERATION, ZTUNNEL_UNSUPPORTED_SOURCE } from './ztunnel-fields.ts';
export { isAmbientEnrolled, DATAPLANE_MODE_LABEL } from './enrollment.ts';
