/**
 * Funding history as a pure function of (seed, symbol, settlement time): each settlement's rate
 * is the configured rate plus a small hashed deviation. Settlements fall on multiples of the
 * funding interval since the epoch (00:00, 08:00, 16:00 UTC for 8 h).
 */
import { Big } from '../decimal.js';
import { hashNormal, hashString } from '../random.js';

export function fundingRateAt(
  seed: number,
  symbol: string,
  baseRate: string,
  settlementTime: number,
): string {
  const noise = hashNormal(
    (seed ^ hashString(`funding:${symbol}`)) >>> 0,
    Math.floor(settlementTime / 60_000),
  );
  const deviation = Math.round(noise * 2_000) / 100_000_000; // ~ +-0.00002, 8 decimals
  return (
    Big(baseRate)
      .plus(Big(deviation.toFixed(8)))
      .toFixed(8)
      .replace(/\.?0+$/, '') || '0'
  );
}

export function nextFundingTime(now: number, intervalMinutes: number): number {
  const len = intervalMinutes * 60_000;
  return Math.floor(now / len) * len + len;
}

export interface FundingQuery {
  startTime?: number;
  endTime?: number;
  limit: number;
}

/** Settlement times newest first, within the query and not after now or before launch. */
export function fundingTimes(
  now: number,
  intervalMinutes: number,
  launchTime: number,
  q: FundingQuery,
): number[] {
  const len = intervalMinutes * 60_000;
  const upper = Math.min(q.endTime ?? now, now);
  const lower = Math.max(q.startTime ?? -Infinity, launchTime);
  const out: number[] = [];
  for (let t = Math.floor(upper / len) * len; t >= lower && out.length < q.limit; t -= len) out.push(t);
  return out;
}
