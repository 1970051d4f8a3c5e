import { test } from 'node:test';
import assert from 'node:assert/strict';
import { backoffMs, plan, type Action, type ActualPod, type DesiredPod, type HandoffPhase } from './reconcile.ts';

const NOW = 1_000_000;

function d(uid: string, over: Partial<DesiredPod> = {}): DesiredPod {
  return { uid, name: uid, namespace: 'ns', serviceAccount: 'sa', netns: `/run/netns/${uid}`, inode: '100', ips: ['10.0.0.1'], ...over };
}
function a(uid: string, over: Partial<ActualPod> = {}): ActualPod {
  return { uid, netns: `/run/netns/${uid}`, inode: '100', ips: ['10.0.0.1'], captured: true, acked: false, attempts: 0, notBefore: 0, ...over };
}
function short(action: Action): string {
  switch (action.kind) {
    case 'capture':
    case 'add':
      return `${action.kind} ${action.pod.uid}`;
    case 'del':
      return `del ${action.uid}`;
    case 'uncapture':
      return `uncapture ${action.uid}${action.netns === '' ? ' (forget)' : ''}`;
    case 'snapshot':
      return 'snapshot';
  }
}

interface Row {
  name: string;
  desired: DesiredPod[];
  actual: ActualPod[];
  phase: HandoffPhase;
  want: string[];
  wakeAt?: number;
  parked?: string[];
}

const rows: Row[] = [
  { name: 'nothing to do', desired: [], actual: [], phase: 'live', want: [] },
  { name: 'a new enrolled pod is captured first, even with no ztunnel', desired: [d('p')], actual: [], phase: 'down', want: ['capture p'] },
  { name: 'captured pod waits for a ztunnel', desired: [d('p')], actual: [a('p')], phase: 'down', want: [] },
  { name: 'captured pod is added when live', desired: [d('p')], actual: [a('p')], phase: 'live', want: ['add p'] },
  { name: 'acked pod is left alone', desired: [d('p')], actual: [a('p', { acked: true })], phase: 'live', want: [] },
  { name: 'a pod whose capture failed is captured again', desired: [d('p')], actual: [a('p', { captured: false, attempts: 1 })], phase: 'live', want: ['capture p'] },
  { name: 'new netns (inode) means capture again', desired: [d('p', { inode: '200' })], actual: [a('p', { acked: true })], phase: 'live', want: ['capture p'] },
  { name: 'new IPs mean capture again', desired: [d('p', { ips: ['10.0.0.2'] })], actual: [a('p', { acked: true })], phase: 'live', want: ['capture p'] },
  { name: 'an unenrolled acked pod is deleted from the ztunnel first', desired: [], actual: [a('p', { acked: true })], phase: 'live', want: ['del p'] },
  { name: 'then its rules are removed', desired: [], actual: [a('p')], phase: 'live', want: ['uncapture p'] },
  { name: 'with no ztunnel the rules are removed directly', desired: [], actual: [a('p', { acked: true })], phase: 'down', want: ['uncapture p'] },
  { name: 'an entry never captured is forgotten', desired: [], actual: [a('p', { captured: false })], phase: 'live', want: ['uncapture p (forget)'] },
  { name: 'replay adds every captured pod, no snapshot yet', desired: [d('a'), d('b'), d('c')], actual: [a('a'), a('b'), a('c', { captured: false })], phase: 'replay', want: ['add a', 'add b', 'capture c'] },
  { name: 'replay done: snapshot', desired: [d('a')], actual: [a('a', { acked: true })], phase: 'replay', want: ['snapshot'] },
  { name: 'replay of nothing: snapshot at once', desired: [], actual: [], phase: 'replay', want: ['snapshot'] },
  { name: 'replay with a pod in backoff does not wait for it', desired: [d('a')], actual: [a('a', { attempts: 1, notBefore: NOW + 500 })], phase: 'replay', want: ['snapshot'], wakeAt: NOW + 500 },
  { name: 'backoff: nothing now, wake at the earliest', desired: [d('a'), d('b')], actual: [a('a', { attempts: 1, notBefore: NOW + 900 }), a('b', { attempts: 2, notBefore: NOW + 300 })], phase: 'live', want: [], wakeAt: NOW + 300 },
  { name: 'expired backoff: try again', desired: [d('a')], actual: [a('a', { attempts: 3, notBefore: NOW })], phase: 'live', want: ['add a'] },
  { name: 'parked after maxAttempts', desired: [d('a')], actual: [a('a', { attempts: 5 })], phase: 'live', want: [], parked: ['a'] },
  {
    name: 'mixed: sorted by uid, one step each',
    desired: [d('c'), d('a', { ips: ['10.0.0.9'] }), d('e')],
    actual: [a('a', { acked: true }), a('b', { acked: true }), a('c'), a('d')],
    phase: 'live',
    want: ['capture a', 'del b', 'add c', 'uncapture d', 'capture e'],
  },
];

for (const row of rows) {
  test(`plan: ${row.name}`, () => {
    const result = plan({
      desired: new Map(row.desired.map((p) => [p.uid, p])),
      actual: new Map(row.actual.map((p) => [p.uid, p])),
      phase: row.phase,
      now: NOW,
      maxAttempts: 5,
    });
    assert.deepEqual(result.actions.map(short), row.want);
    assert.equal(result.wakeAt, row.wakeAt);
    assert.deepEqual(result.parked, row.parked ?? []);
  });
}

test('plan: uncapture carries the netns and inode that were captured, not the desired ones', () => {
  const result = plan({ desired: new Map(), actual: new Map([['p', a('p', { netns: '/old', inode: '7' })]]), phase: 'down', now: NOW, maxAttempts: 5 });
  assert.deepEqual(result.actions, [{ kind: 'uncapture', uid: 'p', netns: '/old', inode: '7' }]);
});

test('backoffMs doubles from the initial delay and stops at the cap', () => {
  assert.deepEqual([1, 2, 3, 4, 5, 6, 40].map((n) => backoffMs(n, 200, 3000)), [200, 400, 800, 1600, 3000, 3000, 3000]);
});
