import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isAmbientEnrolled } from './enrollment.ts';

// Istio's rule (reference 4.3): the pod label wins; `none` opts a pod out of an enrolled namespace.
test('ambient enrollment by pod and namespace label', () => {
  const cases: Array<[Record<string, string>, Record<string, string> | undefined, boolean]> = [
    [{}, undefined, false],
    [{}, { 'istio.io/dataplane-mode': 'ambient' }, true],
    [{ 'istio.io/dataplane-mode': 'none' }, { 'istio.io/dataplane-mode': 'ambient' }, false],
    [{ 'istio.io/dataplane-mode': 'ambient' }, {}, true],
    [{ 'istio.io/dataplane-mode': 'ambient' }, { 'istio.io/dataplane-mode': 'none' }, true],
    [{}, { 'istio.io/dataplane-mode': 'none' }, false],
  ];
  for (const [pod, ns, expected] of cases) assert.equal(isAmbientEnrolled(pod, ns), expected, JSON.stringify({ pod, ns }));
});
