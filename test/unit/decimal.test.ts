import { expect, test } from 'vitest';
import {
  Big,
  decimalsOf,
  difference,
  div,
  fixed,
  floatToStep,
  floorToStep,
  formatUnits,
  fromInt,
  hasDigitsBeyond,
  isMultipleOf,
  isNegative,
  isPowerOfTenStep,
  isPositive,
  isZero,
  parseDecimal,
  plain,
  plainRounded,
  roundToStep,
  stepsOf,
  sum,
  unitsOf,
} from '../../src/core/decimal.js';

const str = (value: unknown) => parseDecimal(value)?.toFixed();

test('parseDecimal accepts plain decimal strings', () => {
  expect(str('0.001')).toBe('0.001');
  expect(str('65000')).toBe('65000');
  expect(str('-1.5')).toBe('-1.5');
  expect(str('.5')).toBe('0.5');
  expect(str('1.')).toBe('1');
  expect(str('0')).toBe('0');
  expect(str('00012.3400')).toBe('12.34');
});

test('parseDecimal keeps every digit of a long decimal string', () => {
  expect(str('123456789012345678901234567890.123456789')).toBe('123456789012345678901234567890.123456789');
  expect(str('0.000000000000000000000001')).toBe('0.000000000000000000000001');
});

test('parseDecimal accepts finite JSON numbers as they are written', () => {
  expect(str(0.1)).toBe('0.1');
  expect(str(65000)).toBe('65000');
  expect(str(-2.5)).toBe('-2.5');
  expect(str(0)).toBe('0');
  // JSON.parse('0.0000001') is the number 1e-7, which String() writes in exponent form.
  expect(str(JSON.parse('0.0000001'))).toBe('0.0000001');
  expect(str(1e21)).toBe('1000000000000000000000');
});

test('parseDecimal rejects exponent strings, words, blanks, non-strings and malformed numbers', () => {
  for (const bad of [
    '1e5',
    '1E5',
    '1e-7',
    'abc',
    '',
    ' ',
    '1.2.3',
    '1,5',
    '0x10',
    '--1',
    '+-1',
    '.',
    '-',
    '1 2',
    'Infinity',
    'NaN',
  ]) {
    expect(parseDecimal(bad), JSON.stringify(bad)).toBeUndefined();
  }
  for (const bad of [
    null,
    undefined,
    true,
    false,
    Number.NaN,
    Number.POSITIVE_INFINITY,
    Number.NEGATIVE_INFINITY,
    {},
    [],
    [1],
    10n,
  ]) {
    expect(parseDecimal(bad), String(bad)).toBeUndefined();
  }
});

test('parseDecimal never throws: a leading plus sign, which its pattern allows, parses like no sign', () => {
  // A plus sign passes parseDecimal's own pattern, so it must not reach Big() unchanged (big.js
  // has no '+'): a user value "+2" must give 2 (or undefined), never an exception.
  for (const text of ['+2', '+0.5', '+.5', '+1.']) {
    expect(() => parseDecimal(text), text).not.toThrow();
  }
  expect(str('+2')).toBe('2');
  expect(str('+.5')).toBe('0.5');
});

test('parseDecimal trims surrounding whitespace of a string', () => {
  expect(str(' 1.25 ')).toBe('1.25');
});

test('Big is in strict mode: JS numbers are refused, strings are exact', () => {
  expect(() => Big(1.1 as unknown as string)).toThrow();
  expect(() => Big(1 as unknown as string)).toThrow();
  expect(Big('0.1').plus(Big('0.2')).toFixed()).toBe('0.3');
});

test('Big refuses a lossy toNumber() in strict mode', () => {
  expect(() => Big('0.1').plus(Big('0.2')).times(Big('1.00000000000000000001')).toNumber()).toThrow();
  expect(Big('0.5').toNumber()).toBe(0.5);
});

test('fromInt builds exact decimals from safe integers and refuses anything else', () => {
  expect(fromInt(0).toFixed()).toBe('0');
  expect(fromInt(-42).toFixed()).toBe('-42');
  expect(fromInt(Number.MAX_SAFE_INTEGER).toFixed()).toBe('9007199254740991');
  expect(() => fromInt(1.5)).toThrow(RangeError);
  expect(() => fromInt(Number.MAX_SAFE_INTEGER + 1)).toThrow(RangeError);
  expect(() => fromInt(Number.NaN)).toThrow(RangeError);
});

test('decimalsOf counts the decimals of a step', () => {
  expect(decimalsOf('0.001')).toBe(3);
  expect(decimalsOf('1')).toBe(0);
  expect(decimalsOf('0.1')).toBe(1);
  expect(decimalsOf('10')).toBe(0);
  expect(decimalsOf('0.00000001')).toBe(8);
  expect(decimalsOf(Big('0.010'))).toBe(2);
  expect(decimalsOf('0.5')).toBe(1);
});

test('stepsOf counts whole steps, rounding half up', () => {
  expect(stepsOf('0.001', Big('0.001'))).toBe(1);
  expect(stepsOf('1.5', Big('0.001'))).toBe(1_500);
  expect(stepsOf(Big('0.0015'), Big('0.001'))).toBe(2);
  expect(stepsOf('0.00149', Big('0.001'))).toBe(1);
  expect(stepsOf('0', Big('0.01'))).toBe(0);
  expect(stepsOf('100', Big('5'))).toBe(20);
  expect(stepsOf('1190', Big('0.001'))).toBe(1_190_000);
});

test('floorToStep rounds down to a multiple of the step', () => {
  expect(floorToStep(Big('1.2345'), Big('0.01')).toFixed()).toBe('1.23');
  expect(floorToStep(Big('1.2399'), Big('0.01')).toFixed()).toBe('1.23');
  expect(floorToStep(Big('1.23'), Big('0.01')).toFixed()).toBe('1.23');
  expect(floorToStep(Big('0.0009'), Big('0.001')).toFixed()).toBe('0');
  expect(floorToStep(Big('65000.07'), Big('0.5')).toFixed()).toBe('65000');
  expect(floorToStep(Big('17'), Big('5')).toFixed()).toBe('15');
});

test('roundToStep rounds to the nearest multiple of the step, halves up', () => {
  expect(roundToStep(Big('1.234'), Big('0.01')).toFixed()).toBe('1.23');
  expect(roundToStep(Big('1.235'), Big('0.01')).toFixed()).toBe('1.24');
  expect(roundToStep(Big('1.2351'), Big('0.01')).toFixed()).toBe('1.24');
  expect(roundToStep(Big('65000.25'), Big('0.5')).toFixed()).toBe('65000.5');
  expect(roundToStep(Big('65000.24'), Big('0.5')).toFixed()).toBe('65000');
  expect(roundToStep(Big('17.5'), Big('5')).toFixed()).toBe('20');
});

test('isMultipleOf is true only for whole multiples of a positive step', () => {
  expect(isMultipleOf(Big('0.003'), Big('0.001'))).toBe(true);
  expect(isMultipleOf(Big('0.0035'), Big('0.001'))).toBe(false);
  expect(isMultipleOf(Big('0'), Big('0.001'))).toBe(true);
  expect(isMultipleOf(Big('1'), Big('0'))).toBe(false);
});

test('fixed pads to the given decimals and plain drops trailing zeros', () => {
  expect(fixed(Big('65000'), 2)).toBe('65000.00');
  expect(fixed(Big('0.1'), 3)).toBe('0.100');
  expect(plain(Big('1.2300'))).toBe('1.23');
  expect(plain(Big('100'))).toBe('100');
  expect(plain(Big('0.00000001'))).toBe('0.00000001');
});

test('formatUnits writes units times the step with exactly dp decimals', () => {
  expect(formatUnits(650_001, Big('0.1'), 1)).toBe('65000.1');
  expect(formatUnits(5, Big('0.001'), 3)).toBe('0.005');
  expect(formatUnits(0, Big('0.01'), 2)).toBe('0.00');
  expect(formatUnits(1_000, Big('0.001'), 3)).toBe('1.000');
  expect(formatUnits(-3, Big('0.01'), 2)).toBe('-0.03');
  expect(formatUnits(7, Big('5'), 0)).toBe('35');
  expect(formatUnits(123_456_789, Big('0.00000001'), 8)).toBe('1.23456789');
});

test('formatUnits refuses a non-integer unit count', () => {
  expect(() => formatUnits(1.5, Big('0.1'), 1)).toThrow(RangeError);
});

test('floatToStep turns a simulated float into an exact multiple of the step', () => {
  expect(floatToStep(65000.04, Big('0.1')).toFixed()).toBe('65000');
  expect(floatToStep(65000.06, Big('0.1')).toFixed()).toBe('65000.1');
  expect(floatToStep(0.1 + 0.2, Big('0.01')).toFixed()).toBe('0.3');
});

test('formatUnits formats power-of-ten steps exactly as big.js does, for random and edge values', async () => {
  const { Big, formatUnits, fromInt, decimalsOf } = await import('../../src/core/decimal.js');
  const steps = ['1', '0.1', '0.01', '0.001', '0.000001', '0.00000001', '10', '0.5', '0.25', '0.005'];
  const values = [0, 1, 9, 10, 99, 100, 101, 123456789, -1, -5, -123456, 2 ** 40 + 7];
  for (let i = 0; i < 200; i++) values.push(Math.floor((i * 2654435761) % 1e9) - 5e8);
  for (const s of steps) {
    const step = Big(s);
    const dp = decimalsOf(step);
    for (const v of values) expect(formatUnits(v, step, dp)).toBe(fromInt(v).times(step).toFixed(dp));
  }
});

/** Decimals of every shape the formatters meet: zero, signs, long coefficients, tiny and huge. */
function sampleDecimals(): string[] {
  const out = ['0', '-0', '1', '-1', '0.1', '-0.1', '10', '100', '1200', '0.00000001', '-0.00000001'];
  out.push('123456789012345678901234567890.123456789', '0.000000000000000000000123', '1e+25');
  out.push('999999999999999.999999999999999', '100000000000000000000001', '-45.00500');
  let x = 12345;
  for (let i = 0; i < 400; i++) {
    x = (x * 1103515245 + 12345) % 2147483648;
    const int = String(x % 10 ** (i % 12));
    const frac = String(x).slice(0, i % 11);
    const sign = i % 3 === 0 ? '-' : '';
    out.push(`${sign}${int}${frac ? `.${frac}` : ''}`);
  }
  return out;
}

test('fixed and plain print exactly what big.js toFixed prints, rounding included', () => {
  for (const text of sampleDecimals()) {
    const v = Big(text);
    expect(plain(v), text).toBe(v.toFixed());
    for (const dp of [0, 1, 2, 3, 4, 8, 12]) expect(fixed(v, dp), `${text} dp ${dp}`).toBe(v.toFixed(dp));
  }
});

test('plainRounded equals plain(round(dp, half up)); unitsOf truncates like div().round(0, down)', () => {
  for (const text of sampleDecimals()) {
    const v = Big(text);
    for (const dp of [0, 2, 4, 8]) {
      expect(plainRounded(v, dp), `${text} dp ${dp}`).toBe(v.round(dp, Big.roundHalfUp).toFixed());
      const step = Big('1').div(Big('10').pow(dp));
      const units = v.div(step).round(0, Big.roundDown);
      const expected = units.abs().lt(Big('1e15')) ? Number(units.toFixed(0)) : undefined;
      // -0 and 0 are the same count.
      expect(unitsOf(v, dp) ?? 'big', `${text} dp ${dp}`).toBe(expected === undefined ? 'big' : expected + 0);
      expect(hasDigitsBeyond(v, dp)).toBe(!v.eq(units.times(step)));
    }
  }
});

test('isZero, isPositive and isNegative agree with eq, gt and lt against zero, signed zeros included', () => {
  for (const text of sampleDecimals()) {
    const v = Big(text);
    expect(isZero(v), text).toBe(v.eq(Big('0')));
    expect(isPositive(v), text).toBe(v.gt(Big('0')));
    expect(isNegative(v), text).toBe(v.lt(Big('0')));
  }
  // A zero that big.js computed with a negative sign.
  const negZero = Big('-1').plus(Big('1')).times(Big('-1'));
  expect([isZero(negZero), isPositive(negZero), isNegative(negZero)]).toEqual([true, false, false]);
});

test('div equals big.js div for powers of ten (shifted) and anything else, at any Big.DP', () => {
  const divisors = ['1', '10', '0.001', '1000', '-0.01', '100000000', '0.0000000001', '3', '0.25', '7.5'];
  const saved = Big.DP;
  try {
    for (const dp of [30, 8, 4, 0]) {
      Big.DP = dp;
      for (const text of sampleDecimals()) {
        for (const d of divisors) {
          const x = Big(text);
          const y = Big(d);
          expect(div(x, y).toFixed(), `${text} / ${d} at DP ${dp}`).toBe(x.div(y).toFixed());
        }
      }
    }
  } finally {
    Big.DP = saved;
  }
});

test('isMultipleOf agrees with mod for power-of-ten steps (read off the digits) and others', () => {
  const steps = ['0.001', '0.1', '1', '10', '1000', '0.00000001', '0.5', '0.25', '3', '0', '-0.1'];
  for (const text of [...sampleDecimals(), '20', '1000', '25', '0.0', '-30']) {
    for (const st of steps) {
      const v = Big(text);
      const step = Big(st);
      const expected = step.gt(Big('0')) && v.mod(step).eq(Big('0'));
      expect(isMultipleOf(v, step), `${text} on ${st}`).toBe(expected);
    }
  }
});

test('isPowerOfTenStep, sum and difference', () => {
  expect(isPowerOfTenStep(Big('0.01'), 2)).toBe(true);
  expect(isPowerOfTenStep(Big('1'), 0)).toBe(true);
  expect(isPowerOfTenStep(Big('0.01'), 3)).toBe(false);
  expect(isPowerOfTenStep(Big('0.05'), 2)).toBe(false);
  expect(isPowerOfTenStep(Big('-0.01'), 2)).toBe(false);
  // A zero operand gives the other one back as it is (the wallet view's reuse depends on it).
  const a = Big('12.5');
  expect(sum(a, Big('0'))).toBe(a);
  expect(sum(Big('0'), a)).toBe(a);
  expect(difference(a, Big('0'))).toBe(a);
  expect(sum(a, Big('-2.5')).toFixed()).toBe('10');
  expect(difference(a, Big('2.5')).toFixed()).toBe('10');
});
