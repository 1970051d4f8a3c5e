// The authorization chain of one filter chain: the HCM's http_filters before the router, run in
// order (ADR 0007). RBAC DENY that matches, or RBAC ALLOW that does not, answers 403
// `RBAC: access denied`; RBAC LOG only records; shadow rules only write dynamic metadata, which
// ext_authz's filter_enabled_metadata reads; ext_authz asks the provider. Headers ext_authz adds
// are on the request the later filters see, as in Envoy.
import { ENVOY_TYPE, unpackAny, type envoy } from '@ambit/xds-types';
import type { AuthzDecision, CompiledAuthz, HeaderList, RequestInfo } from '../contracts.ts';
import { compileExtAuthz, type CompiledExtAuthz } from './ext-authz.ts';
import { configError } from '../matchers.ts';
import { compileRbac, matchingPolicies, type DynamicMetadata, type RbacEngine } from './rbac.ts';

export { normalizePath } from './path.ts';

/** The body of an RBAC denial, as Envoy writes it. */
export const RBAC_DENIED_BODY = 'RBAC: access denied';
/** The dynamic metadata namespace RBAC filters write. */
export const RBAC_METADATA = 'envoy.filters.http.rbac';

type Step =
  | { kind: 'rbac'; rules: RbacEngine | undefined; shadow: RbacEngine | undefined; shadowPrefix: string }
  | { kind: 'ext_authz'; filter: CompiledExtAuthz };

function compileRbacFilter(config: envoy.RbacFilter & Record<string, unknown>, where: string): Step {
  for (const field of ['matcher', 'shadow_matcher']) {
    if (config[field]) throw configError(`${where}.${field}`, 'is not supported: the waypoint reads rules and shadow_rules');
  }
  return {
    kind: 'rbac',
    rules: config.rules ? compileRbac(config.rules, `${where}.rules`) : undefined,
    shadow: config.shadow_rules ? compileRbac(config.shadow_rules, `${where}.shadow_rules`) : undefined,
    shadowPrefix: config.shadow_rules_stat_prefix,
  };
}

function compileFilter(filter: envoy.HttpFilter, where: string): Step | undefined {
  const typeUrl = filter.typed_config?.type_url;
  if (!filter.typed_config || typeUrl === undefined) throw configError(`${where}.typed_config`, 'is required');
  switch (typeUrl) {
    case ENVOY_TYPE.router:
      return undefined;
    case ENVOY_TYPE.rbac:
      return compileRbacFilter(unpackAny(filter.typed_config), where);
    case ENVOY_TYPE.extAuthz:
      return { kind: 'ext_authz', filter: compileExtAuthz(unpackAny(filter.typed_config), where) };
    default:
      throw configError(`${where}.typed_config`, `filter type ${typeUrl} is not supported (RBAC, ext_authz and the router are)`);
  }
}

/** Compiles the HTTP filters; throws AMBIT_WAYPOINT_CONFIG naming the first field it cannot honour. */
export function compileAuthz(filters: envoy.HttpFilter[]): CompiledAuthz {
  const steps = filters.flatMap((f, i) => compileFilter(f, `http_filters[${i}] (${f.name})`) ?? []);
  return {
    async decide(original, context) {
      let request: RequestInfo = original;
      const metadata: DynamicMetadata = new Map();
      const audited: string[] = [];
      const upstreamHeaders: HeaderList = [];
      const downstreamHeaders: HeaderList = [];
      let allowedBy: string | undefined;
      for (const step of steps) {
        if (step.kind === 'ext_authz') {
          const outcome = await step.filter.check(request, metadata, context.extAuthz);
          if (outcome.kind === 'denied') {
            context.logger.debug({ cluster: outcome.cluster, status: outcome.status, reason: outcome.reason, requestId: request.requestId }, 'ext_authz denied the request');
            return { allowed: false, status: outcome.status, body: outcome.body, headers: outcome.headers, policy: outcome.cluster, reason: outcome.reason };
          }
          if (outcome.kind === 'allowed') downstreamHeaders.push(...outcome.downstreamHeaders);
          if (outcome.kind === 'allowed' && outcome.upstreamHeaders.length > 0) {
            // Allowed upstream headers replace request headers of the same name.
            const names = new Set(outcome.upstreamHeaders.map(([n]) => n));
            request = { ...request, headers: [...request.headers.filter(([n]) => !names.has(n)), ...outcome.upstreamHeaders] };
            for (let i = upstreamHeaders.length - 1; i >= 0; i--) if (names.has(upstreamHeaders[i]?.[0] ?? '')) upstreamHeaders.splice(i, 1);
            upstreamHeaders.push(...outcome.upstreamHeaders);
          }
          continue;
        }
        const input = { request, metadata };
        if (step.shadow) recordShadow(step.shadow, step.shadowPrefix, metadata, matchingPolicies(step.shadow, input)[0]);
        const rules = step.rules;
        if (!rules) continue;
        if (rules.action === 'LOG') {
          audited.push(...matchingPolicies(rules, input));
          continue;
        }
        const first = rules.policies.find((p) => p.matches(input))?.name;
        if (rules.action === 'DENY' && first !== undefined) return rbacDenied(first);
        if (rules.action === 'ALLOW') {
          if (first === undefined) return rbacDenied(undefined);
          allowedBy = first;
        }
      }
      return { allowed: true, upstreamHeaders, downstreamHeaders, audited, policy: allowedBy };
    },
  };
}

function rbacDenied(policy: string | undefined): AuthzDecision {
  return { allowed: false, status: 403, body: RBAC_DENIED_BODY, headers: [], policy, reason: 'rbac' };
}

/**
 * What Envoy's RBAC filter writes for shadow rules: the engine's result and, when a policy matched,
 * its name. Envoy merges this into the namespace, so an earlier match is not cleared.
 */
function recordShadow(engine: RbacEngine, prefix: string, metadata: DynamicMetadata, effective: string | undefined): void {
  const matched = effective !== undefined;
  const allowed = engine.action === 'DENY' ? !matched : engine.action === 'ALLOW' ? matched : true;
  const entry = { ...metadata.get(RBAC_METADATA), [`${prefix}shadow_engine_result`]: allowed ? 'allowed' : 'denied' };
  if (matched) entry[`${prefix}shadow_effective_policy_id`] = effective;
  metadata.set(RBAC_METADATA, entry);
}
