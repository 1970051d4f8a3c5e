// The Ambit control plane (istiod's role): config source -> model -> Delta xDS on 15010 (plain)
// and 15012 (TLS, with the CA's CreateCertificate), metrics and debug on 15014.
// Configured by environment variables (settings.ts); logs go to stderr.
import * as grpc from '@grpc/grpc-js';
import { Registry, collectDefaultMetrics } from 'prom-client';
import { createLogger, errorMessage, formatProblem } from '@ambit/core';
import { decodeMessage, encodeMessage, type envoy } from '@ambit/xds-types';
import { readSettings } from './settings.ts';
import { DirectoryConfigSource } from './config/directory-source.ts';
import { ADDRESS_TYPE, AUTHORIZATION_TYPE, CALICO_POLICY_TYPE, CALICO_TIER_TYPE, CLUSTER_TYPE, ENDPOINT_TYPE, LISTENER_TYPE, MeshModel, NETWORK_POLICY_TYPE, POLICY_WORKLOAD_TYPE, ROUTE_TYPE, messageOf } from './model/model.ts';
import { identitiesOnNode } from './model/identities.ts';
import { DeltaAdsServer } from './xds/index.ts';
import { CaService, NodeTokenAuthenticator, ServingCertificate } from './ca/index.ts';
import { modelResourceSource } from './resource-source.ts';
import { loadOrCreateAuthority, usesPluginCa } from './certificate-authority.ts';
import { RootRotation, recoverRotation } from './root-rotation.ts';
import { startMonitoringServer } from './monitoring-server.ts';
import { policyStatus } from './model/policy-status.ts';

const settings = readSettings(process.env);
const logger = createLogger({ component: 'control-plane', format: settings.logFormat });
process.on('unhandledRejection', (reason) => logger.error({ err: errorMessage(reason) }, 'unhandled rejection'));

const registry = new Registry();
collectDefaultMetrics({ register: registry });

const model = new MeshModel(settings.mesh, (type, message) => encodeMessage(type, message), logger.child({ scope: 'model' }));
const source = new DirectoryConfigSource({ dir: settings.configDir, logger: logger.child({ scope: 'config' }) });
let configLoaded = false;
await source.start((change) => {
  const started = performance.now();
  const changes = model.apply(change);
  configLoaded = true;
  logger.debug({ upserted: change.upserted.length, deleted: change.deleted.length, changed: changes.map((c) => c.names.size), ms: performance.now() - started }, 'config applied');
});
configLoaded = true;

const nodeAuthenticator = settings.nodeCredentials ? new NodeTokenAuthenticator({ file: settings.nodeCredentials, logger: logger.child({ scope: 'credentials' }) }) : undefined;
await nodeAuthenticator?.load();

await recoverRotation(settings.caDir, logger);
const authority = await loadOrCreateAuthority(settings.caDir, settings.mesh.trustDomain, logger);
const ca = new CaService({
  authority,
  authenticator: nodeAuthenticator ?? { authenticate: async () => undefined },
  directory: { identitiesOnNode: (node) => identitiesOnNode(model.index, settings.mesh, node) },
  logger: logger.child({ scope: 'ca' }),
  registry,
  defaultTtlSeconds: settings.workloadCertTtlSeconds,
  maxTtlSeconds: settings.maxWorkloadCertTtlSeconds,
});

const rotation = new RootRotation({ dir: settings.caDir, ca, logger: logger.child({ scope: 'rotation' }), plugin: usesPluginCa(settings.caDir) });
await rotation.start();

const xds = new DeltaAdsServer({
  source: modelResourceSource(model),
  logger: logger.child({ scope: 'xds' }),
  registry,
  debounceMs: settings.debounceMs,
  ...(nodeAuthenticator
    ? {
        authenticator: {
          authenticate: async (metadata) => {
            const caller = await nodeAuthenticator.authenticate(metadata);
            return caller ? { subject: caller.subject, node: caller.node } : undefined;
          },
        },
      }
    : {}),
});

function bind(server: grpc.Server, port: number, credentials: grpc.ServerCredentials): Promise<number> {
  return new Promise((resolve, reject) => server.bindAsync(`${settings.listenHost}:${port}`, credentials, (error, bound) => (error ? reject(error) : resolve(bound))));
}

const service = xds.service();
const plaintext = new grpc.Server();
plaintext.addService(service.definition, service.implementation);
await bind(plaintext, settings.plaintextPort, grpc.ServerCredentials.createInsecure());

const serving = await ServingCertificate.obtain(ca, { logger: logger.child({ scope: 'serving-cert' }), ipAddresses: settings.serverAddresses });
serving.startAutoRenew();
const secure = new grpc.Server();
secure.addService(service.definition, service.implementation);
ca.register(secure);
await bind(secure, settings.tlsPort, serving.renewableServerCredentials());

function decodedResources(typeUrl: string): Record<string, unknown> {
  const typeName = messageOf(typeUrl);
  const out: Record<string, unknown> = {};
  if (!typeName) return out;
  for (const [name, r] of model.resourcesOf(typeUrl)) out[name] = { version: r.version, resource: decodeMessage(typeName, r.body) };
  return out;
}

function waypointChainNames(body: Uint8Array): string[] {
  return decodeMessage<envoy.Listener>('envoy.config.listener.v3.Listener', body).filter_chains.map((c) => c.name);
}

await startMonitoringServer({
  host: settings.listenHost,
  port: settings.monitoringPort,
  registry,
  logger,
  routes: {
    ready: () => configLoaded,
    debug: {
      config_dump: () => ({
        addresses: decodedResources(ADDRESS_TYPE),
        authorizations: decodedResources(AUTHORIZATION_TYPE),
        policyWorkloads: decodedResources(POLICY_WORKLOAD_TYPE),
        networkPolicies: decodedResources(NETWORK_POLICY_TYPE),
        calicoPolicies: decodedResources(CALICO_POLICY_TYPE),
        calicoTiers: decodedResources(CALICO_TIER_TYPE),
        // Waypoints' Envoy resources (ADR 0007); typed_config bytes print as hex.
        waypointListeners: decodedResources(LISTENER_TYPE),
        waypointRoutes: decodedResources(ROUTE_TYPE),
        waypointClusters: decodedResources(CLUSTER_TYPE),
        waypointEndpoints: decodedResources(ENDPOINT_TYPE),
        meshConfig: model.meshConfigStatus(),
        // Istio's status conditions: ZtunnelAccepted for what a ztunnel enforces only in part,
        // WaypointAccepted for what a waypoint cannot honour.
        policyStatus: policyStatus(model.ztunnelPolicyWarnings(), model.waypointPolicyWarnings()),
        configProblems: source.problems().map(formatProblem),
        trustBundle: ca.trustBundle().roots,
        rotation: rotation.status(),
      }),
      rotation: () => rotation.status(),
      syncz: () => xds.clients(),
      config_status: () => ({
        syncedAsOf: source.syncedAsOf(),
        xdsSettled: xds.settled(),
        problems: source.problems().map(formatProblem),
        // The Listener each waypoint Gateway gets, with its filter chains (`host:port`).
        waypoints: Object.fromEntries([...model.resourcesOf(LISTENER_TYPE)].map(([name, r]) => [name, { version: r.version, filterChains: waypointChainNames(r.body) }])),
      }),
    },
    actions: { 'rotate-root': (query) => rotation.run(query.get('phase')) },
  },
});

logger.info(
  { plaintext: settings.plaintextPort, tls: settings.tlsPort, monitoring: settings.monitoringPort, configDir: settings.configDir, resources: model.resourcesOf(ADDRESS_TYPE).size },
  'control plane ready',
);

async function shutdown(signal: string): Promise<void> {
  logger.info({ signal }, 'shutting down');
  serving.stop();
  await xds.close();
  await source.close();
  plaintext.forceShutdown();
  secure.forceShutdown();
  process.exit(0);
}
process.once('SIGTERM', () => void shutdown('SIGTERM'));
process.once('SIGINT', () => void shutdown('SIGINT'));

