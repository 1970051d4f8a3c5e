// The error a CniRuntime raises when a plugin answers with a CNI error (or dies without one).
import { AmbitError } from '@ambit/core';

export interface CniPluginErrorInfo {
  /** The plugin's `type` (binary name). */
  plugin: string;
  verb: string;
  /** The CNI error code the plugin printed; 999 when it printed none. */
  cniCode: number;
  /** The plugin's `msg` (or its stderr when it printed no error JSON). */
  cniMsg: string;
  cniDetails?: string;
}

export class CniPluginError extends AmbitError {
  readonly plugin: string;
  readonly verb: string;
  readonly cniCode: number;
  readonly cniMsg: string;
  readonly cniDetails: string | undefined;

  constructor(info: CniPluginErrorInfo, options: { cause?: unknown } = {}) {
    const details = info.cniDetails ? ` (${info.cniDetails})` : '';
    super('AMBIT_CNI_PLUGIN_FAILED', `CNI plugin ${info.plugin} ${info.verb} failed with code ${info.cniCode}: ${info.cniMsg}${details}`, {
      ...options,
      details: { plugin: info.plugin, verb: info.verb, cniCode: info.cniCode, cniMsg: info.cniMsg, ...(info.cniDetails ? { cniDetails: info.cniDetails } : {}) },
    });
    this.name = 'CniPluginError';
    this.plugin = info.plugin;
    this.verb = info.verb;
    this.cniCode = info.cniCode;
    this.cniMsg = info.cniMsg;
    this.cniDetails = info.cniDetails;
  }
}

export function isCniPluginError(value: unknown): value is CniPluginError {
  return value instanceof CniPluginError;
}
