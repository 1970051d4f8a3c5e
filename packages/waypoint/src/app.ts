// The waypoint process: one identity (the Gateway's service account) from the CA, the Envoy
// resources of its Listener over Delta xDS (xds/config.ts), HBONE termination on 15008 with HTTP
// served per request (server/), upstream HTTP over a second HBONE hop (upstream/), Istio's request
// metrics on 15020, readiness on 15021 and admin on loopback 15000.
import { readFileSync } from 'node:fs';
import type { Server } from 'node:http';
import * as grpc from '@grpc/grpc-js';
import { Gauge, Registry, collectDefaultMetrics } from 'prom-client';
import { closeServer, errorMessage, serveHttp, silentLogger, watchFileContent, type FileContentWatch, type Logger } from '@ambit/core';
import { createHboneServer, HbonePool, type HboneServer } from '@ambit/hbone';
import { CaConnection, CertificateManager, MeshTrust, parseTrustBundle } from '@ambit/identity';
import { istioIdentity } from '@ambit/spiffe';
import { DeltaXdsClient } from '@ambit/xds-client';
import type { ExecuteRequest } from './contracts.ts';
import type { PathNormalizer, ProxyContext } from './server/context.ts';
import { extAuthzTransport } from './server/ext-authz.ts';
import { Terminator } from './server/terminate.ts';
import type { WaypointSettings } from './settings.ts';
import { accessLogOn, type LineWriter } from '@ambit/core';
import { RequestTelemetry } from './telemetry/requests.ts';
import { TcpTelemetry } from './telemetry/tcp.ts';
import { Dialer } from './upstream/dialer.ts';
import { HttpUpstreams } from './upstream/http-upstreams.ts';
import { WaypointConfig, type ConfigCompilers } from './xds/config.ts';

/** The parts written against contracts.ts: config compilers, the router's executor, path normalisation. */
export interface WaypointParts {
  compilers: ConfigCompilers;
  executeRequest: ExecuteRequest;
  normalizePath: PathNormalizer;
}

/** How long to wait for the first certificate before logging again (the wait itself never gives up). */
const CERTIFICATE_WAIT_MS = 15_000;

export class Waypoint {
  readonly registry = new Registry();
  readonly identity: string;
  readonly #settings: WaypointSettings;
  readonly #logger: Logger;
  readonly #trust: MeshTrust;
  readonly #initialRoots: string;
  readonly #ca: CaConnection;
  readonly #certificates: CertificateManager;
  readonly #xds: DeltaXdsClient;
  readonly #config: WaypointConfig;
  readonly #pool: HbonePool;
  readonly #upstreams: HttpUpstreams;
  readonly #terminator: Terminator;
  readonly #accessLog: LineWriter | undefined;
  #hbone: HboneServer | undefined;
  readonly #servers: Server[] = [];
  #trustWatch: FileContentWatch | undefined;
  #draining = false;
  #stopping: Promise<void> | undefined;

  constructor(settings: WaypointSettings, logger: Logger, parts: WaypointParts) {
    this.#settings = settings;
    this.#logger = logger;
    this.identity = istioIdentity(settings.trustDomain, settings.podNamespace, settings.serviceAccount);
    collectDefaultMetrics({ register: this.registry });
    const roots = readFileSync(settings.rootCa, 'utf8');
    this.#initialRoots = roots;
    this.#trust = new MeshTrust(parseTrustBundle(roots, logger));
    // The CA checks that a node credential asks only for identities of pods on its node.
    this.#ca = new CaConnection(roots, { address: settings.caAddress, trustDomain: settings.trustDomain, token: () => this.#token(), nodeIdentity: istioIdentity(settings.trustDomain, 'istio-system', 'ztunnel') });
    const channel = this.#ca.channel;
    this.#certificates = new CertificateManager({ client: this.#ca, logger: logger.child({ scope: 'certificates' }), registry: this.registry });
    this.#xds = new DeltaXdsClient({
      address: settings.xdsAddress,
      credentials: channel.credentials,
      channelOptions: channel.channelOptions,
      metadata: () => {
        const m = new grpc.Metadata();
        m.set('authorization', `Bearer ${this.#token()}`);
        return m;
      },
      node: {
        id: `waypoint~${settings.podIp}~${settings.podName}.${settings.podNamespace}~${settings.podNamespace}.svc.cluster.local`,
        cluster: settings.clusterId,
        metadata: { NAME: settings.podName, NAMESPACE: settings.podNamespace, NODE_NAME: settings.nodeName, GATEWAY_NAME: settings.gatewayName, SERVICE_ACCOUNT: settings.serviceAccount },
      },
      logger: logger.child({ scope: 'xds' }),
      registry: this.registry,
    });
    this.#pool = new HbonePool({ logger: logger.child({ scope: 'pool' }) });
    const dialer = new Dialer({ pool: this.#pool, credentials: () => this.#credentials(), identity: this.identity, sourceIp: settings.podIp });
    this.#upstreams = new HttpUpstreams(dialer, logger.child({ scope: 'upstream' }));
    this.#config = new WaypointConfig({
      xds: this.#xds,
      listenerName: `${settings.podNamespace}/${settings.gatewayName}`,
      compilers: parts.compilers,
      logger: logger.child({ scope: 'config' }),
      onEndpoints: (keys) => this.#upstreams.retain(keys),
    });
    // The access log has its own writer on stderr; its lines carry the bindings main.ts gives the process logger.
    let accessLog: Logger = silentLogger;
    if (settings.accessLog === 'json') {
      const access = accessLogOn(2, settings.logFormat, { component: 'waypoint', gateway: `${settings.podNamespace}/${settings.gatewayName}`, pod: settings.podName, scope: 'access' });
      accessLog = access.logger;
      this.#accessLog = access.writer;
      const writer = access.writer;
      new Gauge({ name: 'ambit_waypoint_access_log_dropped_lines', help: 'Access log lines not written (the destination failed, or held more than 4 MiB unwritten)', registers: [this.registry], collect() { this.set(writer.dropped); } });
    }
    const ctx: ProxyContext = {
      config: this.#config,
      upstreams: this.#upstreams,
      dialer,
      telemetry: new RequestTelemetry(this.registry, accessLog),
      tcpTelemetry: new TcpTelemetry(this.registry, accessLog),
      executeRequest: parts.executeRequest,
      normalizePath: parts.normalizePath,
      extAuthz: extAuthzTransport(this.#config, this.#upstreams),
      logger: logger.child({ scope: 'proxy' }),
      random: Math.random,
    };
    this.#terminator = new Terminator(ctx, this.registry);
  }

  #token(): string {
    return readFileSync(this.#settings.tokenFile, 'utf8').trim();
  }

  #credentials(): ReturnType<MeshTrust['credentials']> | undefined {
    const cert = this.#certificates.get(this.identity);
    return cert === undefined ? undefined : this.#trust.credentials(cert);
  }

  /** Ready: certificate held, HBONE listening, the first LDS/RDS/CDS/EDS answers applied, not draining. */
  ready(): boolean {
    return !this.#draining && this.#hbone !== undefined && this.#certificates.get(this.identity) !== undefined && this.#config.ready();
  }

  async start(): Promise<void> {
    const s = this.#settings;
    this.#certificates.acquire(this.identity);
    this.#xds.start();
    this.#trustWatch = watchFileContent(s.rootCa, { initial: this.#initialRoots, logger: this.#logger.child({ scope: 'trust-bundle' }), onChange: (text) => this.#applyTrustBundle(text) });
    this.#servers.push(await serveHttp(s.listenHost, s.metricsPort, async (_m, path) => (path === '/metrics' || path === '/stats/prometheus' ? { status: 200, type: this.registry.contentType, body: await this.registry.metrics() } : undefined)));
    this.#servers.push(await serveHttp(s.listenHost, s.readinessPort, async (_m, path) => (path === '/healthz/ready' ? (this.ready() ? { status: 200, type: 'text/plain', body: 'ready\n' } : { status: 503, type: 'text/plain', body: 'not ready\n' }) : undefined)));
    // Admin is loopback only, as in Istio.
    this.#servers.push(
      await serveHttp('127.0.0.1', s.adminPort, async (method, path) => {
        if (path === '/config_dump') return { status: 200, type: 'application/json', body: JSON.stringify(this.configDump(), null, 2) };
        if (path === '/quitquitquit' && method === 'POST') {
          setImmediate(() => void this.stop().then(() => process.exit(0)));
          return { status: 200, type: 'text/plain', body: 'OK\n' };
        }
        return undefined;
      }),
    );
    await this.#listenHbone();
  }

  /** Opens 15008 once the first certificate is there (its TLS context needs one). */
  async #listenHbone(): Promise<void> {
    let cert;
    for (;;) {
      try {
        cert = await this.#certificates.wait(this.identity, CERTIFICATE_WAIT_MS);
        break;
      } catch (error) {
        if (this.#stopping !== undefined) return;
        this.#logger.warn({ identity: this.identity, err: errorMessage(error) }, 'no certificate yet; HBONE stays closed and the waypoint not ready');
      }
    }
    if (this.#stopping !== undefined) return;
    const hbone = createHboneServer({
      credentials: this.#trust.credentials(cert),
      onConnect: this.#terminator.onConnect,
      onStreamClosed: this.#terminator.onStreamClosed,
      logger: this.#logger.child({ scope: 'hbone' }),
    });
    this.#certificates.on('updated', (identity) => {
      if (identity === this.identity) this.#refreshServerCredentials();
    });
    await hbone.listen({ host: this.#settings.listenHost, port: this.#settings.hbonePort });
    this.#hbone = hbone;
    this.#logger.info({ identity: this.identity, port: this.#settings.hbonePort }, 'HBONE listening');
  }

  #refreshServerCredentials(): void {
    const credentials = this.#credentials();
    if (credentials === undefined || this.#hbone === undefined) return;
    try {
      this.#hbone.setCredentials(credentials);
    } catch (error) {
      this.#logger.error({ err: errorMessage(error) }, 'could not apply new HBONE credentials; the previous ones stay');
    }
  }

  /** ROOT_CA changed (root rotation, ADR 0004): new roots for new connections, certificate renewed now. */
  #applyTrustBundle(text: string): void {
    const bundle = parseTrustBundle(text, this.#logger);
    if (bundle === undefined) return;
    this.#trust.setBundle(bundle);
    this.#refreshServerCredentials();
    this.#xds.setCredentials(this.#ca.setRoots(text).credentials);
    this.#certificates.refreshAll();
    this.#logger.info({ roots: this.#trust.fingerprints() }, 'trust bundle changed: new roots for new connections, certificate renewing');
  }

  configDump(): Record<string, unknown> {
    return {
      identity: this.identity,
      ready: this.ready(),
      xds: this.#xds.status(),
      ...this.#config.dump(),
      certificates: this.#certificates.status(),
      trustBundle: { file: this.#settings.rootCa, roots: this.#trust.fingerprints() },
      hbone: this.#hbone?.stats() ?? null,
      tunnels: this.#terminator.openTunnels,
      pool: this.#pool.stats(),
      upstreams: this.#upstreams.stats(),
    };
  }

  /** SIGTERM: not ready at once, open HBONE streams get drainMs to finish, then everything closes. */
  stop(): Promise<void> {
    this.#stopping ??= this.#shutdown();
    return this.#stopping;
  }

  async #shutdown(): Promise<void> {
    this.#draining = true;
    await this.#hbone?.close({ drainMs: this.#settings.drainMs });
    this.#terminator.closeAll();
    this.#accessLog?.flush();
    await Promise.all(this.#servers.map((s) => closeServer(s)));
    this.#trustWatch?.close();
    await this.#xds.close();
    await this.#upstreams.close();
    await this.#pool.close();
    this.#config.close();
    this.#certificates.close();
    this.#ca.close();
  }
}
