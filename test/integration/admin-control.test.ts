/**
 * The admin API's state-control routes over real HTTP (accounts, balances, positions, orders,
 * market, clock) on a manual clock, each effect checked through the Bybit REST API as a bot sees
 * it, each refusal checked to leave the state exactly as it was, and the private WS frames every
 * admin change pushes.
 * @see ../../docs/admin-api.md, ../../docs/engine.md
 */
import { beforeEach, describe, expect, test } from 'vitest';
import type { ManualClock } from '../../src/core/clock.js';
import type { RunningExchange } from '../../src/runtime/start-exchange.js';
import {
  adminFetch,
  type AdminReply,
  DEFAULT_KEY,
  MANUAL_CLOCK_START,
  getPublic,
  getSigned,
  manualScenarioYaml,
  postSigned,
  startTestExchange,
  useTestExchange,
} from '../support/server.js';
import { openAuthed, type Json, type WsClient } from '../support/ws.js';

let ex: RunningExchange;
useTestExchange({ scenario: { yaml: manualScenarioYaml(), name: 'admin-control' } }, (e) => (ex = e), {
  resetEach: true,
});

// ---- helpers ----------------------------------------------------------------------------------------

/** An admin request; `body` is sent as JSON, or byte for byte when it is a string. */
async function admin(method: string, path: string, body?: unknown): Promise<AdminReply> {
  const res = await adminFetch(ex, method, path, body);
  expect(res.headers.get('content-type')).toMatch(/^application\/json/);
  return { status: res.status, body: JSON.parse(await res.text()) };
}

async function ok(method: string, path: string, body?: unknown): Promise<Json> {
  const r = await admin(method, path, body);
  expect(r.status, `${method} ${path}: ${JSON.stringify(r.body)}`).toBe(200);
  return r.body;
}

/** Everything the admin API shows: accounts, the main account in detail, orders, state, clock. */
async function snapshot(): Promise<Json> {
  return {
    accounts: await ok('GET', '/accounts'),
    main: await ok('GET', '/accounts/main'),
    viewer: await ok('GET', '/accounts/viewer'),
    orders: await ok('GET', '/orders'),
    state: await ok('GET', '/state'),
    clock: await ok('GET', '/clock'),
  };
}

/** A refused request: the status, `{error, message, hint}`, and no change anywhere. */
async function refused(
  method: string,
  path: string,
  body: unknown,
  status: number,
  error: string,
): Promise<Json> {
  const before = await snapshot();
  const r = await admin(method, path, body);
  expect(r.status, `${method} ${path} ${JSON.stringify(body)}: ${JSON.stringify(r.body)}`).toBe(status);
  expect(r.body).toEqual({ error, message: expect.any(String), hint: expect.any(String) });
  expect(r.body.message).not.toBe('');
  expect(await snapshot()).toEqual(before);
  return r.body;
}

async function placeOrder(
  body: Record<string, unknown>,
  key?: { key: string; secret: string },
): Promise<string> {
  const r = await postSigned(ex, '/v5/order/create', { category: 'linear', symbol: 'BTCUSDT', ...body }, key);
  expect(r.body.retCode, JSON.stringify(r.body)).toBe(0);
  return r.body.result.orderId as string;
}

/** A resting linear limit buy (the market is near 50000). */
function restingBuy(price = '45000', qty = '0.010', extra: Record<string, unknown> = {}): Promise<string> {
  return placeOrder({ side: 'Buy', orderType: 'Limit', qty, price, ...extra });
}

async function restOrder(orderId: string, category = 'linear'): Promise<Json> {
  const r = await getSigned(ex, '/v5/order/realtime', `category=${category}&orderId=${orderId}`);
  expect(r.body.retCode, JSON.stringify(r.body)).toBe(0);
  expect(r.body.result.list).toHaveLength(1);
  return r.body.result.list[0];
}

async function restExecutions(orderId: string, category = 'linear'): Promise<Json[]> {
  const r = await getSigned(ex, '/v5/execution/list', `category=${category}&orderId=${orderId}`);
  expect(r.body.retCode, JSON.stringify(r.body)).toBe(0);
  return r.body.result.list;
}

async function restPosition(): Promise<Json> {
  const r = await getSigned(ex, '/v5/position/list', 'category=linear&symbol=BTCUSDT');
  expect(r.body.retCode, JSON.stringify(r.body)).toBe(0);
  expect(r.body.result.list).toHaveLength(1);
  return r.body.result.list[0];
}

async function restCoin(coin: string, o?: { key: string; secret: string }): Promise<Json> {
  const r = await getSigned(ex, '/v5/account/wallet-balance', `accountType=UNIFIED&coin=${coin}`, o);
  expect(r.body.retCode, JSON.stringify(r.body)).toBe(0);
  return r.body.result.list[0].coin.find((c: Json) => c.coin === coin);
}

async function ticker(category: 'linear' | 'spot'): Promise<Json> {
  const r = await getPublic(ex, `/v5/market/tickers?category=${category}&symbol=BTCUSDT`);
  expect(r.body.retCode).toBe(0);
  return r.body.result.list[0];
}

async function adminPrices(): Promise<Json[]> {
  return (await ok('GET', '/state')).instruments;
}

// ---- accounts ----------------------------------------------------------------------------------------

describe('accounts', () => {
  test('GET /accounts lists every account; GET /accounts/{a} finds one by name or apiKey', async () => {
    const list = await ok('GET', '/accounts');
    expect(list.accounts).toEqual([
      {
        name: 'main',
        apiKey: DEFAULT_KEY,
        uid: expect.any(Number),
        permissions: 'trade',
        balances: { USDT: '10000', BTC: '0.5' },
        openOrders: 0,
        openPositions: 0,
      },
      {
        name: 'viewer',
        apiKey: 'mock-readonly-key',
        uid: expect.any(Number),
        permissions: 'read-only',
        balances: { USDT: '100' },
        openOrders: 0,
        openPositions: 0,
      },
    ]);
    expect(JSON.stringify(list)).not.toContain('secret');

    const byName = await ok('GET', '/accounts/main');
    expect(byName).toMatchObject({
      name: 'main',
      apiKey: DEFAULT_KEY,
      uid: list.accounts[0].uid,
      permissions: 'trade',
      leverage: {},
      positions: [],
      openOrders: [],
    });
    expect(byName.wallet.coin.find((c: Json) => c.coin === 'USDT').walletBalance).toBe('10000');
    expect(await ok('GET', `/accounts/${DEFAULT_KEY}`)).toEqual(byName);
    expect(JSON.stringify(byName)).not.toContain('mock-api-secret');

    // An open order and position show in the summary and the detail.
    const orderId = await restingBuy();
    await ok('PUT', '/accounts/main/positions/linear/BTCUSDT', {
      side: 'Sell',
      size: '0.1',
      avgPrice: '50000',
    });
    const after = await ok('GET', '/accounts');
    expect(after.accounts[0]).toMatchObject({ openOrders: 1, openPositions: 1 });
    const detail = await ok('GET', '/accounts/main');
    expect(detail.openOrders).toEqual([expect.objectContaining({ category: 'linear', orderId })]);
    expect(detail.positions).toEqual([
      expect.objectContaining({ category: 'linear', symbol: 'BTCUSDT', side: 'Sell', size: '0.100' }),
    ]);
  });

  test('an unknown account is 404 account_not_found', async () => {
    const r = await admin('GET', '/accounts/nobody');
    expect(r.status).toBe(404);
    expect(r.body).toEqual({
      error: 'account_not_found',
      message: expect.stringContaining('nobody'),
      hint: expect.any(String),
    });
  });

  test('POST /accounts adds an account whose key signs, reads its wallet and trades', async () => {
    const key = { key: 'new-key', secret: 'new-secret' };
    const created = await ok('POST', '/accounts', {
      name: 'bot2',
      apiKey: key.key,
      apiSecret: key.secret,
      balances: { USDT: '2500', ETH: '1.5' },
    });
    expect(created).toMatchObject({ name: 'bot2', apiKey: 'new-key', permissions: 'trade', positions: [] });
    expect(JSON.stringify(created)).not.toContain('new-secret');
    expect((await ok('GET', '/accounts')).accounts.map((a: Json) => a.name)).toEqual([
      'main',
      'viewer',
      'bot2',
    ]);
    expect(await ok('GET', '/accounts/new-key')).toEqual(created);

    expect((await restCoin('USDT', key)).walletBalance).toBe('2500');
    expect((await restCoin('ETH', key)).walletBalance).toBe('1.5');
    // A key signed with the wrong secret is still refused.
    const forged = await getSigned(ex, '/v5/account/wallet-balance', 'accountType=UNIFIED', {
      key: key.key,
      secret: 'wrong',
    });
    expect(forged.body.retCode).toBe(10004);

    const orderId = await placeOrder({ side: 'Buy', orderType: 'Market', qty: '0.010' }, key);
    const r = await getSigned(ex, '/v5/order/realtime', `category=linear&orderId=${orderId}`, key);
    expect(r.body.result.list[0]).toMatchObject({ orderStatus: 'Filled', cumExecQty: '0.010' });
    expect(
      (await getSigned(ex, '/v5/position/list', 'category=linear&symbol=BTCUSDT', key)).body.result.list[0],
    ).toMatchObject({ side: 'Buy', size: '0.010' });
    // The admin lists the order under the new account, and main is untouched.
    expect((await ok('GET', '/orders?account=bot2')).orders).toEqual([
      expect.objectContaining({ account: 'bot2', orderId, orderStatus: 'Filled' }),
    ]);
    expect((await ok('GET', '/orders?account=main')).orders).toEqual([]);
  });

  test('POST /accounts with read-only permissions: the key reads but cannot trade', async () => {
    const key = { key: 'ro-key', secret: 'ro-secret' };
    const created = await ok('POST', '/accounts', {
      name: 'watcher',
      apiKey: key.key,
      apiSecret: key.secret,
      permissions: 'read-only',
    });
    expect(created.permissions).toBe('read-only');
    expect((await ok('GET', '/accounts')).accounts[2]).toMatchObject({ name: 'watcher', balances: {} });
    const wallet = await getSigned(ex, '/v5/account/wallet-balance', 'accountType=UNIFIED', key);
    expect(wallet.body.retCode).toBe(0);
    const order = await postSigned(
      ex,
      '/v5/order/create',
      { category: 'linear', symbol: 'BTCUSDT', side: 'Buy', orderType: 'Market', qty: '0.001' },
      key,
    );
    expect(order.body.retCode).toBe(10005);
  });

  test('POST /accounts refusals change nothing', async () => {
    const good = { name: 'bot3', apiKey: 'k3', apiSecret: 's3' };
    await refused('POST', '/accounts', '{"name": "bot3",', 400, 'bad_json');
    await refused('POST', '/accounts', '[1, 2]', 400, 'bad_body');
    await refused('POST', '/accounts', { name: 'bot3', apiKey: 'k3' }, 400, 'missing_field');
    await refused('POST', '/accounts', {}, 400, 'missing_field');
    await refused('POST', '/accounts', { ...good, name: 42 }, 400, 'bad_field');
    await refused('POST', '/accounts', { ...good, apiSecret: ['s'] }, 400, 'bad_field');
    await refused('POST', '/accounts', { ...good, permissions: 'admin' }, 400, 'bad_field');
    await refused('POST', '/accounts', { ...good, balances: ['USDT'] }, 400, 'bad_field');
    await refused('POST', '/accounts', { ...good, balances: 'USDT' }, 400, 'bad_field');
    await refused('POST', '/accounts', { ...good, balances: { USDT: 100 } }, 400, 'bad_field');
    await refused('POST', '/accounts', { ...good, balances: { USDT: '-1' } }, 400, 'bad_field');
    await refused('POST', '/accounts', { ...good, balances: { USDT: 'lots' } }, 400, 'bad_field');
    await refused('POST', '/accounts', { ...good, balances: { usdt: '1' } }, 400, 'bad_field');
    await refused('POST', '/accounts', { ...good, name: 'main' }, 409, 'account_exists');
    await refused('POST', '/accounts', { ...good, apiKey: DEFAULT_KEY }, 409, 'account_exists');
    await refused('POST', '/accounts', { ...good, name: DEFAULT_KEY }, 409, 'account_exists');
    await refused('POST', '/accounts', { ...good, apiKey: 'viewer' }, 409, 'account_exists');
    // The refused key was never added.
    const r = await getSigned(ex, '/v5/account/wallet-balance', 'accountType=UNIFIED', {
      key: 'k3',
      secret: 's3',
    });
    expect(r.body.retCode).toBe(10003);
    // The good body after all that works.
    expect((await ok('POST', '/accounts', good)).name).toBe('bot3');
  });
});

// ---- balances -----------------------------------------------------------------------------------------

describe('PUT /accounts/{a}/balances/{coin}', () => {
  test('sets the wallet balance a bot reads from wallet-balance, for existing and new coins', async () => {
    const detail = await ok('PUT', '/accounts/main/balances/USDT', { walletBalance: '12345.678' });
    expect(detail.wallet.coin.find((c: Json) => c.coin === 'USDT').walletBalance).toBe('12345.678');
    const usdt = await restCoin('USDT');
    expect(usdt).toMatchObject({ walletBalance: '12345.678', equity: '12345.678' });
    expect(usdt.availableToWithdraw).toBe('12345.678');

    await ok('PUT', `/accounts/${DEFAULT_KEY}/balances/ETH`, { walletBalance: '2' });
    expect((await restCoin('ETH')).walletBalance).toBe('2');
    await ok('PUT', '/accounts/main/balances/BTC', { walletBalance: '0' });
    expect((await ok('GET', '/accounts')).accounts[0].balances).toEqual({
      USDT: '12345.678',
      BTC: '0',
      ETH: '2',
    });

    // The new balance is what order entry checks: 100 USDT cannot open 0.1 BTC at 10x (500 USDT IM).
    await ok('PUT', '/accounts/main/balances/USDT', { walletBalance: '100' });
    const r = await postSigned(ex, '/v5/order/create', {
      category: 'linear',
      symbol: 'BTCUSDT',
      side: 'Buy',
      orderType: 'Market',
      qty: '0.1',
    });
    expect(r.body.retCode).toBe(110007);
  });

  test('refusals change nothing', async () => {
    const path = '/accounts/main/balances/USDT';
    await refused('PUT', '/accounts/nobody/balances/USDT', { walletBalance: '1' }, 404, 'account_not_found');
    await refused('PUT', path, '{"walletBalance": ', 400, 'bad_json');
    await refused('PUT', path, '"1"', 400, 'bad_json');
    await refused('PUT', path, '["1"]', 400, 'bad_body');
    await refused('PUT', path, {}, 400, 'missing_field');
    await refused('PUT', path, { walletBalance: 1000 }, 400, 'bad_field');
    await refused('PUT', path, { walletBalance: true }, 400, 'bad_field');
    await refused('PUT', path, { walletBalance: '1e3x' }, 400, 'bad_field');
    await refused('PUT', path, { walletBalance: '-5' }, 400, 'bad_balance');
    await refused('PUT', '/accounts/main/balances/usdt', { walletBalance: '1' }, 400, 'bad_coin');
    expect((await restCoin('USDT')).walletBalance).toBe('10000');
  });
});

// ---- positions ----------------------------------------------------------------------------------------

describe('PUT /accounts/{a}/positions/{category}/{symbol}', () => {
  const path = '/accounts/main/positions/linear/BTCUSDT';

  test('sets a position position/list shows (avgPrice, size, leverage); size "0" closes it', async () => {
    const detail = await ok('PUT', path, { side: 'Buy', size: '0.25', avgPrice: '48000.5', leverage: '5' });
    expect(detail.positions).toEqual([
      expect.objectContaining({ side: 'Buy', size: '0.250', leverage: '5' }),
    ]);
    expect(detail.leverage).toEqual({ BTCUSDT: '5' });

    const pos = await restPosition();
    expect(pos).toMatchObject({
      symbol: 'BTCUSDT',
      side: 'Buy',
      size: '0.250',
      avgPrice: '48000.5',
      leverage: '5',
      positionIdx: 0,
      positionValue: '12000.125',
      positionIM: '2400.025',
    });
    // Marked at the market price (about 50000), so a long from 48000.5 is in profit.
    expect(Number(pos.unrealisedPnl)).toBeGreaterThan(400);
    // The wallet shows the position's margin.
    expect((await restCoin('USDT')).totalPositionIM).toBe('2400.025');

    // Replacing it with a short keeps the leverage unless one is sent.
    await ok('PUT', path, { side: 'Sell', size: '0.1', avgPrice: '51000' });
    expect(await restPosition()).toMatchObject({
      side: 'Sell',
      size: '0.100',
      avgPrice: '51000',
      leverage: '5',
    });

    // The bot can close it with a market order as if it had opened it.
    await ok('PUT', path, { side: 'Buy', size: '0', leverage: '20' });
    const flat = await restPosition();
    expect(flat).toMatchObject({ side: '', size: '0', leverage: '20', positionValue: '0' });
    const list = await getSigned(ex, '/v5/position/list', 'category=linear&settleCoin=USDT');
    expect(list.body.result.list).toEqual([]);
    expect((await ok('GET', '/accounts/main')).positions).toEqual([]);
    expect((await restCoin('USDT')).totalPositionIM).toBe('0');
  });

  test('a position set by the admin trades like any other: a reduce-only market order closes it', async () => {
    await ok('PUT', path, { side: 'Buy', size: '0.05', avgPrice: '49000' });
    await placeOrder({ side: 'Sell', orderType: 'Market', qty: '0.05', reduceOnly: true });
    expect(await restPosition()).toMatchObject({ side: '', size: '0' });
    const pnl = await getSigned(ex, '/v5/position/closed-pnl', 'category=linear&symbol=BTCUSDT');
    expect(pnl.body.result.list).toHaveLength(1);
    expect(pnl.body.result.list[0]).toMatchObject({ avgEntryPrice: '49000', qty: '0.050' });
  });

  test('closing a position by hand cancels its resting reduce-only orders (CancelByReduceOnly)', async () => {
    await ok('PUT', path, { side: 'Buy', size: '0.05', avgPrice: '49000' });
    const tp = await placeOrder({
      side: 'Sell',
      orderType: 'Limit',
      qty: '0.05',
      price: '60000',
      reduceOnly: true,
    });
    await ok('PUT', path, { side: 'Buy', size: '0' });
    const r = await getSigned(ex, '/v5/order/realtime', `category=linear&orderId=${tp}`);
    expect(r.body.result.list[0]).toMatchObject({
      orderStatus: 'Cancelled',
      cancelType: 'CancelByReduceOnly',
    });
  });

  test('refusals change nothing', async () => {
    const good = { side: 'Buy', size: '0.1', avgPrice: '50000' };
    await refused('PUT', '/accounts/nobody/positions/linear/BTCUSDT', good, 404, 'account_not_found');
    await refused('PUT', '/accounts/main/positions/linear/ETHUSDT', good, 404, 'instrument_not_found');
    await refused('PUT', '/accounts/main/positions/spot/BTCUSDT', good, 404, 'instrument_not_found');
    await refused('PUT', '/accounts/main/positions/inverse/BTCUSDT', good, 404, 'instrument_not_found');
    await refused('PUT', path, '{"side":"Buy"', 400, 'bad_json');
    await refused('PUT', path, { ...good, side: 'buy' }, 400, 'bad_field');
    await refused('PUT', path, { size: '0.1', avgPrice: '50000' }, 400, 'bad_field');
    await refused('PUT', path, { side: 'Buy', avgPrice: '50000' }, 400, 'missing_field');
    await refused('PUT', path, { ...good, size: 0.1 }, 400, 'bad_field');
    await refused('PUT', path, { ...good, avgPrice: 50000 }, 400, 'bad_field');
    await refused('PUT', path, { ...good, leverage: 10 }, 400, 'bad_field');
    await refused('PUT', path, { ...good, size: '0.0005' }, 400, 'bad_size');
    await refused('PUT', path, { ...good, size: '-0.1' }, 400, 'bad_size');
    await refused('PUT', path, { ...good, avgPrice: '0' }, 400, 'bad_price');
    await refused('PUT', path, { side: 'Buy', size: '0.1' }, 400, 'bad_price');
    await refused('PUT', path, { ...good, leverage: '0.5' }, 400, 'bad_leverage');
    await refused('PUT', path, { ...good, leverage: '101' }, 400, 'bad_leverage');
    await refused('PUT', path, { ...good, leverage: '5.555' }, 400, 'bad_leverage');
    await refused('PUT', path, { ...good, positionIdx: 1 }, 400, 'bad_position_idx');
    await refused('PUT', path, { ...good, positionIdx: 3 }, 400, 'bad_field');
    await refused('PUT', path, { ...good, positionIdx: '0' }, 400, 'bad_field');
    expect(await restPosition()).toMatchObject({ side: '', size: '0', leverage: '10' });
  });
});

// ---- orders -------------------------------------------------------------------------------------------

describe('orders', () => {
  test('GET /orders lists orders newest first, filtered by account, symbol and status', async () => {
    const a = await restingBuy('45000', '0.010', { orderLinkId: 'a' });
    const b = await restingBuy('44000', '0.020', { orderLinkId: 'b' });
    const c = await placeOrder({
      category: 'spot',
      side: 'Sell',
      orderType: 'Limit',
      qty: '0.01',
      price: '60000',
    });
    await ok('POST', `/orders/${a}/cancel`);

    const all = (await ok('GET', '/orders')).orders;
    expect(all.map((o: Json) => o.orderId)).toEqual([c, b, a]);
    expect(all[0]).toMatchObject({
      account: 'main',
      category: 'spot',
      symbol: 'BTCUSDT',
      orderStatus: 'New',
    });
    expect(all[1]).toMatchObject({ account: 'main', category: 'linear', orderLinkId: 'b', qty: '0.020' });

    const q = async (query: string) =>
      (await ok('GET', `/orders?${query}`)).orders.map((o: Json) => o.orderId);
    expect(await q('status=New')).toEqual([c, b]);
    expect(await q('status=Cancelled')).toEqual([a]);
    expect(await q('status=Filled')).toEqual([]);
    expect(await q('account=main&symbol=BTCUSDT&status=New')).toEqual([c, b]);
    expect(await q(`account=${DEFAULT_KEY}`)).toEqual([c, b, a]);
    expect(await q('account=viewer')).toEqual([]);
    expect(await q('symbol=ETHUSDT')).toEqual([]);
    expect(await q('account=')).toEqual([c, b, a]);

    await refused('GET', '/orders?status=Open', undefined, 400, 'bad_status');
    await refused('GET', '/orders?account=nobody', undefined, 404, 'account_not_found');
  });

  test('fill part, then the rest: PartiallyFilled then Filled, maker executions, a position', async () => {
    const orderId = await restingBuy('45000', '0.010', { orderLinkId: 'fill-me' });
    const usdtBefore = await restCoin('USDT');
    expect(usdtBefore.totalOrderIM).not.toBe('0');

    const part = await ok('POST', `/orders/${orderId}/fill`, { qty: '0.004' });
    expect(part).toMatchObject({
      category: 'linear',
      orderId,
      orderStatus: 'PartiallyFilled',
      cumExecQty: '0.004',
      leavesQty: '0.006',
      avgPrice: '45000',
    });
    expect(await restOrder(orderId)).toMatchObject({
      orderStatus: 'PartiallyFilled',
      cumExecQty: '0.004',
      leavesQty: '0.006',
    });
    expect(await restPosition()).toMatchObject({ side: 'Buy', size: '0.004', avgPrice: '45000' });

    // The rest, by orderLinkId, at a better price.
    const rest = await ok('POST', '/orders/fill-me/fill', { price: '44990.5' });
    expect(rest).toMatchObject({ orderId, orderStatus: 'Filled', cumExecQty: '0.010', leavesQty: '0.000' });
    const filled = await restOrder(orderId);
    expect(filled).toMatchObject({ orderStatus: 'Filled', cumExecQty: '0.010', leavesQty: '0.000' });
    expect(filled.avgPrice).toBe('44994.3');

    const execs = await restExecutions(orderId);
    expect(execs.map((e: Json) => [e.execQty, e.execPrice, e.isMaker, e.execType])).toEqual([
      ['0.006', '44990.5', true, 'Trade'],
      ['0.004', '45000.0', true, 'Trade'],
    ]);
    // Maker fee (the instrument's maker rate on the value).
    for (const e of execs)
      expect(e.feeRate).toBe(
        (await getSigned(ex, '/v5/account/fee-rate', 'category=linear&symbol=BTCUSDT')).body.result.list[0]
          .makerFeeRate,
      );
    expect(await restPosition()).toMatchObject({ side: 'Buy', size: '0.010', avgPrice: '44994.3' });
    const usdt = await restCoin('USDT');
    expect(usdt.totalOrderIM).toBe('0');
    expect((await ok('GET', '/accounts/main')).openOrders).toEqual([]);
    // The fills print on the public tape.
    const tape = (await getPublic(ex, '/v5/market/recent-trade?category=linear&symbol=BTCUSDT&limit=2')).body
      .result.list;
    expect(tape.map((t: Json) => [t.price, t.size, t.side])).toEqual([
      ['44990.5', '0.006', 'Sell'],
      ['45000.0', '0.004', 'Sell'],
    ]);
  });

  test('fill a spot order: the coins move as a maker fill', async () => {
    const orderId = await placeOrder({
      category: 'spot',
      side: 'Sell',
      orderType: 'Limit',
      qty: '0.1',
      price: '60000',
    });
    expect((await restCoin('BTC')).locked).toBe('0.1');
    const filled = await ok('POST', `/orders/${orderId}/fill`);
    expect(filled).toMatchObject({ category: 'spot', orderStatus: 'Filled', cumExecQty: '0.100000' });
    expect(await restOrder(orderId, 'spot')).toMatchObject({ orderStatus: 'Filled' });
    const [exec] = await restExecutions(orderId, 'spot');
    expect(exec).toMatchObject({ execQty: '0.100000', execPrice: '60000.00', isMaker: true });
    expect(await restCoin('BTC')).toMatchObject({ walletBalance: '0.4', locked: '0' });
    const usdt = await restCoin('USDT');
    expect(usdt.walletBalance).toBe(String(10000 + 6000 - Number(exec.execFee)));
  });

  test('fill refusals change nothing', async () => {
    const orderId = await restingBuy('45000', '0.010');
    const cond = await placeOrder({
      side: 'Buy',
      orderType: 'Market',
      qty: '0.01',
      triggerPrice: '55000',
      triggerDirection: 1,
    });
    expect((await restOrder(cond)).orderStatus).toBe('Untriggered');
    const fill = `/orders/${orderId}/fill`;
    await refused('POST', '/orders/no-such-order/fill', {}, 404, 'order_not_found');
    await refused('POST', fill, '{"qty": "0.001"', 400, 'bad_json');
    await refused('POST', fill, { qty: 0.001 }, 400, 'bad_field');
    await refused('POST', fill, { price: 45000 }, 400, 'bad_field');
    await refused('POST', fill, { qty: 'some' }, 400, 'bad_field');
    await refused('POST', fill, { qty: '0.011' }, 400, 'bad_qty');
    await refused('POST', fill, { qty: '0.0005' }, 400, 'bad_qty');
    await refused('POST', fill, { qty: '0' }, 400, 'bad_qty');
    await refused('POST', fill, { qty: '-0.001' }, 400, 'bad_qty');
    await refused('POST', fill, { price: '45000.05' }, 400, 'bad_price');
    await refused('POST', fill, { price: '0' }, 400, 'bad_price');
    await refused('POST', `/orders/${cond}/fill`, {}, 409, 'order_not_open');

    // After a partial fill, more than what is left is refused; a filled or cancelled order is 409.
    await ok('POST', fill, { qty: '0.007' });
    await refused('POST', fill, { qty: '0.004' }, 400, 'bad_qty');
    await ok('POST', fill, { qty: '0.003' });
    expect((await restOrder(orderId)).orderStatus).toBe('Filled');
    await refused('POST', fill, {}, 409, 'order_not_open');
    const other = await restingBuy('44000', '0.010');
    await ok('POST', `/orders/${other}/cancel`);
    await refused('POST', `/orders/${other}/fill`, {}, 409, 'order_not_open');
    expect(await restExecutions(other)).toEqual([]);
  });

  test('fill of a reduce-only order never opens or flips a position', async () => {
    await ok('PUT', '/accounts/main/positions/linear/BTCUSDT', {
      side: 'Buy',
      size: '0.01',
      avgPrice: '50000',
    });
    const ro = await placeOrder({
      side: 'Sell',
      orderType: 'Limit',
      qty: '0.01',
      price: '60000',
      reduceOnly: true,
    });
    // The admin shrinks the position under the resting reduce-only order.
    await ok('PUT', '/accounts/main/positions/linear/BTCUSDT', {
      side: 'Buy',
      size: '0.004',
      avgPrice: '50000',
    });
    await refused('POST', `/orders/${ro}/fill`, {}, 400, 'bad_qty');
    await refused('POST', `/orders/${ro}/fill`, { qty: '0.005' }, 400, 'bad_qty');
    const part = await ok('POST', `/orders/${ro}/fill`, { qty: '0.004' });
    expect(part).toMatchObject({ orderStatus: 'PartiallyFilled', cumExecQty: '0.004' });
    expect(await restPosition()).toMatchObject({ side: '', size: '0' });
    await refused('POST', `/orders/${ro}/fill`, { qty: '0.001' }, 409, 'nothing_to_close');
    expect(await restPosition()).toMatchObject({ side: '', size: '0' });
  });

  test('an orderLinkId two accounts use is ambiguous; the orderId still works', async () => {
    const key = { key: 'k2', secret: 's2' };
    await ok('POST', '/accounts', {
      name: 'two',
      apiKey: key.key,
      apiSecret: key.secret,
      balances: { USDT: '1000' },
    });
    const mine = await restingBuy('45000', '0.010', { orderLinkId: 'same' });
    const theirs = await placeOrder(
      { side: 'Buy', orderType: 'Limit', qty: '0.010', price: '44000', orderLinkId: 'same' },
      key,
    );
    await refused('POST', '/orders/same/cancel', undefined, 409, 'order_ambiguous');
    await refused('POST', '/orders/same/fill', {}, 409, 'order_ambiguous');
    await refused('POST', '/orders/same/reject', {}, 409, 'order_ambiguous');
    expect(await ok('POST', `/orders/${theirs}/cancel`)).toMatchObject({
      orderLinkId: 'same',
      orderStatus: 'Cancelled',
    });
    expect((await restOrder(mine)).orderStatus).toBe('New');
  });

  test('cancel: Cancelled with cancelType CancelByAdmin; a conditional order is Deactivated', async () => {
    const orderId = await restingBuy('45000', '0.010', { orderLinkId: 'cx' });
    const r = await ok('POST', '/orders/cx/cancel');
    expect(r).toMatchObject({ orderId, orderStatus: 'Cancelled', cancelType: 'CancelByAdmin' });
    expect(await restOrder(orderId)).toMatchObject({
      orderStatus: 'Cancelled',
      cancelType: 'CancelByAdmin',
      leavesQty: '0.000',
    });
    expect((await restCoin('USDT')).totalOrderIM).toBe('0');
    const open = await getSigned(ex, '/v5/order/realtime', 'category=linear&symbol=BTCUSDT');
    expect(open.body.result.list).toEqual([]);

    const cond = await placeOrder({ side: 'Buy', orderType: 'Market', qty: '0.01', triggerPrice: '55000' });
    expect(await ok('POST', `/orders/${cond}/cancel`)).toMatchObject({
      orderStatus: 'Deactivated',
      cancelType: 'CancelByAdmin',
    });

    // A partly filled spot order cancelled keeps its fills: PartiallyFilledCanceled, lock released.
    const spot = await placeOrder({
      category: 'spot',
      side: 'Sell',
      orderType: 'Limit',
      qty: '0.2',
      price: '61000',
    });
    await ok('POST', `/orders/${spot}/fill`, { qty: '0.05' });
    await ok('POST', `/orders/${spot}/cancel`);
    expect(await restOrder(spot, 'spot')).toMatchObject({
      orderStatus: 'PartiallyFilledCanceled',
      cancelType: 'CancelByAdmin',
      cumExecQty: '0.050000',
    });
    expect(await restCoin('BTC')).toMatchObject({ walletBalance: '0.45', locked: '0' });
  });

  test('cancel refusals change nothing', async () => {
    const orderId = await restingBuy();
    await ok('POST', `/orders/${orderId}/cancel`);
    await refused('POST', '/orders/nope/cancel', undefined, 404, 'order_not_found');
    const open = await restingBuy('44000', '0.010');
    await refused('POST', `/orders/${open}/cancel`, '{"x":', 400, 'bad_json');
    expect((await restOrder(open)).orderStatus).toBe('New');
    await refused('POST', `/orders/${orderId}/cancel`, undefined, 409, 'order_not_open');
    const filled = await placeOrder({ side: 'Buy', orderType: 'Market', qty: '0.001' });
    await refused('POST', `/orders/${filled}/cancel`, undefined, 409, 'order_not_open');
  });

  test('reject: Rejected with the reason; New and Untriggered orders only', async () => {
    const a = await restingBuy('45000', '0.010');
    expect(await ok('POST', `/orders/${a}/reject`)).toMatchObject({
      orderStatus: 'Rejected',
      rejectReason: 'EC_NoError',
    });
    expect(await restOrder(a)).toMatchObject({
      orderStatus: 'Rejected',
      rejectReason: 'EC_NoError',
      leavesQty: '0.000',
    });
    expect((await restCoin('USDT')).totalOrderIM).toBe('0');

    const b = await restingBuy('44000', '0.010', { orderLinkId: 'rj' });
    await ok('POST', '/orders/rj/reject', { reason: 'EC_ByAdmin' });
    expect(await restOrder(b)).toMatchObject({ orderStatus: 'Rejected', rejectReason: 'EC_ByAdmin' });

    const cond = await placeOrder({ side: 'Sell', orderType: 'Market', qty: '0.01', triggerPrice: '40000' });
    await ok('POST', `/orders/${cond}/reject`);
    expect(await restOrder(cond)).toMatchObject({ orderStatus: 'Rejected' });

    // A spot order's lock comes back.
    const spot = await placeOrder({
      category: 'spot',
      side: 'Sell',
      orderType: 'Limit',
      qty: '0.1',
      price: '61000',
    });
    await ok('POST', `/orders/${spot}/reject`);
    expect(await restCoin('BTC')).toMatchObject({ walletBalance: '0.5', locked: '0' });
    expect(await ok('GET', '/orders?status=Rejected')).toMatchObject({
      orders: [{ orderId: spot }, { orderId: cond }, { orderId: b }, { orderId: a }],
    });
  });

  test('reject refusals change nothing', async () => {
    const orderId = await restingBuy('45000', '0.010');
    const reject = `/orders/${orderId}/reject`;
    await refused('POST', '/orders/nope/reject', {}, 404, 'order_not_found');
    await refused('POST', reject, '{reason}', 400, 'bad_json');
    await refused('POST', reject, { reason: 7 }, 400, 'bad_field');
    await refused('POST', reject, { reason: 'because' }, 400, 'bad_field');
    await refused('POST', reject, { reason: 'EC_MadeUp' }, 400, 'bad_field');
    await ok('POST', `/orders/${orderId}/fill`, { qty: '0.001' });
    await refused('POST', reject, {}, 409, 'order_not_rejectable');
    await ok('POST', `/orders/${orderId}/cancel`);
    await refused('POST', reject, {}, 409, 'order_not_rejectable');
  });
});

// ---- market -------------------------------------------------------------------------------------------

describe('market', () => {
  test('price: tickers on linear and spot show the new price at once', async () => {
    const r = await ok('POST', '/market/linear/BTCUSDT/price', { price: '52000' });
    expect(r.instruments.map((i: Json) => i.lastPrice)).toEqual(['52000.0', '52000.00']);
    expect(await ticker('linear')).toMatchObject({
      lastPrice: '52000.0',
      markPrice: '52000.0',
      indexPrice: '52000.0',
    });
    expect(await ticker('spot')).toMatchObject({ lastPrice: '52000.00' });
    const t = await ticker('linear');
    expect(Number(t.bid1Price)).toBeLessThan(Number(t.ask1Price));
    expect(Math.abs(Number(t.bid1Price) / 52000 - 1)).toBeLessThan(0.001);

    // Through the spot instrument too; both move.
    await ok('POST', '/market/spot/BTCUSDT/price', { price: '48000.5' });
    expect(await ticker('spot')).toMatchObject({ lastPrice: '48000.50' });
    expect(await ticker('linear')).toMatchObject({ lastPrice: '48000.5' });
    const tape = (await getPublic(ex, '/v5/market/recent-trade?category=linear&symbol=BTCUSDT&limit=1')).body
      .result.list;
    expect(tape[0]).toMatchObject({ price: '48000.5', side: 'Sell' });
  });

  test('price: a resting buy above the new price fills as maker at its own price', async () => {
    const buy = await restingBuy('49000', '0.010');
    const sell = await placeOrder({ side: 'Sell', orderType: 'Limit', qty: '0.010', price: '51000' });
    await ok('POST', '/market/linear/BTCUSDT/price', { price: '48500' });
    expect(await restOrder(buy)).toMatchObject({ orderStatus: 'Filled', avgPrice: '49000' });
    expect(await restExecutions(buy)).toEqual([
      expect.objectContaining({ execPrice: '49000.0', isMaker: true }),
    ]);
    expect((await restOrder(sell)).orderStatus).toBe('New');
    // And back up through the sell.
    await ok('POST', '/market/linear/BTCUSDT/price', { price: '51500' });
    expect(await restOrder(sell)).toMatchObject({ orderStatus: 'Filled', avgPrice: '51000' });
    expect(await restPosition()).toMatchObject({ size: '0' });
  });

  test('price: a conditional order triggers and fills', async () => {
    const up = await placeOrder({
      side: 'Buy',
      orderType: 'Market',
      qty: '0.01',
      triggerPrice: '53000',
      triggerDirection: 1,
    });
    const down = await placeOrder({
      side: 'Sell',
      orderType: 'Limit',
      price: '47000',
      qty: '0.01',
      triggerPrice: '47500',
      triggerDirection: 2,
    });
    await ok('POST', '/market/linear/BTCUSDT/price', { price: '52900' });
    expect((await restOrder(up)).orderStatus).toBe('Untriggered');
    await ok('POST', '/market/linear/BTCUSDT/price', { price: '53100' });
    const fired = await restOrder(up);
    expect(fired).toMatchObject({ orderStatus: 'Filled', cumExecQty: '0.010', stopOrderType: 'Stop' });
    expect(Math.abs(Number(fired.avgPrice) / 53100 - 1)).toBeLessThan(0.001);
    expect(await restPosition()).toMatchObject({ side: 'Buy', size: '0.010' });

    expect((await restOrder(down)).orderStatus).toBe('Untriggered');
    await ok('POST', '/market/linear/BTCUSDT/price', { price: '47400' });
    const sold = await restOrder(down);
    expect(sold).toMatchObject({ orderStatus: 'Filled', orderType: 'Limit', price: '47000.0' });
    expect(Math.abs(Number(sold.avgPrice) / 47400 - 1)).toBeLessThan(0.001);
    expect(await restPosition()).toMatchObject({ size: '0' });
  });

  test('price: a position whose liquidation price is crossed is liquidated', async () => {
    await ok('PUT', '/accounts/main/positions/linear/BTCUSDT', {
      side: 'Buy',
      size: '0.1',
      avgPrice: '50000',
      leverage: '10',
    });
    const pos = await restPosition();
    expect(pos).toMatchObject({ liqPrice: '45250.0', bustPrice: '45000.0' });
    const resting = await restingBuy('44000', '0.010');

    await ok('POST', '/market/linear/BTCUSDT/price', { price: '45300' });
    expect((await restPosition()).size).toBe('0.100');
    await ok('POST', '/market/linear/BTCUSDT/price', { price: '45200' });
    expect(await restPosition()).toMatchObject({ side: '', size: '0' });
    expect(await restOrder(resting)).toMatchObject({
      orderStatus: 'Cancelled',
      cancelType: 'CancelByPrepareLiq',
    });
    const r = await getSigned(ex, '/v5/execution/list', 'category=linear&symbol=BTCUSDT');
    const bust = r.body.result.list.find((e: Json) => e.execType === 'BustTrade');
    expect(bust).toMatchObject({ side: 'Sell', execQty: '0.100', execPrice: '45000.0' });
    expect(await restOrder(bust.orderId)).toMatchObject({ createType: 'CreateByLiq', orderStatus: 'Filled' });
    // Lost the 500 USDT margin and a fee.
    const usdt = await restCoin('USDT');
    expect(Number(usdt.walletBalance)).toBeLessThan(9500);
    expect(Number(usdt.walletBalance)).toBeGreaterThan(9400);
    expect((await ok('GET', '/accounts/main')).positions).toEqual([]);
  });

  test('price refusals change nothing', async () => {
    const path = '/market/linear/BTCUSDT/price';
    await restingBuy('49900', '0.010');
    await refused('POST', '/market/linear/ETHUSDT/price', { price: '3000' }, 404, 'instrument_not_found');
    await refused('POST', '/market/inverse/BTCUSDT/price', { price: '3000' }, 404, 'instrument_not_found');
    await refused('POST', path, '{"price": 1', 400, 'bad_json');
    await refused('POST', path, {}, 400, 'missing_field');
    await refused('POST', path, { price: 40000 }, 400, 'bad_field');
    await refused('POST', path, { price: 'cheap' }, 400, 'bad_field');
    await refused('POST', path, { price: '0' }, 400, 'bad_price');
    await refused('POST', path, { price: '-1' }, 400, 'bad_price');
    await refused('POST', path, { price: '2000000000' }, 400, 'bad_price');
    await refused('POST', path, { price: '40000', over: 'soon' }, 400, 'bad_field');
    await refused('POST', path, { price: '40000', over: '2d' }, 400, 'bad_field');
    expect((await ok('GET', '/orders?status=New')).orders).toHaveLength(1);
  });

  test('price with over: a linear ramp, tick by tick, to the target; a resting order on the way fills', async () => {
    const buy = await restingBuy('49000', '0.010');
    await ok('POST', '/market/linear/BTCUSDT/price', { price: '48000', over: '10s' });
    const lastAt = async () =>
      Number(
        (await getPublic(ex, '/v5/market/tickers?category=linear&symbol=BTCUSDT')).body.result.list[0]
          .lastPrice,
      );
    const start = await lastAt();
    (ex.clock as ManualClock).advance(5000);
    const mid = await lastAt();
    expect(mid).toBeLessThan(start);
    expect(mid).toBeGreaterThan(48_300);
    (ex.clock as ManualClock).advance(5000);
    expect(Math.abs((await lastAt()) - 48_000)).toBeLessThan(50);
    const o = await getSigned(ex, '/v5/order/realtime', `category=linear&orderId=${buy}`);
    expect(o.body.result.list[0].orderStatus).toBe('Filled');
  });

  test('trade: the print shows in recent-trade and fills a resting order it trades through', async () => {
    const buy = await restingBuy('49500', '0.010');
    const other = await restingBuy('49300', '0.010');
    const r = await ok('POST', '/market/linear/BTCUSDT/trade', {
      price: '49400',
      qty: '0.005',
      side: 'Sell',
    });
    // The print, then the resting buy it traded through fills at its own price (a print of its own).
    const tape = (await getPublic(ex, '/v5/market/recent-trade?category=linear&symbol=BTCUSDT&limit=2')).body
      .result.list;
    expect(tape.map((t: Json) => [t.price, t.size, t.side, t.symbol])).toEqual([
      ['49500.0', '0.010', 'Sell', 'BTCUSDT'],
      ['49400.0', '0.005', 'Sell', 'BTCUSDT'],
    ]);
    expect(r.instruments[0].lastPrice).toBe('49500.0');
    expect((await ticker('linear')).lastPrice).toBe('49500.0');
    expect(await restOrder(buy)).toMatchObject({ orderStatus: 'Filled', avgPrice: '49500' });
    expect(await restExecutions(buy)).toEqual([
      expect.objectContaining({ isMaker: true, execPrice: '49500.0' }),
    ]);
    expect((await restOrder(other)).orderStatus).toBe('New');

    // A spot print leaves linear alone.
    await ok('POST', '/market/spot/BTCUSDT/trade', { price: '50100.25', qty: '0.5', side: 'Buy' });
    const spotTape = (await getPublic(ex, '/v5/market/recent-trade?category=spot&symbol=BTCUSDT&limit=1'))
      .body.result.list;
    expect(spotTape[0]).toMatchObject({ price: '50100.25', size: '0.500000', side: 'Buy' });
    expect((await ticker('spot')).lastPrice).toBe('50100.25');
    expect((await ticker('linear')).lastPrice).toBe('49500.0');
  });

  test('trade refusals change nothing', async () => {
    const path = '/market/linear/BTCUSDT/trade';
    const good = { price: '49000', qty: '0.01', side: 'Sell' };
    await restingBuy('49500', '0.010');
    await refused('POST', '/market/linear/ETHUSDT/trade', good, 404, 'instrument_not_found');
    await refused('POST', path, '{"price":', 400, 'bad_json');
    await refused('POST', path, { ...good, price: undefined }, 400, 'missing_field');
    await refused('POST', path, { ...good, qty: undefined }, 400, 'missing_field');
    await refused('POST', path, { ...good, price: 49000 }, 400, 'bad_field');
    await refused('POST', path, { ...good, side: 'sell' }, 400, 'bad_field');
    await refused('POST', path, { price: '49000', qty: '0.01' }, 400, 'bad_field');
    await refused('POST', path, { ...good, price: '49000.05' }, 400, 'bad_price');
    await refused('POST', path, { ...good, qty: '0.0001' }, 400, 'bad_qty');
    await refused('POST', path, { ...good, qty: '0' }, 400, 'bad_qty');
    expect((await ok('GET', '/orders?status=New')).orders).toHaveLength(1);
  });

  test('pause holds the price across clock advances; resume moves it again', async () => {
    await refused('POST', '/market/pause', '{', 400, 'bad_json');
    expect(ex.exchange.marketPaused).toBe(false);
    expect(await ok('POST', '/market/pause')).toEqual({ paused: true });
    expect(await ok('POST', '/market/pause')).toEqual({ paused: true });
    expect(ex.exchange.marketPaused).toBe(true);
    const before = await adminPrices();
    const book = (p: Json[]) => p.map((i: Json) => [i.bid1Price, i.ask1Price]);
    for (let i = 0; i < 3; i++) {
      await ok('POST', '/clock/advance', { ms: 120_000 });
      const now = await adminPrices();
      expect(book(now)).toEqual(book(before));
      for (const inst of now)
        expect(Math.abs(Number(inst.lastPrice) / Number(before[0].bid1Price) - 1)).toBeLessThan(0.0001);
    }
    // A price move while paused still moves it, and it stays there.
    await ok('POST', '/market/linear/BTCUSDT/price', { price: '51000' });
    await ok('POST', '/clock/advance', { ms: 60_000 });
    const held = await ticker('linear');
    expect(Math.abs(Number(held.lastPrice) - 51000)).toBeLessThanOrEqual(0.1);
    expect(Math.abs(Number(held.bid1Price) - 51000)).toBeLessThanOrEqual(0.1);

    await refused('POST', '/market/resume', '{', 400, 'bad_json');
    expect(ex.exchange.marketPaused).toBe(true);
    expect(await ok('POST', '/market/resume')).toEqual({ paused: false });
    expect(ex.exchange.marketPaused).toBe(false);
    await ok('POST', '/clock/advance', { ms: 600_000 });
    const moved = await ticker('linear');
    expect(Math.abs(Number(moved.bid1Price) - 51000)).toBeGreaterThan(1);
    expect(Number(moved.bid1Price)).toBeLessThan(Number(moved.ask1Price));
  });
});

// ---- clock --------------------------------------------------------------------------------------------

describe('clock', () => {
  async function marketTime(): Promise<Json> {
    return (await getPublic(ex, '/v5/market/time')).body.result;
  }

  test('GET /clock; advance and set move /v5/market/time', async () => {
    expect(await ok('GET', '/clock')).toEqual({
      now: MANUAL_CLOCK_START,
      mode: 'manual',
      skewMs: 0,
      serverTime: MANUAL_CLOCK_START,
    });
    expect(await marketTime()).toEqual({
      timeSecond: String(MANUAL_CLOCK_START / 1000),
      timeNano: `${MANUAL_CLOCK_START}000000`,
    });

    expect(await ok('POST', '/clock/advance', { ms: 90_500 })).toEqual({
      now: MANUAL_CLOCK_START + 90_500,
      mode: 'manual',
      skewMs: 0,
      serverTime: MANUAL_CLOCK_START + 90_500,
    });
    expect(await marketTime()).toEqual({
      timeSecond: String(Math.floor((MANUAL_CLOCK_START + 90_500) / 1000)),
      timeNano: `${MANUAL_CLOCK_START + 90_500}000000`,
    });
    expect((await ok('POST', '/clock/advance', { ms: 0 })).now).toBe(MANUAL_CLOCK_START + 90_500);

    const t = MANUAL_CLOCK_START + 3_600_000;
    expect(await ok('POST', '/clock/set', { time: t })).toEqual({
      now: t,
      mode: 'manual',
      skewMs: 0,
      serverTime: t,
    });
    expect((await marketTime()).timeSecond).toBe(String(t / 1000));
    expect((await ok('POST', '/clock/set', { time: t })).now).toBe(t);
    expect((await ok('GET', '/state')).time).toBe(t);
    // Signed requests follow the daemon clock.
    expect((await getSigned(ex, '/v5/account/wallet-balance', 'accountType=UNIFIED')).body.retCode).toBe(0);
  });

  test('advancing the clock runs the market: ticks move the book and resting orders can fill', async () => {
    const before = await adminPrices();
    await ok('POST', '/clock/advance', { ms: 30_000 });
    const after = await adminPrices();
    expect(after[0].bid1Price).not.toBe(before[0].bid1Price);
    const k = await getPublic(ex, '/v5/market/kline?category=linear&symbol=BTCUSDT&interval=1&limit=1');
    expect(Number(k.body.result.list[0][0])).toBe(
      Math.floor((MANUAL_CLOCK_START + 30_000) / 60_000) * 60_000,
    );
  });

  test('refusals change nothing', async () => {
    await refused('POST', '/clock/advance', '{"ms": ', 400, 'bad_json');
    await refused('POST', '/clock/advance', {}, 400, 'bad_field');
    await refused('POST', '/clock/advance', { ms: '1000' }, 400, 'bad_field');
    await refused('POST', '/clock/advance', { ms: -1 }, 400, 'bad_field');
    await refused('POST', '/clock/advance', { ms: 1.5 }, 400, 'bad_field');
    await refused('POST', '/clock/advance', { ms: 367 * 86_400_000 }, 400, 'bad_field');
    await refused('POST', '/clock/set', '{"time"}', 400, 'bad_json');
    await refused('POST', '/clock/set', {}, 400, 'bad_field');
    await refused('POST', '/clock/set', { time: String(MANUAL_CLOCK_START + 1) }, 400, 'bad_field');
    await refused('POST', '/clock/set', { time: MANUAL_CLOCK_START - 1 }, 409, 'clock_backwards');
    const year = 366 * 86_400_000;
    await refused('POST', '/clock/set', { time: MANUAL_CLOCK_START + year + 1 }, 400, 'bad_field');
    await refused('POST', '/clock/set', { time: Number.MAX_SAFE_INTEGER }, 400, 'bad_field');
    await ok('POST', '/clock/advance', { ms: 5000 });
    await refused('POST', '/clock/set', { time: MANUAL_CLOCK_START + 4999 }, 409, 'clock_backwards');
    expect((await ok('GET', '/clock')).now).toBe(MANUAL_CLOCK_START + 5000);
  });

  test('on a real clock, GET /clock says real and advance/set are 409 clock_not_manual', async () => {
    const yaml = manualScenarioYaml().replace(/^clock:\n\s+mode: manual\n\s+start: \d+\n/m, '');
    expect(yaml).not.toContain('mode: manual');
    const real = await startTestExchange({ scenario: { yaml, name: 'admin-real-clock' } });
    try {
      const call = async (method: string, path: string, body?: unknown) => {
        const res = await fetch(real.adminUrl + path, {
          method,
          headers: { 'Content-Type': 'application/json' },
          ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
        });
        return { status: res.status, body: (await res.json()) as Json };
      };
      const c = await call('GET', '/clock');
      expect(c.status).toBe(200);
      expect(c.body.mode).toBe('real');
      expect(Math.abs(c.body.now - Date.now())).toBeLessThan(5000);
      for (const [path, body] of [
        ['/clock/advance', { ms: 1000 }],
        ['/clock/set', { time: Date.now() + 60_000 }],
      ] as const) {
        const r = await call('POST', path, body);
        expect(r.status).toBe(409);
        expect(r.body).toEqual({
          error: 'clock_not_manual',
          message: expect.any(String),
          hint: expect.any(String),
        });
      }
      // Time did not jump a minute.
      expect(Math.abs((await call('GET', '/clock')).body.now - Date.now())).toBeLessThan(5000);
    } finally {
      await real.close();
    }
  });
});

// ---- private WS events --------------------------------------------------------------------------------

describe('private WS frames for admin changes', () => {
  const TOPICS = ['order', 'execution', 'position', 'wallet'];
  let ws: WsClient;

  beforeEach(async () => {
    const { client, reply } = await openAuthed(ex, '/v5/private');
    expect(reply.success).toBe(true);
    const ack = await client.request(
      { op: 'subscribe', req_id: 's', args: TOPICS },
      (f) => f?.op === 'subscribe',
    );
    expect(ack.success).toBe(true);
    ws = client;
    return async () => {
      await ws.close();
    };
  });

  const topicFrames = async (): Promise<Json[]> =>
    (await ws.sync()).filter((f) => typeof f.topic === 'string');
  const rows = (frames: Json[], topic: string): Json[] =>
    frames.filter((f) => f.topic === topic).flatMap((f) => f.data as Json[]);

  test('setBalance pushes the wallet', async () => {
    await ok('PUT', '/accounts/main/balances/USDT', { walletBalance: '777.5' });
    const frames = await topicFrames();
    expect(frames.map((f) => f.topic)).toEqual(['wallet']);
    const usdt = frames[0].data[0].coin.find((c: Json) => c.coin === 'USDT');
    expect(usdt.walletBalance).toBe('777.5');
    expect(usdt).toEqual(await restCoin('USDT'));
  });

  test('set position pushes position and wallet; closing pushes a flat position', async () => {
    await ok('PUT', '/accounts/main/positions/linear/BTCUSDT', {
      side: 'Sell',
      size: '0.2',
      avgPrice: '50500',
      leverage: '4',
    });
    let frames = await topicFrames();
    expect(frames.map((f) => f.topic)).toEqual(['position', 'wallet']);
    const p = rows(frames, 'position')[0];
    expect(p).toMatchObject({
      symbol: 'BTCUSDT',
      side: 'Sell',
      size: '0.200',
      entryPrice: '50500',
      leverage: '4',
    });
    const rest = await restPosition();
    expect(p).toMatchObject({ positionIM: rest.positionIM, liqPrice: rest.liqPrice, seq: rest.seq });
    expect(rows(frames, 'wallet')[0].coin.find((c: Json) => c.coin === 'USDT').totalPositionIM).toBe(
      rest.positionIM,
    );

    await ok('PUT', '/accounts/main/positions/linear/BTCUSDT', { side: 'Sell', size: '0' });
    frames = await topicFrames();
    expect(rows(frames, 'position')).toEqual([expect.objectContaining({ side: '', size: '0' })]);
  });

  test('fill pushes order, execution (maker), position and wallet', async () => {
    const orderId = await restingBuy('45000', '0.010');
    const placed = await topicFrames();
    expect(rows(placed, 'order')).toEqual([expect.objectContaining({ orderId, orderStatus: 'New' })]);

    await ok('POST', `/orders/${orderId}/fill`, { qty: '0.003' });
    let frames = await topicFrames();
    expect(frames.map((f) => f.topic)).toEqual(['order', 'execution', 'position', 'wallet']);
    expect(rows(frames, 'order')).toEqual([
      expect.objectContaining({
        orderId,
        orderStatus: 'PartiallyFilled',
        cumExecQty: '0.003',
        leavesQty: '0.007',
      }),
    ]);
    const [exec] = rows(frames, 'execution');
    expect(exec).toMatchObject({
      orderId,
      execQty: '0.003',
      execPrice: '45000.0',
      isMaker: true,
      execType: 'Trade',
    });
    expect((await restExecutions(orderId))[0].execId).toBe(exec.execId);
    expect(rows(frames, 'position')).toEqual([expect.objectContaining({ side: 'Buy', size: '0.003' })]);

    await ok('POST', `/orders/${orderId}/fill`);
    frames = await topicFrames();
    expect(rows(frames, 'order')).toEqual([
      expect.objectContaining({ orderId, orderStatus: 'Filled', cumExecQty: '0.010' }),
    ]);
    expect(rows(frames, 'execution')).toEqual([expect.objectContaining({ execQty: '0.007', isMaker: true })]);
    expect(rows(frames, 'position')).toEqual([expect.objectContaining({ size: '0.010' })]);
  });

  test('cancel and reject push the order', async () => {
    const a = await restingBuy('45000', '0.010');
    const b = await restingBuy('44000', '0.010');
    await topicFrames();

    await ok('POST', `/orders/${a}/cancel`);
    let frames = await topicFrames();
    expect(rows(frames, 'order')).toEqual([
      expect.objectContaining({ orderId: a, orderStatus: 'Cancelled', cancelType: 'CancelByAdmin' }),
    ]);
    expect(rows(frames, 'execution')).toEqual([]);

    await ok('POST', `/orders/${b}/reject`, { reason: 'EC_ByAdmin' });
    frames = await topicFrames();
    expect(rows(frames, 'order')).toEqual([
      expect.objectContaining({ orderId: b, orderStatus: 'Rejected', rejectReason: 'EC_ByAdmin' }),
    ]);
  });

  test('a price move that fills a resting order pushes its order and execution', async () => {
    const orderId = await restingBuy('49000', '0.010');
    await topicFrames();
    await ok('POST', '/market/linear/BTCUSDT/price', { price: '48000' });
    const frames = await topicFrames();
    expect(rows(frames, 'order')).toEqual([expect.objectContaining({ orderId, orderStatus: 'Filled' })]);
    expect(rows(frames, 'execution')).toEqual([expect.objectContaining({ orderId, isMaker: true })]);
  });

  test('refused admin requests push nothing; other accounts get nothing', async () => {
    const orderId = await restingBuy('45000', '0.010');
    await topicFrames();
    await admin('PUT', '/accounts/main/balances/USDT', { walletBalance: '-1' });
    await admin('PUT', '/accounts/main/positions/linear/BTCUSDT', {
      side: 'Buy',
      size: '0.0001',
      avgPrice: '1',
    });
    await admin('POST', `/orders/${orderId}/fill`, { qty: '1' });
    await admin('POST', `/orders/${orderId}/reject`, { reason: 'nope' });
    await admin('POST', '/market/linear/BTCUSDT/price', { price: '0' });
    expect(await topicFrames()).toEqual([]);

    await ok('PUT', '/accounts/viewer/balances/USDT', { walletBalance: '5' });
    await ok('PUT', '/accounts/viewer/positions/linear/BTCUSDT', {
      side: 'Buy',
      size: '0.001',
      avgPrice: '50000',
    });
    expect(await topicFrames()).toEqual([]);
  });
});
