import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseCniEnv } from './env.ts';
import { cniCodeOf } from './errors.ts';

const ADD = { CNI_COMMAND: 'ADD', CNI_CONTAINERID: 'abc123', CNI_NETNS: '/run/netns/p', CNI_IFNAME: 'eth0', CNI_PATH: '/opt/cni/bin:/usr/lib/cni' };

const valid: Array<[string, Record<string, string>]> = [
  ['ADD with everything', ADD],
  ['DEL without CNI_NETNS', { CNI_COMMAND: 'DEL', CNI_CONTAINERID: 'abc', CNI_IFNAME: 'eth0', CNI_PATH: '/x' }],
  ['GC needs only CNI_PATH', { CNI_COMMAND: 'GC', CNI_PATH: '/x' }],
  ['STATUS needs only CNI_PATH', { CNI_COMMAND: 'STATUS', CNI_PATH: '/x' }],
  ['VERSION needs nothing', { CNI_COMMAND: 'VERSION' }],
  ['container id with _ . -', { ...ADD, CNI_CONTAINERID: 'a_b.c-d' }],
];
for (const [name, env] of valid) {
  test(`env ok: ${name}`, () => {
    assert.equal(parseCniEnv(env).command, env['CNI_COMMAND']);
  });
}

const invalid: Array<[string, Record<string, string>, RegExp[]]> = [
  ['nothing set', {}, [/CNI_COMMAND is missing/]],
  ['unknown verb', { CNI_COMMAND: 'FROB' }, [/CNI_COMMAND="FROB" is not one of/]],
  ['ADD missing all four', { CNI_COMMAND: 'ADD' }, [/CNI_CONTAINERID is missing/, /CNI_NETNS is missing/, /CNI_IFNAME is missing/, /CNI_PATH is missing/]],
  ['CHECK missing netns', { ...ADD, CNI_COMMAND: 'CHECK', CNI_NETNS: '' }, [/CNI_NETNS is missing/]],
  ['bad container id', { ...ADD, CNI_CONTAINERID: '-abc' }, [/CNI_CONTAINERID="-abc"/]],
  ['ifname too long', { ...ADD, CNI_IFNAME: 'a-very-long-ifname' }, [/CNI_IFNAME="a-very-long-ifname" is longer than 15/]],
  ['ifname with slash', { ...ADD, CNI_IFNAME: 'et/h0' }, [/CNI_IFNAME="et\/h0"/]],
  ['relative netns', { ...ADD, CNI_NETNS: 'run/netns/p' }, [/CNI_NETNS="run\/netns\/p" must be an absolute path/]],
  ['bad CNI_ARGS pair', { ...ADD, CNI_ARGS: 'IgnoreUnknown=1;oops' }, [/CNI_ARGS: invalid pair "oops"/]],
  ['GC without CNI_PATH', { CNI_COMMAND: 'GC' }, [/CNI_PATH is missing/]],
];
for (const [name, env, messages] of invalid) {
  test(`env error code 4: ${name}`, () => {
    assert.throws(() => parseCniEnv(env), (error: unknown) => {
      assert.equal(cniCodeOf(error), 4);
      for (const m of messages) assert.match((error as Error).message, m);
      return true;
    });
  });
}

test('env: CNI_PATH is split on ":" and CNI_ARGS pod keys are picked out', () => {
  const env = parseCniEnv({ ...ADD, CNI_ARGS: 'IgnoreUnknown=1;K8S_POD_NAMESPACE=prod;K8S_POD_NAME=web-0;K8S_POD_UID=u-1;FOO=bar' });
  assert.deepEqual(env.path, ['/opt/cni/bin', '/usr/lib/cni']);
  assert.deepEqual(env.pod, { namespace: 'prod', name: 'web-0', uid: 'u-1' });
});
