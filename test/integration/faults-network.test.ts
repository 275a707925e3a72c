/**
 * Network settings (latency, jitter, error and drop rates for everything at once) and clock skew,
 * over REST and raw `ws` clients on a manual clock: WebSocket frames stay in order under jitter,
 * error and drop rates are seeded, and a skewed server judges REST timestamps, WebSocket auth
 * `expires` and /v5/trade timestamps by its own (skewed) time.
 * @see src/core/faults/faults.ts, src/http/app.ts, src/ws/hub.ts
 */
import { describe, expect, test } from 'vitest';
import type { ManualClock } from '../../src/core/clock.js';
import type { RunningExchange } from '../../src/runtime/start-exchange.js';
import {
  MANUAL_CLOCK_START as T0,
  getPublic,
  getSigned,
  manualScenarioYaml,
  postSigned,
  adminRequest,
  type Reply,
  useTestExchange,
} from '../support/server.js';
import { WsClient, authFrame, openAuthed, type Json } from '../support/ws.js';

let ex: RunningExchange;
useTestExchange({ scenario: { yaml: manualScenarioYaml(), name: 'faults-network' } }, (e) => (ex = e), {
  resetEach: true,
});

const admin = (method: string, path: string, body?: unknown) => adminRequest(ex, method, path, body);

async function setNetwork(n: Json): Promise<void> {
  const r = await admin('PUT', '/network', n);
  expect(r.status, JSON.stringify(r.body)).toBe(200);
}

async function setSkew(skewMs: number): Promise<Json> {
  const r = await admin('PUT', '/clock/skew', { skewMs });
  expect(r.status, JSON.stringify(r.body)).toBe(200);
  return r.body;
}

const clock = () => ex.clock as ManualClock;
const advance = (ms: number) => clock().advance(ms);
/** A short real pause: long enough for frames written on localhost to arrive. */
const settle = () => new Promise((r) => setTimeout(r, 50));

/**
 * Starts a request and resolves once the daemon holds it on its clock (a new pending timer):
 * from then on the test decides when it is answered by advancing the clock.
 */
async function held<T>(start: () => Promise<T>): Promise<{ done: () => boolean; reply: Promise<T> }> {
  const before = clock().pendingTimers();
  let finished = false;
  const reply = start().then((r) => {
    finished = true;
    return r;
  });
  const deadline = Date.now() + 2000;
  while (clock().pendingTimers() <= before && !finished) {
    if (Date.now() > deadline) throw new Error('the request never reached the daemon');
    await new Promise((r) => setTimeout(r, 2));
  }
  return { done: () => finished, reply };
}

async function tap(path: string): Promise<{ c: WsClient; raw: string[] }> {
  const c = await WsClient.open(ex, path);
  const raw: string[] = [];
  c.ws.on('message', (d: Buffer) => raw.push(d.toString('utf8')));
  return { c, raw };
}

const topicOf = (s: string): unknown => (JSON.parse(s) as Json).topic;

// ---- admin ------------------------------------------------------------------------------------------

describe('admin /network', () => {
  test('GET, PUT (absent fields are 0), DELETE; POST /faults/reset and POST /reset clear it', async () => {
    expect((await admin('GET', '/network')).body).toEqual({ network: null });
    const put = await admin('PUT', '/network', { latencyMs: 100, dropRate: 0.25 });
    expect(put).toEqual({
      status: 200,
      body: { network: { latencyMs: 100, jitterMs: 0, errorRate: 0, dropRate: 0.25 } },
    });
    expect((await admin('GET', '/network')).body).toEqual(put.body);
    expect((await admin('DELETE', '/network')).body).toEqual({ network: null });
    expect((await admin('GET', '/network')).body).toEqual({ network: null });

    await setNetwork({ errorRate: 1 });
    expect((await admin('POST', '/faults/reset')).status).toBe(200);
    expect((await admin('GET', '/network')).body).toEqual({ network: null });
    await setNetwork({ errorRate: 1 });
    expect((await admin('POST', '/reset')).status).toBe(200);
    expect((await admin('GET', '/network')).body).toEqual({ network: null });
    expect((await getPublic(ex, '/v5/market/time')).body.retCode).toBe(0);
  });

  test('validation: 400 bad_network names every problem; the settings stay as they were', async () => {
    await setNetwork({ latencyMs: 5 });
    const r = await admin('PUT', '/network', {
      latencyMs: -1,
      jitterMs: 1.5,
      errorRate: 2,
      dropRate: 'half',
      lag: 1,
    });
    expect(r.status).toBe(400);
    expect(r.body.error).toBe('bad_network');
    for (const says of [
      'unknown key "lag" (network takes latencyMs, jitterMs, errorRate, dropRate)',
      'latencyMs must be ms from 0 to 600000',
      'jitterMs must be ms from 0 to 600000',
      'errorRate must be a number from 0 to 1',
      'dropRate must be a number from 0 to 1',
    ])
      expect(r.body.message).toContain(says);
    expect((await admin('PUT', '/network', [1])).body.message).toContain(
      'network settings must be an object {latencyMs, jitterMs, errorRate, dropRate}',
    );
    expect((await admin('PUT', '/network', { latencyMs: 600_001 })).status).toBe(400);
    expect((await admin('GET', '/network')).body.network.latencyMs).toBe(5);
  });
});

// ---- REST -------------------------------------------------------------------------------------------

describe('REST', () => {
  test('latency: every answer waits that long on the daemon clock', async () => {
    await setNetwork({ latencyMs: 1000 });
    const pub = await held(() => getPublic(ex, '/v5/market/time'));
    advance(999);
    await settle();
    expect(pub.done()).toBe(false);
    advance(1);
    const r = await pub.reply;
    expect(r.status).toBe(200);
    // Answered after the wait: the server time in the answer is a second on.
    expect(r.body.time).toBe(T0 + 1000);
    expect(r.headers.get('timenow')).toBe(String(T0 + 1000));

    const signed = await held(() => getSigned(ex, '/v5/account/info'));
    advance(999);
    await settle();
    expect(signed.done()).toBe(false);
    advance(1);
    expect((await signed.reply).body.retCode).toBe(0);

    // Refusals wait too: a bad signature and an unknown path.
    const refused = await held(() =>
      fetch(`${ex.restUrl}/v5/account/info`, {
        headers: { 'X-BAPI-API-KEY': 'mock-api-key', 'X-BAPI-TIMESTAMP': String(T0), 'X-BAPI-SIGN': 'bad' },
      }).then(async (res) => ({ status: res.status, body: (await res.json()) as { retCode: number } })),
    );
    advance(999);
    await settle();
    expect(refused.done()).toBe(false);
    advance(1);
    expect((await refused.reply).body.retCode).toBe(10004);
  });

  test('jitter: each answer waits latency plus a seeded draw up to jitter', async () => {
    await setNetwork({ latencyMs: 200, jitterMs: 300 });
    const pending: Promise<Reply>[] = [];
    for (let i = 0; i < 6; i++) pending.push((await held(() => getPublic(ex, '/v5/market/time'))).reply);
    // Step the clock; between steps the daemon finishes whatever fell due (its answer's time).
    for (let t = 0; t < 500; t += 10) {
      advance(10);
      await new Promise((r) => setImmediate(r));
    }
    const waited = (await Promise.all(pending)).map((r) => r.body.time - T0);
    for (const w of waited) {
      expect(w).toBeGreaterThanOrEqual(200);
      expect(w).toBeLessThanOrEqual(500);
    }
    // Not all the same: the jitter is drawn per request.
    expect(new Set(waited).size).toBeGreaterThan(1);
  });

  test('errorRate: 10016 "System error" with HTTP 200, and the request does not run', async () => {
    await setNetwork({ errorRate: 1 });
    const r = await postSigned(ex, '/v5/order/create', {
      category: 'linear',
      symbol: 'BTCUSDT',
      side: 'Buy',
      orderType: 'Limit',
      qty: '0.001',
      price: '40000',
    });
    expect(r.status).toBe(200);
    expect(r.body).toEqual({
      retCode: 10016,
      retMsg: 'System error. Please try again later.',
      result: {},
      retExtInfo: {},
      time: T0,
    });
    const pub = await getPublic(ex, '/v5/market/time');
    expect(pub.status).toBe(200);
    expect(pub.body.retCode).toBe(10016);
    await admin('DELETE', '/network');
    const open = await getSigned(ex, '/v5/order/realtime', 'category=linear&symbol=BTCUSDT');
    expect(open.body.result.list).toEqual([]);
  });

  test('errorRate is seeded: the same requests fail the same way after a reset', async () => {
    const run = async () => {
      ex.reset();
      await setNetwork({ errorRate: 0.4 });
      const codes: number[] = [];
      for (let i = 0; i < 30; i++) {
        const r: Reply =
          i % 3 === 0 ? await getSigned(ex, '/v5/account/info') : await getPublic(ex, '/v5/market/time');
        codes.push(r.body.retCode);
      }
      return codes;
    };
    const a = await run();
    const b = await run();
    expect(a).toEqual(b);
    expect(a.filter((c) => c === 10016).length).toBeGreaterThan(3);
    expect(a.filter((c) => c === 0).length).toBeGreaterThan(3);
    expect(a.every((c) => c === 0 || c === 10016)).toBe(true);
  });

  test('drop rate and a WebSocket-only network leave REST alone', async () => {
    await setNetwork({ dropRate: 1 });
    const r = await getPublic(ex, '/v5/market/time');
    expect(r.body.retCode).toBe(0);
  });
});

// ---- WebSocket --------------------------------------------------------------------------------------

describe('WebSocket', () => {
  test('latency: acks, pongs and data frames all wait on the daemon clock', async () => {
    await setNetwork({ latencyMs: 500 });
    const t = await tap('/v5/public/linear');
    t.c.send({ op: 'subscribe', req_id: 's', args: ['tickers.BTCUSDT'] });
    await settle();
    advance(499);
    t.c.send({ op: 'ping', req_id: 'p' });
    await settle();
    expect(t.raw).toEqual([]);
    advance(1);
    await settle();
    const first = t.raw.map((s) => JSON.parse(s));
    expect(first).toHaveLength(2);
    expect(first[0]).toMatchObject({ op: 'subscribe', req_id: 's', success: true });
    expect(first[1]).toMatchObject({ topic: 'tickers.BTCUSDT', type: 'snapshot' });
    // The pong (asked at 499) and the tick at 1000 are due at 999 and 1500.
    advance(498);
    await settle();
    expect(t.raw).toHaveLength(2);
    advance(1);
    await t.c.next((f) => f.op === 'ping' && f.req_id === 'p');
    expect(t.raw).toHaveLength(3);
    advance(500);
    await settle();
    expect(t.raw).toHaveLength(3);
    advance(1);
    await t.c.next((f) => f.topic === 'tickers.BTCUSDT' && f.type === 'delta');
  });

  test('jitter: frames of one connection stay in order (pushes, pongs, replies)', async () => {
    const { client: p, reply } = await openAuthed(ex, '/v5/private');
    expect(reply.success).toBe(true);
    const sub = await p.request(
      { op: 'subscribe', req_id: 's', args: ['order'] },
      (f) => f.op === 'subscribe',
    );
    expect(sub.success).toBe(true);
    await setNetwork({ latencyMs: 10, jitterMs: 3000 });
    const push = (n: number) =>
      admin('POST', '/events/private', { account: 'main', topic: 'order', data: [{ n }] });
    for (let n = 1; n <= 15; n++) await push(n);
    p.send({ op: 'ping', req_id: 'mid' });
    await settle();
    for (let n = 16; n <= 30; n++) await push(n);
    // Released bit by bit as the clock moves, never out of order.
    const seen: number[] = [];
    for (let i = 0; i < 4; i++) {
      advance(800);
      await settle();
      seen.push(p.frames.length);
    }
    for (let i = 1; i < seen.length; i++) expect(seen[i]).toBeGreaterThanOrEqual(seen[i - 1]!);
    expect(seen[0]).toBeLessThan(seen[seen.length - 1]!);
    const order = p.frames.slice(2).map((f) => (f.topic === 'order' ? f.data[0].n : f.op));
    expect(order).toEqual([
      ...Array.from({ length: 15 }, (_, i) => i + 1),
      'pong',
      ...Array.from({ length: 15 }, (_, i) => i + 16),
    ]);
  });

  test('jitter: orderbook deltas arrive in order, u + 1 each', async () => {
    await setNetwork({ latencyMs: 200, jitterMs: 1500 });
    const t = await tap('/v5/public/linear');
    t.c.send({ op: 'subscribe', req_id: 's', args: ['orderbook.50.BTCUSDT'] });
    await settle();
    for (let i = 0; i < 10; i++) {
      advance(1000);
      await settle();
    }
    advance(2000);
    await settle();
    const book = t.raw.filter((s) => topicOf(s) === 'orderbook.50.BTCUSDT').map((s) => JSON.parse(s));
    expect(book.length).toBeGreaterThanOrEqual(8);
    expect(book[0].type).toBe('snapshot');
    for (let i = 1; i < book.length; i++) expect(book[i].data.u).toBe(book[0].data.u + i);
  });

  test('dropRate 1: no data frames at all, while acks and pongs still come', async () => {
    await setNetwork({ dropRate: 1 });
    const t = await tap('/v5/public/linear');
    const ack = await t.c.request(
      { op: 'subscribe', req_id: 's', args: ['tickers.BTCUSDT', 'orderbook.50.BTCUSDT'] },
      (f) => f.op === 'subscribe',
    );
    expect(ack.success).toBe(true);
    for (let i = 0; i < 3; i++) {
      advance(1000);
      expect(await t.c.sync()).toEqual([]);
    }
    expect(t.raw.every((s) => topicOf(s) === undefined)).toBe(true);
  });

  test('dropRate is seeded: the same traffic loses the same frames after a reset', async () => {
    const run = async () => {
      ex.reset();
      await setNetwork({ dropRate: 0.3 });
      const t = await tap('/v5/public/linear');
      await t.c.request(
        { op: 'subscribe', req_id: 's', args: ['orderbook.50.BTCUSDT'] },
        (f) => f.op === 'subscribe',
      );
      for (let i = 0; i < 12; i++) {
        advance(1000);
        await t.c.sync();
      }
      return t.raw.filter((s) => topicOf(s) === 'orderbook.50.BTCUSDT');
    };
    const a = await run();
    const b = await run();
    expect(a).toEqual(b);
    const u = a.map((s) => JSON.parse(s).data.u as number);
    const steps = u.slice(1).map((x, i) => x - u[i]!);
    expect(steps.some((s) => s > 1)).toBe(true);
    expect(steps.some((s) => s === 1)).toBe(true);
  });

  test('a reorder fault under network latency: the held frame still comes, right after the next one', async () => {
    const { client: p } = await openAuthed(ex, '/v5/private');
    await p.request({ op: 'subscribe', req_id: 's', args: ['order'] }, (f) => f.op === 'subscribe');
    await setNetwork({ latencyMs: 100 });
    expect(
      (await admin('POST', '/faults', { topic: 'order', times: 1, effect: { reorder: true } })).status,
    ).toBe(200);
    for (let n = 1; n <= 3; n++)
      await admin('POST', '/events/private', { account: 'main', topic: 'order', data: [{ n }] });
    advance(100);
    await settle();
    expect(p.frames.filter((f) => f.topic === 'order').map((f) => f.data[0].n)).toEqual([2, 1, 3]);
  });

  test('a frame delayed by a fault also waits out the network latency; clearing the network keeps order', async () => {
    const { client: p } = await openAuthed(ex, '/v5/private');
    await p.request({ op: 'subscribe', req_id: 's', args: ['order'] }, (f) => f.op === 'subscribe');
    await setNetwork({ latencyMs: 300 });
    const push = (n: number) =>
      admin('POST', '/events/private', { account: 'main', topic: 'order', data: [{ n }] });
    await push(1);
    // Cleared while frame 1 waits: frame 2 (no latency now) must not overtake it.
    await admin('DELETE', '/network');
    await push(2);
    await settle();
    expect(p.frames.filter((f) => f.topic === 'order')).toEqual([]);
    advance(300);
    await settle();
    expect(p.frames.filter((f) => f.topic === 'order').map((f) => f.data[0].n)).toEqual([1, 2]);
    // And with nothing waiting, frames go at once again.
    await push(3);
    await p.sync();
    expect(p.frames.filter((f) => f.topic === 'order').map((f) => f.data[0].n)).toEqual([1, 2, 3]);
  });
});

// ---- clock skew -------------------------------------------------------------------------------------

describe('clock skew', () => {
  test('PUT /clock/skew: GET /clock, the envelope time, /v5/market/time and Timenow follow the server time', async () => {
    expect(await setSkew(60_000)).toEqual({ skewMs: 60_000, serverTime: T0 + 60_000 });
    expect((await admin('GET', '/clock')).body).toEqual({
      now: T0,
      mode: 'manual',
      skewMs: 60_000,
      serverTime: T0 + 60_000,
    });
    const r = await getPublic(ex, '/v5/market/time');
    expect(r.body).toEqual({
      retCode: 0,
      retMsg: 'OK',
      result: { timeSecond: String((T0 + 60_000) / 1000), timeNano: `${T0 + 60_000}000000` },
      retExtInfo: {},
      time: T0 + 60_000,
    });
    expect(r.headers.get('timenow')).toBe(String(T0 + 60_000));
    // Negative: the server is behind.
    await setSkew(-5000);
    expect((await getPublic(ex, '/v5/market/time')).body.time).toBe(T0 - 5000);
    expect((await admin('GET', '/clock')).body).toMatchObject({ skewMs: -5000, serverTime: T0 - 5000 });
  });

  test('signed REST: a client on the daemon clock gets 10002 naming the server time; a synced one works', async () => {
    await setSkew(60_000);
    const unsynced = await getSigned(ex, '/v5/account/info', '', { timestamp: T0 });
    expect(unsynced.status).toBe(200);
    expect(unsynced.body.retCode).toBe(10002);
    expect(unsynced.body.retMsg).toBe(
      `invalid request, please check your server timestamp or recv_window param. req_timestamp[${T0}],server_timestamp[${T0 + 60_000}],recv_window[5000]`,
    );
    const synced = await getSigned(ex, '/v5/account/info', '', { timestamp: T0 + 60_000 });
    expect(synced.body.retCode).toBe(0);
    // A wider recv window covers a server ahead of the client.
    const wide = await getSigned(ex, '/v5/account/info', '', { timestamp: T0, recvWindow: 61_000 });
    expect(wide.body.retCode).toBe(0);
    // Under the default authClock "either" the wall clock is skewed too.
    const wall = await getSigned(ex, '/v5/account/info', '', { timestamp: Date.now() });
    expect(wall.body.retCode).toBe(10002);
    const wallSynced = await getSigned(ex, '/v5/account/info', '', { timestamp: Date.now() + 60_000 });
    expect(wallSynced.body.retCode).toBe(0);

    // Server behind: the client's timestamp is in the server's future.
    await setSkew(-60_000);
    expect((await getSigned(ex, '/v5/account/info', '', { timestamp: T0 })).body.retCode).toBe(10002);
    expect((await getSigned(ex, '/v5/account/info', '', { timestamp: T0 - 60_000 })).body.retCode).toBe(0);
    // A skew inside the recv window goes unnoticed.
    await setSkew(2000);
    expect((await getSigned(ex, '/v5/account/info', '', { timestamp: T0 })).body.retCode).toBe(0);
  });

  test('WebSocket auth: expires is judged by the server time', async () => {
    await setSkew(60_000);
    const a = await WsClient.open(ex, '/v5/private');
    const stale = await a.request(authFrame(ex, { expires: T0 + 10_000 }), (f) => f.op === 'auth');
    expect(stale).toEqual({ success: false, ret_msg: 'Params Error', op: 'auth', conn_id: stale.conn_id });
    const ok = await a.request(authFrame(ex, { expires: T0 + 70_000 }), (f) => f.op === 'auth');
    expect(ok.success).toBe(true);
    // The trade stream answers in its own shape.
    const b = await WsClient.open(ex, '/v5/trade');
    const tradeStale = await b.request(authFrame(ex, { expires: T0 + 10_000 }), (f) => f.op === 'auth');
    expect(tradeStale).toEqual({
      retCode: 10002,
      retMsg: 'Params Error',
      op: 'auth',
      connId: tradeStale.connId,
    });
    const tradeOk = await b.request(authFrame(ex, { expires: T0 + 70_000 }), (f) => f.op === 'auth');
    expect(tradeOk).toMatchObject({ retCode: 0, op: 'auth' });
    // Server behind: an expiry in the client's past may still be in the server's future.
    await setSkew(-60_000);
    const c = await WsClient.open(ex, '/v5/private');
    const early = await c.request(authFrame(ex, { expires: T0 - 30_000 }), (f) => f.op === 'auth');
    expect(early.success).toBe(true);
  });

  test('pongs carry the server time', async () => {
    await setSkew(-30_000);
    const { client: p } = await openAuthed(ex, '/v5/private');
    const pong = await p.request({ op: 'ping', req_id: 'x' }, (f) => f.op === 'pong');
    expect(pong.args).toEqual([String(T0 - 30_000)]);
    const { client: t } = await openAuthed(ex, '/v5/trade');
    const tp = await t.request({ op: 'ping', reqId: 'y' }, (f) => f.op === 'pong');
    expect(tp.data).toEqual([String(T0 - 30_000)]);
  });

  test('/v5/trade: X-BAPI-TIMESTAMP is judged by the server time; the header Timenow is the server time', async () => {
    const { client: t } = await openAuthed(ex, '/v5/trade');
    await setSkew(60_000);
    const order = (reqId: string, ts: number) => ({
      op: 'order.create',
      reqId,
      header: { 'X-BAPI-TIMESTAMP': String(ts) },
      args: [
        {
          category: 'linear',
          symbol: 'BTCUSDT',
          side: 'Buy',
          orderType: 'Limit',
          qty: '0.001',
          price: '40000',
        },
      ],
    });
    const bad = await t.request(order('a', T0), (f) => f.reqId === 'a');
    expect(bad.retCode).toBe(10002);
    expect(bad.retMsg).toContain(`req_timestamp[${T0}],server_timestamp[${T0 + 60_000}]`);
    expect(bad.header.Timenow).toBe(String(T0 + 60_000));
    const good = await t.request(order('b', T0 + 60_000), (f) => f.reqId === 'b');
    expect(good.retCode).toBe(0);
    expect(good.header.Timenow).toBe(String(T0 + 60_000));
    // The order itself keeps the daemon clock.
    expect(
      (
        await getSigned(ex, '/v5/order/realtime', 'category=linear&symbol=BTCUSDT', {
          timestamp: T0 + 60_000,
        })
      ).body.result.list[0].createdTime,
    ).toBe(String(T0));
  });

  test('validation: 400 bad_field; POST /faults/reset and POST /reset put the skew back', async () => {
    for (const bad of [
      { skewMs: '10' },
      { skewMs: 1.5 },
      { skewMs: 86_400_001 },
      { skewMs: -86_400_001 },
      {},
    ]) {
      const r = await admin('PUT', '/clock/skew', bad);
      expect(r.status, JSON.stringify(bad)).toBe(400);
      expect(r.body.error).toBe('bad_field');
      expect(r.body.message).toBe('skewMs must be a whole number of ms from -86400000 to 86400000.');
    }
    expect((await admin('PUT', '/clock/skew', { skewMs: 86_400_000 })).status).toBe(200);
    await admin('POST', '/faults/reset');
    expect((await admin('GET', '/clock')).body.skewMs).toBe(0);
    await setSkew(1000);
    await admin('POST', '/reset');
    expect((await admin('GET', '/clock')).body).toMatchObject({ skewMs: 0, serverTime: T0 });
  });
});
