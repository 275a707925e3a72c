/**
 * Bad input over real HTTP: every malformed request gets a Bybit envelope naming the parameter
 * (never an HTML page, never HTTP 500) and leaves the exchange state exactly as it was.
 * @see ../shared/reference/bybit-v5-facts.md §2, §4.1, §7.18
 */
import { request } from 'node:http';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { hmacHex, restPreSign } from '../../src/auth/signing.js';
import type { RunningExchange } from '../../src/runtime/start-exchange.js';
import {
  DEFAULT_KEY,
  DEFAULT_SECRET,
  getPublic,
  getSigned,
  manualScenarioYaml,
  NO_RATE_LIMITS,
  postSigned,
  startTestExchange,
  type Reply,
} from '../support/server.js';

let ex: RunningExchange;
let baseline: unknown;

const SET_LEVERAGE = '/v5/position/set-leverage';
const MAX_BODY = 1024 * 1024;

interface AdminAccount {
  name: string;
  balances: Record<string, string>;
  leverage: Record<string, string>;
}

async function accounts(): Promise<AdminAccount[]> {
  const r = await getPublic(ex, '/__admin/state');
  expect(r.status).toBe(200);
  return r.body.accounts as AdminAccount[];
}

beforeAll(async () => {
  ex = await startTestExchange({
    scenario: { yaml: manualScenarioYaml(NO_RATE_LIMITS), name: 'bad-input-manual' },
  });
  const set = await postSigned(ex, SET_LEVERAGE, {
    category: 'linear',
    symbol: 'BTCUSDT',
    buyLeverage: '7',
    sellLeverage: '7',
  });
  if (set.body?.retCode !== 0) throw new Error(`setup set-leverage failed: ${set.text}`);
  baseline = await accounts();
});

afterAll(async () => {
  await ex?.close();
});

async function expectStateUnchanged(): Promise<void> {
  const now = await accounts();
  expect(now).toEqual(baseline);
  expect(now.find((a) => a.name === 'main')?.leverage).toEqual({ BTCUSDT: '7' });
}

function expectEnvelope(r: Reply, retCode: number, mentions: RegExp, status = 200): void {
  expect(r.status, r.text).toBe(status);
  expect(r.headers.get('content-type')).toMatch(/^application\/json/);
  expect(r.body, r.text).toEqual({
    retCode,
    retMsg: expect.any(String),
    result: {},
    retExtInfo: {},
    time: expect.any(Number),
  });
  expect(r.body.retMsg).toMatch(mentions);
}

async function badLeverage(body: unknown, mentions: RegExp, retCode = 10001): Promise<void> {
  const r = await postSigned(ex, SET_LEVERAGE, body);
  expectEnvelope(r, retCode, mentions);
  await expectStateUnchanged();
}

// ---- malformed bodies -------------------------------------------------------------------------

test('set-leverage with invalid JSON gets 10001 saying the body is not valid JSON', async () => {
  await badLeverage('{"category":"linear","symbol":"BTCUSDT",', /JSON/);
  await badLeverage("{'category':'linear'}", /JSON/);
});

test('set-leverage with a JSON array body gets 10001 asking for an object', async () => {
  await badLeverage(
    '[{"category":"linear","symbol":"BTCUSDT","buyLeverage":"5","sellLeverage":"5"}]',
    /object/,
  );
});

test('set-leverage with a bare JSON value gets 10001 asking for an object', async () => {
  await badLeverage('null', /object/);
  await badLeverage('42', /object/);
  await badLeverage('"linear"', /object/);
});

test('set-leverage with an empty body gets 10001 saying the body is empty', async () => {
  await badLeverage('', /empty/);
  await badLeverage('   ', /empty/);
});

// ---- wrong types and missing fields -----------------------------------------------------------

test('set-leverage with buyLeverage as a JSON number gets 10001 naming buyLeverage', async () => {
  await badLeverage(
    { category: 'linear', symbol: 'BTCUSDT', buyLeverage: 5, sellLeverage: '5' },
    /buyLeverage/,
  );
});

test('set-leverage with sellLeverage as a JSON number gets 10001 naming sellLeverage', async () => {
  await badLeverage(
    { category: 'linear', symbol: 'BTCUSDT', buyLeverage: '5', sellLeverage: 5 },
    /sellLeverage/,
  );
});

test('set-leverage with category as an object gets 10001 naming category', async () => {
  await badLeverage(
    { category: { name: 'linear' }, symbol: 'BTCUSDT', buyLeverage: '5', sellLeverage: '5' },
    /category/,
  );
});

test('set-leverage with symbol as an array or a boolean gets 10001 naming symbol', async () => {
  await badLeverage(
    { category: 'linear', symbol: ['BTCUSDT'], buyLeverage: '5', sellLeverage: '5' },
    /symbol/,
  );
  await badLeverage({ category: 'linear', symbol: true, buyLeverage: '5', sellLeverage: '5' }, /symbol/);
});

test('set-leverage with each required field missing gets 10001 naming that field', async () => {
  const full: Record<string, string> = {
    category: 'linear',
    symbol: 'BTCUSDT',
    buyLeverage: '5',
    sellLeverage: '5',
  };
  for (const field of Object.keys(full)) {
    const body = { ...full };
    delete body[field];
    await badLeverage(body, new RegExp(field));
  }
});

test('set-leverage with null or empty-string fields gets 10001 naming the field', async () => {
  await badLeverage({ category: null, symbol: 'BTCUSDT', buyLeverage: '5', sellLeverage: '5' }, /category/);
  await badLeverage({ category: 'linear', symbol: '', buyLeverage: '5', sellLeverage: '5' }, /symbol/);
  await badLeverage(
    { category: 'linear', symbol: 'BTCUSDT', buyLeverage: '', sellLeverage: '5' },
    /buyLeverage/,
  );
});

// ---- out-of-range and inconsistent values -----------------------------------------------------

test('set-leverage with leverage 0, 101 or 5.555 gets 10001 naming buyLeverage', async () => {
  for (const lev of ['0', '101', '5.555']) {
    await badLeverage(
      { category: 'linear', symbol: 'BTCUSDT', buyLeverage: lev, sellLeverage: lev },
      /buyLeverage/,
    );
  }
});

test('set-leverage with negative, non-numeric or exponent leverage gets 10001 naming buyLeverage', async () => {
  for (const lev of ['-5', 'abc', '1e1', '0x10', 'NaN', 'Infinity', '+', '.5.']) {
    await badLeverage(
      { category: 'linear', symbol: 'BTCUSDT', buyLeverage: lev, sellLeverage: '5' },
      /buyLeverage/,
    );
  }
});

test('set-leverage with a valid buy side and an out-of-range sell side gets 10001 naming sellLeverage', async () => {
  await badLeverage(
    { category: 'linear', symbol: 'BTCUSDT', buyLeverage: '5', sellLeverage: '101' },
    /sellLeverage/,
  );
});

test('set-leverage with unequal buy and sell leverage gets 10001 naming both', async () => {
  await badLeverage(
    { category: 'linear', symbol: 'BTCUSDT', buyLeverage: '5', sellLeverage: '6' },
    /buyLeverage.*sellLeverage/,
  );
});

test('set-leverage on an unknown symbol gets 10001 naming symbol', async () => {
  await badLeverage({ category: 'linear', symbol: 'XRPUSDT', buyLeverage: '5', sellLeverage: '5' }, /symbol/);
  await badLeverage({ category: 'linear', symbol: 'btcusdt', buyLeverage: '5', sellLeverage: '5' }, /symbol/);
});

test('set-leverage for category spot or an unknown category gets 10001 naming category', async () => {
  await badLeverage({ category: 'spot', symbol: 'BTCUSDT', buyLeverage: '5', sellLeverage: '5' }, /category/);
  await badLeverage(
    { category: 'futures', symbol: 'BTCUSDT', buyLeverage: '5', sellLeverage: '5' },
    /category/,
  );
});

test('set-leverage to the leverage already in force gets 110043 and changes nothing', async () => {
  await badLeverage(
    { category: 'linear', symbol: 'BTCUSDT', buyLeverage: '7', sellLeverage: '7' },
    /leverage not modified/,
    110043,
  );
  await badLeverage(
    { category: 'linear', symbol: 'BTCUSDT', buyLeverage: '7.00', sellLeverage: '7.0' },
    /leverage not modified/,
    110043,
  );
});

// ---- body size --------------------------------------------------------------------------------

function paddedBody(totalBytes: number): string {
  const head = '{"category":"linear","symbol":"BTCUSDT","buyLeverage":"7","sellLeverage":"7","pad":"';
  const tail = '"}';
  return head + 'x'.repeat(totalBytes - head.length - tail.length) + tail;
}

test('a body of exactly the 1 MiB limit is read and processed', async () => {
  const body = paddedBody(MAX_BODY);
  expect(Buffer.byteLength(body)).toBe(MAX_BODY);
  // Leverage 7 is already in force: reaching 110043 proves the whole body was read, parsed and authenticated.
  await badLeverage(body, /leverage not modified/, 110043);
});

test('a body over 1 MiB gets HTTP 413 with a 10001 JSON envelope and the server keeps answering', async () => {
  const body = paddedBody(MAX_BODY + 1);
  const r = await postSigned(ex, SET_LEVERAGE, body);
  expectEnvelope(r, 10001, /body/, 413);
  await expectStateUnchanged();
  const after = await getPublic(ex, '/v5/market/time');
  expect(after.status).toBe(200);
  expect(after.body.retCode).toBe(0);
  const signed = await getSigned(ex, '/v5/account/wallet-balance', 'accountType=UNIFIED');
  expect(signed.body.retCode).toBe(0);
});

test('a chunked body without Content-Length that grows past 1 MiB gets HTTP 413 and the server keeps answering', async () => {
  const ts = String(ex.clock.now());
  const reply = await new Promise<{ status: number; text: string }>((resolve, reject) => {
    const req = request(
      {
        host: ex.host,
        port: ex.port,
        method: 'POST',
        path: SET_LEVERAGE,
        headers: {
          'Content-Type': 'application/json',
          'Transfer-Encoding': 'chunked',
          'X-BAPI-API-KEY': DEFAULT_KEY,
          'X-BAPI-TIMESTAMP': ts,
          'X-BAPI-SIGN': '0'.repeat(64),
          'X-BAPI-RECV-WINDOW': '5000',
        },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }),
        );
        res.on('error', reject);
      },
    );
    // The server may close the connection once it has answered; later writes may fail.
    req.on('error', () => undefined);
    const chunk = 'x'.repeat(64 * 1024);
    req.write('{"pad":"');
    let sent = 0;
    const pump = (): void => {
      while (sent < 40) {
        sent += 1;
        if (!req.write(chunk)) {
          req.once('drain', pump);
          return;
        }
      }
      req.end('"}');
    };
    pump();
  });
  expect(reply.status).toBe(413);
  const body = JSON.parse(reply.text) as { retCode: number; retMsg: string; result: unknown };
  expect(body.retCode).toBe(10001);
  expect(body.retMsg).toMatch(/body/);
  expect(body.result).toEqual({});
  await expectStateUnchanged();
  const after = await getPublic(ex, '/v5/market/time');
  expect(after.body.retCode).toBe(0);
});

// ---- garbage query strings --------------------------------------------------------------------

async function badQuery(pathAndQuery: string, mentions: RegExp): Promise<void> {
  const r = await getPublic(ex, pathAndQuery);
  expectEnvelope(r, 10001, mentions);
}

test('limit=abc, limit=-1, limit=1.5 and limit=0 are refused with 10001 naming limit', async () => {
  for (const v of ['abc', '-1', '1.5', '0', '1e2', '99999999999999999999']) {
    await badQuery(`/v5/market/orderbook?category=linear&symbol=BTCUSDT&limit=${v}`, /limit/);
    await badQuery(`/v5/market/kline?category=linear&symbol=BTCUSDT&interval=1&limit=${v}`, /limit/);
    await badQuery(`/v5/market/recent-trade?category=linear&symbol=BTCUSDT&limit=${v}`, /limit/);
  }
});

test('start=notatime and other malformed times are refused with 10001 naming the parameter', async () => {
  await badQuery('/v5/market/kline?category=linear&symbol=BTCUSDT&interval=1&start=notatime', /start/);
  await badQuery('/v5/market/kline?category=linear&symbol=BTCUSDT&interval=1&end=-5', /end/);
  await badQuery('/v5/market/kline?category=linear&symbol=BTCUSDT&interval=1&start=2026-01-01', /start/);
  await badQuery('/v5/market/funding/history?category=linear&symbol=BTCUSDT&endTime=yesterday', /endTime/);
});

test('a repeated query parameter is refused with 10001 naming it', async () => {
  await badQuery('/v5/market/tickers?category=linear&category=spot', /category/);
  await badQuery('/v5/market/orderbook?category=linear&symbol=BTCUSDT&limit=5&limit=6', /limit/);
  await badQuery('/v5/market/kline?category=linear&symbol=BTCUSDT&symbol=ETHUSDT&interval=1', /symbol/);
});

test('a repeated query parameter on a signed private GET is refused with 10001', async () => {
  const r = await getSigned(ex, '/v5/account/wallet-balance', 'accountType=UNIFIED&accountType=CONTRACT');
  expectEnvelope(r, 10001, /accountType/);
});

test('malformed auth header values are refused with 10001 naming the header', async () => {
  const notDigits = await getSigned(ex, '/v5/account/wallet-balance', 'accountType=UNIFIED', {
    timestamp: 'yesterday',
  });
  expectEnvelope(notDigits, 10001, /X-BAPI-TIMESTAMP/);
  const badWindow = await getSigned(ex, '/v5/account/wallet-balance', 'accountType=UNIFIED', {
    recvWindow: 'abc',
  });
  expectEnvelope(badWindow, 10001, /X-BAPI-RECV-WINDOW/);
  const zeroWindow = await getSigned(ex, '/v5/account/wallet-balance', 'accountType=UNIFIED', {
    recvWindow: '0',
  });
  expectEnvelope(zeroWindow, 10001, /X-BAPI-RECV-WINDOW/);
});

test('no odd request ever produces HTTP 500 or a non-JSON answer', async () => {
  const targets = [
    '/v5/market/tickers?category=%zz',
    '/v5/market/tickers?%%%%',
    '/v5/market/tickers?category=linear&symbol=%E2%82%AC',
    '/v5/market/tickers?=&&&=linear',
    '/v5/market/kline?category=linear&symbol=BTCUSDT&interval=1&start=99999999999999999999',
    '/v5/market/kline?category=linear&symbol=BTCUSDT&interval=1&start=8640000000000001',
    '/v5/market/kline?category=linear&symbol=BTCUSDT&interval=M&start=0&limit=3',
    '/v5/market/kline?category=linear&symbol=BTCUSDT&interval=1&start=2000&end=1000',
    '/v5/market/instruments-info?category=linear&cursor=%00',
    '/v5/market/instruments-info?category=linear&limit=1&cursor=pzzzzzzzzzzzzzzzzzzzzzzx00',
    '/v5/market/orderbook?category=linear&symbol=' + 'A'.repeat(5000),
    '/v5/market/funding/history?category=linear&symbol=BTCUSDT&startTime=5&endTime=1',
    '/v5/market/%2e%2e/%2e%2e/etc/passwd',
    '/__admin/%zz',
  ];
  for (const t of targets) {
    const r = await getPublic(ex, t);
    expect(r.status, t).not.toBe(500);
    expect(r.status, t).toBeLessThan(500);
    expect(r.body, `${t} -> ${r.text.slice(0, 200)}`).toBeTypeOf('object');
    if (t.startsWith('/v5/')) expect(r.body.retCode, t).not.toBe(10016);
  }
  await expectStateUnchanged();
});

test('a signed POST with a wrong content type is still read as the raw JSON body it carries', async () => {
  const raw = '{"category":"linear","symbol":"BTCUSDT","buyLeverage":"7","sellLeverage":"7"}';
  const ts = String(ex.clock.now());
  const sign = hmacHex(DEFAULT_SECRET, restPreSign(ts, DEFAULT_KEY, '5000', raw));
  const res = await fetch(ex.restUrl + SET_LEVERAGE, {
    method: 'POST',
    headers: {
      'Content-Type': 'text/plain',
      'X-BAPI-API-KEY': DEFAULT_KEY,
      'X-BAPI-TIMESTAMP': ts,
      'X-BAPI-SIGN': sign,
    },
    body: raw,
  });
  expect(res.status).toBe(200);
  const body = (await res.json()) as { retCode: number };
  expect(body.retCode).toBe(110043);
  await expectStateUnchanged();
});
