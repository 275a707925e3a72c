/**
 * Deterministic ids in Bybit's formats: lowercase UUIDs for derivatives, 19-digit numeric strings
 * for spot. All come from seeded streams, so a replayed scenario yields the same ids.
 */
import type { Random } from './random.js';

const HEX_CODES = Array.from('0123456789abcdef', (c) => c.charCodeAt(0));
const UUID_CODES = new Array<number>(36).fill(0);

/**
 * A version-4-shaped UUID from four draws of `rng`, built as one flat string: ids live as long as
 * the orders and executions that carry them, and a string glued from slices costs a heap object
 * per piece.
 */
export function uuidFrom(rng: Random): string {
  let k = 0;
  for (let w = 0; w < 4; w++) {
    const x = rng.nextUint32();
    for (let i = 7; i >= 0; i--) {
      if (k === 8 || k === 13 || k === 18 || k === 23) UUID_CODES[k++] = 45; // '-'
      let nibble = (x >>> (i * 4)) & 15;
      if (k === 14)
        nibble = 4; // version
      else if (k === 19) nibble = (nibble & 3) | 8; // variant
      UUID_CODES[k++] = HEX_CODES[nibble]!;
    }
  }
  return String.fromCharCode(...UUID_CODES);
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
