/**
 * Fault latencies: fixed, uniform and long-tailed draws from the fault book's seeded stream.
 */
import { expect, test } from 'vitest';
import { FaultBook, faultProblems, type Latency } from '../../src/core/faults/faults.js';
import { Random } from '../../src/core/random.js';

function draws(latency: Latency, n: number, seed = 3): number[] {
  const book = new FaultBook([], new Random(seed), () => 0);
  return Array.from({ length: n }, () => book.latencyOf({ latencyMs: latency }));
}

function quantile(sorted: number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
}

test('a fixed latency is always that latency, a range stays inside its bounds', () => {
  expect(new Set(draws(250, 50))).toEqual(new Set([250]));
  const r = draws([100, 110], 2000);
  expect(Math.min(...r)).toBe(100);
  expect(Math.max(...r)).toBe(110);
});

test('a long-tailed latency has about the median and 99th percentile asked for', () => {
  const d = draws({ median: 50, p99: 2000 }, 20_000).sort((a, b) => a - b);
  expect(quantile(d, 0.5)).toBeGreaterThanOrEqual(45);
  expect(quantile(d, 0.5)).toBeLessThanOrEqual(55);
  expect(quantile(d, 0.99)).toBeGreaterThanOrEqual(1600);
  expect(quantile(d, 0.99)).toBeLessThanOrEqual(2500);
  // The tail is long: the mean sits far above the median.
  expect(d.reduce((a, b) => a + b, 0) / d.length).toBeGreaterThan(100);
  expect(d[0]).toBeGreaterThanOrEqual(0);
});

test('a long-tailed latency is capped at max and reproducible from the seed', () => {
  const capped = draws({ median: 100, p99: 10_000, max: 500 }, 5000);
  expect(Math.max(...capped)).toBe(500);
  expect(draws({ median: 20, p99: 900 }, 100, 9)).toEqual(draws({ median: 20, p99: 900 }, 100, 9));
  expect(draws({ median: 20, p99: 900 }, 100, 9)).not.toEqual(draws({ median: 20, p99: 900 }, 100, 10));
});

test('latency shapes are checked: bad medians, percentiles and keys are named', () => {
  const ok = (latencyMs: unknown) => faultProblems({ path: '*', effect: { latencyMs } });
  expect(ok({ median: 50, p99: 2000 })).toEqual([]);
  expect(ok({ median: 50, p99: 2000, max: 5000 })).toEqual([]);
  for (const bad of [
    { median: 0, p99: 10 },
    { median: 50, p99: 10 },
    { median: 50 },
    { median: 50, p99: 100, max: 10 },
    { median: 50, p99: 100, mean: 60 },
    [10, 5],
    -1,
  ]) {
    expect(ok(bad), JSON.stringify(bad)).toEqual([
      'effect.latencyMs must be ms (0 to 10 minutes), [min, max] or {median, p99, max?}',
    ]);
  }
  expect(faultProblems({ topic: 'tickers.*', effect: { delayMs: { median: 10, p99: 400 } } })).toEqual([]);
});
