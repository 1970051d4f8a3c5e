// Deployment validation (pkg/apis/apps/validation ValidateDeploymentSpec) and LabelSelector
// validation (metav1 validation ValidateLabelSelector), with positions.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseOne, problemsOf, yaml } from '../testing/helpers.ts';

/** A pod template as the lines under `spec:`, indented to sit inside a yaml`` block at `base`. */
function template(base: number): string {
  const lines = ['  template:', '    metadata:', '      labels: {app: web, tier: backend}', '    spec:', '      containers:', '      - name: web', '        image: nginx'];
  return lines.map((l) => `\n${' '.repeat(base)}${l}`).join('');
}
const TEMPLATE = template(6);

const cases: Array<{ name: string; text: string; problems: string[] }> = [
  {
    name: 'a valid deployment with matchLabels and matchExpressions',
    text: yaml`
      apiVersion: apps/v1
      kind: Deployment
      metadata:
        name: web
      spec:
        replicas: 0
        strategy: {type: RollingUpdate}
        selector:
          matchLabels: {app: web}
          matchExpressions:
          - {key: tier, operator: In, values: [backend, api]}
          - {key: legacy, operator: DoesNotExist}
          - {key: tier, operator: NotIn, values: [frontend]}
          - {key: app, operator: Exists}
        template:
          metadata:
            creationTimestamp: null
            labels: {app: web, tier: backend}
          spec:
            containers:
            - name: web
              image: nginx
    `,
    problems: [],
  },
  {
    name: 'the selector must match the template labels',
    text: yaml`
      apiVersion: apps/v1
      kind: Deployment
      metadata:
        name: web
      spec:
        selector:
          matchLabels:
            app: web
        template:
          metadata:
            labels:
              app: api
          spec:
            containers:
            - name: web
              image: nginx
    `,
    problems: ['11:7 spec.template.metadata.labels AMBIT_API_SELECTOR_MISMATCH'],
  },
  {
    name: 'a template without labels cannot match; the problem points at the template',
    text: yaml`
      apiVersion: apps/v1
      kind: Deployment
      metadata:
        name: web
      spec:
        selector:
          matchLabels: {app: web}
        template:
          spec:
            containers:
            - name: web
              image: nginx
    `,
    problems: ['8:3 spec.template.metadata.labels AMBIT_API_SELECTOR_MISMATCH'],
  },
  {
    name: 'replicas is an integer of at least 0',
    text: yaml`
      apiVersion: apps/v1
      kind: Deployment
      metadata:
        name: a
      spec:
        replicas: -1
        selector: {matchLabels: {app: web}}${TEMPLATE}
      ---
      apiVersion: apps/v1
      kind: Deployment
      metadata:
        name: b
      spec:
        replicas: "3"
        selector: {matchLabels: {app: web}}${TEMPLATE}
    `,
    problems: ['6:3 spec.replicas AMBIT_API_INVALID_VALUE', '21:3 spec.replicas AMBIT_API_INVALID_TYPE'],
  },
  {
    name: 'the selector is required and may not be empty',
    text: yaml`
      apiVersion: apps/v1
      kind: Deployment
      metadata:
        name: a
      spec:
        selector: {}${TEMPLATE}
      ---
      apiVersion: apps/v1
      kind: Deployment
      metadata:
        name: b
      spec:${TEMPLATE}
    `,
    problems: ['6:3 spec.selector AMBIT_API_INVALID_VALUE', '19:1 spec.selector AMBIT_API_REQUIRED'],
  },
  {
    name: 'the template is required; its pod spec is validated like a pod',
    text: yaml`
      apiVersion: apps/v1
      kind: Deployment
      metadata:
        name: a
      spec:
        selector: {matchLabels: {app: web}}
      ---
      apiVersion: apps/v1
      kind: Deployment
      metadata:
        name: b
      spec:
        selector: {matchLabels: {app: web}}
        template:
          metadata:
            labels: {app: web}
          spec:
            containers:
            - name: web
              image: nginx
              ports:
              - containerPort: 70000
    `,
    problems: ['5:1 spec.template AMBIT_API_REQUIRED', '22:11 spec.template.spec.containers[0].ports[0].containerPort AMBIT_API_INVALID_VALUE'],
  },
  {
    name: 'selector operator rules: In/NotIn need values, Exists/DoesNotExist take none',
    text: yaml`
      apiVersion: apps/v1
      kind: Deployment
      metadata:
        name: web
      spec:
        selector:
          matchLabels: {app: web}
          matchExpressions:
          - {key: tier, operator: In}
          - {key: tier, operator: NotIn, values: []}
          - {key: tier, operator: Exists, values: [a]}
          - {key: tier, operator: DoesNotExist, values: [a]}
          - {key: tier, operator: in, values: [a]}
          - {key: "-tier", operator: Exists}
          - {operator: Exists}
          - {key: tier, operator: In, values: ["-a"]}
          - {key: tier, operator: Exists, values: []}
          - {key: tier}
          - {key: tier, operator: In, values: [a], value: b}${TEMPLATE}
    `,
    problems: [
      '9:7 spec.selector.matchExpressions[0].values AMBIT_API_INVALID_VALUE',
      '10:36 spec.selector.matchExpressions[1].values AMBIT_API_INVALID_VALUE',
      '11:37 spec.selector.matchExpressions[2].values AMBIT_API_INVALID_VALUE',
      '12:43 spec.selector.matchExpressions[3].values AMBIT_API_INVALID_VALUE',
      '13:19 spec.selector.matchExpressions[4].operator AMBIT_API_INVALID_VALUE',
      '14:8 spec.selector.matchExpressions[5].key AMBIT_API_INVALID_VALUE',
      '15:7 spec.selector.matchExpressions[6].key AMBIT_API_REQUIRED',
      '16:42 spec.selector.matchExpressions[7].values[0] AMBIT_API_INVALID_VALUE',
      '18:7 spec.selector.matchExpressions[9].operator AMBIT_API_REQUIRED',
      '19:46 spec.selector.matchExpressions[10].value AMBIT_API_UNKNOWN_FIELD',
    ],
  },
];

for (const c of cases) {
  test(`Deployment: ${c.name}`, () => {
    assert.deepEqual(problemsOf(c.text), c.problems);
  });
}

test('Deployment: replicas defaults to 1; the typed spec keeps selector and template', () => {
  const { resources, problems } = parseOne(yaml`
    apiVersion: apps/v1
    kind: Deployment
    metadata:
      name: web
      namespace: shop
    spec:
      selector:
        matchExpressions:
        - {key: app, operator: In, values: [web]}${template(4)}
  `);
  assert.deepEqual(problems, []);
  assert.deepEqual(resources[0]?.spec, {
    replicas: 1,
    selector: { matchExpressions: [{ key: 'app', operator: 'In', values: ['web'] }] },
    template: {
      metadata: { labels: { app: 'web', tier: 'backend' }, annotations: {} },
      spec: { serviceAccountName: 'default', containers: [{ name: 'web', image: 'nginx', ports: [], env: [] }] },
    },
  });
});
