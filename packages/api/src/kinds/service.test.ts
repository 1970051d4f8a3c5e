// Service validation (pkg/apis/core/validation ValidateService) and defaulting (SetDefaults_Service).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseOne, problemsOf, yaml } from '../testing/helpers.ts';

const cases: Array<{ name: string; text: string; problems: string[] }> = [
  {
    name: 'name must be a DNS-1123 label (no dots, unlike pods)',
    text: yaml`
      apiVersion: v1
      kind: Service
      metadata:
        name: web.v2
      spec:
        ports:
        - port: 80
    `,
    problems: ['4:3 metadata.name AMBIT_API_INVALID_VALUE'],
  },
  {
    name: 'port is required and within 1..65535',
    text: yaml`
      apiVersion: v1
      kind: Service
      metadata:
        name: web
      spec:
        ports:
        - name: a
          port: 0
        - name: b
          port: 65536
        - name: c
          targetPort: 80
    `,
    problems: [
      '8:5 spec.ports[0].port AMBIT_API_INVALID_VALUE',
      '10:5 spec.ports[1].port AMBIT_API_INVALID_VALUE',
      '11:5 spec.ports[2].port AMBIT_API_REQUIRED',
    ],
  },
  {
    name: 'targetPort is a port number or an IANA_SVC_NAME',
    text: yaml`
      apiVersion: v1
      kind: Service
      metadata:
        name: web
      spec:
        ports:
        - {name: a, port: 1, targetPort: 70000}
        - {name: b, port: 2, targetPort: "8080"}
        - {name: c, port: 3, targetPort: Http}
        - {name: d, port: 4, targetPort: http-metrics}
        - {name: e, port: 5, targetPort: [80]}
        - {name: f, port: 6, targetPort: 0}
    `,
    problems: [
      '7:24 spec.ports[0].targetPort AMBIT_API_INVALID_VALUE',
      '8:24 spec.ports[1].targetPort AMBIT_API_INVALID_VALUE',
      '9:24 spec.ports[2].targetPort AMBIT_API_INVALID_VALUE',
      '11:24 spec.ports[4].targetPort AMBIT_API_INVALID_TYPE',
    ],
  },
  {
    name: 'several ports each need a unique DNS-1123 label name; port+protocol unique',
    text: yaml`
      apiVersion: v1
      kind: Service
      metadata:
        name: web
      spec:
        ports:
        - port: 80
        - name: http
          port: 8080
        - name: http
          port: 8081
        - name: Metrics
          port: 9090
        - name: dns
          port: 8080
        - name: dns-udp
          port: 8080
          protocol: UDP
    `,
    problems: [
      '7:5 spec.ports[0].name AMBIT_API_REQUIRED',
      '10:5 spec.ports[2].name AMBIT_API_DUPLICATE',
      '12:5 spec.ports[3].name AMBIT_API_INVALID_VALUE',
      '15:5 spec.ports[4].port AMBIT_API_DUPLICATE',
    ],
  },
  {
    name: 'clusterIP is an IPv4 address, "None" or empty',
    text: yaml`
      apiVersion: v1
      kind: Service
      metadata:
        name: a
      spec:
        clusterIP: 10.96.0.300
        ports: [{port: 80}]
      ---
      apiVersion: v1
      kind: Service
      metadata:
        name: b
      spec:
        clusterIP: 010.96.0.1
        ports: [{port: 80}]
      ---
      apiVersion: v1
      kind: Service
      metadata:
        name: c
      spec:
        clusterIP: none
        ports: [{port: 80}]
      ---
      apiVersion: v1
      kind: Service
      metadata:
        name: d
      spec:
        clusterIP: 10.96.0.10
        ports: [{port: 53, protocol: UDP}]
      ---
      apiVersion: v1
      kind: Service
      metadata:
        name: e
      spec:
        clusterIP: ""
        ports: [{port: 80}]
    `,
    problems: ['6:3 spec.clusterIP AMBIT_API_INVALID_VALUE', '14:3 spec.clusterIP AMBIT_API_INVALID_VALUE', '22:3 spec.clusterIP AMBIT_API_INVALID_VALUE'],
  },
  {
    name: 'ports are required unless the Service is headless',
    text: yaml`
      apiVersion: v1
      kind: Service
      metadata:
        name: a
      spec:
        selector: {app: a}
      ---
      apiVersion: v1
      kind: Service
      metadata:
        name: b
      spec:
        clusterIP: None
        selector: {app: b}
    `,
    problems: ['5:1 spec.ports AMBIT_API_REQUIRED'],
  },
  {
    name: 'only type ClusterIP is supported; unknown types are invalid',
    text: yaml`
      apiVersion: v1
      kind: Service
      metadata:
        name: a
      spec:
        type: NodePort
        ports: [{port: 80, nodePort: 30080}]
      ---
      apiVersion: v1
      kind: Service
      metadata:
        name: b
      spec:
        type: Cluster
        ports: [{port: 80}]
    `,
    problems: ['6:3 spec.type AMBIT_API_UNSUPPORTED', '7:22 spec.ports[0].nodePort AMBIT_API_IGNORED_FIELD warning', '14:3 spec.type AMBIT_API_INVALID_VALUE'],
  },
  {
    name: 'selector is a map of label keys to label values',
    text: yaml`
      apiVersion: v1
      kind: Service
      metadata:
        name: web
      spec:
        selector:
          app: web
          tier: 3
          Bad Key: x
        ports: [{port: 80}]
    `,
    problems: ['8:5 spec.selector.tier AMBIT_API_INVALID_TYPE', '9:5 spec.selector["Bad Key"] AMBIT_API_INVALID_VALUE'],
  },
  {
    name: 'appProtocol is a qualified name',
    text: yaml`
      apiVersion: v1
      kind: Service
      metadata:
        name: web
      spec:
        ports:
        - name: a
          port: 80
          appProtocol: kubernetes.io/h2c
        - name: b
          port: 81
          appProtocol: "http 2"
    `,
    problems: ['12:5 spec.ports[1].appProtocol AMBIT_API_INVALID_VALUE'],
  },
  {
    name: 'kubectl get -o yaml output is accepted as is',
    text: yaml`
      apiVersion: v1
      kind: Service
      metadata:
        creationTimestamp: "2025-01-01T00:00:00Z"
        name: kube-dns
        namespace: kube-system
        resourceVersion: "300"
        uid: 6c3c6b3e-0000-4000-8000-000000000001
      spec:
        clusterIP: 10.96.0.10
        clusterIPs:
        - 10.96.0.10
        internalTrafficPolicy: Cluster
        ipFamilies:
        - IPv4
        ipFamilyPolicy: SingleStack
        ports:
        - name: dns
          port: 53
          protocol: UDP
          targetPort: 53
        - name: dns-tcp
          port: 53
          protocol: TCP
          targetPort: 53
        selector:
          k8s-app: kube-dns
        sessionAffinity: None
        type: ClusterIP
      status:
        loadBalancer: {}
    `,
    problems: [],
  },
];

for (const c of cases) {
  test(`Service: ${c.name}`, () => {
    assert.deepEqual(problemsOf(c.text), c.problems);
  });
}

test('Service: targetPort defaults to port, protocol to TCP; an empty selector means none', () => {
  const { resources, problems } = parseOne(yaml`
    apiVersion: v1
    kind: Service
    metadata:
      name: web
      namespace: shop
    spec:
      selector: {}
      ports:
      - name: http
        port: 80
      - name: grpc
        port: 9000
        targetPort: grpc
        appProtocol: grpc
      - name: zero
        port: 7000
        targetPort: 0
  `);
  assert.deepEqual(problems, []);
  assert.deepEqual(resources[0]?.spec, {
    type: 'ClusterIP',
    ports: [
      { name: 'http', port: 80, targetPort: 80, protocol: 'TCP' },
      { name: 'grpc', port: 9000, targetPort: 'grpc', protocol: 'TCP', appProtocol: 'grpc' },
      { name: 'zero', port: 7000, targetPort: 7000, protocol: 'TCP' },
    ],
  });
});

test('Service: the targetPort message explains a quoted number', () => {
  const { problems } = parseOne(yaml`
    apiVersion: v1
    kind: Service
    metadata:
      name: web
    spec:
      ports:
      - port: 80
        targetPort: "8080"
  `);
  assert.match(problems[0]?.message ?? '', /write the number without quotes/);
});
