// The xDS boundary: a decoded istio.security.Authorization (`unknown`, as @ambit/xds-types'
// decodeMessage returns it) becomes a validated Policy, or a result naming every bad field so the
// xDS client can NACK that one resource while the others apply (ztunnel src/xds/client.rs habit,
// grpc-js-xds style messages).
//
// Stricter than ztunnel's TryFrom<XdsRbac> (src/rbac.rs), on purpose: ztunnel silently drops a
// StringMatch without a match type and an Address it cannot parse, which turns `principals: [?]` into
// "no principal constraint" and can widen an ALLOW policy. We refuse the resource instead. Likewise
// ports above 65535 (ztunnel truncates them to u16), port 0, empty exact/prefix/suffix strings
// (istiod never sends them: Istio's validation refuses empty values) and empty service account parts.
// Extensions (Authorization.extensions, Match.extensions) are ignored, as ztunnel ignores them.
import type { Action, Cidr, Clause, Match, Policy, Rule, Scope, ServiceAccountMatch, StringMatch } from './types.ts';
import { cidrFromBytes } from './ip.ts';

export type PolicyResult = { ok: true; policy: Policy } | { ok: false; error: string };

const SCOPES: readonly Scope[] = ['GLOBAL', 'NAMESPACE', 'WORKLOAD_SELECTOR'];
const ACTIONS: readonly Action[] = ['ALLOW', 'DENY'];
const STRING_MATCH_KINDS = ['exact', 'prefix', 'suffix', 'presence'] as const;
/** Enough to fix a resource; a broken generator would otherwise produce megabyte NACK messages. */
const MAX_PROBLEMS = 10;

type Obj = Readonly<Record<string, unknown>>;

class Problems {
  readonly list: string[] = [];
  add(path: string, problem: string): void {
    this.list.push(`${path}: ${problem}`);
  }
}

function isObject(value: unknown): value is Obj {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function describe(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (value instanceof Uint8Array) return `${value.length} bytes`;
  if (Array.isArray(value)) return 'an array';
  if (value === null) return 'null';
  return typeof value === 'object' ? 'an object' : String(value);
}

/** A repeated field: absent or null counts as empty (input objects may omit fields). */
function list(obj: Obj, field: string, path: string, problems: Problems): readonly unknown[] {
  const value = obj[field];
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value)) {
    problems.add(`${path}.${field}`, `expected a list, got ${describe(value)}`);
    return [];
  }
  return value;
}

function text(obj: Obj, field: string, path: string, problems: Problems): string {
  const value = obj[field];
  if (value === undefined || value === null) return '';
  if (typeof value !== 'string') {
    problems.add(`${path}.${field}`, `expected a string, got ${describe(value)}`);
    return '';
  }
  return value;
}

/** Enum as decoded (a name; a number the schema does not know stays a number). Known numbers are accepted. */
function enumValue<T extends string>(obj: Obj, field: string, names: readonly T[], path: string, problems: Problems): T | undefined {
  const value = obj[field] ?? 0;
  if (typeof value === 'number' && Number.isInteger(value) && value >= 0 && value < names.length) return names[value];
  if (typeof value === 'string' && (names as readonly string[]).includes(value)) return value as T;
  problems.add(`${path}.${field}`, `unknown value ${describe(value)}, expected one of ${names.join(', ')}`);
  return undefined;
}

function stringMatch(value: unknown, path: string, problems: Problems): StringMatch | undefined {
  if (!isObject(value)) {
    problems.add(path, `expected a StringMatch object, got ${describe(value)}`);
    return undefined;
  }
  // Decoded objects name the set oneof member in `match_type`; plain objects ({ exact: 'x' }) may not.
  const set = STRING_MATCH_KINDS.filter((k) => value[k] !== undefined && value[k] !== null);
  const declared = value['match_type'];
  let kind: StringMatch['kind'];
  if (declared !== undefined && declared !== null) {
    if (typeof declared !== 'string' || !(STRING_MATCH_KINDS as readonly string[]).includes(declared)) {
      problems.add(`${path}.match_type`, `unknown match type ${describe(declared)}, expected exact, prefix, suffix or presence`);
      return undefined;
    }
    kind = declared as StringMatch['kind'];
    if (!set.includes(kind)) {
      problems.add(`${path}.${kind}`, `match_type is ${kind} but the ${kind} member is not set`);
      return undefined;
    }
  } else if (set.length === 1) {
    kind = set[0] as StringMatch['kind'];
  } else if (set.length === 0) {
    problems.add(path, 'empty StringMatch (no exact, prefix, suffix or presence set); ztunnel would drop it and widen the match');
    return undefined;
  } else {
    problems.add(path, `more than one of ${set.join(', ')} set in a oneof`);
    return undefined;
  }
  if (kind === 'presence') {
    if (!isObject(value['presence'])) {
      problems.add(`${path}.presence`, `expected an empty object, got ${describe(value['presence'])}`);
      return undefined;
    }
    return { kind, value: '' };
  }
  const member = value[kind];
  if (typeof member !== 'string') {
    problems.add(`${path}.${kind}`, `expected a string, got ${describe(member)}`);
    return undefined;
  }
  if (member === '') {
    problems.add(`${path}.${kind}`, `empty ${kind} string; write presence for "any value"`);
    return undefined;
  }
  return { kind, value: member };
}

function address(value: unknown, path: string, problems: Problems): Cidr | undefined {
  if (!isObject(value)) {
    problems.add(path, `expected an Address object, got ${describe(value)}`);
    return undefined;
  }
  const bytes = value['address'];
  if (!(bytes instanceof Uint8Array)) {
    problems.add(`${path}.address`, `expected bytes, got ${describe(bytes)}`);
    return undefined;
  }
  const length = value['length'] ?? 0;
  if (typeof length !== 'number') {
    problems.add(`${path}.length`, `expected a number, got ${describe(length)}`);
    return undefined;
  }
  const cidr = cidrFromBytes(bytes, length);
  if (typeof cidr === 'string') {
    problems.add(`${path}${bytes.length !== 4 && bytes.length !== 16 ? '.address' : '.length'}`, cidr);
    return undefined;
  }
  return cidr;
}

function port(value: unknown, path: string, problems: Problems): number | undefined {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1 || value > 65535) {
    problems.add(path, `${describe(value)} is not a port (1-65535)`);
    return undefined;
  }
  return value;
}

function serviceAccountMatch(value: unknown, path: string, problems: Problems): ServiceAccountMatch | undefined {
  if (!isObject(value)) {
    problems.add(path, `expected a ServiceAccountMatch object, got ${describe(value)}`);
    return undefined;
  }
  const before = problems.list.length;
  const namespace = text(value, 'namespace', path, problems);
  const serviceAccount = text(value, 'serviceAccount', path, problems);
  if (problems.list.length !== before) return undefined;
  if (namespace === '') problems.add(`${path}.namespace`, 'empty namespace');
  if (serviceAccount === '') problems.add(`${path}.serviceAccount`, 'empty service account');
  return namespace === '' || serviceAccount === '' ? undefined : { namespace, serviceAccount };
}

function each<T>(obj: Obj, field: string, path: string, problems: Problems, item: (v: unknown, p: string, pr: Problems) => T | undefined): T[] {
  const out: T[] = [];
  list(obj, field, path, problems).forEach((v, i) => {
    const parsed = item(v, `${path}.${field}[${i}]`, problems);
    if (parsed !== undefined) out.push(parsed);
  });
  return out;
}

function match(value: unknown, path: string, problems: Problems): Match | undefined {
  if (!isObject(value)) {
    problems.add(path, `expected a Match object, got ${describe(value)}`);
    return undefined;
  }
  return {
    namespaces: each(value, 'namespaces', path, problems, stringMatch),
    notNamespaces: each(value, 'not_namespaces', path, problems, stringMatch),
    principals: each(value, 'principals', path, problems, stringMatch),
    notPrincipals: each(value, 'not_principals', path, problems, stringMatch),
    sourceIps: each(value, 'source_ips', path, problems, address),
    notSourceIps: each(value, 'not_source_ips', path, problems, address),
    destinationIps: each(value, 'destination_ips', path, problems, address),
    notDestinationIps: each(value, 'not_destination_ips', path, problems, address),
    destinationPorts: each(value, 'destination_ports', path, problems, port),
    notDestinationPorts: each(value, 'not_destination_ports', path, problems, port),
    serviceAccounts: each(value, 'service_accounts', path, problems, serviceAccountMatch),
    notServiceAccounts: each(value, 'not_service_accounts', path, problems, serviceAccountMatch),
  };
}

function clause(value: unknown, path: string, problems: Problems): Clause | undefined {
  if (!isObject(value)) {
    problems.add(path, `expected a Clause object, got ${describe(value)}`);
    return undefined;
  }
  return { matches: each(value, 'matches', path, problems, match) };
}

function rule(value: unknown, path: string, problems: Problems): Rule | undefined {
  if (!isObject(value)) {
    problems.add(path, `expected a Rule object, got ${describe(value)}`);
    return undefined;
  }
  return { clauses: each(value, 'clauses', path, problems, clause) };
}

function failure(resourceName: string, problems: Problems): PolicyResult {
  const shown = problems.list.slice(0, MAX_PROBLEMS);
  const more = problems.list.length - shown.length;
  return { ok: false, error: `invalid Authorization ${JSON.stringify(resourceName)}: ${shown.join('; ')}${more > 0 ? `; and ${more} more` : ''}` };
}

/**
 * Validates one decoded istio.security.Authorization. `resourceName` is the xDS resource name, which
 * must be `namespace/name` of the resource (it is the key workloads list in authorization_policies).
 * On failure, `error` lists up to ten problems, each `Authorization.<field path>: <what is wrong>`.
 */
export function policyFromResource(resourceName: string, decoded: unknown): PolicyResult {
  const path = 'Authorization';
  const problems = new Problems();
  if (!isObject(decoded)) {
    problems.add(path, `expected an object, got ${describe(decoded)}`);
    return failure(resourceName, problems);
  }
  const name = text(decoded, 'name', path, problems);
  const namespace = text(decoded, 'namespace', path, problems);
  if (name === '') problems.add(`${path}.name`, 'empty name');
  if (namespace === '') problems.add(`${path}.namespace`, 'empty namespace');
  const key = `${namespace}/${name}`;
  if (name !== '' && namespace !== '' && resourceName !== key) {
    problems.add(`${path}.name`, `resource name ${JSON.stringify(resourceName)} is not namespace/name ${JSON.stringify(key)}`);
  }
  const scope = enumValue(decoded, 'scope', SCOPES, path, problems);
  const action = enumValue(decoded, 'action', ACTIONS, path, problems);
  const dryRun = decoded['dry_run'] ?? false;
  if (typeof dryRun !== 'boolean') problems.add(`${path}.dry_run`, `expected a boolean, got ${describe(dryRun)}`);
  const rules = each(decoded, 'rules', path, problems, rule);
  if (problems.list.length > 0 || scope === undefined || action === undefined) return failure(resourceName, problems);
  return { ok: true, policy: { key, name, namespace, scope, action, dryRun: dryRun === true, rules } };
}
