// resolveContainerPort: Kubernetes' FindPort (pkg/api/v1/pod): a number is used as is; a name is
// looked up over every container's ports with the same protocol, first match wins.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Pod } from './kinds/pod.ts';
import { resolveContainerPort } from './ports.ts';

const pod: Pod = {
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name: 'web', namespace: 'default', labels: {}, annotations: {} },
  spec: {
    serviceAccountName: 'default',
    containers: [
      {
        name: 'app',
        image: 'app',
        env: [],
        ports: [
          { name: 'http', containerPort: 8080, protocol: 'TCP' },
          { name: 'dns', containerPort: 5353, protocol: 'UDP' },
          { containerPort: 7000, protocol: 'TCP' },
        ],
      },
      {
        name: 'sidecar',
        image: 'sidecar',
        env: [],
        ports: [
          { name: 'metrics', containerPort: 9090, protocol: 'TCP' },
          { name: 'http', containerPort: 9999, protocol: 'TCP' },
          { name: 'stream', containerPort: 3868, protocol: 'SCTP' },
        ],
      },
    ],
  },
  source: { file: 'x.yaml', line: 1, col: 1 },
};

const cases: Array<{ target: number | string; protocol?: string; expected: number | undefined }> = [
  { target: 'http', expected: 8080 },
  { target: 'http', protocol: 'TCP', expected: 8080 },
  { target: 'metrics', expected: 9090 },
  { target: 'dns', expected: undefined },
  { target: 'dns', protocol: 'UDP', expected: 5353 },
  { target: 'http', protocol: 'UDP', expected: undefined },
  { target: 'stream', protocol: 'SCTP', expected: 3868 },
  { target: 'missing', expected: undefined },
  { target: 'HTTP', expected: undefined },
  { target: 8080, expected: 8080 },
  { target: 1234, expected: 1234 },
  { target: 0, expected: undefined },
  { target: 65536, expected: undefined },
];

for (const c of cases) {
  test(`resolveContainerPort(${JSON.stringify(c.target)}${c.protocol ? `, ${c.protocol}` : ''}) = ${String(c.expected)}`, () => {
    assert.equal(resolveContainerPort(pod, c.target, c.protocol), c.expected);
  });
}
