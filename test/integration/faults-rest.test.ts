/**
 * REST faults: latency, errors, hang, reset, empty and malformed replies, lost replies; seeded
 * probability, times and duration. @see docs/faults.md
 */
import { expect, test } from 'vitest';
import type { ManualClock } from '../../src/core/clock.js';
import type { RunningExchange } from '../../src/runtime/start-exchange.js';
import {
  adminRequest,
  getSigned,
  manualScenarioYaml,
  postSigned,
  useTestExchange,
} from '../support/server.js';
import type { Json } from '../support/ws.js';

let ex: RunningExchange;
useTestExchange({ scenario: { yaml: manualScenarioYaml(), name: 'faults-rest' } }, (e) => (ex = e), {
  resetEach: true,
});

const admin = (method: string, path: string, body?: unknown) => adminRequest(ex, method, path, body);

const ORDER = {
  category: 'linear',
  symbol: 'BTCUSDT',
  side: 'Buy',
  orderType: 'Limit',
  qty: '0.001',
  price: '40000',
};
const openOrders = async () =>
  (await getSigned(ex, '/v5/order/realtime', 'category=linear&symbol=BTCUSDT')).body.result.list;

test('error: a Bybit code or an HTTP status, nothing runs; times limits it', async () => {
  await admin('POST', '/faults', {
    path: '/v5/order/create',
    times: 2,
    effect: { error: { retCode: 10016, retMsg: 'Server Timeout' } },
  });
  expect((await postSigned(ex, '/v5/order/create', ORDER)).body).toMatchObject({
    retCode: 10016,
    retMsg: 'Server Timeout',
  });
  expect((await postSigned(ex, '/v5/order/create', ORDER)).body.retCode).toBe(10016);
  expect(await openOrders()).toEqual([]);
  expect((await postSigned(ex, '/v5/order/create', ORDER)).body.retCode).toBe(0);
  // The journal names the fault that answered.
  const journal = (await admin('GET', '/requests?path=/v5/order/create')).body.requests as {
    retCode: number;
    fault?: string;
  }[];
  expect(journal.map((e) => [e.retCode, e.fault])).toEqual([
    [0, undefined],
    [10016, expect.stringMatching(/^fault-/)],
    [10016, expect.stringMatching(/^fault-/)],
  ]);

  await admin('POST', '/faults', {
    path: '/v5/market/*',
    times: 1,
    effect: { error: { httpStatus: 502, body: 'Bad Gateway' } },
  });
  const r = await fetch(`${ex.restUrl}/v5/market/time`);
  expect(r.status).toBe(502);
  expect(await r.text()).toBe('Bad Gateway');
  expect((await fetch(`${ex.restUrl}/v5/market/time`)).status).toBe(200);
});

test('latency: the answer waits on the daemon clock', async () => {
  await admin('POST', '/faults', { path: '/v5/market/time', times: 1, effect: { latencyMs: 2000 } });
  let done = false;
  const pending = fetch(`${ex.restUrl}/v5/market/time`).then((r) => {
    done = true;
    return r;
  });
  await new Promise((r) => setTimeout(r, 50));
  expect(done).toBe(false);
  (ex.clock as ManualClock).advance(2000);
  expect((await pending).status).toBe(200);
});

test('reset and empty and malformed replies', async () => {
  await admin('POST', '/faults', { path: '/v5/market/time', times: 1, effect: { reset: true } });
  await expect(fetch(`${ex.restUrl}/v5/market/time`)).rejects.toThrow();
  await admin('POST', '/faults', { path: '/v5/market/time', times: 1, effect: { empty: true } });
  const empty = await fetch(`${ex.restUrl}/v5/market/time`);
  expect(empty.status).toBe(200);
  expect(await empty.text()).toBe('');
  await admin('POST', '/faults', { path: '/v5/market/time', times: 1, effect: { malformed: true } });
  const bad = await fetch(`${ex.restUrl}/v5/market/time`);
  await expect(bad.json()).rejects.toThrow();
});

test('lose: the order is placed but the client never hears (the idempotent-retry case)', async () => {
  await admin('POST', '/faults', { path: '/v5/order/create', times: 1, effect: { lose: true } });
  await expect(postSigned(ex, '/v5/order/create', { ...ORDER, orderLinkId: 'lost-1' })).rejects.toThrow();
  const list = await openOrders();
  expect(list.map((o: Json) => o.orderLinkId)).toEqual(['lost-1']);
  // A naive retry with the same orderLinkId is refused as a duplicate: the order already exists.
  expect((await postSigned(ex, '/v5/order/create', { ...ORDER, orderLinkId: 'lost-1' })).body.retCode).toBe(
    110072,
  );
});

test('hang: no answer at all (the client must time out)', async () => {
  await admin('POST', '/faults', { path: '/v5/market/time', times: 1, effect: { hang: true } });
  const ctl = new AbortController();
  const pending = fetch(`${ex.restUrl}/v5/market/time`, { signal: ctl.signal });
  const timeout = new Promise((r) => setTimeout(() => r('timeout'), 300));
  expect(await Promise.race([pending.then(() => 'answered'), timeout])).toBe('timeout');
  ctl.abort();
  await expect(pending).rejects.toThrow();
});

test('probability is seeded: the same requests fail the same way on every run', async () => {
  const run = async () => {
    ex.reset();
    await admin('POST', '/faults', {
      path: '/v5/market/time',
      probability: 0.5,
      effect: { error: { retCode: 10016, retMsg: 'x' } },
    });
    const codes: number[] = [];
    for (let i = 0; i < 20; i++)
      codes.push(((await (await fetch(`${ex.restUrl}/v5/market/time`)).json()) as Json).retCode);
    return codes;
  };
  const a = await run();
  const b = await run();
  expect(a).toEqual(b);
  expect(a.filter((c) => c === 10016).length).toBeGreaterThan(3);
  expect(a.filter((c) => c === 0).length).toBeGreaterThan(3);
});

test('for: a fault ends after its duration; account targets one account; admin validation', async () => {
  await admin('POST', '/faults', {
    path: '*',
    account: 'main',
    for: '5s',
    effect: { error: { retCode: 10016, retMsg: 'x' } },
  });
  expect((await getSigned(ex, '/v5/account/info')).body.retCode).toBe(10016);
  (ex.clock as ManualClock).advance(5000);
  expect((await getSigned(ex, '/v5/account/info')).body.retCode).toBe(0);

  const bad = await admin('POST', '/faults', { effect: { hang: true, reset: true }, probability: 2 });
  expect(bad.status).toBe(400);
  expect(bad.body.error).toBe('bad_fault');
  expect(bad.body.message).toContain('probability');
  expect(bad.body.message).toContain('one of error, hang');
  const list = (await admin('GET', '/faults')).body.faults;
  expect(list).toHaveLength(1);
  expect((await admin('DELETE', `/faults/${list[0].id}`)).body).toEqual({ removed: list[0].id });
  expect((await admin('DELETE', '/faults/nope')).status).toBe(404);
});
