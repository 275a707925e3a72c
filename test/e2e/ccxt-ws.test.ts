/**
 * ccxt.pro (unmodified, real WebSockets) against the real daemon on a real clock: public streams
 * (tickers, order books checked level by level against REST, trades, candles) on linear and spot,
 * private streams (orders, executions, positions, wallet) after REST orders and after order entry
 * over /v5/trade, and the keepalive ping/pong.
 *
 * The daemon runs on the wall clock because ccxt signs WS auth (`expires`) and trade ops
 * (X-BAPI-TIMESTAMP) with it; the simulator ticks every 100 ms so the market moves within a test.
 * Every wait is bounded (`within`, `EventLog.waitFor`): a watch that never resolves fails the test.
 *
 * Test-only instrumentation: the client's `handleMessage` is wrapped to record every frame it
 * receives (after ccxt has handled it). Tests read raw fields ccxt drops (`u`, acks, pongs) from it
 * and wait for subscribe acks before causing private events. It changes nothing ccxt does.
 * @see ../shared/reference/client-call-patterns.md §1.1, §4, §8; ../shared/reference/bybit-v5-facts.md §8
 */
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import ccxt, { type Order, type OrderBook, type Trade } from 'ccxt';
import type { RunningExchange } from '../../src/runtime/start-exchange.js';
import { ccxtProBybit, EventLog, realClockScenarioYaml, within, wsUrls } from '../support/clients.js';
import { startTestExchange } from '../support/server.js';

type Pro = ReturnType<typeof ccxtProBybit>;
// Raw frames are read field by field.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Frame = { url: string; msg: any };

const LINEAR = 'BTC/USDT:USDT';
const SPOT = 'BTC/USDT';
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
/** Longest wait for any single stream event; the market ticks every 100 ms. */
const WAIT_MS = 3000;

let ex: RunningExchange;
let pro: Pro;
let urls: ReturnType<typeof wsUrls>;
const frames = new EventLog<Frame>();

/** Records every frame the client handles, after ccxt handled it (see the file comment). */
function tap(client: Pro, log: EventLog<Frame>): void {
  const handle = client.handleMessage.bind(client);
  client.handleMessage = (
    c: Parameters<Pro['handleMessage']>[0],
    msg: Parameters<Pro['handleMessage']>[1],
  ) => {
    try {
      return handle(c, msg);
    } finally {
      log.push({ url: c.url, msg });
    }
  };
}

beforeAll(async () => {
  ex = await startTestExchange({ scenario: { yaml: realClockScenarioYaml('100ms') } });
  urls = wsUrls(ex);
  pro = ccxtProBybit(ex);
  tap(pro, frames);
  await pro.loadMarkets();
});

afterAll(async () => {
  await pro?.close();
  await ex?.close();
});

function prices(side: OrderBook['bids']): number[] {
  return side.map(([p]) => p!);
}

function isSorted(xs: number[], dir: 'asc' | 'desc'): boolean {
  return xs.every((x, i) => i === 0 || (dir === 'asc' ? x > xs[i - 1]! : x < xs[i - 1]!));
}

/** Waits for the next `n` successful subscribe acks on the private stream after `from`. */
async function privateAcks(from: number, n: number): Promise<void> {
  await frames.waitFor(
    () =>
      frames.entries
        .slice(from)
        .filter((f) => f.url === urls.private && f.msg.op === 'subscribe' && f.msg.success === true).length >=
      n,
    `${n} subscribe ack(s) on /v5/private`,
    WAIT_MS,
    from,
  );
}

// ---- public ---------------------------------------------------------------------------------------

describe('ccxt.pro public streams', () => {
  it('watchTicker on linear: a contract ticker with book, mark and index prices, close to REST', async () => {
    const t = await within(pro.watchTicker(LINEAR), WAIT_MS, 'linear ticker');
    expect(t.symbol).toBe(LINEAR);
    expect(t.last).toBeGreaterThan(0);
    expect(t.bid).toBeGreaterThan(0);
    expect(t.ask).toBeGreaterThan(t.bid!);
    expect(t.markPrice).toBeGreaterThan(0);
    expect(t.indexPrice).toBeGreaterThan(0);
    expect(t.timestamp).toBeGreaterThan(0);
    // ccxt recognises a contract ticker by openInterestValue (client-call-patterns §4.5).
    expect(t.info).toHaveProperty('openInterestValue');

    // Deltas merge into the snapshot: the next update is still a complete ticker.
    const next = await within(pro.watchTicker(LINEAR), WAIT_MS, 'linear ticker update');
    expect(next.timestamp).toBeGreaterThanOrEqual(t.timestamp!);
    expect(next.last).toBeGreaterThan(0);
    expect(next.ask).toBeGreaterThan(next.bid!);
    const raw = frames.entries.filter((f) => f.url === urls.linear && f.msg.topic === 'tickers.BTCUSDT');
    expect(raw[0]!.msg.type).toBe('snapshot');
    expect(raw.slice(1).every((f) => f.msg.type === 'delta')).toBe(true);

    const rest = await pro.fetchTicker(LINEAR);
    expect(Math.abs(rest.last! / next.last! - 1)).toBeLessThan(0.01);
  });

  it('watchTicker on spot: a spot ticker (usdIndexPrice, no open interest, no book)', async () => {
    const t = await within(pro.watchTicker(SPOT), WAIT_MS, 'spot ticker');
    expect(t.symbol).toBe(SPOT);
    expect(t.last).toBeGreaterThan(0);
    expect(t.high).toBeGreaterThanOrEqual(t.low!);
    expect(t.info).toHaveProperty('usdIndexPrice');
    expect(t.info).not.toHaveProperty('openInterestValue');
    // Bybit's spot WS ticker carries no best bid/ask (facts §8.6).
    expect(t.bid).toBeUndefined();
    const rest = await pro.fetchTicker(SPOT);
    expect(Math.abs(rest.last! / t.last! - 1)).toBeLessThan(0.01);
  });

  /**
   * The book ccxt maintains from snapshot + deltas, compared level by level with the REST book of
   * the same version: REST `u` (read through ccxt's raw endpoint) against the `u` of the last
   * book frame ccxt applied. Retries when the market moved between the two reads.
   */
  async function bookMatchesRest(symbol: string, category: 'linear' | 'spot', url: string): Promise<void> {
    const topic = 'orderbook.50.BTCUSDT';
    const isBook = (f: Frame) => f.url === url && f.msg.topic === topic;
    let book: OrderBook = await within(pro.watchOrderBook(symbol), WAIT_MS, `${category} order book`);
    for (let attempt = 1; ; attempt++) {
      const rest = await pro.publicGetV5MarketOrderbook({ category, symbol: 'BTCUSDT', limit: 50 });
      const r = rest.result as { b: [string, string][]; a: [string, string][]; u: number };
      let lastU = [...frames.entries].reverse().find(isBook)!.msg.data.u as number;
      if (lastU < r.u) {
        const from = frames.mark;
        await frames.waitFor((f) => isBook(f) && f.msg.data.u >= r.u, `book u >= ${r.u}`, WAIT_MS, from);
        lastU = [...frames.entries].reverse().find(isBook)!.msg.data.u as number;
        book = pro.orderbooks[symbol]!;
      }
      if (lastU === r.u) {
        const toNum = (levels: [string, string][]) => levels.map(([p, q]) => [Number(p), Number(q)]);
        // The whole book, not a prefix: levels leaving the 50-level window must have been deleted.
        expect(book.bids.map(([p, q]) => [p, q])).toEqual(toNum(r.b));
        expect(book.asks.map(([p, q]) => [p, q])).toEqual(toNum(r.a));
        return;
      }
      if (attempt >= 10)
        throw new Error(`no REST read matched the WS book version (last ${lastU} vs ${r.u})`);
      book = await within(pro.watchOrderBook(symbol), WAIT_MS, `${category} order book update`);
    }
  }

  async function checkBook(symbol: string, category: 'linear' | 'spot', url: string): Promise<void> {
    const from = frames.mark;
    const book = await within(pro.watchOrderBook(symbol), WAIT_MS, `${category} order book`);
    expect(book.symbol).toBe(symbol);
    const bids = prices(book.bids);
    const asks = prices(book.asks);
    expect(bids.length).toBeGreaterThan(0);
    expect(bids.length).toBeLessThanOrEqual(50);
    expect(asks.length).toBeGreaterThan(0);
    expect(asks.length).toBeLessThanOrEqual(50);
    expect(isSorted(bids, 'desc')).toBe(true);
    expect(isSorted(asks, 'asc')).toBe(true);
    expect(bids[0]).toBeLessThan(asks[0]!);
    expect(book.bids.every(([, q]) => q! > 0) && book.asks.every(([, q]) => q! > 0)).toBe(true);

    // A few updates later the book is still consistent.
    for (let i = 0; i < 3; i++) {
      const b = await within(pro.watchOrderBook(symbol), WAIT_MS, `${category} order book update ${i}`);
      expect(b.bids[0]![0]).toBeLessThan(b.asks[0]![0]!);
      expect(isSorted(prices(b.bids), 'desc')).toBe(true);
      expect(isSorted(prices(b.asks), 'asc')).toBe(true);
    }

    // ccxt keeps no nonce for Bybit books, so `u` is read from the frames it received: a snapshot
    // first, then each delta exactly one version on (a snapshot may replace the book at any time).
    const raw = frames.entries
      .slice(from)
      .filter((f) => f.url === url && f.msg.topic === 'orderbook.50.BTCUSDT');
    expect(raw[0]!.msg.type).toBe('snapshot');
    expect(raw.length).toBeGreaterThanOrEqual(4);
    for (let i = 1; i < raw.length; i++) {
      const { type, data } = raw[i]!.msg;
      if (type === 'delta') expect(data.u).toBe(raw[i - 1]!.msg.data.u + 1);
      else expect(data.u).toBeGreaterThan(raw[i - 1]!.msg.data.u);
      expect(data.s).toBe('BTCUSDT');
    }

    // REST at roughly the same moment: the same best prices within a few ticks...
    const rest = await pro.fetchOrderBook(symbol, 50);
    const live = pro.orderbooks[symbol]!;
    expect(Math.abs(rest.bids[0]![0]! / live.bids[0]![0]! - 1)).toBeLessThan(0.002);
    expect(Math.abs(rest.asks[0]![0]! / live.asks[0]![0]! - 1)).toBeLessThan(0.002);
    // ...and, at the same book version, exactly the same levels.
    await bookMatchesRest(symbol, category, url);
  }

  it('watchOrderBook on linear: sorted, uncrossed, contiguous u, equal to REST at the same u', async () => {
    await checkBook(LINEAR, 'linear', urls.linear);
  });

  it('watchOrderBook on spot: sorted, uncrossed, contiguous u, equal to REST at the same u', async () => {
    await checkBook(SPOT, 'spot', urls.spot);
  });

  async function checkTrades(symbol: string): Promise<Trade[]> {
    const trades = await within(pro.watchTrades(symbol), WAIT_MS, `${symbol} trades`);
    expect(trades.length).toBeGreaterThan(0);
    for (const t of trades) {
      expect(t.symbol).toBe(symbol);
      expect(t.id).toBeTruthy();
      expect(['buy', 'sell']).toContain(t.side);
      expect(t.price).toBeGreaterThan(0);
      expect(t.amount).toBeGreaterThan(0);
      expect(t.cost).toBeCloseTo(t.price! * t.amount!, 6);
      expect(Math.abs(t.timestamp! - Date.now())).toBeLessThan(5_000);
    }
    const times = trades.map((t) => t.timestamp!);
    expect(times).toEqual([...times].sort((a, b) => a - b));
    expect(new Set(trades.map((t) => t.id)).size).toBe(trades.length);
    const ticker = await pro.fetchTicker(symbol);
    expect(Math.abs(trades.at(-1)!.price! / ticker.last! - 1)).toBeLessThan(0.01);
    return trades;
  }

  it('watchTrades on linear and spot: public prints with side, price, size, time', async () => {
    const linear = await checkTrades(LINEAR);
    // Perpetual prints carry the tick direction, spot prints do not (facts §8.6).
    expect(linear[0]!.info).toHaveProperty('L');
    const spot = await checkTrades(SPOT);
    expect(spot[0]!.info).not.toHaveProperty('L');
  });

  it('watchOHLCV (1m) on linear and spot: the open candle of the current minute', async () => {
    for (const symbol of [LINEAR, SPOT]) {
      const candles = await within(pro.watchOHLCV(symbol, '1m'), WAIT_MS, `${symbol} 1m candles`);
      expect(candles.length).toBeGreaterThan(0);
      for (const [ts, o, h, l, c, v] of candles) {
        expect(ts! % 60_000).toBe(0);
        expect(l).toBeLessThanOrEqual(Math.min(o!, c!));
        expect(h).toBeGreaterThanOrEqual(Math.max(o!, c!));
        expect(v).toBeGreaterThanOrEqual(0);
      }
      const last = candles.at(-1)!;
      const now = ex.clock.now();
      expect(last[0]).toBeGreaterThan(now - 120_000);
      expect(last[0]).toBeLessThanOrEqual(now);
    }
  });
});

// ---- private --------------------------------------------------------------------------------------

/** The cached order `id` once `pred` holds, watching order updates until then. */
async function orderUntil(id: string, pred: (o: Order) => boolean, what: string): Promise<Order> {
  const deadline = Date.now() + WAIT_MS;
  for (;;) {
    const cache = (pro.orders ?? []) as Order[];
    const o = cache.find((x) => x.id === id);
    if (o && pred(o)) return o;
    const left = deadline - Date.now();
    if (left <= 0) throw new Error(`order ${id} never reached: ${what} (last: ${JSON.stringify(o?.info)})`);
    await within(pro.watchOrders(LINEAR), left, `order update (${what})`);
  }
}

describe('ccxt.pro private streams', () => {
  it('watchOrders and watchMyTrades see a REST market order fill', async () => {
    const from = frames.mark;
    const orders = pro.watchOrders(LINEAR);
    const trades = pro.watchMyTrades(LINEAR);
    // Auth first, then one subscribe each (order, execution); wait for both acks before trading.
    await privateAcks(from, 2);
    const auth = frames.find((f) => f.url === urls.private && f.msg.op === 'auth', from);
    expect(auth?.msg.success).toBe(true);

    const created = await pro.createOrder(LINEAR, 'market', 'buy', 0.001);
    expect(created.id).toMatch(UUID);

    const os = await within(orders, WAIT_MS, 'order update');
    const o = os.find((x) => x.id === created.id)!;
    expect(o).toMatchObject({ symbol: LINEAR, type: 'market', side: 'buy', amount: 0.001, filled: 0.001 });
    expect(o.remaining).toBe(0);
    expect(o.status).toBe('closed');
    expect(o.average).toBeGreaterThan(0);
    // ccxt tells contract orders by the tpslMode key (client-call-patterns §4.5).
    expect(o.info).toHaveProperty('tpslMode');

    const ts = await within(trades, WAIT_MS, 'execution');
    const t = ts.find((x) => x.order === created.id)!;
    expect(t).toMatchObject({ symbol: LINEAR, side: 'buy', amount: 0.001, takerOrMaker: 'taker' });
    expect(t.price).toBe(o.average);
    expect(t.fee?.currency).toBe('USDT');
    expect(t.fee!.cost).toBeGreaterThan(0);

    // The same fill over REST.
    const rest = await pro.fetchMyTrades(LINEAR);
    expect(rest.find((x) => x.id === t.id)).toMatchObject({
      order: created.id,
      price: t.price,
      amount: 0.001,
    });
  });

  it('createOrderWs / editOrderWs / cancelOrderWs over /v5/trade, echoed on the order stream', async () => {
    const created = await within(
      pro.createOrderWs(LINEAR, 'limit', 'buy', 0.001, 40_000, { clientOrderId: 'ccxt-ws-1' }),
      WAIT_MS,
      'order.create reply',
    );
    expect(created.id).toMatch(UUID);
    const id = created.id!;
    expect(created.clientOrderId).toBe('ccxt-ws-1');
    const reply = frames.find((f) => f.url === urls.trade && f.msg.op === 'order.create');
    expect(reply?.msg).toMatchObject({ retCode: 0, retMsg: 'OK', data: { orderId: created.id } });
    expect(typeof reply?.msg.reqId).toBe('string');

    const open = await orderUntil(id, (o) => o.status === 'open', 'open');
    expect(open).toMatchObject({ symbol: LINEAR, type: 'limit', side: 'buy', price: 40_000, amount: 0.001 });
    expect(open.clientOrderId).toBe('ccxt-ws-1');

    const edited = await within(
      pro.editOrderWs(id, LINEAR, 'limit', 'buy', 0.002, 41_000),
      WAIT_MS,
      'order.amend reply',
    );
    expect(edited.id).toBe(id);
    await orderUntil(id, (o) => o.price === 41_000 && o.amount === 0.002, 'amended');

    const canceled = await within(pro.cancelOrderWs(id, LINEAR), WAIT_MS, 'order.cancel reply');
    expect(canceled.id).toBe(id);
    await orderUntil(id, (o) => o.status === 'canceled', 'canceled');

    // REST agrees.
    const restOpen = await pro.fetchOpenOrders(LINEAR);
    expect(restOpen.map((o) => o.id)).not.toContain(id);
  });

  it('createOrderWs: a rejected order rejects the call with the reply retCode', async () => {
    // 1000 BTC is above the scenario's maxOrderQty (100).
    const err = await within(
      pro.createOrderWs(LINEAR, 'limit', 'buy', 1000, 40_000).then(
        () => undefined,
        (e: unknown) => e,
      ),
      WAIT_MS,
      'order.create rejection',
    );
    expect(err).toBeInstanceOf(ccxt.ExchangeError);
    const reply = [...frames.entries]
      .reverse()
      .find((f) => f.url === urls.trade && f.msg.op === 'order.create');
    expect(reply?.msg.retCode).not.toBe(0);
    expect(String((err as Error).message)).toContain(String(reply?.msg.retMsg));
  });

  it('watchPositions: a REST snapshot first, then position updates after a fill', async () => {
    // First call: no subscription, ccxt returns the REST snapshot (client-call-patterns §4.2).
    const snapshot = await within(pro.watchPositions(), WAIT_MS, 'position snapshot');
    const long = snapshot.find((p) => p.symbol === LINEAR)!;
    expect(long).toMatchObject({ side: 'long', contracts: 0.001 });
    expect(long.entryPrice).toBeGreaterThan(0);

    // Second call subscribes `position`; wait for the ack, then add to the position.
    const from = frames.mark;
    const update = pro.watchPositions();
    await privateAcks(from, 1);
    await pro.createOrder(LINEAR, 'market', 'buy', 0.001);
    const positions = await within(update, WAIT_MS, 'position update');
    const p = positions.find((x) => x.symbol === LINEAR)!;
    expect(p).toMatchObject({ side: 'long', contracts: 0.002 });
    expect(p.entryPrice).toBeGreaterThan(0);
    expect(p.leverage).toBe(10);
    // The position stream names the entry price entryPrice (REST: avgPrice, facts §8.7).
    expect(p.info).toHaveProperty('entryPrice');

    const [rest] = await pro.fetchPositions([LINEAR]);
    expect(rest).toMatchObject({ side: 'long', contracts: 0.002, entryPrice: p.entryPrice });
  });

  it('watchBalance: the unified wallet after a spot fill, matching REST', async () => {
    const before = await pro.fetchBalance();
    const from = frames.mark;
    const update = pro.watchBalance();
    await privateAcks(from, 1);
    const buy = await pro.createOrder(SPOT, 'market', 'buy', 0.001);
    expect(buy.id).toBeTruthy();
    const b = await within(update, WAIT_MS, 'wallet update');
    // ccxt waits on `balances:unified`, so this resolving means data[0].accountType was UNIFIED.
    const btc = b['BTC']!;
    // 0.001 BTC bought, the spot taker fee (0.1 %) paid in BTC.
    expect(btc.total).toBeCloseTo(before['BTC']!.total! + 0.001 - 0.000001, 9);
    expect(b['USDT']!.total).toBeLessThan(before['USDT']!.total!);
    const after = await pro.fetchBalance();
    expect(after['BTC']!.total).toBeCloseTo(btc.total!, 9);
  });

  it('watchOrders for a second symbol on the same private connection (ccxt re-subscribes `order`)', async () => {
    // A watch on another symbol makes ccxt send `subscribe order` again; Bybit acknowledges it.
    const spotOrders = pro.watchOrders(SPOT);
    const linearOrders = pro.watchOrders(LINEAR);
    const created = await pro.createOrder(SPOT, 'limit', 'buy', 0.001, 1000);
    const os = await within(spotOrders, WAIT_MS, 'spot order update');
    expect(os.find((x) => x.id === created.id)).toMatchObject({ symbol: SPOT, status: 'open' });
    const lin = await pro.createOrder(LINEAR, 'limit', 'buy', 0.001, 40_000);
    const ls = await within(linearOrders, WAIT_MS, 'linear order update');
    expect(ls.find((x) => x.id === lin.id)).toMatchObject({ symbol: LINEAR, status: 'open' });
    await pro.cancelOrder(created.id!, SPOT);
    await pro.cancelOrder(lin.id!, LINEAR);
  });
});

// ---- heartbeats -------------------------------------------------------------------------------------

describe('ccxt.pro keepalive', () => {
  it('answers ccxt pings on public, private and trade connections with pongs it accepts', async () => {
    // A second client pinging every 150 ms (ccxt's default is 18 s); two missed pongs would fail
    // its pending watches with RequestTimeout and close the socket.
    const fast = ccxtProBybit(ex);
    const log = new EventLog<Frame>();
    tap(fast, log);
    fast.streaming = { ...fast.streaming, keepAlive: 150 };
    try {
      await fast.loadMarkets();
      await within(fast.watchTicker(LINEAR), WAIT_MS, 'ticker');
      // A private watch that stays pending (no wallet changes): only pongs arrive on its socket.
      let failed: unknown;
      fast.watchBalance().catch((e: unknown) => (failed = e));
      await within(fast.createOrderWs(LINEAR, 'limit', 'buy', 0.001, 40_000), WAIT_MS, 'order.create');
      const pongs = (url: string) =>
        log.entries.filter((f) => f.url === url && (f.msg.ret_msg === 'pong' || f.msg.op === 'pong')).length;
      for (const url of [urls.linear, urls.private, urls.trade]) {
        await log.waitFor(() => pongs(url) >= 3, `3 pongs on ${url}`, WAIT_MS);
      }
      expect(failed).toBeUndefined();
      for (const url of [urls.linear, urls.private, urls.trade]) {
        const c = fast.clients[url] as unknown as { isConnected: boolean; lastPong: number };
        expect(c.isConnected).toBe(true);
        expect(Date.now() - c.lastPong).toBeLessThan(1000);
      }
      await fast.cancelAllOrders(LINEAR);
    } finally {
      await fast.close();
    }
  });
});
