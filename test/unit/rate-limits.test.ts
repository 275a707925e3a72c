import { expect, test } from 'vitest';
import {
  DEFAULT_BUDGETS,
  RateLimiter,
  batchUnits,
  budgetFor,
  limitHeaders,
} from '../../src/core/limits/rate-limits.js';

const T = 1_700_000_000_000; // a whole second
const UID = 10_123_456;

test('order/create allows 10 per second on linear and 20 on spot (facts 5.2)', () => {
  expect(budgetFor('/v5/order/create', 'linear')).toBe(10);
  expect(budgetFor('/v5/order/create', 'inverse')).toBe(10);
  expect(budgetFor('/v5/order/create', 'option')).toBe(10);
  expect(budgetFor('/v5/order/create', 'spot')).toBe(20);
});

test('the other order endpoints follow the facts 5.2 table per category', () => {
  expect(budgetFor('/v5/order/amend', 'linear')).toBe(10);
  expect(budgetFor('/v5/order/amend', 'spot')).toBe(10);
  expect(budgetFor('/v5/order/cancel', 'linear')).toBe(10);
  expect(budgetFor('/v5/order/cancel', 'spot')).toBe(20);
  expect(budgetFor('/v5/order/cancel-all', 'linear')).toBe(10);
  expect(budgetFor('/v5/order/cancel-all', 'option')).toBe(1);
  expect(budgetFor('/v5/order/cancel-all', 'spot')).toBe(20);
  for (const batch of ['/v5/order/create-batch', '/v5/order/amend-batch', '/v5/order/cancel-batch']) {
    expect(budgetFor(batch, 'linear'), batch).toBe(10);
    expect(budgetFor(batch, 'option'), batch).toBe(10);
    expect(budgetFor(batch, 'spot'), batch).toBe(20);
  }
});

test('endpoints with one budget for all categories use it whatever the category', () => {
  const expected: Record<string, number> = {
    '/v5/order/realtime': 50,
    '/v5/order/history': 50,
    '/v5/execution/list': 50,
    '/v5/position/list': 50,
    '/v5/position/set-leverage': 10,
    '/v5/position/switch-mode': 10,
    '/v5/position/trading-stop': 10,
    '/v5/account/wallet-balance': 50,
    '/v5/account/info': 50,
    '/v5/account/fee-rate': 5,
    '/v5/asset/coin/query-info': 5,
    '/v5/user/query-api': 10,
  };
  for (const [path, limit] of Object.entries(expected)) {
    for (const category of [undefined, 'linear', 'spot', 'option'] as const) {
      expect(budgetFor(path, category), `${path} ${category}`).toBe(limit);
    }
  }
});

test('an endpoint without a category uses the linear budget', () => {
  expect(budgetFor('/v5/order/create', undefined)).toBe(10);
  expect(budgetFor('/v5/order/cancel-all', undefined)).toBe(10);
});

test('an endpoint missing from the table gets a default budget of 50', () => {
  expect(budgetFor('/v5/not/listed', 'linear')).toBe(50);
  expect(budgetFor('/v5/not/listed', undefined)).toBe(50);
});

test('every budget in the table is a positive integer', () => {
  for (const [path, b] of Object.entries(DEFAULT_BUDGETS)) {
    for (const v of Object.values(b)) expect(Number.isInteger(v) && v > 0, path).toBe(true);
  }
});

test('the limiter counts requests down within one second and reports the reset time', () => {
  const rl = new RateLimiter();
  for (let i = 1; i <= 5; i++) {
    const s = rl.take(T + i * 10, UID, '/v5/account/fee-rate', undefined);
    expect(s).toEqual({ limit: 5, remaining: 5 - i, resetAt: T + 1000, exceeded: false, granted: 1 });
  }
});

test('the limiter reports exceeded after the limit, with nothing remaining', () => {
  const rl = new RateLimiter();
  for (let i = 0; i < 10; i++)
    expect(rl.take(T + 500, UID, '/v5/order/create', 'linear').exceeded).toBe(false);
  const over = rl.take(T + 500, UID, '/v5/order/create', 'linear');
  expect(over).toEqual({ limit: 10, remaining: 0, resetAt: T + 1000, exceeded: true, granted: 0 });
  expect(rl.take(T + 999, UID, '/v5/order/create', 'linear').exceeded).toBe(true);
});

test('the limiter starts afresh at the next second', () => {
  const rl = new RateLimiter();
  for (let i = 0; i < 12; i++) rl.take(T + 999, UID, '/v5/order/create', 'linear');
  const fresh = rl.take(T + 1000, UID, '/v5/order/create', 'linear');
  expect(fresh).toEqual({ limit: 10, remaining: 9, resetAt: T + 2000, exceeded: false, granted: 1 });
  // A window that starts mid-second still resets on the whole second.
  const s = rl.take(T + 1999, UID, '/v5/order/create', 'linear');
  expect(s.resetAt).toBe(T + 2000);
  expect(s.remaining).toBe(8);
});

test('the limiter keeps separate counts per uid', () => {
  const rl = new RateLimiter();
  for (let i = 0; i < 5; i++) rl.take(T, UID, '/v5/account/fee-rate', undefined);
  expect(rl.take(T, UID, '/v5/account/fee-rate', undefined).exceeded).toBe(true);
  expect(rl.take(T, UID + 1, '/v5/account/fee-rate', undefined)).toMatchObject({
    remaining: 4,
    exceeded: false,
  });
});

test('the limiter keeps separate counts per endpoint', () => {
  const rl = new RateLimiter();
  for (let i = 0; i < 6; i++) rl.take(T, UID, '/v5/account/fee-rate', undefined);
  expect(rl.take(T, UID, '/v5/asset/coin/query-info', undefined)).toMatchObject({
    limit: 5,
    remaining: 4,
    exceeded: false,
  });
  // Batch endpoints have their own budget, not shared with single-order ones.
  for (let i = 0; i < 10; i++) rl.take(T, UID, '/v5/order/create', 'linear');
  expect(rl.take(T, UID, '/v5/order/create-batch', 'linear')).toMatchObject({
    remaining: 9,
    exceeded: false,
  });
});

test('the limiter counts spot, option and the linear group separately on one endpoint', () => {
  const rl = new RateLimiter();
  for (let i = 0; i < 10; i++) rl.take(T, UID, '/v5/order/create', 'linear');
  expect(rl.take(T, UID, '/v5/order/create', 'linear').exceeded).toBe(true);
  expect(rl.take(T, UID, '/v5/order/create', 'spot')).toMatchObject({
    limit: 20,
    remaining: 19,
    exceeded: false,
  });
  expect(rl.take(T, UID, '/v5/order/create', 'option')).toMatchObject({
    limit: 10,
    remaining: 9,
    exceeded: false,
  });
});

test('the limiter puts linear and inverse in one group (facts 5.2 "inverse/linear")', () => {
  const rl = new RateLimiter();
  for (let i = 0; i < 5; i++) rl.take(T, UID, '/v5/order/create', 'linear');
  expect(rl.take(T, UID, '/v5/order/create', 'inverse')).toMatchObject({ remaining: 4 });
});

test('reset() clears every count', () => {
  const rl = new RateLimiter();
  for (let i = 0; i < 7; i++) rl.take(T, UID, '/v5/account/fee-rate', undefined);
  rl.reset();
  expect(rl.take(T, UID, '/v5/account/fee-rate', undefined)).toMatchObject({ remaining: 4, exceeded: false });
});

test('a batch spends one unit per order, except option (one per request) and malformed lists (one)', () => {
  expect(batchUnits('linear', [{}, {}, {}])).toBe(3);
  expect(batchUnits('spot', [{}, {}])).toBe(2);
  expect(batchUnits('option', [{}, {}, {}])).toBe(1);
  expect(batchUnits('linear', [])).toBe(1);
  expect(batchUnits('linear', 'x')).toBe(1);
  expect(batchUnits('linear', new Array(21).fill({}))).toBe(1);
});

test('limit headers: reset is the window end when exceeded (plus skew), the server time otherwise', () => {
  const rl = new RateLimiter({ uid: { '/v5/order/create': 1 } });
  const ok = rl.take(T + 100, UID, '/v5/order/create', 'linear');
  expect(limitHeaders(ok, T + 100 + 5000, 5000)).toEqual({
    'X-Bapi-Limit': '1',
    'X-Bapi-Limit-Status': '0',
    'X-Bapi-Limit-Reset-Timestamp': String(T + 5100),
  });
  const over = rl.take(T + 200, UID, '/v5/order/create', 'linear');
  expect(limitHeaders(over, T + 5200, 5000)['X-Bapi-Limit-Reset-Timestamp']).toBe(String(T + 1000 + 5000));
});
