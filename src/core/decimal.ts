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
  return step.gt(ZERO) && value.mod(step).eq(ZERO);
}

/** Rounds value down to a multiple of step. */
export function floorToStep(value: Big, step: Big): Big {
  return value.div(step).round(0, Big.roundDown).times(step);
}

/** Rounds value to the nearest multiple of step (half up). */
export function roundToStep(value: Big, step: Big): Big {
  return value.div(step).round(0, Big.roundHalfUp).times(step);
}

/** Formats with exactly `dp` decimals, the way Bybit pads prices and sizes to the instrument. */
export function fixed(value: Big, dp: number): string {
  return value.toFixed(dp);
}

/** Formats with no trailing zeros (Bybit's style for balances and PnL). */
export function plain(value: Big): string {
  return value.toFixed();
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

/** 10^-dp when step is exactly that (0.01 for dp 2), else undefined. */
const powerOfTenSteps = new WeakMap<Big, boolean>();
function isPowerOfTenStep(step: Big, dp: number): boolean {
  let known = powerOfTenSteps.get(step);
  if (known === undefined) {
    known = step.eq(Big('1').div(Big('10').pow(dp)));
    powerOfTenSteps.set(step, known);
  }
  return known;
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
