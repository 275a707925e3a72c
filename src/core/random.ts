/**
 * Seeded randomness. Streams are derived from the scenario seed and a label, so adding a symbol or
 * drawing more numbers in one place never shifts the numbers drawn in another.
 */

/** 32-bit FNV-1a over a string, used to turn labels into seeds. */
export function hashString(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/** Murmur3 finaliser: a good 32-bit mix. */
function mix32(x: number): number {
  x ^= x >>> 16;
  x = Math.imul(x, 0x85ebca6b);
  x ^= x >>> 13;
  x = Math.imul(x, 0xc2b2ae35);
  x ^= x >>> 16;
  return x >>> 0;
}

/**
 * A stateless hash of a seed and integer keys to [0, 1). Same inputs, same output, forever:
 * this is what lets history (candles, funding) be derived from time instead of stored.
 */
export function hashUniform(seed: number, ...keys: number[]): number {
  let h = mix32(seed ^ 0x9e3779b9);
  for (const key of keys) {
    // Split keys beyond 32 bits so large timestamps and indices stay distinct.
    const lo = key >>> 0;
    const hi = Math.floor(key / 4294967296) >>> 0;
    h = mix32(h ^ mix32(lo + 0x632be5ab));
    h = mix32(h ^ mix32(hi + 0x85157af5));
  }
  return h / 4294967296;
}

/** A standard normal from the stateless hash (Box-Muller over two derived uniforms). */
export function hashNormal(seed: number, ...keys: number[]): number {
  const u1 = hashUniform(seed, ...keys, 1) || 1e-12;
  const u2 = hashUniform(seed, ...keys, 2);
  return Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2);
}

/** sfc32: small, fast, and good enough for simulation. */
export class Random {
  private a: number;
  private b: number;
  private c: number;
  private d: number;
  private spareNormal: number | undefined;

  constructor(readonly seed: number) {
    this.a = mix32(seed ^ 0xdeadbeef);
    this.b = mix32(seed ^ 0x41c64e6d);
    this.c = mix32(seed ^ 0x6c078965);
    this.d = 1;
    for (let i = 0; i < 12; i++) this.nextUint32();
  }

  /** An independent stream for `label`, not affected by draws on this one. */
  fork(label: string): Random {
    return new Random(mix32(this.seed ^ hashString(label)));
  }

  nextUint32(): number {
    const t = (((this.a + this.b) >>> 0) + this.d) >>> 0;
    this.d = (this.d + 1) >>> 0;
    this.a = this.b ^ (this.b >>> 9);
    this.b = (this.c + (this.c << 3)) >>> 0;
    this.c = ((this.c << 21) | (this.c >>> 11)) >>> 0;
    this.c = (this.c + t) >>> 0;
    return t;
  }

  /** Uniform in [0, 1). */
  next(): number {
    return this.nextUint32() / 4294967296;
  }

  /** Integer in [min, maxExclusive). */
  int(min: number, maxExclusive: number): number {
    return min + Math.floor(this.next() * (maxExclusive - min));
  }

  normal(): number {
    if (this.spareNormal !== undefined) {
      const v = this.spareNormal;
      this.spareNormal = undefined;
      return v;
    }
    const u1 = this.next() || 1e-12;
    const u2 = this.next();
    const r = Math.sqrt(-2 * Math.log(u1));
    this.spareNormal = r * Math.sin(2 * Math.PI * u2);
    return r * Math.cos(2 * Math.PI * u2);
  }

  /** Random bytes as lowercase hex, for ids. */
  hex(bytes: number): string {
    let out = '';
    for (let i = 0; i < bytes; i += 4) {
      out += this.nextUint32().toString(16).padStart(8, '0');
    }
    return out.slice(0, bytes * 2);
  }
}
