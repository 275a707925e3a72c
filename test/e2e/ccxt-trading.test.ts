/**
 * ccxt (unmodified, real HTTP) trading against the real daemon on a manual clock: orders on linear
 * and spot, amend, cancel, order lists, fills (taker at once, maker when the clock moves the
 * market), positions, leverage, trades, balances and error mapping.
 * @see ../shared/reference/client-call-patterns.md §3.4-3.8, ../shared/reference/bybit-v5-facts.md §7.9-7.21
 */
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import ccxt from 'ccxt';
import type { ManualClock } from '../../src/core/clock.js';
import type { RunningExchange } from '../../src/runtime/start-exchange.js';
import { ccxtBybit, manualClockAheadYaml, MANUAL_CLOCK_RECV_WINDOW } from '../support/clients.js';
import { manualScenarioYaml, startTestExchange } from '../support/server.js';

type Bybit = ReturnType<typeof ccxtBybit>;
type Order = Awaited<ReturnType<Bybit['fetchOrder']>>;

const LINEAR = 'BTC/USDT:USDT';
const SPOT = 'BTC/USDT';
/** The scenario's default leverage for linear symbols (facts §7.17: flat rows report it too). */
const DEFAULT_LEVERAGE = 10;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const SPOT_ID = /^\d{19}$/;

let ex: RunningExchange;
let client: Bybit;
/**
 * The account's fee rates as the mock reports them (GET /v5/account/fee-rate). ccxt's market
 * maker/taker are its own defaults: Bybit's instruments-info carries no fee rates.
 */
const fees: Record<string, { maker: number; taker: number }> = {};

beforeAll(async () => {
  ex = await startTestExchange({ scenario: { yaml: manualClockAheadYaml(manualScenarioYaml()) } });
  client = ccxtBybit(ex, { recvWindow: MANUAL_CLOCK_RECV_WINDOW });
  await client.loadMarkets();
  for (const symbol of [LINEAR, SPOT]) {
    const f = await client.fetchTradingFee(symbol);
    fees[symbol] = { maker: f.maker!, taker: f.taker! };
  }
});

afterAll(async () => {
  await ex?.close();
});

function advance(ms: number): void {
  (ex.clock as ManualClock).advance(ms);
}

interface CoinBalance {
  free: number;
  used: number;
  total: number;
}

async function balanceOf(code: string): Promise<CoinBalance> {
  const b = await client.fetchBalance();
  const c = b[code] as unknown as CoinBalance;
  expect(c.free + c.used).toBeCloseTo(c.total, 8);
  return c;
}

async function best(symbol: string): Promise<{ bid: number; ask: number }> {
  const book = await client.fetchOrderBook(symbol, 1);
  return { bid: book.bids[0]![0]!, ask: book.asks[0]![0]! };
}

const ack = { acknowledged: true };

/** ccxt types order ids as possibly undefined; every order here has one. */
function idOf(o: { id?: string | undefined }): string {
  expect(typeof o.id).toBe('string');
  return o.id!;
}

async function fetchOrder(id: string, symbol: string): Promise<Order> {
  return client.fetchOrder(id, symbol, ack);
}

/** Advances the manual clock a second at a time until the order leaves the book (or 2 minutes). */
async function advanceUntilClosed(id: string, symbol: string): Promise<Order> {
  let o = await fetchOrder(id, symbol);
  for (let i = 0; i < 120 && o.status === 'open'; i++) {
    advance(1_000);
    o = await fetchOrder(id, symbol);
  }
  return o;
}

describe('ccxt bybit trading: linear orders', () => {
  let restingId = '';
  /** Price of the market buy that opened the long position. */
  let openPrice = 0;

  it('places a limit order that rests open and holds its initial margin', async () => {
    const before = await balanceOf('USDT');
    // The scenario account starts with 10000 USDT and nothing in use.
    expect(before).toMatchObject({ total: 10_000, free: 10_000, used: 0 });
    const created = await client.createOrder(LINEAR, 'limit', 'buy', 0.01, 49_000, {
      clientOrderId: 'ccxt-lin-1',
    });
    expect(created.id).toMatch(UUID);
    expect(created.clientOrderId).toBe('ccxt-lin-1');
    expect(created.symbol).toBe(LINEAR);
    restingId = idOf(created);

    const open = await client.fetchOpenOrders(LINEAR);
    expect(open.map((o) => o.id)).toEqual([restingId]);
    const o = open[0]!;
    expect(o).toMatchObject({
      symbol: LINEAR,
      clientOrderId: 'ccxt-lin-1',
      type: 'limit',
      side: 'buy',
      status: 'open',
      timeInForce: 'GTC',
      postOnly: false,
      reduceOnly: false,
      price: 49_000,
      amount: 0.01,
      filled: 0,
      remaining: 0.01,
      cost: 0,
    });
    // Times are the daemon's simulated clock.
    expect(o.timestamp).toBe(ex.clock.now());
    // ccxt tells contract orders from spot ones by the tpslMode key (client-call-patterns §3.5).
    expect(o.info).toHaveProperty('tpslMode');

    // Order margin: value / leverage plus the taker fee on the value (held, not spent).
    const value = 0.01 * 49_000;
    const taker = fees[LINEAR]!.taker;
    const after = await balanceOf('USDT');
    expect(after.total).toBeCloseTo(before.total, 8);
    expect(after.used - before.used).toBeCloseTo(value / DEFAULT_LEVERAGE + value * taker, 6);
  });

  it('reads one order with fetchOrder only when acknowledged (UTA)', async () => {
    // On a unified account ccxt refuses fetchOrder client-side without the flag (§3.5).
    await expect(client.fetchOrder(restingId, LINEAR)).rejects.toBeInstanceOf(ccxt.ArgumentsRequired);
    const o = await fetchOrder(restingId, LINEAR);
    expect(o).toMatchObject({ id: restingId, status: 'open', price: 49_000, amount: 0.01, remaining: 0.01 });
  });

  it('amends price and quantity with editOrder', async () => {
    const edited = await client.editOrder(restingId, LINEAR, 'limit', 'buy', 0.02, 49_500);
    expect(edited.id).toBe(restingId);
    const o = await fetchOrder(restingId, LINEAR);
    expect(o).toMatchObject({ status: 'open', price: 49_500, amount: 0.02, filled: 0, remaining: 0.02 });
  });

  it('cancels the order, lists it among canceled orders and releases its margin', async () => {
    const canceled = await client.cancelOrder(restingId, LINEAR);
    expect(canceled.id).toBe(restingId);
    const o = await fetchOrder(restingId, LINEAR);
    expect(o).toMatchObject({ status: 'canceled', filled: 0, amount: 0.02 });
    expect((o.info as Record<string, unknown>)['cancelType']).toBe('CancelByUser');

    const listed = await client.fetchCanceledOrders(LINEAR);
    expect(listed.map((x) => x.id)).toContain(restingId);
    expect(listed.every((x) => x.status === 'canceled')).toBe(true);
    expect(await client.fetchOpenOrders(LINEAR)).toEqual([]);
    expect((await balanceOf('USDT')).used).toBe(0);
  });

  it('maps a cancel of an unknown or closed order to OrderNotFound', async () => {
    await expect(client.cancelOrder(restingId, LINEAR)).rejects.toBeInstanceOf(ccxt.OrderNotFound);
    const unknown = client.cancelOrder('00000000-0000-4000-8000-000000000000', LINEAR);
    await expect(unknown).rejects.toBeInstanceOf(ccxt.OrderNotFound);
    await expect(unknown).rejects.toThrow(/110001/);
  });

  it('maps an order too large for the balance to InsufficientFunds', async () => {
    // 5 BTC at 49000 needs 24500 USDT of margin at 10x; the account has 10000.
    const big = client.createOrder(LINEAR, 'limit', 'buy', 5, 49_000);
    await expect(big).rejects.toBeInstanceOf(ccxt.InsufficientFunds);
    await expect(big).rejects.toThrow(/110007/);
    expect(await client.fetchOpenOrders(LINEAR)).toEqual([]);
  });

  it('cancels all orders of a symbol, then all of the settle coin', async () => {
    const a = await client.createOrder(LINEAR, 'limit', 'buy', 0.01, 48_000);
    const b = await client.createOrder(LINEAR, 'limit', 'sell', 0.01, 52_000);
    expect((await client.fetchOpenOrders(LINEAR)).map((o) => o.id).sort()).toEqual([a.id, b.id].sort());
    const bySymbol = await client.cancelAllOrders(LINEAR);
    expect(bySymbol.map((o) => o.id).sort()).toEqual([a.id, b.id].sort());
    expect(await client.fetchOpenOrders(LINEAR)).toEqual([]);

    // Without a symbol ccxt sends category=linear&settleCoin=USDT (§3.5).
    const c = await client.createOrder(LINEAR, 'limit', 'buy', 0.01, 48_000);
    const bySettle = await client.cancelAllOrders();
    expect(bySettle.map((o) => o.id)).toEqual([c.id]);
    const cancelled = await client.fetchCanceledOrders(LINEAR);
    for (const id of [a.id, b.id, c.id]) expect(cancelled.map((o) => o.id)).toContain(id);
  });

  it('fills a market buy at once: closed order, taker trade, long position, balance', async () => {
    const before = await balanceOf('USDT');
    const { ask } = await best(LINEAR);
    const created = await client.createOrder(LINEAR, 'market', 'buy', 0.01);

    const closed = await client.fetchClosedOrders(LINEAR);
    const o = closed.find((x) => x.id === created.id)!;
    expect(o).toBeDefined();
    expect(o).toMatchObject({ type: 'market', side: 'buy', status: 'closed', amount: 0.01, filled: 0.01 });
    expect(o.remaining).toBe(0);
    // 0.01 fits in the best ask level of the scenario book.
    expect(o.average).toBe(ask);
    openPrice = ask;
    expect(o.cost).toBeCloseTo(0.01 * ask, 8);
    expect(o.fee?.currency).toBe('USDT');

    const trades = await client.fetchMyTrades(LINEAR);
    const t = trades.find((x) => x.order === created.id)!;
    expect(t).toMatchObject({ symbol: LINEAR, side: 'buy', type: 'market', takerOrMaker: 'taker' });
    expect(t.price).toBe(ask);
    expect(t.amount).toBe(0.01);
    expect(t.fee?.currency).toBe('USDT');
    expect(t.fee?.rate).toBe(fees[LINEAR]!.taker);
    expect(t.fee?.cost).toBeCloseTo(0.01 * ask * t.fee!.rate!, 8);
    expect(o.fee?.cost).toBeCloseTo(t.fee!.cost!, 8);
    // Without a symbol ccxt has no market and tells linear fills by the createType key (§3.7).
    const all = await client.fetchMyTrades();
    expect(all.find((x) => x.id === t.id)?.symbol).toBe(LINEAR);

    const [pos] = await client.fetchPositions([LINEAR]);
    expect(pos).toMatchObject({ symbol: LINEAR, side: 'long', contracts: 0.01, contractSize: 1 });
    expect(pos!.entryPrice).toBe(ask);
    expect(pos!.leverage).toBe(DEFAULT_LEVERAGE);
    expect(pos!.notional).toBeCloseTo(0.01 * ask, 8);
    expect(pos!.initialMargin).toBeCloseTo((0.01 * ask) / DEFAULT_LEVERAGE, 6);
    expect(pos!.unrealizedPnl).toBeCloseTo((pos!.markPrice! - ask) * 0.01, 8);

    // The fee is paid from the wallet; the position's margin (and any loss) is in use.
    const after = await balanceOf('USDT');
    expect(after.total).toBeCloseTo(before.total - t.fee!.cost!, 8);
    expect(after.used).toBeCloseTo(pos!.initialMargin! + Math.max(0, -pos!.unrealizedPnl!), 6);
  });

  it('fills a resting limit buy as maker once the clock moves the market through it', async () => {
    const { bid } = await best(LINEAR);
    const created = await client.createOrder(LINEAR, 'limit', 'buy', 0.01, bid);
    expect((await fetchOrder(idOf(created), LINEAR)).status).toBe('open');

    const o = await advanceUntilClosed(idOf(created), LINEAR);
    expect(o).toMatchObject({ status: 'closed', filled: 0.01, remaining: 0, price: bid, average: bid });
    // Filled by a later tick of the simulated market, not on entry.
    expect(o.lastTradeTimestamp!).toBeGreaterThan(o.timestamp!);
    const t = (await client.fetchMyTrades(LINEAR)).find((x) => x.order === created.id)!;
    expect(t.takerOrMaker).toBe('maker');
    expect(t.price).toBe(bid);
    expect(t.fee?.rate).toBe(fees[LINEAR]!.maker);

    const [pos] = await client.fetchPositions([LINEAR]);
    expect(pos!.contracts).toBe(0.02);
    expect(pos!.side).toBe('long');
    expect(pos!.entryPrice).toBeCloseTo((openPrice + bid) / 2, 6);
  });

  it('closes the position with a reduce-only market sell and books the PnL', async () => {
    const before = await balanceOf('USDT');
    const [open] = await client.fetchPositions([LINEAR]);
    const { bid } = await best(LINEAR);
    const created = await client.createOrder(LINEAR, 'market', 'sell', 0.02, undefined, { reduceOnly: true });
    const o = await fetchOrder(idOf(created), LINEAR);
    expect(o).toMatchObject({ status: 'closed', side: 'sell', reduceOnly: true, filled: 0.02 });
    expect(o.average).toBeLessThanOrEqual(bid);

    const [flat] = await client.fetchPositions([LINEAR]);
    expect(flat!.contracts).toBe(0);
    // With only the settle coin, Bybit lists non-zero positions only (facts §7.17).
    expect(await client.fetchPositions()).toEqual([]);

    const sellFee = (await client.fetchMyTrades(LINEAR))
      .filter((x) => x.order === created.id)
      .reduce((s, x) => s + x.fee!.cost!, 0);
    const pnl = (o.average! - open!.entryPrice!) * 0.02;
    const after = await balanceOf('USDT');
    expect(after.total).toBeCloseTo(before.total + pnl - sellFee, 6);
    expect(after.used).toBe(0);
  });

  it('partially fills a limit buy through the best ask, rests the rest, then cancels it', async () => {
    const book = await client.fetchOrderBook(LINEAR, 1);
    const [ask, askQty] = book.asks[0]! as [number, number];
    const amount = Number((askQty + 0.01).toFixed(3));
    const created = await client.createOrder(LINEAR, 'limit', 'buy', amount, ask);
    const id = idOf(created);

    const o = await fetchOrder(id, LINEAR);
    expect(o).toMatchObject({ status: 'open', amount, filled: askQty, price: ask, average: ask });
    expect(o.remaining).toBeCloseTo(0.01, 8);
    expect((o.info as Record<string, unknown>)['orderStatus']).toBe('PartiallyFilled');
    expect((await client.fetchOpenOrders(LINEAR)).map((x) => x.id)).toEqual([id]);

    // A derivatives order cancelled after fills is Cancelled (facts §6), which ccxt calls canceled.
    await client.cancelOrder(id, LINEAR);
    const c = await fetchOrder(id, LINEAR);
    expect(c).toMatchObject({ status: 'canceled', filled: askQty, average: ask });
    const [pos] = await client.fetchPositions([LINEAR]);
    expect(pos).toMatchObject({ side: 'long', contracts: askQty, entryPrice: ask });

    await client.createOrder(LINEAR, 'market', 'sell', askQty, undefined, { reduceOnly: true });
    expect((await client.fetchPositions([LINEAR]))[0]!.contracts).toBe(0);
  });

  it('sets the leverage, and a repeat of the same value is a BadRequest (110043)', async () => {
    const res = await client.setLeverage(5, LINEAR);
    expect(Number((res as { retCode: unknown }).retCode)).toBe(0);
    const [pos] = await client.fetchPositions([LINEAR]);
    expect(pos!.leverage).toBe(5);
    expect(await client.fetchLeverage(LINEAR)).toMatchObject({ longLeverage: 5, shortLeverage: 5 });

    const again = client.setLeverage(5, LINEAR);
    await expect(again).rejects.toBeInstanceOf(ccxt.BadRequest);
    await expect(again).rejects.toThrow(/110043/);
  });
});

describe('ccxt bybit trading: spot orders', () => {
  it('places a limit buy that rests and locks its quote value, amends and cancels it', async () => {
    const before = await balanceOf('USDT');
    const created = await client.createOrder(SPOT, 'limit', 'buy', 0.001, 48_000);
    expect(created.id).toMatch(SPOT_ID);
    // Spot orders get a system orderLinkId when none is sent (facts §6).
    expect(created.clientOrderId).toMatch(SPOT_ID);

    const open = await client.fetchOpenOrders(SPOT);
    expect(open.map((o) => o.id)).toEqual([created.id]);
    expect(open[0]).toMatchObject({
      symbol: SPOT,
      type: 'limit',
      side: 'buy',
      status: 'open',
      price: 48_000,
      amount: 0.001,
      filled: 0,
      remaining: 0.001,
    });
    // Spot orders carry no tpslMode key: ccxt would take them for contracts (§3.5).
    expect(open[0]!.info).not.toHaveProperty('tpslMode');
    expect((await balanceOf('USDT')).used - before.used).toBeCloseTo(48, 8);

    await client.editOrder(idOf(created), SPOT, 'limit', 'buy', 0.002, 47_000);
    expect(await fetchOrder(idOf(created), SPOT)).toMatchObject({
      status: 'open',
      price: 47_000,
      amount: 0.002,
    });
    expect((await balanceOf('USDT')).used - before.used).toBeCloseTo(94, 8);

    await client.cancelOrder(idOf(created), SPOT);
    expect(await fetchOrder(idOf(created), SPOT)).toMatchObject({ status: 'canceled', filled: 0 });
    expect((await client.fetchCanceledOrders(SPOT)).map((o) => o.id)).toContain(created.id);
    expect((await balanceOf('USDT')).used).toBeCloseTo(before.used, 8);
  });

  it('cancels all spot orders of a symbol', async () => {
    const a = await client.createOrder(SPOT, 'limit', 'buy', 0.001, 48_000);
    const b = await client.createOrder(SPOT, 'limit', 'sell', 0.001, 52_000);
    const res = await client.cancelAllOrders(SPOT);
    expect(res.map((o) => o.id).sort()).toEqual([a.id, b.id].sort());
    expect(await client.fetchOpenOrders(SPOT)).toEqual([]);
  });

  it('fills market buys and sells at once and moves both coin balances', async () => {
    const usdt0 = await balanceOf('USDT');
    const btc0 = await balanceOf('BTC');

    const buy = await client.createOrder(SPOT, 'market', 'buy', 0.01);
    const bo = await fetchOrder(idOf(buy), SPOT);
    expect(bo).toMatchObject({ symbol: SPOT, type: 'market', side: 'buy', status: 'closed', filled: 0.01 });
    expect(bo.remaining).toBe(0);
    // Spot buy fees are taken in the base coin.
    expect(bo.fee?.currency).toBe('BTC');
    expect(bo.fee?.cost).toBeCloseTo(0.01 * fees[SPOT]!.taker, 10);

    const usdt1 = await balanceOf('USDT');
    const btc1 = await balanceOf('BTC');
    expect(usdt1.total).toBeCloseTo(usdt0.total - bo.cost!, 8);
    expect(btc1.total).toBeCloseTo(btc0.total + 0.01 - bo.fee!.cost!, 10);

    const sell = await client.createOrder(SPOT, 'market', 'sell', 0.01);
    const so = await fetchOrder(idOf(sell), SPOT);
    expect(so).toMatchObject({ side: 'sell', status: 'closed', filled: 0.01 });
    // Spot sell fees are taken in the quote coin.
    expect(so.fee?.currency).toBe('USDT');
    expect(so.fee?.cost).toBeCloseTo(so.cost! * fees[SPOT]!.taker, 8);
    const usdt2 = await balanceOf('USDT');
    const btc2 = await balanceOf('BTC');
    expect(btc2.total).toBeCloseTo(btc1.total - 0.01, 10);
    expect(usdt2.total).toBeCloseTo(usdt1.total + so.cost! - so.fee!.cost!, 8);

    const closed = await client.fetchClosedOrders(SPOT);
    for (const id of [buy.id, sell.id]) expect(closed.map((o) => o.id)).toContain(id);
    const trades = await client.fetchMyTrades(SPOT);
    const mine = trades.filter((t) => t.order === buy.id || t.order === sell.id);
    expect(mine.map((t) => t.side).sort()).toEqual(['buy', 'sell']);
    for (const t of mine) {
      expect(t.symbol).toBe(SPOT);
      expect(t.takerOrMaker).toBe('taker');
      expect(t.amount).toBe(0.01);
    }
  });

  it('maps a spot order beyond the balance to InsufficientFunds and an unknown id to OrderNotFound', async () => {
    // The account holds about 0.5 BTC.
    const big = client.createOrder(SPOT, 'limit', 'sell', 1, 60_000);
    await expect(big).rejects.toBeInstanceOf(ccxt.InsufficientFunds);
    await expect(big).rejects.toThrow(/170131/);
    const unknown = client.cancelOrder('1234567890123456789', SPOT);
    await expect(unknown).rejects.toBeInstanceOf(ccxt.OrderNotFound);
    await expect(unknown).rejects.toThrow(/170213/);
  });
});
