// Pod validation: every rule with its exact position and path. Expectations come from the
// Kubernetes API server's rules (pkg/apis/core/validation), positions from counting the YAML:
// a field's problem points at its key, a list item's at the item, a missing field at its parent.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseOne, problemsOf, yaml } from '../testing/helpers.ts';

interface Case {
  name: string;
  text: string;
  problems: string[];
}

const cases: Case[] = [
  {
    name: 'a valid pod has no problems',
    text: yaml`
      apiVersion: v1
      kind: Pod
      metadata:
        name: web-0.v2
        namespace: shop
        labels:
          app: web
          app.kubernetes.io/name: web
          empty: ""
        annotations:
          example.com/Note: anything at all, even spaces
        uid: 0b1d5c4e-1111-2222-3333-444455556666
      spec:
        nodeName: node-1
        serviceAccountName: web
        containers:
        - name: web
          image: nginx:1.27
          command: [node, server.js]
          args: ["--port", "8080"]
          env:
          - name: MODE
            value: prod
          ports:
          - name: http
            containerPort: 8080
          - name: dns
            containerPort: 53
            protocol: UDP
    `,
    problems: [],
  },
  {
    name: 'name must be a DNS-1123 subdomain',
    text: yaml`
      apiVersion: v1
      kind: Pod
      metadata:
        name: Web_1
      spec:
        containers:
        - name: web
          image: nginx
    `,
    problems: ['4:3 metadata.name AMBIT_API_INVALID_VALUE'],
  },
  {
    name: 'missing metadata.name points at metadata',
    text: yaml`
      apiVersion: v1
      kind: Pod
      metadata:
        labels: {app: web}
      spec:
        containers:
        - name: web
          image: nginx
    `,
    problems: ['3:1 metadata.name AMBIT_API_REQUIRED'],
  },
  {
    name: 'generateName is not supported',
    text: yaml`
      apiVersion: v1
      kind: Pod
      metadata:
        generateName: web-
      spec:
        containers:
        - name: web
          image: nginx
    `,
    problems: ['3:1 metadata.name AMBIT_API_UNSUPPORTED'],
  },
  {
    name: 'missing metadata and spec point at the document',
    text: yaml`
      apiVersion: v1
      kind: Pod
    `,
    problems: ['1:1 metadata AMBIT_API_REQUIRED', '1:1 spec AMBIT_API_REQUIRED'],
  },
  {
    name: 'namespace must be a DNS-1123 label',
    text: yaml`
      apiVersion: v1
      kind: Pod
      metadata:
        name: web
        namespace: my.ns
      spec:
        containers:
        - name: web
          image: nginx
    `,
    problems: ['5:3 metadata.namespace AMBIT_API_INVALID_VALUE'],
  },
  {
    name: 'label keys: prefix must be a subdomain, name at most 63 characters, one slash',
    text: yaml`
      apiVersion: v1
      kind: Pod
      metadata:
        name: web
        labels:
          -bad: x
          Example.COM/app: x
          /app: x
          a/b/c: x
          ${'k'.repeat(64)}: x
          example.com/${'k'.repeat(63)}: ok
      spec:
        containers:
        - name: web
          image: nginx
    `,
    problems: [
      '6:5 metadata.labels["-bad"] AMBIT_API_INVALID_VALUE',
      '7:5 metadata.labels["Example.COM/app"] AMBIT_API_INVALID_VALUE',
      '8:5 metadata.labels["/app"] AMBIT_API_INVALID_VALUE',
      '9:5 metadata.labels["a/b/c"] AMBIT_API_INVALID_VALUE',
      `10:5 metadata.labels.${'k'.repeat(64)} AMBIT_API_INVALID_VALUE`,
    ],
  },
  {
    name: 'label values: at most 63 characters, alphanumeric at both ends, strings only',
    text: yaml`
      apiVersion: v1
      kind: Pod
      metadata:
        name: web
        labels:
          a: -x
          b: ${'v'.repeat(64)}
          c: "has space"
          version: 1.0
          enabled: yes
          quoted: "yes"
          nothing:
      spec:
        containers:
        - name: web
          image: nginx
    `,
    problems: [
      '6:5 metadata.labels.a AMBIT_API_INVALID_VALUE',
      '7:5 metadata.labels.b AMBIT_API_INVALID_VALUE',
      '8:5 metadata.labels.c AMBIT_API_INVALID_VALUE',
      '9:5 metadata.labels.version AMBIT_API_INVALID_TYPE',
      '10:5 metadata.labels.enabled AMBIT_API_INVALID_TYPE',
      '12:5 metadata.labels.nothing AMBIT_API_INVALID_TYPE',
    ],
  },
  {
    name: 'annotation keys are qualified names; values may be anything',
    text: yaml`
      apiVersion: v1
      kind: Pod
      metadata:
        name: web
        annotations:
          "bad key": x
          ok: "any text: with { } and spaces"
      spec:
        containers:
        - name: web
          image: nginx
    `,
    problems: ['6:5 metadata.annotations["bad key"] AMBIT_API_INVALID_VALUE'],
  },
  {
    name: 'containerPort must be an integer in 1..65535',
    text: yaml`
      apiVersion: v1
      kind: Pod
      metadata:
        name: web
      spec:
        containers:
        - name: web
          image: nginx
          ports:
          - containerPort: 0
          - containerPort: 70000
          - containerPort: "80"
          - containerPort: 80.5
          - name: http
    `,
    problems: [
      '10:7 spec.containers[0].ports[0].containerPort AMBIT_API_INVALID_VALUE',
      '11:7 spec.containers[0].ports[1].containerPort AMBIT_API_INVALID_VALUE',
      '12:7 spec.containers[0].ports[2].containerPort AMBIT_API_INVALID_TYPE',
      '13:7 spec.containers[0].ports[3].containerPort AMBIT_API_INVALID_VALUE',
      '14:7 spec.containers[0].ports[4].containerPort AMBIT_API_REQUIRED',
    ],
  },
  {
    name: 'protocol is TCP, UDP or SCTP, case-sensitive',
    text: yaml`
      apiVersion: v1
      kind: Pod
      metadata:
        name: web
      spec:
        containers:
        - name: web
          image: nginx
          ports:
          - containerPort: 80
            protocol: tcp
          - containerPort: 81
            protocol: ICMP
          - containerPort: 82
            protocol: SCTP
    `,
    problems: [
      '11:7 spec.containers[0].ports[0].protocol AMBIT_API_INVALID_VALUE',
      '13:7 spec.containers[0].ports[1].protocol AMBIT_API_INVALID_VALUE',
    ],
  },
  {
    name: 'container port names follow IANA_SVC_NAME',
    text: yaml`
      apiVersion: v1
      kind: Pod
      metadata:
        name: web
      spec:
        containers:
        - name: web
          image: nginx
          ports:
          - {containerPort: 1, name: http-alt-metrics}
          - {containerPort: 2, name: a--b}
          - {containerPort: 3, name: "8080"}
          - {containerPort: 4, name: -http}
          - {containerPort: 5, name: http-}
          - {containerPort: 6, name: HTTP}
          - {containerPort: 7, name: h_ttp}
          - {containerPort: 8, name: a-b-c-d-e-f-g-h}
          - {containerPort: 9, name: "9p"}
    `,
    problems: [
      '10:26 spec.containers[0].ports[0].name AMBIT_API_INVALID_VALUE',
      '11:26 spec.containers[0].ports[1].name AMBIT_API_INVALID_VALUE',
      '12:26 spec.containers[0].ports[2].name AMBIT_API_INVALID_VALUE',
      '13:26 spec.containers[0].ports[3].name AMBIT_API_INVALID_VALUE',
      '14:26 spec.containers[0].ports[4].name AMBIT_API_INVALID_VALUE',
      '15:26 spec.containers[0].ports[5].name AMBIT_API_INVALID_VALUE',
      '16:26 spec.containers[0].ports[6].name AMBIT_API_INVALID_VALUE',
    ],
  },
  {
    name: 'port names are unique within a container, not across containers',
    text: yaml`
      apiVersion: v1
      kind: Pod
      metadata:
        name: web
      spec:
        containers:
        - name: web
          image: nginx
          ports:
          - name: http
            containerPort: 80
          - name: http
            containerPort: 81
        - name: sidecar
          image: envoy
          ports:
          - name: http
            containerPort: 82
    `,
    problems: ['12:7 spec.containers[0].ports[1].name AMBIT_API_DUPLICATE'],
  },
  {
    name: 'container names: DNS-1123 label, unique, required; image required; at least one container',
    text: yaml`
      apiVersion: v1
      kind: Pod
      metadata:
        name: web
      spec:
        containers:
        - name: web
          image: nginx
        - name: web
          image: nginx
        - name: Side.Car
          image: envoy
        - image: busybox
        - name: noimage
    `,
    problems: [
      '9:5 spec.containers[1].name AMBIT_API_DUPLICATE',
      '11:5 spec.containers[2].name AMBIT_API_INVALID_VALUE',
      '13:5 spec.containers[3].name AMBIT_API_REQUIRED',
      '14:5 spec.containers[4].image AMBIT_API_REQUIRED',
    ],
  },
  {
    name: 'an empty containers list and a missing one',
    text: yaml`
      apiVersion: v1
      kind: Pod
      metadata:
        name: a
      spec:
        containers: []
      ---
      apiVersion: v1
      kind: Pod
      metadata:
        name: b
      spec:
        nodeName: node-1
    `,
    problems: ['6:3 spec.containers AMBIT_API_REQUIRED', '12:1 spec.containers AMBIT_API_REQUIRED'],
  },
  {
    name: 'nodeName and serviceAccountName are DNS-1123 subdomains',
    text: yaml`
      apiVersion: v1
      kind: Pod
      metadata:
        name: web
      spec:
        nodeName: Node_1
        serviceAccountName: -sa
        containers:
        - name: web
          image: nginx
    `,
    problems: ['6:3 spec.nodeName AMBIT_API_INVALID_VALUE', '7:3 spec.serviceAccountName AMBIT_API_INVALID_VALUE'],
  },
  {
    name: 'env names may not contain "=", values are strings',
    text: yaml`
      apiVersion: v1
      kind: Pod
      metadata:
        name: web
      spec:
        containers:
        - name: web
          image: nginx
          env:
          - name: A=B
            value: x
          - name: PORT
            value: 8080
          - value: orphan
    `,
    problems: [
      '10:7 spec.containers[0].env[0].name AMBIT_API_INVALID_VALUE',
      '13:7 spec.containers[0].env[1].value AMBIT_API_INVALID_TYPE',
      '14:7 spec.containers[0].env[2].name AMBIT_API_REQUIRED',
    ],
  },
  {
    name: 'command and args are lists of strings',
    text: yaml`
      apiVersion: v1
      kind: Pod
      metadata:
        name: web
      spec:
        containers:
        - name: web
          image: nginx
          command: node server.js
          args: [--port, 8080]
    `,
    problems: ['9:5 spec.containers[0].command AMBIT_API_INVALID_TYPE', '10:20 spec.containers[0].args[1] AMBIT_API_INVALID_TYPE'],
  },
  {
    name: 'unknown fields are errors at every level; Kubernetes fields Ambit ignores are warnings or silent',
    text: yaml`
      apiVersion: v1
      kind: Pod
      metadata:
        name: web
        lables: {app: web}
        creationTimestamp: null
        resourceVersion: "42"
        generation: 3
        managedFields: []
      spec:
        hostNetwork: true
        restartPolicy: Always
        containres: []
        containers:
        - name: web
          image: nginx
          imagePullPolicy: IfNotPresent
          resources: {limits: {cpu: 100m}}
          readinessProbe: {httpGet: {port: 80}}
          port: 80
          ports:
          - containerPort: 80
            hostPort: 8080
            portName: http
      status:
        phase: Running
        qosClass: BestEffort
        startTime: "2025-01-01T00:00:00Z"
      extra: true
    `,
    problems: [
      '5:3 metadata.lables AMBIT_API_UNKNOWN_FIELD',
      '11:3 spec.hostNetwork AMBIT_API_IGNORED_FIELD warning',
      '13:3 spec.containres AMBIT_API_UNKNOWN_FIELD',
      '19:5 spec.containers[0].readinessProbe AMBIT_API_IGNORED_FIELD warning',
      '20:5 spec.containers[0].port AMBIT_API_UNKNOWN_FIELD',
      '23:7 spec.containers[0].ports[0].hostPort AMBIT_API_IGNORED_FIELD warning',
      '24:7 spec.containers[0].ports[0].portName AMBIT_API_UNKNOWN_FIELD',
      '29:1 extra AMBIT_API_UNKNOWN_FIELD',
    ],
  },
  {
    name: 'duplicate keys in a YAML map',
    text: yaml`
      apiVersion: v1
      kind: Pod
      metadata:
        name: web
        name: web2
      spec:
        containers:
        - name: web
          image: nginx
    `,
    problems: ['5:3 metadata.name AMBIT_API_DUPLICATE'],
  },
  {
    name: 'wrong types for objects and lists',
    text: yaml`
      apiVersion: v1
      kind: Pod
      metadata: web
      spec:
        containers:
          name: web
          image: nginx
    `,
    problems: ['3:1 metadata AMBIT_API_INVALID_TYPE', '5:3 spec.containers AMBIT_API_INVALID_TYPE'],
  },
  {
    name: 'status fields Ambit uses are checked; the rest of status is ignored',
    text: yaml`
      apiVersion: v1
      kind: Pod
      metadata:
        name: web
      spec:
        containers:
        - name: web
          image: nginx
      status:
        phase: Runing
        podIP: 10.244.1.300
        hostIP: 172.18.0.2
        conditions:
        - type: Ready
          status: Yes
    `,
    problems: [
      '10:3 status.phase AMBIT_API_INVALID_VALUE',
      '11:3 status.podIP AMBIT_API_INVALID_VALUE',
      '15:5 status.conditions[0].status AMBIT_API_INVALID_TYPE',
    ],
  },
];

for (const c of cases) {
  test(`Pod: ${c.name}`, () => {
    assert.deepEqual(problemsOf(c.text), c.problems);
  });
}

test('Pod: defaults are applied as Kubernetes does (namespace, protocol, serviceAccountName)', () => {
  const { resources, problems } = parseOne(yaml`
    apiVersion: v1
    kind: Pod
    metadata:
      name: web
    spec:
      serviceAccount: legacy
      containers:
      - name: web
        image: nginx
        ports:
        - containerPort: 80
  `);
  assert.deepEqual(problems, []);
  assert.deepEqual(resources, [
    {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'web', namespace: 'default', labels: {}, annotations: {} },
      spec: {
        serviceAccountName: 'legacy',
        containers: [{ name: 'web', image: 'nginx', ports: [{ containerPort: 80, protocol: 'TCP' }], env: [] }],
      },
      source: { file: 'test.yaml', line: 1, col: 1 },
    },
  ]);
});

test('Pod: serviceAccountName defaults to "default"; status is kept', () => {
  const { resources, problems } = parseOne(yaml`
    apiVersion: v1
    kind: Pod
    metadata:
      name: web
      namespace: shop
    spec:
      containers:
      - name: web
        image: nginx
    status:
      phase: Running
      podIP: 10.244.1.5
      podIPs:
      - ip: 10.244.1.5
      - ip: fd00:10:244::5
      hostIP: 172.18.0.2
      conditions:
      - type: Ready
        status: "True"
        lastProbeTime: null
  `);
  assert.deepEqual(problems, []);
  const pod = resources[0];
  assert.ok(pod?.kind === 'Pod');
  assert.equal(pod.spec.serviceAccountName, 'default');
  assert.deepEqual(pod.status, {
    phase: 'Running',
    podIP: '10.244.1.5',
    podIPs: [{ ip: '10.244.1.5' }, { ip: 'fd00:10:244::5' }],
    hostIP: '172.18.0.2',
    conditions: [{ type: 'Ready', status: 'True' }],
  });
});

test('Pod: the problem message names the value and the rule', () => {
  const { problems } = parseOne(yaml`
    apiVersion: v1
    kind: Pod
    metadata:
      name: web
    spec:
      containers:
      - name: web
        image: nginx
        ports:
        - containerPort: 70000
  `);
  assert.equal(problems.length, 1);
  assert.equal(problems[0]?.message, 'must be an integer between 1 and 65535, got 70000');
});
