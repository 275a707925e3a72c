/**
 * The simulated order book of one instrument. Levels sit every `levelGapTicks` around the fair
 * price; each level's size is a hash of (price, generation) times a depth factor, and a level's
 * generation moves on every REFRESH ticks at a phase of its own, so about one level in REFRESH
 * changes per tick and the book is a pure function of (fair price, tick index). The draws are
 * cached per level, so a rebuild hashes only what changed. `u` counts published versions.
 * @see ../shared/reference/bybit-v5-facts.md §7.4 and §8.6 (orderbook)
 */
import { hashUniform, hashNormal } from '../random.js';
import type { BookSpec } from '../seed.js';

const REFRESH = 10;

export interface BookSide {
  /** Prices in ticks: bids descending, asks ascending. */
  readonly ticks: number[];
  /** Sizes in quantity steps, parallel to ticks. */
  readonly steps: number[];
}

/** What a price level's size is made of: its refresh phase and the draw of its generation. */
interface LevelDraw {
  /** Ticks by which this level's generation boundary is offset (0..REFRESH-1). */
  readonly phase: number;
  /** The generation `base` was drawn for. */
  gen: number;
  /** levelSteps x exp(0.6 z - 0.18) for that generation (the size before the depth factor). */
  base: number;
}

export class SimBook {
  readonly bids: BookSide = { ticks: [], steps: [] };
  readonly asks: BookSide = { ticks: [], steps: [] };
  /**
   * Draws of the levels near the price, by price in ticks. A level's size is a pure function of
   * (price, generation) times a depth factor, and a generation lasts REFRESH ticks, so a rebuild
   * only hashes the levels whose generation moved on (about one in REFRESH) and the levels new to
   * the book; the rest reuse their draw. Levels far from the price are pruned.
   */
  private readonly draws = new Map<number, LevelDraw>();
  /** Update id: +1 per published change. */
  u = 0;
  /** Exchange time (ms) of the last change. */
  ts = 0;
  private uncommitted = false;
  private readonly levelSteps: number;

  constructor(
    private readonly seed: number,
    private readonly spec: BookSpec,
    levelQtyInSteps: number,
  ) {
    this.levelSteps = Math.max(1, levelQtyInSteps);
  }

  get depth(): number {
    return this.spec.depth;
  }

  bestBidTicks(): number | undefined {
    return this.bids.ticks[0];
  }

  bestAskTicks(): number | undefined {
    return this.asks.ticks[0];
  }

  /**
   * Takes `steps` from the level at `ticks` (account orders eating simulated liquidity). The level
   * goes when empty; the next rebuild restores depth, so liquidity replenishes every tick. The
   * change is published by `commit()` once per command, so `u` moves by one per visible change.
   */
  consume(sideName: 'bids' | 'asks', ticks: number, steps: number, time: number): void {
    const side = this[sideName];
    const i = side.ticks.indexOf(ticks);
    if (i < 0) return;
    const left = side.steps[i]! - steps;
    if (left > 0) side.steps[i] = left;
    else {
      side.ticks.splice(i, 1);
      side.steps.splice(i, 1);
    }
    this.uncommitted = true;
    this.ts = time;
  }

  /** Publishes consumed liquidity as one book version; true when there was any. */
  commit(): boolean {
    if (!this.uncommitted) return false;
    this.uncommitted = false;
    this.u += 1;
    return true;
  }

  /** Rebuilds the book around `midTicks` (a float) for tick `tickIndex`. */
  rebuild(midTicks: number, tickIndex: number, time: number): void {
    const spread = this.spec.spreadTicks;
    const gap = this.spec.levelGapTicks;
    const bestBid = Math.max(1, Math.round(midTicks - spread / 2));
    const bestAsk = bestBid + spread;
    this.fill(this.bids, bestBid, -gap, tickIndex);
    this.fill(this.asks, bestAsk, gap, tickIndex);
    this.prune(bestBid, bestAsk);
    this.uncommitted = false;
    this.u += 1;
    this.ts = time;
  }

  private fill(side: BookSide, best: number, direction: number, tickIndex: number): void {
    const depth = this.spec.depth;
    side.ticks.length = 0;
    side.steps.length = 0;
    for (let i = 0; i < depth; i++) {
      const price = best + i * direction;
      if (price <= 0) break;
      side.ticks.push(price);
      side.steps.push(this.levelSize(price, i, tickIndex));
    }
  }

  private levelSize(price: number, distance: number, tickIndex: number): number {
    let d = this.draws.get(price);
    if (d === undefined) {
      d = { phase: Math.floor(hashUniform(this.seed, price, 7) * REFRESH), gen: Number.NaN, base: 0 };
      this.draws.set(price, d);
    }
    const generation = Math.floor((tickIndex + d.phase) / REFRESH);
    if (generation !== d.gen) {
      const z = hashNormal(this.seed, price, generation);
      d.base = this.levelSteps * Math.exp(0.6 * z - 0.18);
      d.gen = generation;
    }
    // Same expression and evaluation order as a fresh draw, so the sizes are bit-for-bit the same.
    const size = d.base * (1 + distance / 25);
    return Math.max(1, Math.round(size));
  }

  /** Forgets the draws of levels well outside the book (the cache stays about 4x the book). */
  private prune(bestBid: number, bestAsk: number): void {
    const span = this.spec.depth * this.spec.levelGapTicks;
    if (this.draws.size <= 8 * this.spec.depth + 64) return;
    const lo = bestBid - 2 * span;
    const hi = bestAsk + 2 * span;
    for (const price of this.draws.keys()) if (price < lo || price > hi) this.draws.delete(price);
  }
}
