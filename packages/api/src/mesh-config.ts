// The mesh config file (Istio's MeshConfig, the `mesh` key of the istio ConfigMap, written as
// its own YAML file): trust domain, root namespace and extensionProviders for CUSTOM
// authorization. Other MeshConfig keys are valid but not honoured: accepted with a warning.
import type { Problem } from '@ambit/core';
import { DUPLICATE, INVALID_TYPE, REQUIRED, UNSUPPORTED } from './codes.ts';
import { istioDuration } from './durations.ts';
import { dns1123Label, dns1123Subdomain } from './names.ts';
import { Ctx, readBool, readInt, readList, readObject, readString } from './reader.ts';
import type { Field, FieldTable } from './reader.ts';
import type { SourceFile } from './types.ts';
import { parseYamlDocuments } from './yaml-tree.ts';
import { readChecked, readCheckedList } from './kinds/common.ts';

export interface EnvoyExtAuthzHttpProvider {
  /** Service host, `name.namespace.svc.cluster.local` or `namespace/name` style as Istio allows. */
  service: string;
  port: number;
  /** Istio duration; absent means Istio's default (600s). */
  timeout?: string;
  pathPrefix?: string;
  failOpen?: boolean;
  /** HTTP status returned when the authorizer cannot be reached (default 403). */
  statusOnError?: string;
  includeRequestHeadersInCheck?: string[];
  includeAdditionalHeadersInCheck?: Record<string, string>;
  headersToUpstreamOnAllow?: string[];
  headersToDownstreamOnDeny?: string[];
  headersToDownstreamOnAllow?: string[];
}

export interface ExtensionProvider {
  name: string;
  envoyExtAuthzHttp: EnvoyExtAuthzHttpProvider;
}

export interface MeshConfig {
  /** Defaulted to cluster.local. */
  trustDomain: string;
  /** Defaulted to istio-system. */
  rootNamespace: string;
  extensionProviders: ExtensionProvider[];
}

export const DEFAULT_TRUST_DOMAIN = 'cluster.local';
export const DEFAULT_ROOT_NAMESPACE = 'istio-system';

const MESH_FIELDS: FieldTable = {
  trustDomain: 'read',
  rootNamespace: 'read',
  extensionProviders: 'read',
  // Valid MeshConfig keys Ambit does not honour.
  defaultConfig: 'warn', trustDomainAliases: 'warn', accessLogFile: 'warn', accessLogEncoding: 'warn', accessLogFormat: 'warn',
  enableTracing: 'warn', enableAutoMtls: 'warn', outboundTrafficPolicy: 'warn', defaultProviders: 'warn',
  ingressClass: 'warn', ingressService: 'warn', ingressControllerMode: 'warn', ingressSelector: 'warn',
  connectTimeout: 'warn', protocolDetectionTimeout: 'warn', tcpKeepalive: 'warn', localityLbSetting: 'warn',
  dnsRefreshRate: 'warn', h2UpgradePolicy: 'warn', inboundClusterStatName: 'warn', outboundClusterStatName: 'warn',
  certificates: 'warn', caCertificates: 'warn', serviceSettings: 'warn', discoverySelectors: 'warn',
  defaultServiceExportTo: 'warn', defaultVirtualServiceExportTo: 'warn', defaultDestinationRuleExportTo: 'warn',
  enablePrometheusMerge: 'warn', verifyCertificateAtClient: 'warn', pathNormalization: 'warn', meshMTLS: 'warn',
  tlsDefaults: 'warn', proxyListenPort: 'warn', proxyInboundListenPort: 'warn', proxyHttpPort: 'warn',
  enableEnvoyAccessLogService: 'warn', disableEnvoyListenerLog: 'warn', configSources: 'warn', proxyHttpPortNotUsed: 'warn',
  serviceScopeConfigs: 'warn',
};

const PROVIDER_KINDS = [
  'envoyExtAuthzGrpc', 'zipkin', 'lightstep', 'datadog', 'stackdriver', 'opencensus', 'skywalking', 'opentelemetry',
  'prometheus', 'envoyFileAccessLog', 'envoyHttpAls', 'envoyTcpAls', 'envoyOtelAls', 'sds',
];

const EXT_AUTHZ_HTTP_FIELDS: FieldTable = {
  service: 'read', port: 'read', timeout: 'read', pathPrefix: 'read', failOpen: 'read', statusOnError: 'read',
  includeRequestHeadersInCheck: 'read', includeAdditionalHeadersInCheck: 'read', headersToUpstreamOnAllow: 'read',
  headersToDownstreamOnDeny: 'read', headersToDownstreamOnAllow: 'read',
  includeRequestBodyInCheck: 'warn', includeHeadersInCheck: 'warn',
};

const HEADER = /^[A-Za-z0-9!#$%&'*+\-.^_`|~:]+$/;
const headerPattern = (v: string): string | undefined => (v === '' ? 'must not be empty' : undefined);
const serviceHost = (v: string): string | undefined => {
  const parts = v.split('/');
  if (parts.length === 2) return dns1123Label(parts[0] ?? '') || dns1123Subdomain(parts[1] ?? '') ? 'must be "namespace/host" or a host name' : undefined;
  return dns1123Subdomain(v.toLowerCase()) ? 'must be a service host name such as ext-authz.foo.svc.cluster.local' : undefined;
};

function readPortNumber(ctx: Ctx, f: Field): number | undefined {
  const n = f.node;
  if (n.type === 'scalar' && typeof n.value === 'string' && /^[0-9]+$/.test(n.value)) {
    const v = Number(n.value);
    if (v >= 1 && v <= 65535) return v;
  }
  if (n.type === 'scalar' && typeof n.value === 'string') {
    ctx.error(INVALID_TYPE, f.at, f.path, `must be a port number between 1 and 65535, got ${JSON.stringify(n.value)}`);
    return undefined;
  }
  return readInt(ctx, f, 1, 65535);
}

function readExtAuthzHttp(ctx: Ctx, f: Field): EnvoyExtAuthzHttpProvider | undefined {
  const before = ctx.errorCount();
  const obj = readObject(ctx, f, EXT_AUTHZ_HTTP_FIELDS);
  if (!obj) return undefined;
  const serviceField = obj.require('service');
  const service = serviceField ? readChecked(ctx, serviceField, serviceHost) : undefined;
  const portField = obj.require('port');
  // MeshConfig is protobuf JSON, where a uint32 may be written as a string: Istio's own docs write port: "8000".
  const port = portField ? readPortNumber(ctx, portField) : undefined;
  const out: EnvoyExtAuthzHttpProvider = { service: service ?? '', port: port ?? 0 };
  const timeoutField = obj.get('timeout');
  const timeout = timeoutField ? readChecked(ctx, timeoutField, istioDuration) : undefined;
  if (timeout !== undefined) out.timeout = timeout;
  const ppField = obj.get('pathPrefix');
  const pathPrefix = ppField ? readChecked(ctx, ppField, (v) => (v.startsWith('/') ? undefined : 'must start with "/"')) : undefined;
  if (pathPrefix !== undefined) out.pathPrefix = pathPrefix;
  const foField = obj.get('failOpen');
  const failOpen = foField ? readBool(ctx, foField) : undefined;
  if (failOpen !== undefined) out.failOpen = failOpen;
  const soeField = obj.get('statusOnError');
  const statusOnError = soeField ? readChecked(ctx, soeField, (v) => (/^[1-5][0-9][0-9]$/.test(v) ? undefined : 'must be an HTTP status code written as a string, such as "500"')) : undefined;
  if (statusOnError !== undefined) out.statusOnError = statusOnError;
  for (const key of ['includeRequestHeadersInCheck', 'headersToUpstreamOnAllow', 'headersToDownstreamOnDeny', 'headersToDownstreamOnAllow'] as const) {
    const field = obj.get(key);
    const list = field ? readCheckedList(ctx, field, headerPattern) : undefined;
    if (list) out[key] = list;
  }
  const addField = obj.get('includeAdditionalHeadersInCheck');
  if (addField) {
    if (addField.node.type !== 'map') ctx.error(INVALID_TYPE, addField.at, addField.path, 'must be a map of header names to values');
    else {
      const add: Record<string, string> = {};
      for (const e of addField.node.entries) {
        const field: Field = { node: e.value, at: e.keyAt, path: `${addField.path}[${JSON.stringify(e.key)}]` };
        if (!HEADER.test(e.key)) ctx.error(INVALID_TYPE, e.keyAt, field.path, `must be an HTTP header name, got ${JSON.stringify(e.key)}`);
        const v = readString(ctx, field);
        if (v !== undefined) add[e.key] = v;
      }
      out.includeAdditionalHeadersInCheck = add;
    }
  }
  return ctx.errorCount() === before && service !== undefined && port !== undefined ? out : undefined;
}

function readProvider(ctx: Ctx, f: Field): ExtensionProvider | undefined {
  const before = ctx.errorCount();
  const table: FieldTable = { name: 'read', envoyExtAuthzHttp: 'read', ...Object.fromEntries(PROVIDER_KINDS.map((k) => [k, 'read'])) };
  const obj = readObject(ctx, f, table);
  if (!obj) return undefined;
  const nameField = obj.require('name');
  const name = nameField ? readChecked(ctx, nameField, (v) => (v === '' ? 'must not be empty' : undefined)) : undefined;
  const httpField = obj.get('envoyExtAuthzHttp');
  const http = httpField ? readExtAuthzHttp(ctx, httpField) : undefined;
  const others = PROVIDER_KINDS.filter((k) => obj.get(k));
  for (const k of others) {
    const field = obj.get(k);
    if (field) ctx.error(UNSUPPORTED, field.at, field.path, 'is not supported: Ambit only has envoyExtAuthzHttp providers (CUSTOM authorization over HTTP)');
  }
  if (!httpField && others.length === 0) ctx.error(REQUIRED, f.at, `${f.path}.envoyExtAuthzHttp`, 'is required: a provider needs a type (Ambit supports envoyExtAuthzHttp)');
  if (ctx.errorCount() > before || name === undefined || !http) return undefined;
  return { name, envoyExtAuthzHttp: http };
}

/**
 * Reads a mesh config YAML file (one document). Every problem is returned; the config holds the
 * defaults for anything missing or invalid, so callers decide what an error means for them.
 */
export function loadMeshConfig(file: SourceFile): { config: MeshConfig; problems: Problem[] } {
  const config: MeshConfig = { trustDomain: DEFAULT_TRUST_DOMAIN, rootNamespace: DEFAULT_ROOT_NAMESPACE, extensionProviders: [] };
  const { documents, problems: syntax } = parseYamlDocuments(file.path, file.text);
  const ctx = new Ctx(file.path);
  const docs = documents.filter((d) => d.root);
  if (docs.length > 1) {
    const second = docs[1]?.root;
    if (second) ctx.error(UNSUPPORTED, second.at, '', 'a mesh config file holds one YAML document; later documents are ignored');
  }
  const root = docs[0]?.root;
  if (root) {
    const top = readObject(ctx, { node: root, at: root.at, path: '' }, MESH_FIELDS);
    const tdField = top?.get('trustDomain');
    const td = tdField ? readChecked(ctx, tdField, (v) => (dns1123Subdomain(v.toLowerCase()) ? 'must be a DNS name such as cluster.local' : undefined)) : undefined;
    if (td !== undefined) config.trustDomain = td;
    const rnField = top?.get('rootNamespace');
    const rn = rnField ? readChecked(ctx, rnField, dns1123Label) : undefined;
    if (rn !== undefined) config.rootNamespace = rn;
    const epField = top?.get('extensionProviders');
    if (epField) {
      const seen = new Map<string, string>();
      const providers = readList(ctx, epField, (item) => {
        const p = readProvider(ctx, item);
        if (!p) return undefined;
        const first = seen.get(p.name);
        if (first) {
          ctx.error(DUPLICATE, item.at, `${item.path}.name`, `duplicate provider name ${JSON.stringify(p.name)} (already used by ${first})`);
          return undefined;
        }
        seen.set(p.name, item.path);
        return p;
      });
      if (providers) config.extensionProviders = providers;
    }
  }
  const problems = [...syntax, ...ctx.problems].sort((a, b) => a.line - b.line || a.col - b.col);
  return { config, problems };
}
