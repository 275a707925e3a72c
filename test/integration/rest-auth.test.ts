/**
 * REST authentication over real HTTP, on a manual clock so every timestamp is exact.
 * @see ../shared/reference/bybit-v5-facts.md §2.3, §3
 */
import { request } from 'node:http';
import { expect, test } from 'vitest';
import { hmacHex, restPreSign, wsPreSign } from '../../src/auth/signing.js';
import type { ManualClock } from '../../src/core/clock.js';
import type { RunningExchange } from '../../src/runtime/start-exchange.js';
import {
  DEFAULT_KEY,
  DEFAULT_SECRET,
  READONLY_KEY,
  READONLY_SECRET,
  getPublic,
  getSigned,
  manualScenarioYaml,
  postSigned,
  type Reply,
  useTestExchange,
} from '../support/server.js';

let ex: RunningExchange;
useTestExchange({ scenario: { yaml: manualScenarioYaml(), name: 'auth-manual' } }, (e) => (ex = e));

const WALLET = '/v5/account/wallet-balance';
const WALLET_QUERY = 'accountType=UNIFIED';
const SET_LEVERAGE = '/v5/position/set-leverage';

function now(): number {
  return ex.clock.now();
}

/** A request with exactly this target and these headers (node:http keeps a bare trailing `?`). */
function rawRequest(
  method: 'GET' | 'POST',
  target: string,
  headers: Record<string, string>,
  body?: string,
): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = request({ host: ex.host, port: ex.port, method, path: target, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        let parsed: unknown;
        try {
          parsed = JSON.parse(text);
        } catch {
          parsed = undefined;
        }
        const h = new Headers();
        for (const [k, v] of Object.entries(res.headers)) if (typeof v === 'string') h.set(k, v);
        resolve({ status: res.statusCode ?? 0, headers: h, body: parsed, text });
      });
      res.on('error', reject);
    });
    req.on('error', reject);
    if (body !== undefined) req.write(body);
    req.end();
  });
}

function expectError(r: Reply, retCode: number, status = 200): void {
  expect(r.status).toBe(status);
  expect(r.body.retCode).toBe(retCode);
  expect(r.body.result).toEqual({});
  expect(r.body.retExtInfo).toEqual({});
  expect(r.body.time).toBe(now());
}

// ---- signing vectors (facts §3.2) -------------------------------------------------------------

const VEC_SECRET = 'mock-secret-123';
const VEC_KEY = 'mock-key';
const VEC_TS = '1700000000000';

test('the GET signing vector from the facts produces the documented signature', () => {
  const pre = restPreSign(VEC_TS, VEC_KEY, '5000', 'category=linear&symbol=BTCUSDT');
  expect(pre).toBe('1700000000000mock-key5000category=linear&symbol=BTCUSDT');
  expect(hmacHex(VEC_SECRET, pre)).toBe('24b54841dfced7ca8cd9a1c8091f3aaf8e3f8811fd33e982dbcd70f872fb2c2a');
});

test('the GET-without-params signing vector signs just timestamp, key and recv window', () => {
  const pre = restPreSign(VEC_TS, VEC_KEY, '5000', '');
  expect(pre).toBe('1700000000000mock-key5000');
  expect(hmacHex(VEC_SECRET, pre)).toBe('2b15b27cdbb513aac6bf03a38d621cc463aeb31ddacc7c62f9f7933eb3350f4b');
});

test('the POST signing vector signs the raw JSON body', () => {
  const body =
    '{"category":"linear","symbol":"BTCUSDT","side":"Buy","orderType":"Limit","qty":"0.001","price":"30000"}';
  const pre = restPreSign(VEC_TS, VEC_KEY, '5000', body);
  expect(pre).toBe(`1700000000000mock-key5000${body}`);
  expect(hmacHex(VEC_SECRET, pre)).toBe('bb4f2150335996279559db6ea3d8860d06b4395aa9e1641fddd4ae5804cb315a');
});

test('the WebSocket auth signing vector signs GET/realtime plus expires', () => {
  const pre = wsPreSign('1700000005000');
  expect(pre).toBe('GET/realtime1700000005000');
  expect(hmacHex(VEC_SECRET, pre)).toBe('045a086c89fed305225c9f71da339b8560fd6920bd27cc35b54ed4f017bef4f9');
});

// ---- successful requests and rate-limit headers -----------------------------------------------

test('a correctly signed wallet-balance GET succeeds and carries the three rate-limit headers with a falling status', async () => {
  // Start a fresh one-second rate window on the manual clock.
  const clock = ex.clock as ManualClock;
  clock.advance(1000 - (clock.now() % 1000));
  const windowStart = now();

  const first = await getSigned(ex, WALLET, WALLET_QUERY);
  expect(first.status).toBe(200);
  expect(first.body.retCode).toBe(0);
  expect(first.body.retMsg).toBe('OK');
  expect(first.body.time).toBe(windowStart);
  expect(first.body.result.list[0].accountType).toBe('UNIFIED');

  const limit = first.headers.get('x-bapi-limit');
  const status1 = first.headers.get('x-bapi-limit-status');
  const reset = first.headers.get('x-bapi-limit-reset-timestamp');
  for (const h of [limit, status1, reset]) expect(h).toMatch(/^\d+$/);
  expect(Number(limit)).toBe(50);
  expect(Number(status1)).toBe(49);
  // Under the limit the reset timestamp is "now" (facts §2.3); once exceeded, the window's end.
  expect(Number(reset)).toBe(windowStart);

  const second = await getSigned(ex, WALLET, WALLET_QUERY);
  const third = await getSigned(ex, WALLET, WALLET_QUERY);
  expect(Number(second.headers.get('x-bapi-limit-status'))).toBe(48);
  expect(Number(third.headers.get('x-bapi-limit-status'))).toBe(47);
  expect(third.headers.get('x-bapi-limit')).toBe('50');
});

test('public market endpoints carry no per-UID rate-limit headers', async () => {
  const r = await getPublic(ex, '/v5/market/time');
  expect(r.body.retCode).toBe(0);
  expect(r.headers.get('x-bapi-limit')).toBeNull();
});

test('a signed GET whose query has percent-encoded values is verified over the raw query and returns both coins', async () => {
  const r = await getSigned(ex, WALLET, 'accountType=UNIFIED&coin=USDT%2CBTC');
  expect(r.body.retCode).toBe(0);
  const coins = (r.body.result.list[0].coin as { coin: string; walletBalance: string }[]).map((c) => [
    c.coin,
    c.walletBalance,
  ]);
  expect(coins).toEqual([
    ['USDT', '10000'],
    ['BTC', '0.5'],
  ]);
});

test('a GET ending in a bare question mark is signed over the empty string, as ccxt sends it', async () => {
  const ts = String(now());
  const sign = hmacHex(DEFAULT_SECRET, restPreSign(ts, DEFAULT_KEY, '5000', ''));
  const r = await rawRequest('GET', '/v5/asset/coin/query-info?', {
    'X-BAPI-API-KEY': DEFAULT_KEY,
    'X-BAPI-TIMESTAMP': ts,
    'X-BAPI-SIGN': sign,
    'X-BAPI-RECV-WINDOW': '5000',
  });
  expect(r.status).toBe(200);
  expect(r.body.retCode).toBe(0);
  expect(r.body.retMsg).toBe('success');
  expect((r.body.result.rows as { coin: string }[]).map((row) => row.coin)).toEqual(['BTC', 'USDT']);
});

test('a signed set-leverage POST succeeds with an empty result and repeating it gives 110043', async () => {
  const body = { category: 'linear', symbol: 'BTCUSDT', buyLeverage: '5', sellLeverage: '5' };
  const first = await postSigned(ex, SET_LEVERAGE, body);
  expect(first.status).toBe(200);
  expect(first.body.retCode).toBe(0);
  expect(first.body.result).toEqual({});
  expect(first.headers.get('x-bapi-limit')).toBe('10');

  const again = await postSigned(ex, SET_LEVERAGE, body);
  expect(again.status).toBe(200);
  expect(again.body.retCode).toBe(110043);
  expect(again.body.retMsg).toMatch(/leverage not modified/i);
  expect(again.body.result).toEqual({});
});

test('a POST body with spaces after colons and commas (pybit style) is verified verbatim', async () => {
  const raw = '{"category": "linear", "symbol": "BTCUSDT", "buyLeverage": "6", "sellLeverage": "6"}';
  const r = await postSigned(ex, SET_LEVERAGE, raw);
  expect(r.body.retCode).toBe(0);
  expect(r.body.result).toEqual({});
  const state = await getPublic(ex, '/__admin/state');
  const main = (state.body.accounts as { name: string; leverage: Record<string, string> }[]).find(
    (a) => a.name === 'main',
  );
  expect(main?.leverage.BTCUSDT).toBe('6');
});

// ---- header and window failures ---------------------------------------------------------------

test('a private GET with no auth headers gets 10001 openapi sign params error and no data', async () => {
  const r = await getPublic(ex, `${WALLET}?${WALLET_QUERY}`);
  expectError(r, 10001);
  expect(r.body.retMsg).toContain('openapi sign params error!');
  expect(r.headers.get('x-bapi-limit')).toBeNull();
});

test('each missing auth header alone gets 10001 openapi sign params error', async () => {
  const ts = String(now());
  const sign = hmacHex(DEFAULT_SECRET, restPreSign(ts, DEFAULT_KEY, '5000', WALLET_QUERY));
  const full: Record<string, string> = {
    'X-BAPI-API-KEY': DEFAULT_KEY,
    'X-BAPI-TIMESTAMP': ts,
    'X-BAPI-SIGN': sign,
  };
  for (const missing of Object.keys(full)) {
    const headers = { ...full };
    delete headers[missing];
    const r = await rawRequest('GET', `${WALLET}?${WALLET_QUERY}`, headers);
    expectError(r, 10001);
    expect(r.body.retMsg, missing).toContain('openapi sign params error!');
  }
});

test('a private POST with no auth headers gets 10001 and changes nothing', async () => {
  const r = await rawRequest(
    'POST',
    SET_LEVERAGE,
    { 'Content-Type': 'application/json' },
    '{"category":"linear","symbol":"BTCUSDT","buyLeverage":"9","sellLeverage":"9"}',
  );
  expectError(r, 10001);
  expect(r.body.retMsg).toContain('openapi sign params error!');
  const state = await getPublic(ex, '/__admin/state');
  const main = (state.body.accounts as { name: string; leverage: Record<string, string> }[]).find(
    (a) => a.name === 'main',
  );
  expect(main?.leverage.BTCUSDT).not.toBe('9');
});

test('a timestamp exactly recv_window old is accepted and one millisecond older gets 10002 with the server times', async () => {
  const t = now();
  const edge = await getSigned(ex, WALLET, WALLET_QUERY, { timestamp: t - 5000 });
  expect(edge.body.retCode).toBe(0);

  const stale = await getSigned(ex, WALLET, WALLET_QUERY, { timestamp: t - 5001 });
  expectError(stale, 10002);
  expect(stale.body.retMsg).toBe(
    `invalid request, please check your server timestamp or recv_window param. req_timestamp[${t - 5001}],server_timestamp[${t}],recv_window[5000]`,
  );
});

test('a timestamp 999 ms ahead of the server is accepted and 1000 ms ahead gets 10002', async () => {
  const t = now();
  const ahead = await getSigned(ex, WALLET, WALLET_QUERY, { timestamp: t + 999 });
  expect(ahead.body.retCode).toBe(0);

  const tooFar = await getSigned(ex, WALLET, WALLET_QUERY, { timestamp: t + 1000 });
  expectError(tooFar, 10002);
  expect(tooFar.body.retMsg).toContain(`req_timestamp[${t + 1000}],server_timestamp[${t}],recv_window[5000]`);
});

test('a custom X-BAPI-RECV-WINDOW is honoured at both of its edges', async () => {
  const t = now();
  const inside = await getSigned(ex, WALLET, WALLET_QUERY, { timestamp: t - 20_000, recvWindow: 20_000 });
  expect(inside.body.retCode).toBe(0);

  const outside = await getSigned(ex, WALLET, WALLET_QUERY, { timestamp: t - 20_001, recvWindow: 20_000 });
  expectError(outside, 10002);
  expect(outside.body.retMsg).toContain(
    `req_timestamp[${t - 20_001}],server_timestamp[${t}],recv_window[20000]`,
  );

  const narrow = await getSigned(ex, WALLET, WALLET_QUERY, { timestamp: t - 1001, recvWindow: 1000 });
  expectError(narrow, 10002);
  expect(narrow.body.retMsg).toContain('recv_window[1000]');
});

test('a missing recv window header defaults to 5000 ms, also in the string to sign', async () => {
  const t = now();
  const edge = await getSigned(ex, WALLET, WALLET_QUERY, { timestamp: t - 5000, recvWindow: null });
  expect(edge.body.retCode).toBe(0);

  const stale = await getSigned(ex, WALLET, WALLET_QUERY, { timestamp: t - 5001, recvWindow: null });
  expectError(stale, 10002);
  expect(stale.body.retMsg).toContain('recv_window[5000]');
});

// ---- key, signature, permission -------------------------------------------------------------

test('an unknown API key gets 10003 API key is invalid with HTTP 200', async () => {
  const r = await getSigned(ex, WALLET, WALLET_QUERY, { key: 'no-such-key', secret: 'whatever' });
  expectError(r, 10003, 200);
  expect(r.body.retMsg).toBe('API key is invalid.');
});

test('a signature made with the wrong secret gets 10004 Error sign and echoes the string that was expected', async () => {
  const ts = now();
  const r = await getSigned(ex, WALLET, WALLET_QUERY, { secret: 'wrong-secret', timestamp: ts });
  expectError(r, 10004);
  expect(r.body.retMsg).toContain('Error sign');
  expect(r.body.retMsg).toContain(`origin_string[${ts}${DEFAULT_KEY}5000${WALLET_QUERY}]`);
});

test('a signature over a different query than the one sent gets 10004', async () => {
  const ts = String(now());
  const signedOver = hmacHex(
    DEFAULT_SECRET,
    restPreSign(ts, DEFAULT_KEY, '5000', 'accountType=UNIFIED&coin=USDT,BTC'),
  );
  const r = await getSigned(ex, WALLET, 'accountType=UNIFIED&coin=USDT%2CBTC', {
    timestamp: ts,
    sign: signedOver,
  });
  expectError(r, 10004);
  expect(r.body.retMsg).toContain('Error sign');
});

test('a POST whose body was re-serialised after signing gets 10004', async () => {
  const ts = String(now());
  const compact = '{"category":"linear","symbol":"BTCUSDT","buyLeverage":"7","sellLeverage":"7"}';
  const spaced = '{"category": "linear", "symbol": "BTCUSDT", "buyLeverage": "7", "sellLeverage": "7"}';
  const sign = hmacHex(DEFAULT_SECRET, restPreSign(ts, DEFAULT_KEY, '5000', compact));
  const r = await postSigned(ex, SET_LEVERAGE, spaced, { timestamp: ts, sign });
  expectError(r, 10004);
});

test('an uppercase hex signature is accepted because the mock compares signatures case-insensitively', async () => {
  const ts = String(now());
  const sign = hmacHex(DEFAULT_SECRET, restPreSign(ts, DEFAULT_KEY, '5000', WALLET_QUERY)).toUpperCase();
  const r = await getSigned(ex, WALLET, WALLET_QUERY, { timestamp: ts, sign });
  expect(r.body.retCode).toBe(0);
});

test('a read-only key can read the wallet but set-leverage answers 10005 permission denied', async () => {
  const read = await getSigned(ex, WALLET, WALLET_QUERY, { key: READONLY_KEY, secret: READONLY_SECRET });
  expect(read.body.retCode).toBe(0);
  expect(read.body.result.list[0].coin).toEqual([
    expect.objectContaining({ coin: 'USDT', walletBalance: '100' }),
  ]);

  const write = await postSigned(
    ex,
    SET_LEVERAGE,
    { category: 'linear', symbol: 'BTCUSDT', buyLeverage: '3', sellLeverage: '3' },
    { key: READONLY_KEY, secret: READONLY_SECRET },
  );
  expectError(write, 10005);
  expect(write.body.retMsg).toBe('Permission denied, please check your API key permissions.');
  const state = await getPublic(ex, '/__admin/state');
  const viewer = (state.body.accounts as { name: string; leverage: Record<string, string> }[]).find(
    (a) => a.name === 'viewer',
  );
  expect(viewer?.leverage).toEqual({});
});

test('X-BAPI-SIGN-TYPE 2, Referer CCXT and x-referer headers are tolerated', async () => {
  const headers = { 'X-BAPI-SIGN-TYPE': '2', Referer: 'CCXT', 'x-referer': 'bybitapinode' };
  const get = await getSigned(ex, WALLET, WALLET_QUERY, { headers });
  expect(get.body.retCode).toBe(0);
  const post = await postSigned(
    ex,
    SET_LEVERAGE,
    { category: 'linear', symbol: 'BTCUSDT', buyLeverage: '8', sellLeverage: '8' },
    { headers },
  );
  expect(post.body.retCode).toBe(0);
});

test('private endpoints refused for auth never leak account data', async () => {
  const paths = [
    `${WALLET}?${WALLET_QUERY}`,
    '/v5/account/info',
    '/v5/account/fee-rate?category=linear',
    '/v5/user/query-api',
    '/v5/asset/coin/query-info',
  ];
  for (const p of paths) {
    const missing = await getPublic(ex, p);
    expect(missing.body.retCode, p).toBe(10001);
    expect(missing.body.result, p).toEqual({});
    expect(missing.text, p).not.toContain(DEFAULT_SECRET);

    const [path, query = ''] = p.split('?');
    const badSign = await getSigned(ex, path!, query, { sign: '0'.repeat(64) });
    expect(badSign.body.retCode, p).toBe(10004);
    expect(badSign.body.result, p).toEqual({});
    expect(badSign.text, p).not.toContain(DEFAULT_SECRET);
  }
});
