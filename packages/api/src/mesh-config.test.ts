// The mesh config file: defaults, extension providers, and warnings for keys Ambit ignores.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadMeshConfig } from './mesh-config.ts';
import { brief, yaml } from './testing/helpers.ts';

const load = (text: string): ReturnType<typeof loadMeshConfig> => loadMeshConfig({ path: 'mesh.yaml', text });

test('mesh config: an empty file gives the defaults', () => {
  assert.deepEqual(load(''), { config: { trustDomain: 'cluster.local', rootNamespace: 'istio-system', extensionProviders: [] }, problems: [] });
});

test("mesh config: Istio's ext-authz task file is accepted unchanged (port written as a string)", () => {
  const path = join(import.meta.dirname, '..', '..', '..', 'test', 'conformance', 'yaml', 'mesh', 'istio-ext-authz.yaml');
  const { config, problems } = loadMeshConfig({ path, text: readFileSync(path, 'utf8') });
  assert.deepEqual(problems, []);
  assert.deepEqual(config.extensionProviders, [
    { name: 'sample-ext-authz-http', envoyExtAuthzHttp: { service: 'ext-authz.foo.svc.cluster.local', port: 8000, includeRequestHeadersInCheck: ['x-ext-authz'] } },
  ]);
});

test('mesh config: every field read and typed', () => {
  const { config, problems } = load(yaml`
    trustDomain: example.org
    rootNamespace: mesh-root
    extensionProviders:
    - name: authz
      envoyExtAuthzHttp:
        service: authz.security.svc.cluster.local
        port: 9000
        timeout: 250ms
        pathPrefix: /check
        failOpen: true
        statusOnError: "503"
        includeRequestHeadersInCheck: [authorization, cookie]
        includeAdditionalHeadersInCheck: {x-ambit: "1"}
        headersToUpstreamOnAllow: [x-user]
        headersToDownstreamOnDeny: [content-type, set-cookie]
  `);
  assert.deepEqual(problems, []);
  assert.deepEqual(config, {
    trustDomain: 'example.org',
    rootNamespace: 'mesh-root',
    extensionProviders: [
      {
        name: 'authz',
        envoyExtAuthzHttp: {
          service: 'authz.security.svc.cluster.local', port: 9000, timeout: '250ms', pathPrefix: '/check', failOpen: true, statusOnError: '503',
          includeRequestHeadersInCheck: ['authorization', 'cookie'], includeAdditionalHeadersInCheck: { 'x-ambit': '1' },
          headersToUpstreamOnAllow: ['x-user'], headersToDownstreamOnDeny: ['content-type', 'set-cookie'],
        },
      },
    ],
  });
});

const cases: Array<{ name: string; text: string; problems: string[] }> = [
  {
    name: 'defaultConfig-style keys warn as ignored; unknown keys are errors',
    text: yaml`
      defaultConfig:
        discoveryAddress: istiod.istio-system.svc:15012
      accessLogFile: /dev/stdout
      enableTracing: true
      trustDomian: example.org
    `,
    problems: ['1:1 defaultConfig AMBIT_API_IGNORED_FIELD warning', '3:1 accessLogFile AMBIT_API_IGNORED_FIELD warning', '4:1 enableTracing AMBIT_API_IGNORED_FIELD warning', '5:1 trustDomian AMBIT_API_UNKNOWN_FIELD'],
  },
  {
    name: 'trustDomain a DNS name, rootNamespace a DNS-1123 label',
    text: yaml`
      trustDomain: "not a domain"
      rootNamespace: Istio_System
    `,
    problems: ['1:1 trustDomain AMBIT_API_INVALID_VALUE', '2:1 rootNamespace AMBIT_API_INVALID_VALUE'],
  },
  {
    name: 'providers: name required and unique; envoyExtAuthzHttp service and port required; other provider types unsupported',
    text: yaml`
      extensionProviders:
      - envoyExtAuthzHttp: {service: a.b.svc.cluster.local, port: 80}
      - name: a
        envoyExtAuthzHttp: {port: 70000, timeout: 10, pathPrefix: check}
      - name: b
        envoyExtAuthzGrpc: {service: a.b.svc.cluster.local, port: 9000}
      - name: c
      - name: d
        envoyExtAuthzHttp: {service: d.svc, port: "80x", statusOnError: 500}
      - name: e
        envoyExtAuthzHttp: {service: e.svc, port: 80}
      - name: e
        envoyExtAuthzHttp: {service: e.svc, port: 81}
    `,
    problems: [
      '2:3 extensionProviders[0].name AMBIT_API_REQUIRED',
      '4:3 extensionProviders[1].envoyExtAuthzHttp.service AMBIT_API_REQUIRED',
      '4:23 extensionProviders[1].envoyExtAuthzHttp.port AMBIT_API_INVALID_VALUE',
      '4:36 extensionProviders[1].envoyExtAuthzHttp.timeout AMBIT_API_INVALID_TYPE',
      '4:49 extensionProviders[1].envoyExtAuthzHttp.pathPrefix AMBIT_API_INVALID_VALUE',
      '6:3 extensionProviders[2].envoyExtAuthzGrpc AMBIT_API_UNSUPPORTED',
      '7:3 extensionProviders[3].envoyExtAuthzHttp AMBIT_API_REQUIRED',
      '9:39 extensionProviders[4].envoyExtAuthzHttp.port AMBIT_API_INVALID_TYPE',
      '9:52 extensionProviders[4].envoyExtAuthzHttp.statusOnError AMBIT_API_INVALID_TYPE',
      '12:3 extensionProviders[6].name AMBIT_API_DUPLICATE',
    ],
  },
];

for (const c of cases) {
  test(`mesh config: ${c.name}`, () => {
    assert.deepEqual(load(c.text).problems.map(brief), c.problems);
  });
}

test('mesh config: a file with problems still gives a config with the defaults for what is bad', () => {
  const { config, problems } = load('trustDomain: 12\nrootNamespace: ambit-root\n');
  assert.deepEqual(problems.map(brief), ['1:1 trustDomain AMBIT_API_INVALID_TYPE']);
  assert.deepEqual(config, { trustDomain: 'cluster.local', rootNamespace: 'ambit-root', extensionProviders: [] });
});
