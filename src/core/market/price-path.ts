/**
 * The history before the simulation started, as a pure function of (seed, symbol, time).
 *
 * A Brownian path on a one-minute grid is built by Lévy's construction: a coarse random walk on
 * blocks of 2^20 minutes, refined by bisection where each midpoint is the average of its two ends
 * plus a normal draw hashed from its own minute index. Any minute's value therefore costs about
 * twenty hashes, never depends on which other minutes were asked for, and is identical on every
 * read — so kline history is stable without storing it. The path is pinned so that the price at
 * the start minute is the scenario's start price.
 */
import { hashNormal, hashString } from '../random.js';

const LEVELS = 20;
const BLOCK = 2 ** LEVELS; // minutes per top-level block (~728 days)
const MINUTES_PER_YEAR = 525_600;
const TOP = 0x7f4a7c15;
const MEMO_MIN_LEVEL = 6;
const MEMO_LIMIT = 200_000;

export class HistoricalPath {
  private readonly seed: number;
  private readonly sigmaMinute: number;
  private readonly anchorBlock: number;
  private readonly startMinute: number;
  private readonly logStart: number;
  private readonly memo = new Map<number, number>();
  private readonly topMemo = new Map<number, number>();
  private pinned = 0;

  constructor(seed: number, symbol: string, startTimeMs: number, startPrice: number, volatility: number) {
    this.seed = (seed ^ hashString(`path:${symbol}`)) >>> 0;
    this.sigmaMinute = volatility / Math.sqrt(MINUTES_PER_YEAR);
    this.startMinute = Math.floor(startTimeMs / 60_000);
    this.anchorBlock = Math.floor(this.startMinute / BLOCK);
    this.logStart = Math.log(startPrice);
    this.pinned = this.walk(this.startMinute);
  }

  /** Price (float) at the start of the given epoch minute. */
  priceAtMinute(minute: number): number {
    return Math.exp(this.logStart + this.walk(minute) - this.pinned);
  }

  /** Price (float) at time t (ms), taken at the start of t's minute. */
  priceAt(t: number): number {
    return this.priceAtMinute(Math.floor(t / 60_000));
  }

  /** A deterministic standard normal tied to this path, for candle details (wicks, volume). */
  noise(...keys: number[]): number {
    return hashNormal(this.seed, 0x51ed27, ...keys);
  }

  /** Per-minute volatility of the log price. */
  get minuteSigma(): number {
    return this.sigmaMinute;
  }

  private topValue(block: number): number {
    const cached = this.topMemo.get(block);
    if (cached !== undefined) return cached;
    const stepSd = this.sigmaMinute * Math.sqrt(BLOCK);
    let w = 0;
    if (block > this.anchorBlock) {
      for (let j = this.anchorBlock; j < block; j++) w += stepSd * hashNormal(this.seed, TOP, j);
    } else {
      for (let j = block; j < this.anchorBlock; j++) w -= stepSd * hashNormal(this.seed, TOP, j);
    }
    this.topMemo.set(block, w);
    return w;
  }

  /** W(minute): the unpinned Brownian value. */
  private walk(minute: number): number {
    const block = Math.floor(minute / BLOCK);
    const base = block * BLOCK;
    let lo = base;
    let wLo = this.topValue(block);
    let wHi = this.topValue(block + 1);
    if (minute === lo) return wLo;
    for (let level = LEVELS - 1; level >= 0; level--) {
      const mid = lo + 2 ** level;
      const wMid = this.midpoint(mid, level, wLo, wHi);
      if (minute === mid) return wMid;
      if (minute < mid) {
        wHi = wMid;
      } else {
        lo = mid;
        wLo = wMid;
      }
    }
    // Unreachable: every minute is a block start or a midpoint at some level.
    return wLo;
  }

  private midpoint(mid: number, level: number, wLo: number, wHi: number): number {
    if (level >= MEMO_MIN_LEVEL) {
      const cached = this.memo.get(mid);
      if (cached !== undefined) return cached;
    }
    // Bridge midpoint over an interval of 2^(level+1) minutes: sd = sigma * sqrt(len) / 2.
    const sd = (this.sigmaMinute * Math.sqrt(2 ** (level + 1))) / 2;
    const value = (wLo + wHi) / 2 + sd * hashNormal(this.seed, mid);
    if (level >= MEMO_MIN_LEVEL) {
      if (this.memo.size >= MEMO_LIMIT) this.memo.clear();
      this.memo.set(mid, value);
    }
    return value;
  }
}
