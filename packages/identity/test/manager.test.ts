// CertificateManager driven by a fake CA client, a fake clock and fake timers: every time and
// every delay below is exact.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Registry } from 'prom-client';
import { AmbitError } from '@ambit/core';
import { CertificateManager, type CertificateManagerOptions, type WorkloadCertificate } from '../src/index.ts';
import { DB, FakeClock, HOUR, ManualClient, RecordingLogger, WEB, fakeCert, settle } from './helpers.ts';

const DAY = 24 * HOUR;

function setup(extra: Partial<CertificateManagerOptions> = {}) {
  const clock = new FakeClock();
  const client = new ManualClient();
  const logger = new RecordingLogger();
  const registry = new Registry();
  const manager = new CertificateManager({ client, logger, registry, now: () => clock.now, timers: clock, random: () => 0, ...extra });
  const updated: [string, WorkloadCertificate][] = [];
  const failed: [string, Error][] = [];
  manager.on('updated', (id, cert) => updated.push([id, cert]));
  manager.on('failed', (id, error) => failed.push([id, error]));
  return { clock, client, logger, registry, manager, updated, failed };
}

function codeOf(error: unknown): string | undefined {
  return error instanceof AmbitError ? error.code : undefined;
}

async function metric(registry: Registry, name: string): Promise<Record<string, number>> {
  const m = (await registry.getMetricsAsJSON()).find((x) => x.name === name);
  const out: Record<string, number> = {};
  for (const v of (m?.values ?? []) as { labels: Record<string, string | number>; value: number }[]) out[Object.values(v.labels).join(',')] = v.value;
  return out;
}

describe('CertificateManager', () => {
  test('acquire prefetches; concurrent acquire and wait share one request; one certificate per identity', async () => {
    const { clock, client, manager, updated } = setup();
    manager.acquire(WEB);
    manager.acquire(WEB);
    const w1 = manager.wait(WEB, 5000);
    const w2 = manager.wait(WEB, 5000);
    manager.acquire(WEB);
    await settle();
    assert.deepEqual(client.calls, [{ identity: WEB, ttlSeconds: 86_400 }]);
    assert.equal(manager.get(WEB), undefined);
    assert.equal(manager.status()[0]?.state, 'initializing');
    const cert = fakeCert(WEB, clock.now - 60_000, DAY);
    client.next().resolve(cert);
    assert.equal(await w1, cert);
    assert.equal(await w2, cert);
    assert.equal(manager.get(WEB), cert);
    assert.equal(await manager.wait(WEB, 0), cert, 'a valid certificate is returned at once');
    assert.deepEqual(updated, [[WEB, cert]]);
    assert.deepEqual(manager.status(), [
      { identity: WEB, state: 'available', refs: 3, notBefore: cert.notBefore.toISOString(), notAfter: cert.notAfter.toISOString(), nextRefresh: new Date(clock.now - 60_000 + DAY / 2).toISOString() },
    ]);
    // Another identity is another certificate.
    manager.acquire(DB);
    await settle();
    assert.deepEqual(client.calls.map((c) => c.identity), [WEB, DB]);
    manager.close();
  });

  test('renewal happens exactly at half-life (notBefore + lifetime/2)', async () => {
    const { clock, client, manager, updated } = setup();
    manager.acquire(WEB);
    await settle();
    const notBefore = clock.now - 60_000; // the CA backdates by a minute
    const first = fakeCert(WEB, notBefore, DAY, 'first');
    client.next().resolve(first);
    await settle();
    const half = notBefore + DAY / 2;
    assert.deepEqual(clock.pending().map((t) => t.at), [half]);
    await clock.advance(half - clock.now - 1);
    assert.equal(client.calls.length, 1, 'nothing before half-life');
    await clock.advance(1);
    assert.equal(client.calls.length, 2, 'renewed at half-life');
    assert.equal(clock.now, half);
    assert.equal(clock.size, 0, 'no timer while the request is in flight');
    assert.equal(manager.get(WEB), first, 'the old certificate serves during the renewal');
    const second = fakeCert(WEB, clock.now - 60_000, DAY, 'second');
    client.next().resolve(second);
    await settle();
    assert.equal(manager.get(WEB), second);
    assert.deepEqual(clock.pending().map((t) => t.at), [clock.now - 60_000 + DAY / 2]);
    assert.deepEqual(updated.map(([, c]) => c), [first, second]);
    manager.close();
  });

  test('a half-life beyond setTimeout range (90-day certificate) is reached in steps, exactly', async () => {
    const { clock, client, manager } = setup();
    manager.acquire(WEB);
    await settle();
    const notBefore = clock.now;
    client.next().resolve(fakeCert(WEB, notBefore, 90 * DAY));
    await settle();
    for (const t of clock.pending()) assert.ok(t.inMs <= 2 ** 31 - 1, 'every timer is within setTimeout range');
    await clock.advance(45 * DAY - 1);
    assert.equal(client.calls.length, 1);
    await clock.advance(1);
    assert.equal(client.calls.length, 2);
    assert.equal(clock.now, notBefore + 45 * DAY);
    manager.close();
  });

  test('failed requests back off exponentially from 0.5 s to the 150 s cap, one timer at a time', async () => {
    const { clock, client, manager, failed } = setup();
    manager.acquire(WEB);
    const delays: number[] = [];
    for (let i = 0; i < 14; i++) {
      await settle();
      client.next().reject(new AmbitError('AMBIT_ZTUNNEL_CA_UNAVAILABLE', 'CA down'));
      await settle();
      assert.equal(clock.size, 1, 'exactly one retry timer');
      const before = clock.now;
      await clock.fireNext();
      delays.push(clock.now - before);
    }
    assert.deepEqual(delays, [500, 1000, 2000, 4000, 8000, 16_000, 32_000, 64_000, 128_000, 150_000, 150_000, 150_000, 150_000, 150_000]);
    assert.equal(client.calls.length, 15);
    assert.equal(failed.length, 14);
    assert.equal(manager.status()[0]?.state, 'unavailable');
    assert.match(manager.status()[0]?.lastError ?? '', /CA down/);
    // Success resets the backoff.
    client.next().resolve(fakeCert(WEB, clock.now, DAY));
    await settle();
    assert.equal(manager.status()[0]?.lastError, undefined);
    assert.equal(manager.status()[0]?.state, 'available');
    manager.close();
  });

  test('jittered delays stay within [base, 2*base] and never above the cap', async () => {
    const { clock, client, manager } = setup({ random: () => 0.999 });
    manager.acquire(WEB);
    const delays: number[] = [];
    for (let i = 0; i < 12; i++) {
      await settle();
      client.next().reject(new Error('down'));
      await settle();
      const before = clock.now;
      await clock.fireNext();
      delays.push(clock.now - before);
    }
    assert.equal(delays[0], 1000);
    for (const d of delays) assert.ok(d >= 500 && d <= 150_000, `delay ${d}`);
    assert.equal(delays.at(-1), 150_000);
    manager.close();
  });

  test('a still-valid certificate keeps serving while renewals fail, until it expires; then it is unavailable', async () => {
    const { clock, client, manager, logger } = setup();
    manager.acquire(WEB);
    await settle();
    const notBefore = clock.now;
    const cert = fakeCert(WEB, notBefore, DAY);
    client.next().resolve(cert);
    await clock.advance(DAY / 2); // renewal starts
    let failures = 0;
    while (clock.now < notBefore + DAY) {
      client.next().reject(new AmbitError('AMBIT_ZTUNNEL_CA_UNAVAILABLE', 'CA down'));
      await settle();
      failures += 1;
      const s = manager.status()[0];
      if (clock.now < notBefore + DAY) {
        assert.equal(manager.get(WEB), cert, `still served after ${failures} failures at +${(clock.now - notBefore) / HOUR} h`);
        assert.equal(s?.state, 'available');
        assert.match(s?.lastError ?? '', /CA down/);
      }
      await clock.fireNext();
    }
    assert.ok(failures > 5);
    assert.equal(manager.get(WEB), undefined, 'expired: no certificate');
    const s = manager.status()[0];
    assert.equal(s?.state, 'unavailable');
    assert.equal(s?.notAfter, cert.notAfter.toISOString(), 'status still shows the expired certificate');
    assert.ok(logger.records.some((r) => r.level === 'warn' && /stays in use/.test(r.message)));
    // A waiter for the expired identity gets the next certificate as soon as the CA is back.
    const waiting = manager.wait(WEB, 60_000);
    const fresh = fakeCert(WEB, clock.now, DAY, 'fresh');
    client.next().resolve(fresh);
    assert.equal(await waiting, fresh);
    assert.equal(manager.status()[0]?.state, 'available');
    manager.close();
  });

  test('exactly at notAfter the certificate is no longer served', async () => {
    const { clock, client, manager } = setup();
    manager.acquire(WEB);
    await settle();
    const cert = fakeCert(WEB, clock.now, DAY);
    client.next().resolve(cert);
    await settle();
    clock.now = cert.notAfter.getTime() - 1;
    assert.equal(manager.get(WEB), cert);
    clock.now = cert.notAfter.getTime();
    assert.equal(manager.get(WEB), undefined);
    assert.equal(manager.status()[0]?.state, 'unavailable');
    manager.close();
  });

  test('a certificate that is already expired by our clock counts as a failure and is retried', async () => {
    const { clock, client, manager, failed } = setup();
    manager.acquire(WEB);
    await settle();
    client.next().resolve(fakeCert(WEB, clock.now - DAY - 1, DAY));
    await settle();
    assert.equal(manager.get(WEB), undefined);
    assert.equal(codeOf(failed[0]?.[1]), 'AMBIT_ZTUNNEL_CERT_EXPIRED');
    assert.deepEqual(clock.pending().map((t) => t.inMs), [500]);
    manager.close();
  });

  test('a client returning another identity is a failure, not a certificate', async () => {
    const { clock, client, manager, failed } = setup();
    manager.acquire(WEB);
    await settle();
    client.next().resolve(fakeCert(DB, clock.now, DAY));
    await settle();
    assert.equal(manager.get(WEB), undefined);
    assert.equal(codeOf(failed[0]?.[1]), 'AMBIT_ZTUNNEL_CA_WRONG_IDENTITY');
    manager.close();
  });

  test('release stops renewal only when the last pod leaves; a late reply after release is dropped', async () => {
    const { clock, client, manager, updated } = setup();
    manager.acquire(WEB);
    manager.acquire(WEB);
    await settle();
    client.next().resolve(fakeCert(WEB, clock.now, DAY));
    await settle();
    manager.release(WEB);
    assert.equal(manager.status()[0]?.refs, 1);
    assert.equal(clock.size, 1, 'still renewing for the remaining pod');
    manager.release(WEB);
    assert.equal(clock.size, 0, 'no timer after the last release');
    assert.equal(manager.get(WEB), undefined);
    assert.deepEqual(manager.status(), []);
    await clock.advance(30 * DAY);
    assert.equal(client.calls.length, 1, 'never renewed again');

    // Released while a request is in flight: its answer is dropped and nothing is scheduled.
    manager.acquire(DB);
    await settle();
    const w = manager.wait(DB, 10_000);
    manager.release(DB);
    await assert.rejects(w, (e) => codeOf(e) === 'AMBIT_ZTUNNEL_CERT_UNKNOWN_IDENTITY');
    client.next().resolve(fakeCert(DB, clock.now, DAY));
    await settle();
    assert.equal(manager.get(DB), undefined);
    assert.equal(clock.size, 0);
    assert.equal(updated.length, 1);
    // An extra release is ignored (and logged).
    manager.release(DB);
    manager.close();
  });

  test('a released identity acquired again is fetched again', async () => {
    const { clock, client, manager } = setup();
    manager.acquire(WEB);
    await settle();
    client.next().resolve(fakeCert(WEB, clock.now, DAY));
    await settle();
    manager.release(WEB);
    manager.acquire(WEB);
    await settle();
    assert.equal(client.calls.length, 2);
    assert.equal(manager.status()[0]?.state, 'initializing');
    manager.close();
  });

  test('wait: unknown identity, timeout with the last CA error, bad identity', async () => {
    const { clock, client, manager } = setup();
    await assert.rejects(manager.wait(WEB, 1000), (e) => codeOf(e) === 'AMBIT_ZTUNNEL_CERT_UNKNOWN_IDENTITY');
    manager.acquire(WEB);
    await settle();
    const w = manager.wait(WEB, 2000);
    client.next().reject(new AmbitError('AMBIT_ZTUNNEL_CA_DENIED', 'no pod with that identity on node-1'));
    await clock.advance(500); // first retry
    client.next().reject(new AmbitError('AMBIT_ZTUNNEL_CA_DENIED', 'still no pod'));
    await clock.advance(1499);
    let settled = false;
    w.then(
      () => (settled = true),
      () => (settled = true),
    );
    await settle();
    assert.equal(settled, false, 'still waiting 1 ms before the timeout');
    await clock.advance(1);
    await assert.rejects(w, (e: unknown) => {
      assert.equal(codeOf(e), 'AMBIT_ZTUNNEL_CERT_TIMEOUT');
      assert.match((e as Error).message, /within 2000 ms.*still no pod/);
      assert.equal(codeOf((e as Error).cause), 'AMBIT_ZTUNNEL_CA_DENIED');
      return true;
    });
    assert.throws(() => manager.acquire('spiffe://Cluster.local/ns/a/sa/b'), (e) => codeOf(e) === 'AMBIT_ZTUNNEL_CERT_BAD_IDENTITY');
    assert.throws(() => manager.acquire('spiffe://cluster.local'), (e) => codeOf(e) === 'AMBIT_ZTUNNEL_CERT_BAD_IDENTITY');
    manager.close();
  });

  test('close clears every timer, rejects waiters, drops late replies and refuses new work', async () => {
    const { clock, client, manager, updated } = setup();
    manager.acquire(WEB); // will be in backoff
    manager.acquire(DB); // will be in flight
    await settle();
    client.pending[0]?.reject(new Error('down'));
    client.pending.shift();
    await settle();
    const w = manager.wait(DB, 60_000);
    assert.equal(clock.size, 2, 'a retry timer and a wait timer');
    manager.close();
    assert.equal(clock.size, 0, 'close cleared every timer');
    await assert.rejects(w, (e) => codeOf(e) === 'AMBIT_ZTUNNEL_CERT_CLOSED');
    client.next().resolve(fakeCert(DB, clock.now, DAY));
    await clock.advance(365 * DAY);
    assert.equal(clock.size, 0);
    assert.equal(client.calls.length, 2, 'no request after close');
    assert.equal(updated.length, 0);
    assert.deepEqual(manager.status(), []);
    assert.throws(() => manager.acquire(WEB), (e) => codeOf(e) === 'AMBIT_ZTUNNEL_CERT_CLOSED');
    await assert.rejects(manager.wait(WEB, 10), (e) => codeOf(e) === 'AMBIT_ZTUNNEL_CERT_CLOSED');
    manager.close();
  });

  test('metrics count certificates by state and requests by result; close unregisters them', async () => {
    const { clock, client, manager, registry } = setup();
    manager.acquire(WEB);
    manager.acquire(DB);
    await settle();
    assert.deepEqual(await metric(registry, 'ambit_ztunnel_certificates'), { initializing: 2, available: 0, unavailable: 0 });
    client.next().resolve(fakeCert(WEB, clock.now, DAY));
    client.next().reject(new Error('down'));
    await settle();
    assert.deepEqual(await metric(registry, 'ambit_ztunnel_certificates'), { initializing: 0, available: 1, unavailable: 1 });
    assert.deepEqual(await metric(registry, 'ambit_ztunnel_certificate_requests_total'), { success: 1, failure: 1 });
    manager.close();
    assert.equal(registry.getSingleMetric('ambit_ztunnel_certificates'), undefined);
    // The registry can take a new manager (a restart inside one process).
    new CertificateManager({ client, logger: new RecordingLogger(), registry, now: () => clock.now, timers: clock }).close();
  });

  test('logs never carry key material, and a throwing listener does not break renewal', async () => {
    const { clock, client, manager, logger } = setup();
    manager.on('updated', () => {
      throw new Error('listener bug');
    });
    manager.acquire(WEB);
    await settle();
    client.next().resolve(fakeCert(WEB, clock.now, DAY, 'SECRET'));
    await settle();
    assert.equal(manager.status()[0]?.state, 'available');
    assert.equal(clock.size, 1, 'renewal still scheduled');
    const text = JSON.stringify(logger.records);
    assert.doesNotMatch(text, /fake key|SECRET/);
    assert.ok(logger.records.some((r) => r.level === 'error' && /listener threw/.test(r.message)));
    manager.close();
  });

  test('a client that throws synchronously is treated like a failed request', async () => {
    const clock = new FakeClock();
    const manager = new CertificateManager({
      client: {
        request() {
          throw new Error('sync bug');
        },
      },
      logger: new RecordingLogger(),
      now: () => clock.now,
      timers: clock,
      random: () => 0,
    });
    manager.acquire(WEB);
    await settle();
    assert.equal(manager.status()[0]?.state, 'unavailable');
    assert.deepEqual(clock.pending().map((t) => t.inMs), [500]);
    manager.close();
  });
  test('refreshAll renews every held certificate now; the old one serves until the new one lands; one in flight is followed by one more', async () => {
    const { clock, client, manager, updated } = setup();
    manager.acquire(WEB);
    manager.acquire(DB);
    await settle();
    const oldWeb = fakeCert(WEB, clock.now - 60_000, DAY, 'old-web');
    client.next().resolve(oldWeb);
    await settle();
    // DB's first request is still in flight when the bundle changes.
    assert.equal(manager.refreshAll(), 2);
    await settle();
    assert.deepEqual(client.calls.map((c) => c.identity), [WEB, DB, WEB], 'WEB renewed at once, DB waits for its request in flight');
    assert.equal(manager.get(WEB), oldWeb, 'the current certificate keeps serving meanwhile');
    const oldDb = fakeCert(DB, clock.now - 60_000, DAY, 'old-db');
    client.next().resolve(oldDb);
    await settle();
    assert.deepEqual(client.calls.map((c) => c.identity), [WEB, DB, WEB, DB], 'the reply to the earlier request is followed by a new one');
    assert.equal(manager.get(DB), oldDb);
    const newWeb = fakeCert(WEB, clock.now - 60_000, DAY, 'new-web');
    const newDb = fakeCert(DB, clock.now - 60_000, DAY, 'new-db');
    client.next().resolve(newWeb);
    client.next().resolve(newDb);
    await settle();
    assert.equal(manager.get(WEB), newWeb);
    assert.equal(manager.get(DB), newDb);
    assert.deepEqual(updated.map(([, c]) => c), [oldWeb, oldDb, newWeb, newDb]);
    assert.equal(client.calls.length, 4, 'no further request: renewal is back at half-life');
    assert.deepEqual(clock.pending().map((t) => t.at), [clock.now - 60_000 + DAY / 2, clock.now - 60_000 + DAY / 2]);
    manager.close();
    assert.equal(manager.refreshAll(), 0, 'nothing after close');
  });
});
