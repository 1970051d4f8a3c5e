// Gateway and HTTPRoute validation per the Gateway API CRDs (OpenAPI limits and CEL rules).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseOne, problemsOf, yaml } from '../testing/helpers.ts';

const cases: Array<{ name: string; text: string; problems: string[] }> = [
  {
    name: 'Gateway: class and listeners required; listener names unique; protocols; hostname not for TCP/UDP',
    text: yaml`
      apiVersion: gateway.networking.k8s.io/v1
      kind: Gateway
      metadata: {name: a}
      spec:
        listeners: []
      ---
      apiVersion: gateway.networking.k8s.io/v1
      kind: Gateway
      metadata: {name: b}
      spec:
        gatewayClassName: istio-waypoint
        listeners:
        - {name: mesh, port: 15008, protocol: HBONE}
        - {name: mesh, port: 15009, protocol: HBONE}
        - {name: grpc, port: 9000, protocol: GRPC}
        - {name: bad, port: 9001, protocol: "h t t p"}
        - {name: tcp, port: 9002, protocol: TCP, hostname: a.example.com}
        - {name: Web, port: 0, protocol: HTTP, hostname: "*.Example.com"}
        - {name: dup, port: 15008, protocol: HBONE}
    `,
    problems: [
      '4:1 spec.gatewayClassName AMBIT_API_REQUIRED',
      '5:3 spec.listeners AMBIT_API_REQUIRED',
      '14:5 spec.listeners[1].name AMBIT_API_DUPLICATE',
      '15:30 spec.listeners[2].protocol AMBIT_API_UNSUPPORTED',
      '16:29 spec.listeners[3].protocol AMBIT_API_INVALID_VALUE',
      '17:44 spec.listeners[4].hostname AMBIT_API_INVALID_VALUE',
      '18:6 spec.listeners[5].name AMBIT_API_INVALID_VALUE',
      '18:17 spec.listeners[5].port AMBIT_API_INVALID_VALUE',
      '18:42 spec.listeners[5].hostname AMBIT_API_INVALID_VALUE',
      '19:5 spec.listeners[6] AMBIT_API_DUPLICATE',
    ],
  },
  {
    name: 'Gateway: istio.io/waypoint-for is service, workload, all or none; tls warns as ignored',
    text: yaml`
      apiVersion: gateway.networking.k8s.io/v1
      kind: Gateway
      metadata:
        name: waypoint
        labels: {istio.io/waypoint-for: services}
      spec:
        gatewayClassName: istio-waypoint
        listeners:
        - name: https
          port: 443
          protocol: HTTPS
          tls: {mode: Terminate}
          allowedRoutes: {namespaces: {from: Selector}}
    `,
    problems: [
      '5:12 metadata.labels["istio.io/waypoint-for"] AMBIT_API_INVALID_VALUE',
      '12:5 spec.listeners[0].tls AMBIT_API_IGNORED_FIELD warning',
      '13:21 spec.listeners[0].allowedRoutes.namespaces.selector AMBIT_API_REQUIRED',
    ],
  },
  {
    name: 'HTTPRoute: parentRefs kind Gateway or Service in the right group; name required',
    text: yaml`
      apiVersion: gateway.networking.k8s.io/v1
      kind: HTTPRoute
      metadata: {name: a}
      spec:
        parentRefs:
        - {kind: Service, name: reviews}
        - {group: "", kind: Service, name: reviews, port: 9080}
        - {kind: Mesh, name: m}
        - {group: "", name: gw}
        - {kind: Gateway, port: 70000}
    `,
    problems: [
      '6:5 spec.parentRefs[0].group AMBIT_API_INVALID_VALUE',
      '8:6 spec.parentRefs[2].kind AMBIT_API_INVALID_VALUE',
      '9:6 spec.parentRefs[3].group AMBIT_API_INVALID_VALUE',
      '10:5 spec.parentRefs[4].name AMBIT_API_REQUIRED',
      '10:21 spec.parentRefs[4].port AMBIT_API_INVALID_VALUE',
    ],
  },
  {
    name: 'HTTPRoute: path values start with "/" and are clean; header names are tokens, unique case-insensitively; methods',
    text: yaml`
      apiVersion: gateway.networking.k8s.io/v1
      kind: HTTPRoute
      metadata: {name: a}
      spec:
        hostnames: ["*.example.com", "10.0.0.1:80"]
        rules:
        - matches:
          - path: {type: PathPrefix, value: api}
          - path: {type: Exact, value: /a//b}
          - path: {type: RegularExpression, value: "^/v[0-9]+/.*"}
          - path: {type: Prefix, value: /}
          - headers:
            - {name: X-Env, value: canary}
            - {name: x-env, value: prod}
            - {name: "bad header", value: x}
            method: get
    `,
    problems: [
      '5:32 spec.hostnames[1] AMBIT_API_INVALID_VALUE',
      '8:32 spec.rules[0].matches[0].path.value AMBIT_API_INVALID_VALUE',
      '9:27 spec.rules[0].matches[1].path.value AMBIT_API_INVALID_VALUE',
      '11:14 spec.rules[0].matches[3].path.type AMBIT_API_INVALID_VALUE',
      '14:10 spec.rules[0].matches[4].headers[1].name AMBIT_API_DUPLICATE',
      '15:10 spec.rules[0].matches[4].headers[2].name AMBIT_API_INVALID_VALUE',
      '16:7 spec.rules[0].matches[4].method AMBIT_API_INVALID_VALUE',
    ],
  },
  {
    name: 'HTTPRoute: backendRefs weight 0..1,000,000 (default 1); Service backends need a port',
    text: yaml`
      apiVersion: gateway.networking.k8s.io/v1
      kind: HTTPRoute
      metadata: {name: a}
      spec:
        rules:
        - backendRefs:
          - {name: a, port: 80, weight: 0}
          - {name: b, port: 80, weight: 1000001}
          - {name: c, port: 80, weight: -1}
          - {name: d}
          - {name: e, kind: ServiceImport, group: multicluster.x-k8s.io}
    `,
    problems: [
      '8:27 spec.rules[0].backendRefs[1].weight AMBIT_API_INVALID_VALUE',
      '9:27 spec.rules[0].backendRefs[2].weight AMBIT_API_INVALID_VALUE',
      '10:7 spec.rules[0].backendRefs[3].port AMBIT_API_REQUIRED',
    ],
  },
  {
    name: 'HTTPRoute: filters typed by type, body must match type; no repeats; redirect xor rewrite',
    text: yaml`
      apiVersion: gateway.networking.k8s.io/v1
      kind: HTTPRoute
      metadata: {name: a}
      spec:
        rules:
        - filters:
          - type: RequestHeaderModifier
          - type: RequestHeaderModifier
            requestHeaderModifier: {set: [{name: a, value: b}]}
            urlRewrite: {hostname: x.example}
          - type: ExtensionRef
            extensionRef: {group: x, kind: y, name: z}
          - type: RequestRedirect
            requestRedirect: {statusCode: 307, path: {type: ReplaceFullPath}}
          - type: URLRewrite
            urlRewrite: {path: {type: ReplacePrefixMatch, replacePrefixMatch: /x}}
        - filters:
          - {type: RequestRedirect, requestRedirect: {statusCode: 304}}
        - filters:
          - {type: RequestRedirect, requestRedirect: {statusCode: 301}}
          - {type: URLRewrite, urlRewrite: {hostname: x.example}}
        - filters:
          - {type: ResponseHeaderModifier, responseHeaderModifier: {remove: [x-a]}}
          - {type: ResponseHeaderModifier, responseHeaderModifier: {remove: [x-b]}}
        - matches: [{path: {type: Exact, value: /a}}]
          filters:
          - {type: URLRewrite, urlRewrite: {path: {type: ReplacePrefixMatch, replacePrefixMatch: /b}}}
    `,
    problems: [
      '7:7 spec.rules[0].filters[0].requestHeaderModifier AMBIT_API_REQUIRED',
      '10:7 spec.rules[0].filters[1].urlRewrite AMBIT_API_INVALID_VALUE',
      '11:7 spec.rules[0].filters[2].type AMBIT_API_UNSUPPORTED',
      '14:42 spec.rules[0].filters[3].requestRedirect.path.replaceFullPath AMBIT_API_REQUIRED',
      '18:49 spec.rules[1].filters[0].requestRedirect.statusCode AMBIT_API_INVALID_VALUE',
      '19:5 spec.rules[2].filters AMBIT_API_INVALID_VALUE',
      '22:5 spec.rules[3].filters AMBIT_API_INVALID_VALUE',
      '26:5 spec.rules[4].filters AMBIT_API_INVALID_VALUE',
    ],
  },
  {
    name: 'HTTPRoute: timeouts use the Gateway API duration format; backendRequest <= request; retry',
    text: yaml`
      apiVersion: gateway.networking.k8s.io/v1
      kind: HTTPRoute
      metadata: {name: a}
      spec:
        rules:
        - timeouts: {request: 10s, backendRequest: 500ms}
          retry: {attempts: 3, backoff: 100ms, codes: [503, 200]}
        - timeouts: {request: 1.5s, backendRequest: 1m}
        - timeouts: {request: 1s, backendRequest: 2s}
        - timeouts: {request: 0s, backendRequest: 2s}
    `,
    problems: [
      '7:55 spec.rules[0].retry.codes[1] AMBIT_API_INVALID_VALUE',
      '8:16 spec.rules[1].timeouts.request AMBIT_API_INVALID_VALUE',
      '9:29 spec.rules[2].timeouts.backendRequest AMBIT_API_INVALID_VALUE',
    ],
  },
];

for (const c of cases) {
  test(`Gateway API: ${c.name}`, () => {
    assert.deepEqual(problemsOf(c.text), c.problems);
  });
}

test('HTTPRoute: defaults as the Gateway API CRDs set them', () => {
  const { resources, problems } = parseOne(yaml`
    apiVersion: gateway.networking.k8s.io/v1
    kind: HTTPRoute
    metadata: {name: a}
    spec:
      parentRefs: [{name: gw}]
      rules:
      - backendRefs: [{name: web, port: 80}]
      - matches: [{headers: [{name: env, value: canary}]}]
  `);
  assert.deepEqual(problems, []);
  assert.deepEqual(resources[0]?.spec, {
    parentRefs: [{ group: 'gateway.networking.k8s.io', kind: 'Gateway', name: 'gw' }],
    rules: [
      { matches: [{ path: { type: 'PathPrefix', value: '/' } }], backendRefs: [{ group: '', kind: 'Service', name: 'web', port: 80, weight: 1 }] },
      { matches: [{ path: { type: 'PathPrefix', value: '/' }, headers: [{ type: 'Exact', name: 'env', value: 'canary' }] }] },
    ],
  });
});
