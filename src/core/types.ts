/** Bybit enumerations used across the core. Exhaustive unions; see docs/architecture.md rule 7. */

export const CATEGORIES = ['spot', 'linear', 'inverse', 'option'] as const;
export type Category = (typeof CATEGORIES)[number];

/** Categories the engine trades today; inverse and option are served as empty lists. */
export const TRADED_CATEGORIES = ['spot', 'linear'] as const;
export type TradedCategory = (typeof TRADED_CATEGORIES)[number];

export const KLINE_INTERVALS = [
  '1',
  '3',
  '5',
  '15',
  '30',
  '60',
  '120',
  '240',
  '360',
  '720',
  'D',
  'W',
  'M',
] as const;
export type KlineInterval = (typeof KLINE_INTERVALS)[number];

export const INSTRUMENT_STATUSES = ['PreLaunch', 'Trading', 'Delivering', 'Closed'] as const;
export type InstrumentStatus = (typeof INSTRUMENT_STATUSES)[number];

export type Side = 'Buy' | 'Sell';

export function isCategory(value: unknown): value is Category {
  return typeof value === 'string' && (CATEGORIES as readonly string[]).includes(value);
}

export function isKlineInterval(value: unknown): value is KlineInterval {
  return typeof value === 'string' && (KLINE_INTERVALS as readonly string[]).includes(value);
}

export function assertNever(value: never, what = 'value'): never {
  throw new Error(`Unhandled ${what}: ${JSON.stringify(value)}`);
}
