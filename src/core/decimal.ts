/**
 * Money and quantities: big.js inside, strings on the wire. The exported Big is in strict mode,
 * so `Big(1.1)` (a JS number) and `toNumber()` with precision loss throw instead of rounding
 * silently. Build decimals from strings or from integers through `fromInt`.
 */
import BigJs from 'big.js';

export const Big = BigJs();
Big.strict = true;
Big.DP = 30;
export type Big = BigJs.Big;

const DECIMAL_RE = /^[+-]?(\d+\.?\d*|\.\d+)$/;

export const ZERO = Big('0');
export const ONE = Big('1');

/**
 * x.div(y), without the long division when y is a power of ten (the default leverage 10, sizes
 * such as 0.001 or 1): the quotient is x with its exponent shifted, exact, and what big.js
 * computes whenever it needs no more than Big.DP decimals (otherwise big.js divides and rounds).
 */
export function div(x: Big, y: Big): Big {
  if (isPowerOfTen(y) && x.c[0] !== 0) {
    const q = new Big(x);
    q.e -= y.e;
    if (y.s < 0) q.s = -q.s;
    if (q.c.length - q.e - 1 <= Big.DP) return q;
  }
  return x.div(y);
}

/** x is +-10^k (1, 10, 0.001, ...): its only digit is a 1. */
export const isPowerOfTen = (x: Big): boolean => x.c.length === 1 && x.c[0] === 1;

/** a + b, giving back the other operand itself when one is zero (no new Big). */
export const sum = (a: Big, b: Big): Big => (isZero(b) ? a : isZero(a) ? b : a.plus(b));

/** a - b, giving back a itself when b is zero (no new Big). */
export const difference = (a: Big, b: Big): Big => (isZero(b) ? a : a.minus(b));

// Sign tests read the digits and sign directly. x.eq(ZERO) and friends copy their argument into a
// new Big first (big.js does that in every comparison), and the order path makes dozens of them.
/** x == 0 (either sign of zero), as x.eq(ZERO). */
export const isZero = (x: Big): boolean => x.c[0] === 0;
/** x > 0, as x.gt(ZERO). */
export const isPositive = (x: Big): boolean => x.s > 0 && x.c[0] !== 0;
/** x < 0, as x.lt(ZERO). */
export const isNegative = (x: Big): boolean => x.s < 0 && x.c[0] !== 0;

/** Parses a decimal string (or a finite JSON number, as written) strictly; undefined when invalid. */
export function parseDecimal(value: unknown): Big | undefined {
  let text: string;
  if (typeof value === 'string') text = value.trim();
  else if (typeof value === 'number' && Number.isFinite(value)) text = String(value);
  else return undefined;
  if (!DECIMAL_RE.test(text)) {
    // JSON numbers such as 1e-7 arrive in exponent form.
    if (typeof value === 'number' && /^[+-]?\d+(\.\d+)?e[+-]?\d+$/i.test(text)) return Big(text);
    return undefined;
  }
  // big.js refuses a leading '+', which the pattern allows.
  return Big(text.startsWith('+') ? text.slice(1) : text);
}

/** An exact Big from a safe integer (tick and step counts). */
export function fromInt(n: number): Big {
  if (!Number.isSafeInteger(n)) throw new RangeError(`fromInt needs a safe integer, got ${n}`);
  return Big(String(n));
}

/** Number of decimals in a step such as "0.001" (3) or "1" (0). */
export function decimalsOf(step: Big | string): number {
  const s = typeof step === 'string' ? Big(step) : step;
  const text = s.toFixed();
  const dot = text.indexOf('.');
  return dot < 0 ? 0 : text.length - dot - 1;
}

/** True when value is a whole multiple of step. */
export function isMultipleOf(value: Big, step: Big): boolean {
  if (!isPositive(step)) return false;
  // A power-of-ten step (0.001, 1, 10): no digit of value below the step's place. Every order's
  // size and price are checked, and mod is a division.
  if (isPowerOfTen(step)) return isZero(value) || !hasDigitsBeyond(value, -step.e);
  return isZero(value.mod(step));
}

/** Rounds value down to a multiple of step. */
export function floorToStep(value: Big, step: Big): Big {
  return value.div(step).round(0, Big.roundDown).times(step);
}

/** Rounds value to the nearest multiple of step (half up). */
export function roundToStep(value: Big, step: Big): Big {
  return value.div(step).round(0, Big.roundHalfUp).times(step);
}

/**
 * The digits of a Big's coefficient as one string. big.js joins its digit array (`c.join('')`),
 * which is most of the cost of formatting; reading the digits as numbers in chunks of 9 and
 * printing those is two to three times faster (every private frame formats dozens of decimals).
 * Nine digits stay a small integer, which prints without the double-to-text conversion a longer
 * chunk would need.
 */
function coefficient(c: readonly number[]): string {
  const n = c.length;
  if (n === 1) return String(c[0]);
  let out = '';
  for (let i = 0; i < n; i += 9) {
    const end = i + 9 < n ? i + 9 : n;
    let v = 0;
    for (let j = i; j < end; j++) v = v * 10 + c[j]!;
    // c[0] is never 0 in a non-zero Big, so only the later chunks need their leading zeros.
    out += i === 0 ? String(v) : String(v).padStart(end - i, '0');
  }
  return out;
}

/** value.toFixed() and, when `dp` is given and no rounding is needed, value.toFixed(dp). */
function format(value: Big, dp: number): string {
  const c = value.c;
  const e = value.e;
  const digits = coefficient(c);
  const n = digits.length;
  let text: string;
  let decimals: number;
  if (e < 0) {
    text = `0.${'0'.repeat(-e - 1)}${digits}`;
    decimals = n - e - 1;
  } else if (e + 1 >= n) {
    text = e + 1 > n ? digits + '0'.repeat(e + 1 - n) : digits;
    decimals = 0;
  } else {
    text = `${digits.slice(0, e + 1)}.${digits.slice(e + 1)}`;
    decimals = n - e - 1;
  }
  if (dp > decimals) text += decimals === 0 ? `.${'0'.repeat(dp)}` : '0'.repeat(dp - decimals);
  // big.js prints no sign on zero.
  return value.s < 0 && c[0] !== 0 ? `-${text}` : text;
}

/** Formats with exactly `dp` decimals, the way Bybit pads prices and sizes to the instrument. */
export function fixed(value: Big, dp: number): string {
  // Values with more decimals than asked for need big.js's rounding (half up); the rest (every
  // price and size on its instrument's grid) are padded without a rounded copy.
  return hasDigitsBeyond(value, dp) ? value.toFixed(dp) : format(value, dp);
}

/** Formats with no trailing zeros (Bybit's style for balances and PnL): value.toFixed(). */
export function plain(value: Big): string {
  return format(value, 0);
}

/** plain(value.round(dp, half up)) without the rounded copy when there is nothing to round. */
export function plainRounded(value: Big, dp: number): string {
  return format(hasDigitsBeyond(value, dp) ? value.round(dp, Big.roundHalfUp) : value, 0);
}

/**
 * value / 10^-dp truncated toward zero (big.js roundDown), as a number: the tick or step count of
 * a price or size when the step is 10^-dp. Read from the digits, with no division; undefined when
 * the count has more than 15 digits.
 */
export function unitsOf(value: Big, dp: number): number | undefined {
  const c = value.c;
  const last = value.e + dp; // index of the digit in the units place
  if (last < 0) return 0;
  if (last > 14) return undefined;
  let v = 0;
  for (let j = 0; j <= last; j++) v = v * 10 + (j < c.length ? c[j]! : 0);
  return value.s < 0 && v !== 0 ? -v : v;
}

/** True when value has non-zero digits beyond 10^-dp (unitsOf truncated them). */
export function hasDigitsBeyond(value: Big, dp: number): boolean {
  return value.c.length - value.e - 1 > dp;
}

/**
 * Converts a float produced by the simulation (never user input) to a Big rounded to `step`.
 * Simulation math (exp, sqrt) is done in floats; the result becomes exact here.
 */
export function floatToStep(x: number, step: Big): Big {
  const units = Math.round(x / simFloat(step));
  return fromInt(units).times(step);
}

/**
 * The one place a decimal becomes a float: inputs of the price simulation (start price, tick
 * size). Never use it for balances, order prices or quantities.
 */
export function simFloat(value: Big | string): number {
  return Number.parseFloat(typeof value === 'string' ? value : value.toFixed());
}

/** How many whole steps fit in qty (rounded half up); sizes in the simulation are step counts. */
export function stepsOf(qty: Big | string, step: Big): number {
  const q = typeof qty === 'string' ? Big(qty) : qty;
  return Number(q.div(step).round(0, Big.roundHalfUp).toFixed(0));
}

/** True when step is exactly 10^-dp (0.01 for dp 2). */
export function isPowerOfTenStep(step: Big, dp: number): boolean {
  return step.s > 0 && isPowerOfTen(step) && step.e === -dp;
}

/**
 * units * step as a fixed-decimal wire string with `dp` decimals. Steps that are a power of ten
 * (0.1, 0.001, 1: nearly every tick size and qty step) are formatted from the integer directly,
 * which is exact and keeps big.js off the market-data hot path.
 */
export function formatUnits(units: number, step: Big, dp: number): string {
  if (Number.isSafeInteger(units) && isPowerOfTenStep(step, dp)) {
    if (dp === 0) return String(units);
    const negative = units < 0;
    const digits = String(Math.abs(units)).padStart(dp + 1, '0');
    const text = `${digits.slice(0, -dp)}.${digits.slice(-dp)}`;
    return negative ? `-${text}` : text;
  }
  return fromInt(units).times(step).toFixed(dp);
}
