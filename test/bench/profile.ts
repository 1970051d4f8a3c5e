// CPU profile of a running Node process (a ztunnel, a waypoint) without restarting it: SIGUSR1
// opens its inspector on 127.0.0.1:9229 of its own network namespace, the V8 profiler samples for
// SECONDS, the profile is written (open it in Chrome DevTools) and the inspector is closed again.
// Prints the functions with the most self and inclusive time, idle excluded. Run it inside the
// process's namespace, while load runs (ab.ts or mesh.ts):
//   ip netns exec ambit-<lab>.node-1 node test/bench/profile.ts PID SECONDS OUT.cpuprofile [TOP]
// Let the profiled process have a core to itself (taskset -a -p -c 0,1 PID): a sampler that shares
// one core with the load loses samples.
import { writeFileSync } from 'node:fs';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}
interface Profile {
  nodes: ProfileNode[];
  samples: number[];
}

async function inspectorCall(pid: number, seconds: number): Promise<Profile> {
  process.kill(pid, 'SIGUSR1');
  let url: string | undefined;
  for (let i = 0; i < 20 && !url; i++) {
    await new Promise((resolve) => setTimeout(resolve, 100));
    url = await fetch('http://127.0.0.1:9229/json/list')
      .then(async (r) => ((await r.json()) as Array<{ webSocketDebuggerUrl: string }>)[0]?.webSocketDebuggerUrl)
      .catch(() => undefined);
  }
  if (!url) throw new Error(`process ${pid} opened no inspector on 127.0.0.1:9229 in this network namespace`);
  const ws = new WebSocket(url);
  await new Promise((resolve, reject) => {
    ws.addEventListener('open', resolve, { once: true });
    ws.addEventListener('error', reject, { once: true });
  });
  let nextId = 0;
  const waiting = new Map<number, (result: unknown) => void>();
  ws.addEventListener('message', (event) => {
    const message = JSON.parse(String(event.data)) as { id?: number; result?: unknown };
    if (message.id !== undefined) waiting.get(message.id)?.(message.result);
  });
  const call = (method: string, params: object = {}): Promise<unknown> =>
    new Promise((resolve) => {
      const id = ++nextId;
      waiting.set(id, resolve);
      ws.send(JSON.stringify({ id, method, params }));
    });
  try {
    await call('Profiler.enable');
    await call('Profiler.setSamplingInterval', { interval: 200 });
    await call('Profiler.start');
    await new Promise((resolve) => setTimeout(resolve, seconds * 1000));
    return ((await call('Profiler.stop')) as { profile: Profile }).profile;
  } finally {
    await Promise.race([call('Runtime.evaluate', { expression: "process.getBuiltinModule('node:inspector').close()" }), new Promise((resolve) => setTimeout(resolve, 1000))]);
    ws.close();
  }
}

function summary(profile: Profile, top: number): string[] {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const name = (n: ProfileNode): string => `${n.callFrame.functionName || '(anonymous)'} ${n.callFrame.url.replace(/^.*\/(packages|node_modules)\//, '$1/')}:${n.callFrame.lineNumber + 1}`;
  const self = new Map<string, number>();
  const inclusive = new Map<string, number>();
  let busy = 0;
  for (const id of profile.samples) {
    const leaf = byId.get(id);
    if (!leaf || leaf.callFrame.functionName === '(idle)') continue;
    busy++;
    self.set(name(leaf), (self.get(name(leaf)) ?? 0) + 1);
    const seen = new Set<string>();
    for (let at: number | undefined = id; at !== undefined; at = parent.get(at)) {
      const n = byId.get(at);
      if (!n || n.callFrame.functionName === '(root)') continue;
      const key = name(n);
      if (!seen.has(key)) inclusive.set(key, (inclusive.get(key) ?? 0) + 1);
      seen.add(key);
    }
  }
  const list = (m: Map<string, number>): string[] => [...m].sort((a, b) => b[1] - a[1]).slice(0, top).map(([k, v]) => `${((100 * v) / Math.max(1, busy)).toFixed(1).padStart(5)}% ${k}`);
  return [`${profile.samples.length} samples, ${busy} busy (not idle); percentages of busy`, '--- self', ...list(self), '--- inclusive', ...list(inclusive)];
}

const [pid, seconds, out, top] = process.argv.slice(2);
if (!pid || !seconds || !out) {
  console.error('usage: node test/bench/profile.ts PID SECONDS OUT.cpuprofile [TOP]');
  process.exit(2);
}
const profile = await inspectorCall(Number(pid), Math.min(60, Number(seconds)));
writeFileSync(out, JSON.stringify(profile));
console.log(`written ${out}`);
for (const line of summary(profile, Number(top ?? 30))) console.log(line);
