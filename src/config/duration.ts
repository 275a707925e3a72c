/**
 * Durations in config files: either a whole number of milliseconds or a short text such as "250ms",
 * "1s", "1.5s", "5m", "2h", "1d". Arithmetic is exact (big.js) so "1.1s" is 1100 ms, not
 * 1100.0000000000002; a text that does not land on a whole millisecond is rejected instead of rounded.
 */
import { Big, fromInt } from '../core/decimal.js';

const UNIT_MS = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;
type DurationUnit = keyof typeof UNIT_MS;

/** The accepted text form; shared with the scenario schema so editors and the loader agree. */
export const DURATION_PATTERN = '^[0-9]+(\\.[0-9]+)?(ms|s|m|h|d)$';
const DURATION_RE = new RegExp(DURATION_PATTERN);

/** Milliseconds for a duration value, or undefined when it is not a valid non-negative duration. */
export function parseDuration(value: unknown): number | undefined {
  if (typeof value === 'number') return Number.isSafeInteger(value) && value >= 0 ? value : undefined;
  if (typeof value !== 'string') return undefined;
  const text = value.trim();
  const match = DURATION_RE.exec(text);
  if (!match) return undefined;
  const unit = match[2] as DurationUnit;
  const amount = text.slice(0, text.length - unit.length);
  const ms = Big(amount).times(fromInt(UNIT_MS[unit]));
  if (!ms.eq(ms.round(0, Big.roundDown))) return undefined;
  if (ms.gt(fromInt(Number.MAX_SAFE_INTEGER))) return undefined;
  return ms.toNumber();
}
