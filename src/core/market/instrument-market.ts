/**
 * The live market of one instrument: its book, public trades, last/mark/index prices and
 * candles. It is advanced by the simulator once per tick and read by the facade.
 */
import { stepsOf } from '../decimal.js';
import { uuidFrom, NumericIds } from '../ids.js';
import type { Instrument } from '../instruments/instrument.js';
import type { Random } from '../random.js';
import type { MarketSpec } from '../seed.js';
import type { KlineInterval, Side } from '../types.js';
import { CandleSet, type Candle, type CandleSeries } from './candles.js';
import { derivedCandle, historyCandle, type HistoryContext } from './history.js';
import { bucketStart, nextBucket, previousBucket } from './intervals.js';
import { SimBook } from './order-book.js';
import type { HistoricalPath } from './price-path.js';

export type TickDirection = 'PlusTick' | 'ZeroPlusTick' | 'MinusTick' | 'ZeroMinusTick';

export interface PublicTrade {
  execId: string;
  time: number;
  side: Side;
  priceTicks: number;
  steps: number;
  tickDirection: TickDirection;
  seq: number;
}

export type CandleKind = 'trade' | 'mark' | 'index';

export interface KlineQuery {
  interval: KlineInterval;
  start?: number;
  end?: number;
  limit: number;
}

const TRADE_RING = 1000;
const CANDLE_RETENTION = 2000;
const WARMUP_TRADES = 20;
/** History candles kept per instrument (a few reads of 1000 candles each). */
const HISTORY_CACHE = 5000;
const MARK_SALT = 7;
const INDEX_SALT = 8;

export class InstrumentMarket {
  readonly book: SimBook;
  readonly candles = new CandleSet(CANDLE_RETENTION);
  readonly markCandles = new CandleSet(CANDLE_RETENTION);
  readonly indexCandles = new CandleSet(CANDLE_RETENTION);
  /** Oldest first: the newest TRADE_RING prints at least, at most twice as many. */
  readonly trades: PublicTrade[] = [];
  lastTicks: number;
  markTicks: number;
  indexTicks: number;
  /** Cross sequence: +1 per trade or book change. */
  seq = 0;
  tickIndex = 0;
  private lastDirection: TickDirection = 'ZeroPlusTick';
  private readonly rng: Random;
  private readonly idRng: Random;
  private readonly numericIds = new NumericIds(2_100_000_000_000_000_000n);
  private readonly history: HistoryContext;
  /** Typical simulated trade size, in quantity steps. */
  readonly tradeSteps: number;
  private readonly minSteps: number;
  private readonly historyCache = new Map<string, Candle>();
  private stats24: { hour: number; high: number; low: number; volume: number; turnover: number } | undefined;

  constructor(
    readonly instrument: Instrument,
    readonly spec: MarketSpec,
    path: HistoricalPath,
    root: Random,
    readonly startTime: number,
    startFair: number,
  ) {
    this.rng = root.fork(`trades:${instrument.key}`);
    this.idRng = root.fork(`trade-ids:${instrument.key}`);
    const step = instrument.qtyStep;
    this.tradeSteps = Math.max(1, stepsOf(spec.tradeQty, step));
    this.minSteps = Math.max(1, stepsOf(instrument.minOrderQty, step));
    const levelSteps = stepsOf(spec.book.levelQty, step);
    this.book = new SimBook(root.fork(`book:${instrument.key}`).nextUint32(), spec.book, levelSteps);
    const ticksPerMinute = 60_000 / spec.tickIntervalMs;
    this.history = {
      path,
      instrument,
      stepsPerMinute: spec.tradesPerTick * this.tradeSteps * ticksPerMinute,
    };
    this.lastTicks = Math.round(startFair / instrument.tickFloat);
    this.markTicks = this.lastTicks;
    this.indexTicks = this.lastTicks;
    this.book.rebuild(startFair / instrument.tickFloat, 0, startTime);
    this.seedCandles();
    this.warmUpTrades(path);
  }

  /** One simulator step: move the book to the new fair price and print some trades. */
  onTick(tickIndex: number, time: number, fair: number, index: number, drift: number): PublicTrade[] {
    const inst = this.instrument;
    this.tickIndex = tickIndex;
    this.book.rebuild(fair / inst.tickFloat, tickIndex, time);
    this.seq += 1;
    const count = poisson(this.rng, this.spec.tradesPerTick);
    const printed: PublicTrade[] = [];
    const buyBias = 0.5 + Math.max(-0.35, Math.min(0.35, drift * 50));
    for (let i = 0; i < count; i++) {
      const side: Side = this.rng.next() < buyBias ? 'Buy' : 'Sell';
      const price = side === 'Buy' ? this.book.bestAskTicks() : this.book.bestBidTicks();
      if (price === undefined) break;
      const steps = Math.max(
        this.minSteps,
        Math.round(this.tradeSteps * Math.exp(0.8 * this.rng.normal() - 0.32)),
      );
      printed.push(this.recordTrade(time, side, price, steps));
    }
    this.indexTicks = Math.max(1, Math.round(index / inst.tickFloat));
    this.markTicks =
      inst.category === 'linear'
        ? Math.max(1, Math.round((index * (1 + 0.00005 * this.rng.normal())) / inst.tickFloat))
        : this.indexTicks;
    this.candles.roll(time);
    this.markCandles.observe(time, this.markTicks);
    this.indexCandles.observe(time, this.indexTicks);
    return printed;
  }

  /**
   * Moves the market to `fair` at once (admin and scenario price moves): the book is rebuilt
   * around it, mark and index follow, and one trade prints at the new price so the last price is
   * exactly it. No random draw is made, so the simulated sequence that follows is unchanged.
   */
  reprice(time: number, fair: number): PublicTrade {
    const inst = this.instrument;
    const ticks = Math.max(1, Math.round(fair / inst.tickFloat));
    this.book.rebuild(fair / inst.tickFloat, this.tickIndex, time);
    this.seq += 1;
    this.indexTicks = ticks;
    this.markTicks = ticks;
    this.markCandles.observe(time, ticks);
    this.indexCandles.observe(time, ticks);
    return this.recordTrade(time, ticks >= this.lastTicks ? 'Buy' : 'Sell', ticks, this.minSteps);
  }

  /** Records a trade at a price: simulated prints now, account fills later (same path). */
  recordTrade(time: number, side: Side, priceTicks: number, steps: number): PublicTrade {
    const inst = this.instrument;
    const prev = this.lastTicks;
    if (priceTicks > prev) this.lastDirection = 'PlusTick';
    else if (priceTicks < prev) this.lastDirection = 'MinusTick';
    else
      this.lastDirection =
        this.lastDirection === 'PlusTick' || this.lastDirection === 'ZeroPlusTick'
          ? 'ZeroPlusTick'
          : 'ZeroMinusTick';
    this.lastTicks = priceTicks;
    this.seq += 1;
    const trade: PublicTrade = {
      execId: inst.category === 'spot' ? this.numericIds.next() : uuidFrom(this.idRng),
      time,
      side,
      priceTicks,
      steps,
      tickDirection: this.lastDirection,
      seq: this.seq,
    };
    this.trades.push(trade);
    // Trimmed by TRADE_RING at a time, not one print per push (a 1000-element shift per fill).
    if (this.trades.length >= 2 * TRADE_RING) this.trades.splice(0, this.trades.length - TRADE_RING);
    this.candles.apply(time, priceTicks, steps, steps * inst.qtyStepFloat * priceTicks * inst.tickFloat);
    return trade;
  }

  /** Newest first, as /v5/market/kline answers. */
  klines(kind: CandleKind, q: KlineQuery, now: number): Candle[] {
    const iv = q.interval;
    const nowBucket = bucketStart(iv, now);
    const out: Candle[] = [];
    if (q.start !== undefined && q.end === undefined) {
      const first: Candle[] = [];
      for (
        let b = bucketStart(iv, q.start);
        b <= nowBucket && first.length < q.limit;
        b = nextBucket(iv, b)
      ) {
        const c = this.candleAt(kind, iv, b);
        if (c) first.push(c);
      }
      return first.reverse();
    }
    const end = Math.min(q.end ?? now, now);
    if (q.start !== undefined && q.start > end) return out;
    const lower = q.start === undefined ? -Infinity : bucketStart(iv, q.start);
    for (let b = bucketStart(iv, end); b >= lower && out.length < q.limit; b = previousBucket(iv, b)) {
      // A live bucket dropped by retention yields nothing; older history still answers.
      const c = this.candleAt(kind, iv, b);
      if (c) out.push(c);
      if (b < 0) break;
    }
    return out;
  }

  /** 24h statistics; the completed hours are cached per hour. */
  stats24h(now: number): {
    high: number;
    low: number;
    volume: number;
    turnover: number;
    prev24h: number;
    prev1h: number;
  } {
    const hour = bucketStart('60', now);
    if (!this.stats24 || this.stats24.hour !== hour) {
      let high = 0;
      let low = Number.MAX_SAFE_INTEGER;
      let volume = 0;
      let turnover = 0;
      for (let b = bucketStart('60', now - 86_400_000); b < hour; b = nextBucket('60', b)) {
        const c = this.candleAt('trade', '60', b);
        if (!c) continue;
        high = Math.max(high, c.high);
        low = Math.min(low, c.low);
        volume += c.volume;
        turnover += c.turnover;
      }
      this.stats24 = { hour, high, low, volume, turnover };
    }
    const cur = this.candleAt('trade', '60', hour);
    const s = this.stats24;
    const high = Math.max(s.high, cur?.high ?? 0, this.lastTicks);
    const low = Math.min(s.low, cur?.low ?? Number.MAX_SAFE_INTEGER, this.lastTicks);
    return {
      high,
      low,
      volume: s.volume + (cur?.volume ?? 0),
      turnover: s.turnover + (cur?.turnover ?? 0),
      prev24h: this.priceAt(now - 86_400_000),
      prev1h: this.priceAt(now - 3_600_000),
    };
  }

  /** Price in ticks at time t (the open of t's minute candle). */
  priceAt(t: number): number {
    return this.candleAt('trade', '1', bucketStart('1', t))?.open ?? this.lastTicks;
  }

  private candleAt(kind: CandleKind, iv: KlineInterval, b: number): Candle | undefined {
    const end = nextBucket(iv, b);
    if (end <= this.startTime) {
      const base = this.cachedHistoryCandle(iv, b, end);
      if (kind === 'trade') return base;
      return derivedCandle(this.history, base, kind === 'mark' ? MARK_SALT : INDEX_SALT);
    }
    const series = this.setFor(kind).get(iv);
    const found = series.find(b);
    if (found) return found;
    return flatGapCandle(series, b);
  }

  /** History candles never change, so recently read ones are kept (bounded, oldest dropped first). */
  private cachedHistoryCandle(iv: KlineInterval, b: number, end: number): Candle {
    const key = `${iv}:${b}`;
    const hit = this.historyCache.get(key);
    if (hit) return hit;
    const c = historyCandle(this.history, b, end);
    if (this.historyCache.size >= HISTORY_CACHE) {
      const oldest = this.historyCache.keys().next().value;
      if (oldest !== undefined) this.historyCache.delete(oldest);
    }
    this.historyCache.set(key, c);
    return c;
  }

  private setFor(kind: CandleKind): CandleSet {
    return kind === 'trade' ? this.candles : kind === 'mark' ? this.markCandles : this.indexCandles;
  }

  /** Every series starts with the partial bucket that holds the start time, from history. */
  private seedCandles(): void {
    for (const [iv, series] of this.candles.series) {
      const b = bucketStart(iv, this.startTime);
      const base = historyCandle(this.history, b, this.startTime);
      series.seed({
        ...base,
        close: this.lastTicks,
        high: Math.max(base.high, this.lastTicks),
        low: Math.min(base.low, this.lastTicks),
      });
      this.markCandles.get(iv).seed(derivedCandle(this.history, series.current()!, MARK_SALT));
      this.indexCandles.get(iv).seed(derivedCandle(this.history, series.current()!, INDEX_SALT));
    }
  }

  /** A few trades before the start so recent-trade is not empty at boot. */
  private warmUpTrades(path: HistoricalPath): void {
    const inst = this.instrument;
    const spacing = this.spec.tickIntervalMs;
    // The newest warm-up trade prints at the start price, so the last price at boot is the scenario's.
    const startTicks = this.lastTicks;
    for (let i = WARMUP_TRADES; i >= 1; i--) {
      const t = this.startTime - i * spacing;
      const side: Side = this.rng.next() < 0.5 ? 'Buy' : 'Sell';
      const mid = Math.round(path.priceAt(t) / inst.tickFloat);
      const price = i === 1 ? startTicks : Math.max(1, side === 'Buy' ? mid + 1 : mid);
      const steps = Math.max(
        this.minSteps,
        Math.round(this.tradeSteps * Math.exp(0.8 * this.rng.normal() - 0.32)),
      );
      this.lastTicks = price;
      this.seq += 1;
      this.trades.push({
        execId: inst.category === 'spot' ? this.numericIds.next() : uuidFrom(this.idRng),
        time: t,
        side,
        priceTicks: price,
        steps,
        tickDirection: 'ZeroPlusTick',
        seq: this.seq,
      });
    }
  }
}

/** Buckets inside the live range with no candle (ticks slower than the interval) repeat the last close. */
function flatGapCandle(series: CandleSeries, b: number): Candle | undefined {
  const list = series.candles;
  const first = list[0];
  const last = list[list.length - 1];
  if (!first || !last || b < first.start || b > last.start) return undefined;
  let prev: Candle | undefined;
  for (let i = list.length - 1; i >= 0; i--) {
    const c = list[i]!;
    if (c.start < b) {
      prev = c;
      break;
    }
  }
  if (!prev) return undefined;
  return {
    start: b,
    open: prev.close,
    high: prev.close,
    low: prev.close,
    close: prev.close,
    volume: 0,
    turnover: 0,
  };
}

function poisson(rng: Random, lambda: number): number {
  if (lambda <= 0) return 0;
  const limit = Math.exp(-Math.min(lambda, 50));
  let k = 0;
  let p = 1;
  do {
    k += 1;
    p *= rng.next();
  } while (p > limit);
  return k - 1;
}
