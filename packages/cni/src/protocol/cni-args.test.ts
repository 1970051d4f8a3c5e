import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatCniArgs, parseCniArgs } from './cni-args.ts';

const cases: Array<[string, string | undefined, Record<string, string>]> = [
  ['absent', undefined, {}],
  ['empty', '', {}],
  ['kubelet style', 'IgnoreUnknown=1;K8S_POD_NAMESPACE=ns;K8S_POD_NAME=p;K8S_POD_INFRA_CONTAINER_ID=abc', { namespace: 'ns', name: 'p', infraContainerId: 'abc' }],
  ['containerd adds the uid', 'K8S_POD_NAMESPACE=ns;K8S_POD_NAME=p;K8S_POD_UID=1234', { namespace: 'ns', name: 'p', uid: '1234' }],
  ['unknown keys ignored without IgnoreUnknown', 'FOO=1;BAR=2;K8S_POD_NAME=p', { name: 'p' }],
  ['trailing and empty segments', 'K8S_POD_NAME=p;;', { name: 'p' }],
  ['value containing "="', 'K8S_POD_NAME=a=b', { name: 'a=b' }],
  ['empty value dropped', 'K8S_POD_NAME=', {}],
];
for (const [name, text, pod] of cases) {
  test(`CNI_ARGS: ${name}`, () => {
    const parsed = parseCniArgs(text);
    assert.ok(parsed.ok);
    assert.deepEqual(parsed.pod, pod);
  });
}

for (const bad of ['novalue', '=x', 'K8S_POD_NAME=p;junk']) {
  test(`CNI_ARGS rejects "${bad}"`, () => {
    const parsed = parseCniArgs(bad);
    assert.equal(parsed.ok, false);
  });
}

test('formatCniArgs adds IgnoreUnknown=1 first, once', () => {
  assert.equal(formatCniArgs({ K8S_POD_NAME: 'p' }), 'IgnoreUnknown=1;K8S_POD_NAME=p');
  assert.equal(formatCniArgs({ IgnoreUnknown: '1', A: 'b' }), 'IgnoreUnknown=1;A=b');
  assert.equal(formatCniArgs(undefined), '');
});
