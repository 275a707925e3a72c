/**
 * bybit-api (unmodified, real WebSockets) against the real daemon on a real clock: the
 * WebsocketClient's public topics on linear and spot (an order book kept from snapshot + deltas
 * checked level by level against REST), private topics after REST orders, heartbeats, and the
 * WebsocketAPIClient's order entry over /v5/trade.
 *
 * Configuration (test/support/clients.ts): keys, plus one URL per stream. bybit-api's only URL
 * option, `wsUrl`, is used for EVERY connection a WebsocketClient opens, so MockWebsocketClient
 * overrides `getWsUrl(wsKey)` to map v5LinearPublic, v5SpotPublic, v5Private, v5PrivateTrade, ...
 * to the mock's paths. The WebsocketAPIClient only opens /v5/trade, so `wsUrl` is enough there.
 *
 * The daemon runs on the wall clock because bybit-api signs WS auth (`expires`) and trade ops
 * (X-BAPI-TIMESTAMP) with it; the simulator ticks every 100 ms so the market moves within a test.
 * Every wait is bounded (EventLog.waitFor / within): a missing event fails, it never hangs.
 * @see ../shared/reference/client-call-patterns.md §1.3, §6; ../shared/reference/bybit-v5-facts.md §8
 */
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import type { RestClientV5, WebsocketAPIClient } from 'bybit-api';
import type { RunningExchange } from '../../src/runtime/start-exchange.js';
import {
  bybitApiRest,
  bybitApiWs,
  bybitApiWsApi,
  EventLog,
  realClockScenarioYaml,
  SILENT_BYBIT_LOGGER,
  until,
  within,
  type MockWebsocketClient,
} from '../support/clients.js';
import { startTestExchange } from '../support/server.js';

// Events are read field by field.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Event = any;
type Level = [string, string];

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const SPOT_ID = /^\d{19}$/;
const WAIT_MS = 3000;
const PUBLIC_TOPICS = ['orderbook.50.BTCUSDT', 'publicTrade.BTCUSDT', 'tickers.BTCUSDT', 'kline.1.BTCUSDT'];
const PRIVATE_TOPICS = ['order', 'execution', 'position', 'wallet'];
const WS_KEY = { linear: 'v5LinearPublic', spot: 'v5SpotPublic' } as const;

let ex: RunningExchange;
let rest: RestClientV5;
let ws: MockWebsocketClient;
const updates = new EventLog<Event>();
const responses = new EventLog<Event>();
const exceptions: Event[] = [];

beforeAll(async () => {
  ex = await startTestExchange({ scenario: { yaml: realClockScenarioYaml('100ms') } });
  rest = bybitApiRest(ex);
  ws = bybitApiWs(ex);
  ws.on('update', (e: Event) => updates.push(e));
  ws.on('response', (e: Event) => responses.push(e));
  ws.on('authenticated', (e: Event) => responses.push(e));
  ws.on('exception', (e: Event) => exceptions.push(e));
});

afterAll(async () => {
  ws?.closeAll(true);
  await ex?.close();
});

function isSorted(levels: Level[], dir: 'asc' | 'desc'): boolean {
  const ps = levels.map(([p]) => Number(p));
  return ps.every((p, i) => i === 0 || (dir === 'asc' ? p > ps[i - 1]! : p < ps[i - 1]!));
}

/** A subscribe ack for exactly these topics on `wsKey` (bybit-api's req_id = topics joined by ","). */
async function subscribed(wsKey: string, topics: string[]): Promise<Event> {
  const reqId = topics.join(',');
  return responses.waitFor(
    (r) => r.wsKey === wsKey && r.op === 'subscribe' && r.req_id === reqId,
    `subscribe ack ${reqId} on ${wsKey}`,
  );
}

/** The book a client builds from the frames received so far: last snapshot + later deltas. */
function localBook(wsKey: string): { u: number; bids: Level[]; asks: Level[] } {
  const frames = updates.entries.filter((e) => e.wsKey === wsKey && e.topic === 'orderbook.50.BTCUSDT');
  const start = frames.map((f) => f.type).lastIndexOf('snapshot');
  expect(start).toBeGreaterThanOrEqual(0);
  const bids = new Map<string, string>();
  const asks = new Map<string, string>();
  let u = 0;
  for (const f of frames.slice(start)) {
    for (const [side, rows] of [
      [bids, f.data.b],
      [asks, f.data.a],
    ] as [Map<string, string>, Level[]][]) {
      for (const [p, q] of rows) {
        if (Number(q) === 0) side.delete(p);
        else side.set(p, q);
      }
    }
    u = f.data.u;
  }
  const sorted = (m: Map<string, string>, dir: 1 | -1): Level[] =>
    [...m.entries()].sort(([a], [b]) => dir * (Number(a) - Number(b)));
  return { u, bids: sorted(bids, -1), asks: sorted(asks, 1) };
}

// ---- public ---------------------------------------------------------------------------------------

describe.each(['linear', 'spot'] as const)('bybit-api WebsocketClient public topics on %s', (category) => {
  const wsKey = WS_KEY[category];
  const isTopic = (topic: string) => (e: Event) => e.wsKey === wsKey && e.topic === topic;

  beforeAll(async () => {
    ws.subscribeV5(PUBLIC_TOPICS, category);
    const ack = await subscribed(wsKey, PUBLIC_TOPICS);
    expect(ack.success).toBe(true);
    // Spot acks say ret_msg "subscribe", linear "" (facts §8.2).
    expect(ack.ret_msg).toBe(category === 'spot' ? 'subscribe' : '');
  });

  it('orderbook.50: a sorted, uncrossed snapshot, then deltas one u apart', async () => {
    const snap = await updates.waitFor(isTopic('orderbook.50.BTCUSDT'), 'book snapshot');
    expect(snap.type).toBe('snapshot');
    expect(snap.data.s).toBe('BTCUSDT');
    expect(snap.data.b.length).toBeGreaterThan(0);
    expect(snap.data.b.length).toBeLessThanOrEqual(50);
    expect(snap.data.a.length).toBeGreaterThan(0);
    expect(snap.data.a.length).toBeLessThanOrEqual(50);
    expect(isSorted(snap.data.b, 'desc')).toBe(true);
    expect(isSorted(snap.data.a, 'asc')).toBe(true);
    expect(Number(snap.data.b[0][0])).toBeLessThan(Number(snap.data.a[0][0]));
    expect(typeof snap.ts).toBe('number');
    expect(typeof snap.cts).toBe('number');
    expect(typeof snap.data.seq).toBe('number');

    const isBook = isTopic('orderbook.50.BTCUSDT');
    await updates.waitFor(() => updates.entries.filter(isBook).length >= 4, '3 book deltas', WAIT_MS);
    const frames = updates.entries.filter(isBook);
    for (let i = 1; i < frames.length; i++) {
      const { type, data } = frames[i];
      if (type === 'delta') expect(data.u).toBe(frames[i - 1].data.u + 1);
      else expect(data.u).toBeGreaterThan(frames[i - 1].data.u);
    }
    const book = localBook(wsKey);
    expect(book.bids.length).toBeLessThanOrEqual(50);
    expect(book.asks.length).toBeLessThanOrEqual(50);
    expect(Number(book.bids[0]![0])).toBeLessThan(Number(book.asks[0]![0]));
  });

  it('orderbook.50: the book kept from snapshot + deltas equals REST getOrderbook at the same u', async () => {
    const isBook = isTopic('orderbook.50.BTCUSDT');
    for (let attempt = 1; ; attempt++) {
      const res = await rest.getOrderbook({ category, symbol: 'BTCUSDT', limit: 50 });
      expect(res.retCode).toBe(0);
      const r = res.result;
      let local = localBook(wsKey);
      if (local.u < r.u) {
        await updates.waitFor((e) => isBook(e) && e.data.u >= r.u, `book u >= ${r.u}`, WAIT_MS, updates.mark);
        local = localBook(wsKey);
      }
      if (local.u === r.u) {
        expect(local.bids).toEqual(r.b);
        expect(local.asks).toEqual(r.a);
        return;
      }
      if (attempt >= 10) throw new Error(`no REST read matched the WS book version (${local.u} vs ${r.u})`);
    }
  });

  it('tickers: a complete snapshot first, of the right kind for the category', async () => {
    const t = await updates.waitFor(isTopic('tickers.BTCUSDT'), 'ticker');
    expect(t.type).toBe('snapshot');
    expect(typeof t.ts).toBe('number');
    expect(typeof t.cs).toBe('number');
    const d = t.data;
    expect(d.symbol).toBe('BTCUSDT');
    expect(Number(d.lastPrice)).toBeGreaterThan(0);
    expect(Number(d.highPrice24h)).toBeGreaterThanOrEqual(Number(d.lowPrice24h));
    if (category === 'linear') {
      for (const k of ['markPrice', 'indexPrice', 'openInterestValue', 'fundingRate', 'nextFundingTime']) {
        expect(d).toHaveProperty(k);
      }
      expect(Number(d.bid1Price)).toBeLessThan(Number(d.ask1Price));
      // Linear: later frames are deltas of changed fields, each naming the symbol.
      const delta = await updates.waitFor(
        (e) => isTopic('tickers.BTCUSDT')(e) && e.type === 'delta',
        'delta',
      );
      expect(delta.data.symbol).toBe('BTCUSDT');
    } else {
      // Spot: a full snapshot every time, usdIndexPrice, no open interest or book (facts §8.6).
      expect(d).toHaveProperty('usdIndexPrice');
      expect(d).not.toHaveProperty('openInterestValue');
      expect(d).not.toHaveProperty('bid1Price');
      const from = updates.mark;
      const next = await updates.waitFor(isTopic('tickers.BTCUSDT'), 'next spot ticker', WAIT_MS, from);
      expect(next.type).toBe('snapshot');
      expect(Object.keys(next.data).sort()).toEqual(Object.keys(d).sort());
    }
    const restTicker =
      category === 'linear'
        ? await rest.getTickers({ category, symbol: 'BTCUSDT' })
        : await rest.getTickers({ category, symbol: 'BTCUSDT' });
    expect(Math.abs(Number(restTicker.result.list[0]!.lastPrice) / Number(d.lastPrice) - 1)).toBeLessThan(
      0.01,
    );
  });

  it('publicTrade: prints oldest first with time, side, size, price and id', async () => {
    const t = await updates.waitFor(isTopic('publicTrade.BTCUSDT'), 'public trades');
    expect(t.type).toBe('snapshot');
    expect(t.data.length).toBeGreaterThan(0);
    for (const row of t.data) {
      expect(row.s).toBe('BTCUSDT');
      expect(['Buy', 'Sell']).toContain(row.S);
      expect(Number(row.v)).toBeGreaterThan(0);
      expect(Number(row.p)).toBeGreaterThan(0);
      expect(typeof row.i).toBe('string');
      expect(row.BT).toBe(false);
      expect(Math.abs(row.T - Date.now())).toBeLessThan(5_000);
      // Tick direction only on perpetuals.
      if (category === 'linear') expect(row).toHaveProperty('L');
      else expect(row).not.toHaveProperty('L');
    }
    const times = t.data.map((r: Event) => r.T as number);
    expect(times).toEqual([...times].sort((a, b) => a - b));
  });

  it('kline.1: the open one-minute candle', async () => {
    const k = await updates.waitFor(isTopic('kline.1.BTCUSDT'), 'kline');
    expect(k.type).toBe('snapshot');
    const c = k.data.at(-1);
    expect(c.interval).toBe('1');
    expect(c.start % 60_000).toBe(0);
    expect(c.end).toBe(c.start + 59_999);
    expect(c.start).toBeLessThanOrEqual(ex.clock.now());
    expect(c.start).toBeGreaterThan(ex.clock.now() - 120_000);
    expect(typeof c.confirm).toBe('boolean');
    const [o, h, l, cl] = [c.open, c.high, c.low, c.close].map(Number) as [number, number, number, number];
    expect(l).toBeLessThanOrEqual(Math.min(o, cl));
    expect(h).toBeGreaterThanOrEqual(Math.max(o, cl));
    expect(Number(c.volume)).toBeGreaterThanOrEqual(0);
  });
});

// ---- private --------------------------------------------------------------------------------------

describe('bybit-api WebsocketClient private topics', () => {
  const isPrivate = (topic: string, pred: (row: Event) => boolean) => (e: Event) =>
    e.wsKey === 'v5Private' && e.topic === topic && e.data.some(pred);

  beforeAll(async () => {
    ws.subscribeV5(PRIVATE_TOPICS, 'linear');
    // Auth on open, then (after the auth ack) one subscribe for the four topics.
    const auth = await responses.waitFor((r) => r.wsKey === 'v5Private' && r.op === 'auth', 'auth ack');
    expect(auth).toMatchObject({ success: true, req_id: 'v5Private-auth' });
    const ack = await subscribed('v5Private', PRIVATE_TOPICS);
    expect(ack.success).toBe(true);
  });

  it('order, execution, position and wallet after a REST market order', async () => {
    const placed = await rest.submitOrder({
      category: 'linear',
      symbol: 'BTCUSDT',
      side: 'Buy',
      orderType: 'Market',
      qty: '0.001',
      orderLinkId: 'bapi-ws-1',
    });
    expect(placed.retCode).toBe(0);
    const orderId = placed.result.orderId;
    const mine = (r: Event) => r.orderId === orderId;

    const order = await updates.waitFor(
      isPrivate('order', (r) => mine(r) && r.orderStatus === 'Filled'),
      'order',
    );
    // Private frames: {id, topic, creationTime, data[]}, no type (facts §8.7).
    expect(typeof order.id).toBe('string');
    expect(typeof order.creationTime).toBe('number');
    expect(order).not.toHaveProperty('type');
    expect(order.data.find(mine)).toMatchObject({
      category: 'linear',
      symbol: 'BTCUSDT',
      orderLinkId: 'bapi-ws-1',
      side: 'Buy',
      orderType: 'Market',
      qty: '0.001',
      cumExecQty: '0.001',
      leavesQty: '0.000',
    });

    const exec = await updates.waitFor(isPrivate('execution', mine), 'execution');
    const fill = exec.data.find(mine);
    expect(fill).toMatchObject({
      category: 'linear',
      symbol: 'BTCUSDT',
      execType: 'Trade',
      execQty: '0.001',
    });
    expect(fill.isMaker).toBe(false);
    const restFills = await rest.getExecutionList({ category: 'linear', symbol: 'BTCUSDT', orderId });
    expect(restFills.result.list.map((f) => [f.execId, f.execPrice, f.execFee])).toEqual([
      [fill.execId, fill.execPrice, fill.execFee],
    ]);

    const pos = await updates.waitFor(
      isPrivate('position', (r) => r.symbol === 'BTCUSDT'),
      'position',
    );
    const p = pos.data.find((r: Event) => r.symbol === 'BTCUSDT');
    expect(p).toMatchObject({ category: 'linear', side: 'Buy', size: '0.001', positionIdx: 0 });
    // The position stream names the entry price entryPrice (REST: avgPrice).
    const restPos = await rest.getPositionInfo({ category: 'linear', symbol: 'BTCUSDT' });
    expect(restPos.result.list[0]).toMatchObject({ size: p.size, side: p.side, avgPrice: p.entryPrice });

    const wallet = await updates.waitFor(
      isPrivate('wallet', (r) => r.accountType === 'UNIFIED'),
      'wallet',
    );
    const usdt = wallet.data[0].coin.find((c: Event) => c.coin === 'USDT');
    const restWallet = await rest.getWalletBalance({ accountType: 'UNIFIED', coin: 'USDT' });
    expect(restWallet.result.list[0]!.coin[0]!.walletBalance).toBe(usdt.walletBalance);
  });

  it('spot order and execution rows carry category spot', async () => {
    const placed = await rest.submitOrder({
      category: 'spot',
      symbol: 'BTCUSDT',
      side: 'Buy',
      orderType: 'Market',
      qty: '0.001',
      marketUnit: 'baseCoin',
    });
    expect(placed.retCode).toBe(0);
    const mine = (r: Event) => r.orderId === placed.result.orderId;
    const order = await updates.waitFor(
      isPrivate('order', (r) => mine(r) && r.orderStatus === 'Filled'),
      'order',
    );
    expect(order.data.find(mine)).toMatchObject({
      category: 'spot',
      symbol: 'BTCUSDT',
      cumExecQty: '0.001000',
    });
    const exec = await updates.waitFor(isPrivate('execution', mine), 'execution');
    expect(exec.data.find(mine)).toMatchObject({ category: 'spot', execType: 'Trade', feeCurrency: 'BTC' });
  });
});

// ---- heartbeats -------------------------------------------------------------------------------------

describe('bybit-api heartbeats', () => {
  it('pongs on public, private and trade connections keep every socket open', async () => {
    // A second client pinging every 150 ms (default 10 s). A private or trade socket receives
    // nothing but pongs, and a missing pong (within 1 s) makes the client close and reconnect.
    const pongs: string[] = [];
    const logger = {
      ...SILENT_BYBIT_LOGGER,
      trace: (msg: unknown, ctx?: { wsKey?: string }) => {
        if (typeof msg === 'string' && msg.startsWith('Received PONG') && ctx?.wsKey) pongs.push(ctx.wsKey);
      },
    };
    const fast = bybitApiWs(ex, {}, { pingInterval: 150 }, logger);
    const reconnects: Event[] = [];
    fast.on('reconnect', (e: Event) => reconnects.push(e));
    fast.on('exception', (e: Event) => reconnects.push(e));
    try {
      fast.subscribeV5(['tickers.BTCUSDT'], 'linear');
      await within(fast.connectPrivate()!, WAIT_MS, 'private connection');
      await within(fast.connectWSAPI(), WAIT_MS, 'trade connection');
      const count = (k: string) => pongs.filter((p) => p === k).length;
      for (const k of ['v5LinearPublic', 'v5Private', 'v5PrivateTrade']) {
        await until(() => count(k) >= 3, `3 pongs on ${k}`, WAIT_MS);
      }
      expect(reconnects).toEqual([]);
    } finally {
      fast.closeAll(true);
    }
  });
});

// ---- WS API order entry ---------------------------------------------------------------------------

describe('bybit-api WebsocketAPIClient order entry (/v5/trade)', () => {
  let api: WebsocketAPIClient;
  const apiExceptions: Event[] = [];

  beforeAll(() => {
    api = bybitApiWsApi(ex);
    api.getWSClient().on('exception', (e: Event) => apiExceptions.push(e));
  });

  afterAll(() => {
    api?.getWSClient().closeAll(true);
  });

  async function restOrder(orderId: string, category: 'linear' | 'spot' = 'linear') {
    const res = await rest.getActiveOrders({ category, symbol: 'BTCUSDT', orderId });
    expect(res.retCode).toBe(0);
    expect(res.result.list).toHaveLength(1);
    return res.result.list[0]!;
  }

  function expectReply(r: Event, op: string): void {
    expect(r).toMatchObject({ retCode: 0, retMsg: 'OK', op, wsKey: 'v5PrivateTrade' });
    expect(typeof r.reqId).toBe('string');
    expect(typeof r.connId).toBe('string');
    for (const h of ['X-Bapi-Limit', 'X-Bapi-Limit-Status', 'X-Bapi-Limit-Reset-Timestamp', 'Timenow']) {
      expect(r.header[h]).toMatch(/^\d+$/);
    }
  }

  it('submitNewOrder, amendOrder, cancelOrder: replies, REST state and the private order stream', async () => {
    const created = await within(
      api.submitNewOrder({
        category: 'linear',
        symbol: 'BTCUSDT',
        side: 'Buy',
        orderType: 'Limit',
        qty: '0.001',
        price: '40000',
        timeInForce: 'GTC',
        orderLinkId: 'bapi-wsapi-1',
      }),
      WAIT_MS,
      'order.create reply',
    );
    expectReply(created, 'order.create');
    const orderId = created.data.orderId;
    expect(orderId).toMatch(UUID);
    expect(created.data.orderLinkId).toBe('bapi-wsapi-1');
    expect(await restOrder(orderId)).toMatchObject({ orderStatus: 'New', price: '40000.0', qty: '0.001' });
    // The first client's private stream reports the order placed over the trade stream.
    await updates.waitFor(
      (e) =>
        e.topic === 'order' && e.data.some((r: Event) => r.orderId === orderId && r.orderStatus === 'New'),
      'order New on the private stream',
    );

    const amended = await within(
      api.amendOrder({ category: 'linear', symbol: 'BTCUSDT', orderId, price: '41000', qty: '0.002' }),
      WAIT_MS,
      'order.amend reply',
    );
    expectReply(amended, 'order.amend');
    expect(amended.data.orderId).toBe(orderId);
    expect(await restOrder(orderId)).toMatchObject({ orderStatus: 'New', price: '41000.0', qty: '0.002' });

    const cancelled = await within(
      api.cancelOrder({ category: 'linear', symbol: 'BTCUSDT', orderId }),
      WAIT_MS,
      'order.cancel reply',
    );
    expectReply(cancelled, 'order.cancel');
    expect(cancelled.data).toMatchObject({ orderId, orderLinkId: 'bapi-wsapi-1' });
    expect(await restOrder(orderId)).toMatchObject({ orderStatus: 'Cancelled' });
  });

  it('spot orders too (19-digit ids)', async () => {
    const created = await within(
      api.submitNewOrder({
        category: 'spot',
        symbol: 'BTCUSDT',
        side: 'Buy',
        orderType: 'Limit',
        qty: '0.001',
        price: '40000',
      }),
      WAIT_MS,
      'spot order.create reply',
    );
    expectReply(created, 'order.create');
    expect(created.data.orderId).toMatch(SPOT_ID);
    expect(await restOrder(created.data.orderId, 'spot')).toMatchObject({
      orderStatus: 'New',
      price: '40000.00',
    });
    const cancelled = await within(
      api.cancelOrder({ category: 'spot', symbol: 'BTCUSDT', orderId: created.data.orderId }),
      WAIT_MS,
      'spot order.cancel reply',
    );
    expectReply(cancelled, 'order.cancel');
    expect(await restOrder(created.data.orderId, 'spot')).toMatchObject({ orderStatus: 'Cancelled' });
  });

  it('batchSubmitOrders, batchAmendOrder, batchCancelOrder: per-item results in data.list and retExtInfo', async () => {
    const created = await within(
      api.batchSubmitOrders('linear', [
        {
          symbol: 'BTCUSDT',
          side: 'Buy',
          orderType: 'Limit',
          qty: '0.001',
          price: '40000',
          orderLinkId: 'b-1',
        },
        {
          symbol: 'BTCUSDT',
          side: 'Buy',
          orderType: 'Limit',
          qty: '0.001',
          price: '40001',
          orderLinkId: 'b-2',
        },
      ]),
      WAIT_MS,
      'order.create-batch reply',
    );
    expectReply(created, 'order.create-batch');
    expect(created.data.list.map((o) => [o.category, o.symbol, o.orderLinkId])).toEqual([
      ['linear', 'BTCUSDT', 'b-1'],
      ['linear', 'BTCUSDT', 'b-2'],
    ]);
    expect(created.retExtInfo.list).toEqual([
      { code: 0, msg: 'OK' },
      { code: 0, msg: 'OK' },
    ]);
    const ids = created.data.list.map((o) => o.orderId);
    for (const id of ids) expect(id).toMatch(UUID);
    expect((await restOrder(ids[1]!)).price).toBe('40001.0');

    const amended = await within(
      api.batchAmendOrder('linear', [
        { symbol: 'BTCUSDT', orderId: ids[0]!, price: '40100' },
        { symbol: 'BTCUSDT', orderId: ids[1]!, price: '40101' },
      ]),
      WAIT_MS,
      'order.amend-batch reply',
    );
    expectReply(amended, 'order.amend-batch');
    expect(amended.data.list.map((o) => o.orderId)).toEqual(ids);
    expect(amended.retExtInfo.list.map((e) => e.code)).toEqual([0, 0]);
    expect((await restOrder(ids[0]!)).price).toBe('40100.0');
    expect((await restOrder(ids[1]!)).price).toBe('40101.0');

    const cancelled = await within(
      api.batchCancelOrder('linear', [
        { symbol: 'BTCUSDT', orderId: ids[0]! },
        { symbol: 'BTCUSDT', orderLinkId: 'b-2' },
      ]),
      WAIT_MS,
      'order.cancel-batch reply',
    );
    expectReply(cancelled, 'order.cancel-batch');
    expect(cancelled.data.list.map((o) => o.orderId)).toEqual(ids);
    expect(cancelled.retExtInfo.list.map((e) => e.code)).toEqual([0, 0]);
    for (const id of ids) expect((await restOrder(id)).orderStatus).toBe('Cancelled');
  });

  it('a rejected order rejects the promise with the reply (retCode, op, reqId)', async () => {
    // 1000 BTC is above the scenario's maxOrderQty (100).
    const err: Event = await within(
      api
        .submitNewOrder({
          category: 'linear',
          symbol: 'BTCUSDT',
          side: 'Buy',
          orderType: 'Limit',
          qty: '1000',
          price: '40000',
        })
        .then(
          () => undefined,
          (e: unknown) => e,
        ),
      WAIT_MS,
      'order.create rejection',
    );
    expect(err).toBeDefined();
    expect(err).toMatchObject({ op: 'order.create', wsKey: 'v5PrivateTrade' });
    expect(err.retCode).not.toBe(0);
    expect(typeof err.retMsg).toBe('string');
    expect(typeof err.reqId).toBe('string');
    // bybit-api also emits the rejection as an exception event; nothing else went wrong.
    expect(apiExceptions.map((e) => e.retCode)).toEqual([err.retCode]);
  });
});

describe('bybit-api WebsocketClient', () => {
  it('emitted no exception on any stream during the run', () => {
    expect(exceptions).toEqual([]);
  });
});
