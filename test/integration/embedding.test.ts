/**
 * The embedding API as a test suite uses it: `startExchange()` from the package entry point, from a
 * scenario file, YAML text or an object, and the typed admin client it returns, against a real
 * daemon on 127.0.0.1 port 0.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { parse as parseYaml } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  AdminApiError,
  AdminClient,
  startExchange,
  type AdminEvent,
  type RunningExchange,
  type StartOptions,
} from '../../src/index.js';
import { MANUAL_CLOCK_START, manualScenarioYaml, postSigned } from '../support/server.js';
import { WsClient } from '../support/ws.js';

const silent = pino({ level: 'silent' });
const start = (opts: StartOptions) => startExchange({ host: '127.0.0.1', port: 0, logger: silent, ...opts });

const LIMIT_BUY = {
  category: 'linear',
  symbol: 'BTCUSDT',
  side: 'Buy',
  orderType: 'Limit',
  qty: '0.010',
  price: '49000',
};

async function serverTime(ex: RunningExchange): Promise<number> {
  const body = (await (await fetch(`${ex.restUrl}/v5/market/time`)).json()) as { time: number };
  return body.time;
}

describe('startExchange() scenario sources', () => {
  it('starts from a scenario file path and reports it', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'bybit-mock-embed-'));
    const file = join(dir, 'manual.yaml');
    writeFileSync(file, manualScenarioYaml());
    const ex = await start({ scenario: file });
    try {
      expect(ex.scenarioFile).toBe(file);
      expect(ex.restUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      expect(ex.adminUrl).toBe(`${ex.restUrl}/__admin`);
      expect(ex.admin.url).toBe(ex.adminUrl);
      expect((await ex.admin.scenario()).file).toBe(file);
      expect(await ex.admin.clock()).toMatchObject({ now: MANUAL_CLOCK_START, mode: 'manual' });
    } finally {
      await ex.close();
    }
  });

  it('starts from YAML text', async () => {
    const ex = await start({ scenario: { yaml: manualScenarioYaml(), name: 'from-text' } });
    try {
      expect(ex.scenarioFile).toBe('from-text');
      const accounts = await ex.admin.accounts();
      expect(accounts.map((a) => a.name)).toEqual(['main', 'viewer']);
      expect(accounts[0]!.balances).toEqual({ USDT: '10000', BTC: '0.5' });
    } finally {
      await ex.close();
    }
  });

  it('starts from a scenario object, on a real-time clock the admin client cannot move', async () => {
    const object = parseYaml(manualScenarioYaml()) as Record<string, unknown>;
    delete object.clock;
    const ex = await start({ scenario: { object } });
    try {
      expect(ex.scenarioFile).toBe('<inline scenario>');
      expect((await ex.admin.state()).instruments.map((i) => `${i.category}/${i.symbol}`)).toEqual([
        'linear/BTCUSDT',
        'spot/BTCUSDT',
      ]);
      const refused = await ex.admin.advanceClock(1000).catch((e: unknown) => e);
      expect(refused).toBeInstanceOf(AdminApiError);
      expect(refused).toMatchObject({ status: 409, code: 'clock_not_manual' });
      expect((refused as AdminApiError).body).toMatchObject({ error: 'clock_not_manual' });
    } finally {
      await ex.close();
    }
  });

  it('a scenario with problems rejects with every problem listed', async () => {
    await expect(start({ scenario: { yaml: 'version: 2\ninstruments: []\n' } })).rejects.toMatchObject({
      name: 'ScenarioLoadError',
    });
  });
});

describe('the admin client of a running exchange', () => {
  let ex: RunningExchange;
  beforeAll(async () => {
    ex = await start({ scenario: { yaml: manualScenarioYaml(), name: 'embedding' } });
  });
  afterAll(async () => {
    await ex?.close();
  });

  it('sets balances and positions and reads them back', async () => {
    await ex.admin.reset();
    const detail = await ex.admin.setBalance('main', 'USDT', '50000');
    expect(detail.wallet!.coin.find((c) => c.coin === 'USDT')?.walletBalance).toBe('50000');
    expect(await ex.admin.balances('mock-api-key')).toMatchObject({ USDT: '50000', BTC: '0.5' });

    await ex.admin.setPosition('main', 'BTCUSDT', { side: 'Buy', size: '0.1', avgPrice: 50000 });
    const positions = await ex.admin.positions('main');
    expect(positions).toHaveLength(1);
    expect(positions[0]).toMatchObject({ symbol: 'BTCUSDT', side: 'Buy', size: '0.100', avgPrice: '50000' });

    const added = await ex.admin.addAccount({
      name: 'second',
      apiKey: 'k2',
      apiSecret: 's2',
      balances: { USDT: 250 },
    });
    expect(added.name).toBe('second');
    expect(await ex.admin.balances('second')).toEqual({ USDT: '250' });
    await expect(ex.admin.balances('nobody')).rejects.toMatchObject({ status: 404 });
  });

  it('sets and clears network settings, clock skew and rate limits', async () => {
    await ex.admin.reset();
    expect(await ex.admin.network()).toBeNull();
    expect(await ex.admin.setNetwork({ latencyMs: 5 })).toEqual({
      latencyMs: 5,
      jitterMs: 0,
      errorRate: 0,
      dropRate: 0,
    });
    expect(await ex.admin.clearNetwork()).toBeNull();
    await expect(ex.admin.setNetwork({ errorRate: 2 })).rejects.toMatchObject({
      status: 400,
      code: 'bad_network',
    });

    const skew = await ex.admin.setClockSkew(30_000);
    expect(skew.skewMs).toBe(30_000);
    expect((await ex.admin.clock()).serverTime).toBe(ex.clock.now() + 30_000);
    await ex.admin.setClockSkew(0);

    const limits = await ex.admin.setRateLimits({ uid: { '/v5/order/create': 1 } });
    expect(limits.config.uid).toEqual({ '/v5/order/create': 1 });
    expect(
      (await postSigned(ex, '/v5/order/create', { ...LIMIT_BUY, orderLinkId: 'rl-1' })).body.retCode,
    ).toBe(0);
    expect(
      (await postSigned(ex, '/v5/order/create', { ...LIMIT_BUY, orderLinkId: 'rl-2' })).body.retCode,
    ).toBe(10006);
    const usage = (await ex.admin.rateLimits()).usage.uid.find((u) => u.path === '/v5/order/create');
    expect(usage).toMatchObject({ account: 'main', used: 2, limit: 1 });
    expect((await ex.admin.resetRateLimits()).config.uid).toEqual({});
  });

  it('moves the price and the public API follows', async () => {
    await ex.admin.reset();
    const state = await ex.admin.setPrice('BTCUSDT', '51234.5');
    expect(state.instruments.find((i) => i.category === 'linear')?.lastPrice).toBe('51234.5');
    const tickers = (await (
      await fetch(`${ex.restUrl}/v5/market/tickers?category=linear&symbol=BTCUSDT`)
    ).json()) as { result: { list: { lastPrice: string }[] } };
    expect(tickers.result.list[0]!.lastPrice).toBe('51234.5');

    await ex.admin.printTrade('BTCUSDT', { price: '51200.0', qty: '0.5', side: 'Sell' });
    expect((await ex.admin.state()).instruments[0]!.lastPrice).toBe('51200.0');
    expect(await ex.admin.pauseMarket()).toEqual({ paused: true });
    expect(await ex.admin.resumeMarket()).toEqual({ paused: false });
  });

  it('lists, fills, cancels and rejects orders, and streams the changes as events', async () => {
    await ex.admin.reset();
    const events = await ex.admin.events({ account: 'main', types: ['order'] });
    try {
      const a = await postSigned(ex, '/v5/order/create', { ...LIMIT_BUY, orderLinkId: 'emb-a' });
      const b = await postSigned(ex, '/v5/order/create', { ...LIMIT_BUY, orderLinkId: 'emb-b' });
      const c = await postSigned(ex, '/v5/order/create', { ...LIMIT_BUY, orderLinkId: 'emb-c' });
      for (const r of [a, b, c]) expect(r.body.retCode).toBe(0);

      const open = await ex.admin.orders({ account: 'main', status: 'New' });
      expect(open.map((o) => o.orderLinkId)).toEqual(['emb-c', 'emb-b', 'emb-a']);

      const filled = await ex.admin.fillOrder('emb-a', { qty: '0.004' });
      expect(filled).toMatchObject({ orderStatus: 'PartiallyFilled', cumExecQty: '0.004' });
      const event: AdminEvent = await events.waitFor(
        (e) =>
          e.type === 'order' && e.data.orderLinkId === 'emb-a' && e.data.orderStatus === 'PartiallyFilled',
      );
      expect(event.account).toBe('main');
      expect(event.time).toBe(MANUAL_CLOCK_START);

      expect(await ex.admin.cancelOrder(b.body.result.orderId)).toMatchObject({
        orderStatus: 'Cancelled',
        cancelType: 'CancelByAdmin',
      });
      expect(await ex.admin.rejectOrder('emb-c')).toMatchObject({ orderStatus: 'Rejected' });
      await events.waitFor((e) => e.type === 'order' && e.data.orderLinkId === 'emb-c');

      const missing = await ex.admin.fillOrder('no-such-order').catch((e: unknown) => e);
      expect(missing).toBeInstanceOf(AdminApiError);
      expect(missing).toMatchObject({ status: 404, code: 'order_not_found' });
    } finally {
      events.close();
    }
    // A closed stream ends iteration.
    expect(await events.next()).toEqual({ value: undefined, done: true });
  });

  it('adds and removes rules and faults, and the journal shows what the client saw', async () => {
    await ex.admin.reset();
    const rule = await ex.admin.addRule({
      id: 'rate-once',
      on: 'order.create',
      times: 1,
      action: { fail: { retCode: 10006, retMsg: 'Too many visits!' } },
    });
    expect(rule).toMatchObject({ id: 'rate-once', on: ['order.create'], remaining: 1, source: 'admin' });
    expect((await postSigned(ex, '/v5/order/create', LIMIT_BUY)).body.retCode).toBe(10006);
    expect((await postSigned(ex, '/v5/order/create', LIMIT_BUY)).body.retCode).toBe(0);
    expect((await ex.admin.rules()).find((r) => r.id === 'rate-once')).toMatchObject({
      hits: 1,
      remaining: 0,
    });
    expect(await ex.admin.removeRule('rate-once')).toEqual({ removed: 'rate-once' });
    await expect(ex.admin.removeRule('rate-once')).rejects.toMatchObject({
      status: 404,
      code: 'rule_not_found',
    });

    const fault = await ex.admin.addFault({
      id: 'time-503',
      path: '/v5/market/time',
      effect: { error: { httpStatus: 503, body: 'down' } },
      times: 1,
    });
    expect(fault).toMatchObject({ id: 'time-503', times: 1, hits: 0 });
    expect((await fetch(`${ex.restUrl}/v5/market/time`)).status).toBe(503);
    expect((await fetch(`${ex.restUrl}/v5/market/time`)).status).toBe(200);
    expect((await ex.admin.faults()).map((f) => f.id)).toEqual(['time-503']);
    await ex.admin.removeFault('time-503');
    expect(await ex.admin.faults()).toEqual([]);
    const bad = await ex.admin.addFault({ effect: {} }).catch((e: unknown) => e);
    expect(bad).toMatchObject({ status: 400, code: 'bad_fault' });

    const creates = await ex.admin.requests({ path: '/v5/order/create' });
    expect(creates.map((r) => r.retCode)).toEqual([0, 10006]);
    expect(creates[0]).toMatchObject({ transport: 'rest', account: 'main', params: LIMIT_BUY });
    expect(await ex.admin.countRequests({ path: '/v5/order/create', retCode: 10006 })).toBe(1);
    expect(await ex.admin.clearRequests()).toEqual({ cleared: true });
    expect(await ex.admin.countRequests()).toBe(0);
  });

  it('advances and sets the manual clock, and the REST time follows', async () => {
    await ex.admin.reset();
    expect(await serverTime(ex)).toBe(MANUAL_CLOCK_START);
    expect(await ex.admin.advanceClock(60_000)).toEqual({
      now: MANUAL_CLOCK_START + 60_000,
      mode: 'manual',
      skewMs: 0,
      serverTime: MANUAL_CLOCK_START + 60_000,
    });
    expect(await serverTime(ex)).toBe(MANUAL_CLOCK_START + 60_000);
    expect((await ex.admin.setClock(MANUAL_CLOCK_START + 120_000)).now).toBe(MANUAL_CLOCK_START + 120_000);
    await expect(ex.admin.setClock(MANUAL_CLOCK_START)).rejects.toMatchObject({
      status: 409,
      code: 'clock_backwards',
    });
    // A reset restarts the clock at the scenario's start.
    expect((await ex.admin.reset()).state.time).toBe(MANUAL_CLOCK_START);
  });

  it('lists and closes WebSocket connections and pushes private events', async () => {
    await ex.admin.reset();
    const ws = await WsClient.open(ex, '/v5/public/linear');
    try {
      const conns = await ex.admin.connections();
      expect(conns).toHaveLength(1);
      expect(conns[0]).toMatchObject({ path: '/v5/public/linear', account: '' });
      expect(await ex.admin.pushPrivateEvent('main', 'order', [{ orderId: 'x' }])).toBe(0);
      const closed = await ex.admin.closeConnections({ code: 4001, reason: 'bye' });
      expect(closed).toEqual([conns[0]!.connId]);
      expect(await ws.closed).toEqual({ code: 4001, reason: 'bye' });
    } finally {
      await ws.close();
    }
  });

  it('replaces the scenario from YAML, and refuses a broken one with its problems', async () => {
    const loaded = await ex.admin.loadScenario(manualScenarioYaml().replace('"50000"', '"42000"'));
    expect(loaded.status).toBe('loaded');
    expect(loaded.state.instruments[0]!.lastPrice).toBe('42000.0');
    const refused = await ex.admin.loadScenario('version: 1\ninstruments: 3\n').catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(AdminApiError);
    const err = refused as AdminApiError;
    expect(err.status).toBe(400);
    expect(err.code).toBe('bad_scenario');
    expect(typeof err.body === 'object' && err.body.problems!.length).toBeGreaterThan(0);
    expect(err.message).toMatch(/POST \/__admin\/scenario answered HTTP 400/);
  });

  it('the generic request() reaches any route', async () => {
    expect(await ex.admin.request('GET', '/health')).toMatchObject({
      status: 'ok',
      ports: { http: ex.port },
    });
    const doc = await ex.admin.request<{ openapi: string }>('GET', 'openapi.json');
    expect(doc.openapi).toMatch(/^3\.1/);
    await expect(ex.admin.request('GET', '/no-such-route')).rejects.toMatchObject({
      status: 404,
      code: 'not_found',
    });
  });
});

describe('admin token and close()', () => {
  it('the returned client carries the admin token; one without it is refused', async () => {
    const ex = await start({ scenario: { yaml: manualScenarioYaml() }, adminToken: 'sekret' });
    try {
      expect((await ex.admin.state()).accounts).toHaveLength(2);
      const anonymous = new AdminClient(ex.restUrl);
      expect(anonymous.url).toBe(ex.adminUrl);
      expect((await anonymous.health()).status).toBe('ok');
      await expect(anonymous.state()).rejects.toMatchObject({ status: 401, code: 'unauthorized' });
      await expect(anonymous.events()).rejects.toMatchObject({ status: 401 });
      const withToken = new AdminClient(`${ex.adminUrl}/`, { token: 'sekret' });
      expect((await withToken.clock()).mode).toBe('manual');
    } finally {
      await ex.close();
    }
  });

  it('close() stops the daemon; a reader of its event stream sees the connection drop', async () => {
    const ex = await start({ scenario: { yaml: manualScenarioYaml() } });
    const events = await ex.admin.events();
    const next = events.next().catch((err: unknown) => err);
    await ex.close();
    expect(await next).toBeInstanceOf(Error);
    await expect(ex.admin.health()).rejects.toThrow();
    events.close();
    expect(await events.next()).toEqual({ value: undefined, done: true });
  });
});
