/**
 * The private stream (/v5/private) over a raw `ws` client on a manual clock: auth, subscribe, and
 * the order / execution / position / wallet frames of REST and WS orders, checked against REST at
 * the same moment.
 * @see ../shared/reference/bybit-v5-facts.md §8.2-8.4, §8.7;
 *      ../shared/reference/client-call-patterns.md §4.2, §4.3, §4.5, §6.1, §6.2
 */
import { afterAll, beforeAll, beforeEach, describe, expect, test } from 'vitest';
import type { ManualClock } from '../../src/core/clock.js';
import { Params } from '../../src/core/params.js';
import type { RunningExchange } from '../../src/runtime/start-exchange.js';
import {
  DEFAULT_KEY,
  DEFAULT_SECRET,
  READONLY_KEY,
  READONLY_SECRET,
  getSigned,
  manualScenarioYaml,
  postSigned,
  startTestExchange,
} from '../support/server.js';
import { WsClient, authFrame, openAuthed, wsSign, type Json } from '../support/ws.js';

const OTHER_KEY = 'other-api-key';
const OTHER_SECRET = 'other-api-secret';

let ex: RunningExchange;

beforeAll(async () => {
  ex = await startTestExchange({
    scenario: {
      // A second trading account, appended to the scenario's accounts list.
      yaml: manualScenarioYaml(
        `  - { name: other, apiKey: ${OTHER_KEY}, apiSecret: ${OTHER_SECRET}, balances: { USDT: "5000", BTC: "0.1" } }\n`,
      ),
      name: 'ws-private',
    },
  });
});

afterAll(async () => {
  await ex?.close();
});

beforeEach(() => {
  ex.reset();
});

const CONN_ID = /^[0-9a-v]{20}-[0-9a-v]{5}$/;
const ALL_TOPICS = ['order', 'execution', 'execution.fast', 'position', 'wallet'];

const isAuth = (f: Json) => f?.op === 'auth';
const isSub = (reqId?: unknown) => (f: Json) =>
  f?.op === 'subscribe' && (reqId === undefined || f.req_id === reqId);
const topicFrames = (frames: Json[]) => frames.filter((f) => typeof f.topic === 'string');

/** An authenticated private socket subscribed to `topics`. */
async function privateSocket(topics: string[], o: { key?: string; secret?: string } = {}): Promise<WsClient> {
  const { client, reply } = await openAuthed(ex, '/v5/private', o);
  expect(reply.success, JSON.stringify(reply)).toBe(true);
  const ack = await client.request({ op: 'subscribe', req_id: 'sub', args: topics }, isSub('sub'));
  expect(ack.success, JSON.stringify(ack)).toBe(true);
  return client;
}

// ---- auth ------------------------------------------------------------------------------------------

describe('auth on /v5/private', () => {
  test('success with expires as a number and as a numeric string; req_id echoed when sent', async () => {
    const a = await WsClient.open(ex, '/v5/private');
    const r1 = await a.request(authFrame(ex), isAuth);
    expect(r1).toEqual({ success: true, ret_msg: '', op: 'auth', conn_id: r1.conn_id });
    expect(r1.conn_id).toMatch(CONN_ID);

    const b = await WsClient.open(ex, '/v5/private');
    const expires = String(ex.clock.now() + 10_000);
    const r2 = await b.request(
      { op: 'auth', req_id: 'v5Private-auth', args: [DEFAULT_KEY, expires, wsSign(DEFAULT_SECRET, expires)] },
      isAuth,
    );
    expect(r2).toEqual({
      success: true,
      ret_msg: '',
      op: 'auth',
      conn_id: r2.conn_id,
      req_id: 'v5Private-auth',
    });

    // ccxt sends an integer req_id; an expires 1 s ahead (pybit) is fine.
    const c = await WsClient.open(ex, '/v5/private');
    const exp3 = ex.clock.now() + 1000;
    const r3 = await c.request(
      { op: 'auth', req_id: 8, args: [DEFAULT_KEY, exp3, wsSign(DEFAULT_SECRET, exp3)] },
      isAuth,
    );
    expect(r3).toMatchObject({ success: true, req_id: 8 });
  });

  test('expires equal to the daemon clock is still accepted; a past one is "Params Error"', async () => {
    const a = await WsClient.open(ex, '/v5/private');
    const now = ex.clock.now();
    expect(await a.request(authFrame(ex, { expires: now }), isAuth)).toMatchObject({ success: true });

    const b = await WsClient.open(ex, '/v5/private');
    const r = await b.request(authFrame(ex, { expires: now - 1, reqId: 'old' }), isAuth);
    expect(r).toEqual({
      success: false,
      ret_msg: 'Params Error',
      op: 'auth',
      conn_id: r.conn_id,
      req_id: 'old',
    });
    // Moving the daemon clock past `expires` expires it as well.
    const c = await WsClient.open(ex, '/v5/private');
    const frame = authFrame(ex, { expires: now + 5000 });
    (ex.clock as ManualClock).advance(5001);
    expect(await c.request(frame, isAuth)).toMatchObject({ success: false, op: 'auth' });
  });

  test.each([
    ['a bad signature', () => [DEFAULT_KEY, ex.clock.now() + 10_000, 'ab'.repeat(32)]],
    [
      'a signature made with another secret',
      () => [DEFAULT_KEY, ex.clock.now() + 10_000, wsSign('nope', ex.clock.now() + 10_000)],
    ],
    [
      'an unknown key',
      () => ['no-such-key', ex.clock.now() + 10_000, wsSign(DEFAULT_SECRET, ex.clock.now() + 10_000)],
    ],
    ['no args', () => []],
    ['a non-numeric expires', () => [DEFAULT_KEY, 'soon', wsSign(DEFAULT_SECRET, 'soon')]],
    ['a numeric key', () => [123, ex.clock.now() + 10_000, 'x']],
    ['a missing signature', () => [DEFAULT_KEY, ex.clock.now() + 10_000]],
  ])('%s → success:false, op auth, the socket stays open and can still authenticate', async (_what, args) => {
    const c = await WsClient.open(ex, '/v5/private');
    const r = await c.request({ op: 'auth', req_id: 'bad', args: args() }, isAuth);
    expect(Object.keys(r).sort()).toEqual(['conn_id', 'op', 'req_id', 'ret_msg', 'success']);
    expect(r).toMatchObject({ success: false, op: 'auth', req_id: 'bad' });
    expect(r.ret_msg).toEqual(expect.any(String));
    expect(r.ret_msg).not.toBe('');
    // Not authenticated: private topics are still refused.
    const sub = await c.request({ op: 'subscribe', req_id: 's', args: ['order'] }, isSub('s'));
    expect(sub.success).toBe(false);
    // A good auth afterwards works.
    expect(await c.request(authFrame(ex), isAuth)).toMatchObject({ success: true });
  });

  test('private subscribe before auth is refused; after auth it is acknowledged', async () => {
    const c = await WsClient.open(ex, '/v5/private');
    const refused = await c.request({ op: 'subscribe', req_id: 'early', args: ['order'] }, isSub('early'));
    expect(refused).toMatchObject({
      success: false,
      op: 'subscribe',
      req_id: 'early',
      conn_id: expect.stringMatching(CONN_ID),
    });
    expect(refused.ret_msg).not.toBe('');
    await c.request(authFrame(ex), isAuth);
    const ok = await c.request(
      {
        req_id: 'order,execution,position,wallet',
        op: 'subscribe',
        args: ['order', 'execution', 'position', 'wallet'],
      },
      isSub('order,execution,position,wallet'),
    );
    expect(ok).toEqual({
      success: true,
      ret_msg: '',
      op: 'subscribe',
      conn_id: ok.conn_id,
      req_id: 'order,execution,position,wallet',
    });
    const noId = await c.request({ op: 'subscribe', args: ['execution.fast'] }, isSub());
    expect(noId).toEqual({ success: true, ret_msg: '', op: 'subscribe', conn_id: ok.conn_id });
    // Nothing is pushed on subscribe.
    expect(topicFrames(await c.sync())).toEqual([]);
  });

  test('private refusals: a public topic, an unknown topic; a repeated subscribe and an unsubscribe acknowledged', async () => {
    const { client: c } = await openAuthed(ex, '/v5/private');
    const pub = await c.request({ op: 'subscribe', req_id: 1, args: ['tickers.BTCUSDT'] }, isSub(1));
    expect(pub).toMatchObject({ success: false, ret_msg: 'error:handler not found,topic:tickers.BTCUSDT' });
    await c.request({ op: 'subscribe', req_id: 2, args: ['order'] }, isSub(2));
    const again = await c.request({ op: 'subscribe', req_id: 3, args: ['order'] }, isSub(3));
    // ccxt re-subscribes `order` per watched symbol; Bybit accepts it on the private stream.
    expect(again).toMatchObject({ success: true, ret_msg: '', op: 'subscribe', req_id: 3 });
    const un = await c.request(
      { op: 'unsubscribe', req_id: 4, args: ['order'] },
      (f) => f?.op === 'unsubscribe',
    );
    expect(un).toEqual({ success: true, ret_msg: '', op: 'unsubscribe', conn_id: un.conn_id, req_id: 4 });
    // Unsubscribed: an order no longer reaches it.
    await postSigned(ex, '/v5/order/create', limitBuy());
    expect(topicFrames(await c.sync())).toEqual([]);
  });

  test('private pong: op "pong" with the server time, conn_id, req_id when sent', async () => {
    const c = await WsClient.open(ex, '/v5/private');
    const p = await c.request({ op: 'ping', req_id: 'test' }, (f) => f?.op === 'pong');
    expect(p).toEqual({ req_id: 'test', op: 'pong', args: [String(ex.clock.now())], conn_id: p.conn_id });
    const p2 = await c.request({ op: 'ping' }, (f) => f?.op === 'pong');
    expect(p2).toEqual({ op: 'pong', args: [String(ex.clock.now())], conn_id: p.conn_id });
  });

  test('a repeated auth on /v5/private is answered with success', async () => {
    const { client: c } = await openAuthed(ex, '/v5/private');
    expect(await c.request(authFrame(ex), isAuth)).toMatchObject({ success: true, op: 'auth' });
  });

  test('a read-only key may use the private stream', async () => {
    const { reply } = await openAuthed(ex, '/v5/private', { key: READONLY_KEY, secret: READONLY_SECRET });
    expect(reply.success).toBe(true);
  });
});

// ---- feeds -------------------------------------------------------------------------------------------

function limitBuy(extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    category: 'linear',
    symbol: 'BTCUSDT',
    side: 'Buy',
    orderType: 'Limit',
    qty: '0.01',
    price: '45000',
    ...extra,
  };
}

function marketBuy(extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { category: 'linear', symbol: 'BTCUSDT', side: 'Buy', orderType: 'Market', qty: '0.02', ...extra };
}

async function restOrder(orderId: string, category = 'linear'): Promise<Json> {
  const r = await getSigned(ex, '/v5/order/realtime', `category=${category}&orderId=${orderId}`);
  expect(r.body.retCode, r.text).toBe(0);
  expect(r.body.result.list).toHaveLength(1);
  return r.body.result.list[0];
}

async function restExecutions(orderId: string, category = 'linear'): Promise<Json[]> {
  const r = await getSigned(ex, '/v5/execution/list', `category=${category}&orderId=${orderId}`);
  expect(r.body.retCode, r.text).toBe(0);
  return r.body.result.list;
}

async function restPosition(): Promise<Json> {
  const r = await getSigned(ex, '/v5/position/list', 'category=linear&symbol=BTCUSDT');
  expect(r.body.retCode, r.text).toBe(0);
  return r.body.result.list[0];
}

async function restWallet(key = DEFAULT_KEY, secret = DEFAULT_SECRET): Promise<Json> {
  const r = await getSigned(ex, '/v5/account/wallet-balance', 'accountType=UNIFIED', { key, secret });
  expect(r.body.retCode, r.text).toBe(0);
  return r.body.result.list[0];
}

/** Checks one fill's frames against REST at the same moment (the clock has not moved). */
async function expectFillFrames(frames: Json[], orderId: string): Promise<void> {
  expect(frames.map((f) => f.topic)).toEqual(['order', 'execution', 'execution.fast', 'position', 'wallet']);
  const ids = frames.map((f) => f.id);
  expect(new Set(ids).size).toBe(ids.length);
  for (const f of frames) {
    expect(Object.keys(f).sort()).toEqual(['creationTime', 'data', 'id', 'topic']);
    expect(typeof f.id).toBe('string');
    expect(f.creationTime).toBe(ex.clock.now());
    expect(Array.isArray(f.data)).toBe(true);
  }
  const [order, execution, fast, position, wallet] = frames;

  // order: category + the REST order + closedPnl, feeCurrency.
  expect(order.data).toHaveLength(1);
  const { category, closedPnl, feeCurrency, ...orderRow } = order.data[0];
  expect(category).toBe('linear');
  expect(typeof closedPnl).toBe('string');
  expect(typeof feeCurrency).toBe('string');
  expect(orderRow).toHaveProperty('tpslMode');
  expect(orderRow).toEqual(await restOrder(orderId));
  expect(orderRow.orderStatus).toBe('Filled');

  // execution: the REST executions of the order, with category and execType.
  const restExecs = await restExecutions(orderId);
  expect(execution.data.length).toBe(restExecs.length);
  expect(execution.data.length).toBeGreaterThan(0);
  const byId = new Map(restExecs.map((e) => [e.execId, e]));
  for (const e of execution.data) {
    expect(e.category).toBe('linear');
    expect(e.execType).toBe('Trade');
    expect(e.orderId).toBe(orderId);
    const rest = byId.get(e.execId);
    expect(rest, e.execId).toBeDefined();
    for (const [k, v] of Object.entries(rest)) expect(e[k], k).toEqual(v);
  }
  const sum = execution.data.reduce((n: number, e: Json) => n + Number(e.execQty), 0);
  expect(sum).toBeCloseTo(Number(orderRow.cumExecQty), 9);

  // execution.fast: the documented subset, no id field in rows, same fills.
  expect(fast.data).toHaveLength(execution.data.length);
  fast.data.forEach((r: Json, i: number) => {
    expect(Object.keys(r).sort()).toEqual(
      [
        'category',
        'symbol',
        'orderId',
        'isMaker',
        'orderLinkId',
        'execId',
        'execPrice',
        'execQty',
        'side',
        'execTime',
        'seq',
      ].sort(),
    );
    const e = execution.data[i];
    expect(r).toEqual({
      category: 'linear',
      symbol: e.symbol,
      orderId: e.orderId,
      isMaker: e.isMaker,
      orderLinkId: e.orderLinkId,
      execId: e.execId,
      execPrice: e.execPrice,
      execQty: e.execQty,
      side: e.side,
      execTime: e.execTime,
      seq: e.seq,
    });
  });

  // position: REST's row with entryPrice for avgPrice, plus category.
  expect(position.data).toHaveLength(1);
  const pos = position.data[0];
  expect(pos).toHaveProperty('entryPrice');
  expect(pos).not.toHaveProperty('avgPrice');
  const { entryPrice, category: posCategory, ...posRest } = pos;
  expect(posCategory).toBe('linear');
  expect({ ...posRest, avgPrice: entryPrice }).toEqual(await restPosition());

  // wallet: the wallet-balance item.
  expect(wallet.data).toHaveLength(1);
  expect(wallet.data[0].accountType).toBe('UNIFIED');
  expect(wallet.data[0]).toEqual(await restWallet());
}

describe('private feeds', () => {
  test('a REST market order: order, execution, execution.fast, position, wallet in that order, equal to REST', async () => {
    const c = await privateSocket(ALL_TOPICS);
    (ex.clock as ManualClock).advance(2000);
    const r = await postSigned(ex, '/v5/order/create', marketBuy({ orderLinkId: 'rest-1' }));
    expect(r.body.retCode, r.text).toBe(0);
    const frames = topicFrames(await c.sync());
    await expectFillFrames(frames, r.body.result.orderId);
    expect(frames[0].data[0].orderLinkId).toBe('rest-1');
  });

  test('orders within one event-loop turn: order and execution frames each, one position and one wallet frame with the state after both', async () => {
    const c = await privateSocket(['order', 'execution', 'position', 'wallet']);
    const account = ex.exchange.accountByApiKey(DEFAULT_KEY)!;
    // Two commands in one turn of the event loop (as a burst of requests read together would be).
    const first = ex.exchange.trading.create(account, new Params(marketBuy({ orderLinkId: 'burst-1' })));
    const second = ex.exchange.trading.create(
      account,
      new Params(marketBuy({ qty: '0.03', orderLinkId: 'burst-2' })),
    );
    const frames = topicFrames(await c.sync());
    expect(frames.map((f) => f.topic)).toEqual([
      'order',
      'execution',
      'order',
      'execution',
      'position',
      'wallet',
    ]);
    expect(frames[0].data[0]).toMatchObject({ orderId: first.orderId, orderStatus: 'Filled' });
    expect(frames[2].data[0]).toMatchObject({ orderId: second.orderId, orderStatus: 'Filled' });
    // The snapshots show the state after both orders, equal to REST.
    const { entryPrice, category, ...pos } = frames[4].data[0];
    expect(category).toBe('linear');
    expect(pos.size).toBe('0.050');
    expect({ ...pos, avgPrice: entryPrice }).toEqual(await restPosition());
    expect(frames[5].data).toEqual([await restWallet()]);
  });
  test('a WS market order (/v5/trade): the same frames, equal to REST', async () => {
    const c = await privateSocket(ALL_TOPICS);
    const { client: t, reply } = await openAuthed(ex, '/v5/trade');
    expect(reply.retCode).toBe(0);
    const res = await t.request(
      {
        reqId: 'w1',
        header: { 'X-BAPI-TIMESTAMP': String(ex.clock.now()) },
        op: 'order.create',
        args: [marketBuy({ orderLinkId: 'ws-1' })],
      },
      (f) => f?.op === 'order.create',
    );
    expect(res.retCode, JSON.stringify(res)).toBe(0);
    const frames = topicFrames(await c.sync());
    await expectFillFrames(frames, res.data.orderId);
    expect(frames[0].data[0].orderLinkId).toBe('ws-1');
    // The trade socket itself gets no topic frames.
    expect(topicFrames(await t.sync())).toEqual([]);
  });

  test('a resting limit order, its amend and its cancel each push order and position frames', async () => {
    const c = await privateSocket(['order', 'execution', 'position']);
    const created = await postSigned(ex, '/v5/order/create', limitBuy());
    const orderId = created.body.result.orderId;
    let frames = topicFrames(await c.sync());
    expect(frames.map((f) => f.topic)).toEqual(['order', 'position']);
    expect(frames[0].data[0]).toMatchObject({ orderId, orderStatus: 'New', price: '45000.0', qty: '0.010' });
    const { category: _c, closedPnl: _p, feeCurrency: _f, ...row } = frames[0].data[0];
    expect(row).toEqual(await restOrder(orderId));
    // The flat position, as REST shows it (entryPrice for avgPrice).
    const { entryPrice, category: posCategory, ...pos } = frames[1].data[0];
    expect(posCategory).toBe('linear');
    expect({ ...pos, avgPrice: entryPrice }).toEqual(await restPosition());
    expect(pos).toMatchObject({ symbol: 'BTCUSDT', side: '' });
    expect(Number(pos.size)).toBe(0);

    await postSigned(ex, '/v5/order/amend', {
      category: 'linear',
      symbol: 'BTCUSDT',
      orderId,
      price: '45500',
    });
    frames = topicFrames(await c.sync());
    expect(frames.map((f) => f.topic)).toEqual(['order', 'position']);
    expect(frames[0].data[0]).toMatchObject({ orderId, orderStatus: 'New', price: '45500.0' });

    await postSigned(ex, '/v5/order/cancel', { category: 'linear', symbol: 'BTCUSDT', orderId });
    frames = topicFrames(await c.sync());
    expect(frames.map((f) => f.topic)).toEqual(['order', 'position']);
    expect(frames[0].data[0]).toMatchObject({ orderId, orderStatus: 'Cancelled' });
  });

  test('a resting order filled by the market pushes its fill (maker) when the clock moves', async () => {
    const c = await privateSocket(['order', 'execution.fast']);
    // Just below the best ask: the market soon trades through it.
    const ob = (await getSigned(ex, '/v5/market/orderbook', 'category=linear&symbol=BTCUSDT&limit=1')).body
      .result;
    const created = await postSigned(ex, '/v5/order/create', {
      ...limitBuy({ price: ob.b[0][0], qty: '0.001', orderLinkId: 'maker-1' }),
    });
    expect(created.body.retCode, created.text).toBe(0);
    await c.sync();
    let fills: Json[] = [];
    for (let i = 0; i < 120 && fills.length === 0; i++) {
      (ex.clock as ManualClock).advance(1000);
      fills = topicFrames(await c.sync()).filter((f) => f.topic === 'execution.fast');
    }
    expect(fills.length).toBeGreaterThan(0);
    const row = fills[0].data[0];
    expect(row).toMatchObject({ category: 'linear', orderId: created.body.result.orderId, isMaker: true });
    // Maker fills carry an empty orderLinkId on execution.fast.
    expect(row.orderLinkId).toBe('');
  });

  test('categorised topics: order.spot gets only spot orders, position.linear only linear positions', async () => {
    const c = await privateSocket(['order.spot', 'execution.spot', 'position.linear']);
    const lin = await postSigned(ex, '/v5/order/create', marketBuy());
    expect(lin.body.retCode, lin.text).toBe(0);
    let frames = topicFrames(await c.sync());
    expect(frames.map((f) => f.topic)).toEqual(['position.linear']);
    expect(frames[0].data[0]).toMatchObject({ category: 'linear', symbol: 'BTCUSDT', size: '0.020' });

    const spot = await postSigned(ex, '/v5/order/create', {
      category: 'spot',
      symbol: 'BTCUSDT',
      side: 'Sell',
      orderType: 'Market',
      qty: '0.01',
    });
    expect(spot.body.retCode, spot.text).toBe(0);
    frames = topicFrames(await c.sync());
    expect(frames.map((f) => f.topic)).toEqual(['order.spot', 'execution.spot']);
    for (const f of frames) for (const r of f.data) expect(r.category).toBe('spot');
    const { category: _c, closedPnl: _p, feeCurrency: _f, ...row } = frames[0].data[0];
    expect(row).toEqual(await restOrder(spot.body.result.orderId, 'spot'));
    const execs = await restExecutions(spot.body.result.orderId, 'spot');
    expect(frames[1].data.map((e: Json) => e.execId).sort()).toEqual(execs.map((e) => e.execId).sort());
  });

  test('all-in-one and categorised topics: not in one request; from separate requests each get frames', async () => {
    const { client: c } = await openAuthed(ex, '/v5/private');
    const mixed = await c.request(
      { op: 'subscribe', req_id: 'm', args: ['order', 'order.linear'] },
      isSub('m'),
    );
    expect(mixed).toMatchObject({ success: false, op: 'subscribe', req_id: 'm' });
    expect(mixed.ret_msg).toMatch(/order\.linear/);
    // Different families mix freely.
    const ok1 = await c.request(
      { op: 'subscribe', req_id: 'a', args: ['order', 'execution.linear'] },
      isSub('a'),
    );
    expect(ok1.success).toBe(true);
    const ok2 = await c.request(
      { op: 'subscribe', req_id: 'b', args: ['order.linear', 'order.spot'] },
      isSub('b'),
    );
    expect(ok2.success).toBe(true);
    await postSigned(ex, '/v5/order/create', limitBuy());
    const frames = topicFrames(await c.sync());
    expect(frames.map((f) => f.topic).sort()).toEqual(['order', 'order.linear']);
    expect(frames[0].data).toEqual(frames[1].data);
  });

  test('a second account never receives the first one’s frames', async () => {
    const main = await privateSocket(ALL_TOPICS);
    const other = await privateSocket(ALL_TOPICS, { key: OTHER_KEY, secret: OTHER_SECRET });
    const viewer = await privateSocket(ALL_TOPICS, { key: READONLY_KEY, secret: READONLY_SECRET });

    const r1 = await postSigned(ex, '/v5/order/create', marketBuy());
    expect(r1.body.retCode, r1.text).toBe(0);
    expect(topicFrames(await main.sync()).map((f) => f.topic)).toEqual(ALL_TOPICS);
    expect(topicFrames(await other.sync())).toEqual([]);
    expect(topicFrames(await viewer.sync())).toEqual([]);

    const r2 = await postSigned(ex, '/v5/order/create', marketBuy({ qty: '0.005' }), {
      key: OTHER_KEY,
      secret: OTHER_SECRET,
    });
    expect(r2.body.retCode, r2.text).toBe(0);
    const otherFrames = topicFrames(await other.sync());
    expect(otherFrames.map((f) => f.topic)).toEqual(ALL_TOPICS);
    expect(otherFrames[0].data[0].orderId).toBe(r2.body.result.orderId);
    expect(otherFrames[4].data[0]).toEqual(await restWallet(OTHER_KEY, OTHER_SECRET));
    expect(topicFrames(await main.sync())).toEqual([]);
    expect(topicFrames(await viewer.sync())).toEqual([]);

    // Market ticks move the other account's position value but push nothing to main.
    (ex.clock as ManualClock).advance(3000);
    for (const f of topicFrames(await main.sync())) {
      for (const r of f.data) if (r.orderId) expect(r.orderId).not.toBe(r2.body.result.orderId);
    }
  });

  test('two sockets of one account both get the frames; a closed one is forgotten', async () => {
    const a = await privateSocket(['order']);
    const b = await privateSocket(['order']);
    await postSigned(ex, '/v5/order/create', limitBuy());
    const fa = topicFrames(await a.sync());
    const fb = topicFrames(await b.sync());
    expect(fa).toHaveLength(1);
    expect(fb).toHaveLength(1);
    expect(fb[0].data).toEqual(fa[0].data);
    expect(fb[0].id).not.toBe(fa[0].id);
    await a.close();
    await postSigned(ex, '/v5/order/create', limitBuy());
    expect(topicFrames(await b.sync())).toHaveLength(1);
  });
});
