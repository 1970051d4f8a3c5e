// parseResources: documents, kinds and apiVersions, Lists, duplicates, and reporting every
// problem of every file together.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatProblem } from '@ambit/core';
import { parseResources } from './parse.ts';
import { brief, parseOne, problemsOf, yaml } from './testing/helpers.ts';

const cases: Array<{ name: string; text: string; problems: string[] }> = [
  {
    name: 'unknown kind',
    text: yaml`
      apiVersion: v1
      kind: Secret
      metadata:
        name: x
    `,
    problems: ['2:1 kind AMBIT_API_UNKNOWN_KIND'],
  },
  {
    name: 'unknown apiVersion for a known kind',
    text: yaml`
      apiVersion: v2
      kind: Pod
      metadata:
        name: web
      spec:
        containers: [{name: web, image: nginx}]
    `,
    problems: ['1:1 apiVersion AMBIT_API_UNKNOWN_API_VERSION'],
  },
  {
    name: 'a kind in the wrong group: Deployment in v1, Pod in apps/v1, old extensions/v1beta1',
    text: yaml`
      apiVersion: v1
      kind: Deployment
      metadata: {name: a}
      spec:
        selector: {matchLabels: {app: a}}
        template:
          metadata: {labels: {app: a}}
          spec: {containers: [{name: a, image: a}]}
      ---
      apiVersion: apps/v1
      kind: Pod
      metadata: {name: b}
      spec: {containers: [{name: b, image: b}]}
      ---
      apiVersion: extensions/v1beta1
      kind: Deployment
      metadata: {name: c}
      spec:
        selector: {matchLabels: {app: c}}
        template:
          metadata: {labels: {app: c}}
          spec: {containers: [{name: c, image: c}]}
    `,
    problems: ['1:1 apiVersion AMBIT_API_UNKNOWN_API_VERSION', '10:1 apiVersion AMBIT_API_UNKNOWN_API_VERSION', '15:1 apiVersion AMBIT_API_UNKNOWN_API_VERSION'],
  },
  {
    name: 'missing kind and apiVersion; kind of the wrong type',
    text: yaml`
      metadata:
        name: x
      ---
      apiVersion: v1
      kind: 3
    `,
    problems: ['1:1 kind AMBIT_API_REQUIRED', '1:1 apiVersion AMBIT_API_REQUIRED', '5:1 kind AMBIT_API_INVALID_TYPE'],
  },
  {
    name: 'a document that is not an object',
    text: yaml`
      - apiVersion: v1
        kind: Namespace
      ---
      just a string
    `,
    problems: ['1:1  AMBIT_API_INVALID_TYPE', '4:1  AMBIT_API_INVALID_TYPE'],
  },
  {
    name: 'empty documents and comments are skipped',
    text: yaml`
      # leading comment
      ---
      ---
      # only a comment
      ---
      apiVersion: v1
      kind: Namespace
      metadata:
        name: shop
      ---
    `,
    problems: [],
  },
  {
    name: 'Namespace: a DNS-1123 label; metadata.namespace is ignored with a warning; spec.finalizers accepted',
    text: yaml`
      apiVersion: v1
      kind: Namespace
      metadata:
        name: shop.v2
      ---
      apiVersion: v1
      kind: Namespace
      metadata:
        name: prod
        namespace: other
        labels:
          istio.io/dataplane-mode: ambient
      spec:
        finalizers: [kubernetes]
        color: blue
      status:
        phase: Active
    `,
    problems: ['4:3 metadata.name AMBIT_API_INVALID_VALUE', '10:3 metadata.namespace AMBIT_API_INVALID_VALUE warning', '15:3 spec.color AMBIT_API_UNKNOWN_FIELD'],
  },
  {
    name: 'ServiceAccount: a DNS-1123 subdomain; no spec; secrets and automount accepted',
    text: yaml`
      apiVersion: v1
      kind: ServiceAccount
      metadata:
        name: Frontend
      ---
      apiVersion: v1
      kind: ServiceAccount
      metadata:
        name: frontend.v1
        namespace: shop
      automountServiceAccountToken: false
      secrets: []
      spec: {}
    `,
    problems: ['4:3 metadata.name AMBIT_API_INVALID_VALUE', '13:1 spec AMBIT_API_UNKNOWN_FIELD'],
  },
  {
    name: 'a List contributes its items; item problems have an items[i] path',
    text: yaml`
      apiVersion: v1
      kind: List
      metadata:
        resourceVersion: ""
      items:
      - apiVersion: v1
        kind: Namespace
        metadata:
          name: shop
      - apiVersion: v1
        kind: ServiceAccount
        metadata:
          name: Bad
          namespace: shop
    `,
    problems: ['13:5 items[1].metadata.name AMBIT_API_INVALID_VALUE'],
  },
  {
    name: 'several problems in several documents of one file are reported together, in file order',
    text: yaml`
      apiVersion: v1
      kind: Namespace
      metadata:
        name: Shop
      ---
      apiVersion: v1
      kind: Pod
      metadata:
        name: web
        namespace: shop
      spec:
        containers:
        - name: web
          image: nginx
          ports:
          - containerPort: 70000
            protocol: HTTP
      ---
      apiVersion: v1
      kind: Service
      metadata:
        name: web
        namespace: shop
      spec:
        selector: {app: web}
        ports:
        - port: 80
          targetPort: -1
        tpye: ClusterIP
    `,
    problems: [
      '4:3 metadata.name AMBIT_API_INVALID_VALUE',
      '16:7 spec.containers[0].ports[0].containerPort AMBIT_API_INVALID_VALUE',
      '17:7 spec.containers[0].ports[0].protocol AMBIT_API_INVALID_VALUE',
      '28:5 spec.ports[0].targetPort AMBIT_API_INVALID_VALUE',
      '29:3 spec.tpye AMBIT_API_UNKNOWN_FIELD',
    ],
  },
  {
    name: 'the same resource twice: the second is reported at its name; namespaces keep apart',
    text: yaml`
      apiVersion: v1
      kind: ServiceAccount
      metadata:
        name: web
      ---
      apiVersion: v1
      kind: ServiceAccount
      metadata:
        name: web
        namespace: shop
      ---
      apiVersion: v1
      kind: ServiceAccount
      metadata:
        namespace: default
        name: web
    `,
    problems: ['16:3 metadata.name AMBIT_API_DUPLICATE'],
  },
];

for (const c of cases) {
  test(`parseResources: ${c.name}`, () => {
    assert.deepEqual(problemsOf(c.text), c.problems);
  });
}

test('parseResources: messages name the kind, the apiVersion and what is supported', () => {
  const { problems } = parseOne(yaml`
    apiVersion: v1
    kind: Deployment
    metadata: {name: a}
    ---
    apiVersion: v1
    kind: Pods
  `);
  assert.deepEqual(problems.map(formatProblem), [
    'test.yaml:1:1 apiVersion: Deployment is served as apps/v1, got "v1" [AMBIT_API_UNKNOWN_API_VERSION]',
    'test.yaml:1:1 spec: is required [AMBIT_API_REQUIRED]',
    'test.yaml:6:1 kind: unknown kind "Pods" in v1 (did you mean "Pod"? supported: Namespace, ServiceAccount, Pod, Service, Deployment, AuthorizationPolicy, PeerAuthentication, NetworkPolicy, GlobalNetworkPolicy, Tier, Gateway, HTTPRoute, DestinationRule, ConfigMap) [AMBIT_API_UNKNOWN_KIND]',
  ]);
});

test('parseResources: a duplicate across files points at the first definition', () => {
  const ns = 'apiVersion: v1\nkind: Namespace\nmetadata:\n  name: shop\n';
  const { resources, problems } = parseResources([
    { path: 'a.yaml', text: ns },
    { path: 'b.yaml', text: `# again\n${ns}` },
  ]);
  assert.equal(resources.length, 1);
  assert.deepEqual(problems.map(formatProblem), [
    'b.yaml:5:3 metadata.name: Namespace/shop is defined twice; first at a.yaml:1:1 [AMBIT_API_DUPLICATE]',
  ]);
});

test('parseResources: only documents without errors become resources; warnings do not drop them', () => {
  const { resources, problems } = parseOne(yaml`
    apiVersion: v1
    kind: Namespace
    metadata: {name: good}
    ---
    apiVersion: v1
    kind: Namespace
    metadata: {name: Bad}
    ---
    apiVersion: v1
    kind: Pod
    metadata: {name: warned}
    spec:
      hostNetwork: true
      containers: [{name: a, image: a}]
  `);
  assert.deepEqual(resources.map((r) => `${r.kind}/${r.metadata.name}`), ['Namespace/good', 'Pod/warned']);
  assert.deepEqual(problems.map(brief), ['7:12 metadata.name AMBIT_API_INVALID_VALUE', '13:3 spec.hostNetwork AMBIT_API_IGNORED_FIELD warning']);
});

test('parseResources: source points at the start of each resource, List items included', () => {
  const { resources } = parseOne(yaml`
    apiVersion: v1
    kind: Namespace
    metadata: {name: a}
    ---
    # comment first
    apiVersion: v1
    kind: List
    items:
    - apiVersion: v1
      kind: Namespace
      metadata: {name: b}
  `);
  assert.deepEqual(resources.map((r) => r.source), [
    { file: 'test.yaml', line: 1, col: 1 },
    { file: 'test.yaml', line: 9, col: 3 },
  ]);
});

test('parseResources: JSON input, YAML anchors and merge keys are read like Kubernetes does', () => {
  const json = JSON.stringify({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'json', labels: { a: 'b' } } }, null, 2);
  const fromJson = parseResources([{ path: 'ns.json', text: json }]);
  assert.deepEqual(fromJson.problems, []);
  assert.deepEqual(fromJson.resources[0]?.metadata.labels, { a: 'b' });
  const { resources, problems } = parseOne(yaml`
    apiVersion: apps/v1
    kind: Deployment
    metadata:
      name: web
      annotations:
        <<: {team: shop, app: overridden}
        app: kept
    spec:
      selector:
        matchLabels: &labels {app: web}
      template:
        metadata:
          labels: *labels
        spec:
          containers:
          - name: web
            image: nginx
  `);
  assert.deepEqual(problems, []);
  const d = resources[0];
  assert.ok(d?.kind === 'Deployment');
  assert.deepEqual(d.metadata.annotations, { app: 'kept', team: 'shop' });
  assert.deepEqual(d.spec.template.metadata.labels, { app: 'web' });
});

test('parseResources: never throws, whatever the input', () => {
  const inputs = ['', '---', '[', '{', ': :', '- - -', '!!binary x', 'a: *undefined', '\t', '%YAML 9.9\n---\n', 'kind: Pod\nspec: [1, {a: b}]\n'];
  for (const text of inputs) {
    assert.doesNotThrow(() => parseOne(text), `input ${JSON.stringify(text)}`);
  }
});
