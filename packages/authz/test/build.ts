// Builders for hand-written policies in tests. Only parseCidr comes from the code under test, and it
// has its own table of hand-computed words in src/ip.test.ts.
import type { Cidr, ConnectionAttributes, Identity, Match, Policy, Rule, ServiceAccountMatch, StringMatch } from '../src/index.ts';
import { parseCidr } from '../src/index.ts';

export const exact = (value: string): StringMatch => ({ kind: 'exact', value });
export const prefix = (value: string): StringMatch => ({ kind: 'prefix', value });
export const suffix = (value: string): StringMatch => ({ kind: 'suffix', value });
export const presence: StringMatch = { kind: 'presence', value: '' };
export const sa = (namespace: string, serviceAccount: string): ServiceAccountMatch => ({ namespace, serviceAccount });

export function cidr(text: string): Cidr {
  const parsed = parseCidr(text);
  if (!parsed) throw new Error(`test bug: bad CIDR ${text}`);
  return parsed;
}

/** A Match with the given constraints; every other list empty. */
export function match(fields: Partial<Match>): Match {
  return {
    namespaces: [],
    notNamespaces: [],
    principals: [],
    notPrincipals: [],
    sourceIps: [],
    notSourceIps: [],
    destinationIps: [],
    notDestinationIps: [],
    destinationPorts: [],
    notDestinationPorts: [],
    serviceAccounts: [],
    notServiceAccounts: [],
    ...fields,
  };
}

/** A rule of clauses, each clause given as its list of matches. */
export const rule = (...clauses: Match[][]): Rule => ({ clauses: clauses.map((matches) => ({ matches })) });

export function policy(key: string, action: 'ALLOW' | 'DENY', rules: readonly Rule[], options: { scope?: Policy['scope']; dryRun?: boolean } = {}): Policy {
  const [namespace = '', name = ''] = key.split('/');
  return { key, name, namespace, scope: options.scope ?? 'NAMESPACE', action, dryRun: options.dryRun ?? false, rules };
}

export function identity(namespace: string, serviceAccount: string, trustDomain = 'cluster.local'): Identity {
  return { trustDomain, namespace, serviceAccount, uri: `spiffe://${trustDomain}/ns/${namespace}/sa/${serviceAccount}` };
}

export const alice = identity('a', 'alice');
export const bob = identity('a', 'bob');
export const carol = identity('b', 'carol');

export function conn(fields: Partial<ConnectionAttributes> = {}): ConnectionAttributes {
  return { source: alice, sourceIp: '10.0.0.1', destinationIp: '10.0.1.2', destinationPort: 8080, ...fields };
}

export const plaintext = (fields: Partial<ConnectionAttributes> = {}): ConnectionAttributes => conn({ ...fields, source: undefined });
