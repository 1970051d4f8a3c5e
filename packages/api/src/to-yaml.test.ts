// toYaml writes Kubernetes-shaped YAML that parseResources reads back to the same resources.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Resource } from './resource.ts';
import { toYaml } from './to-yaml.ts';
import { parseOne, yaml } from './testing/helpers.ts';

const withoutSource = (list: Resource[]): unknown[] => list.map(({ source: _source, ...rest }) => rest);

test('toYaml: a round trip through parseResources keeps every resource', () => {
  const first = parseOne(yaml`
    apiVersion: v1
    kind: Namespace
    metadata:
      name: shop
      labels: {istio.io/dataplane-mode: ambient, flag: "yes", octal: "0755", bool: "true", num: "1.0", empty: ""}
    ---
    apiVersion: v1
    kind: ServiceAccount
    metadata: {name: web, namespace: shop}
    ---
    apiVersion: v1
    kind: Pod
    metadata:
      name: web-0
      namespace: shop
      labels: {app: web}
      annotations: {note: "multi\nline: text", time: "12:30"}
      uid: 1234
    spec:
      nodeName: node-1
      serviceAccountName: web
      containers:
      - name: web
        image: nginx
        command: [sh, -c, "echo 'hi' && sleep 1"]
        args: ["on", "null", "~"]
        env: [{name: A, value: "1"}, {name: B}]
        ports: [{name: http, containerPort: 8080}, {containerPort: 53, protocol: UDP}]
    status:
      phase: Running
      podIP: 10.244.1.5
      podIPs: [{ip: 10.244.1.5}]
      hostIP: 172.18.0.2
      conditions: [{type: Ready, status: "True", lastTransitionTime: "2025-01-01T00:00:00Z"}]
    ---
    apiVersion: v1
    kind: Service
    metadata: {name: web, namespace: shop}
    spec:
      clusterIP: 10.96.0.20
      selector: {app: web}
      ports: [{name: http, port: 80, targetPort: http, appProtocol: http}, {name: dns, port: 53, targetPort: 5353, protocol: UDP}]
    ---
    apiVersion: apps/v1
    kind: Deployment
    metadata: {name: web, namespace: shop}
    spec:
      replicas: 3
      selector:
        matchLabels: {app: web}
        matchExpressions: [{key: tier, operator: NotIn, values: [fe]}, {key: legacy, operator: DoesNotExist}]
      template:
        metadata: {labels: {app: web}, annotations: {a: b}}
        spec:
          containers: [{name: web, image: nginx}]
  `);
  // uid: 1234 is a number, which Kubernetes rejects for a string field.
  assert.deepEqual(first.problems.map((p) => `${p.path} ${p.code}`), ['metadata.uid AMBIT_API_INVALID_TYPE']);
  assert.equal(first.resources.length, 4);
  const text = toYaml(first.resources);
  const second = parseOne(text, 'state.yaml');
  assert.deepEqual(second.problems, []);
  assert.deepEqual(withoutSource(second.resources), withoutSource(first.resources));
  assert.doesNotMatch(text, /source/);
});

test('toYaml: one resource, Kubernetes field order, defaults written out, strings quoted when YAML would misread them', () => {
  const { resources, problems } = parseOne(yaml`
    apiVersion: v1
    kind: Service
    metadata:
      labels: {enabled: "on"}
      name: web
    spec:
      ports: [{port: 80}]
      selector: {app: web}
  `);
  assert.deepEqual(problems, []);
  const only = resources[0];
  assert.ok(only);
  assert.equal(
    toYaml(only),
    [
      'apiVersion: v1',
      'kind: Service',
      'metadata:',
      '  name: web',
      '  namespace: default',
      '  labels:',
      '    enabled: "on"',
      'spec:',
      '  type: ClusterIP',
      '  selector:',
      '    app: web',
      '  ports:',
      '    - port: 80',
      '      targetPort: 80',
      '      protocol: TCP',
      '',
    ].join('\n'),
  );
});

test('toYaml: several resources are separated by ---; a cluster-scoped kind has no namespace', () => {
  const { resources } = parseOne('apiVersion: v1\nkind: Namespace\nmetadata: {name: a}\n---\napiVersion: v1\nkind: Namespace\nmetadata: {name: b}\n');
  assert.equal(toYaml(resources), 'apiVersion: v1\nkind: Namespace\nmetadata:\n  name: a\n---\napiVersion: v1\nkind: Namespace\nmetadata:\n  name: b\n');
});

test('metadata.creationTimestamp: kept when RFC 3339 UTC (quoted or not), null ignored, anything else refused; written back', () => {
  const meta = (ts: string): string => yaml`
    apiVersion: v1
    kind: Namespace
    metadata:
      name: a
      creationTimestamp: ${ts}
  `;
  assert.equal(parseOne(meta('2025-01-01T00:00:00Z')).resources[0]?.metadata.creationTimestamp, '2025-01-01T00:00:00Z');
  assert.equal(parseOne(meta('"2025-01-01T00:00:00.5Z"')).resources[0]?.metadata.creationTimestamp, '2025-01-01T00:00:00.5Z');
  assert.equal(parseOne(meta('null')).resources[0]?.metadata.creationTimestamp, undefined);
  assert.deepEqual(parseOne(meta('"2025-01-01 10:00"')).problems.map((p) => `${p.path} ${p.code}`), ['metadata.creationTimestamp AMBIT_API_INVALID_VALUE']);
  const [resource] = parseOne(meta('2025-01-01T00:00:00Z')).resources;
  assert.match(toYaml(resource as Resource), /creationTimestamp: "?2025-01-01T00:00:00Z"?/);
});
