// CniRuntime: the kubelet/libcni role. Runs a conflist's plugins for one attachment exactly as
// libcni does: ADD in order chaining prevResult (stopping at the first error, then DEL of what was
// run), DEL in reverse with the cached result, CHECK in order, STATUS and GC for 1.1.0 lists.
import { AmbitError, silentLogger, type Logger } from '@ambit/core';
import { formatCniArgs } from '../protocol/cni-args.ts';
import { containerIdProblem, ifnameProblem } from '../protocol/names.ts';
import { convertResult, parseResult } from '../protocol/result.ts';
import { STATUS_GC_MIN_VERSION, atLeast, type CniVersionInfo } from '../protocol/versions.ts';
import type { CniResult } from '../protocol/types.ts';
import { pluginStdin, validateConflist, type Conflist } from './conflist.ts';
import { CniPluginError } from './errors.ts';
import { execPlugin } from './exec-plugin.ts';
import { ResultCache } from './result-cache.ts';

export interface CniRuntimeOptions {
  /** The network configuration list (parsed JSON). */
  conflist: unknown;
  /** Where plugin binaries are looked up, in order; also sent as CNI_PATH. */
  binDirs: string[];
  /** Result cache directory (`<cacheDir>/results/...`). */
  cacheDir: string;
  /** Run plugins via `ip netns exec <hostNetns>`, so their runtime netns is a lab node. */
  hostNetns?: string;
  logger?: Logger;
  /** Per plugin call; default 60 s. */
  timeoutMs?: number;
}

export interface CniAttachmentRequest {
  containerId: string;
  /** netns path, e.g. `/run/netns/<name>`; may be empty on DEL when the netns is gone. */
  netns: string;
  ifname: string;
  /** Sent as CNI_ARGS (`IgnoreUnknown=1` is added), e.g. K8S_POD_NAME. */
  args?: Record<string, string>;
  /** Values for declared capabilities (portMappings, bandwidth, ...), sent as runtimeConfig. */
  capabilityArgs?: Record<string, unknown>;
}

export interface CniDelRequest extends Omit<CniAttachmentRequest, 'netns'> {
  netns?: string;
}

export interface CniVersionRequest {
  type: string;
  binDirs: string[];
  hostNetns?: string;
  /** The version sent on stdin; default 1.1.0. */
  cniVersion?: string;
  timeoutMs?: number;
}

const DEFAULT_TIMEOUT_MS = 60_000;

export class CniRuntime {
  readonly conflist: Conflist;
  readonly #binDirs: string[];
  readonly #hostNetns: string | undefined;
  readonly #logger: Logger;
  readonly #timeoutMs: number;
  readonly #cache: ResultCache;

  /** Throws AMBIT_CNI_INVALID_CONFLIST listing every problem of the conflist. */
  constructor(options: CniRuntimeOptions) {
    const parsed = validateConflist(options.conflist);
    if (!parsed.ok) {
      throw new AmbitError('AMBIT_CNI_INVALID_CONFLIST', `invalid CNI network configuration list: ${parsed.problems.map((p) => `${p.path}: ${p.message}`).join('; ')}`, {
        details: { problems: parsed.problems },
      });
    }
    this.conflist = parsed.conflist;
    this.#binDirs = [...options.binDirs];
    this.#hostNetns = options.hostNetns;
    this.#logger = (options.logger ?? silentLogger).child({ network: parsed.conflist.name });
    this.#timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    this.#cache = new ResultCache(options.cacheDir);
  }

  /** Asks a plugin binary which versions it supports (VERSION). */
  static async version(request: CniVersionRequest): Promise<CniVersionInfo> {
    const output = await execPlugin({
      type: request.type,
      verb: 'VERSION',
      binDirs: request.binDirs,
      stdin: { cniVersion: request.cniVersion ?? '1.1.0' },
      ...(request.hostNetns ? { hostNetns: request.hostNetns } : {}),
      timeoutMs: request.timeoutMs ?? DEFAULT_TIMEOUT_MS,
      logger: silentLogger,
    });
    const info = output as Partial<CniVersionInfo> | undefined;
    if (!info || typeof info.cniVersion !== 'string' || !Array.isArray(info.supportedVersions)) {
      throw new AmbitError('AMBIT_CNI_BAD_VERSION_REPLY', `plugin ${request.type} answered VERSION with ${JSON.stringify(output)}`);
    }
    return { cniVersion: info.cniVersion, supportedVersions: info.supportedVersions.map(String) };
  }

  async add(c: CniAttachmentRequest): Promise<CniResult> {
    validateAttachment(c, true);
    const list = this.conflist;
    let prevResult: CniResult | undefined;
    for (let i = 0; i < list.plugins.length; i++) {
      const plugin = list.plugins[i] ?? {};
      try {
        const output = await this.#run(plugin, 'ADD', c, prevResult);
        prevResult = convertResult(parseResult(output, `ADD result of plugin ${String(plugin['type'])}`), list.cniVersion);
      } catch (error) {
        await this.#undoAdd(c, i, prevResult);
        throw error;
      }
    }
    if (!prevResult) throw new AmbitError('AMBIT_CNI_NO_RESULT', `network ${list.name}: ADD produced no result`);
    await this.#cache.write({
      kind: 'cniCacheV1',
      containerId: c.containerId,
      ifName: c.ifname,
      networkName: list.name,
      netns: c.netns,
      cniArgs: c.args ?? {},
      capabilityArgs: c.capabilityArgs ?? {},
      result: prevResult,
    });
    return prevResult;
  }

  /** DEL in reverse order with the cached ADD result as prevResult; a missing cache is fine. */
  async del(c: CniDelRequest): Promise<void> {
    validateAttachment({ ...c, netns: c.netns ?? '' }, false);
    const cached = await this.#cache.read(this.conflist.name, c.containerId, c.ifname);
    const prev = cached ? convertResult(cached.result, this.conflist.cniVersion) : undefined;
    const plugins = this.conflist.plugins;
    for (let i = plugins.length - 1; i >= 0; i--) {
      await this.#run(plugins[i] ?? {}, 'DEL', c, prev);
    }
    await this.#cache.remove(this.conflist.name, c.containerId, c.ifname);
  }

  /** CHECK in order with the cached result (none when the cache is missing), unless disableCheck. */
  async check(c: CniAttachmentRequest): Promise<void> {
    validateAttachment(c, true);
    if (this.conflist.disableCheck) return;
    const cached = await this.#cache.read(this.conflist.name, c.containerId, c.ifname);
    const prev = cached ? convertResult(cached.result, this.conflist.cniVersion) : undefined;
    for (const plugin of this.conflist.plugins) await this.#run(plugin, 'CHECK', c, prev);
  }

  /** STATUS of every plugin in order (1.1.0 lists only; older lists are always ready). */
  async status(): Promise<void> {
    if (!atLeast(this.conflist.cniVersion, STATUS_GC_MIN_VERSION)) return;
    for (const plugin of this.conflist.plugins) await this.#run(plugin, 'STATUS', undefined, undefined);
  }

  /**
   * GC as libcni does it: DEL every cached attachment of this network not in `valid`, then (for
   * 1.1.0 lists) GC every plugin with both attachment keys. Continues on error; throws
   * AMBIT_CNI_GC_FAILED with all errors (an AggregateError as cause) at the end.
   */
  async gc(valid: ReadonlyArray<{ containerId: string; ifname: string }>): Promise<void> {
    if (this.conflist.disableGC) return;
    const keep = new Set(valid.map((v) => `${v.containerId}\n${v.ifname}`));
    const errors: unknown[] = [];
    for (const entry of await this.#cache.list(this.conflist.name)) {
      if (keep.has(`${entry.containerId}\n${entry.ifName}`)) continue;
      try {
        await this.del({ containerId: entry.containerId, ifname: entry.ifName, netns: entry.netns, args: entry.cniArgs, capabilityArgs: entry.capabilityArgs });
      } catch (error) {
        errors.push(error);
      }
    }
    if (atLeast(this.conflist.cniVersion, STATUS_GC_MIN_VERSION)) {
      const attachments = valid.map((v) => ({ containerID: v.containerId, ifname: v.ifname }));
      for (const plugin of this.conflist.plugins) {
        try {
          await this.#run(plugin, 'GC', undefined, undefined, attachments);
        } catch (error) {
          errors.push(error);
        }
      }
    }
    if (errors.length > 0) {
      const text = errors.map((e) => (e instanceof Error ? e.message : String(e))).join('; ');
      throw new AmbitError('AMBIT_CNI_GC_FAILED', `GC of network ${this.conflist.name} had ${errors.length} error(s): ${text}`, { cause: new AggregateError(errors) });
    }
  }

  async #undoAdd(c: CniAttachmentRequest, failedIndex: number, prev: CniResult | undefined): Promise<void> {
    for (let i = failedIndex; i >= 0; i--) {
      const plugin = this.conflist.plugins[i] ?? {};
      try {
        await this.#run(plugin, 'DEL', c, prev);
      } catch (error) {
        this.#logger.warn({ err: error, plugin: plugin['type'], containerId: c.containerId }, 'DEL after a failed ADD failed');
      }
    }
  }

  async #run(plugin: Record<string, unknown>, verb: string, c: CniDelRequest | undefined, prevResult: CniResult | undefined, validAttachments?: Array<{ containerID: string; ifname: string }>): Promise<unknown> {
    const stdin = pluginStdin(plugin, {
      name: this.conflist.name,
      cniVersion: this.conflist.cniVersion,
      ...(prevResult ? { prevResult } : {}),
      ...(c?.capabilityArgs && (verb === 'ADD' || verb === 'DEL' || verb === 'CHECK') ? { capabilityArgs: c.capabilityArgs } : {}),
      ...(validAttachments ? { validAttachments } : {}),
    });
    const vars: Record<string, string> = c ? { CNI_CONTAINERID: c.containerId, CNI_NETNS: c.netns ?? '', CNI_IFNAME: c.ifname, CNI_ARGS: formatCniArgs(c.args) } : {};
    try {
      return await execPlugin({
        type: String(plugin['type']),
        verb,
        binDirs: this.#binDirs,
        vars,
        stdin,
        ...(this.#hostNetns ? { hostNetns: this.#hostNetns } : {}),
        timeoutMs: this.#timeoutMs,
        logger: this.#logger,
      });
    } catch (error) {
      if (!(error instanceof CniPluginError)) throw error;
      this.#logger.debug({ plugin: error.plugin, verb, cniCode: error.cniCode, msg: error.cniMsg }, 'cni plugin failed');
      throw error;
    }
  }
}

function validateAttachment(c: { containerId: string; ifname: string; netns: string }, needNetns: boolean): void {
  const problems: string[] = [];
  const id = containerIdProblem(c.containerId);
  if (id) problems.push(`containerId "${c.containerId}" ${id}`);
  const ifn = ifnameProblem(c.ifname);
  if (ifn) problems.push(`ifname "${c.ifname}" ${ifn}`);
  if (needNetns && c.netns === '') problems.push('netns must not be empty');
  if (problems.length > 0) throw new AmbitError('AMBIT_CNI_INVALID_ATTACHMENT', `invalid attachment: ${problems.join('; ')}`);
}
