// The in-pod capture through @ambit/nft, with Istio's ports and marks spelled out (DESIGN.md ports
// table; reference/istio-ambient.md 4.1-4.2).
import { applyInpod, inpodInstalled, removeInpod, type InpodConfig } from '@ambit/nft';
import type { InpodRules } from './agent.ts';

export const CAPTURE = {
  outboundPort: 15001,
  inboundPlainPort: 15006,
  hbonePort: 15008,
  ztunnelMark: 0x539,
  connMark: 0x111,
} as const;

export function inpodConfig(podIps: readonly string[]): InpodConfig {
  return { podIps: [...podIps], ...CAPTURE };
}

export const nftInpodRules: InpodRules = {
  apply: (netns, podIps) => applyInpod(netns, inpodConfig(podIps)),
  remove: (netns) => removeInpod(netns),
  installed: (netns) => inpodInstalled(netns),
};
