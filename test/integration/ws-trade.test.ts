/**
 * Order entry over WebSocket (/v5/trade) with a raw `ws` client on a manual clock: auth, the
 * REST-style reply envelope, errors, reqId rules, the recv window, permissions and the rate budget
 * shared with REST.
 * @see ../shared/reference/bybit-v5-facts.md §4.4, §5.2, §8.3, §8.4, §8.8;
 *      ../shared/reference/client-call-patterns.md §4.4, §6.3
 */
import { describe, expect, test } from 'vitest';
import type { ManualClock } from '../../src/core/clock.js';
import type { RunningExchange } from '../../src/runtime/start-exchange.js';
import {
  DEFAULT_KEY,
  DEFAULT_SECRET,
  READONLY_KEY,
  READONLY_SECRET,
  getSigned,
  manualScenarioYaml,
  postSigned,
  useTestExchange,
} from '../support/server.js';
import { WsClient, authFrame, openAuthed, wsSign, type Json } from '../support/ws.js';

let ex: RunningExchange;
useTestExchange({ scenario: { yaml: manualScenarioYaml(), name: 'ws-trade' } }, (e) => (ex = e), {
  resetEach: true,
});

const CONN_ID = /^[0-9a-v]{20}-[0-9a-v]{5}$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
const LINEAR = { category: 'linear', symbol: 'BTCUSDT' } as const;

const isAuth = (f: Json) => f?.op === 'auth';
const replyTo = (op: string, reqId?: string) => (f: Json) =>
  f?.op === op && (reqId === undefined || f.reqId === reqId);

function header(ts: number | string = ex.clock.now()): Record<string, string> {
  return { 'X-BAPI-TIMESTAMP': String(ts), 'X-BAPI-RECV-WINDOW': '5000' };
}

function limitBuy(extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    ...LINEAR,
    side: 'Buy',
    orderType: 'Limit',
    qty: '0.01',
    price: '45000',
    timeInForce: 'GTC',
    ...extra,
  };
}

async function tradeSocket(o: { key?: string; secret?: string } = {}): Promise<WsClient> {
  const { client, reply } = await openAuthed(ex, '/v5/trade', o);
  expect(reply.retCode, JSON.stringify(reply)).toBe(0);
  return client;
}

/** Sends an order op and returns its reply (matched by op and reqId). */
function send(
  t: WsClient,
  op: string,
  args: unknown[],
  reqId?: string,
  hdr: unknown = header(),
): Promise<Json> {
  const frame: Record<string, unknown> = {};
  if (reqId !== undefined) frame.reqId = reqId;
  frame.header = hdr;
  frame.op = op;
  frame.args = args;
  return t.request(frame, replyTo(op, reqId));
}

/** The reply envelope: keys, header fields and connId; returns the reply. */
function expectEnvelope(r: Json, op: string, reqId: string | undefined, retCode: number): Json {
  const keys = ['retCode', 'retMsg', 'op', 'data', 'retExtInfo', 'header', 'connId'];
  if (reqId !== undefined) keys.unshift('reqId');
  expect(Object.keys(r), JSON.stringify(r)).toEqual(keys);
  expect(r.retCode, JSON.stringify(r)).toBe(retCode);
  expect(r.op).toBe(op);
  if (reqId !== undefined) expect(r.reqId).toBe(reqId);
  expect(r.connId).toMatch(CONN_ID);
  expect(r.header.Traceid).toMatch(/^[0-9a-f]{32}$/);
  expect(r.header.Timenow).toBe(String(ex.clock.now()));
  if (retCode === 0) expect(r.retMsg).toBe('OK');
  else {
    expect(r.retMsg).not.toBe('OK');
    expect(r.data).toEqual({});
    expect(r.retExtInfo).toEqual({});
  }
  return r;
}

function expectLimitHeaders(r: Json, limit: number, status: number): void {
  const now = ex.clock.now();
  expect(r.header).toMatchObject({
    'X-Bapi-Limit': String(limit),
    'X-Bapi-Limit-Status': String(status),
    // Under the limit the reset timestamp is "now" (facts §2.3).
    'X-Bapi-Limit-Reset-Timestamp': String(now),
  });
}

async function restOrder(orderId: string): Promise<Json | undefined> {
  const r = await getSigned(ex, '/v5/order/realtime', `category=linear&orderId=${orderId}`);
  expect(r.body.retCode, r.text).toBe(0);
  return r.body.result.list[0];
}

async function openOrderCount(): Promise<number> {
  const r = await getSigned(ex, '/v5/order/realtime', 'category=linear&symbol=BTCUSDT&openOnly=0');
  return r.body.result.list.filter((o: Json) => o.orderStatus === 'New').length;
}

// ---- auth --------------------------------------------------------------------------------------------

describe('auth on /v5/trade', () => {
  test('success: the REST-style envelope, reqId only when sent; expires as number or string', async () => {
    const a = await WsClient.open(ex, '/v5/trade');
    const r1 = await a.request(authFrame(ex), isAuth);
    expect(r1).toEqual({ retCode: 0, retMsg: 'OK', op: 'auth', connId: r1.connId });
    expect(r1.connId).toMatch(CONN_ID);

    const b = await WsClient.open(ex, '/v5/trade');
    const expires = String(ex.clock.now() + 10_000);
    const r2 = await b.request(
      { reqId: 'a1', op: 'auth', args: [DEFAULT_KEY, expires, wsSign(DEFAULT_SECRET, expires)] },
      isAuth,
    );
    expect(r2).toEqual({ reqId: 'a1', retCode: 0, retMsg: 'OK', op: 'auth', connId: r2.connId });
  });

  test.each([
    [
      'an expired expires',
      () => [DEFAULT_KEY, ex.clock.now() - 1, wsSign(DEFAULT_SECRET, ex.clock.now() - 1)],
      10002,
    ],
    ['a bad signature', () => [DEFAULT_KEY, ex.clock.now() + 5000, 'cd'.repeat(32)], 10004],
    [
      'an unknown key',
      () => ['nobody', ex.clock.now() + 5000, wsSign(DEFAULT_SECRET, ex.clock.now() + 5000)],
      10003,
    ],
    ['malformed args', () => [DEFAULT_KEY], 10001],
    ['a non-numeric expires', () => [DEFAULT_KEY, 'later', wsSign(DEFAULT_SECRET, 'later')], 10001],
  ])('%s → retCode %s in the trade envelope', async (_what, args, code) => {
    const t = await WsClient.open(ex, '/v5/trade');
    const r = await t.request({ reqId: 'x', op: 'auth', args: args() }, isAuth);
    expect(Object.keys(r)).toEqual(['reqId', 'retCode', 'retMsg', 'op', 'connId']);
    expect(r).toMatchObject({ reqId: 'x', retCode: code, op: 'auth' });
    expect(r.retMsg).not.toBe('OK');
    // Not authenticated: an order op is refused, and nothing was created.
    const o = await send(t, 'order.create', [limitBuy()], 'o1');
    expect(o.retCode).not.toBe(0);
    expect(await openOrderCount()).toBe(0);
  });

  test('a repeated auth → 20001 and the connection stays authenticated', async () => {
    const t = await tradeSocket();
    const again = await t.request({ reqId: 'again', ...authFrame(ex) }, isAuth);
    expect(again).toMatchObject({ reqId: 'again', retCode: 20001, op: 'auth' });
    expectEnvelope(await send(t, 'order.create', [limitBuy()], 'c1'), 'order.create', 'c1', 0);
  });

  test('an order op before auth is refused in the same envelope', async () => {
    const t = await WsClient.open(ex, '/v5/trade');
    const r = await send(t, 'order.create', [limitBuy()], 'early');
    expect(r.retCode).not.toBe(0);
    expectEnvelope(r, 'order.create', 'early', r.retCode);
    expect(await openOrderCount()).toBe(0);
  });

  test('pong: op "pong", retCode 0, data = [server time], reqId when sent', async () => {
    const t = await WsClient.open(ex, '/v5/trade');
    const p = await t.request({ op: 'ping' }, (f) => f?.op === 'pong');
    expect(p).toEqual({
      retCode: 0,
      retMsg: 'OK',
      op: 'pong',
      data: [String(ex.clock.now())],
      connId: p.connId,
    });
    const p2 = await t.request({ op: 'ping', reqId: '7' }, (f) => f?.op === 'pong');
    expect(p2).toEqual({
      reqId: '7',
      retCode: 0,
      retMsg: 'OK',
      op: 'pong',
      data: [String(ex.clock.now())],
      connId: p.connId,
    });
  });

  test('subscribe and unknown ops on /v5/trade → 10404', async () => {
    const t = await tradeSocket();
    const s = await t.request({ reqId: 's', op: 'subscribe', args: ['order'] }, (f) => f?.reqId === 's');
    expect(s).toMatchObject({ retCode: 10404, op: 'subscribe' });
    const u = await t.request({ reqId: 'u', op: 'order.teleport', args: [{}] }, (f) => f?.reqId === 'u');
    expect(u).toMatchObject({ retCode: 10404, op: 'order.teleport' });
  });
});

// ---- order ops -----------------------------------------------------------------------------------------

describe('order ops', () => {
  test('order.create / order.amend / order.cancel: replies, budget headers, and the effect in REST', async () => {
    const t = await tradeSocket();
    const c = expectEnvelope(
      await send(t, 'order.create', [limitBuy({ orderLinkId: 'ws-a' })], 'test-005'),
      'order.create',
      'test-005',
      0,
    );
    expect(c.data).toEqual({ orderId: expect.stringMatching(UUID), orderLinkId: 'ws-a' });
    expect(c.retExtInfo).toEqual({});
    expectLimitHeaders(c, 10, 9);
    expect(await restOrder(c.data.orderId)).toMatchObject({
      orderStatus: 'New',
      price: '45000.0',
      orderLinkId: 'ws-a',
    });

    const a = expectEnvelope(
      await send(
        t,
        'order.amend',
        [{ ...LINEAR, orderId: c.data.orderId, price: '45500', qty: '0.02' }],
        '6',
      ),
      'order.amend',
      '6',
      0,
    );
    expect(a.data).toEqual({ orderId: c.data.orderId, orderLinkId: 'ws-a' });
    expectLimitHeaders(a, 10, 9);
    expect(await restOrder(c.data.orderId)).toMatchObject({ price: '45500.0', qty: '0.020' });

    // Without reqId: no reqId key in the reply.
    const x = expectEnvelope(
      await send(t, 'order.cancel', [{ ...LINEAR, orderLinkId: 'ws-a' }]),
      'order.cancel',
      undefined,
      0,
    );
    expect(x.data).toEqual({ orderId: c.data.orderId, orderLinkId: 'ws-a' });
    expect(await restOrder(c.data.orderId)).toMatchObject({ orderStatus: 'Cancelled' });
  });

  test('order.create-batch: data.list and retExtInfo.list as REST, a bad item fails alone', async () => {
    const t = await tradeSocket();
    const r = expectEnvelope(
      await send(
        t,
        'order.create-batch',
        [
          {
            category: 'linear',
            request: [
              {
                symbol: 'BTCUSDT',
                side: 'Buy',
                orderType: 'Limit',
                qty: '0.01',
                price: '44000',
                orderLinkId: 'b1',
              },
              {
                symbol: 'BTCUSDT',
                side: 'Buy',
                orderType: 'Limit',
                qty: '0.01',
                price: '44000',
                orderLinkId: 'b1',
              },
              {
                symbol: 'BTCUSDT',
                side: 'Buy',
                orderType: 'Limit',
                qty: '0.01',
                price: '43000',
                orderLinkId: 'b3',
              },
            ],
          },
        ],
        'batch-1',
      ),
      'order.create-batch',
      'batch-1',
      0,
    );
    expect(r.data.list).toHaveLength(3);
    expect(r.retExtInfo.list).toHaveLength(3);
    expect(r.retExtInfo.list[0]).toEqual({ code: 0, msg: 'OK' });
    expect(r.retExtInfo.list[1].code).not.toBe(0);
    expect(r.retExtInfo.list[2]).toEqual({ code: 0, msg: 'OK' });
    expect(r.data.list[0]).toMatchObject({
      category: 'linear',
      symbol: 'BTCUSDT',
      orderLinkId: 'b1',
      orderId: expect.stringMatching(UUID),
    });
    expect(r.data.list[2]).toMatchObject({ orderLinkId: 'b3', orderId: expect.stringMatching(UUID) });
    expect(await openOrderCount()).toBe(2);

    // The same batch over REST answers the same codes (the first two ids are taken now).
    const rest = await postSigned(ex, '/v5/order/create-batch', {
      category: 'linear',
      request: [
        {
          symbol: 'BTCUSDT',
          side: 'Buy',
          orderType: 'Limit',
          qty: '0.01',
          price: '44000',
          orderLinkId: 'b1',
        },
      ],
    });
    expect(rest.body.retExtInfo.list[0].code).toBe(r.retExtInfo.list[1].code);

    const cancel = expectEnvelope(
      await send(
        t,
        'order.cancel-batch',
        [
          {
            category: 'linear',
            request: [
              { symbol: 'BTCUSDT', orderLinkId: 'b1' },
              { symbol: 'BTCUSDT', orderLinkId: 'b3' },
            ],
          },
        ],
        'batch-2',
      ),
      'order.cancel-batch',
      'batch-2',
      0,
    );
    expect(cancel.retExtInfo.list).toEqual([
      { code: 0, msg: 'OK' },
      { code: 0, msg: 'OK' },
    ]);
    expect(await openOrderCount()).toBe(0);
  });

  test('errors keep the envelope and match REST for the same request (170131 spot insufficient balance)', async () => {
    const t = await tradeSocket();
    const body = {
      category: 'spot',
      symbol: 'BTCUSDT',
      side: 'Buy',
      orderType: 'Limit',
      qty: '10',
      price: '50000',
    };
    const ws = expectEnvelope(await send(t, 'order.create', [body], '1'), 'order.create', '1', 170131);
    const rest = await postSigned(ex, '/v5/order/create', body);
    expect(rest.body.retCode).toBe(170131);
    expect(ws.retMsg).toBe(rest.body.retMsg);
    // The failed request still spent budget, shown in the header (spot create: 20/s).
    expectLimitHeaders(ws, 20, 19);

    const amend = expectEnvelope(
      await send(t, 'order.amend', [{ ...LINEAR, orderId: 'no-such-order', price: '1' }], '2'),
      'order.amend',
      '2',
      110001,
    );
    expect(amend.retMsg).toBe(
      (await postSigned(ex, '/v5/order/amend', { ...LINEAR, orderId: 'no-such-order', price: '1' })).body
        .retMsg,
    );
    const bad = expectEnvelope(
      await send(t, 'order.create', [{ ...LINEAR, side: 'Up' }], '3'),
      'order.create',
      '3',
      10001,
    );
    expect(bad.retMsg).not.toBe('');
  });

  test('args must hold exactly one request object → 10001', async () => {
    const t = await tradeSocket();
    expectEnvelope(await send(t, 'order.create', [], 'e1'), 'order.create', 'e1', 10001);
    expectEnvelope(
      await send(t, 'order.create', [limitBuy(), limitBuy()], 'e2'),
      'order.create',
      'e2',
      10001,
    );
    expectEnvelope(await send(t, 'order.create', ['x'], 'e3'), 'order.create', 'e3', 10001);
    expect(await openOrderCount()).toBe(0);
  });

  test('a reqId longer than 36 characters → 10001; 36 is fine', async () => {
    const t = await tradeSocket();
    const long = 'r'.repeat(37);
    expectEnvelope(await send(t, 'order.create', [limitBuy()], long), 'order.create', long, 10001);
    const ok = 'r'.repeat(36);
    expectEnvelope(await send(t, 'order.create', [limitBuy()], ok), 'order.create', ok, 0);
    expect(await openOrderCount()).toBe(1);
  });

  test('a duplicate reqId → 20006 and the request is not executed again', async () => {
    const t = await tradeSocket();
    expectEnvelope(await send(t, 'order.create', [limitBuy()], 'dup'), 'order.create', 'dup', 0);
    const again = expectEnvelope(
      await send(t, 'order.create', [limitBuy()], 'dup'),
      'order.create',
      'dup',
      20006,
    );
    expect(again.retMsg).toMatch(/dup/i);
    expect(await openOrderCount()).toBe(1);
    // A different op with the same reqId is a duplicate too; another connection has its own ids.
    expectEnvelope(
      await send(t, 'order.cancel', [{ ...LINEAR, orderId: 'x' }], 'dup'),
      'order.cancel',
      'dup',
      20006,
    );
    const t2 = await tradeSocket();
    expectEnvelope(await send(t2, 'order.create', [limitBuy()], 'dup'), 'order.create', 'dup', 0);
    expect(await openOrderCount()).toBe(2);
  });

  test('X-BAPI-TIMESTAMP: missing → 10001, too old or too far ahead → 10002, within the window → OK', async () => {
    const t = await tradeSocket();
    const now = ex.clock.now();
    const missing = expectEnvelope(
      await send(t, 'order.create', [limitBuy()], 't1', {}),
      'order.create',
      't1',
      10001,
    );
    expect(missing.retMsg).toMatch(/X-BAPI-TIMESTAMP/);
    expectEnvelope(
      await send(t, 'order.create', [limitBuy()], 't2', { 'X-BAPI-TIMESTAMP': 'soon' }),
      'order.create',
      't2',
      10001,
    );
    const old = expectEnvelope(
      await send(t, 'order.create', [limitBuy()], 't3', header(now - 5001)),
      'order.create',
      't3',
      10002,
    );
    expect(old.retMsg).toMatch(/recv_window/);
    expectEnvelope(
      await send(t, 'order.create', [limitBuy()], 't4', header(now + 1000)),
      'order.create',
      't4',
      10002,
    );
    expect(await openOrderCount()).toBe(0);
    // A wider recv window admits the older timestamp; the edge of the default one is accepted.
    expectEnvelope(
      await send(t, 'order.create', [limitBuy()], 't5', {
        'X-BAPI-TIMESTAMP': String(now - 8000),
        'X-BAPI-RECV-WINDOW': '8000',
      }),
      'order.create',
      't5',
      0,
    );
    expectEnvelope(
      await send(t, 'order.create', [limitBuy()], 't6', header(now - 5000)),
      'order.create',
      't6',
      0,
    );
    // A numeric timestamp works as well; the window follows the daemon clock.
    (ex.clock as ManualClock).advance(60_000);
    expectEnvelope(
      await send(t, 'order.create', [limitBuy()], 't7', { 'X-BAPI-TIMESTAMP': ex.clock.now() }),
      'order.create',
      't7',
      0,
    );
    expectEnvelope(
      await send(t, 'order.create', [limitBuy()], 't8', header(now)),
      'order.create',
      't8',
      10002,
    );
    expect(await openOrderCount()).toBe(3);
  });

  test('a read-only key authenticates but every order op → 10005', async () => {
    const t = await tradeSocket({ key: READONLY_KEY, secret: READONLY_SECRET });
    for (const [op, args] of [
      ['order.create', [limitBuy()]],
      ['order.amend', [{ ...LINEAR, orderId: 'x', price: '1' }]],
      ['order.cancel', [{ ...LINEAR, orderId: 'x' }]],
      ['order.create-batch', [{ category: 'linear', request: [limitBuy()] }]],
    ] as [string, unknown[]][]) {
      expectEnvelope(await send(t, op, args, op), op, op, 10005);
    }
  });

  test('REST and WS spend one rate budget: X-Bapi-Limit-Status falls across both', async () => {
    const t = await tradeSocket();
    const statuses: number[] = [];
    const restCreate = async () => {
      const r = await postSigned(ex, '/v5/order/create', limitBuy());
      expect(r.body.retCode, r.text).toBe(0);
      expect(r.headers.get('x-bapi-limit')).toBe('10');
      statuses.push(Number(r.headers.get('x-bapi-limit-status')));
    };
    const wsCreate = async (id: string) => {
      const r = expectEnvelope(await send(t, 'order.create', [limitBuy()], id), 'order.create', id, 0);
      expect(r.header['X-Bapi-Limit']).toBe('10');
      statuses.push(Number(r.header['X-Bapi-Limit-Status']));
    };
    await restCreate();
    await wsCreate('r1');
    await restCreate();
    await wsCreate('r2');
    expect(statuses).toEqual([9, 8, 7, 6]);
    // The budget is per endpoint: cancel has its own.
    const cancel = await send(t, 'order.cancel', [{ ...LINEAR, orderId: 'none' }], 'r3');
    expectLimitHeaders(cancel, 10, 9);
    // A new one-second window restores it.
    (ex.clock as ManualClock).advance(1000);
    await wsCreate('r4');
    expect(statuses[4]).toBe(9);
  });

  test('a WS order reaches the private stream of the same account', async () => {
    const { client: p } = await openAuthed(ex, '/v5/private');
    await p.request({ op: 'subscribe', req_id: 's', args: ['order'] }, (f) => f?.op === 'subscribe');
    const t = await tradeSocket();
    const r = expectEnvelope(await send(t, 'order.create', [limitBuy()], 'p1'), 'order.create', 'p1', 0);
    const frames = (await p.sync()).filter((f) => f.topic === 'order');
    expect(frames).toHaveLength(1);
    expect(frames[0].data[0].orderId).toBe(r.data.orderId);
  });
});
