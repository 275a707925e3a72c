import { expect, test } from 'vitest';
import { DAY, MINUTE, bucketStart, nextBucket, previousBucket } from '../../src/core/market/intervals.js';
import { KLINE_INTERVALS } from '../../src/core/types.js';

const utc = (y: number, mo: number, d: number, h = 0, mi = 0, s = 0, ms = 0) =>
  Date.UTC(y, mo - 1, d, h, mi, s, ms);
const HOUR = 60 * MINUTE;

test('a 1-minute bucket starts on the minute, and one ms before belongs to the previous minute', () => {
  const t = utc(2024, 3, 10, 14, 37);
  expect(bucketStart('1', t)).toBe(t);
  expect(bucketStart('1', t + 59_999)).toBe(t);
  expect(bucketStart('1', t - 1)).toBe(t - MINUTE);
  expect(nextBucket('1', t)).toBe(t + MINUTE);
  expect(previousBucket('1', t)).toBe(t - MINUTE);
});

test('a 60-minute bucket starts on the hour', () => {
  const t = utc(2024, 3, 10, 14);
  expect(bucketStart('60', t)).toBe(t);
  expect(bucketStart('60', t + 30 * MINUTE)).toBe(t);
  expect(bucketStart('60', t + HOUR - 1)).toBe(t);
  expect(bucketStart('60', t - 1)).toBe(t - HOUR);
  expect(nextBucket('60', t)).toBe(t + HOUR);
  expect(previousBucket('60', t)).toBe(t - HOUR);
});

test('a 720-minute bucket starts at 00:00 or 12:00 UTC', () => {
  const noon = utc(2024, 3, 10, 12);
  expect(bucketStart('720', noon)).toBe(noon);
  expect(bucketStart('720', noon - 1)).toBe(utc(2024, 3, 10));
  expect(bucketStart('720', utc(2024, 3, 10, 23, 59, 59, 999))).toBe(noon);
  expect(bucketStart('720', utc(2024, 3, 11))).toBe(utc(2024, 3, 11));
  expect(nextBucket('720', noon)).toBe(utc(2024, 3, 11));
  expect(previousBucket('720', noon)).toBe(utc(2024, 3, 10));
  expect(previousBucket('720', utc(2024, 3, 10))).toBe(utc(2024, 3, 9, 12));
});

test('every minute interval is aligned to the epoch and spans its length', () => {
  const t = utc(2025, 7, 19, 17, 43, 21, 5);
  for (const iv of KLINE_INTERVALS) {
    if (iv === 'D' || iv === 'W' || iv === 'M') continue;
    const len = Number(iv) * MINUTE;
    const b = bucketStart(iv, t);
    expect(b % len, iv).toBe(0);
    expect(b <= t && t < b + len, iv).toBe(true);
    expect(nextBucket(iv, b), iv).toBe(b + len);
    expect(previousBucket(iv, b), iv).toBe(b - len);
  }
});

test('a day bucket starts at 00:00 UTC', () => {
  const d = utc(2024, 2, 29);
  expect(bucketStart('D', d)).toBe(d);
  expect(bucketStart('D', d + DAY - 1)).toBe(d);
  expect(bucketStart('D', d - 1)).toBe(utc(2024, 2, 28));
  expect(nextBucket('D', d)).toBe(utc(2024, 3, 1));
  expect(previousBucket('D', d)).toBe(utc(2024, 2, 28));
  expect(nextBucket('D', utc(2023, 12, 31))).toBe(utc(2024, 1, 1));
});

test('a week bucket starts on Monday 00:00 UTC', () => {
  // 2024-01-01 was a Monday.
  const monday = utc(2024, 1, 1);
  expect(new Date(monday).getUTCDay()).toBe(1);
  expect(bucketStart('W', monday)).toBe(monday);
  expect(bucketStart('W', utc(2024, 1, 3, 12))).toBe(monday);
  expect(bucketStart('W', utc(2024, 1, 7, 23, 59, 59, 999))).toBe(monday);
  expect(bucketStart('W', utc(2024, 1, 8))).toBe(utc(2024, 1, 8));
  expect(bucketStart('W', monday - 1)).toBe(utc(2023, 12, 25));
  expect(nextBucket('W', monday)).toBe(utc(2024, 1, 8));
  expect(previousBucket('W', monday)).toBe(utc(2023, 12, 25));
});

test('week buckets land on a Monday for any time, including before the first epoch Monday', () => {
  for (const t of [
    0,
    3 * DAY,
    4 * DAY - 1,
    4 * DAY,
    utc(2000, 2, 29, 5),
    utc(2026, 6, 15, 23),
    utc(1969, 12, 31),
  ]) {
    const b = bucketStart('W', t);
    expect(new Date(b).getUTCDay(), String(t)).toBe(1);
    expect(Math.abs(b % DAY), String(t)).toBe(0);
    expect(b <= t && t < b + 7 * DAY, String(t)).toBe(true);
  }
  expect(bucketStart('W', 0)).toBe(-3 * DAY); // 1969-12-29, a Monday
});

test('a month bucket starts on the first of the month, UTC', () => {
  expect(bucketStart('M', utc(2024, 3, 1))).toBe(utc(2024, 3, 1));
  expect(bucketStart('M', utc(2024, 3, 1) - 1)).toBe(utc(2024, 2, 1));
  expect(bucketStart('M', utc(2024, 3, 17, 9, 30))).toBe(utc(2024, 3, 1));
  expect(bucketStart('M', utc(2024, 3, 31, 23, 59, 59, 999))).toBe(utc(2024, 3, 1));
});

test('month buckets handle February in leap and common years', () => {
  expect(bucketStart('M', utc(2024, 2, 29, 23, 59, 59, 999))).toBe(utc(2024, 2, 1));
  expect(bucketStart('M', utc(2023, 2, 28, 23, 59, 59, 999))).toBe(utc(2023, 2, 1));
  expect(bucketStart('M', utc(2023, 3, 1))).toBe(utc(2023, 3, 1));
  expect(nextBucket('M', utc(2024, 2, 1))).toBe(utc(2024, 3, 1));
  expect(nextBucket('M', utc(2024, 1, 1))).toBe(utc(2024, 2, 1));
  expect(previousBucket('M', utc(2024, 3, 1))).toBe(utc(2024, 2, 1));
  expect(nextBucket('M', utc(2024, 2, 1)) - utc(2024, 2, 1)).toBe(29 * DAY);
  expect(nextBucket('M', utc(2023, 2, 1)) - utc(2023, 2, 1)).toBe(28 * DAY);
});

test('month buckets cross the year: December to January and back', () => {
  expect(bucketStart('M', utc(2023, 12, 31, 23, 59, 59, 999))).toBe(utc(2023, 12, 1));
  expect(bucketStart('M', utc(2024, 1, 1))).toBe(utc(2024, 1, 1));
  expect(bucketStart('M', utc(2024, 1, 1) - 1)).toBe(utc(2023, 12, 1));
  expect(nextBucket('M', utc(2023, 12, 1))).toBe(utc(2024, 1, 1));
  expect(previousBucket('M', utc(2024, 1, 1))).toBe(utc(2023, 12, 1));
});

test('next and previous bucket are inverses, and buckets tile time without gaps', () => {
  for (const iv of KLINE_INTERVALS) {
    let b = bucketStart(iv, utc(2023, 11, 3, 7, 11));
    for (let i = 0; i < 30; i++) {
      const n = nextBucket(iv, b);
      expect(n, iv).toBeGreaterThan(b);
      expect(previousBucket(iv, n), iv).toBe(b);
      expect(bucketStart(iv, n), iv).toBe(n);
      expect(bucketStart(iv, n - 1), iv).toBe(b);
      b = n;
    }
  }
});
