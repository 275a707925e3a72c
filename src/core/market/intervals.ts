/**
 * Kline bucket arithmetic for Bybit's intervals. Minute intervals and D are epoch-aligned,
 * W starts on Monday 00:00 UTC and M on the first day of the month (UTC).
 */
import type { KlineInterval } from '../types.js';

export const MINUTE = 60_000;
export const DAY = 86_400_000;
const WEEK = 7 * DAY;
/** 1970-01-05 was the first Monday after the epoch. */
const FIRST_MONDAY = 4 * DAY;

export function intervalMinutes(interval: Exclude<KlineInterval, 'D' | 'W' | 'M'>): number {
  return Number.parseInt(interval, 10);
}

/** Start of the bucket containing t. */
export function bucketStart(interval: KlineInterval, t: number): number {
  switch (interval) {
    case 'M': {
      const d = new Date(t);
      return Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), 1);
    }
    case 'W':
      return Math.floor((t - FIRST_MONDAY) / WEEK) * WEEK + FIRST_MONDAY;
    case 'D':
      return Math.floor(t / DAY) * DAY;
    default: {
      const len = intervalMinutes(interval) * MINUTE;
      return Math.floor(t / len) * len;
    }
  }
}

/** Start of the bucket after the one starting at `start`. */
export function nextBucket(interval: KlineInterval, start: number): number {
  switch (interval) {
    case 'M': {
      const d = new Date(start);
      return Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 1);
    }
    case 'W':
      return start + WEEK;
    case 'D':
      return start + DAY;
    default:
      return start + intervalMinutes(interval) * MINUTE;
  }
}

/** Start of the bucket before the one starting at `start`. */
export function previousBucket(interval: KlineInterval, start: number): number {
  if (interval === 'M') {
    const d = new Date(start);
    return Date.UTC(d.getUTCFullYear(), d.getUTCMonth() - 1, 1);
  }
  return bucketStart(interval, start - 1);
}
