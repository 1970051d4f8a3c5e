// CNI_ARGS: `K=V;K=V`. Parsed with IgnoreUnknown semantics: every well-formed pair is kept, the
// keys Ambit uses are picked out, unknown keys never cause an error.

export interface PodArgs {
  namespace?: string;
  name?: string;
  uid?: string;
  infraContainerId?: string;
}

export type CniArgsResult = { ok: true; pairs: Map<string, string>; pod: PodArgs } | { ok: false; problem: string };

export function parseCniArgs(text: string | undefined): CniArgsResult {
  const pairs = new Map<string, string>();
  for (const segment of (text ?? '').split(';')) {
    if (segment.trim() === '') continue;
    const eq = segment.indexOf('=');
    if (eq <= 0) return { ok: false, problem: `invalid pair "${segment}": expected KEY=VALUE` };
    pairs.set(segment.slice(0, eq).trim(), segment.slice(eq + 1).trim());
  }
  const pod: PodArgs = {};
  const set = (key: keyof PodArgs, arg: string): void => {
    const value = pairs.get(arg);
    if (value !== undefined && value !== '') pod[key] = value;
  };
  set('namespace', 'K8S_POD_NAMESPACE');
  set('name', 'K8S_POD_NAME');
  set('uid', 'K8S_POD_UID');
  set('infraContainerId', 'K8S_POD_INFRA_CONTAINER_ID');
  return { ok: true, pairs, pod };
}

/** The runtime side: `IgnoreUnknown=1;K=V;...`, as Kubernetes runtimes send it. */
export function formatCniArgs(args: Readonly<Record<string, string>> | undefined): string {
  const entries = Object.entries(args ?? {});
  if (entries.length === 0) return '';
  const withIgnore = entries.some(([k]) => k === 'IgnoreUnknown') ? entries : [['IgnoreUnknown', '1'], ...entries];
  return withIgnore.map(([k, v]) => `${k}=${v}`).join(';');
}
