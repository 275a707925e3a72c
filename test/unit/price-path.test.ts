import { expect, test } from 'vitest';
import { buildInstrument } from '../../src/core/instruments/instrument.js';
import { historyCandle, derivedCandle, type HistoryContext } from '../../src/core/market/history.js';
import { HistoricalPath } from '../../src/core/market/price-path.js';
import type { InstrumentSpec } from '../../src/core/seed.js';

const START = Date.UTC(2026, 0, 1, 12, 0, 0);
const START_MINUTE = START / 60_000;
const MINUTES_PER_YEAR = 525_600;

const path = (seed = 42, symbol = 'BTCUSDT', start = START, price = 65_000, vol = 0.6) =>
  new HistoricalPath(seed, symbol, start, price, vol);

/** Minutes spread over the past ~3 years (several top-level blocks) and a little after start. */
const sampleMinutes = (() => {
  const out: number[] = [];
  for (let i = 0; i < 60; i++) out.push(START_MINUTE - i);
  for (let i = 1; i <= 40; i++) out.push(START_MINUTE - i * 37_813);
  for (let i = 1; i <= 10; i++) out.push(START_MINUTE + i * 977);
  return out;
})();

const relDiff = (a: number, b: number) => Math.abs(a - b) / Math.abs(b);

function btcSpec(overrides: Partial<InstrumentSpec> = {}): InstrumentSpec {
  return {
    symbol: 'BTCUSDT',
    category: 'linear',
    baseCoin: 'BTC',
    quoteCoin: 'USDT',
    settleCoin: 'USDT',
    status: 'Trading',
    tickSize: '0.1',
    qtyStep: '0.001',
    minOrderQty: '0.001',
    maxOrderQty: '1190',
    maxMarketOrderQty: '500',
    minNotional: '5',
    maxNotional: '0',
    minPrice: '0.1',
    maxPrice: '1999999.8',
    maxLeverage: '100',
    makerFee: '0.0002',
    takerFee: '0.00055',
    launchTime: '1585526400000',
    fundingIntervalMinutes: 480,
    ...overrides,
  };
}

test('the path is pinned: the price at the start time is the start price', () => {
  for (const [seed, symbol, start, price, vol] of [
    [42, 'BTCUSDT', START, 65_000, 0.6],
    [1, 'ETHUSDT', START + 12_345, 3_200.5, 0.8],
    [7, 'SOLUSDT', Date.UTC(2020, 5, 3, 0, 0, 0), 0.0123, 2],
    [999, 'X', 0, 1, 0.1],
  ] as const) {
    const p = path(seed, symbol, start, price, vol);
    expect(relDiff(p.priceAt(start), price), `${symbol}`).toBeLessThan(1e-9);
    expect(relDiff(p.priceAtMinute(Math.floor(start / 60_000)), price)).toBeLessThan(1e-9);
  }
});

test('priceAt takes the price at the start of the minute', () => {
  const p = path();
  const m = START_MINUTE - 1_000;
  expect(p.priceAt(m * 60_000)).toBe(p.priceAtMinute(m));
  expect(p.priceAt(m * 60_000 + 59_999)).toBe(p.priceAtMinute(m));
  expect(p.priceAt(m * 60_000 + 60_000)).toBe(p.priceAtMinute(m + 1));
});

test('the same seed, symbol, start, price and volatility give identical prices', () => {
  const a = path();
  const b = path();
  for (const m of sampleMinutes) expect(a.priceAtMinute(m)).toBe(b.priceAtMinute(m));
});

test('a different seed gives a different path', () => {
  const a = path(42);
  const b = path(43);
  const differing = sampleMinutes.filter(
    (m) => m !== START_MINUTE && a.priceAtMinute(m) !== b.priceAtMinute(m),
  );
  expect(differing.length).toBe(sampleMinutes.length - 1);
});

test('a different symbol gives a different path', () => {
  const a = path(42, 'BTCUSDT');
  const b = path(42, 'ETHUSDT');
  const differing = sampleMinutes.filter(
    (m) => m !== START_MINUTE && a.priceAtMinute(m) !== b.priceAtMinute(m),
  );
  expect(differing.length).toBe(sampleMinutes.length - 1);
});

test('the value of a minute does not depend on which minutes were asked for before', () => {
  const forward = path();
  const backward = path();
  const shuffled = path();
  const fwd = new Map(sampleMinutes.map((m) => [m, forward.priceAtMinute(m)]));
  const bwd = new Map([...sampleMinutes].reverse().map((m) => [m, backward.priceAtMinute(m)]));
  // A fixed interleaving: odd positions first, then even ones.
  const order = [
    ...sampleMinutes.filter((_, i) => i % 2 === 1),
    ...sampleMinutes.filter((_, i) => i % 2 === 0),
  ];
  const shf = new Map(order.map((m) => [m, shuffled.priceAtMinute(m)]));
  for (const m of sampleMinutes) {
    expect(bwd.get(m)).toBe(fwd.get(m));
    expect(shf.get(m)).toBe(fwd.get(m));
  }
  // And a fresh path asked for one single minute agrees too.
  for (const m of [sampleMinutes[5]!, sampleMinutes[70]!, sampleMinutes.at(-1)!]) {
    expect(path().priceAtMinute(m)).toBe(fwd.get(m));
  }
});

test('repeated reads of the same minute are identical, even after many other reads', () => {
  const p = path();
  const m = START_MINUTE - 123_456;
  const first = p.priceAtMinute(m);
  for (let i = 0; i < 3_000; i++) p.priceAtMinute(START_MINUTE - 1_000_000 + i * 311);
  expect(p.priceAtMinute(m)).toBe(first);
});

test('zero volatility gives a flat path at the start price', () => {
  const p = path(42, 'BTCUSDT', START, 65_000, 0);
  const atStart = p.priceAt(START);
  for (const m of sampleMinutes) expect(p.priceAtMinute(m)).toBe(atStart);
  expect(relDiff(atStart, 65_000)).toBeLessThan(1e-12);
});

test('prices stay positive and finite far from the start', () => {
  const p = path(5, 'BTCUSDT', START, 65_000, 1.5);
  for (const m of sampleMinutes) {
    const v = p.priceAtMinute(m);
    expect(Number.isFinite(v) && v > 0).toBe(true);
  }
});

test('one-minute log returns have a standard deviation close to volatility / sqrt(525600)', () => {
  for (const [seed, vol] of [
    [42, 0.6],
    [7, 1.2],
  ] as const) {
    const p = path(seed, 'BTCUSDT', START, 65_000, vol);
    const n = 5_000;
    const returns: number[] = [];
    let prev = Math.log(p.priceAtMinute(START_MINUTE - n));
    for (let m = START_MINUTE - n + 1; m <= START_MINUTE; m++) {
      const cur = Math.log(p.priceAtMinute(m));
      returns.push(cur - prev);
      prev = cur;
    }
    const mean = returns.reduce((s, r) => s + r, 0) / returns.length;
    const sd = Math.sqrt(returns.reduce((s, r) => s + (r - mean) ** 2, 0) / (returns.length - 1));
    const expected = vol / Math.sqrt(MINUTES_PER_YEAR);
    expect(p.minuteSigma).toBeCloseTo(expected, 15);
    expect(sd / expected, `seed ${seed}`).toBeGreaterThan(0.9);
    expect(sd / expected, `seed ${seed}`).toBeLessThan(1.1);
  }
});

test('hourly log returns scale with the square root of time (no mean reversion inside a block)', () => {
  const p = path(11, 'BTCUSDT', START, 65_000, 0.6);
  const n = 2_000;
  const returns: number[] = [];
  for (let i = 0; i < n; i++) {
    const m = START_MINUTE - (i + 1) * 60;
    returns.push(Math.log(p.priceAtMinute(m + 60)) - Math.log(p.priceAtMinute(m)));
  }
  const sd = Math.sqrt(returns.reduce((s, r) => s + r * r, 0) / n);
  const expected = (0.6 / Math.sqrt(MINUTES_PER_YEAR)) * Math.sqrt(60);
  expect(sd / expected).toBeGreaterThan(0.85);
  expect(sd / expected).toBeLessThan(1.15);
});

test('noise is deterministic per key', () => {
  const a = path();
  const b = path();
  expect(a.noise(1, 2, 3)).toBe(b.noise(1, 2, 3));
  expect(a.noise(1, 2, 3)).not.toBe(a.noise(1, 2, 4));
});

function ctx(p = path()): HistoryContext {
  return { path: p, instrument: buildInstrument(btcSpec()), stepsPerMinute: 4 * 4 * 240 };
}

test('a history candle has low <= open, close <= high and a non-negative volume', () => {
  const c = ctx();
  const spans = [60_000, 5 * 60_000, 3_600_000, 12 * 3_600_000, 86_400_000];
  for (const span of spans) {
    for (let i = 1; i <= 40; i++) {
      const start = START - i * span * 3;
      const k = historyCandle(c, start, start + span);
      expect(k.start).toBe(start);
      expect(k.low).toBeLessThanOrEqual(Math.min(k.open, k.close));
      expect(k.high).toBeGreaterThanOrEqual(Math.max(k.open, k.close));
      expect(k.low).toBeGreaterThan(0);
      expect(k.volume).toBeGreaterThanOrEqual(0);
      expect(k.turnover).toBeGreaterThanOrEqual(0);
      for (const v of [k.open, k.high, k.low, k.close, k.volume]) expect(Number.isInteger(v)).toBe(true);
    }
  }
});

test('a history candle is identical on repeated calls and across path instances', () => {
  const a = ctx();
  const b = ctx();
  for (let i = 1; i <= 20; i++) {
    const start = START - i * 3_600_000;
    const first = historyCandle(a, start, start + 3_600_000);
    expect(historyCandle(a, start, start + 3_600_000)).toEqual(first);
    expect(historyCandle(b, start, start + 3_600_000)).toEqual(first);
  }
});

test('a history candle opens and closes on the path, in ticks', () => {
  const c = ctx();
  const start = START - 7 * 3_600_000;
  const k = historyCandle(c, start, start + 3_600_000);
  expect(k.open).toBe(Math.round(c.path.priceAt(start) / 0.1));
  expect(k.close).toBe(Math.round(c.path.priceAt(start + 3_600_000) / 0.1));
});

test('consecutive history candles chain: each close is the next open', () => {
  const c = ctx();
  let prev = historyCandle(c, START - 100 * 60_000, START - 99 * 60_000);
  for (let i = 99; i > 1; i--) {
    const k = historyCandle(c, START - i * 60_000, START - (i - 1) * 60_000);
    expect(k.open).toBe(prev.close);
    prev = k;
  }
});

test('a derived (mark or index) candle stays ordered and within a small basis of its base', () => {
  const c = ctx();
  for (let i = 1; i <= 30; i++) {
    const start = START - i * 3_600_000;
    const base = historyCandle(c, start, start + 3_600_000);
    const d = derivedCandle(c, base, 7);
    expect(d.low).toBeLessThanOrEqual(Math.min(d.open, d.close));
    expect(d.high).toBeGreaterThanOrEqual(Math.max(d.open, d.close));
    expect(Math.abs(d.close - base.close) / base.close).toBeLessThan(0.005);
    expect(derivedCandle(c, base, 7)).toEqual(d);
  }
});
