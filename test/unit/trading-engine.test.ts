/**
 * The trading engine through the Exchange facade and TradingService, on a manual clock, with no
 * sockets: linear and spot order entry and matching, fees and PnL checked against hand-computed
 * big.js values, cancel/amend, conditional orders, TP/SL, liquidation, funding, hedge mode and
 * matching between accounts.
 */
import { describe, expect, test } from 'vitest';
import type { Account } from '../../src/core/accounts/account.js';
import { ManualClock } from '../../src/core/clock.js';
import { Big, ZERO, fromInt, type Big as BigT } from '../../src/core/decimal.js';
import { ExchangeError } from '../../src/core/errors.js';
import { Exchange } from '../../src/core/exchange.js';
import type { Instrument } from '../../src/core/instruments/instrument.js';
import { fundingRateAt } from '../../src/core/market/funding.js';
import type { InstrumentMarket } from '../../src/core/market/instrument-market.js';
import type { BookSide } from '../../src/core/market/order-book.js';
import { Params } from '../../src/core/params.js';
import type { BookSpec, ExchangeSeed } from '../../src/core/seed.js';
import { bustPrice, liqPrice } from '../../src/core/trading/ledger.js';
import type { Execution, Order } from '../../src/core/trading/model.js';
import { closedPnlView } from '../../src/core/views/trading-views.js';
import { btcInstrument } from '../support/seeds.js';

const START = Date.UTC(2026, 0, 1, 12, 0, 0);
const HOUR = 3_600_000;
const TAKER = Big('0.00055');
const MAKER = Big('0.0002');
const SPOT_FEE = Big('0.001');

interface BootOptions {
  seed?: number;
  start?: number;
  volatility?: number;
  tickMs?: number;
  book?: Partial<BookSpec>;
  balances?: Record<string, Record<string, string>>;
}

function makeSeed(o: BootOptions = {}): ExchangeSeed {
  const balances = o.balances ?? {
    main: { USDT: '100000', BTC: '2' },
    other: { USDT: '100000', BTC: '2' },
  };
  return {
    seed: o.seed ?? 7,
    startTime: o.start ?? START,
    instruments: [btcInstrument('linear'), btcInstrument('spot')],
    markets: {
      BTCUSDT: {
        price: '65000',
        volatility: o.volatility ?? 0.8,
        tickIntervalMs: o.tickMs ?? 1000,
        tradesPerTick: 2,
        tradeQty: '0.01',
        book: { depth: 5, spreadTicks: 4, levelGapTicks: 1, levelQty: '0.01', ...o.book },
        fundingRate: '0.0001',
      },
    },
    accounts: Object.entries(balances).map(([name, b]) => ({
      name,
      apiKey: `key-${name}`,
      apiSecret: `secret-${name}`,
      permissions: 'trade' as const,
      balances: b,
      positions: [],
      leverage: {},
    })),
  };
}

function boot(o: BootOptions = {}) {
  const clock = new ManualClock(o.start ?? START);
  const ex = new Exchange(makeSeed(o), clock);
  ex.start();
  const lin = ex.instrument('linear', 'BTCUSDT');
  const spot = ex.instrument('spot', 'BTCUSDT');
  return {
    clock,
    ex,
    main: ex.findAccount('main')!,
    other: ex.findAccount('other')!,
    lin,
    spot,
    mLin: ex.market('linear', 'BTCUSDT'),
    mSpot: ex.market('spot', 'BTCUSDT'),
    tickMs: o.tickMs ?? 1000,
  };
}

type Env = ReturnType<typeof boot>;

const px = (inst: Instrument, ticks: number) => fromInt(ticks).times(inst.tickSize);
const qy = (inst: Instrument, steps: number) => fromInt(steps).times(inst.qtyStep);
const sum = (xs: BigT[]) => xs.reduce((a, b) => a.plus(b), ZERO);

interface Level {
  ticks: number;
  steps: number;
}

function levels(side: BookSide): Level[] {
  return side.ticks.map((ticks, i) => ({ ticks, steps: side.steps[i]! }));
}

/** What a taker of `steps` gets walking `book` (best first) while `within` holds. */
function walk(book: Level[], steps: number, within: (ticks: number) => boolean = () => true): Level[] {
  const out: Level[] = [];
  let left = steps;
  for (const l of book) {
    if (left <= 0 || !within(l.ticks)) break;
    const take = Math.min(left, l.steps);
    out.push({ ticks: l.ticks, steps: take });
    left -= take;
  }
  return out;
}

function totalSteps(ls: Level[]): number {
  return ls.reduce((a, l) => a + l.steps, 0);
}

function create(env: Env, account: Account, p: Record<string, unknown>): Order {
  const r = env.ex.trading.create(account, new Params({ symbol: 'BTCUSDT', ...p }));
  return account.orders.get(r.orderId)!;
}

function linear(env: Env, p: Record<string, unknown>, account: Account = env.main): Order {
  return create(env, account, { category: 'linear', ...p });
}

function spotOrder(env: Env, p: Record<string, unknown>, account: Account = env.main): Order {
  return create(env, account, { category: 'spot', ...p });
}

function execsOf(order: Order): Execution[] {
  return order.account.executions.filter((e) => e.order === order);
}

function refused(fn: () => unknown): ExchangeError {
  try {
    fn();
  } catch (e) {
    if (e instanceof ExchangeError) return e;
    throw e;
  }
  throw new Error('expected an ExchangeError');
}

function position(env: Env, account: Account = env.main, idx: 0 | 1 | 2 = 0) {
  return account.positions.get(`BTCUSDT:${idx}`);
}

function usdt(account: Account): BigT {
  return account.balance('USDT');
}

/** Advances one simulator tick at a time until `done()`; returns the ticks taken. */
function tickUntil(env: Env, done: () => boolean, max: number, each?: () => void): number {
  for (let i = 1; i <= max; i++) {
    env.clock.advance(env.tickMs);
    if (done()) return i;
    each?.();
  }
  throw new Error(`condition not reached in ${max} ticks`);
}

/** Simulated trades of the last tick (account fills excluded), captured from the market events. */
function watchTicks(env: Env, key: string) {
  const state = {
    trades: [] as { side: string; priceTicks: number }[],
    lastSim: undefined as number | undefined,
  };
  env.ex.bus.on('marketTick', (e) => {
    if (e.key !== key) return;
    state.trades = e.trades.map((t) => ({ side: t.side, priceTicks: t.priceTicks }));
    if (e.trades.length > 0) state.lastSim = e.trades[e.trades.length - 1]!.priceTicks;
  });
  return state;
}

function bookCopy(m: InstrumentMarket) {
  return JSON.stringify({ bids: m.book.bids, asks: m.book.asks });
}

// ---- linear ---------------------------------------------------------------------------------

describe('linear market orders', () => {
  test('a market buy takes the simulated asks best price first and pays the taker fee', () => {
    const env = boot();
    const { lin, mLin, main } = env;
    const asks = levels(mLin.book.asks);
    const want = walk(asks, 15);
    expect(want.length).toBeGreaterThan(1);
    const last = mLin.lastTicks;
    const o = linear(env, { side: 'Buy', orderType: 'Market', qty: '0.015' });

    expect(o.status).toBe('Filled');
    expect(o.timeInForce).toBe('IOC');
    // the protective price Bybit shows: last + 5 %
    expect(o.price.eq(px(lin, Math.ceil(last * 1.05)))).toBe(true);
    const ex = execsOf(o);
    expect(ex.map((e) => [e.execPrice.toFixed(1), e.execQty.toFixed(3)])).toEqual(
      want.map((l) => [px(lin, l.ticks).toFixed(1), qy(lin, l.steps).toFixed(3)]),
    );
    for (const e of ex) {
      expect(e.isMaker).toBe(false);
      expect(Big(e.execValue).eq(e.execPrice.times(e.execQty))).toBe(true);
      expect(Big(e.execFee).eq(Big(e.execValue).times(TAKER))).toBe(true);
      expect(e.feeRate.eq(TAKER)).toBe(true);
      expect(Big(e.execPnl).eq(ZERO)).toBe(true);
    }
    const value = sum(want.map((l) => px(lin, l.ticks).times(qy(lin, l.steps))));
    expect(usdt(main).eq(Big('100000').minus(value.times(TAKER)))).toBe(true);
    const pos = position(env)!;
    expect(pos.side).toBe('Buy');
    expect(pos.size.eq(Big('0.015'))).toBe(true);
    expect(pos.entryValue.eq(value)).toBe(true);
    expect(o.cumExecValue.eq(value)).toBe(true);
    // the simulated liquidity taken is gone until the next rebuild
    const first = want[0]!;
    const after = levels(mLin.book.asks);
    const stillThere = after.find((l) => l.ticks === first.ticks);
    expect(stillThere?.steps ?? 0).toBe(asks[0]!.steps - first.steps);
  });

  test('a market sell larger than the thin book fills what is there and cancels the rest', () => {
    const env = boot();
    const { lin, mLin } = env;
    const bids = levels(mLin.book.bids);
    const depth = totalSteps(bids);
    const o = linear(env, { side: 'Sell', orderType: 'Market', qty: qy(lin, depth + 50).toFixed() });

    expect(o.status).toBe('Cancelled');
    expect(o.rejectReason).toBe('EC_NoError');
    expect(o.cumExecQty.eq(qy(lin, depth))).toBe(true);
    expect(o.leavesSteps).toBe(50);
    expect(execsOf(o).map((e) => e.execPrice.toFixed(1))).toEqual(
      bids.map((l) => px(lin, l.ticks).toFixed(1)),
    );
    expect(mLin.book.bids.ticks).toEqual([]);
    const pos = position(env)!;
    expect(pos.side).toBe('Sell');
    expect(pos.size.eq(qy(lin, depth))).toBe(true);
    const view = env.ex.trading.realtime(env.main, new Params({ category: 'linear', orderId: o.orderId }));
    expect(view.list[0]).toMatchObject({
      orderStatus: 'Cancelled',
      leavesQty: '0.000',
      cumExecQty: qy(lin, depth).toFixed(3),
    });
  });

  test('a market order with no liquidity inside the 5 % band is cancelled with nothing filled', () => {
    const env = boot({ book: { depth: 0 } });
    const o = linear(env, { side: 'Buy', orderType: 'Market', qty: '0.01' });
    expect(o.status).toBe('Cancelled');
    expect(o.rejectReason).toBe('EC_NoImmediateQtyToFill');
    expect(execsOf(o)).toEqual([]);
    expect(usdt(env.main).eq(Big('100000'))).toBe(true);
  });
});

describe('linear limit orders', () => {
  test('a limit buy below the market rests, then fills in full as maker at its own price once the market reaches it', () => {
    const env = boot();
    const { lin, mLin, main } = env;
    const watch = watchTicks(env, 'linear:BTCUSDT');
    const priceTicks = mLin.book.bestBidTicks()! - 20;
    const o = linear(env, {
      side: 'Buy',
      orderType: 'Limit',
      qty: '0.02',
      price: px(lin, priceTicks).toFixed(),
    });
    expect(o.status).toBe('New');
    expect(execsOf(o)).toEqual([]);
    const value = px(lin, priceTicks).times(Big('0.02'));
    const coin = env.ex.tradingEngine.coin(main, 'USDT');
    expect(coin.orderIM.eq(value.div(Big('10')).plus(value.times(TAKER)))).toBe(true);

    const crossed = () =>
      watch.trades.some((t) => t.side === 'Sell' && t.priceTicks < priceTicks) ||
      (mLin.book.bestAskTicks() ?? Infinity) <= priceTicks;
    tickUntil(
      env,
      () => o.status !== 'New',
      5000,
      () => expect(crossed()).toBe(false),
    );
    expect(crossed()).toBe(true);
    expect(o.status).toBe('Filled');
    const [e, ...rest] = execsOf(o);
    expect(rest).toEqual([]);
    expect(e!.isMaker).toBe(true);
    expect(e!.execPrice.eq(px(lin, priceTicks))).toBe(true);
    expect(e!.execQty.eq(Big('0.02'))).toBe(true);
    expect(Big(e!.execFee).eq(value.times(MAKER))).toBe(true);
    expect(usdt(main).eq(Big('100000').minus(value.times(MAKER)))).toBe(true);
    expect(position(env)!.size.eq(Big('0.02'))).toBe(true);
    // the fill printed a public trade at the order's price
    expect(
      mLin.trades.some((t) => t.priceTicks === priceTicks && t.steps === 20 && t.time === env.clock.now()),
    ).toBe(true);
  });

  test('when depth is short a limit order takes what is inside its price and rests the rest, which fills later as maker', () => {
    const env = boot();
    const { lin, mLin } = env;
    const ask = mLin.book.bestAskTicks()!;
    const limit = ask + 2;
    const inside = walk(levels(mLin.book.asks), 1_000_000, (t) => t <= limit);
    const taken = totalSteps(inside);
    expect(inside.length).toBe(3);
    const o = linear(env, {
      side: 'Buy',
      orderType: 'Limit',
      qty: qy(lin, taken + 30).toFixed(),
      price: px(lin, limit).toFixed(),
    });

    expect(o.status).toBe('PartiallyFilled');
    expect(o.leavesSteps).toBe(30);
    expect(execsOf(o).map((e) => [e.execPrice.toFixed(1), e.execQty.toFixed(3), e.isMaker])).toEqual(
      inside.map((l) => [px(lin, l.ticks).toFixed(1), qy(lin, l.steps).toFixed(3), false]),
    );
    expect(env.ex.tradingEngine.book(lin).bids).toEqual([o]);
    tickUntil(env, () => o.status === 'Filled', 5000);
    const last = execsOf(o).at(-1)!;
    expect(last.isMaker).toBe(true);
    expect(last.execQty.eq(qy(lin, 30))).toBe(true);
    expect(last.execPrice.eq(px(lin, limit))).toBe(true);
    expect(Big(last.execFee).eq(Big(last.execValue).times(MAKER))).toBe(true);
    expect(env.ex.tradingEngine.book(lin).bids).toEqual([]);
  });

  test('IOC fills what it can and cancels the remainder', () => {
    const env = boot();
    const { lin, mLin } = env;
    const ask = mLin.book.bestAskTicks()!;
    const inside = walk(levels(mLin.book.asks), 1_000_000, (t) => t <= ask + 1);
    const o = linear(env, {
      side: 'Buy',
      orderType: 'Limit',
      timeInForce: 'IOC',
      qty: qy(lin, totalSteps(inside) + 5).toFixed(),
      price: px(lin, ask + 1).toFixed(),
    });
    expect(o.status).toBe('Cancelled');
    expect(o.rejectReason).toBe('EC_NoError');
    expect(o.cumExecQty.eq(qy(lin, totalSteps(inside)))).toBe(true);
    expect(env.ex.tradingEngine.book(lin).bids).toEqual([]);

    const away = linear(env, {
      side: 'Buy',
      orderType: 'Limit',
      timeInForce: 'IOC',
      qty: '0.01',
      price: px(lin, mLin.book.bestBidTicks()! - 10).toFixed(),
    });
    expect(away.status).toBe('Cancelled');
    expect(away.rejectReason).toBe('EC_NoImmediateQtyToFill');
    expect(execsOf(away)).toEqual([]);
  });

  test('FOK that cannot fill in full is cancelled untouched; one that can is filled', () => {
    const env = boot();
    const { lin, mLin, main } = env;
    const ask = mLin.book.bestAskTicks()!;
    const inside = totalSteps(walk(levels(mLin.book.asks), 1_000_000, (t) => t <= ask + 1));
    const book = bookCopy(mLin);
    const fok = linear(env, {
      side: 'Buy',
      orderType: 'Limit',
      timeInForce: 'FOK',
      qty: qy(lin, inside + 1).toFixed(),
      price: px(lin, ask + 1).toFixed(),
    });
    expect(fok.status).toBe('Cancelled');
    expect(fok.rejectReason).toBe('EC_CancelForNoFullFill');
    expect(execsOf(fok)).toEqual([]);
    expect(bookCopy(mLin)).toBe(book);
    expect(usdt(main).eq(Big('100000'))).toBe(true);

    const ok = linear(env, {
      side: 'Buy',
      orderType: 'Limit',
      timeInForce: 'FOK',
      qty: qy(lin, inside).toFixed(),
      price: px(lin, ask + 1).toFixed(),
    });
    expect(ok.status).toBe('Filled');
    expect(ok.cumExecQty.eq(qy(lin, inside))).toBe(true);
  });

  test('PostOnly that would take is accepted then cancelled; one that would not rests', () => {
    const env = boot();
    const { lin, mLin, main } = env;
    const book = bookCopy(mLin);
    const taking = linear(env, {
      side: 'Buy',
      orderType: 'Limit',
      timeInForce: 'PostOnly',
      qty: '0.01',
      price: px(lin, mLin.book.bestAskTicks()!).toFixed(),
    });
    expect(taking.orderId).toMatch(/^[0-9a-f-]{36}$/);
    expect(taking.status).toBe('Cancelled');
    expect(taking.rejectReason).toBe('EC_PostOnlyWillTakeLiquidity');
    expect(execsOf(taking)).toEqual([]);
    expect(bookCopy(mLin)).toBe(book);
    expect(main.openOrders.size).toBe(0);

    const maker = linear(env, {
      side: 'Buy',
      orderType: 'Limit',
      timeInForce: 'PostOnly',
      qty: '0.01',
      price: px(lin, mLin.book.bestAskTicks()! - 1).toFixed(),
    });
    expect(maker.status).toBe('New');
    expect(main.openOrders.get(maker.orderId)).toBe(maker);
  });

  test('margin: an order needing more than the available balance is refused with 110007 and changes nothing', () => {
    const env = boot({ balances: { main: { USDT: '100' }, other: { USDT: '100' } } });
    const { lin, mLin, main } = env;
    const price = px(lin, mLin.book.bestBidTicks()! - 100);
    // at 10x, 0.016 BTC needs about 104 USDT of margin and fee; 0.015 needs about 98
    const e = refused(() =>
      linear(env, { side: 'Buy', orderType: 'Limit', qty: '0.016', price: price.toFixed() }),
    );
    expect(e.retCode).toBe(110007);
    expect(main.orders.size).toBe(0);
    const ok = linear(env, { side: 'Buy', orderType: 'Limit', qty: '0.015', price: price.toFixed() });
    expect(ok.status).toBe('New');
    const need = price.times(Big('0.015'));
    const coin = env.ex.tradingEngine.coin(main, 'USDT');
    expect(coin.available.eq(Big('100').minus(need.div(Big('10')).plus(need.times(TAKER))))).toBe(true);
  });
});

describe('reduce-only', () => {
  test('reduce-only with no position, or one that would increase it, is refused with 110017', () => {
    const env = boot();
    const { main } = env;
    const e = refused(() =>
      linear(env, { side: 'Sell', orderType: 'Market', qty: '0.01', reduceOnly: true }),
    );
    expect(e.retCode).toBe(110017);
    expect(main.orders.size).toBe(0);
    linear(env, { side: 'Buy', orderType: 'Market', qty: '0.01' });
    const inc = refused(() =>
      linear(env, { side: 'Buy', orderType: 'Market', qty: '0.01', reduceOnly: true }),
    );
    expect(inc.retCode).toBe(110017);
    expect(main.orders.size).toBe(1);
  });

  test('a reduce-only order larger than the position closes it and cancels the rest', () => {
    const env = boot();
    linear(env, { side: 'Buy', orderType: 'Market', qty: '0.01' });
    const ro = linear(env, { side: 'Sell', orderType: 'Market', qty: '0.03', reduceOnly: true });
    expect(ro.cumExecQty.eq(Big('0.01'))).toBe(true);
    expect(ro.status).toBe('Cancelled');
    expect(ro.cancelType).toBe('CancelByReduceOnly');
    const pos = position(env)!;
    expect(pos.size.eq(ZERO)).toBe(true);
    expect(pos.side).toBe('');
  });

  test('resting reduce-only orders are cancelled when the position goes flat', () => {
    const env = boot();
    const { lin, mLin } = env;
    linear(env, { side: 'Buy', orderType: 'Market', qty: '0.01' });
    const ro = linear(env, {
      side: 'Sell',
      orderType: 'Limit',
      qty: '0.01',
      price: px(lin, mLin.book.bestAskTicks()! + 500).toFixed(),
      reduceOnly: true,
    });
    expect(ro.status).toBe('New');
    // reduce-only orders hold no margin
    expect(env.ex.tradingEngine.coin(env.main, 'USDT').orderIM.eq(ZERO)).toBe(true);
    linear(env, { side: 'Sell', orderType: 'Market', qty: '0.01' });
    expect(ro.status).toBe('Cancelled');
    expect(ro.cancelType).toBe('CancelByReduceOnly');
  });

  test('closeAll: reduce-only with qty 0 closes the whole position', () => {
    const env = boot();
    linear(env, { side: 'Sell', orderType: 'Market', qty: '0.012' });
    const o = linear(env, {
      side: 'Buy',
      orderType: 'Market',
      qty: '0',
      reduceOnly: true,
      closeOnTrigger: true,
    });
    expect(o.qty.eq(Big('0.012'))).toBe(true);
    expect(o.status).toBe('Filled');
    expect(position(env)!.size.eq(ZERO)).toBe(true);
  });
});

describe('positions, realised PnL and fees', () => {
  test('open then close: realised PnL is exit value minus entry value, fees are the taker rate on both legs', () => {
    const env = boot();
    const { lin, mLin, main } = env;
    const buy = linear(env, { side: 'Buy', orderType: 'Market', qty: '0.02' });
    const entry = buy.cumExecValue;
    env.clock.advance(30_000);
    const sellLevels = walk(levels(mLin.book.bids), 20);
    const sell = linear(env, { side: 'Sell', orderType: 'Market', qty: '0.02' });
    const exit = sum(sellLevels.map((l) => px(lin, l.ticks).times(qy(lin, l.steps))));
    expect(sell.cumExecValue.eq(exit)).toBe(true);

    const pnl = exit.minus(entry);
    const fees = entry.times(TAKER).plus(exit.times(TAKER));
    expect(sum(execsOf(sell).map((e) => Big(e.execPnl))).eq(pnl)).toBe(true);
    expect(sum(execsOf(sell).map((e) => e.closedSize!)).eq(Big('0.02'))).toBe(true);
    expect(usdt(main).eq(Big('100000').plus(pnl).minus(fees))).toBe(true);
    const pos = position(env)!;
    expect(pos.size.eq(ZERO)).toBe(true);
    expect(pos.cumRealisedPnl.eq(pnl.minus(fees))).toBe(true);
    expect(main.cumRealised.get('USDT')!.eq(pnl.minus(fees))).toBe(true);
    // one closed-PnL record for the closing order: PnL net of the opening and closing fees
    const rec = main.closedPnl.at(-1)!;
    expect(rec.orderId).toBe(sell.orderId);
    // The newest record is still open (its order could fill more): running Big totals.
    expect(rec.final).toBeUndefined();
    const f = rec.open!;
    expect(f.closedSize.eq(Big('0.02'))).toBe(true);
    expect(f.cumEntryValue.eq(entry)).toBe(true);
    expect(f.cumExitValue.eq(exit)).toBe(true);
    expect(f.closedPnl.eq(pnl.minus(fees))).toBe(true);
    expect(f.avgEntryPrice.eq(entry.div(Big('0.02')).round(8, Big.roundHalfUp))).toBe(true);
    expect(rec.fillCount).toBe(sellLevels.length);
  });

  test('a closed-PnL record becomes final text when the next one starts; its row does not change', () => {
    const env = boot();
    const { main } = env;
    linear(env, { side: 'Buy', orderType: 'Market', qty: '0.03' });
    env.clock.advance(10_000);
    linear(env, { side: 'Sell', orderType: 'Market', qty: '0.01' });
    const first = main.closedPnl.at(-1)!;
    const whileOpen = closedPnlView(first);
    expect(first.open).toBeDefined();
    env.clock.advance(10_000);
    linear(env, { side: 'Sell', orderType: 'Market', qty: '0.01' });
    expect(main.closedPnl.at(-1)).not.toBe(first);
    expect(first.open).toBeUndefined();
    expect(first.final).toBeDefined();
    expect(closedPnlView(first)).toEqual(whileOpen);
    expect(Number(whileOpen.closedSize)).toBe(0.01);
  });

  test('adding to a position averages the entry; a larger opposite order nets and flips it', () => {
    const env = boot({ book: { levelQty: '0.005', depth: 12 } });
    const { lin, mLin, main } = env;
    const b1 = linear(env, { side: 'Buy', orderType: 'Market', qty: '0.01' });
    env.clock.advance(5_000);
    const b2 = linear(env, { side: 'Buy', orderType: 'Market', qty: '0.01' });
    const entry = b1.cumExecValue.plus(b2.cumExecValue);
    let pos = position(env)!;
    expect(pos.size.eq(Big('0.02'))).toBe(true);
    expect(pos.entryValue.eq(entry)).toBe(true);
    const view = env.ex.trading.positions(main, new Params({ category: 'linear', symbol: 'BTCUSDT' }))
      .list[0]!;
    expect(view.avgPrice).toBe(entry.div(Big('0.02')).round(8, Big.roundHalfUp).toFixed());

    env.clock.advance(5_000);
    const fills = walk(levels(mLin.book.bids), 35);
    expect(fills.length).toBeGreaterThan(2);
    const wallet = usdt(main);
    const flip = linear(env, { side: 'Sell', orderType: 'Market', qty: '0.035' });
    expect(flip.status).toBe('Filled');

    // hand replay: fills close the 0.02 long first (pro-rata entry), the rest opens a short
    let size = Big('0.02');
    let entryLeft = entry;
    let pnl = ZERO;
    let shortEntry = ZERO;
    const perFill: string[] = [];
    for (const l of fills) {
      const price = px(lin, l.ticks);
      let q = qy(lin, l.steps);
      let fillPnl = ZERO;
      let closed = ZERO;
      if (size.gt(ZERO)) {
        closed = q.lt(size) ? q : size;
        const part = closed.eq(size)
          ? entryLeft
          : entryLeft.times(closed).div(size).round(8, Big.roundHalfUp);
        fillPnl = closed.times(price).minus(part);
        size = size.minus(closed);
        entryLeft = entryLeft.minus(part);
        q = q.minus(closed);
      }
      shortEntry = shortEntry.plus(q.times(price));
      pnl = pnl.plus(fillPnl);
      perFill.push(`${closed.toFixed(3)} ${fillPnl.toFixed(8)}`);
    }
    expect(execsOf(flip).map((e) => `${e.closedSize!.toFixed(3)} ${Big(e.execPnl).toFixed(8)}`)).toEqual(
      perFill,
    );
    const fees = flip.cumExecValue.times(TAKER);
    expect(usdt(main).eq(wallet.plus(pnl).minus(fees))).toBe(true);
    pos = position(env)!;
    expect(pos.side).toBe('Sell');
    expect(pos.size.eq(Big('0.015'))).toBe(true);
    expect(pos.entryValue.eq(shortEntry)).toBe(true);
  });
});

// ---- spot -----------------------------------------------------------------------------------

describe('spot', () => {
  test('a market buy sized in USDT spends at most that much; the fee is charged in BTC', () => {
    const env = boot();
    const { spot, mSpot, main } = env;
    const asks = levels(mSpot.book.asks);
    // hand walk with a quote budget
    let budget = Big('1000');
    const fills: Level[] = [];
    for (const l of asks) {
      const unit = px(spot, l.ticks).times(spot.qtyStep);
      const afford = Number(budget.div(unit).round(0, Big.roundDown).toFixed(0));
      const take = Math.min(afford, l.steps);
      if (take <= 0) break;
      fills.push({ ticks: l.ticks, steps: take });
      budget = budget.minus(unit.times(String(take)));
    }
    const o = spotOrder(env, { side: 'Buy', orderType: 'Market', qty: '1000' });
    expect(o.marketUnit).toBe('quoteCoin');
    expect(o.status).toBe('Filled');
    const ex = execsOf(o);
    expect(ex.map((e) => [e.execPrice.toFixed(2), e.execQty.toFixed(6)])).toEqual(
      fills.map((l) => [px(spot, l.ticks).toFixed(2), qy(spot, l.steps).toFixed(6)]),
    );
    const spent = sum(fills.map((l) => px(spot, l.ticks).times(qy(spot, l.steps))));
    const got = qy(spot, totalSteps(fills));
    expect(spent.lte(Big('1000'))).toBe(true);
    for (const e of ex) {
      expect(e.feeCoin).toBe('BTC');
      expect(Big(e.execFee).eq(e.execQty.times(SPOT_FEE))).toBe(true);
    }
    expect(usdt(main).eq(Big('100000').minus(spent))).toBe(true);
    expect(main.balance('BTC').eq(Big('2').plus(got).minus(got.times(SPOT_FEE)))).toBe(true);
    expect(o.cumExecFee.eq(got.times(SPOT_FEE))).toBe(true);
  });

  test('a market sell sized in BTC pays its fee in USDT', () => {
    const env = boot();
    const { spot, mSpot, main } = env;
    const fills = walk(levels(mSpot.book.bids), 5000);
    const o = spotOrder(env, { side: 'Sell', orderType: 'Market', qty: '0.005' });
    expect(o.marketUnit).toBe('baseCoin');
    expect(o.status).toBe('Filled');
    const value = sum(fills.map((l) => px(spot, l.ticks).times(qy(spot, l.steps))));
    expect(main.balance('BTC').eq(Big('1.995'))).toBe(true);
    expect(usdt(main).eq(Big('100000').plus(value).minus(value.times(SPOT_FEE)))).toBe(true);
    for (const e of execsOf(o)) {
      expect(e.feeCoin).toBe('USDT');
      expect(Big(e.execFee).eq(Big(e.execValue).times(SPOT_FEE))).toBe(true);
    }
  });

  test('resting spot orders lock what they would spend; cancel releases it', () => {
    const env = boot();
    const { spot, mSpot, main } = env;
    const bidPrice = px(spot, mSpot.book.bestBidTicks()! - 1000);
    const buy = spotOrder(env, { side: 'Buy', orderType: 'Limit', qty: '0.1', price: bidPrice.toFixed() });
    const sell = spotOrder(env, {
      side: 'Sell',
      orderType: 'Limit',
      qty: '0.3',
      price: px(spot, mSpot.book.bestAskTicks()! + 1000).toFixed(),
    });
    expect(buy.status).toBe('New');
    expect(buy.orderId).toMatch(/^\d{19}$/);
    expect(buy.orderLinkId).toBe((BigInt(buy.orderId) + 1n).toString());
    expect(main.lockedOf('USDT').eq(bidPrice.times(Big('0.1')))).toBe(true);
    expect(main.lockedOf('BTC').eq(Big('0.3'))).toBe(true);
    expect(usdt(main).eq(Big('100000'))).toBe(true);
    const coin = env.ex.tradingEngine.coin(main, 'USDT');
    expect(coin.available.eq(Big('100000').minus(bidPrice.times(Big('0.1'))))).toBe(true);
    const wallet = env.ex.walletBalance(main, ['BTC']).list[0]!.coin[0]!;
    expect(wallet).toMatchObject({ coin: 'BTC', walletBalance: '2', locked: '0.3' });

    // selling more than is unlocked is refused and changes nothing
    const e = refused(() => spotOrder(env, { side: 'Sell', orderType: 'Market', qty: '1.8' }));
    expect(e.retCode).toBe(170131);
    expect(main.lockedOf('BTC').eq(Big('0.3'))).toBe(true);

    env.ex.trading.cancel(main, new Params({ category: 'spot', symbol: 'BTCUSDT', orderId: buy.orderId }));
    expect(buy.status).toBe('Cancelled');
    expect(buy.cancelType).toBe('CancelByUser');
    expect(main.lockedOf('USDT').eq(ZERO)).toBe(true);
    env.ex.trading.cancel(
      main,
      new Params({ category: 'spot', symbol: 'BTCUSDT', orderLinkId: sell.orderLinkId }),
    );
    expect(main.lockedOf('BTC').eq(ZERO)).toBe(true);
    expect(main.balance('BTC').eq(Big('2'))).toBe(true);
  });

  test('a resting spot buy filled by the market releases its lock and credits BTC net of the maker fee', () => {
    const env = boot();
    const { spot, mSpot, main } = env;
    const priceTicks = mSpot.book.bestBidTicks()! - 5;
    const price = px(spot, priceTicks);
    const o = spotOrder(env, { side: 'Buy', orderType: 'Limit', qty: '0.05', price: price.toFixed() });
    tickUntil(env, () => o.status === 'Filled', 5000);
    const [e] = execsOf(o);
    expect(e!.isMaker).toBe(true);
    expect(e!.execPrice.eq(price)).toBe(true);
    expect(main.lockedOf('USDT').eq(ZERO)).toBe(true);
    expect(usdt(main).eq(Big('100000').minus(price.times(Big('0.05'))))).toBe(true);
    expect(main.balance('BTC').eq(Big('2.05').minus(Big('0.05').times(SPOT_FEE)))).toBe(true);
  });

  test('spot IOC with fills cancels the rest as PartiallyFilledCanceled; so does cancelling a partly filled order', () => {
    const env = boot();
    const { spot, mSpot, main } = env;
    const ask = mSpot.book.bestAskTicks()!;
    const depth = totalSteps(levels(mSpot.book.asks));
    const ioc = spotOrder(env, {
      side: 'Buy',
      orderType: 'Limit',
      timeInForce: 'IOC',
      qty: qy(spot, depth + 100).toFixed(),
      price: px(spot, ask + 10).toFixed(),
    });
    expect(ioc.status).toBe('PartiallyFilledCanceled');
    expect(ioc.cumExecQty.eq(qy(spot, depth))).toBe(true);
    expect(main.lockedOf('USDT').eq(ZERO)).toBe(true);

    env.clock.advance(1000);
    const ask2 = mSpot.book.bestAskTicks()!;
    const depth2 = totalSteps(levels(mSpot.book.asks));
    const gtc = spotOrder(env, {
      side: 'Buy',
      orderType: 'Limit',
      qty: qy(spot, depth2 + 100).toFixed(),
      price: px(spot, ask2 + 10).toFixed(),
    });
    expect(gtc.status).toBe('PartiallyFilled');
    expect(main.lockedOf('USDT').eq(qy(spot, 100).times(px(spot, ask2 + 10)))).toBe(true);
    env.ex.trading.cancel(main, new Params({ category: 'spot', symbol: 'BTCUSDT', orderId: gtc.orderId }));
    expect(gtc.status).toBe('PartiallyFilledCanceled');
    expect(main.lockedOf('USDT').eq(ZERO)).toBe(true);
  });
});

// ---- cancel and amend -----------------------------------------------------------------------

describe('cancel and amend', () => {
  function resting(env: Env, qty = '0.01', away = 100): Order {
    return linear(env, {
      side: 'Buy',
      orderType: 'Limit',
      qty,
      price: px(env.lin, env.mLin.book.bestBidTicks()! - away).toFixed(),
    });
  }

  test('unknown or closed orders: 110001 for linear, 170213 for spot', () => {
    const env = boot();
    const { main } = env;
    const c = refused(() =>
      env.ex.trading.cancel(main, new Params({ category: 'linear', symbol: 'BTCUSDT', orderId: 'nope' })),
    );
    expect([c.retCode, c.retMsg]).toEqual([110001, 'order not exists or too late to cancel']);
    const a = refused(() =>
      env.ex.trading.amend(
        main,
        new Params({ category: 'linear', symbol: 'BTCUSDT', orderId: 'nope', qty: '1' }),
      ),
    );
    expect([a.retCode, a.retMsg]).toEqual([110001, 'order not exists or too late to replace']);
    const s = refused(() =>
      env.ex.trading.cancel(main, new Params({ category: 'spot', symbol: 'BTCUSDT', orderId: '1' })),
    );
    expect(s.retCode).toBe(170213);
    const o = resting(env);
    env.ex.trading.cancel(main, new Params({ category: 'linear', symbol: 'BTCUSDT', orderId: o.orderId }));
    expect(o.status).toBe('Cancelled');
    const again = refused(() =>
      env.ex.trading.cancel(main, new Params({ category: 'linear', symbol: 'BTCUSDT', orderId: o.orderId })),
    );
    expect(again.retCode).toBe(110001);
    const filled = linear(env, { side: 'Buy', orderType: 'Market', qty: '0.001' });
    const late = refused(() =>
      env.ex.trading.amend(
        main,
        new Params({ category: 'linear', symbol: 'BTCUSDT', orderId: filled.orderId, qty: '0.002' }),
      ),
    );
    expect(late.retCode).toBe(110001);
  });

  test('an amend that changes nothing is 10001 "The order remains unchanged"', () => {
    const env = boot();
    const o = resting(env);
    const e = refused(() =>
      env.ex.trading.amend(
        env.main,
        new Params({
          category: 'linear',
          symbol: 'BTCUSDT',
          orderId: o.orderId,
          qty: '0.010',
          price: o.price.toFixed(),
        }),
      ),
    );
    expect(e.retCode).toBe(10001);
    expect(e.retMsg).toBe('The order remains unchanged as the parameters entered match the existing ones.');
  });

  test('amending qty and price re-prices the order and its margin', () => {
    const env = boot();
    const { main, lin } = env;
    const o = resting(env);
    const newPrice = o.price.minus(Big('5'));
    env.ex.trading.amend(
      main,
      new Params({
        category: 'linear',
        symbol: 'BTCUSDT',
        orderId: o.orderId,
        qty: '0.03',
        price: newPrice.toFixed(),
      }),
    );
    expect(o.status).toBe('New');
    expect(o.qty.eq(Big('0.03'))).toBe(true);
    expect(o.leavesSteps).toBe(30);
    expect(o.price.eq(newPrice)).toBe(true);
    expect(o.priceTicks).toBe(Number(newPrice.div(lin.tickSize).toFixed(0)));
    const value = newPrice.times(Big('0.03'));
    expect(
      env.ex.tradingEngine.coin(main, 'USDT').orderIM.eq(value.div(Big('10')).plus(value.times(TAKER))),
    ).toBe(true);
  });

  test('an amend whose new price crosses the book trades at once as taker', () => {
    const env = boot();
    const { lin, mLin } = env;
    const o = resting(env, '0.005');
    const ask = mLin.book.bestAskTicks()!;
    const fills = walk(levels(mLin.book.asks), 5);
    env.ex.trading.amend(
      env.main,
      new Params({
        category: 'linear',
        symbol: 'BTCUSDT',
        orderId: o.orderId,
        price: px(lin, ask + 4).toFixed(),
      }),
    );
    expect(o.status).toBe('Filled');
    const ex = execsOf(o);
    expect(ex.every((e) => !e.isMaker)).toBe(true);
    expect(ex.map((e) => e.execPrice.toFixed(1))).toEqual(fills.map((l) => px(lin, l.ticks).toFixed(1)));
    expect(env.ex.tradingEngine.book(lin).bids).toEqual([]);
  });

  test('a PostOnly amended to a crossing price is cancelled with EC_PostOnlyWillTakeLiquidity', () => {
    const env = boot();
    const { lin, mLin } = env;
    const o = linear(env, {
      side: 'Sell',
      orderType: 'Limit',
      timeInForce: 'PostOnly',
      qty: '0.01',
      price: px(lin, mLin.book.bestAskTicks()! + 50).toFixed(),
    });
    env.ex.trading.amend(
      env.main,
      new Params({
        category: 'linear',
        symbol: 'BTCUSDT',
        orderId: o.orderId,
        price: px(lin, mLin.book.bestBidTicks()!).toFixed(),
      }),
    );
    expect(o.status).toBe('Cancelled');
    expect(o.rejectReason).toBe('EC_PostOnlyWillTakeLiquidity');
    expect(execsOf(o)).toEqual([]);
  });

  test('amending a spot order re-locks; an amend beyond the balance is 170131 and changes nothing', () => {
    const env = boot({ balances: { main: { USDT: '10000', BTC: '0' }, other: { USDT: '1' } } });
    const { spot, mSpot, main } = env;
    const price = px(spot, mSpot.book.bestBidTicks()! - 1000);
    const o = spotOrder(env, { side: 'Buy', orderType: 'Limit', qty: '0.1', price: price.toFixed() });
    expect(main.lockedOf('USDT').eq(price.times(Big('0.1')))).toBe(true);
    env.ex.trading.amend(
      main,
      new Params({ category: 'spot', symbol: 'BTCUSDT', orderId: o.orderId, qty: '0.12' }),
    );
    expect(main.lockedOf('USDT').eq(price.times(Big('0.12')))).toBe(true);
    expect(o.locked.eq(price.times(Big('0.12')))).toBe(true);
    const e = refused(() =>
      env.ex.trading.amend(
        main,
        new Params({ category: 'spot', symbol: 'BTCUSDT', orderId: o.orderId, qty: '0.2' }),
      ),
    );
    expect(e.retCode).toBe(170131);
    expect(o.qty.eq(Big('0.12'))).toBe(true);
    expect(main.lockedOf('USDT').eq(price.times(Big('0.12')))).toBe(true);
  });
});

describe('orderLinkId', () => {
  test('a duplicate orderLinkId is 110072 on linear and 170141 on spot, also after the first order closed', () => {
    const env = boot();
    const { main } = env;
    const first = linear(env, { side: 'Buy', orderType: 'Market', qty: '0.001', orderLinkId: 'mine-1' });
    expect(first.status).toBe('Filled');
    expect(first.orderLinkId).toBe('mine-1');
    const e = refused(() =>
      linear(env, { side: 'Buy', orderType: 'Market', qty: '0.001', orderLinkId: 'mine-1' }),
    );
    expect([e.retCode, e.retMsg]).toEqual([110072, 'OrderLinkedID is duplicate']);
    spotOrder(env, { side: 'Buy', orderType: 'Market', qty: '10', orderLinkId: 'spot-1' });
    const s = refused(() =>
      spotOrder(env, { side: 'Buy', orderType: 'Market', qty: '10', orderLinkId: 'spot-1' }),
    );
    expect(s.retCode).toBe(170141);
    expect(main.orders.size).toBe(2);
    // found by its link id
    expect(main.ordersByLinkId.get('mine-1')).toBe(first);
  });

  test('refused requests leave the id streams where they were', () => {
    const sequence = (withRefusals: boolean) => {
      const env = boot();
      const ids: string[] = [];
      const attempt = (fn: () => unknown) => {
        if (!withRefusals) return;
        expect(refused(fn)).toBeInstanceOf(ExchangeError);
      };
      ids.push(linear(env, { side: 'Buy', orderType: 'Market', qty: '0.01', orderLinkId: 'x' }).orderId);
      attempt(() => linear(env, { side: 'Buy', orderType: 'Market', qty: '0.01', orderLinkId: 'x' }));
      attempt(() => linear(env, { side: 'Buy', orderType: 'Market', qty: '0.01', reduceOnly: true }));
      attempt(() => linear(env, { side: 'Buy', orderType: 'Limit', qty: '90', price: '60000' }));
      attempt(() => linear(env, { side: 'Buy', orderType: 'Market', qty: '0.01', positionIdx: 1 }));
      attempt(() =>
        linear(env, {
          side: 'Buy',
          orderType: 'Market',
          qty: '0.01',
          triggerPrice: '100',
          triggerDirection: 1,
        }),
      );
      attempt(() => spotOrder(env, { side: 'Sell', orderType: 'Limit', qty: '50', price: '70000' }));
      ids.push(linear(env, { side: 'Sell', orderType: 'Market', qty: '0.01' }).orderId);
      ids.push(spotOrder(env, { side: 'Buy', orderType: 'Market', qty: '100' }).orderId);
      env.clock.advance(10_000);
      ids.push(...env.main.executions.map((e) => e.execId));
      ids.push(String(env.mLin.lastTicks), String(env.mLin.seq));
      return ids;
    };
    expect(sequence(true)).toEqual(sequence(false));
  });
});

// ---- conditional orders and TP/SL ----------------------------------------------------------------

describe('conditional orders', () => {
  test('a rising conditional waits Untriggered, holds no margin, and fills on the first tick the last price reaches it', () => {
    const env = boot();
    const { lin, mLin, main } = env;
    const watch = watchTicks(env, 'linear:BTCUSDT');
    const trigTicks = mLin.lastTicks + 30;
    const o = linear(env, {
      side: 'Buy',
      orderType: 'Market',
      qty: '0.01',
      triggerPrice: px(lin, trigTicks).toFixed(),
      triggerDirection: 1,
    });
    expect(o.status).toBe('Untriggered');
    expect(o.stopOrderType).toBe('Stop');
    expect(o.triggerDirection).toBe(1);
    expect(env.ex.tradingEngine.coin(main, 'USDT').orderIM.eq(ZERO)).toBe(true);
    const seen: string[] = [];
    env.ex.bus.on('trading', (u) => {
      for (const x of u.orders) if (x === o) seen.push(x.status);
    });
    let last = mLin.lastTicks;
    tickUntil(
      env,
      () => o.status !== 'Untriggered',
      5000,
      () => {
        last = mLin.lastTicks;
        expect(last).toBeLessThan(trigTicks);
      },
    );
    expect(watch.lastSim).toBeGreaterThanOrEqual(trigTicks);
    expect(o.status).toBe('Filled');
    expect(seen).toEqual(['Filled']);
    expect(execsOf(o).length).toBeGreaterThan(0);
    expect(position(env)!.size.eq(Big('0.01'))).toBe(true);
  });

  test('a falling conditional limit sell triggers into a resting order (Untriggered -> New)', () => {
    const env = boot();
    const { lin, mLin, main } = env;
    linear(env, { side: 'Buy', orderType: 'Market', qty: '0.01' });
    const trigTicks = mLin.lastTicks - 20;
    const o = linear(env, {
      side: 'Sell',
      orderType: 'Limit',
      qty: '0.01',
      price: px(lin, mLin.lastTicks + 10_000).toFixed(),
      triggerPrice: px(lin, trigTicks).toFixed(),
      reduceOnly: true,
    });
    expect(o.triggerDirection).toBe(2);
    tickUntil(
      env,
      () => o.status !== 'Untriggered',
      5000,
      () => expect(mLin.lastTicks).toBeGreaterThan(trigTicks),
    );
    expect(o.status).toBe('New');
    expect(env.ex.tradingEngine.book(lin).asks).toEqual([o]);
    expect(main.openOrders.has(o.orderId)).toBe(true);
  });

  test('trigger on the wrong side of the price: 110092 rising, 110093 falling; nothing is created', () => {
    const env = boot();
    const { lin, mLin, main } = env;
    const last = px(lin, mLin.lastTicks);
    const rising = refused(() =>
      linear(env, {
        side: 'Buy',
        orderType: 'Market',
        qty: '0.01',
        triggerPrice: last.toFixed(),
        triggerDirection: 1,
      }),
    );
    expect(rising.retCode).toBe(110092);
    expect(rising.retMsg).toContain('expect Rising');
    const falling = refused(() =>
      linear(env, {
        side: 'Buy',
        orderType: 'Market',
        qty: '0.01',
        triggerPrice: last.plus(Big('1')).toFixed(),
        triggerDirection: 2,
      }),
    );
    expect(falling.retCode).toBe(110093);
    expect(main.orders.size).toBe(0);
  });

  test('cancelling an untriggered order deactivates it', () => {
    const env = boot();
    const { lin, mLin, main } = env;
    const o = linear(env, {
      side: 'Buy',
      orderType: 'Market',
      qty: '0.01',
      triggerPrice: px(lin, mLin.lastTicks + 1000).toFixed(),
    });
    env.ex.trading.cancel(main, new Params({ category: 'linear', symbol: 'BTCUSDT', orderId: o.orderId }));
    expect(o.status).toBe('Deactivated');
    expect(main.openOrders.size).toBe(0);
    env.clock.advance(600_000);
    expect(execsOf(o)).toEqual([]);
  });

  test('a triggered order needs its margin once, not twice', () => {
    // 100 USDT covers one 0.01 BTC order at 10x (about 65 USDT + fee), not two
    const env = boot({ balances: { main: { USDT: '100' }, other: { USDT: '0' } } });
    const { lin, mLin } = env;
    const o = linear(env, {
      side: 'Buy',
      orderType: 'Market',
      qty: '0.01',
      triggerPrice: px(lin, mLin.lastTicks + 20).toFixed(),
    });
    tickUntil(env, () => o.status !== 'Untriggered', 5000);
    expect(o.status).toBe('Filled');
    expect(position(env)!.size.eq(Big('0.01'))).toBe(true);
  });

  test('a spot conditional sell sized in USDT is checked for BTC when it triggers, and rejected without it', () => {
    const env = boot({ balances: { main: { USDT: '0', BTC: '0.01' }, other: {} } });
    const { spot, mSpot, main } = env;
    const trigTicks = mSpot.lastTicks + 500;
    // about 0.0154 BTC worth: more than the 0.01 BTC the account holds
    const o = spotOrder(env, {
      side: 'Sell',
      orderType: 'Market',
      marketUnit: 'quoteCoin',
      qty: '1000',
      triggerPrice: px(spot, trigTicks).toFixed(),
    });
    expect(o.status).toBe('Untriggered');
    tickUntil(env, () => o.status !== 'Untriggered', 20_000);
    expect(o.status).toBe('Rejected');
    expect(execsOf(o)).toEqual([]);
    expect(main.balance('BTC').eq(Big('0.01'))).toBe(true);
    expect(main.openOrders.size).toBe(0);
  });

  test('a spot conditional order does not touch linear positions', () => {
    const env = boot();
    const { spot, mSpot, main } = env;
    spotOrder(env, {
      side: 'Buy',
      orderType: 'Market',
      qty: '100',
      triggerPrice: px(spot, mSpot.lastTicks + 100_000).toFixed(),
    });
    expect(main.positions.size).toBe(0);
    linear(env, { side: 'Buy', orderType: 'Market', qty: '0.01' });
    const pos = position(env)!;
    expect(pos.instrument.category).toBe('linear');
    expect(pos.leverage.eq(Big('10'))).toBe(true);
  });
});

describe('TP/SL', () => {
  test('a take-profit attached to the order closes the position when the last price reaches it', () => {
    const env = boot();
    const { lin, mLin, main } = env;
    const tpTicks = mLin.lastTicks + 30;
    const open = linear(env, {
      side: 'Buy',
      orderType: 'Market',
      qty: '0.01',
      takeProfit: px(lin, tpTicks).toFixed(),
    });
    const pos = position(env)!;
    expect(pos.takeProfit!.eq(px(lin, tpTicks))).toBe(true);
    tickUntil(
      env,
      () => pos.size.eq(ZERO),
      5000,
      () => expect(mLin.lastTicks).toBeLessThan(tpTicks),
    );
    const closer = [...main.orders.values()].find((o) => o !== open)!;
    expect(closer.createType).toBe('CreateByTakeProfit');
    expect(closer.stopOrderType).toBe('TakeProfit');
    expect(closer.side).toBe('Sell');
    expect(closer.reduceOnly).toBe(true);
    expect(closer.status).toBe('Filled');
    expect(closer.triggerPrice!.eq(px(lin, tpTicks))).toBe(true);
    expect(pos.takeProfit).toBeUndefined();
    expect(pos.side).toBe('');
  });

  test('a stop-loss set through trading-stop closes a short when the price rises to it', () => {
    const env = boot();
    const { lin, mLin, main } = env;
    linear(env, { side: 'Sell', orderType: 'Market', qty: '0.02' });
    const wrong = refused(() =>
      env.ex.trading.tradingStop(
        main,
        new Params({
          category: 'linear',
          symbol: 'BTCUSDT',
          positionIdx: 0,
          stopLoss: px(lin, mLin.lastTicks - 10).toFixed(),
        }),
      ),
    );
    expect(wrong.retCode).toBe(10001);
    const slTicks = mLin.lastTicks + 25;
    env.ex.trading.tradingStop(
      main,
      new Params({
        category: 'linear',
        symbol: 'BTCUSDT',
        positionIdx: 0,
        stopLoss: px(lin, slTicks).toFixed(),
      }),
    );
    const pos = position(env)!;
    tickUntil(
      env,
      () => pos.size.eq(ZERO),
      5000,
      () => expect(mLin.lastTicks).toBeLessThan(slTicks),
    );
    const closer = [...main.orders.values()].at(-1)!;
    expect(closer.createType).toBe('CreateByStopLoss');
    expect(closer.side).toBe('Buy');
    expect(closer.cumExecQty.eq(Big('0.02'))).toBe(true);
  });
});

// ---- liquidation and funding ------------------------------------------------------------------

describe('liquidation', () => {
  test('when the mark crosses the liquidation price the position is closed at its bankruptcy price', () => {
    const env = boot({ volatility: 3 });
    const { lin, mLin, main } = env;
    env.ex.setLeverage(main, 'linear', 'BTCUSDT', Big('100'), Big('100'));
    linear(env, { side: 'Buy', orderType: 'Market', qty: '0.03' });
    const pos = position(env)!;
    expect(pos.size.eq(Big('0.03'))).toBe(true);
    expect(pos.leverage.eq(Big('100'))).toBe(true);
    const liq = liqPrice(pos)!;
    const bust = bustPrice(pos)!;
    const entry = pos.entryValue;
    const avg = entry.div(Big('0.03'));
    // liq: the average less 1/100 plus 0.5 % maintenance, rounded up to a tick; bust: less 1/100
    expect(liq.eq(avg.times(Big('0.995')).div(lin.tickSize).round(0, Big.roundUp).times(lin.tickSize))).toBe(
      true,
    );
    expect(bust.eq(avg.times(Big('0.99')).div(lin.tickSize).round(0, Big.roundUp).times(lin.tickSize))).toBe(
      true,
    );
    const resting = linear(env, {
      side: 'Buy',
      orderType: 'Limit',
      qty: '0.001',
      price: px(lin, mLin.book.bestBidTicks()! - 20_000).toFixed(),
    });
    const wallet = usdt(main);
    tickUntil(
      env,
      () => pos.size.eq(ZERO),
      20_000,
      () => expect(px(lin, mLin.markTicks).gt(liq)).toBe(true),
    );
    expect(px(lin, mLin.markTicks).lte(liq)).toBe(true);
    const bustExec = main.executions.at(-1)!;
    expect(bustExec.execType).toBe('BustTrade');
    expect(bustExec.execPrice.eq(bust)).toBe(true);
    expect(bustExec.execQty.eq(Big('0.03'))).toBe(true);
    expect(bustExec.order!.createType).toBe('CreateByLiq');
    const pnl = bust.times(Big('0.03')).minus(entry);
    expect(Big(bustExec.execPnl).eq(pnl)).toBe(true);
    expect(Big(bustExec.execFee).eq(bust.times(Big('0.03')).times(TAKER))).toBe(true);
    expect(usdt(main).eq(wallet.plus(pnl).minus(bustExec.execFee))).toBe(true);
    expect(resting.status).toBe('Cancelled');
    expect(resting.cancelType).toBe('CancelByPrepareLiq');
    expect(main.closedPnl.at(-1)!.execType).toBe('BustTrade');
  });

  test('a liquidation never takes the wallet below zero: a fee the margin cannot pay is waived', () => {
    // the position's initial margin is the whole wallet: 0.1 BTC at 70000, 50x -> 140 USDT
    const env = boot({ balances: { main: { USDT: '140' }, other: { USDT: '0' } } });
    const { main, lin } = env;
    const pos = env.ex.tradingEngine.setPosition(main, lin, 0, 'Buy', Big('0.1'), Big('70000'), Big('50'));
    expect(bustPrice(pos)!.eq(Big('68600'))).toBe(true);
    env.clock.advance(1000);
    expect(pos.size.eq(ZERO)).toBe(true);
    const e = main.executions.at(-1)!;
    expect(e.execType).toBe('BustTrade');
    expect(Big(e.execPnl).eq(Big('-140'))).toBe(true);
    expect(Big(e.execFee).eq(ZERO)).toBe(true);
    expect(usdt(main).eq(ZERO)).toBe(true);
  });
});

describe('liquidation after funding', () => {
  test('funding paid from used-up margin, then a liquidation: the wallet still covers its spot locks', () => {
    // one second before the 16:00 settlement; the position's margin is all the wallet does not lock
    const env = boot({
      start: Date.UTC(2026, 0, 1, 15, 59, 59),
      volatility: 3,
      balances: { main: { USDT: '300' }, other: {} },
    });
    const { main, lin, spot, mSpot } = env;
    const pos = env.ex.tradingEngine.setPosition(main, lin, 0, 'Buy', Big('0.3'), Big('65000'), Big('100'));
    const im = Big('195');
    const price = px(spot, mSpot.book.bestBidTicks()! - 100_000);
    const qty = Big('300').minus(im).div(price).round(6, Big.roundDown);
    spotOrder(env, { side: 'Buy', orderType: 'Limit', qty: qty.toFixed(), price: price.toFixed() });
    const locked = main.lockedOf('USDT');
    expect(locked.gt(Big('104'))).toBe(true);
    const bust = bustPrice(pos)!;
    let before = usdt(main);
    tickUntil(
      env,
      () => pos.size.eq(ZERO),
      20_000,
      () => (before = usdt(main)),
    );
    const funding = main.executions.filter((e) => e.execType === 'Funding');
    expect(funding.length).toBeGreaterThan(0);
    expect(
      usdt(main).eq(
        Big('300')
          .minus(sum(funding.map((e) => Big(e.execFee))))
          .plus(main.executions.at(-1)!.execPnl),
      ),
    ).toBe(true);
    // the full bust loss (the margin) is more than the wallet holds beyond its lock after funding
    const full = bust.times(Big('0.3')).minus(Big('19500'));
    expect(full.eq(im.neg())).toBe(true);
    expect(before.minus(locked).lt(im)).toBe(true);
    const e = main.executions.at(-1)!;
    expect(e.execType).toBe('BustTrade');
    expect(Big(e.execPnl).eq(locked.minus(before))).toBe(true);
    expect(Big(e.execFee).eq(ZERO)).toBe(true);
    expect(usdt(main).eq(locked)).toBe(true);
    expect(main.lockedOf('USDT').eq(locked)).toBe(true);
  });
});

describe('funding', () => {
  test('positions settle funding at each 8 h boundary since the epoch, longs paying shorts', () => {
    const env = boot({ tickMs: 60_000 });
    const { main, other } = env;
    linear(env, { side: 'Buy', orderType: 'Market', qty: '0.03' });
    linear(env, { side: 'Sell', orderType: 'Market', qty: '0.02' }, other);
    const wMain = usdt(main);
    const wOther = usdt(other);
    // START is 12:00 UTC: nothing until 16:00
    env.clock.advance(4 * HOUR - 60_000);
    expect(main.executions.filter((e) => e.execType === 'Funding')).toEqual([]);
    env.clock.advance(60_000);
    const t1 = Date.UTC(2026, 0, 1, 16, 0, 0);
    const f1 = main.executions.filter((e) => e.execType === 'Funding');
    expect(f1.map((e) => e.execTime)).toEqual([t1]);
    const rate = Big(fundingRateAt(7, 'BTCUSDT', '0.0001', t1));
    const e = f1[0]!;
    expect(e.feeRate.eq(rate)).toBe(true);
    expect(e.execQty.eq(Big('0.03'))).toBe(true);
    expect(Big(e.execFee).eq(e.execQty.times(e.execPrice).times(rate).round(8, Big.roundHalfUp))).toBe(true);
    expect(usdt(main).eq(wMain.minus(e.execFee))).toBe(true);
    const o = other.executions.find((x) => x.execType === 'Funding')!;
    expect(o.execTime).toBe(t1);
    expect(
      Big(o.execFee).eq(Big('0.02').times(o.execPrice).times(rate).round(8, Big.roundHalfUp).neg()),
    ).toBe(true);
    expect(usdt(other).eq(wOther.minus(o.execFee))).toBe(true);

    // two more boundaries: 00:00 and 08:00 the next day
    env.clock.advance(16 * HOUR + 30 * 60_000);
    const times = main.executions.filter((x) => x.execType === 'Funding').map((x) => x.execTime);
    expect(times).toEqual([t1, t1 + 8 * HOUR, t1 + 16 * HOUR]);
    const paid = sum(main.executions.filter((x) => x.execType === 'Funding').map((x) => Big(x.execFee)));
    expect(usdt(main).eq(wMain.minus(paid))).toBe(true);
    expect(position(env)!.cumRealisedPnl.eq(main.cumRealised.get('USDT')!)).toBe(true);
  });

  test('a flat position pays no funding', () => {
    const env = boot({ tickMs: 60_000 });
    linear(env, { side: 'Buy', orderType: 'Market', qty: '0.01' });
    linear(env, { side: 'Sell', orderType: 'Market', qty: '0.01' });
    env.clock.advance(5 * HOUR);
    expect(env.main.executions.filter((e) => e.execType === 'Funding')).toEqual([]);
  });
});

// ---- hedge mode -----------------------------------------------------------------------------------

describe('hedge mode', () => {
  const mode = (env: Env, m: 0 | 3) =>
    env.ex.trading.switchMode(
      env.main,
      new Params({ category: 'linear', symbol: 'BTCUSDT', mode: String(m) }),
    );

  test('switch-mode errors: 110025 unchanged, 110024 with a position, 110028 with open orders', () => {
    const env = boot();
    const { lin, mLin, main } = env;
    expect(refused(() => mode(env, 0)).retCode).toBe(110025);
    linear(env, { side: 'Buy', orderType: 'Market', qty: '0.01' });
    expect(refused(() => mode(env, 3)).retCode).toBe(110024);
    linear(env, { side: 'Sell', orderType: 'Market', qty: '0.01' });
    const o = linear(env, {
      side: 'Buy',
      orderType: 'Limit',
      qty: '0.01',
      price: px(lin, mLin.lastTicks - 500).toFixed(),
    });
    expect(refused(() => mode(env, 3)).retCode).toBe(110028);
    expect(main.hedgeSymbols.size).toBe(0);
    env.ex.trading.cancel(main, new Params({ category: 'linear', symbol: 'BTCUSDT', orderId: o.orderId }));
    expect(mode(env, 3)).toEqual({});
    expect(main.hedgeSymbols.has('BTCUSDT')).toBe(true);
    expect(refused(() => mode(env, 3)).retCode).toBe(110025);
  });

  test('in hedge mode long and short positions live side by side and close separately', () => {
    const env = boot();
    const { main } = env;
    mode(env, 3);
    const e = refused(() => linear(env, { side: 'Buy', orderType: 'Market', qty: '0.01' }));
    expect(e.retCode).toBe(10001);
    expect(e.retMsg).toContain('position idx not match position mode');
    linear(env, { side: 'Buy', orderType: 'Market', qty: '0.02', positionIdx: 1 });
    linear(env, { side: 'Sell', orderType: 'Market', qty: '0.01', positionIdx: 2 });
    expect(position(env, main, 1)!.side).toBe('Buy');
    expect(position(env, main, 2)!.side).toBe('Sell');
    const rows = env.ex.trading.positions(main, new Params({ category: 'linear', symbol: 'BTCUSDT' })).list;
    expect(rows.map((r) => [r.positionIdx, r.side, r.size])).toEqual([
      [1, 'Buy', '0.020'],
      [2, 'Sell', '0.010'],
    ]);
    // Sell on the long side only closes it
    linear(env, { side: 'Sell', orderType: 'Market', qty: '0.005', positionIdx: 1 });
    expect(position(env, main, 1)!.size.eq(Big('0.015'))).toBe(true);
    expect(position(env, main, 2)!.size.eq(Big('0.01'))).toBe(true);
    linear(env, { side: 'Buy', orderType: 'Market', qty: '0.01', positionIdx: 2 });
    expect(position(env, main, 2)!.size.eq(ZERO)).toBe(true);
    // nothing left on the short side to close
    expect(
      refused(() => linear(env, { side: 'Buy', orderType: 'Market', qty: '0.01', positionIdx: 2 })).retCode,
    ).toBe(110017);
    expect(refused(() => mode(env, 0)).retCode).toBe(110024);
  });
});

// ---- matching between accounts -----------------------------------------------------------------

describe('matching between accounts', () => {
  test("one account's resting order is taken by another's before simulated liquidity; fees by role", () => {
    const env = boot();
    const { lin, mLin, main, other } = env;
    const priceTicks = mLin.book.bestAskTicks()! - 1;
    const price = px(lin, priceTicks);
    const maker = linear(
      env,
      { side: 'Sell', orderType: 'Limit', timeInForce: 'PostOnly', qty: '0.02', price: price.toFixed() },
      other,
    );
    expect(maker.status).toBe('New');
    const book = bookCopy(mLin);
    const taker = linear(env, { side: 'Buy', orderType: 'Market', qty: '0.015' });
    expect(bookCopy(mLin)).toBe(book);
    const [t] = execsOf(taker);
    const [m] = execsOf(maker);
    expect(execsOf(taker).length).toBe(1);
    expect(t!.execPrice.eq(price)).toBe(true);
    expect(m!.execPrice.eq(price)).toBe(true);
    expect(t!.seq).toBe(m!.seq);
    const value = price.times(Big('0.015'));
    expect(t!.isMaker).toBe(false);
    expect(Big(t!.execFee).eq(value.times(TAKER))).toBe(true);
    expect(m!.isMaker).toBe(true);
    expect(Big(m!.execFee).eq(value.times(MAKER))).toBe(true);
    expect(maker.status).toBe('PartiallyFilled');
    expect(maker.leavesSteps).toBe(5);
    expect(position(env, main)!.side).toBe('Buy');
    expect(position(env, other)!.side).toBe('Sell');
    expect(position(env, other)!.size.eq(Big('0.015'))).toBe(true);
    expect(usdt(main).eq(Big('100000').minus(value.times(TAKER)))).toBe(true);
    expect(usdt(other).eq(Big('100000').minus(value.times(MAKER)))).toBe(true);

    // a larger taker takes the rest of the account order, then the simulated asks
    const asks = levels(mLin.book.asks);
    const big = linear(env, {
      side: 'Buy',
      orderType: 'Limit',
      qty: '0.010',
      price: px(lin, asks[0]!.ticks).toFixed(),
    });
    const bigEx = execsOf(big);
    expect(bigEx[0]!.execPrice.eq(price)).toBe(true);
    expect(bigEx[0]!.execQty.eq(Big('0.005'))).toBe(true);
    expect(bigEx[1]!.execPrice.eq(px(lin, asks[0]!.ticks))).toBe(true);
    expect(maker.status).toBe('Filled');
  });

  test('spot orders of two accounts match: balances and fee coins by side', () => {
    const env = boot();
    const { spot, mSpot, main, other } = env;
    const price = px(spot, mSpot.book.bestAskTicks()! - 1);
    spotOrder(env, { side: 'Sell', orderType: 'Limit', qty: '0.01', price: price.toFixed() }, other);
    expect(other.lockedOf('BTC').eq(Big('0.01'))).toBe(true);
    const buy = spotOrder(env, { side: 'Buy', orderType: 'Limit', qty: '0.01', price: price.toFixed() });
    expect(buy.status).toBe('Filled');
    const value = price.times(Big('0.01'));
    expect(main.balance('BTC').eq(Big('2.01').minus(Big('0.01').times(SPOT_FEE)))).toBe(true);
    expect(usdt(main).eq(Big('100000').minus(value))).toBe(true);
    expect(other.balance('BTC').eq(Big('1.99'))).toBe(true);
    expect(other.lockedOf('BTC').eq(ZERO)).toBe(true);
    expect(usdt(other).eq(Big('100000').plus(value).minus(value.times(SPOT_FEE)))).toBe(true);
  });

  test("a reduce-only maker never fills more than its account's position", () => {
    const env = boot();
    const { lin, mLin, other } = env;
    linear(env, { side: 'Buy', orderType: 'Market', qty: '0.01' }, other);
    const priceTicks = mLin.book.bestAskTicks()! - 1;
    const ro = linear(
      env,
      {
        side: 'Sell',
        orderType: 'Limit',
        qty: '0.05',
        price: px(lin, priceTicks).toFixed(),
        reduceOnly: true,
      },
      other,
    );
    expect(ro.status).toBe('New');
    const taker = linear(env, { side: 'Buy', orderType: 'Market', qty: '0.03' });
    expect(ro.cumExecQty.eq(Big('0.01'))).toBe(true);
    expect(ro.status).toBe('Cancelled');
    expect(ro.cancelType).toBe('CancelByReduceOnly');
    expect(position(env, other)!.size.eq(ZERO)).toBe(true);
    expect(taker.cumExecQty.eq(Big('0.03'))).toBe(true);
    expect(execsOf(taker)[0]!.execQty.eq(Big('0.01'))).toBe(true);
  });

  test('a self-trade that passes through flat does not cancel the reduce-only orders of a position that stays open', () => {
    const env = boot();
    const { lin, mLin, main } = env;
    linear(env, { side: 'Buy', orderType: 'Market', qty: '0.01' });
    const ro = linear(env, {
      side: 'Sell',
      orderType: 'Limit',
      qty: '0.01',
      price: px(lin, mLin.book.bestAskTicks()! + 1000).toFixed(),
      reduceOnly: true,
    });
    const inside = mLin.book.bestBidTicks()! + 1;
    const bid = linear(env, {
      side: 'Buy',
      orderType: 'Limit',
      qty: '0.01',
      price: px(lin, inside).toFixed(),
    });
    expect(bid.status).toBe('New');
    const sell = linear(env, {
      side: 'Sell',
      orderType: 'Limit',
      qty: '0.01',
      price: px(lin, inside).toFixed(),
    });
    expect(sell.status).toBe('Filled');
    expect(bid.status).toBe('Filled');
    expect(position(env, main)!.size.eq(Big('0.01'))).toBe(true);
    expect(ro.status).toBe('New');
  });
});

// ---- published updates ------------------------------------------------------------------------------

describe('published updates', () => {
  test('each command publishes one update per account it touched; a refused one publishes nothing', () => {
    const env = boot();
    const { lin, mLin, other } = env;
    const updates: { account: string; orders: number; executions: number; wallet: boolean }[] = [];
    env.ex.bus.on('trading', (u) =>
      updates.push({
        account: u.account.name,
        orders: u.orders.length,
        executions: u.executions.length,
        wallet: u.wallet,
      }),
    );
    refused(() => linear(env, { side: 'Sell', orderType: 'Market', qty: '0.01', reduceOnly: true }));
    expect(updates).toEqual([]);
    const price = px(lin, mLin.book.bestAskTicks()! - 1);
    linear(env, { side: 'Sell', orderType: 'Limit', qty: '0.01', price: price.toFixed() }, other);
    expect(updates).toEqual([{ account: 'other', orders: 1, executions: 0, wallet: false }]);
    updates.length = 0;
    linear(env, { side: 'Buy', orderType: 'Market', qty: '0.01' });
    expect(updates).toEqual([
      { account: 'main', orders: 1, executions: 1, wallet: true },
      { account: 'other', orders: 1, executions: 1, wallet: true },
    ]);
  });
});
