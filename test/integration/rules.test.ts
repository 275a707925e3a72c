/**
 * Rules over real HTTP and WebSocket on a manual clock: scripted failures (Bybit codes and raw
 * HTTP statuses), canned answers, delays, holds, staged fills, late rejects and custom private
 * events, on REST and on /v5/trade; matching; the admin rule routes; and reset.
 * @see ../../src/core/rules/rules.ts, ../../src/admin/admin-ops.ts
 */
import { afterAll, beforeAll, describe, expect, test, vi } from 'vitest';
import type { ManualClock } from '../../src/core/clock.js';
import type { RunningExchange } from '../../src/runtime/start-exchange.js';
import {
  adminFetch,
  type AdminReply,
  MANUAL_CLOCK_START,
  READONLY_KEY,
  READONLY_SECRET,
  getPublic,
  getSigned,
  manualScenarioYaml,
  postSigned,
  startTestExchange,
  type Reply,
  useTestExchange,
} from '../support/server.js';
import { openAuthed, type Json, type WsClient } from '../support/ws.js';

let ex: RunningExchange;
useTestExchange({ scenario: { yaml: manualScenarioYaml(), name: 'rules' } }, (e) => (ex = e), {
  resetEach: true,
});

// ---- helpers ----------------------------------------------------------------------------------------

const clock = () => ex.clock as ManualClock;
const BUSY = { retCode: 10006, retMsg: 'Too many visits!' };

async function admin(method: string, path: string, body?: unknown, on = ex): Promise<AdminReply> {
  const res = await adminFetch(on, method, path, body);
  expect(res.headers.get('content-type')).toMatch(/^application\/json/);
  return { status: res.status, body: JSON.parse(await res.text()) };
}

async function ok(method: string, path: string, body?: unknown, on = ex): Promise<Json> {
  const r = await admin(method, path, body, on);
  expect(r.status, `${method} ${path}: ${JSON.stringify(r.body)}`).toBe(200);
  return r.body;
}

const addRule = (spec: unknown): Promise<Json> => ok('POST', '/rules', spec);

/** The hits of rule `id`, read in-process (a delayed request has no answer to wait on). */
const hitsOf = (id: string) => ex.exchange.rules.list().find((r) => r.id === id)?.hits;

/** A linear limit buy far below the market (near 50000): it rests. */
function limitBuy(extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    category: 'linear',
    symbol: 'BTCUSDT',
    side: 'Buy',
    orderType: 'Limit',
    qty: '0.010',
    price: '45000',
    ...extra,
  };
}

const create = (extra: Record<string, unknown> = {}): Promise<Reply> =>
  postSigned(ex, '/v5/order/create', limitBuy(extra));

async function placed(extra: Record<string, unknown> = {}): Promise<string> {
  const r = await create(extra);
  expect(r.body.retCode, r.text).toBe(0);
  return r.body.result.orderId as string;
}

async function restOrder(orderId: string): Promise<Json> {
  const r = await getSigned(ex, '/v5/order/realtime', `category=linear&orderId=${orderId}`);
  expect(r.body.retCode, r.text).toBe(0);
  expect(r.body.result.list).toHaveLength(1);
  return r.body.result.list[0];
}

async function openOrders(): Promise<Json[]> {
  const r = await getSigned(ex, '/v5/order/realtime', 'category=linear&symbol=BTCUSDT&openOnly=0');
  expect(r.body.retCode, r.text).toBe(0);
  return r.body.result.list;
}

async function executions(orderId: string): Promise<Json[]> {
  const r = await getSigned(ex, '/v5/execution/list', `category=linear&orderId=${orderId}`);
  expect(r.body.retCode, r.text).toBe(0);
  // Newest first on the wire; oldest first here.
  return [...r.body.result.list].reverse();
}

/** Resolves to "pending" when `p` has not settled after a short real wait. */
async function settledSoon<T>(p: Promise<T>, ms = 100): Promise<T | 'pending'> {
  return Promise.race([p, new Promise<'pending'>((r) => setTimeout(() => r('pending'), ms))]);
}

const isSub = (f: Json) => f?.op === 'subscribe';

async function privateSocket(topics: string[], o: { key?: string; secret?: string } = {}): Promise<WsClient> {
  const { client, reply } = await openAuthed(ex, '/v5/private', o);
  expect(reply.success, JSON.stringify(reply)).toBe(true);
  const ack = await client.request({ op: 'subscribe', req_id: 'sub', args: topics }, isSub);
  expect(ack.success, JSON.stringify(ack)).toBe(true);
  return client;
}

async function tradeSocket(): Promise<WsClient> {
  const { client, reply } = await openAuthed(ex, '/v5/trade');
  expect(reply.retCode, JSON.stringify(reply)).toBe(0);
  return client;
}

let reqSeq = 0;
function tradeFrame(op: string, arg: unknown): { reqId: string; frame: object } {
  const reqId = `r${++reqSeq}`;
  return {
    reqId,
    frame: {
      reqId,
      header: { 'X-BAPI-TIMESTAMP': String(ex.clock.now()), 'X-BAPI-RECV-WINDOW': '5000' },
      op,
      args: [arg],
    },
  };
}

function wsSend(t: WsClient, op: string, arg: unknown): Promise<Json> {
  const { reqId, frame } = tradeFrame(op, arg);
  return t.request(frame, (f) => f?.op === op && f.reqId === reqId);
}

// ---- REST: failures and canned answers ------------------------------------------------------------

describe('REST', () => {
  test('fail with a Bybit code: HTTP 200, the error envelope, no order placed', async () => {
    await addRule({ id: 'busy', on: '/v5/order/create', action: { fail: BUSY } });
    const r = await create();
    expect(r.status).toBe(200);
    expect(r.body).toEqual({
      retCode: 10006,
      retMsg: 'Too many visits!',
      result: {},
      retExtInfo: {},
      time: MANUAL_CLOCK_START,
    });
    expect(await openOrders()).toEqual([]);
    // Other endpoints are untouched.
    const other = await getSigned(ex, '/v5/order/realtime', 'category=linear&symbol=BTCUSDT');
    expect(other.body.retCode).toBe(0);
  });

  test('fail with an HTTP status: that status and the raw body, nothing placed', async () => {
    await addRule({
      id: 'down',
      on: 'order.create',
      match: { orderLinkId: 'down-*' },
      action: { fail: { httpStatus: 503, body: { message: 'service unavailable', code: 'x' } } },
    });
    await addRule({
      id: 'forbidden',
      on: 'order.create',
      match: { orderLinkId: 'nobody-*' },
      action: { fail: { httpStatus: 403 } },
    });
    const r = await create({ orderLinkId: 'down-1' });
    expect(r.status).toBe(503);
    expect(r.body).toEqual({ message: 'service unavailable', code: 'x' });
    const r2 = await create({ orderLinkId: 'nobody-1' });
    expect(r2.status).toBe(403);
    expect(r2.body).toEqual({});
    expect(await openOrders()).toEqual([]);
  });

  test('times: the first N creates fail, then they pass', async () => {
    await addRule({ id: 'twice', on: '/v5/order/create', action: { fail: BUSY }, times: 2 });
    expect((await create()).body.retCode).toBe(10006);
    expect((await create()).body.retCode).toBe(10006);
    const third = await create();
    expect(third.body.retCode, third.text).toBe(0);
    expect((await openOrders()).map((o) => o.orderId)).toEqual([third.body.result.orderId]);
    const list = (await ok('GET', '/rules')).rules;
    expect(list).toEqual([expect.objectContaining({ id: 'twice', times: 2, remaining: 0, hits: 2 })]);
  });

  test('respond: retCode 0 with the scripted result, the exchange untouched', async () => {
    const result = { orderId: 'scripted-1', orderLinkId: 'canned' };
    await addRule({ id: 'canned', on: 'order.create', action: { respond: { result } } });
    const before = await ok('GET', '/accounts/main');
    const r = await create({ orderLinkId: 'canned' });
    expect(r.status).toBe(200);
    expect(r.body).toEqual({ retCode: 0, retMsg: 'OK', result, retExtInfo: {}, time: MANUAL_CLOCK_START });
    expect(await openOrders()).toEqual([]);
    expect((await ok('GET', '/orders')).orders).toEqual([]);
    expect(await ok('GET', '/accounts/main')).toEqual(before);
  });

  test('delay: the answer waits for the daemon clock; the order is created at the later time', async () => {
    await addRule({ id: 'slow', on: 'order.create', action: { delayMs: 1000 }, times: 1 });
    const pending = create({ orderLinkId: 'slow-1' });
    await vi.waitFor(() => expect(hitsOf('slow')).toBe(1));
    expect(await settledSoon(pending)).toBe('pending');
    // Nothing was placed yet.
    expect(await openOrders()).toEqual([]);
    clock().advance(999);
    expect(await settledSoon(pending)).toBe('pending');
    clock().advance(1);
    const r = await pending;
    expect(r.body.retCode, r.text).toBe(0);
    expect(r.body.time).toBe(MANUAL_CLOCK_START + 1000);
    expect(r.headers.get('timenow')).toBe(String(MANUAL_CLOCK_START + 1000));
    const o = await restOrder(r.body.result.orderId);
    expect(o).toMatchObject({ orderLinkId: 'slow-1', orderStatus: 'New' });
    expect(o.createdTime).toBe(String(MANUAL_CLOCK_START + 1000));
    // The rule is spent: the next create answers at once.
    expect((await create()).body.time).toBe(MANUAL_CLOCK_START + 1000);
  });

  test('delay with fail: the error comes after the delay', async () => {
    await addRule({ id: 'late-fail', on: 'order.create', action: { delayMs: [200, 200], fail: BUSY } });
    const pending = create();
    await vi.waitFor(() => expect(hitsOf('late-fail')).toBe(1));
    expect(await settledSoon(pending)).toBe('pending');
    clock().advance(200);
    const r = await pending;
    expect(r.body).toMatchObject({ retCode: 10006, time: MANUAL_CLOCK_START + 200 });
    expect(await openOrders()).toEqual([]);
  });
});

// ---- after acceptance ---------------------------------------------------------------------------

describe('after acceptance', () => {
  test('hold: the market trades through a held order, which stays New; admin fill still fills it', async () => {
    await addRule({
      id: 'hold',
      on: 'order.create',
      match: { orderLinkId: 'held-*' },
      action: { hold: true },
    });
    const held = await placed({ price: '49000', orderLinkId: 'held-1' });
    const free = await placed({ price: '49000', orderLinkId: 'free-1' });
    await ok('POST', '/market/linear/BTCUSDT/price', { price: '48500' });
    expect(await restOrder(free)).toMatchObject({ orderStatus: 'Filled', cumExecQty: '0.010' });
    expect(await restOrder(held)).toMatchObject({ orderStatus: 'New', cumExecQty: '0.000' });
    expect(await executions(held)).toEqual([]);
    // Time passing with the market below it does not fill it either.
    clock().advance(3000);
    expect((await restOrder(held)).orderStatus).toBe('New');

    await ok('POST', `/orders/${held}/fill`, {});
    expect(await restOrder(held)).toMatchObject({ orderStatus: 'Filled', cumExecQty: '0.010' });
    expect(await executions(held)).toEqual([
      expect.objectContaining({ execQty: '0.010', execPrice: '49000.0', isMaker: true }),
    ]);
  });

  test('staged fills: ratio, qty at a price, then the rest at market, each at its planned time', async () => {
    await addRule({
      id: 'staged',
      on: '/v5/order/create',
      action: {
        fills: [
          { afterMs: 100, ratio: '0.3' },
          { afterMs: 250, qty: '0.002', price: '44000' },
          { afterMs: 400, price: 'market' },
        ],
      },
    });
    const book = await getPublic(ex, '/v5/market/orderbook?category=linear&symbol=BTCUSDT&limit=1');
    const bestAsk = book.body.result.a[0][0] as string;
    const id = await placed();
    const start = MANUAL_CLOCK_START;

    clock().advance(99);
    expect(await restOrder(id)).toMatchObject({ orderStatus: 'New', cumExecQty: '0.000' });
    clock().advance(1);
    expect(await restOrder(id)).toMatchObject({ orderStatus: 'PartiallyFilled', cumExecQty: '0.003' });
    clock().advance(150);
    expect(await restOrder(id)).toMatchObject({
      orderStatus: 'PartiallyFilled',
      cumExecQty: '0.005',
      leavesQty: '0.005',
    });
    clock().advance(149);
    expect((await restOrder(id)).orderStatus).toBe('PartiallyFilled');
    clock().advance(1);
    expect(await restOrder(id)).toMatchObject({
      orderStatus: 'Filled',
      cumExecQty: '0.010',
      leavesQty: '0.000',
    });

    const execs = await executions(id);
    expect(execs.map((e) => [e.execQty, e.execPrice, e.execTime, e.isMaker])).toEqual([
      ['0.003', '45000.0', String(start + 100), true],
      ['0.002', '44000.0', String(start + 250), true],
      ['0.005', bestAsk, String(start + 400), true],
    ]);
  });

  test('a fill step with nothing left to fill is skipped', async () => {
    await addRule({
      id: 'over',
      on: 'order.create',
      action: {
        fills: [
          { afterMs: 10, ratio: '1' },
          { afterMs: 20, qty: '0.005' },
        ],
      },
    });
    const id = await placed();
    clock().advance(50);
    expect(await restOrder(id)).toMatchObject({ orderStatus: 'Filled', cumExecQty: '0.010' });
    expect(await executions(id)).toHaveLength(1);
  });

  test('reject after acceptance: Rejected without fills', async () => {
    await addRule({ id: 'rej', on: 'order.create', action: { reject: { afterMs: 500 } } });
    const id = await placed();
    clock().advance(499);
    expect((await restOrder(id)).orderStatus).toBe('New');
    clock().advance(1);
    const o = await restOrder(id);
    expect(o).toMatchObject({ orderStatus: 'Rejected', rejectReason: 'EC_NoError', cumExecQty: '0.000' });
    expect(o.updatedTime).toBe(String(MANUAL_CLOCK_START + 500));
  });

  test('reject after a partial fill: Cancelled, the fill kept', async () => {
    await addRule({
      id: 'part-rej',
      on: 'order.create',
      action: { fills: [{ afterMs: 100, ratio: '0.5' }], reject: { afterMs: 200 } },
    });
    const id = await placed();
    clock().advance(100);
    expect((await restOrder(id)).orderStatus).toBe('PartiallyFilled');
    clock().advance(100);
    expect(await restOrder(id)).toMatchObject({ orderStatus: 'Cancelled', cumExecQty: '0.005' });
    expect(await executions(id)).toHaveLength(1);
  });

  test('reject with a reason', async () => {
    await addRule({
      id: 'rej-reason',
      on: 'order.create',
      action: { reject: { afterMs: 0, status: 'Rejected', reason: 'EC_ByAdmin' } },
    });
    const id = await placed();
    clock().advance(0);
    expect(await restOrder(id)).toMatchObject({ orderStatus: 'Rejected', rejectReason: 'EC_ByAdmin' });
  });

  test('custom events reach the account subscribers of that topic, after their delay', async () => {
    const greeks = await privateSocket(['greeks']);
    const orders = await privateSocket(['order']);
    const viewer = await privateSocket(['greeks'], { key: READONLY_KEY, secret: READONLY_SECRET });
    await addRule({
      id: 'events',
      on: 'order.create',
      action: {
        respond: { result: { orderId: 'x' } },
        events: [
          { afterMs: 300, topic: 'greeks', data: [{ late: true }] },
          { afterMs: 100, topic: 'greeks', data: [{ early: true }] },
        ],
      },
    });
    expect((await create()).body.retCode).toBe(0);
    clock().advance(99);
    expect(await greeks.sync()).toEqual([]);
    clock().advance(1);
    const first = await greeks.next((f) => f?.topic === 'greeks');
    expect(first).toEqual({
      id: expect.any(String),
      topic: 'greeks',
      creationTime: MANUAL_CLOCK_START + 100,
      data: [{ early: true }],
    });
    clock().advance(200);
    const second = await greeks.next((f) => f?.topic === 'greeks');
    expect(second).toMatchObject({
      topic: 'greeks',
      creationTime: MANUAL_CLOCK_START + 300,
      data: [{ late: true }],
    });
    expect(await greeks.sync()).toEqual([]);
    // Not another topic, not another account.
    expect((await orders.sync()).filter((f: Json) => f?.topic === 'greeks')).toEqual([]);
    expect((await viewer.sync()).filter((f: Json) => f?.topic === 'greeks')).toEqual([]);
    await Promise.all([greeks.close(), orders.close(), viewer.close()]);
  });
});

// ---- matching ---------------------------------------------------------------------------------------

describe('matching', () => {
  test('on orderLinkId glob', async () => {
    await addRule({ id: 'tp', on: 'order.create', match: { orderLinkId: 'tp-?-*' }, action: { fail: BUSY } });
    expect((await create({ orderLinkId: 'tp-1-a' })).body.retCode).toBe(10006);
    expect((await create({ orderLinkId: 'tp-12-a' })).body.retCode).toBe(0);
    expect((await create({ orderLinkId: 'sl-1-a' })).body.retCode).toBe(0);
    expect((await create()).body.retCode).toBe(0);
    expect(hitsOf('tp')).toBe(1);
  });

  test('on a parameter, compared as a string', async () => {
    await addRule({
      id: 'postonly',
      on: '/v5/order/create',
      match: { params: { timeInForce: 'PostOnly', positionIdx: 0 } },
      action: { fail: { retCode: 170213, retMsg: 'scripted' } },
    });
    expect((await create({ timeInForce: 'PostOnly', positionIdx: 0 })).body.retCode).toBe(170213);
    expect((await create({ timeInForce: 'GTC', positionIdx: 0 })).body.retCode).toBe(0);
    expect((await create({ timeInForce: 'PostOnly' })).body.retCode).toBe(0);
  });

  test('on account, symbol and side; other accounts and the sell side pass', async () => {
    await addRule({
      id: 'main-buys',
      on: 'order.create',
      match: { account: 'main', symbol: 'BTCUSDT', side: 'Buy', category: 'linear', orderType: 'Limit' },
      action: { fail: BUSY },
    });
    expect((await create()).body.retCode).toBe(10006);
    expect((await create({ side: 'Sell', price: '55000' })).body.retCode).toBe(0);
    expect((await create({ orderType: 'Market', price: undefined })).body.retCode).toBe(0);
    // The read-only account is refused by the exchange (10005), not by the rule.
    const viewer = await postSigned(ex, '/v5/order/create', limitBuy(), {
      key: READONLY_KEY,
      secret: READONLY_SECRET,
    });
    expect(viewer.body.retCode).not.toBe(10006);
    expect(hitsOf('main-buys')).toBe(1);
  });

  test('a rule on another endpoint leaves order.create alone', async () => {
    await addRule({ id: 'cancels', on: 'order.cancel', action: { fail: BUSY } });
    const id = await placed();
    const r = await postSigned(ex, '/v5/order/cancel', {
      category: 'linear',
      symbol: 'BTCUSDT',
      orderId: id,
    });
    expect(r.body.retCode).toBe(10006);
    expect((await restOrder(id)).orderStatus).toBe('New');
  });
});

// ---- the /v5/trade stream -----------------------------------------------------------------------------

describe('/v5/trade', () => {
  test('fail: the retCode in the trade reply, no order', async () => {
    await addRule({ id: 'busy', on: '/v5/order/create', action: { fail: BUSY }, times: 1 });
    const t = await tradeSocket();
    const r = await wsSend(t, 'order.create', limitBuy());
    expect(r).toMatchObject({ retCode: 10006, retMsg: 'Too many visits!', op: 'order.create', data: {} });
    expect(await openOrders()).toEqual([]);
    const r2 = await wsSend(t, 'order.create', limitBuy());
    expect(r2.retCode).toBe(0);
    expect((await openOrders()).map((o) => o.orderId)).toEqual([r2.data.orderId]);
    await t.close();
  });

  test('respond: the scripted data, nothing placed', async () => {
    await addRule({ id: 'canned', on: 'order.create', action: { respond: { result: { orderId: 'ws-x' } } } });
    const t = await tradeSocket();
    const r = await wsSend(t, 'order.create', limitBuy());
    expect(r).toMatchObject({ retCode: 0, retMsg: 'OK', op: 'order.create', data: { orderId: 'ws-x' } });
    expect(await openOrders()).toEqual([]);
    await t.close();
  });

  test('delay: the reply comes after the clock passes the delay', async () => {
    await addRule({ id: 'slow', on: 'order.create', action: { delayMs: 500 } });
    const t = await tradeSocket();
    const { reqId, frame } = tradeFrame('order.create', limitBuy({ orderLinkId: 'ws-slow' }));
    t.send(frame);
    await vi.waitFor(() => expect(hitsOf('slow')).toBe(1));
    clock().advance(499);
    expect((await t.sync()).filter((f: Json) => f?.op === 'order.create')).toEqual([]);
    expect(await openOrders()).toEqual([]);
    clock().advance(1);
    const r = await t.next((f) => f?.op === 'order.create' && f.reqId === reqId);
    expect(r.retCode).toBe(0);
    const o = await restOrder(r.data.orderId);
    expect(o).toMatchObject({ orderLinkId: 'ws-slow', createdTime: String(MANUAL_CLOCK_START + 500) });
    await t.close();
  });

  test('fills: staged on the daemon clock as over REST', async () => {
    await addRule({
      id: 'ws-fills',
      on: '/v5/order/create',
      action: { fills: [{ afterMs: 100, ratio: '0.5' }, { afterMs: 200 }] },
    });
    const t = await tradeSocket();
    const r = await wsSend(t, 'order.create', limitBuy());
    expect(r.retCode).toBe(0);
    const id = r.data.orderId as string;
    expect((await restOrder(id)).orderStatus).toBe('New');
    clock().advance(100);
    expect(await restOrder(id)).toMatchObject({ orderStatus: 'PartiallyFilled', cumExecQty: '0.005' });
    clock().advance(100);
    expect(await restOrder(id)).toMatchObject({ orderStatus: 'Filled', cumExecQty: '0.010' });
    expect((await executions(id)).map((e) => [e.execTime, e.isMaker])).toEqual([
      [String(MANUAL_CLOCK_START + 100), true],
      [String(MANUAL_CLOCK_START + 200), true],
    ]);
    await t.close();
  });

  test('an HTTP-status failure becomes a retCode on the stream', async () => {
    await addRule({ id: 'down', on: 'order.create', action: { fail: { httpStatus: 503 } } });
    const t = await tradeSocket();
    const r = await wsSend(t, 'order.create', limitBuy());
    expect(r).toMatchObject({ retCode: 10016, op: 'order.create' });
    expect(r.retMsg).toMatch(/503/);
    expect(await openOrders()).toEqual([]);
    await t.close();
  });
});

// ---- admin routes ------------------------------------------------------------------------------------

describe('admin routes', () => {
  test('list, add, hits and remaining, delete', async () => {
    expect(await ok('GET', '/rules')).toEqual({ rules: [] });
    const a = await addRule({ id: 'a', on: 'order.create', action: { fail: BUSY }, times: 2 });
    expect(a).toEqual({
      id: 'a',
      on: ['order.create'],
      match: {},
      action: { fail: BUSY },
      times: 2,
      remaining: 2,
      hits: 0,
      source: 'admin',
    });
    const b = await addRule({
      on: ['/v5/order/cancel', 'order.amend'],
      match: { symbol: 'BTCUSDT' },
      action: { delayMs: [5, 10] },
    });
    expect(b).toMatchObject({
      id: expect.stringMatching(/^rule-\d+$/),
      on: ['/v5/order/cancel', 'order.amend'],
      match: { symbol: 'BTCUSDT' },
      times: null,
      remaining: null,
      hits: 0,
      source: 'admin',
    });
    // The latest first.
    expect((await ok('GET', '/rules')).rules.map((r: Json) => r.id)).toEqual([b.id, 'a']);

    await create();
    expect((await ok('GET', '/rules')).rules[1]).toMatchObject({ id: 'a', hits: 1, remaining: 1 });

    expect(await ok('DELETE', '/rules/a')).toEqual({ removed: 'a' });
    expect((await ok('GET', '/rules')).rules.map((r: Json) => r.id)).toEqual([b.id]);
    expect((await create()).body.retCode).toBe(0);

    const gone = await admin('DELETE', '/rules/a');
    expect(gone.status).toBe(404);
    expect(gone.body).toEqual({
      error: 'rule_not_found',
      message: 'No rule with id "a".',
      hint: expect.any(String),
    });
  });

  test('an invalid rule is 400 bad_rule naming every problem, and nothing is added', async () => {
    const r = await admin('POST', '/rules', {
      on: '',
      times: 0,
      action: { hold: 'yes', fail: { retCode: 1 } },
    });
    expect(r.status).toBe(400);
    expect(r.body.error).toBe('bad_rule');
    expect(r.body.hint).toEqual(expect.any(String));
    for (const part of [
      'on must be a trigger',
      'times must be a whole number',
      'action.hold must be true or false',
      'action.fail needs {retCode, retMsg}',
      'hold, fills and reject need the order accepted',
    ])
      expect(r.body.message).toContain(part);
    for (const body of ['[]', '{}'])
      expect((await admin('POST', '/rules', body)).body.error, body).toBe('bad_rule');
    // A fill quantity the fill step could not read later (a sign) is refused up front.
    const signed = await admin('POST', '/rules', {
      on: 'order.create',
      action: { fills: [{ afterMs: 0, qty: '+0.005' }] },
    });
    expect(signed.status).toBe(400);
    expect(signed.body.message).toContain('action.fills[0].qty must be a decimal string > 0');
    const json = await admin('POST', '/rules', '{"on":');
    expect(json.status).toBe(400);
    expect(json.body.error).toBe('bad_json');
    expect(await ok('GET', '/rules')).toEqual({ rules: [] });
  });

  test('a duplicate id is 409 rule_exists and the first rule stays', async () => {
    await addRule({ id: 'dup', on: 'order.create', action: { fail: BUSY } });
    const r = await admin('POST', '/rules', { id: 'dup', on: 'order.cancel', action: { hold: true } });
    expect(r.status).toBe(409);
    expect(r.body).toEqual({
      error: 'rule_exists',
      message: 'A rule with id "dup" exists.',
      hint: expect.any(String),
    });
    expect((await ok('GET', '/rules')).rules).toEqual([
      expect.objectContaining({ id: 'dup', on: ['order.create'] }),
    ]);
  });

  test('POST /rules/reset drops the admin rules (the scenario has none)', async () => {
    await addRule({ id: 'x', on: '*', action: { fail: BUSY } });
    expect(await ok('POST', '/rules/reset')).toEqual({ rules: [] });
    expect((await create()).body.retCode).toBe(0);
  });

  test('POST /__admin/reset restores the scenario rules and cancels pending rule timers', async () => {
    await addRule({
      id: 'staged',
      on: 'order.create',
      action: { fills: [{ afterMs: 500 }], events: [{ afterMs: 500, topic: 'greeks', data: [{}] }] },
    });
    const id = await placed();
    const oldClock = clock();
    const oldExchange = ex.exchange;
    const reset = await ok('POST', '/reset');
    expect(reset.status).toBe('reset');
    expect(await ok('GET', '/rules')).toEqual({ rules: [] });
    // Every timer of the old exchange is gone: moving its clock does nothing.
    expect(oldClock.pendingTimers()).toBe(0);
    oldClock.advance(1000);
    expect(oldExchange.adminOrders({}).find((o) => o.orderId === id)).toMatchObject({ orderStatus: 'New' });
    // The new exchange has neither the order nor the rule.
    clock().advance(1000);
    expect((await ok('GET', '/orders')).orders).toEqual([]);
    expect((await create()).body.retCode).toBe(0);
  });
});

// ---- scenario rules ------------------------------------------------------------------------------------

describe('rules from the scenario', () => {
  let sx: RunningExchange;

  beforeAll(async () => {
    sx = await startTestExchange({
      scenario: {
        name: 'rules-scenario',
        yaml: manualScenarioYaml(`
rules:
  - id: scn-once
    on: order.create
    match: { orderLinkId: "scn-*" }
    action: { fail: { retCode: 10006, retMsg: "scenario busy" } }
    times: 1
  - on: /v5/order/cancel
    action: { fail: { retCode: 110001, retMsg: "scenario: order does not exist" } }
`),
      },
    });
  });

  afterAll(async () => {
    await sx?.close();
  });

  const scnCreate = (link: string) => postSigned(sx, '/v5/order/create', limitBuy({ orderLinkId: link }));

  test('listed as source scenario; rules/reset and reset give them fresh lifetimes and drop admin ones', async () => {
    const listed = (await ok('GET', '/rules', undefined, sx)).rules;
    expect(listed).toEqual([
      expect.objectContaining({ id: 'scn-once', source: 'scenario', times: 1, remaining: 1, hits: 0 }),
      expect.objectContaining({ id: 'rule-1', source: 'scenario', times: null, remaining: null, hits: 0 }),
    ]);
    expect((await scnCreate('scn-1')).body).toMatchObject({ retCode: 10006, retMsg: 'scenario busy' });
    expect((await scnCreate('scn-2')).body.retCode).toBe(0);
    await ok('POST', '/rules', { id: 'extra', on: '*', action: { delayMs: 1 } }, sx);

    const afterRulesReset = (await ok('POST', '/rules/reset', undefined, sx)).rules;
    expect(afterRulesReset.map((r: Json) => [r.id, r.remaining, r.hits])).toEqual([
      ['scn-once', 1, 0],
      ['rule-1', null, 0],
    ]);
    expect((await scnCreate('scn-3')).body.retCode).toBe(10006);

    await ok('POST', '/rules', { id: 'extra', on: '*', action: { delayMs: 1 } }, sx);
    await ok('POST', '/reset', undefined, sx);
    const afterReset = (await ok('GET', '/rules', undefined, sx)).rules;
    expect(afterReset.map((r: Json) => [r.id, r.remaining, r.hits, r.source])).toEqual([
      ['scn-once', 1, 0, 'scenario'],
      ['rule-1', null, 0, 'scenario'],
    ]);
    expect((await scnCreate('scn-4')).body.retCode).toBe(10006);
  });
});

describe('follow-ups', () => {
  test('a reset while a REST request waits out its delay answers it at once instead of hanging', async () => {
    await addRule({ on: 'order.create', action: { delayMs: 60_000 } });
    const pending = create();
    await new Promise((r) => setTimeout(r, 50));
    await admin('POST', '/reset');
    const r = await pending;
    expect(r.status).toBe(200);
    expect(typeof r.body.retCode).toBe('number');
  });

  test('a scripted HTTP failure is journaled, and a string body is sent as text', async () => {
    await addRule({
      on: 'order.create',
      times: 1,
      action: { fail: { httpStatus: 503, body: 'Service Unavailable' } },
    });
    const r = await create();
    expect(r.status).toBe(503);
    expect(r.text).toBe('Service Unavailable');
    const j = await ok('GET', '/requests?path=/v5/order/create');
    expect(j.requests[0]).toMatchObject({ status: 503, account: 'main' });
  });

  test('hold, fills and reject apply to every order a create-batch accepted', async () => {
    await addRule({ on: 'order.create-batch', action: { fills: [{ afterMs: 1000 }] } });
    const r = await postSigned(ex, '/v5/order/create-batch', {
      category: 'linear',
      request: [limitBuy({ orderLinkId: 'b1' }), limitBuy({ orderLinkId: 'b2' }), limitBuy({ qty: 'x' })],
    });
    expect(r.body.retExtInfo.list.map((x: Json) => x.code)).toEqual([0, 0, 10001]);
    clock().advance(1000);
    for (const item of r.body.result.list.slice(0, 2)) {
      expect((await restOrder(item.orderId)).orderStatus).toBe('Filled');
    }
  });
});
