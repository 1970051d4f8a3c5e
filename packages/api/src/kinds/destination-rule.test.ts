// DestinationRule validation (istiod ValidateDestinationRule, validateOutlierDetection).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseOne, problemsOf, yaml } from '../testing/helpers.ts';

const cases: Array<{ name: string; text: string; problems: string[] }> = [
  {
    name: 'host is required and a host name; unhonoured fields warn',
    text: yaml`
      apiVersion: networking.istio.io/v1
      kind: DestinationRule
      metadata: {name: a}
      spec:
        trafficPolicy:
          loadBalancer: {simple: LEAST_REQUEST, consistentHash: {httpHeaderName: x}}
          tls: {mode: ISTIO_MUTUAL}
        exportTo: ["."]
      ---
      apiVersion: networking.istio.io/v1beta1
      kind: DestinationRule
      metadata: {name: b}
      spec:
        host: "reviews:9080"
    `,
    problems: [
      '4:1 spec.host AMBIT_API_REQUIRED',
      '6:43 spec.trafficPolicy.loadBalancer.consistentHash AMBIT_API_IGNORED_FIELD warning',
      '7:5 spec.trafficPolicy.tls AMBIT_API_IGNORED_FIELD warning',
      '8:3 spec.exportTo AMBIT_API_IGNORED_FIELD warning',
      '14:3 spec.host AMBIT_API_INVALID_VALUE',
    ],
  },
  {
    name: 'outlierDetection: counts >= 0, durations >= 1ms, percentages 0-100',
    text: yaml`
      apiVersion: networking.istio.io/v1
      kind: DestinationRule
      metadata: {name: a}
      spec:
        host: reviews
        trafficPolicy:
          outlierDetection:
            consecutive5xxErrors: -1
            consecutiveGatewayErrors: "5"
            interval: 10
            baseEjectionTime: 0s
            maxEjectionPercent: 101
            minHealthPercent: 50
            consecutiveErrors: 5
            splitExternalLocalOriginErrors: true
    `,
    problems: [
      '8:7 spec.trafficPolicy.outlierDetection.consecutive5xxErrors AMBIT_API_INVALID_VALUE',
      '9:7 spec.trafficPolicy.outlierDetection.consecutiveGatewayErrors AMBIT_API_INVALID_TYPE',
      '10:7 spec.trafficPolicy.outlierDetection.interval AMBIT_API_INVALID_TYPE',
      '11:7 spec.trafficPolicy.outlierDetection.baseEjectionTime AMBIT_API_INVALID_VALUE',
      '12:7 spec.trafficPolicy.outlierDetection.maxEjectionPercent AMBIT_API_INVALID_VALUE',
      '14:7 spec.trafficPolicy.outlierDetection.consecutiveErrors AMBIT_API_IGNORED_FIELD warning',
      '15:7 spec.trafficPolicy.outlierDetection.splitExternalLocalOriginErrors AMBIT_API_IGNORED_FIELD warning',
    ],
  },
  {
    name: 'subsets: DNS-1123 names, unique; labels; their own traffic policy; connectionPool fields typed',
    text: yaml`
      apiVersion: networking.istio.io/v1
      kind: DestinationRule
      metadata: {name: a}
      spec:
        host: reviews
        trafficPolicy:
          connectionPool:
            tcp: {maxConnections: 10, connectTimeout: 1x}
            http: {h2UpgradePolicy: upgrade, maxRetries: 3, idleTimeout: 1h}
        subsets:
        - name: v1
          labels: {version: v1}
        - name: v1
        - name: V2
        - labels: {version: v3}
          trafficPolicy: {outlierDetection: {interval: 1.5s}}
    `,
    problems: [
      '8:33 spec.trafficPolicy.connectionPool.tcp.connectTimeout AMBIT_API_INVALID_VALUE',
      '9:14 spec.trafficPolicy.connectionPool.http.h2UpgradePolicy AMBIT_API_INVALID_VALUE',
      '13:5 spec.subsets[1].name AMBIT_API_DUPLICATE',
      '14:5 spec.subsets[2].name AMBIT_API_INVALID_VALUE',
      '15:5 spec.subsets[3].name AMBIT_API_REQUIRED',
    ],
  },
];

cases.push({
  name: 'retryBudget.percent is 0-100 (plain or {value}); loadBalancer.simple is an Istio SimpleLB',
  text: yaml`
    apiVersion: networking.istio.io/v1
    kind: DestinationRule
    metadata: {name: a}
    spec:
      host: reviews
      trafficPolicy:
        retryBudget: {percent: 120}
        loadBalancer: {simple: FASTEST}
    ---
    apiVersion: networking.istio.io/v1
    kind: DestinationRule
    metadata: {name: b}
    spec:
      host: reviews
      trafficPolicy: {retryBudget: {percent: {value: 30}, minRetryConcurrency: -1}}
  `,
  problems: [
    '7:19 spec.trafficPolicy.retryBudget.percent AMBIT_API_INVALID_VALUE',
    '8:20 spec.trafficPolicy.loadBalancer.simple AMBIT_API_INVALID_VALUE',
    '15:55 spec.trafficPolicy.retryBudget.minRetryConcurrency AMBIT_API_INVALID_VALUE',
  ],
});

for (const c of cases) {
  test(`DestinationRule: ${c.name}`, () => {
    assert.deepEqual(problemsOf(c.text), c.problems);
  });
}

test('DestinationRule: typed result', () => {
  const { resources, problems } = parseOne(yaml`
    apiVersion: networking.istio.io/v1
    kind: DestinationRule
    metadata: {name: a, namespace: shop}
    spec:
      host: reviews.shop.svc.cluster.local
      trafficPolicy:
        outlierDetection: {consecutive5xxErrors: 3, interval: 10s, baseEjectionTime: 30s, maxEjectionPercent: 50}
        loadBalancer: {simple: LEAST_REQUEST}
        retryBudget: {percent: 12.5, minRetryConcurrency: 2}
      subsets:
      - name: v1
        labels: {version: v1}
  `);
  assert.deepEqual(problems, []);
  assert.deepEqual(resources[0]?.spec, {
    host: 'reviews.shop.svc.cluster.local',
    trafficPolicy: {
      outlierDetection: { consecutive5xxErrors: 3, interval: '10s', baseEjectionTime: '30s', maxEjectionPercent: 50 },
      loadBalancer: { simple: 'LEAST_REQUEST' },
      retryBudget: { percent: 12.5, minRetryConcurrency: 2 },
    },
    subsets: [{ name: 'v1', labels: { version: 'v1' } }],
  });
});
