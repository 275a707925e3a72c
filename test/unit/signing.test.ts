import { expect, test } from 'vitest';
import {
  DEFAULT_RECV_WINDOW,
  FUTURE_TOLERANCE_MS,
  hmacHex,
  rawQueryOf,
  restPreSign,
  signatureMatches,
  withinRecvWindow,
  wsPreSign,
} from '../../src/auth/signing.js';

// Test vectors of ../shared/reference/bybit-v5-facts.md §3.2.
const SECRET = 'mock-secret-123';
const KEY = 'mock-key';
const TS = '1700000000000';
const RECV = '5000';
const POST_BODY =
  '{"category":"linear","symbol":"BTCUSDT","side":"Buy","orderType":"Limit","qty":"0.001","price":"30000"}';

test('a GET request signs timestamp + key + recvWindow + query (facts 3.2 vector)', () => {
  const pre = restPreSign(TS, KEY, RECV, 'category=linear&symbol=BTCUSDT');
  expect(pre).toBe('1700000000000mock-key5000category=linear&symbol=BTCUSDT');
  expect(hmacHex(SECRET, pre)).toBe('24b54841dfced7ca8cd9a1c8091f3aaf8e3f8811fd33e982dbcd70f872fb2c2a');
});

test('a GET request without parameters signs just timestamp + key + recvWindow (facts 3.2 vector)', () => {
  const pre = restPreSign(TS, KEY, RECV, '');
  expect(pre).toBe('1700000000000mock-key5000');
  expect(hmacHex(SECRET, pre)).toBe('2b15b27cdbb513aac6bf03a38d621cc463aeb31ddacc7c62f9f7933eb3350f4b');
});

test('a POST request signs the raw JSON body (facts 3.2 vector)', () => {
  const pre = restPreSign(TS, KEY, RECV, POST_BODY);
  expect(pre).toBe(`1700000000000mock-key5000${POST_BODY}`);
  expect(hmacHex(SECRET, pre)).toBe('bb4f2150335996279559db6ea3d8860d06b4395aa9e1641fddd4ae5804cb315a');
});

test('WebSocket auth signs "GET/realtime" + expires (facts 3.2 vector)', () => {
  const pre = wsPreSign('1700000005000');
  expect(pre).toBe('GET/realtime1700000005000');
  expect(hmacHex(SECRET, pre)).toBe('045a086c89fed305225c9f71da339b8560fd6920bd27cc35b54ed4f017bef4f9');
});

test('the doc example pre-sign strings are reproduced verbatim, spaces included', () => {
  expect(
    restPreSign('1658384314791', 'XXXXXXXXXX', '5000', 'category=option&symbol=BTC-29JUL22-25000-C'),
  ).toBe('1658384314791XXXXXXXXXX5000category=option&symbol=BTC-29JUL22-25000-C');
  expect(restPreSign('1658385579423', 'XXXXXXXXXX', '5000', '{"category": "option"}')).toBe(
    '1658385579423XXXXXXXXXX5000{"category": "option"}',
  );
});

test('hmacHex is 64 lowercase hex characters', () => {
  expect(hmacHex('s', 'm')).toMatch(/^[0-9a-f]{64}$/);
  expect(hmacHex('', '')).toMatch(/^[0-9a-f]{64}$/);
});

test('the default recv window is 5000 ms and the future tolerance 1000 ms', () => {
  expect(DEFAULT_RECV_WINDOW).toBe(5000);
  expect(FUTURE_TOLERANCE_MS).toBe(1000);
});

test('withinRecvWindow accepts server - recvWindow <= timestamp < server + 1000, and nothing else', () => {
  const server = 1_700_000_000_000;
  expect(withinRecvWindow(server, server, 5000)).toBe(true);
  expect(withinRecvWindow(server - 5000, server, 5000)).toBe(true);
  expect(withinRecvWindow(server - 5001, server, 5000)).toBe(false);
  expect(withinRecvWindow(server + 999, server, 5000)).toBe(true);
  expect(withinRecvWindow(server + 1000, server, 5000)).toBe(false);
  expect(withinRecvWindow(server - 20_000, server, 20_000)).toBe(true);
  expect(withinRecvWindow(server - 20_001, server, 20_000)).toBe(false);
  // The future edge does not grow with the recv window.
  expect(withinRecvWindow(server + 1000, server, 60_000)).toBe(false);
});

test('rawQueryOf gives the text after "?", empty when there is none or only a trailing "?"', () => {
  expect(rawQueryOf('/v5/market/time')).toBe('');
  expect(rawQueryOf('/v5/account/wallet-balance?')).toBe('');
  expect(rawQueryOf('/v5/position/list?category=linear&symbol=BTCUSDT')).toBe(
    'category=linear&symbol=BTCUSDT',
  );
  expect(rawQueryOf('')).toBe('');
  expect(rawQueryOf('?')).toBe('');
  expect(rawQueryOf('?a=1')).toBe('a=1');
});

test('rawQueryOf keeps the query exactly as sent: encoding, order, duplicates and later "?" untouched', () => {
  expect(rawQueryOf('/v5/order/realtime?symbol=BTCUSDT&category=linear')).toBe(
    'symbol=BTCUSDT&category=linear',
  );
  expect(rawQueryOf('/x?coin=BTC%2CETH&note=a%20b+c')).toBe('coin=BTC%2CETH&note=a%20b+c');
  expect(rawQueryOf('/x?cursor=abc%3D%3D&a=1&a=2')).toBe('cursor=abc%3D%3D&a=1&a=2');
  expect(rawQueryOf('/x?a=b?c')).toBe('a=b?c');
  expect(rawQueryOf('/x?a=1&')).toBe('a=1&');
});

test('signatureMatches accepts the expected signature in any letter case', () => {
  const expected = hmacHex(SECRET, restPreSign(TS, KEY, RECV, ''));
  expect(signatureMatches(expected, expected)).toBe(true);
  expect(signatureMatches(expected, expected.toUpperCase())).toBe(true);
  expect(signatureMatches(expected, expected.slice(0, 10).toUpperCase() + expected.slice(10))).toBe(true);
});

test('signatureMatches rejects a different signature of the same length', () => {
  const expected = hmacHex(SECRET, 'a');
  const other = hmacHex(SECRET, 'b');
  expect(signatureMatches(expected, other)).toBe(false);
  const flipped = (expected[0] === '0' ? '1' : '0') + expected.slice(1);
  expect(signatureMatches(expected, flipped)).toBe(false);
});

test('signatureMatches is false (not an exception) on a length mismatch', () => {
  const expected = hmacHex(SECRET, 'a');
  expect(signatureMatches(expected, '')).toBe(false);
  expect(signatureMatches(expected, expected.slice(0, 63))).toBe(false);
  expect(signatureMatches(expected, `${expected}0`)).toBe(false);
  expect(signatureMatches(expected, 'abc')).toBe(false);
});

test('signatureMatches is false (not an exception) for non-ASCII text of the right length', () => {
  // Header values reach the server as latin1 text, so any of these can arrive in X-BAPI-SIGN.
  // Same UTF-16 length as a hex signature but more UTF-8 bytes: must still just be a mismatch.
  const expected = hmacHex(SECRET, 'a');
  for (const received of [
    'é'.repeat(64),
    `${expected.slice(0, 63)}ÿ`,
    `\u00e9${expected.slice(1)}`,
    '\u{20ac}'.repeat(64),
  ]) {
    expect(received).toHaveLength(64);
    expect(() => signatureMatches(expected, received), JSON.stringify(received.slice(0, 4))).not.toThrow();
    expect(signatureMatches(expected, received)).toBe(false);
  }
});

test('signatureMatches is false when lower-casing changes the length', () => {
  // 'İ'.toLowerCase() is two UTF-16 units: a 64-character input becomes 65 after lower-casing.
  const expected = hmacHex(SECRET, 'a');
  const received = `İ${expected.slice(1)}`;
  expect(() => signatureMatches(expected, received)).not.toThrow();
  expect(signatureMatches(expected, received)).toBe(false);
});
