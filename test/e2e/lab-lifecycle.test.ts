// `ambit lab down` leaves the machine as it found it, also after the supervisor was killed with
// SIGKILL; bad input is refused with a clear, located error and changes nothing.
import { describe, test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, writeFile, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ambit, ambitJson, labName, leftovers } from './helpers.ts';

const ONE_POD = `apiVersion: v1
kind: Namespace
metadata: { name: app }
---
apiVersion: v1
kind: Pod
metadata: { name: web, namespace: app, labels: { app: web } }
spec:
  containers:
    - name: web
      image: ambit/workload
      ports: [{ containerPort: 8080 }]
`;

describe('lab lifecycle', () => {
  const dirs: string[] = [];
  const labs: string[] = [];
  after(async () => {
    for (const lab of labs) await ambit(['lab', 'down', '--name', lab]);
    for (const dir of dirs) await rm(dir, { recursive: true, force: true });
  });

  async function file(name: string, text: string): Promise<string> {
    const dir = await mkdtemp(join(tmpdir(), 'ambit-e2e-'));
    dirs.push(dir);
    const path = join(dir, name);
    await writeFile(path, text);
    return path;
  }

  test('down after the supervisor was killed with SIGKILL removes everything', async () => {
    const lab = labName('kill');
    labs.push(lab);
    const up = await ambit(['lab', 'up', '--name', lab, '--nodes', '2', '-f', await file('one.yaml', ONE_POD)]);
    assert.equal(up.code, 0, up.stderr);
    assert.ok((await leftovers(lab)).length > 0, 'the lab created namespaces and processes');
    const status = await ambitJson<{ components: Array<{ kind: string; pid: number }> }>(['lab', 'status', '--name', lab, '-o', 'json']);
    const supervisor = status.components.find((c) => c.kind === 'supervisor');
    assert.ok(supervisor?.pid);
    process.kill(supervisor.pid, 'SIGKILL');
    const gone = await ambit(['lab', 'status', '--name', lab]);
    assert.equal(gone.code, 3, 'status says the lab is not running');
    const down = await ambit(['lab', 'down', '--name', lab]);
    assert.equal(down.code, 0, down.stderr);
    assert.deepEqual(await leftovers(lab), []);
  });

  test('down of a lab that is not running succeeds and changes nothing', async () => {
    const down = await ambit(['lab', 'down', '--name', labName('none')]);
    assert.equal(down.code, 0, down.stderr);
  });

  test('commands on a lab that is not running exit 3', async () => {
    for (const args of [['lab', 'status'], ['lab', 'probe', '--from', 'a/b', '--to', 'c:1'], ['lab', 'exec', 'a/b', '--', 'true']]) {
      const result = await ambit([...args, '--name', labName('none')]);
      assert.equal(result.code, 3, `${args.join(' ')}: ${result.stderr}`);
      assert.match(result.stderr, /not running/);
    }
  });

  test('malformed YAML and an unknown kind are refused with file:line:col and nothing starts', async () => {
    const lab = labName('bad');
    const bad = await file('bad.yaml', 'apiVersion: v1\nkind: Pod\nmetadata:\n  name: x\n   labels: {a: b}\n');
    const result = await ambit(['lab', 'up', '--name', lab, '-f', bad]);
    assert.equal(result.code, 2);
    assert.match(result.stderr, new RegExp(`${bad.replaceAll('/', '\\/')}:\\d+:\\d+ .*\\[AMBIT_API_YAML_SYNTAX\\]`));
    assert.doesNotMatch(result.stderr, /\n\s+at /, 'no stack trace');
    const unknown = await file('unknown.yaml', 'apiVersion: example.com/v1\nkind: Widget\nmetadata: { name: w }\n');
    const result2 = await ambit(['lab', 'up', '--name', lab, '-f', unknown]);
    assert.equal(result2.code, 2);
    assert.match(result2.stderr, /unknown\.yaml:2:1 kind: .*Widget.*\[AMBIT_API_UNKNOWN_KIND\]/);
    assert.deepEqual(await leftovers(lab), []);
  });

  test('a bad apply on a running lab is refused and the lab keeps its state', async () => {
    const lab = labName('apply');
    labs.push(lab);
    const up = await ambit(['lab', 'up', '--name', lab, '--nodes', '1', '-f', await file('one.yaml', ONE_POD)]);
    assert.equal(up.code, 0, up.stderr);
    const before = await readFile(`/run/ambit/${lab}/config/Pod.app.web.yaml`, 'utf8');
    const badPort = await file(
      'bad-port.yaml',
      ONE_POD.replace('name: web, namespace: app, labels: { app: web }', 'name: web2, namespace: app').replace('containerPort: 8080', 'containerPort: 70000'),
    );
    const result = await ambit(['lab', 'apply', '--name', lab, '-f', badPort]);
    assert.equal(result.code, 2);
    assert.match(result.stderr, /bad-port\.yaml:\d+:\d+ spec\.containers\[0\]\.ports\[0\]\.containerPort: .*\[AMBIT_API_INVALID_VALUE\]/);
    const missingNs = await file('missing-ns.yaml', ONE_POD.replace('namespace: app, labels', 'namespace: nowhere, labels').replace(/^apiVersion: v1\nkind: Namespace\nmetadata: \{ name: app \}\n---\n/, ''));
    const result2 = await ambit(['lab', 'apply', '--name', lab, '-f', missingNs]);
    assert.equal(result2.code, 2);
    assert.match(result2.stderr, /missing-ns\.yaml:\d+:\d+ metadata\.namespace: namespace "nowhere" not found/);
    const status = await ambitJson<{ pods: Array<{ namespace: string; name: string; ready: boolean }> }>(['lab', 'status', '--name', lab, '-o', 'json']);
    assert.deepEqual(
      status.pods.filter((p) => p.namespace === 'app').map((p) => [p.name, p.ready]),
      [['web', true]],
    );
    assert.equal(await readFile(`/run/ambit/${lab}/config/Pod.app.web.yaml`, 'utf8'), before);
    const down = await ambit(['lab', 'down', '--name', lab]);
    assert.equal(down.code, 0);
    assert.deepEqual(await leftovers(lab), []);
  });

  test('label changes apply in place and move Service endpoints', async () => {
    const lab = labName('label');
    labs.push(lab);
    const svc = `${ONE_POD}---
apiVersion: v1
kind: Service
metadata: { name: web, namespace: app }
spec:
  selector: { app: web }
  ports: [{ port: 80, targetPort: 8080 }]
---
apiVersion: v1
kind: Pod
metadata: { name: client, namespace: app }
spec:
  containers: [{ name: c, image: ambit/workload, ports: [{ containerPort: 9 }] }]
`;
    const up = await ambit(['lab', 'up', '--name', lab, '--nodes', '1', '-f', await file('svc.yaml', svc)]);
    assert.equal(up.code, 0, up.stderr);
    const ok = await ambitJson<{ connected: boolean; server: string }>(['lab', 'probe', '--name', lab, '--from', 'app/client', '--to', 'web:80', '-o', 'json']);
    assert.equal(ok.server, 'app/web');
    const relabel = await ambit(['lab', 'apply', '--name', lab, '-f', await file('relabel.yaml', svc.replace('labels: { app: web }', 'labels: { app: other }'))]);
    assert.equal(relabel.code, 0, relabel.stderr);
    const status = await ambitJson<{ services: Array<{ name: string; endpoints: string[] }>; pods: Array<{ name: string; ip: string }> }>(['lab', 'status', '--name', lab, '-o', 'json']);
    assert.deepEqual(status.services.find((s) => s.name === 'web')?.endpoints, []);
    const refused = await ambitJson<{ connected: boolean }>(['lab', 'probe', '--name', lab, '--from', 'app/client', '--to', 'web:80', '--timeout', '500ms', '-o', 'json']);
    assert.equal(refused.connected, false, 'no endpoint is left behind the Service');
    const direct = await ambitJson<{ connected: boolean }>(['lab', 'probe', '--name', lab, '--from', 'app/client', '--to', `${status.pods.find((p) => p.name === 'web')?.ip}:8080`, '-o', 'json']);
    assert.equal(direct.connected, true, 'the pod kept running: labels changed in place');
  });
});
