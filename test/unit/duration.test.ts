import { describe, it, expect } from 'vitest';
import { parseDuration } from '../../src/config/duration.js';

describe('parseDuration', () => {
  it('accepts a non-negative integer as milliseconds', () => {
    expect(parseDuration(0)).toBe(0);
    expect(parseDuration(250)).toBe(250);
  });

  it('rejects negative, fractional and non-finite numbers', () => {
    expect(parseDuration(-1)).toBeUndefined();
    expect(parseDuration(1.5)).toBeUndefined();
    expect(parseDuration(Number.NaN)).toBeUndefined();
    expect(parseDuration(Number.POSITIVE_INFINITY)).toBeUndefined();
  });

  it('converts every unit to milliseconds', () => {
    expect(parseDuration('250ms')).toBe(250);
    expect(parseDuration('1s')).toBe(1_000);
    expect(parseDuration('5m')).toBe(300_000);
    expect(parseDuration('2h')).toBe(7_200_000);
    expect(parseDuration('1d')).toBe(86_400_000);
    expect(parseDuration('8h')).toBe(480 * 60_000);
  });

  it('handles fractions exactly, without float noise', () => {
    expect(parseDuration('1.5s')).toBe(1_500);
    expect(parseDuration('1.1s')).toBe(1_100);
    expect(parseDuration('0.001s')).toBe(1);
    expect(parseDuration('0.5h')).toBe(1_800_000);
  });

  it('rejects a text that does not land on a whole millisecond', () => {
    expect(parseDuration('0.5ms')).toBeUndefined();
    expect(parseDuration('0.0001s')).toBeUndefined();
  });

  it('rejects texts without a known unit, with a sign, or in another form', () => {
    for (const text of ['', '1', '1 s', '1S', '-1s', '+1s', '1w', 's', '.5s', '1.s', '1e3ms', 'PT1S']) {
      expect(parseDuration(text), text).toBeUndefined();
    }
  });

  it('rejects values that are neither numbers nor strings', () => {
    expect(parseDuration(undefined)).toBeUndefined();
    expect(parseDuration(null)).toBeUndefined();
    expect(parseDuration(true)).toBeUndefined();
    expect(parseDuration({ ms: 1 })).toBeUndefined();
  });

  it('rejects a duration beyond the safe integer range', () => {
    expect(parseDuration('999999999999999999d')).toBeUndefined();
  });

  it('trims surrounding whitespace', () => {
    expect(parseDuration(' 1s ')).toBe(1_000);
  });
});
