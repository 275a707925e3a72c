/**
 * Deterministic ids in Bybit's formats: lowercase UUIDs for derivatives, 19-digit numeric strings
 * for spot. All come from seeded streams, so a replayed scenario yields the same ids.
 */
import type { Random } from './random.js';

export function uuidFrom(rng: Random): string {
  const h = rng.hex(16).split('');
  h[12] = '4';
  h[16] = ((Number.parseInt(h[16] ?? '0', 16) & 0x3) | 0x8).toString(16);
  const s = h.join('');
  return `${s.slice(0, 8)}-${s.slice(8, 12)}-${s.slice(12, 16)}-${s.slice(16, 20)}-${s.slice(20, 32)}`;
}

/**
 * Numeric ids: a 19-digit base plus a counter, so they sort by creation like Bybit's.
 * `base` must leave room: 1.9e18 + counter stays below 2^63.
 */
export class NumericIds {
  private counter: bigint;
  constructor(base: bigint) {
    this.counter = base;
  }
  next(): string {
    this.counter += 1n;
    return this.counter.toString();
  }
}
