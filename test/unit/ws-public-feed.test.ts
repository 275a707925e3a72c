/**
 * Public WebSocket feeds against a real simulated market on a manual clock, no sockets: what a
 * client rebuilds from the frames must equal the market (orderbook, tickers), nothing is lost or
 * repeated (publicTrade) and klines close exactly once. Frames are driven as the hub drives them:
 * one updateFrames per market event (simulator tick or engine command).
 * @see ../shared/reference/bybit-v5-facts.md §8.6; client-call-patterns §4.5
 */
import { describe, expect, test } from 'vitest';
import { ManualClock } from '../../src/core/clock.js';
import { Exchange } from '../../src/core/exchange.js';
import type { InstrumentMarket } from '../../src/core/market/instrument-market.js';
import { nextBucket } from '../../src/core/market/intervals.js';
import { Params } from '../../src/core/params.js';
import type { ExchangeSeed } from '../../src/core/seed.js';
import { KLINE_INTERVALS, type KlineInterval } from '../../src/core/types.js';
import { klineRow, orderbookView, priceStr, qtyStr } from '../../src/core/views/market-views.js';
import type { PublicTopic } from '../../src/ws/protocol.js';
import { initialFrame, updateFrames, type TopicState } from '../../src/ws/public-feed.js';
import { btcInstrument } from '../support/seeds.js';

const START = Date.UTC(2026, 0, 1, 12, 0, 30);
const TICK_MS = 1000;
const SYMBOL = 'BTCUSDT';

type Cat = 'linear' | 'spot';
type Level = [string, string];

interface BookData {
  s: string;
  b: Level[];
  a: Level[];
  u: number;
  seq: number;
}
interface BookFrame {
  topic: string;
  type: 'snapshot' | 'delta';
  ts: number;
  data: BookData;
  cts: number;
}
interface TickerFrame {
  topic: string;
  type: 'snapshot' | 'delta';
  data: Record<string, string>;
  cs: number;
  ts: number;
}
interface TradeFrame {
  topic: string;
  type: 'snapshot';
  ts: number;
  data: Record<string, unknown>[];
}
interface KlineItem {
  start: number;
  end: number;
  interval: string;
  open: string;
  close: string;
  high: string;
  low: string;
  volume: string;
  turnover: string;
  confirm: boolean;
  timestamp: number;
}
interface KlineFrame {
  topic: string;
  data: KlineItem[];
  ts: number;
  type: 'snapshot';
}

function makeSeed(volatility: number, depth: number, levelQty: string): ExchangeSeed {
  return {
    seed: 11,
    startTime: START,
    instruments: [btcInstrument('linear'), btcInstrument('spot')],
    markets: {
      [SYMBOL]: {
        price: '65000',
        volatility,
        tickIntervalMs: TICK_MS,
        tradesPerTick: 2,
        tradeQty: '0.01',
        book: { depth, spreadTicks: 2, levelGapTicks: 1, levelQty },
        fundingRate: '0.0001',
      },
    },
    accounts: [
      {
        name: 'main',
        apiKey: 'key-main',
        apiSecret: 'secret-main',
        permissions: 'trade',
        balances: { USDT: '1000000', BTC: '20' },
        positions: [],
        leverage: {},
      },
    ],
  };
}

function boot(o: { volatility?: number; depth?: number; levelQty?: string } = {}) {
  const clock = new ManualClock(START);
  const ex = new Exchange(makeSeed(o.volatility ?? 3, o.depth ?? 250, o.levelQty ?? '0.01'), clock);
  ex.start();
  return { clock, ex, seed: ex.seed.seed, main: ex.findAccount('main')! };
}

type Env = ReturnType<typeof boot>;

/** Takes liquidity with an immediate order (one engine command: one book version). */
function take(env: Env, category: Cat, side: 'Buy' | 'Sell', qty: string): void {
  const m = env.ex.market(category, SYMBOL);
  const inst = m.instrument;
  const best = side === 'Buy' ? m.book.bestAskTicks()! : m.book.bestBidTicks()!;
  const price = priceStr(inst, side === 'Buy' ? best + 8 : best - 8);
  env.ex.trading.create(
    env.main,
    new Params({ category, symbol: SYMBOL, side, orderType: 'Limit', timeInForce: 'IOC', qty, price }),
  );
}

/**
 * A topic driven like the hub drives it: updateFrames on every market event of its instrument.
 * `frames` holds everything published, the subscribe frame first.
 */
function subscribe(env: Env, category: Cat, topic: string, parsed: PublicTopic) {
  const m = env.ex.market(category, SYMBOL);
  const first = initialFrame(topic, parsed, m, env.clock.now(), env.seed, undefined);
  const state: TopicState = first.state;
  const frames: object[] = first.frame ? [first.frame] : [];
  const onEvent = (e: { key: string }) => {
    if (e.key !== m.instrument.key) return;
    frames.push(...updateFrames(topic, state, m, env.clock.now(), env.seed));
  };
  env.ex.bus.on('marketTick', onEvent);
  env.ex.bus.on('marketChange', onEvent);
  return { m, state, frames, first: first.frame };
}

// ---- orderbook ---------------------------------------------------------------------------------

/** A client's local book: snapshot replaces, delta rows insert/replace, size "0" deletes. */
class LocalBook {
  bids = new Map<string, string>();
  asks = new Map<string, string>();
  u = 0;
  deltas = 0;
  snapshots = 0;

  apply(f: BookFrame): void {
    if (f.type === 'snapshot') {
      this.snapshots += 1;
      this.bids = new Map(f.data.b);
      this.asks = new Map(f.data.a);
    } else {
      this.deltas += 1;
      expect(f.data.u, 'a delta moves u by exactly 1').toBe(this.u + 1);
      this.patch(this.bids, f.data.b);
      this.patch(this.asks, f.data.a);
    }
    this.u = f.data.u;
  }

  /** Plain checks (not expect) per row: this runs for every level of every delta. */
  private patch(side: Map<string, string>, rows: Level[]): void {
    const seen = new Set<string>();
    for (const [p, size] of rows) {
      if (seen.has(p)) throw new Error(`price ${p} twice in one delta`);
      seen.add(p);
      if (size === '0') {
        if (!side.delete(p)) throw new Error(`delete of unknown level ${p}`);
      } else {
        // Only changes are sent: a known level comes back only with a new size.
        if (side.get(p) === size) throw new Error(`unchanged level ${p} ${size} resent`);
        if (!(Number(size) > 0)) throw new Error(`bad size ${size} at ${p}`);
        side.set(p, size);
      }
    }
  }

  /** Best first, as the REST book lists it. */
  levels(): { b: Level[]; a: Level[] } {
    const b = [...this.bids].sort((x, y) => Number(y[0]) - Number(x[0]));
    const a = [...this.asks].sort((x, y) => Number(x[0]) - Number(y[0]));
    return { b, a };
  }
}

function expectBookEquals(local: LocalBook, m: InstrumentMarket, depth: number): void {
  const view = orderbookView(m, depth);
  expect(local.levels()).toEqual({ b: view.b, a: view.a });
  expect(view.b.length).toBe(Math.min(depth, m.book.bids.ticks.length));
  expect(local.u).toBe(m.book.u);
}

describe('orderbook: snapshot then deltas rebuild the book', () => {
  for (const category of ['linear', 'spot'] as const) {
    for (const depth of [50, 200]) {
      test(`${category} depth ${depth}: over ticks and account fills, u contiguous`, () => {
        const env = boot();
        const topic = `orderbook.${depth}.${SYMBOL}`;
        const sub = subscribe(env, category, topic, { kind: 'orderbook', depth, symbol: SYMBOL });
        const local = new LocalBook();
        let applied = 0;
        const drain = () => {
          for (; applied < sub.frames.length; applied++) {
            const f = sub.frames[applied] as BookFrame;
            expect(f.topic).toBe(topic);
            expect(f.data.s).toBe(SYMBOL);
            expect(f.data.seq).toBeLessThanOrEqual(sub.m.seq);
            local.apply(f);
          }
          expectBookEquals(local, sub.m, depth);
        };
        const first = sub.frames[0] as BookFrame;
        expect(first.type).toBe('snapshot');
        expect(first.data.b).toHaveLength(depth);
        expect(first.data.a).toHaveLength(depth);
        drain();

        const qty = category === 'linear' ? '0.05' : '0.03';
        for (let i = 0; i < 120; i++) {
          const uBefore = sub.m.book.u;
          env.clock.advance(TICK_MS);
          // One rebuild per tick: one delta per tick.
          expect(sub.m.book.u).toBe(uBefore + 1);
          drain();
          if (i % 3 === 0) {
            // An account order eats several levels between ticks: one delta, u + 1.
            const before = sub.frames.length;
            take(env, category, i % 2 === 0 ? 'Buy' : 'Sell', qty);
            expect(sub.m.book.u).toBe(uBefore + 2);
            expect(sub.frames.length).toBe(before + 1);
            expect((sub.frames[before] as BookFrame).type).toBe('delta');
            drain();
          }
        }
        expect(local.snapshots).toBe(1);
        expect(local.deltas).toBe(120 + 40);
        // With volatility the window moved: some deltas deleted levels with size "0".
        const deletes = sub.frames.filter((f) =>
          [...(f as BookFrame).data.b, ...(f as BookFrame).data.a].some(([, s]) => s === '0'),
        );
        expect(deletes.length).toBeGreaterThan(10);
      });
    }
  }

  test('a version that leaves the window unchanged still sends an (empty) delta: u stays contiguous', () => {
    // A thin book (5 levels, all inside the window), no volatility (prices never move) and one-step
    // levels: many rebuilds change nothing visible.
    const env = boot({ volatility: 0, depth: 5, levelQty: '0.001' });
    const depth = 50;
    const sub = subscribe(env, 'linear', `orderbook.${depth}.${SYMBOL}`, {
      kind: 'orderbook',
      depth,
      symbol: SYMBOL,
    });
    const local = new LocalBook();
    local.apply(sub.frames[0] as BookFrame);
    env.clock.advance(40 * TICK_MS);
    const deltas = sub.frames.slice(1) as BookFrame[];
    expect(deltas).toHaveLength(40);
    for (const f of deltas) {
      expect(f.type).toBe('delta');
      local.apply(f);
      // Prices never move here, so no level ever leaves the window.
      for (const [, s] of [...f.data.b, ...f.data.a]) expect(s).not.toBe('0');
    }
    expectBookEquals(local, sub.m, depth);
    const empty = deltas.filter((f) => f.data.b.length === 0 && f.data.a.length === 0);
    expect(empty.length).toBeGreaterThan(0);
    expect(empty.length).toBeLessThan(40);
  });

  test('several versions in one step (a gap in u) give a fresh snapshot, then deltas again', () => {
    const env = boot();
    const depth = 50;
    const topic = `orderbook.${depth}.${SYMBOL}`;
    const m = env.ex.market('linear', SYMBOL);
    // Not on the bus: updates only when this test says so.
    const { state, frame } = initialFrame(
      topic,
      { kind: 'orderbook', depth, symbol: SYMBOL },
      m,
      START,
      env.seed,
      undefined,
    );
    const local = new LocalBook();
    local.apply(frame as BookFrame);

    env.clock.advance(3 * TICK_MS);
    let frames = updateFrames(topic, state, m, env.clock.now(), env.seed) as BookFrame[];
    expect(frames).toHaveLength(1);
    expect(frames[0]!.type).toBe('snapshot');
    expect(frames[0]!.data.u).toBe(local.u + 3);
    local.apply(frames[0]!);
    expectBookEquals(local, m, depth);

    // Two commands (two versions) before the feed hears of them: a snapshot again.
    take(env, 'linear', 'Buy', '0.02');
    take(env, 'linear', 'Sell', '0.02');
    frames = updateFrames(topic, state, m, env.clock.now(), env.seed) as BookFrame[];
    expect(frames.map((f) => f.type)).toEqual(['snapshot']);
    local.apply(frames[0]!);
    expectBookEquals(local, m, depth);

    // Nothing new: nothing sent.
    expect(updateFrames(topic, state, m, env.clock.now(), env.seed)).toEqual([]);

    env.clock.advance(TICK_MS);
    frames = updateFrames(topic, state, m, env.clock.now(), env.seed) as BookFrame[];
    expect(frames.map((f) => f.type)).toEqual(['delta']);
    local.apply(frames[0]!);
    expectBookEquals(local, m, depth);
    expect(local.snapshots).toBe(3);
  });

  test('frame envelope: topic, type, ts (now), data{s,b,a,u,seq}, cts (book time)', () => {
    const env = boot();
    const m = env.ex.market('spot', SYMBOL);
    env.clock.advance(TICK_MS);
    const now = env.clock.now() + 7;
    const { frame } = initialFrame(
      `orderbook.200.${SYMBOL}`,
      { kind: 'orderbook', depth: 200, symbol: SYMBOL },
      m,
      now,
      env.seed,
      undefined,
    );
    const f = frame as BookFrame;
    expect(Object.keys(f)).toEqual(['topic', 'type', 'ts', 'data', 'cts']);
    expect(Object.keys(f.data)).toEqual(['s', 'b', 'a', 'u', 'seq']);
    expect(f).toMatchObject({ topic: `orderbook.200.${SYMBOL}`, type: 'snapshot', ts: now, cts: m.book.ts });
    expect(f.data).toMatchObject({ s: SYMBOL, u: m.book.u, seq: m.seq });
    const view = orderbookView(m, 200);
    expect(f.data.b).toEqual(view.b);
    expect(f.data.a).toEqual(view.a);
  });
});

// ---- level 1 -------------------------------------------------------------------------------------

describe('orderbook level 1: snapshot-only, re-sent after 3 s without change', () => {
  const top = (m: InstrumentMarket) => orderbookView(m, 1);

  test('same book: nothing before 3000 ms, the same snapshot (same u) at 3000 ms, and again 3 s later', () => {
    const env = boot();
    const m = env.ex.market('linear', SYMBOL);
    const topic = `orderbook.1.${SYMBOL}`;
    const t0 = env.clock.now();
    const { state, frame } = initialFrame(
      topic,
      { kind: 'orderbook', depth: 1, symbol: SYMBOL },
      m,
      t0,
      env.seed,
      undefined,
    );
    const f0 = frame as BookFrame;
    expect(f0.type).toBe('snapshot');
    expect(f0.data.b).toEqual(top(m).b);
    expect(f0.data.a).toEqual(top(m).a);
    expect(f0.data.b).toHaveLength(1);
    expect(f0.data.a).toHaveLength(1);
    // The market does not move (no tick): only time passes.
    for (const dt of [0, 1000, 2999]) expect(updateFrames(topic, state, m, t0 + dt, env.seed)).toEqual([]);
    const again = updateFrames(topic, state, m, t0 + 3000, env.seed) as BookFrame[];
    expect(again).toHaveLength(1);
    expect(again[0]!.type).toBe('snapshot');
    expect(again[0]!.data).toEqual(f0.data);
    expect(updateFrames(topic, state, m, t0 + 5999, env.seed)).toEqual([]);
    const third = updateFrames(topic, state, m, t0 + 6000, env.seed) as BookFrame[];
    expect(third).toHaveLength(1);
    expect(third[0]!.data.u).toBe(f0.data.u);
  });

  test('a version that leaves the top unchanged sends nothing; the resend keeps the old u', () => {
    const env = boot({ volatility: 0 });
    const m = env.ex.market('linear', SYMBOL);
    const topic = `orderbook.1.${SYMBOL}`;
    const { state, frame } = initialFrame(
      topic,
      { kind: 'orderbook', depth: 1, symbol: SYMBOL },
      m,
      START,
      env.seed,
      undefined,
    );
    let sent = frame as BookFrame;
    let sentAt = START;
    let quietSends = 0;
    let changeSends = 0;
    for (let i = 0; i < 80; i++) {
      env.clock.advance(TICK_MS);
      const now = env.clock.now();
      const frames = updateFrames(topic, state, m, now, env.seed) as BookFrame[];
      const t = top(m);
      const changed = JSON.stringify([t.b, t.a]) !== JSON.stringify([sent.data.b, sent.data.a]);
      if (changed) {
        expect(frames).toHaveLength(1);
        expect(frames[0]!.type).toBe('snapshot');
        expect(frames[0]!.data).toMatchObject({ b: t.b, a: t.a, u: m.book.u });
        sent = frames[0]!;
        sentAt = now;
        changeSends += 1;
      } else if (now - sentAt >= 3000) {
        expect(frames).toEqual([sent]);
        expect(frames[0]!.data.u).toBeLessThan(m.book.u);
        sentAt = now;
        quietSends += 1;
      } else {
        expect(frames).toEqual([]);
      }
    }
    expect(changeSends).toBeGreaterThan(3);
    expect(quietSends).toBeGreaterThan(0);
  });

  test('an account fill at the top is sent at once as a snapshot', () => {
    const env = boot();
    const sub = subscribe(env, 'spot', `orderbook.1.${SYMBOL}`, {
      kind: 'orderbook',
      depth: 1,
      symbol: SYMBOL,
    });
    env.clock.advance(TICK_MS);
    const n = sub.frames.length;
    take(env, 'spot', 'Buy', '0.001');
    expect(sub.frames.length).toBe(n + 1);
    const f = sub.frames[n] as BookFrame;
    expect(f.type).toBe('snapshot');
    expect(f.data.u).toBe(sub.m.book.u);
    expect(f.data.a).toEqual(top(sub.m).a);
    for (const g of sub.frames) expect((g as BookFrame).type).toBe('snapshot');
  });
});

// ---- tickers --------------------------------------------------------------------------------------

describe('tickers', () => {
  test('linear: a snapshot, then deltas of changed fields + symbol that merge into the fresh snapshot', () => {
    const env = boot();
    const topic = `tickers.${SYMBOL}`;
    const sub = subscribe(env, 'linear', topic, { kind: 'tickers', symbol: SYMBOL });
    const first = sub.frames[0] as TickerFrame;
    expect(first.type).toBe('snapshot');
    // ccxt tells a contract ticker by openInterestValue and a spot one by usdIndexPrice.
    expect(first.data).toHaveProperty('openInterestValue');
    expect(first.data).not.toHaveProperty('usdIndexPrice');
    for (const k of [
      'symbol',
      'tickDirection',
      'lastPrice',
      'markPrice',
      'indexPrice',
      'bid1Price',
      'bid1Size',
      'ask1Price',
      'ask1Size',
      'fundingRate',
      'nextFundingTime',
      'volume24h',
      'turnover24h',
    ]) {
      expect(first.data, k).toHaveProperty(k);
    }
    const merged: Record<string, string> = { ...first.data };
    let applied = 1;
    let deltas = 0;
    const check = () => {
      for (; applied < sub.frames.length; applied++) {
        const f = sub.frames[applied] as TickerFrame;
        expect(f.type).toBe('delta');
        expect(f.topic).toBe(topic);
        expect(f.data.symbol).toBe(SYMBOL);
        expect(f.cs).toBe(sub.m.seq);
        expect(f.ts).toBe(env.clock.now());
        for (const [k, v] of Object.entries(f.data)) {
          if (k !== 'symbol') expect(merged[k], `${k} sent unchanged`).not.toBe(v);
        }
        expect(Object.keys(f.data).length).toBeGreaterThan(1);
        Object.assign(merged, f.data);
        deltas += 1;
      }
      const fresh = initialFrame(
        topic,
        { kind: 'tickers', symbol: SYMBOL },
        sub.m,
        env.clock.now(),
        env.seed,
        undefined,
      );
      expect(merged).toEqual((fresh.frame as TickerFrame).data);
    };
    for (let i = 0; i < 60; i++) {
      env.clock.advance(TICK_MS);
      check();
      if (i % 4 === 0) {
        take(env, 'linear', i % 8 === 0 ? 'Buy' : 'Sell', '0.02');
        check();
      }
    }
    expect(deltas).toBeGreaterThan(60);
    // A delta is not a snapshot in disguise: most carry a few fields only.
    const sizes = (sub.frames.slice(1) as TickerFrame[]).map((f) => Object.keys(f.data).length);
    expect(Math.min(...sizes)).toBeLessThan(Object.keys(first.data).length / 2);
  });

  test('linear: nothing changed, nothing sent', () => {
    const env = boot();
    const m = env.ex.market('linear', SYMBOL);
    const topic = `tickers.${SYMBOL}`;
    const { state } = initialFrame(topic, { kind: 'tickers', symbol: SYMBOL }, m, START, env.seed, undefined);
    expect(updateFrames(topic, state, m, START, env.seed)).toEqual([]);
  });

  test('spot: every frame is a full snapshot with usdIndexPrice and without best bid/ask', () => {
    const env = boot();
    const topic = `tickers.${SYMBOL}`;
    const sub = subscribe(env, 'spot', topic, { kind: 'tickers', symbol: SYMBOL });
    env.clock.advance(10 * TICK_MS);
    take(env, 'spot', 'Sell', '0.01');
    env.clock.advance(5 * TICK_MS);
    expect(sub.frames.length).toBe(1 + 10 + 1 + 5);
    for (const f of sub.frames as TickerFrame[]) {
      expect(f.type).toBe('snapshot');
      expect(Object.keys(f.data).sort()).toEqual(
        [
          'symbol',
          'lastPrice',
          'highPrice24h',
          'lowPrice24h',
          'prevPrice24h',
          'volume24h',
          'turnover24h',
          'price24hPcnt',
          'usdIndexPrice',
        ].sort(),
      );
      expect(f.data.symbol).toBe(SYMBOL);
      expect(f.data.usdIndexPrice).toMatch(/^\d+\.\d{2}$/);
      for (const k of ['bid1Price', 'bid1Size', 'ask1Price', 'ask1Size', 'openInterestValue']) {
        expect(f.data).not.toHaveProperty(k);
      }
    }
    const last = sub.frames[sub.frames.length - 1] as TickerFrame;
    expect(last.data.lastPrice).toBe(priceStr(sub.m.instrument, sub.m.lastTicks));
    expect(last.data.usdIndexPrice).toBe(priceStr(sub.m.instrument, sub.m.indexTicks));
    expect(last.cs).toBe(sub.m.seq);
  });
});

// ---- publicTrade ----------------------------------------------------------------------------------

describe('publicTrade', () => {
  for (const category of ['linear', 'spot'] as const) {
    test(`${category}: every print once, in order, oldest first, with Bybit's fields`, () => {
      const env = boot();
      const topic = `publicTrade.${SYMBOL}`;
      const sub = subscribe(env, category, topic, { kind: 'publicTrade', symbol: SYMBOL });
      expect(sub.first).toBeUndefined();
      const m = sub.m;
      const seq0 = m.seq;
      const fills: number[] = [];
      for (let i = 0; i < 50; i++) {
        env.clock.advance(TICK_MS);
        if (i % 5 === 0) {
          const before = m.trades.length;
          take(env, category, i % 10 === 0 ? 'Buy' : 'Sell', '0.03');
          fills.push(m.trades.length - before);
        }
      }
      // Account fills were printed (several levels each), and published like any other print.
      expect(fills.every((n) => n > 1)).toBe(true);
      const frames = sub.frames as TradeFrame[];
      const rows = frames.flatMap((f) => f.data);
      const expected = m.trades.filter((t) => t.seq > seq0);
      expect(expected.length).toBeGreaterThan(100);
      expect(rows).toHaveLength(expected.length);
      const inst = m.instrument;
      rows.forEach((r, k) => {
        const t = expected[k]!;
        const want: Record<string, unknown> = {
          T: t.time,
          s: SYMBOL,
          S: t.side,
          v: qtyStr(inst, t.steps),
          p: priceStr(inst, t.priceTicks),
        };
        if (category === 'linear') want.L = t.tickDirection;
        Object.assign(want, { i: t.execId, BT: false, RPI: false, seq: t.seq });
        expect(r).toEqual(want);
        expect(Object.keys(r)).toEqual(Object.keys(want));
      });
      for (let k = 1; k < rows.length; k++) {
        expect(rows[k]!.seq as number).toBeGreaterThan(rows[k - 1]!.seq as number);
        expect(rows[k]!.T as number).toBeGreaterThanOrEqual(rows[k - 1]!.T as number);
      }
      expect(new Set(rows.map((r) => r.i)).size).toBe(rows.length);
      if (category === 'linear') {
        for (const r of rows)
          expect(['PlusTick', 'ZeroPlusTick', 'MinusTick', 'ZeroMinusTick']).toContain(r.L);
      }
      for (const f of frames) {
        expect(Object.keys(f)).toEqual(['topic', 'type', 'ts', 'data']);
        expect(f).toMatchObject({ topic, type: 'snapshot' });
        expect(f.data.length).toBeGreaterThan(0);
      }
      // Nothing new: nothing sent.
      expect(updateFrames(topic, sub.state, m, env.clock.now(), env.seed)).toEqual([]);
    });
  }
});

// ---- kline ------------------------------------------------------------------------------------------

describe('kline', () => {
  test('open candle confirm false; a rolling bucket gives one confirm true for it, then the new one', () => {
    const env = boot();
    const topic = `kline.1.${SYMBOL}`;
    const sub = subscribe(env, 'linear', topic, { kind: 'kline', interval: '1', symbol: SYMBOL });
    const series = sub.m.candles.get('1');
    const first = sub.frames[0] as KlineFrame;
    expect(Object.keys(first)).toEqual(['topic', 'data', 'ts', 'type']);
    expect(first).toMatchObject({ topic, type: 'snapshot', ts: START });
    expect(first.data).toHaveLength(1);
    expect(first.data[0]).toMatchObject({
      start: Date.UTC(2026, 0, 1, 12, 0, 0),
      end: Date.UTC(2026, 0, 1, 12, 1, 0) - 1,
      interval: '1',
      confirm: false,
      timestamp: START,
    });

    let lastOpen: KlineItem = first.data[0]!;
    let rolls = 0;
    let applied = 1;
    // 200 s: three minute boundaries.
    for (let i = 0; i < 200; i++) {
      env.clock.advance(TICK_MS);
      if (i % 7 === 0) take(env, 'linear', 'Buy', '0.01');
      for (; applied < sub.frames.length; applied++) {
        const f = sub.frames[applied] as KlineFrame;
        expect(f.type).toBe('snapshot');
        const items = f.data;
        if (items[items.length - 1]!.start !== lastOpen.start) {
          // The bucket rolled: the closed candle, final, exactly once, then the new open one.
          rolls += 1;
          expect(items).toHaveLength(2);
          const [closed, open] = items as [KlineItem, KlineItem];
          expect(closed.confirm).toBe(true);
          expect(closed.start).toBe(lastOpen.start);
          expect(closed.end).toBe(closed.start + 60_000 - 1);
          const final = klineRow(sub.m.instrument, series.find(closed.start)!);
          expect([
            closed.open,
            closed.high,
            closed.low,
            closed.close,
            closed.volume,
            closed.turnover,
          ]).toEqual([final[1], final[2], final[3], final[4], final[5], final[6]]);
          expect(open.confirm).toBe(false);
          expect(open.start).toBe(closed.start + 60_000);
          expect(open.start).toBe(env.clock.now() - (env.clock.now() % 60_000));
          lastOpen = open;
        } else {
          expect(items).toHaveLength(1);
          expect(items[0]!.confirm).toBe(false);
          lastOpen = items[0]!;
        }
        for (const it of items) {
          expect(it.end).toBe(it.start + 60_000 - 1);
          expect(it.timestamp).toBe(f.ts);
        }
      }
      // What was last pushed is the live candle.
      const cur = klineRow(sub.m.instrument, series.current()!);
      expect([
        lastOpen.start,
        lastOpen.open,
        lastOpen.high,
        lastOpen.low,
        lastOpen.close,
        lastOpen.volume,
      ]).toEqual([Number(cur[0]), cur[1], cur[2], cur[3], cur[4], cur[5]]);
    }
    expect(rolls).toBe(3);
    const confirmed = (sub.frames as KlineFrame[]).flatMap((f) => f.data).filter((d) => d.confirm);
    expect(confirmed.map((d) => d.start)).toEqual([0, 1, 2].map((k) => Date.UTC(2026, 0, 1, 12, k, 0)));
  });

  test('end = start + interval - 1 for every interval', () => {
    const env = boot();
    const m = env.ex.market('spot', SYMBOL);
    const lengths: Partial<Record<KlineInterval, number>> = {
      D: 86_400_000,
      W: 7 * 86_400_000,
      M: 31 * 86_400_000,
    };
    for (const iv of KLINE_INTERVALS) {
      const { frame } = initialFrame(
        `kline.${iv}.${SYMBOL}`,
        { kind: 'kline', interval: iv, symbol: SYMBOL },
        m,
        START,
        env.seed,
        undefined,
      );
      const item = (frame as KlineFrame).data[0]!;
      expect(item.interval).toBe(iv);
      expect(item.confirm).toBe(false);
      expect(item.start).toBeLessThanOrEqual(START);
      expect(item.end).toBeGreaterThan(START);
      expect(item.end).toBe(nextBucket(iv, item.start) - 1);
      expect(item.end - item.start + 1).toBe(lengths[iv] ?? Number(iv) * 60_000);
    }
  });
});

// ---- shared state --------------------------------------------------------------------------------

describe('a second subscriber of a live topic', () => {
  test('gets a snapshot of the current book; the shared state is kept', () => {
    const env = boot();
    const depth = 50;
    const topic = `orderbook.${depth}.${SYMBOL}`;
    const sub = subscribe(env, 'linear', topic, { kind: 'orderbook', depth, symbol: SYMBOL });
    env.clock.advance(5 * TICK_MS);
    const late = initialFrame(
      topic,
      { kind: 'orderbook', depth, symbol: SYMBOL },
      sub.m,
      env.clock.now(),
      env.seed,
      sub.state,
    );
    expect(late.state).toBe(sub.state);
    const local = new LocalBook();
    local.apply(late.frame as BookFrame);
    expectBookEquals(local, sub.m, depth);
    // The late subscriber follows the shared deltas from here.
    const n = sub.frames.length;
    env.clock.advance(10 * TICK_MS);
    for (const f of sub.frames.slice(n)) local.apply(f as BookFrame);
    expectBookEquals(local, sub.m, depth);
  });
});
