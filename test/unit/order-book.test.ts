/**
 * The simulated book caches each level's draw between rebuilds; the sizes must stay exactly what
 * the model defines (a fresh hash of (price, generation) times the depth factor), whatever the
 * path of the price, so the same seed still gives the same bytes.
 */
import { expect, test } from 'vitest';
import { SimBook } from '../../src/core/market/order-book.js';
import { Random, hashNormal, hashUniform } from '../../src/core/random.js';
import type { BookSpec } from '../../src/core/seed.js';

const REFRESH = 10;

/** The book model written out without any cache: what every rebuild must produce. */
function reference(seed: number, spec: BookSpec, levelSteps: number, mid: number, tickIndex: number) {
  const bestBid = Math.max(1, Math.round(mid - spec.spreadTicks / 2));
  const bestAsk = bestBid + spec.spreadTicks;
  const side = (best: number, dir: number) => {
    const ticks: number[] = [];
    const steps: number[] = [];
    for (let i = 0; i < spec.depth; i++) {
      const price = best + i * dir;
      if (price <= 0) break;
      const phase = Math.floor(hashUniform(seed, price, 7) * REFRESH);
      const generation = Math.floor((tickIndex + phase) / REFRESH);
      const z = hashNormal(seed, price, generation);
      const size = levelSteps * Math.exp(0.6 * z - 0.18) * (1 + i / 25);
      ticks.push(price);
      steps.push(Math.max(1, Math.round(size)));
    }
    return { ticks, steps };
  };
  return { bids: side(bestBid, -spec.levelGapTicks), asks: side(bestAsk, spec.levelGapTicks) };
}

const specs: BookSpec[] = [
  { depth: 200, spreadTicks: 1, levelGapTicks: 1, levelQty: '0.05' },
  { depth: 50, spreadTicks: 4, levelGapTicks: 3, levelQty: '1' },
  { depth: 7, spreadTicks: 2, levelGapTicks: 1, levelQty: '0.01' },
];

test.each(specs)('cached rebuilds equal the uncached model over a long random path (%o)', (spec) => {
  const seed = 123456789;
  const levelSteps = 50;
  const book = new SimBook(seed, spec, levelSteps);
  const rng = new Random(99);
  let mid = 900_000.3;
  for (let k = 0; k < 3000; k++) {
    // Small steps, big jumps (the cache is pruned and refilled) and returns to old prices.
    const r = rng.next();
    mid += r < 0.02 ? (rng.next() - 0.5) * 20_000 : r < 0.04 ? 0 : rng.normal() * 12;
    book.rebuild(mid, k, k * 10);
    const want = reference(seed, spec, levelSteps, mid, k);
    expect(book.bids.ticks).toEqual(want.bids.ticks);
    expect(book.bids.steps).toEqual(want.bids.steps);
    expect(book.asks.ticks).toEqual(want.asks.ticks);
    expect(book.asks.steps).toEqual(want.asks.steps);
  }
});

test('a book near zero stops at price 1 and still matches the model', () => {
  const spec: BookSpec = { depth: 40, spreadTicks: 1, levelGapTicks: 1, levelQty: '1' };
  const book = new SimBook(7, spec, 10);
  for (let k = 0; k < 200; k++) {
    const mid = 30 + 25 * Math.sin(k / 7);
    book.rebuild(mid, k, k);
    const want = reference(7, spec, 10, mid, k);
    expect(book.bids).toEqual(want.bids);
    expect(book.asks).toEqual(want.asks);
  }
});
