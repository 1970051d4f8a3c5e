// v1 ConfigMap: opaque string data, except the `istio` ConfigMap of the root namespace whose `mesh`
// key is Istio's MeshConfig, validated with its problems at their line in the file.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { brief, parseOne, problemsOf, yaml } from '../testing/helpers.ts';

test('ConfigMap: data is read as strings; other ConfigMaps are opaque (a "mesh" key elsewhere is not validated)', () => {
  const { resources, problems } = parseOne(yaml`
    apiVersion: v1
    kind: ConfigMap
    metadata: { name: app-config, namespace: shop }
    data:
      mesh: "not: [a mesh config"
      settings.json: '{"a": 1}'
    binaryData: { logo: aGVsbG8= }
  `);
  assert.deepEqual(problems, []);
  assert.equal(resources.length, 1);
  const r = resources[0];
  assert.ok(r?.kind === 'ConfigMap');
  assert.deepEqual(r.spec, { data: { mesh: 'not: [a mesh config', 'settings.json': '{"a": 1}' } });
});

test('ConfigMap: a ConfigMap without data has empty data', () => {
  const { resources, problems } = parseOne('apiVersion: v1\nkind: ConfigMap\nmetadata: { name: empty }\n');
  assert.deepEqual(problems, []);
  assert.deepEqual(resources[0]?.spec, { data: {} });
});

const cases: Array<{ name: string; text: string; problems: string[] }> = [
  {
    name: 'values must be strings (Kubernetes rejects numbers and booleans); keys are checked',
    text: yaml`
      apiVersion: v1
      kind: ConfigMap
      metadata: { name: c }
      data:
        replicas: 3
        enabled: yes
        "bad key": x
    `,
    problems: ['5:3 data.replicas AMBIT_API_INVALID_TYPE', '6:3 data.enabled AMBIT_API_INVALID_TYPE', '7:3 data["bad key"] AMBIT_API_INVALID_VALUE'],
  },
  {
    name: 'the istio ConfigMap in istio-system: MeshConfig problems at their line and column inside the literal block',
    text: yaml`
      apiVersion: v1
      kind: ConfigMap
      metadata: { name: istio, namespace: istio-system }
      data:
        mesh: |-
          accessLogFile: /dev/stdout
          extensionProviders:
          - name: authz
            envoyExtAuthzHttp:
              service: authz.foo.svc.cluster.local
              prot: 9000
    `,
    // The block's content is indented 4 under its header on line 5: accessLogFile (value 1:1) is
    // file 6:5; the missing port is reported at the envoyExtAuthzHttp key (value 4:3, file 9:7);
    // prot (value 6:5) is file 11:9.
    problems: [
      '6:5 data.mesh.accessLogFile AMBIT_API_IGNORED_FIELD warning',
      '9:7 data.mesh.extensionProviders[0].envoyExtAuthzHttp.port AMBIT_API_REQUIRED',
      '11:9 data.mesh.extensionProviders[0].envoyExtAuthzHttp.prot AMBIT_API_UNKNOWN_FIELD',
    ],
  },
  {
    name: 'a mesh value written as a quoted string is reported at the mesh key',
    text: yaml`
      apiVersion: v1
      kind: ConfigMap
      metadata: { name: istio, namespace: istio-system }
      data:
        mesh: "trustDomian: example.org"
    `,
    problems: ['5:3 data.mesh.trustDomian AMBIT_API_UNKNOWN_FIELD'],
  },
  {
    name: 'a clean mesh config gives no problems',
    text: yaml`
      apiVersion: v1
      kind: ConfigMap
      metadata: { name: istio, namespace: istio-system }
      data:
        mesh: |
          extensionProviders:
          - name: authz
            envoyExtAuthzHttp: { service: authz.foo.svc.cluster.local, port: "9000" }
    `,
    problems: [],
  },
];

for (const c of cases) {
  test(`ConfigMap: ${c.name}`, () => {
    assert.deepEqual(problemsOf(c.text), c.problems);
  });
}

test('ConfigMap: an error in the mesh config drops the ConfigMap; the message names the line for a non-block value', () => {
  const { resources, problems } = parseOne('apiVersion: v1\nkind: ConfigMap\nmetadata: { name: istio, namespace: istio-system }\ndata:\n  mesh: "trustDomian: x"\n');
  assert.equal(resources.length, 0);
  assert.match(problems[0]?.message ?? '', /^line 1 of the mesh config: unknown field "trustDomian"/);
  assert.equal(brief(problems[0] as NonNullable<(typeof problems)[0]>), '5:3 data.mesh.trustDomian AMBIT_API_UNKNOWN_FIELD');
});
