/**
 * The admin API over real HTTP: health, state, reset and its JSON errors.
 */
import { expect, test } from 'vitest';
import type { ManualClock } from '../../src/core/clock.js';
import { readPackageVersion, type RunningExchange } from '../../src/runtime/start-exchange.js';
import {
  DEFAULT_KEY,
  MANUAL_CLOCK_START,
  READONLY_KEY,
  getPublic,
  getSigned,
  manualScenarioYaml,
  postSigned,
  useTestExchange,
} from '../support/server.js';
import type { Json } from '../support/ws.js';

let ex: RunningExchange;
useTestExchange({ scenario: { yaml: manualScenarioYaml(), name: 'admin-manual' } }, (e) => (ex = e));

const SET_LEVERAGE = '/v5/position/set-leverage';

interface AdminState {
  time: number;
  startTime: number;
  seed: number;
  instruments: Record<string, string>[];
  accounts: {
    name: string;
    apiKey: string;
    permissions: string;
    uid: number;
    balances: Record<string, string>;
    leverage: Record<string, string>;
  }[];
}

async function state(): Promise<AdminState> {
  const r = await getPublic(ex, '/__admin/state');
  expect(r.status).toBe(200);
  expect(r.headers.get('content-type')).toMatch(/^application\/json/);
  return r.body as AdminState;
}

async function adminPost(path: string, body = '{}'): Promise<{ status: number; body: Json }> {
  const res = await fetch(ex.adminUrl + path, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body,
  });
  return { status: res.status, body: await res.json() };
}

test('health reports ok, the package version, uptime and the HTTP port it listens on', async () => {
  const r = await getPublic(ex, '/__admin/health');
  expect(r.status).toBe(200);
  expect(r.body).toEqual({
    status: 'ok',
    version: readPackageVersion(),
    uptimeMs: expect.any(Number),
    ports: { http: ex.port },
  });
  expect(r.body.version).toMatch(/^\d+\.\d+\.\d+/);
  expect(r.body.uptimeMs).toBeGreaterThanOrEqual(0);
  expect(Number.isInteger(r.body.uptimeMs)).toBe(true);
  expect(ex.adminUrl).toBe(`${ex.restUrl}/__admin`);
});

test('state lists every instrument with ordered prices and every account with its balances', async () => {
  const s = await state();
  expect(s.time).toBe(MANUAL_CLOCK_START);
  expect(s.startTime).toBe(MANUAL_CLOCK_START);
  expect(s.seed).toBe(7);

  expect(s.instruments.map((i) => `${i.category}:${i.symbol}`)).toEqual(['linear:BTCUSDT', 'spot:BTCUSDT']);
  for (const i of s.instruments) {
    expect(i.status).toBe('Trading');
    for (const k of ['lastPrice', 'markPrice', 'indexPrice', 'bid1Price', 'ask1Price'])
      expect(i[k], `${i.category} ${k}`).toMatch(/^\d+\.\d+$/);
    expect(Number(i.bid1Price)).toBeLessThan(Number(i.ask1Price));
    expect(Math.abs(Number(i.lastPrice) / 50000 - 1)).toBeLessThan(0.01);
  }
  expect(s.instruments[0]!.lastPrice).toMatch(/^\d+\.\d$/);
  expect(s.instruments[1]!.lastPrice).toMatch(/^\d+\.\d\d$/);

  expect(s.accounts).toEqual([
    {
      name: 'main',
      apiKey: DEFAULT_KEY,
      permissions: 'trade',
      uid: expect.any(Number),
      balances: { USDT: '10000', BTC: '0.5' },
      leverage: {},
    },
    {
      name: 'viewer',
      apiKey: READONLY_KEY,
      permissions: 'read-only',
      uid: expect.any(Number),
      balances: { USDT: '100' },
      leverage: {},
    },
  ]);
  expect(JSON.stringify(s)).not.toContain('mock-api-secret');
});

test('state prices agree with the public tickers', async () => {
  const s = await state();
  const linear = s.instruments.find((i) => i.category === 'linear')!;
  const ticker = (await getPublic(ex, '/v5/market/tickers?category=linear&symbol=BTCUSDT')).body.result
    .list[0];
  expect(linear).toMatchObject({
    lastPrice: ticker.lastPrice,
    markPrice: ticker.markPrice,
    indexPrice: ticker.indexPrice,
    bid1Price: ticker.bid1Price,
    ask1Price: ticker.ask1Price,
  });
});

test('state shows the leverage set through the REST API', async () => {
  const r = await postSigned(ex, SET_LEVERAGE, {
    category: 'linear',
    symbol: 'BTCUSDT',
    buyLeverage: '12.5',
    sellLeverage: '12.5',
  });
  expect(r.body.retCode).toBe(0);
  const main = (await state()).accounts.find((a) => a.name === 'main')!;
  expect(main.leverage).toEqual({ BTCUSDT: '12.5' });
});

test('reset restores the scenario: leverage changed through set-leverage is back to the default', async () => {
  const body = { category: 'linear', symbol: 'BTCUSDT', buyLeverage: '5', sellLeverage: '5' };
  expect((await postSigned(ex, SET_LEVERAGE, body)).body.retCode).toBe(0);
  expect((await postSigned(ex, SET_LEVERAGE, body)).body.retCode).toBe(110043);
  expect((await state()).accounts.find((a) => a.name === 'main')!.leverage).toEqual({ BTCUSDT: '5' });

  const reset = await adminPost('/reset');
  expect(reset.status).toBe(200);
  expect(reset.body.status).toBe('reset');
  expect(reset.body.state.accounts.find((a: { name: string }) => a.name === 'main').leverage).toEqual({});

  const after = await state();
  expect(after.accounts.find((a) => a.name === 'main')!.leverage).toEqual({});
  expect(after.accounts.find((a) => a.name === 'main')!.balances).toEqual({ USDT: '10000', BTC: '0.5' });
  // The same leverage is a change again, not 110043.
  expect((await postSigned(ex, SET_LEVERAGE, body)).body.retCode).toBe(0);
  expect((await adminPost('/reset')).status).toBe(200);
});

test('reset after the clock has advanced restores the scenario market and keeps REST working', async () => {
  const before = await state();
  (ex.clock as ManualClock).advance(45_000);
  const moved = await state();
  expect(moved.instruments[0]!.bid1Price).not.toBe(before.instruments[0]!.bid1Price);

  const reset = await adminPost('/reset');
  expect(reset.status).toBe(200);
  const after = await state();
  expect(after.instruments).toEqual(before.instruments);
  expect(after.accounts).toEqual(before.accounts);

  const wallet = await getSigned(ex, '/v5/account/wallet-balance', 'accountType=UNIFIED');
  expect(wallet.body.retCode).toBe(0);
});

test('an unknown admin route answers HTTP 404 with a JSON error, message and hint', async () => {
  const r = await getPublic(ex, '/__admin/no-such-route');
  expect(r.status).toBe(404);
  expect(r.headers.get('content-type')).toMatch(/^application\/json/);
  expect(r.body).toEqual({
    error: 'not_found',
    message: expect.stringContaining('/__admin/no-such-route'),
    hint: expect.any(String),
  });
  expect(r.body.message).toContain('GET');
});

test('a wrong method on an admin route answers HTTP 404 with a JSON error', async () => {
  const r = await adminPost('/health');
  expect(r.status).toBe(404);
  expect(r.body).toEqual({
    error: 'not_found',
    message: expect.stringContaining('POST /__admin/health'),
    hint: expect.any(String),
  });
  const getReset = await getPublic(ex, '/__admin/reset');
  expect(getReset.status).toBe(404);
  expect(getReset.body.error).toBe('not_found');
});
