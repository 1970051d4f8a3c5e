// A proxy's CA client across root rotations (ADR 0004): one CaClient over a channel that trusts
// the mesh roots of the moment. New roots (the ROOT_CA file changed) give a new client for new
// requests and new channel credentials for the other control-plane streams (xDS); the old client
// finishes what it has in flight (its deadline plus a second) and is then closed. The ztunnel and
// the waypoint both hold one.
import { CaClient, DEFAULT_CA_TIMEOUT_MS } from './ca-client.ts';
import { caChannelCredentials, type CaChannel } from './ca-credentials.ts';
import type { CertificateSource, WorkloadCertificate } from './workload-certificate.ts';

export interface CaConnectionOptions {
  /** host:port of the CA. */
  address: string;
  trustDomain: string;
  /** The node's bearer credential, read again for every request. */
  token: () => Promise<string> | string;
  /** The identity the credential stands for (the node's ztunnel). */
  nodeIdentity: string;
  /** Deadline of one request; default DEFAULT_CA_TIMEOUT_MS. */
  timeoutMs?: number;
}

export class CaConnection implements CertificateSource {
  readonly #options: CaConnectionOptions;
  readonly #retired = new Map<CaClient, NodeJS.Timeout>();
  #channel: CaChannel;
  #current: CaClient;

  /** Throws (as caChannelCredentials does) when `rootsPem` holds no usable certificate. */
  constructor(rootsPem: string, options: CaConnectionOptions) {
    this.#options = options;
    this.#channel = caChannelCredentials(rootsPem, { trustDomain: options.trustDomain });
    this.#current = this.#client();
  }

  /** Channel credentials trusting the current roots, for the proxy's other control-plane streams. */
  get channel(): CaChannel {
    return this.#channel;
  }

  request(identity: string, ttlSeconds: number): Promise<WorkloadCertificate> {
    return this.#current.request(identity, ttlSeconds);
  }

  /**
   * New roots: requests from now on go over a channel that trusts them; the previous client keeps
   * its requests in flight until their deadline. Returns the new channel (for xDS). Throws, and
   * changes nothing, when the roots are unusable.
   */
  setRoots(rootsPem: string): CaChannel {
    const channel = caChannelCredentials(rootsPem, { trustDomain: this.#options.trustDomain });
    const old = this.#current;
    this.#channel = channel;
    this.#current = this.#client();
    const timer = setTimeout(() => {
      this.#retired.delete(old);
      old.close();
    }, (this.#options.timeoutMs ?? DEFAULT_CA_TIMEOUT_MS) + 1000);
    timer.unref();
    this.#retired.set(old, timer);
    return channel;
  }

  /** Closes the current and every retired client; calls in flight fail with AMBIT_ZTUNNEL_CA_CLOSED. */
  close(): void {
    this.#current.close();
    for (const [client, timer] of this.#retired) {
      clearTimeout(timer);
      client.close();
    }
    this.#retired.clear();
  }

  #client(): CaClient {
    const o = this.#options;
    return new CaClient({
      address: o.address,
      credentials: this.#channel.credentials,
      channelOptions: this.#channel.channelOptions,
      token: o.token,
      nodeIdentity: o.nodeIdentity,
      ...(o.timeoutMs === undefined ? {} : { timeoutMs: o.timeoutMs }),
    });
  }
}
