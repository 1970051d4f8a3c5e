// The analyzers' verdicts follow Istio's documented behaviour (reference 5 and 6.1): written by
// hand from what a user would be told, not from running the analyzers.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseResources } from './parse.ts';
import { analyzeResources, policyEnforcement, ANALYZE_CODES } from './analyze.ts';

function analyze(text: string): Array<[string, string, number]> {
  const { resources, problems } = parseResources([{ path: 'a.yaml', text }]);
  assert.deepEqual(problems.filter((p) => p.severity === 'error'), []);
  return analyzeResources(resources).map((p) => [p.code, p.path, p.line]);
}

const POD = `apiVersion: v1
kind: Pod
metadata: { name: web, namespace: prod, labels: { app: web } }
spec: { containers: [{ name: c, image: x }] }
`;

const WAYPOINT_NS = `apiVersion: v1
kind: Namespace
metadata: { name: prod, labels: { istio.io/use-waypoint: waypoint } }
---
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: { name: waypoint, namespace: prod }
spec: { gatewayClassName: istio-waypoint, listeners: [{ name: mesh, port: 15008, protocol: HBONE }] }
`;

test('analyzers: each warning where Istio users get surprised', () => {
  const cases: Array<[string, string, Array<[string, string, number]>]> = [
    [
      'ALLOW with HTTP fields enforced by ztunnel',
      `${POD}---
apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata: { name: p, namespace: prod }
spec:
  selector: { matchLabels: { app: web } }
  rules: [{ to: [{ operation: { methods: [GET] } }] }]
`,
      [[ANALYZE_CODES.l7OnZtunnel, 'spec.rules', 6]],
    ],
    [
      'the same policy attached to a waypoint is fine',
      `${POD}---
apiVersion: v1
kind: Namespace
metadata: { name: prod, labels: { istio.io/use-waypoint: waypoint } }
---
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: { name: waypoint, namespace: prod }
spec: { gatewayClassName: istio-waypoint, listeners: [{ name: mesh, port: 15008, protocol: HBONE }] }
---
apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata: { name: p, namespace: prod }
spec:
  targetRefs: [{ kind: Gateway, group: gateway.networking.k8s.io, name: waypoint }]
  rules: [{ to: [{ operation: { methods: [GET] } }] }]
`,
      [],
    ],
    [
      'L4-only policy: no warning',
      `${POD}---
apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata: { name: p, namespace: prod }
spec:
  rules: [{ from: [{ source: { namespaces: [prod] } }], to: [{ operation: { ports: ["80"] } }] }]
`,
      [],
    ],
    [
      'selector matching no pod',
      `${POD}---
apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata: { name: p, namespace: prod }
spec:
  selector: { matchLabels: { app: wbe } }
`,
      [[ANALYZE_CODES.selectorMatchesNothing, 'spec.selector', 6]],
    ],
    [
      'a pod of another namespace does not count',
      `${POD}---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: { name: p, namespace: other }
spec:
  podSelector: { matchLabels: { app: web } }
`,
      [[ANALYZE_CODES.selectorMatchesNothing, 'spec.podSelector', 6]],
    ],
    [
      'a selector in the root namespace matches pods of every namespace',
      `${POD}---
apiVersion: security.istio.io/v1
kind: PeerAuthentication
metadata: { name: p, namespace: istio-system }
spec:
  selector: { matchLabels: { app: web } }
  mtls: { mode: STRICT }
`,
      [],
    ],
    [
      'a Deployment template counts as pods',
      `apiVersion: apps/v1
kind: Deployment
metadata: { name: web, namespace: prod }
spec:
  selector: { matchLabels: { app: web } }
  template: { metadata: { labels: { app: web } }, spec: { containers: [{ name: c, image: x }] } }
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: { name: p, namespace: prod }
spec:
  podSelector: { matchLabels: { app: web } }
`,
      [],
    ],
    [
      'use-waypoint naming a missing Gateway',
      `apiVersion: v1
kind: Namespace
metadata: { name: prod, labels: { istio.io/use-waypoint: waypoint } }
`,
      [[ANALYZE_CODES.waypointMissing, 'metadata.labels["istio.io/use-waypoint"]', 1]],
    ],
    [
      'a namespace-wide DENY on a source namespace is bypassed through the bound waypoint',
      `${WAYPOINT_NS}---
apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata: { name: no-dev, namespace: prod }
spec:
  action: DENY
  rules: [{ from: [{ source: { namespaces: [dev] } }] }]
`,
      [[ANALYZE_CODES.denyBypassedByWaypoint, 'spec.rules', 10]],
    ],
    [
      'a mesh-wide DENY on source IPs reaches the waypoint-bound namespace too',
      `${WAYPOINT_NS}---
apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata: { name: no-lab, namespace: istio-system }
spec:
  action: DENY
  rules: [{ when: [{ key: source.ip, values: [10.0.0.0/8] }] }]
`,
      [[ANALYZE_CODES.denyBypassedByWaypoint, 'spec.rules', 10]],
    ],
    [
      'a DENY on ports only does not judge the source: no warning',
      `${WAYPOINT_NS}---
apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata: { name: no-9090, namespace: prod }
spec:
  action: DENY
  rules: [{ to: [{ operation: { ports: ["9090"] } }] }]
`,
      [],
    ],
    [
      'the same DENY attached to the waypoint is where it belongs: no warning',
      `${WAYPOINT_NS}---
apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata: { name: no-dev, namespace: prod }
spec:
  targetRefs: [{ kind: Gateway, group: gateway.networking.k8s.io, name: waypoint }]
  action: DENY
  rules: [{ from: [{ source: { namespaces: [dev] } }] }]
`,
      [],
    ],
    [
      "a selector on a waypoint's pods matches the pods its Gateway becomes",
      `${WAYPOINT_NS}---
${POD}---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: { name: to-waypoint, namespace: prod }
spec:
  podSelector: { matchLabels: { gateway.networking.k8s.io/gateway-name: waypoint } }
`,
      [],
    ],
    ['use-waypoint none is an opt-out, not a name', 'apiVersion: v1\nkind: Namespace\nmetadata: { name: prod, labels: { istio.io/use-waypoint: none } }\n', []],
  ];
  for (const [name, text, expected] of cases) assert.deepEqual(analyze(text), expected, name);
});

test('no pods in the input: selector analysis is skipped rather than flagging everything', () => {
  assert.deepEqual(analyze('apiVersion: security.istio.io/v1\nkind: AuthorizationPolicy\nmetadata: { name: p, namespace: prod }\nspec: { selector: { matchLabels: { app: x } } }\n'), []);
});

test('policyEnforcement: which component enforces each policy (reference 5, enforcement table)', () => {
  const { resources } = parseResources([
    {
      path: 'a.yaml',
      text: `${WAYPOINT_NS}---
apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata: { name: l7, namespace: prod }
spec: { targetRefs: [{ kind: Service, group: "", name: api }], rules: [{}] }
---
apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata: { name: l4, namespace: prod }
spec: { selector: { matchLabels: { app: api } }, rules: [{}] }
---
apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata: { name: audit, namespace: prod }
spec: { action: AUDIT, rules: [{}] }
`,
    },
  ]);
  assert.deepEqual(
    policyEnforcement(resources).map((r) => [r.policy, r.enforcedBy.split(' (')[0]?.split(':')[0]]),
    [
      ['AuthorizationPolicy prod/audit', 'nobody'],
      ['AuthorizationPolicy prod/l4', 'destination ztunnel'],
      ['AuthorizationPolicy prod/l7', 'the waypoint of Service prod/api'],
    ],
  );
});
