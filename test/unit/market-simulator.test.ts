import { expect, test } from 'vitest';
import { ManualClock } from '../../src/core/clock.js';
import { Exchange } from '../../src/core/exchange.js';
import { fundingRateAt, fundingTimes, nextFundingTime } from '../../src/core/market/funding.js';
import type { ExchangeSeed, InstrumentSpec, MarketSpec } from '../../src/core/seed.js';

const START = Date.UTC(2026, 0, 1, 12, 0, 0);
const TICK_MS = 250;
const EIGHT_HOURS = 8 * 3_600_000;

function instrument(category: 'spot' | 'linear', symbol: string, base: string): InstrumentSpec {
  const linear = category === 'linear';
  return {
    symbol,
    category,
    baseCoin: base,
    quoteCoin: 'USDT',
    settleCoin: 'USDT',
    status: 'Trading',
    tickSize: linear ? '0.1' : '0.01',
    qtyStep: linear ? '0.001' : '0.000001',
    minOrderQty: linear ? '0.001' : '0.000048',
    maxOrderQty: linear ? '1190' : '71.73956243',
    maxMarketOrderQty: linear ? '500' : '4.52',
    minNotional: linear ? '5' : '1',
    maxNotional: linear ? '0' : '2000000',
    minPrice: linear ? '0.1' : '0.01',
    maxPrice: linear ? '1999999.8' : '1999999.99',
    maxLeverage: linear ? '100' : '1',
    makerFee: '0.0002',
    takerFee: '0.00055',
    launchTime: '1585526400000',
    fundingIntervalMinutes: 480,
  };
}

function market(price: string, volatility = 0.6): MarketSpec {
  return {
    price,
    volatility,
    tickIntervalMs: TICK_MS,
    tradesPerTick: 2,
    tradeQty: '0.01',
    book: { depth: 50, spreadTicks: 1, levelGapTicks: 1, levelQty: '0.5' },
    fundingRate: '0.0001',
  };
}

function makeSeed(seed = 42): ExchangeSeed {
  return {
    seed,
    startTime: START,
    instruments: [
      instrument('linear', 'BTCUSDT', 'BTC'),
      instrument('spot', 'BTCUSDT', 'BTC'),
      {
        ...instrument('linear', 'ETHUSDT', 'ETH'),
        tickSize: '0.01',
        qtyStep: '0.01',
        minOrderQty: '0.01',
        minPrice: '0.01',
      },
    ],
    markets: {
      BTCUSDT: market('65000'),
      ETHUSDT: { ...market('3200'), tradeQty: '0.5', book: { ...market('3200').book, levelQty: '10' } },
    },
    accounts: [],
  };
}

function boot(seed = 42, startTicking = true) {
  const clock = new ManualClock(START);
  const ex = new Exchange(makeSeed(seed), clock);
  if (startTicking) ex.start();
  return { clock, ex };
}

/** Everything public a client can read for one instrument. */
function snapshot(ex: Exchange, category: 'spot' | 'linear', symbol: string) {
  return JSON.stringify({
    tickers: ex.tickers(category, symbol),
    book: ex.orderbook(category, symbol, 50),
    trades: ex.recentTrades(category, symbol, 60),
    k1: ex.klines('trade', category, symbol, { interval: '1', limit: 30 }),
    k60: ex.klines('trade', category, symbol, { interval: '60', limit: 30 }),
  });
}

const lastPrice = (ex: Exchange, category: 'spot' | 'linear', symbol = 'BTCUSDT') =>
  Number(ex.tickers(category, symbol).list[0]!.lastPrice);

test('past klines are identical across two exchanges with the same seed and across repeated reads', () => {
  const a = boot(42, false).ex;
  const b = boot(42, false).ex;
  const queries = [
    { interval: '1', start: START - 3 * 3_600_000, end: START - 3_600_000, limit: 200 },
    { interval: '60', start: START - 10 * 86_400_000, end: START - 1, limit: 200 },
    { interval: 'D', limit: 100 },
    { interval: 'W', limit: 20 },
    { interval: 'M', limit: 12 },
  ] as const;
  for (const q of queries) {
    for (const kind of ['trade', 'mark', 'index'] as const) {
      const first = JSON.stringify(a.klines(kind, 'linear', 'BTCUSDT', q));
      expect(JSON.stringify(a.klines(kind, 'linear', 'BTCUSDT', q)), `${kind} ${q.interval}`).toBe(first);
      expect(JSON.stringify(b.klines(kind, 'linear', 'BTCUSDT', q)), `${kind} ${q.interval}`).toBe(first);
    }
  }
  const rows = a.klines('trade', 'linear', 'BTCUSDT', queries[0]).list;
  expect(rows.length).toBe(121);
  expect(Number(rows[0]![0])).toBe(START - 3_600_000);
  expect(Number(rows.at(-1)![0])).toBe(START - 3 * 3_600_000);
});

test('past klines do not change once the simulation has run', () => {
  const { clock, ex } = boot();
  const q = { interval: '5', start: START - 86_400_000, end: START - 1, limit: 300 } as const;
  const before = JSON.stringify(ex.klines('trade', 'linear', 'BTCUSDT', q));
  clock.advance(120_000);
  expect(JSON.stringify(ex.klines('trade', 'linear', 'BTCUSDT', q))).toBe(before);
});

test('past kline rows are well formed: newest first, one bucket apart, low <= open, close <= high', () => {
  const { ex } = boot(42, false);
  const rows = ex.klines('trade', 'linear', 'BTCUSDT', { interval: '15', end: START - 1, limit: 200 }).list;
  expect(rows).toHaveLength(200);
  for (let i = 0; i < rows.length; i++) {
    const [t, o, h, l, c, v] = rows[i]!.map(Number) as [number, number, number, number, number, number];
    expect(l).toBeLessThanOrEqual(Math.min(o, c));
    expect(h).toBeGreaterThanOrEqual(Math.max(o, c));
    expect(v).toBeGreaterThanOrEqual(0);
    if (i > 0) expect(Number(rows[i - 1]![0]) - t).toBe(15 * 60_000);
  }
});

test('two exchanges with the same seed show identical tickers, books and trades after the same ticks', () => {
  const a = boot();
  const b = boot();
  for (const step of [TICK_MS, 10_000, 60_000, 3_000]) {
    a.clock.advance(step);
    b.clock.advance(step);
    for (const [category, symbol] of [
      ['linear', 'BTCUSDT'],
      ['spot', 'BTCUSDT'],
      ['linear', 'ETHUSDT'],
    ] as const) {
      expect(snapshot(b.ex, category, symbol)).toBe(snapshot(a.ex, category, symbol));
    }
  }
});

test('the same seed gives the same market whether the clock moves in one jump or in small steps', () => {
  const a = boot();
  const b = boot();
  a.clock.advance(30_000);
  for (let i = 0; i < 300; i++) b.clock.advance(100);
  expect(snapshot(b.ex, 'linear', 'BTCUSDT')).toBe(snapshot(a.ex, 'linear', 'BTCUSDT'));
  expect(snapshot(b.ex, 'spot', 'BTCUSDT')).toBe(snapshot(a.ex, 'spot', 'BTCUSDT'));
});

test('reading market data does not change it', () => {
  const a = boot();
  const b = boot();
  for (let i = 0; i < 20; i++) {
    a.clock.advance(1_000);
    b.clock.advance(1_000);
    snapshot(a.ex, 'linear', 'BTCUSDT');
    a.ex.tickers('spot');
  }
  expect(snapshot(a.ex, 'linear', 'BTCUSDT')).toBe(snapshot(b.ex, 'linear', 'BTCUSDT'));
});

test('nothing moves before start()', () => {
  const idle = boot(42, false);
  const before = snapshot(idle.ex, 'linear', 'BTCUSDT');
  idle.clock.advance(60_000);
  const after = JSON.parse(snapshot(idle.ex, 'linear', 'BTCUSDT'));
  expect(after.book).toEqual(JSON.parse(before).book);
  expect(after.trades).toEqual(JSON.parse(before).trades);
  expect(after.tickers.list[0].lastPrice).toBe(JSON.parse(before).tickers.list[0].lastPrice);
});

test('at boot the last trade is at the start price, inside the book, and the current candle closes at it', () => {
  const { ex } = boot(42, false);
  for (const category of ['linear', 'spot'] as const) {
    const ticker = ex.tickers(category, 'BTCUSDT').list[0]!;
    const [current] = ex.klines('trade', category, 'BTCUSDT', { interval: '1', limit: 1 }).list;
    expect(Number(ticker.lastPrice), category).toBe(65_000);
    expect(ex.recentTrades(category, 'BTCUSDT', 1).list[0]!.price, category).toBe(ticker.lastPrice);
    expect(current![4], category).toBe(ticker.lastPrice);
    expect(Number(ticker.lastPrice)).toBeGreaterThanOrEqual(Number(ticker.bid1Price));
    expect(Number(ticker.lastPrice)).toBeLessThanOrEqual(Number(ticker.ask1Price));
  }
});

test('prices move once the simulation runs', () => {
  const { clock, ex } = boot();
  const seen = new Set<string>();
  for (let i = 0; i < 60; i++) {
    clock.advance(1_000);
    seen.add(ex.tickers('linear', 'BTCUSDT').list[0]!.lastPrice);
  }
  expect(seen.size).toBeGreaterThan(10);
});

test('stop() freezes the market', () => {
  const { clock, ex } = boot();
  clock.advance(5_000);
  ex.stop();
  const frozen = snapshot(ex, 'linear', 'BTCUSDT');
  const u = ex.orderbook('linear', 'BTCUSDT', 1).u;
  clock.advance(5_000);
  expect(ex.orderbook('linear', 'BTCUSDT', 1).u).toBe(u);
  expect(JSON.parse(snapshot(ex, 'linear', 'BTCUSDT')).trades).toEqual(JSON.parse(frozen).trades);
});

test('a different seed gives different prices', () => {
  const a = boot(42);
  const b = boot(43);
  a.clock.advance(60_000);
  b.clock.advance(60_000);
  expect(a.ex.tickers('linear', 'BTCUSDT').list[0]!.lastPrice).not.toBe(
    b.ex.tickers('linear', 'BTCUSDT').list[0]!.lastPrice,
  );
  expect(JSON.stringify(a.ex.orderbook('linear', 'BTCUSDT', 50))).not.toBe(
    JSON.stringify(b.ex.orderbook('linear', 'BTCUSDT', 50)),
  );
  const q = { interval: '60', end: START - 1, limit: 24 } as const;
  expect(JSON.stringify(a.ex.klines('trade', 'linear', 'BTCUSDT', q))).not.toBe(
    JSON.stringify(b.ex.klines('trade', 'linear', 'BTCUSDT', q)),
  );
});

test('order books are sorted (bids strictly descending, asks strictly ascending) and never crossed', () => {
  const { clock, ex } = boot();
  for (let i = 0; i < 200; i++) {
    clock.advance(TICK_MS * (1 + (i % 3)));
    for (const category of ['linear', 'spot'] as const) {
      const book = ex.orderbook(category, 'BTCUSDT', 50);
      expect(book.b.length).toBeGreaterThan(0);
      expect(book.a.length).toBeGreaterThan(0);
      const bids = book.b.map(([p]) => Number(p));
      const asks = book.a.map(([p]) => Number(p));
      for (let j = 1; j < bids.length; j++) expect(bids[j]!).toBeLessThan(bids[j - 1]!);
      for (let j = 1; j < asks.length; j++) expect(asks[j]!).toBeGreaterThan(asks[j - 1]!);
      expect(bids[0]!).toBeLessThan(asks[0]!);
      for (const [, size] of [...book.b, ...book.a]) expect(Number(size)).toBeGreaterThan(0);
    }
  }
});

test('the ticker shows the top of the book', () => {
  const { clock, ex } = boot();
  clock.advance(7_000);
  const t = ex.tickers('linear', 'BTCUSDT').list[0]!;
  const book = ex.orderbook('linear', 'BTCUSDT', 1);
  expect(t.bid1Price).toBe(book.b[0]![0]);
  expect(t.bid1Size).toBe(book.b[0]![1]);
  expect(t.ask1Price).toBe(book.a[0]![0]);
  expect(t.ask1Size).toBe(book.a[0]![1]);
});

test('the orderbook update id u grows by exactly 1 per tick', () => {
  const { clock, ex } = boot();
  let u = ex.orderbook('linear', 'BTCUSDT', 1).u;
  for (let i = 0; i < 50; i++) {
    clock.advance(TICK_MS);
    const next = ex.orderbook('linear', 'BTCUSDT', 1);
    expect(next.u).toBe(u + 1);
    expect(next.ts).toBe(clock.now());
    u = next.u;
  }
  clock.advance(TICK_MS * 10);
  expect(ex.orderbook('linear', 'BTCUSDT', 1).u).toBe(u + 10);
  // Between ticks nothing changes.
  clock.advance(TICK_MS - 1);
  expect(ex.orderbook('linear', 'BTCUSDT', 1).u).toBe(u + 10);
});

test('recent trades are newest first and the newest one is the ticker last price', () => {
  const { clock, ex } = boot();
  for (let i = 0; i < 20; i++) {
    clock.advance(3_000);
    const trades = ex.recentTrades('linear', 'BTCUSDT', 100).list;
    expect(trades[0]!.price).toBe(ex.tickers('linear', 'BTCUSDT').list[0]!.lastPrice);
    for (let j = 1; j < trades.length; j++) {
      expect(Number(trades[j]!.time)).toBeLessThanOrEqual(Number(trades[j - 1]!.time));
      expect(Number(trades[j]!.seq)).toBeLessThan(Number(trades[j - 1]!.seq));
    }
  }
});

test('the current 1-minute candle closes at the last trade price', () => {
  const { clock, ex } = boot();
  for (let i = 0; i < 40; i++) {
    clock.advance(7_300);
    const [current] = ex.klines('trade', 'linear', 'BTCUSDT', { interval: '1', limit: 1 }).list;
    expect(Number(current![0])).toBe(Math.floor(clock.now() / 60_000) * 60_000);
    expect(current![4]).toBe(ex.tickers('linear', 'BTCUSDT').list[0]!.lastPrice);
    expect(current![4]).toBe(ex.recentTrades('linear', 'BTCUSDT', 1).list[0]!.price);
  }
});

test('a new minute opens a new candle at the previous close', () => {
  const { clock, ex } = boot();
  clock.advance(10 * 60_000 + 1_000);
  const rows = ex.klines('trade', 'linear', 'BTCUSDT', {
    interval: '1',
    start: START - 5 * 60_000,
    end: clock.now(),
    limit: 100,
  }).list;
  expect(rows).toHaveLength(16);
  for (let i = 0; i + 1 < rows.length; i++) {
    const newer = rows[i]!;
    const older = rows[i + 1]!;
    expect(Number(newer[0]) - Number(older[0])).toBe(60_000);
    expect(newer[1], `open of ${newer[0]}`).toBe(older[4]);
  }
  // Live candles really trade: each full live minute has volume and a range.
  for (const row of rows.slice(1, 10)) {
    expect(Number(row[5])).toBeGreaterThan(0);
    expect(Number(row[3])).toBeLessThanOrEqual(Math.min(Number(row[1]), Number(row[4])));
    expect(Number(row[2])).toBeGreaterThanOrEqual(Math.max(Number(row[1]), Number(row[4])));
  }
});

test('hourly candles join history and live data at the same price', () => {
  const { clock, ex } = boot();
  clock.advance(3_600_000 + 5_000);
  const rows = ex.klines('trade', 'linear', 'BTCUSDT', { interval: '60', limit: 5 }).list;
  expect(rows.map((r) => Number(r[0]))).toEqual([0, 1, 2, 3, 4].map((i) => START + (1 - i) * 3_600_000));
  for (let i = 0; i + 1 < rows.length; i++) expect(rows[i]![1]).toBe(rows[i + 1]![4]);
});

test('spot and linear of the same symbol track each other', () => {
  const { clock, ex } = boot();
  for (let minute = 1; minute <= 10; minute++) {
    clock.advance(60_000);
    const spot = lastPrice(ex, 'spot');
    const linear = lastPrice(ex, 'linear');
    expect(Math.abs(spot - linear) / linear, `minute ${minute}`).toBeLessThan(0.005);
  }
  // They did move away from the start price in the meantime.
  expect(lastPrice(ex, 'linear')).not.toBe(65_000);
});

test('different symbols move independently', () => {
  const { clock, ex } = boot();
  clock.advance(5 * 60_000);
  expect(lastPrice(ex, 'linear', 'ETHUSDT')).toBeGreaterThan(3_000);
  expect(lastPrice(ex, 'linear', 'ETHUSDT')).toBeLessThan(3_400);
  expect(lastPrice(ex, 'linear', 'BTCUSDT')).toBeGreaterThan(60_000);
});

test('funding settlement times are multiples of 8 hours, newest first, not after now', () => {
  const now = START + 5 * 3_600_000 + 1_234;
  const launch = Date.UTC(2020, 0, 1);
  const times = fundingTimes(now, 480, launch, { limit: 10 });
  expect(times).toHaveLength(10);
  expect(times[0]).toBe(Date.UTC(2026, 0, 1, 16)); // the last settlement before 17:00:01
  for (let i = 0; i < times.length; i++) {
    expect(times[i]! % EIGHT_HOURS).toBe(0);
    expect(times[i]!).toBeLessThanOrEqual(now);
    if (i > 0) expect(times[i - 1]! - times[i]!).toBe(EIGHT_HOURS);
  }
  expect(fundingTimes(Date.UTC(2026, 0, 1, 8), 480, launch, { limit: 1 })).toEqual([Date.UTC(2026, 0, 1, 8)]);
});

test('funding times respect startTime, endTime and the launch time', () => {
  const now = Date.UTC(2026, 0, 10);
  const t = (d: number, h: number) => Date.UTC(2026, 0, d, h);
  expect(fundingTimes(now, 480, 0, { startTime: t(2, 0), endTime: t(3, 0), limit: 200 })).toEqual([
    t(3, 0),
    t(2, 16),
    t(2, 8),
    t(2, 0),
  ]);
  expect(fundingTimes(now, 480, t(9, 1), { limit: 200 })).toEqual([t(10, 0), t(9, 16), t(9, 8)]);
  expect(fundingTimes(now, 480, 0, { endTime: now + 10 * EIGHT_HOURS, limit: 1 })).toEqual([now]);
  expect(fundingTimes(now, 480, 0, { startTime: t(5, 1), endTime: t(5, 7), limit: 200 })).toEqual([]);
});

test('the next funding time is the next multiple of the interval strictly after now', () => {
  expect(nextFundingTime(Date.UTC(2026, 0, 1, 5), 480)).toBe(Date.UTC(2026, 0, 1, 8));
  expect(nextFundingTime(Date.UTC(2026, 0, 1, 8), 480)).toBe(Date.UTC(2026, 0, 1, 16));
  expect(nextFundingTime(Date.UTC(2026, 0, 1, 23, 59), 480)).toBe(Date.UTC(2026, 0, 2));
});

test('funding rates are stable per settlement, vary a little around the base rate and differ by symbol', () => {
  const times = fundingTimes(START, 480, 0, { limit: 50 });
  const rates = times.map((t) => fundingRateAt(42, 'BTCUSDT', '0.0001', t));
  expect(times.map((t) => fundingRateAt(42, 'BTCUSDT', '0.0001', t))).toEqual(rates);
  expect(new Set(rates).size).toBeGreaterThan(10);
  for (const r of rates) {
    expect(r).toMatch(/^-?\d+(\.\d{1,8})?$/);
    expect(Math.abs(Number(r) - 0.0001)).toBeLessThan(0.0002);
  }
  expect(times.map((t) => fundingRateAt(42, 'ETHUSDT', '0.0001', t))).not.toEqual(rates);
  expect(times.map((t) => fundingRateAt(43, 'BTCUSDT', '0.0001', t))).not.toEqual(rates);
});

test('the exchange serves funding history from the same pure functions, identically across instances', () => {
  const a = boot(42, false).ex;
  const b = boot(42, false).ex;
  const h = a.fundingHistory('linear', 'BTCUSDT', { limit: 5 });
  expect(b.fundingHistory('linear', 'BTCUSDT', { limit: 5 })).toEqual(h);
  expect(h.list).toHaveLength(5);
  for (let i = 0; i < h.list.length; i++) {
    const row = h.list[i]!;
    expect(Number(row.fundingRateTimestamp) % EIGHT_HOURS).toBe(0);
    expect(row.fundingRate).toBe(fundingRateAt(42, 'BTCUSDT', '0.0001', Number(row.fundingRateTimestamp)));
    if (i > 0)
      expect(Number(h.list[i - 1]!.fundingRateTimestamp) - Number(row.fundingRateTimestamp)).toBe(
        EIGHT_HOURS,
      );
  }
});
