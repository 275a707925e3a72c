/**
 * Live candles for every kline interval, built from trades as they happen. Prices are in ticks
 * and volume in quantity steps (exact integers); turnover is a float statistic in the quote coin.
 * Each series keeps a bounded number of buckets; older live buckets are dropped (documented).
 */
import { KLINE_INTERVALS, type KlineInterval } from '../types.js';
import { bucketStart, nextBucket } from './intervals.js';

export interface Candle {
  start: number;
  open: number;
  high: number;
  low: number;
  close: number;
  /** Quantity steps traded. */
  volume: number;
  /** Quote value traded (float; rounded when rendered). */
  turnover: number;
}

export class CandleSeries {
  readonly candles: Candle[] = [];
  private currentEnd = 0;

  constructor(
    readonly interval: KlineInterval,
    private readonly retention: number,
  ) {}

  current(): Candle | undefined {
    return this.candles[this.candles.length - 1];
  }

  /** Seeds the first (partial) bucket, e.g. from history before the simulation started. */
  seed(candle: Candle): void {
    this.candles.push(candle);
    this.currentEnd = nextBucket(this.interval, candle.start);
  }

  /** Makes sure a candle exists for time t, carrying the last close into empty buckets. */
  roll(t: number): Candle {
    let cur = this.current();
    if (cur && t < this.currentEnd) return cur;
    const start = bucketStart(this.interval, t);
    const close = cur ? cur.close : 0;
    cur = { start, open: close, high: close, low: close, close, volume: 0, turnover: 0 };
    this.candles.push(cur);
    if (this.candles.length > this.retention) this.candles.splice(0, this.candles.length - this.retention);
    this.currentEnd = nextBucket(this.interval, start);
    return cur;
  }

  /**
   * Applies one trade (or a price observation with zero volume). A new bucket opens at the
   * previous close, so the result never depends on whether a quiet tick rolled it first.
   */
  apply(t: number, priceTicks: number, steps: number, turnover: number): Candle {
    const c = this.roll(t);
    if (c.volume === 0 && c.open === 0) {
      c.open = priceTicks;
      c.high = priceTicks;
      c.low = priceTicks;
    }
    if (priceTicks > c.high) c.high = priceTicks;
    if (priceTicks < c.low) c.low = priceTicks;
    c.close = priceTicks;
    c.volume += steps;
    c.turnover += turnover;
    return c;
  }

  /** The candle that starts at `start`, if still retained. */
  find(start: number): Candle | undefined {
    const list = this.candles;
    let lo = 0;
    let hi = list.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      const c = list[mid]!;
      if (c.start === start) return c;
      if (c.start < start) lo = mid + 1;
      else hi = mid - 1;
    }
    return undefined;
  }

  firstStart(): number | undefined {
    return this.candles[0]?.start;
  }
}

/** One series per Bybit interval. */
export class CandleSet {
  readonly series = new Map<KlineInterval, CandleSeries>();
  constructor(retention: number) {
    for (const iv of KLINE_INTERVALS) this.series.set(iv, new CandleSeries(iv, retention));
  }
  get(interval: KlineInterval): CandleSeries {
    return this.series.get(interval)!;
  }
  /** Applies a trade to every interval. */
  apply(t: number, priceTicks: number, steps: number, turnover: number): void {
    for (const s of this.series.values()) s.apply(t, priceTicks, steps, turnover);
  }
  /** Records a price observation without volume (mark and index series, quiet ticks). */
  observe(t: number, priceTicks: number): void {
    for (const s of this.series.values()) s.apply(t, priceTicks, 0, 0);
  }
  /** Keeps every series' current bucket up to date with time, without changing prices. */
  roll(t: number): void {
    for (const s of this.series.values()) s.roll(t);
  }
}
