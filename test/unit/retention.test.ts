/**
 * Retention (docs/engine.md#retention): an account keeps its newest closed orders, executions and
 * closed-PnL records in bounded rings, so a long run uses bounded memory; open orders and
 * positions are never dropped, and queries page over what is kept.
 */
import { describe, expect, test } from 'vitest';
import { DEFAULT_RETENTION } from '../../src/core/accounts/account.js';
import { Ring } from '../../src/core/accounts/ring.js';
import { ManualClock } from '../../src/core/clock.js';
import { ExchangeError } from '../../src/core/errors.js';
import { Exchange } from '../../src/core/exchange.js';
import { Params } from '../../src/core/params.js';
import type { ExchangeSeed } from '../../src/core/seed.js';
import { btcInstrument } from '../support/seeds.js';

const START = Date.UTC(2026, 0, 5, 12, 0, 0);

describe('Ring', () => {
  test('keeps the newest items, oldest first, and returns what it drops', () => {
    const r = new Ring<number>(3);
    expect(r.push(1)).toBeUndefined();
    expect(r.push(2)).toBeUndefined();
    expect(r.push(3)).toBeUndefined();
    expect([...r]).toEqual([1, 2, 3]);
    expect(r.push(4)).toBe(1);
    expect(r.push(5)).toBe(2);
    expect([...r]).toEqual([3, 4, 5]);
    expect([...r.newestFirst()]).toEqual([5, 4, 3]);
    expect(r.length).toBe(3);
    expect(r.at(0)).toBe(3);
    expect(r.at(-1)).toBe(5);
    expect(r.last()).toBe(5);
    expect(r.at(3)).toBeUndefined();
    expect(r.filter((x) => x % 2 === 1)).toEqual([3, 5]);
    expect(r.map((x) => x * 10)).toEqual([30, 40, 50]);
    expect(r.find((x) => x > 3)).toBe(4);
    expect(r.some((x) => x > 9)).toBe(false);
  });

  test('resizing keeps the newest and reports the dropped; capacity 0 keeps nothing', () => {
    const r = new Ring<number>(5);
    for (let i = 1; i <= 7; i++) r.push(i);
    expect([...r]).toEqual([3, 4, 5, 6, 7]);
    expect(r.resize(2)).toEqual([3, 4, 5]);
    expect([...r]).toEqual([6, 7]);
    r.push(8);
    expect([...r]).toEqual([7, 8]);
    r.resize(4);
    r.push(9);
    r.push(10);
    r.push(11);
    expect([...r]).toEqual([8, 9, 10, 11]);
    const none = new Ring<number>(0);
    expect(none.push(1)).toBe(1);
    expect(none.length).toBe(0);
    expect(() => new Ring(-1)).toThrow(RangeError);
  });
});

function boot() {
  const seed: ExchangeSeed = {
    seed: 3,
    startTime: START,
    instruments: [btcInstrument('linear')],
    markets: {
      BTCUSDT: {
        price: '65000',
        volatility: 0.5,
        tickIntervalMs: 1000,
        tradesPerTick: 2,
        tradeQty: '0.01',
        book: { depth: 50, spreadTicks: 1, levelGapTicks: 1, levelQty: '5' },
        fundingRate: '0.0001',
      },
    },
    accounts: [
      {
        name: 'main',
        apiKey: 'k',
        apiSecret: 's',
        permissions: 'trade',
        balances: { USDT: '100000000' },
        positions: [],
        leverage: {},
      },
    ],
  };
  const clock = new ManualClock(START);
  const ex = new Exchange(seed, clock);
  ex.start();
  const main = ex.findAccount('main')!;
  const order = (p: Record<string, unknown>) =>
    ex.trading.create(main, new Params({ category: 'linear', symbol: 'BTCUSDT', qty: '0.001', ...p }));
  return { ex, clock, main, order };
}

test('the default retention is documented: 10,000 closed orders and executions, 5,000 closed PnL', () => {
  expect(DEFAULT_RETENTION).toEqual({ closedOrders: 10_000, executions: 10_000, closedPnl: 5_000 });
  expect(boot().main.retention).toEqual(DEFAULT_RETENTION);
});

test('closed orders, executions and closed PnL stay within their bounds; open orders are never evicted', () => {
  const { ex, main, order } = boot();
  main.setRetention({ closedOrders: 10, executions: 8, closedPnl: 4 });
  // Resting orders far from the market, placed first: the oldest orders of the account.
  const resting = [];
  for (let i = 0; i < 5; i++)
    resting.push(
      order({ side: 'Buy', orderType: 'Limit', price: '30000', orderLinkId: `rest-${i}` }).orderId,
    );
  const filled: string[] = [];
  for (let i = 0; i < 60; i++)
    filled.push(
      order({ side: i % 2 ? 'Sell' : 'Buy', orderType: 'Market', orderLinkId: `mkt-${i}` }).orderId,
    );
  expect(main.orders.size).toBe(5 + 10);
  expect(main.openOrders.size).toBe(5);
  expect(main.executions.length).toBe(8);
  expect(main.closedPnl.length).toBe(4);
  // Every open order is still found, by id and orderLinkId, and listed.
  for (const [i, id] of resting.entries()) {
    expect(main.orders.get(id)?.status).toBe('New');
    expect(main.ordersByLinkId.get(`rest-${i}`)?.orderId).toBe(id);
  }
  const open = ex.trading.realtime(main, new Params({ category: 'linear', symbol: 'BTCUSDT', limit: '50' }));
  expect(open.list.map((o) => o.orderId).sort()).toEqual([...resting].sort());
  // The newest closed orders are kept, the older forgotten (with their orderLinkIds).
  expect(filled.slice(-10).every((id) => main.orders.has(id))).toBe(true);
  expect(filled.slice(0, -10).some((id) => main.orders.has(id))).toBe(false);
  expect(main.ordersByLinkId.has('mkt-0')).toBe(false);
  expect(main.ordersByLinkId.get('mkt-59')?.orderId).toBe(filled[59]);
  // Queries page over what is kept, newest first.
  const execs = ex.trading.executions(main, new Params({ category: 'linear', limit: '100' }));
  expect(execs.list).toHaveLength(8);
  expect(execs.list[0]!.orderId).toBe(filled[59]);
  const pnl = ex.trading.closedPnl(main, new Params({ category: 'linear', limit: '100' }));
  expect(pnl.list).toHaveLength(4);
  const history = ex.trading.history(main, new Params({ category: 'linear', limit: '50' }));
  expect(history.list.map((o) => o.orderId)).toEqual(filled.slice(-10).reverse());
});

test('an open order is kept however many orders close after it, and closes into the ring', () => {
  const { ex, main, order } = boot();
  main.setRetention({ closedOrders: 3 });
  const early = order({ side: 'Sell', orderType: 'Limit', price: '99000' }).orderId;
  for (let i = 0; i < 50; i++) order({ side: i % 2 ? 'Sell' : 'Buy', orderType: 'Market' });
  expect(main.orders.get(early)?.status).toBe('New');
  expect(main.orders.size).toBe(1 + 3);
  // Cancelled, it is the newest closed order: kept until three more orders close.
  ex.trading.cancel(main, new Params({ category: 'linear', symbol: 'BTCUSDT', orderId: early }));
  expect(main.orders.get(early)?.status).toBe('Cancelled');
  order({ side: 'Buy', orderType: 'Market' });
  order({ side: 'Sell', orderType: 'Market' });
  expect(main.orders.has(early)).toBe(true);
  order({ side: 'Buy', orderType: 'Market' });
  expect(main.orders.has(early)).toBe(false);
  expect(main.orders.size).toBe(3);
});

test('a forgotten orderLinkId may be used again; a remembered one may not', () => {
  const { main, order } = boot();
  main.setRetention({ closedOrders: 2 });
  order({ side: 'Buy', orderType: 'Market', orderLinkId: 'again' });
  expect(() => order({ side: 'Sell', orderType: 'Market', orderLinkId: 'again' })).toThrow(ExchangeError);
  order({ side: 'Sell', orderType: 'Market' });
  order({ side: 'Buy', orderType: 'Market' });
  expect(main.ordersByLinkId.has('again')).toBe(false);
  expect(order({ side: 'Sell', orderType: 'Market', orderLinkId: 'again' }).orderLinkId).toBe('again');
});

test('shrinking the retention forgets the oldest at once; memory stays flat over many orders', () => {
  const { main, order } = boot();
  for (let i = 0; i < 300; i++) order({ side: i % 2 ? 'Sell' : 'Buy', orderType: 'Market' });
  expect(main.orders.size).toBe(300);
  main.setRetention({ closedOrders: 50, executions: 40, closedPnl: 30 });
  expect(main.orders.size).toBe(50);
  expect(main.executions.length).toBe(40);
  expect(main.closedPnl.length).toBe(30);
  for (let i = 0; i < 1000; i++) order({ side: i % 2 ? 'Sell' : 'Buy', orderType: 'Market' });
  expect(main.orders.size).toBe(50);
  expect(main.executions.length).toBe(40);
  expect(main.closedPnl.length).toBe(30);
});
