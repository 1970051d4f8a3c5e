// PeerAuthentication validation as istiod applies it (ValidatePeerAuthentication).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseOne, problemsOf, yaml } from '../testing/helpers.ts';

const cases: Array<{ name: string; text: string; problems: string[] }> = [
  {
    name: 'mode is UNSET, DISABLE, PERMISSIVE or STRICT; DISABLE is accepted with a warning (ambient ignores it)',
    text: yaml`
      apiVersion: security.istio.io/v1
      kind: PeerAuthentication
      metadata: {name: a}
      spec:
        mtls: {mode: strict}
      ---
      apiVersion: security.istio.io/v1beta1
      kind: PeerAuthentication
      metadata: {name: b}
      spec:
        mtls:
          mode: DISABLE
      ---
      apiVersion: security.istio.io/v1
      kind: PeerAuthentication
      metadata: {name: c}
      spec:
        mtls: {mode: OFF}
    `,
    problems: [
      '5:10 spec.mtls.mode AMBIT_API_INVALID_VALUE',
      '12:5 spec.mtls.mode AMBIT_API_IGNORED_VALUE warning',
      '18:10 spec.mtls.mode AMBIT_API_INVALID_TYPE',
    ],
  },
  {
    name: 'portLevelMtls: keys are ports 1-65535, values {mode}',
    text: yaml`
      apiVersion: security.istio.io/v1
      kind: PeerAuthentication
      metadata: {name: a}
      spec:
        selector:
          matchLabels: {app: web}
        portLevelMtls:
          8080:
            mode: PERMISSIVE
          "9090": {mode: STRICT}
          0: {mode: STRICT}
          70000: {mode: STRICT}
          http: {mode: STRICT}
          8081: {mode: Strict}
          8082: {mod: STRICT}
    `,
    problems: [
      '11:5 spec.portLevelMtls["0"] AMBIT_API_INVALID_VALUE',
      '12:5 spec.portLevelMtls["70000"] AMBIT_API_INVALID_VALUE',
      '13:5 spec.portLevelMtls.http AMBIT_API_INVALID_VALUE',
      '14:12 spec.portLevelMtls["8081"].mode AMBIT_API_INVALID_VALUE',
      '15:12 spec.portLevelMtls["8082"].mod AMBIT_API_UNKNOWN_FIELD',
    ],
  },
  {
    name: 'portLevelMtls requires a selector with labels',
    text: yaml`
      apiVersion: security.istio.io/v1
      kind: PeerAuthentication
      metadata: {name: a}
      spec:
        mtls: {mode: STRICT}
        portLevelMtls:
          8080: {mode: DISABLE}
      ---
      apiVersion: security.istio.io/v1
      kind: PeerAuthentication
      metadata: {name: b}
      spec:
        selector: {matchLabels: {}}
        portLevelMtls:
          8080: {mode: PERMISSIVE}
    `,
    problems: [
      '6:3 spec.portLevelMtls AMBIT_API_INVALID_VALUE',
      '7:12 spec.portLevelMtls["8080"].mode AMBIT_API_IGNORED_VALUE warning',
      '13:14 spec.selector.matchLabels AMBIT_API_INVALID_VALUE warning',
      '14:3 spec.portLevelMtls AMBIT_API_INVALID_VALUE',
    ],
  },
  {
    name: 'unknown fields are errors',
    text: yaml`
      apiVersion: security.istio.io/v1
      kind: PeerAuthentication
      metadata: {name: a}
      spec:
        mTLS: {mode: STRICT}
        selector: {matchLabel: {app: a}}
    `,
    problems: ['5:3 spec.mTLS AMBIT_API_UNKNOWN_FIELD', '6:14 spec.selector.matchLabel AMBIT_API_UNKNOWN_FIELD'],
  },
];

for (const c of cases) {
  test(`PeerAuthentication: ${c.name}`, () => {
    assert.deepEqual(problemsOf(c.text), c.problems);
  });
}

test('PeerAuthentication: typed result; mtls defaults to UNSET; port keys normalized', () => {
  const { resources, problems } = parseOne(yaml`
    apiVersion: security.istio.io/v1
    kind: PeerAuthentication
    metadata: {name: a, namespace: shop}
    spec:
      selector: {matchLabels: {app: web}}
      portLevelMtls:
        8080: {mode: PERMISSIVE}
        "9090": {}
    ---
    apiVersion: security.istio.io/v1
    kind: PeerAuthentication
    metadata: {name: b, namespace: shop}
    spec: {}
  `);
  assert.deepEqual(problems, []);
  assert.deepEqual(resources.map((r) => r.spec), [
    { selector: { matchLabels: { app: 'web' } }, mtls: { mode: 'UNSET' }, portLevelMtls: { '8080': { mode: 'PERMISSIVE' }, '9090': { mode: 'UNSET' } } },
    { mtls: { mode: 'UNSET' } },
  ]);
});
