// Everything the ztunnel runs for one enrolled pod, opened inside the pod's network namespace
// (Istio's in-pod model): 15001 outbound, 15006 plaintext inbound, 15008 HBONE inbound. The
// sockets carry the ztunnel mark so the in-pod rules never capture the ztunnel's own traffic.
import { createServer, type ListenOptions, type Server } from 'node:net';
import { errorMessage } from '@ambit/core';
import { listenInNetns, openSocketInNetns } from '@ambit/netns';
import { createHboneServer, type HboneServer } from '@ambit/hbone';
import { HBONE_PORT, INBOUND_PLAIN_PORT, OUTBOUND_PORT, ZTUNNEL_MARK, type ProxyContext } from './context.ts';
import { handleOutbound, type PodInfo } from './outbound.ts';
import { handlePlaintextInbound, hboneHandlers } from './inbound.ts';

export class PodProxy {
  readonly pod: PodInfo;
  private outbound: Server | undefined;
  private plaintext: Server | undefined;
  private hbone: HboneServer | undefined;
  private readonly onCertificate: (identity: string) => void;
  private readonly ctx: ProxyContext;

  constructor(ctx: ProxyContext, pod: PodInfo) {
    this.ctx = ctx;
    this.pod = pod;
    this.onCertificate = (identity) => {
      if (identity !== pod.identity) return;
      this.refreshCredentials();
    };
  }

  /** The pod's current certificate and the current trust roots, for new HBONE connections only. */
  refreshCredentials(): void {
    const cert = this.ctx.certificates.get(this.pod.identity);
    if (!cert || !this.hbone) return;
    try {
      this.hbone.setCredentials(this.ctx.trust ? this.ctx.trust.credentials(cert) : cert);
    } catch (error) {
      this.ctx.logger.error({ pod: `${this.pod.namespace}/${this.pod.name}`, err: errorMessage(error) }, 'could not apply new HBONE credentials; the previous ones stay');
    }
  }

  /** Obtains the pod's certificate and opens the three listeners; all or nothing. */
  async start(): Promise<void> {
    const { ctx, pod } = this;
    ctx.certificates.acquire(pod.identity);
    try {
      const cert = await ctx.certificates.wait(pod.identity, 15_000);
      const credentials = ctx.trust ? ctx.trust.credentials(cert) : cert;
      const netns = pod.netnsPath;
      this.outbound = await listenInNetns(
        { netns, bind: { address: '0.0.0.0', port: OUTBOUND_PORT }, mark: ZTUNNEL_MARK, reuseAddress: true },
        createServer({ allowHalfOpen: true, pauseOnConnect: false, noDelay: true }, (socket) => handleOutbound(ctx, pod, socket)),
      );
      this.plaintext = await listenInNetns(
        { netns, bind: { address: '0.0.0.0', port: INBOUND_PLAIN_PORT }, mark: ZTUNNEL_MARK, reuseAddress: true },
        createServer({ allowHalfOpen: true, noDelay: true }, (socket) => handlePlaintextInbound(ctx, pod, socket)),
      );
      this.hbone = createHboneServer({ credentials, ...hboneHandlers(ctx, pod), logger: ctx.logger.child({ pod: `${pod.namespace}/${pod.name}` }) });
      const fd = openSocketInNetns({ netns, type: 'tcp', bind: { address: '0.0.0.0', port: HBONE_PORT }, listen: 511, mark: ZTUNNEL_MARK, reuseAddress: true });
      // net.Server.listen accepts a handle object {fd}; Node's ListenOptions type does not list it.
      await this.hbone.listen({ fd } as ListenOptions);
      ctx.certificates.on('updated', this.onCertificate);
    } catch (error) {
      await this.stop(0);
      throw error;
    }
  }

  /** Stops accepting; open HBONE streams get `drainMs` to finish. */
  async stop(drainMs = 5000): Promise<void> {
    this.ctx.certificates.off('updated', this.onCertificate);
    const closing: Array<Promise<unknown>> = [];
    for (const server of [this.outbound, this.plaintext]) {
      if (server) closing.push(new Promise((resolve) => server.close(() => resolve(undefined))));
    }
    if (this.hbone) closing.push(this.hbone.close({ drainMs }));
    this.outbound = this.plaintext = this.hbone = undefined;
    await Promise.all(closing);
    this.ctx.certificates.release(this.pod.identity);
  }

  get listening(): boolean {
    return this.hbone !== undefined;
  }
}
