/**
 * Ids: the flat-string UUID builder gives exactly the ids of the straightforward one, so
 * scenarios replay with the same order and execution ids as before.
 */
import { expect, test } from 'vitest';
import { NumericIds, uuidFrom } from '../../src/core/ids.js';
import { Random } from '../../src/core/random.js';

/** The reference: 32 hex digits, version and variant set, dashes at 8-4-4-4-12. */
function referenceUuid(rng: Random): string {
  const h = rng.hex(16).split('');
  h[12] = '4';
  h[16] = ((Number.parseInt(h[16] ?? '0', 16) & 0x3) | 0x8).toString(16);
  const s = h.join('');
  return `${s.slice(0, 8)}-${s.slice(8, 12)}-${s.slice(12, 16)}-${s.slice(16, 20)}-${s.slice(20, 32)}`;
}

test('uuidFrom matches the reference for thousands of draws of several seeds', () => {
  for (const seed of [0, 1, 7, 4294967295]) {
    const a = new Random(seed);
    const b = new Random(seed);
    for (let i = 0; i < 3000; i++) expect(uuidFrom(a)).toBe(referenceUuid(b));
  }
});

test('uuidFrom is a lowercase version 4 UUID with the RFC variant', () => {
  const rng = new Random(42);
  for (let i = 0; i < 500; i++)
    expect(uuidFrom(rng)).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
});

test('numeric ids count up from their base as 19-digit strings', () => {
  const ids = new NumericIds(1_900_000_000_000_000_000n);
  expect([ids.next(), ids.next()]).toEqual(['1900000000000000001', '1900000000000000002']);
});
