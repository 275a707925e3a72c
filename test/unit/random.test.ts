import { expect, test } from 'vitest';
import { NumericIds, uuidFrom } from '../../src/core/ids.js';
import { Random, hashNormal, hashString, hashUniform } from '../../src/core/random.js';

const draw = (rng: Random, n: number) => Array.from({ length: n }, () => rng.nextUint32());

test('the same seed gives the same sequence', () => {
  expect(draw(new Random(42), 100)).toEqual(draw(new Random(42), 100));
  const a = new Random(7);
  const b = new Random(7);
  for (let i = 0; i < 50; i++) {
    expect(a.next()).toBe(b.next());
    expect(a.normal()).toBe(b.normal());
    expect(a.int(-5, 5)).toBe(b.int(-5, 5));
    expect(a.hex(6)).toBe(b.hex(6));
  }
});

test('different seeds give different sequences', () => {
  expect(draw(new Random(1), 20)).not.toEqual(draw(new Random(2), 20));
  expect(draw(new Random(0), 20)).not.toEqual(draw(new Random(0xffffffff), 20));
});

test('a fork does not depend on draws made on the parent', () => {
  const fresh = new Random(42).fork('trades:linear:BTCUSDT');
  const used = new Random(42);
  draw(used, 1_000);
  used.normal();
  const late = used.fork('trades:linear:BTCUSDT');
  expect(draw(late, 100)).toEqual(draw(fresh, 100));
});

test('drawing from a fork does not shift the parent stream', () => {
  const a = new Random(99);
  const b = new Random(99);
  draw(a.fork('x'), 500);
  expect(draw(a, 50)).toEqual(draw(b, 50));
});

test('forks with different labels give different streams, and differ from the parent', () => {
  const root = new Random(42);
  const x = draw(root.fork('price:BTCUSDT'), 20);
  const y = draw(root.fork('price:ETHUSDT'), 20);
  expect(x).not.toEqual(y);
  expect(x).not.toEqual(draw(new Random(42), 20));
  expect(draw(new Random(43).fork('price:BTCUSDT'), 20)).not.toEqual(x);
});

test('next() is in [0, 1) and int() stays in its half-open range', () => {
  const rng = new Random(5);
  for (let i = 0; i < 10_000; i++) {
    const u = rng.next();
    expect(u >= 0 && u < 1).toBe(true);
    const k = rng.int(3, 8);
    expect(Number.isInteger(k) && k >= 3 && k < 8).toBe(true);
  }
});

test('next() is roughly uniform over 20k draws', () => {
  const rng = new Random(11);
  const bins = new Array<number>(10).fill(0);
  const n = 20_000;
  for (let i = 0; i < n; i++) bins[Math.floor(rng.next() * 10)]! += 1;
  for (const count of bins) expect(Math.abs(count - n / 10)).toBeLessThan(n / 10 / 5);
});

test('normal() has mean near 0 and standard deviation near 1 over 20k draws', () => {
  const rng = new Random(12345);
  const n = 20_000;
  let sum = 0;
  let sumSq = 0;
  for (let i = 0; i < n; i++) {
    const z = rng.normal();
    expect(Number.isFinite(z)).toBe(true);
    sum += z;
    sumSq += z * z;
  }
  const mean = sum / n;
  const sd = Math.sqrt(sumSq / n - mean * mean);
  expect(Math.abs(mean)).toBeLessThan(0.05);
  expect(Math.abs(sd - 1)).toBeLessThan(0.05);
});

test('hashUniform is in [0, 1) and the same inputs always give the same output', () => {
  for (let i = 0; i < 5_000; i++) {
    const u = hashUniform(42, i, 1_700_000_000_000 + i * 60_000);
    expect(u >= 0 && u < 1).toBe(true);
  }
  expect(hashUniform(1, 2, 3)).toBe(hashUniform(1, 2, 3));
  expect(hashUniform(0)).toBe(hashUniform(0));
  expect(hashNormal(9, 8, 7)).toBe(hashNormal(9, 8, 7));
});

test('hashUniform tells apart seeds, keys, key order and keys that differ only above 32 bits', () => {
  const base = hashUniform(42, 1, 2);
  expect(hashUniform(43, 1, 2)).not.toBe(base);
  expect(hashUniform(42, 2, 1)).not.toBe(base);
  expect(hashUniform(42, 1, 3)).not.toBe(base);
  expect(hashUniform(42, 1)).not.toBe(base);
  expect(hashUniform(42, 5)).not.toBe(hashUniform(42, 5 + 2 ** 32));
});

test('hashUniform is roughly uniform over consecutive keys', () => {
  const n = 20_000;
  let sum = 0;
  const bins = new Array<number>(10).fill(0);
  for (let i = 0; i < n; i++) {
    const u = hashUniform(7, i);
    sum += u;
    bins[Math.floor(u * 10)]! += 1;
  }
  expect(Math.abs(sum / n - 0.5)).toBeLessThan(0.02);
  for (const count of bins) expect(Math.abs(count - n / 10)).toBeLessThan(n / 10 / 5);
});

test('hashNormal has mean near 0 and standard deviation near 1 over 20k keys', () => {
  const n = 20_000;
  let sum = 0;
  let sumSq = 0;
  for (let i = 0; i < n; i++) {
    const z = hashNormal(31337, i);
    sum += z;
    sumSq += z * z;
  }
  const mean = sum / n;
  expect(Math.abs(mean)).toBeLessThan(0.05);
  expect(Math.abs(Math.sqrt(sumSq / n - mean * mean) - 1)).toBeLessThan(0.05);
});

test('hashString is a stable 32-bit FNV-1a', () => {
  // Published FNV-1a 32-bit values.
  expect(hashString('')).toBe(0x811c9dc5);
  expect(hashString('a')).toBe(0xe40c292c);
  expect(hashString('foobar')).toBe(0xbf9cf968);
});

test('hex(n) gives 2n lowercase hex characters', () => {
  const rng = new Random(3);
  for (const n of [1, 3, 4, 7, 16, 32]) {
    const h = rng.hex(n);
    expect(h).toMatch(new RegExp(`^[0-9a-f]{${2 * n}}$`));
  }
});

test('uuidFrom gives a 36-character lowercase version 4 UUID with an 8-b variant', () => {
  const rng = new Random(2024);
  const seen = new Set<string>();
  for (let i = 0; i < 2_000; i++) {
    const id = uuidFrom(rng);
    expect(id).toHaveLength(36);
    expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    seen.add(id);
  }
  expect(seen.size).toBe(2_000);
});

test('uuidFrom is deterministic for a seed', () => {
  const a = new Random(8);
  const b = new Random(8);
  for (let i = 0; i < 10; i++) expect(uuidFrom(a)).toBe(uuidFrom(b));
});

test('numeric ids are 19-digit strings that count up from the base', () => {
  const ids = new NumericIds(2_100_000_000_000_000_000n);
  const a = ids.next();
  const b = ids.next();
  expect(a).toBe('2100000000000000001');
  expect(b).toBe('2100000000000000002');
  expect(a).toMatch(/^\d{19}$/);
});
