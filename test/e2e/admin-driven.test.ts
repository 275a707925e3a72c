/**
 * Real clients against a daemon driven through the admin API, on a real clock: bybit-api
 * (RestClientV5 + WebsocketClient) and ccxt.pro see an admin fill of their resting order on the
 * private order stream and over REST, and an admin price move on the ticker stream and over REST.
 *
 * The daemon runs on the wall clock because both clients sign WS auth with it; the simulator
 * ticks every 100 ms. The price-move checks pause the random walk first, so the price stays at
 * the admin's value (last trades print at the best bid or ask around it) while the clients look.
 * Every wait is bounded (EventLog.waitFor / within): a missing event fails, it never hangs.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RestClientV5 } from 'bybit-api';
import type { RunningExchange } from '../../src/runtime/start-exchange.js';
import {
  bybitApiRest,
  bybitApiWs,
  ccxtProBybit,
  EventLog,
  realClockScenarioYaml,
  within,
  wsUrls,
  type MockWebsocketClient,
} from '../support/clients.js';
import { startTestExchange } from '../support/server.js';

// Events and frames are read field by field.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Event = any;
type Pro = ReturnType<typeof ccxtProBybit>;

const LINEAR = 'BTC/USDT:USDT';
const WAIT_MS = 3000;

let ex: RunningExchange;
let rest: RestClientV5;
let ws: MockWebsocketClient;
let pro: Pro;
const updates = new EventLog<Event>();
const responses = new EventLog<Event>();
/** Every frame the ccxt.pro client handled (after ccxt handled it), to wait for subscribe acks. */
const proFrames = new EventLog<{ url: string; msg: Event }>();

beforeAll(async () => {
  ex = await startTestExchange({ scenario: { yaml: realClockScenarioYaml('100ms'), name: 'admin-driven' } });
  rest = bybitApiRest(ex);
  ws = bybitApiWs(ex);
  ws.on('update', (e: Event) => updates.push(e));
  ws.on('response', (e: Event) => responses.push(e));
  ws.on('authenticated', (e: Event) => responses.push(e));
  pro = ccxtProBybit(ex);
  const handle = pro.handleMessage.bind(pro);
  pro.handleMessage = (c: Parameters<Pro['handleMessage']>[0], msg: Parameters<Pro['handleMessage']>[1]) => {
    try {
      return handle(c, msg);
    } finally {
      proFrames.push({ url: c.url, msg });
    }
  };
  await pro.loadMarkets();
});

afterAll(async () => {
  ws?.closeAll(true);
  await pro?.close();
  await ex?.close();
});

async function admin(path: string, body: unknown = {}): Promise<Event> {
  const res = await fetch(ex.adminUrl + path, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify(body),
  });
  const json = (await res.json()) as Event;
  expect(res.status, `${path}: ${JSON.stringify(json)}`).toBe(200);
  return json;
}

/** Pauses the market, moves the price, runs `fn`, and resumes whatever happens. */
async function atPrice(price: string, fn: () => Promise<void>): Promise<void> {
  await admin('/market/pause');
  try {
    await admin('/market/linear/BTCUSDT/price', { price });
    await fn();
  } finally {
    await admin('/market/resume');
  }
}

const near = (value: unknown, target: number, tolerance: number) =>
  Math.abs(Number(value) - target) <= tolerance;

describe('bybit-api', () => {
  const isPrivate = (topic: string, pred: (row: Event) => boolean) => (e: Event) =>
    e.wsKey === 'v5Private' && e.topic === topic && e.data.some(pred);

  beforeAll(async () => {
    ws.subscribeV5(['order', 'execution'], 'linear');
    const ack = await responses.waitFor(
      (r) => r.wsKey === 'v5Private' && r.op === 'subscribe' && r.req_id === 'order,execution',
      'private subscribe ack',
    );
    expect(ack.success).toBe(true);
  });

  it('sees an admin fill of its resting order, part then rest, on the order stream and over REST', async () => {
    const placed = await rest.submitOrder({
      category: 'linear',
      symbol: 'BTCUSDT',
      side: 'Buy',
      orderType: 'Limit',
      qty: '0.010',
      price: '40000',
      orderLinkId: 'bapi-admin-1',
    });
    expect(placed.retCode).toBe(0);
    const orderId = placed.result.orderId;
    const mine = (status: string) => (r: Event) => r.orderId === orderId && r.orderStatus === status;
    await updates.waitFor(isPrivate('order', mine('New')), 'order New');

    const from = updates.mark;
    await admin(`/orders/${orderId}/fill`, { qty: '0.004' });
    const part = await updates.waitFor(
      isPrivate('order', mine('PartiallyFilled')),
      'PartiallyFilled',
      WAIT_MS,
      from,
    );
    expect(part.data.find(mine('PartiallyFilled'))).toMatchObject({
      orderLinkId: 'bapi-admin-1',
      cumExecQty: '0.004',
      leavesQty: '0.006',
    });
    const exec = await updates.waitFor(
      isPrivate('execution', (r) => r.orderId === orderId),
      'execution',
      WAIT_MS,
      from,
    );
    expect(exec.data.find((r: Event) => r.orderId === orderId)).toMatchObject({
      execQty: '0.004',
      execPrice: '40000.0',
      isMaker: true,
    });
    const active = await rest.getActiveOrders({ category: 'linear', symbol: 'BTCUSDT', orderId });
    expect(active.result.list[0]).toMatchObject({ orderStatus: 'PartiallyFilled', cumExecQty: '0.004' });

    await admin('/orders/bapi-admin-1/fill');
    await updates.waitFor(isPrivate('order', mine('Filled')), 'Filled', WAIT_MS, from);
    const done = await rest.getActiveOrders({ category: 'linear', symbol: 'BTCUSDT', orderId });
    expect(done.result.list[0]).toMatchObject({
      orderStatus: 'Filled',
      cumExecQty: '0.010',
      leavesQty: '0.000',
    });
    const fills = await rest.getExecutionList({ category: 'linear', symbol: 'BTCUSDT', orderId });
    expect(fills.result.list.map((f) => [f.execQty, f.isMaker])).toEqual([
      ['0.006', true],
      ['0.004', true],
    ]);
    const pos = await rest.getPositionInfo({ category: 'linear', symbol: 'BTCUSDT' });
    expect(pos.result.list[0]).toMatchObject({ side: 'Buy', size: '0.010', avgPrice: '40000' });
  });

  it('reconnects, re-authenticates and resubscribes after the admin terminates its private socket', async () => {
    const from = responses.mark;
    const closed = await admin('/connections/close', { stream: 'private', mode: 'terminate' });
    expect(closed.closed.length).toBeGreaterThan(0);
    const again = await responses.waitFor(
      (r) => r.wsKey === 'v5Private' && r.op === 'subscribe' && r.success === true,
      'resubscribe ack after the terminate',
      8000,
      from,
    );
    expect(again.success).toBe(true);
    const seen = updates.mark;
    const placed = await rest.submitOrder({
      category: 'linear',
      symbol: 'BTCUSDT',
      side: 'Buy',
      orderType: 'Limit',
      qty: '0.001',
      price: '40000',
      orderLinkId: 'bapi-after-drop',
    });
    expect(placed.retCode).toBe(0);
    await updates.waitFor(
      isPrivate('order', (r) => r.orderId === placed.result.orderId),
      'an order frame on the new connection',
      3000,
      seen,
    );
    await rest.cancelOrder({ category: 'linear', symbol: 'BTCUSDT', orderId: placed.result.orderId });
  });

  it('sees an admin price move on the ticker stream and over REST', async () => {
    ws.subscribeV5(['tickers.BTCUSDT'], 'linear');
    const ack = await responses.waitFor(
      (r) => r.wsKey === 'v5LinearPublic' && r.op === 'subscribe' && r.req_id === 'tickers.BTCUSDT',
      'ticker subscribe ack',
    );
    expect(ack.success).toBe(true);
    await atPrice('61000', async () => {
      const from = updates.mark;
      const t = await updates.waitFor(
        (e) =>
          e.topic === 'tickers.BTCUSDT' &&
          e.data.lastPrice !== undefined &&
          near(e.data.lastPrice, 61000, 0.15),
        'ticker at 61000',
        WAIT_MS,
        from,
      );
      expect(t.wsKey).toBe('v5LinearPublic');
      const r = await rest.getTickers({ category: 'linear', symbol: 'BTCUSDT' });
      const row = r.result.list[0]!;
      expect(near(row.lastPrice, 61000, 0.15)).toBe(true);
      expect(near(row.bid1Price, 61000, 0.15)).toBe(true);
      expect(near(row.markPrice, 61000, 61000 * 0.001)).toBe(true);
      const spot = await rest.getTickers({ category: 'spot', symbol: 'BTCUSDT' });
      expect(near(spot.result.list[0]!.lastPrice, 61000, 0.015)).toBe(true);
    });
  });
});

describe('ccxt.pro', () => {
  it('watchOrders sees an admin fill of its resting order; fetchOrder and fetchMyTrades agree', async () => {
    const urls = wsUrls(ex);
    const from = proFrames.mark;
    const first = pro.watchOrders(LINEAR);
    await proFrames.waitFor(
      (f) => f.url === urls.private && f.msg.op === 'subscribe' && f.msg.success === true,
      'order subscribe ack',
      WAIT_MS,
      from,
    );
    const created = await pro.createOrder(LINEAR, 'limit', 'buy', 0.002, 40000, {
      clientOrderId: 'ccxt-admin-1',
    });
    const opened = await within(first, WAIT_MS, 'order New');
    expect(opened.find((o) => o.id === created.id)).toMatchObject({ status: 'open', filled: 0 });

    // The order frame can arrive before the admin reply: the watch is pending before the fill.
    const next = pro.watchOrders(LINEAR);
    await admin('/orders/ccxt-admin-1/fill');
    const o = (await within(next, WAIT_MS, 'order Filled')).find((x) => x.id === created.id);
    expect(o).toMatchObject({ status: 'closed', filled: 0.002, remaining: 0, average: 40000 });

    const fetched = await pro.fetchOrder(created.id!, LINEAR, { acknowledged: true });
    expect(fetched).toMatchObject({ status: 'closed', filled: 0.002, clientOrderId: 'ccxt-admin-1' });
    const trades = await pro.fetchMyTrades(LINEAR);
    expect(trades.filter((t) => t.order === created.id)).toEqual([
      expect.objectContaining({ price: 40000, amount: 0.002, takerOrMaker: 'maker' }),
    ]);
  });

  it('after the admin drops its public socket, the next watchTicker reconnects and streams', async () => {
    await within(pro.watchTicker(LINEAR), WAIT_MS, 'ticker before the drop');
    const pending = pro.watchTicker(LINEAR).catch((e: unknown) => e);
    const closed = await admin('/connections/close', { stream: 'linear', mode: 'terminate' });
    expect(closed.closed.length).toBeGreaterThan(0);
    await within(pending, WAIT_MS, 'the watch pending during the drop settles');
    // The pending watch may have settled with a ticker that arrived just before the drop; then
    // the next call can still meet the dropped socket and reject with ccxt's NetworkError. Bots
    // call watch again on that error, and the call after it reconnects.
    let t: { last?: unknown } | undefined;
    for (let attempt = 0; attempt < 2 && t === undefined; attempt++) {
      try {
        t = await within(pro.watchTicker(LINEAR), 5000, 'ticker after reconnecting');
      } catch (e) {
        if (attempt > 0 || (e as Error).name !== 'NetworkError') throw e;
      }
    }
    expect(Number(t!.last)).toBeGreaterThan(0);
  });

  it('watchTicker and fetchTicker see an admin price move', async () => {
    // Subscribed before the move, at another price (the market is near 61000 or 50000).
    const before = await within(pro.watchTicker(LINEAR), WAIT_MS, 'ticker');
    expect(near(before.last, 45000, 1000)).toBe(false);
    await atPrice('45000', async () => {
      let t = await within(pro.watchTicker(LINEAR), WAIT_MS, 'ticker');
      for (let i = 0; i < 20 && !near(t.last, 45000, 0.15); i++)
        t = await within(pro.watchTicker(LINEAR), WAIT_MS, 'ticker at 45000');
      expect(near(t.last, 45000, 0.15)).toBe(true);
      const r = await pro.fetchTicker(LINEAR);
      expect(near(r.last, 45000, 0.15)).toBe(true);
      expect(near(r.bid, 45000, 0.15)).toBe(true);
      expect(near(r.markPrice, 45000, 45)).toBe(true);
    });
  });
});
