/**
 * Typed access to request parameters (query string or JSON body) with Bybit's 10001 errors that
 * name the parameter, say what was expected and what arrived.
 */
import { parseDecimal, type Big } from './decimal.js';
import { errors } from './errors.js';
import { CATEGORIES, type Category } from './types.js';

function show(value: unknown): string {
  const text = typeof value === 'string' ? `"${value}"` : JSON.stringify(value);
  return text === undefined ? 'nothing' : text.length > 60 ? `${text.slice(0, 57)}...` : text;
}

export class Params {
  constructor(private readonly values: Record<string, unknown>) {}

  static fromQuery(rawQuery: string): Params {
    const values: Record<string, unknown> = {};
    if (rawQuery) {
      for (const [k, v] of new URLSearchParams(rawQuery)) {
        // Which of two values a server would take is a guess; refusing says exactly what is wrong.
        if (k in values) throw errors.param(`${k} appears more than once in the query string; send it once`);
        values[k] = v;
      }
    }
    return new Params(values);
  }

  /**
   * The raw values, for the request journal and rule matching: the parsed body or query itself,
   * not a copy (nothing changes it; the journal keeps thousands of them).
   */
  snapshot(): Readonly<Record<string, unknown>> {
    return this.values;
  }

  has(name: string): boolean {
    const v = this.values[name];
    return v !== undefined && v !== null && v !== '';
  }

  raw(name: string): unknown {
    return this.values[name];
  }

  /** An optional string; numbers are not silently accepted for string fields. */
  str(name: string): string | undefined {
    const v = this.values[name];
    if (v === undefined || v === null || v === '') return undefined;
    if (typeof v !== 'string') throw errors.param(`${name} must be a string, got ${show(v)}`);
    return v;
  }

  requiredStr(name: string): string {
    const v = this.str(name);
    if (v === undefined) throw errors.param(`${name} is required`);
    return v;
  }

  category(allowed: readonly Category[] = CATEGORIES, fallback?: Category): Category {
    const v = this.str('category');
    if (v === undefined) {
      if (fallback) return fallback;
      throw errors.param(`category is required; expected one of ${allowed.join(', ')}`);
    }
    if (!(allowed as readonly string[]).includes(v)) {
      throw errors.param(`category invalid: expected one of ${allowed.join(', ')}, got ${show(v)}`);
    }
    return v as Category;
  }

  /** Symbols are uppercase on Bybit; lowercase is refused, not corrected. */
  symbol(required: true): string;
  symbol(required: false): string | undefined;
  symbol(required: boolean): string | undefined {
    const v = required ? this.requiredStr('symbol') : this.str('symbol');
    if (v !== undefined && !/^[A-Z0-9-]+$/.test(v)) {
      throw errors.param(
        `symbol invalid: symbols are uppercase letters and digits (e.g. BTCUSDT), got ${show(v)}`,
      );
    }
    return v;
  }

  /** An integer within [min, max]; strings of digits (query) or JSON integers (body). */
  int(name: string, opts: { min: number; max: number; def?: number }): number | undefined {
    const v = this.values[name];
    if (v === undefined || v === null || v === '') return opts.def;
    const n =
      typeof v === 'number'
        ? v
        : typeof v === 'string' && /^-?\d+$/.test(v.trim())
          ? Number.parseInt(v, 10)
          : Number.NaN;
    if (!Number.isSafeInteger(n) || n < opts.min || n > opts.max) {
      throw errors.param(`${name} must be an integer from ${opts.min} to ${opts.max}, got ${show(v)}`);
    }
    return n;
  }

  /** A millisecond timestamp. */
  time(name: string): number | undefined {
    return this.int(name, { min: 0, max: 8_640_000_000_000_000 });
  }

  /** A required decimal string (JSON numbers are refused: Bybit sends numbers as strings). */
  decimal(name: string): Big {
    const v = this.values[name];
    if (v === undefined || v === null || v === '') throw errors.param(`${name} is required`);
    if (typeof v !== 'string')
      throw errors.param(`${name} must be a decimal string such as "10", got ${show(v)}`);
    const d = parseDecimal(v);
    if (!d) throw errors.param(`${name} must be a decimal string such as "10", got ${show(v)}`);
    return d;
  }

  /** An optional decimal string; undefined when absent or empty. */
  optDecimal(name: string): Big | undefined {
    return this.has(name) ? this.decimal(name) : undefined;
  }

  /** An optional boolean: JSON true/false, or "true"/"false" as some clients send in queries. */
  bool(name: string): boolean | undefined {
    const v = this.values[name];
    if (v === undefined || v === null || v === '') return undefined;
    if (typeof v === 'boolean') return v;
    if (v === 'true') return true;
    if (v === 'false') return false;
    throw errors.param(`${name} must be true or false, got ${show(v)}`);
  }

  /** Names of all parameters that were sent. */
  keys(): string[] {
    return Object.keys(this.values);
  }

  oneOf<T extends string>(name: string, allowed: readonly T[]): T | undefined {
    const v = this.str(name);
    if (v === undefined) return undefined;
    if (!(allowed as readonly string[]).includes(v)) {
      throw errors.param(`${name} invalid: expected one of ${allowed.join(', ')}, got ${show(v)}`);
    }
    return v as T;
  }
}
