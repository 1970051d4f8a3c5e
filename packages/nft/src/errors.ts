// Error codes of @ambit/nft. Each has a row in ../README.md (a test keeps both in step); a code
// never changes meaning and retired codes are not reused.

export const NftErrorCode = {
  /** The InpodConfig is wrong; every problem is listed in the message. */
  INVALID_CONFIG: 'AMBIT_NFT_INVALID_CONFIG',
  /** The network-namespace path does not exist or is not a network namespace. */
  NETNS_NOT_FOUND: 'AMBIT_NFT_NETNS_NOT_FOUND',
  /** `nsenter`, `nft` or `ip` could not be started (missing binary) or timed out. */
  TOOL_FAILED: 'AMBIT_NFT_TOOL_FAILED',
  /** `nft -f -` rejected the script (nft's message and the offending line are in the message). */
  SCRIPT_REJECTED: 'AMBIT_NFT_SCRIPT_REJECTED',
  /** `nft list` failed for another reason than a missing table. */
  LIST_FAILED: 'AMBIT_NFT_LIST_FAILED',
  /** `ip -batch` for the policy routing failed, or `ip -j` printed something unexpected. */
  ROUTING_FAILED: 'AMBIT_NFT_ROUTING_FAILED',
  /** compileNetworkPolicies got pods or policies it cannot render (every problem is listed). */
  INVALID_POLICY_INPUT: 'AMBIT_NFT_INVALID_POLICY_INPUT',
} as const;

export type NftErrorCode = (typeof NftErrorCode)[keyof typeof NftErrorCode];
