/**
 * Real clients (ccxt, ccxt.pro, bybit-api) against the daemon's rate limits, clock skew and
 * WebSocket faults, driven through the admin API on a real clock:
 * - ccxt raises RateLimitExceeded on 10006 and on the IP limit's HTTP 403, InvalidNonce on a
 *   skewed server clock (and copes with `adjustForTimeDifference`), and recovers afterwards;
 * - ccxt.pro's createOrderWs raises RateLimitExceeded when /v5/trade answers 10006, and a watch
 *   comes back (new connection, new subscribe) after the daemon drops its socket;
 * - bybit-api's RestClientV5 resolves 10006 with the X-Bapi-Limit* headers parsed
 *   (`parseAPIRateLimits`), and its WebsocketClient reconnects and resubscribes after a terminated
 *   socket and after a half-dead (muted) one, found by its pong timeout.
 *
 * The daemon runs on the wall clock because the clients sign with it. UID windows are whole
 * seconds of that clock, so tests that need two requests in one window start right after a
 * second begins (`freshSecond`). Every wait is bounded.
 * @see ../shared/reference/bybit-v5-facts.md §2.3, §3.3, §5, §8.3; docs/faults.md
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import ccxt from 'ccxt';
import { RestClientV5 } from 'bybit-api';
import type { RunningExchange } from '../../src/runtime/start-exchange.js';
import {
  bybitApiWs,
  ccxtBybit,
  ccxtProBybit,
  EventLog,
  realClockScenarioYaml,
  within,
  type MockWebsocketClient,
} from '../support/clients.js';
import { DEFAULT_KEY, DEFAULT_SECRET, useTestExchange } from '../support/server.js';
import type { Json } from '../support/ws.js';

const LINEAR = 'BTC/USDT:USDT';
const WAIT_MS = 3000;

let ex: RunningExchange;
useTestExchange({ scenario: { yaml: realClockScenarioYaml('100ms'), name: 'resilience' } }, (e) => (ex = e));

// Each test starts from the scenario's limits, no faults, no skew.
beforeEach(async () => {
  await admin('POST', '/rate-limits/reset');
  await admin('POST', '/faults/reset');
});

async function admin(method: string, path: string, body?: unknown): Promise<Json> {
  const res = await fetch(ex.adminUrl + path, {
    method,
    headers: { 'Content-Type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const json = await res.json();
  if (res.status !== 200) throw new Error(`${method} ${path} → ${res.status} ${JSON.stringify(json)}`);
  return json;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Waits until a whole second of the daemon clock has just begun, so the next calls share one UID window. */
async function freshSecond(): Promise<void> {
  await sleep(1000 - (ex.clock.now() % 1000) + 5);
}

/** The error a promise rejects with (fails the test if it resolves). */
async function rejection(p: Promise<unknown>): Promise<unknown> {
  return p.then(
    (v) => {
      throw new Error(`expected a rejection, got ${JSON.stringify(v)}`);
    },
    (e: unknown) => e,
  );
}

// ---- ccxt (REST) -------------------------------------------------------------------------------------

describe('ccxt', () => {
  let client: ReturnType<typeof ccxtBybit>;

  beforeAll(async () => {
    client = ccxtBybit(ex);
    await client.loadMarkets();
  });

  it('surfaces RateLimitExceeded on 10006 and places again in the next second', async () => {
    // ccxt's own throttle is off (enableRateLimit: false in ccxtBybit), so the daemon decides.
    expect(client.enableRateLimit).toBe(false);
    await admin('PUT', '/rate-limits', { uid: { '/v5/order/create': 1 } });
    await freshSecond();
    const first = await client.createOrder(LINEAR, 'limit', 'buy', 0.001, 40_000);
    const err = await rejection(client.createOrder(LINEAR, 'limit', 'buy', 0.001, 40_000));
    expect(err).toBeInstanceOf(ccxt.RateLimitExceeded);
    expect(String(err)).toMatch(/10006/);
    const refused = await admin('GET', '/requests?path=/v5/order/create&retCode=10006');
    expect(refused.requests).toHaveLength(1);
    expect(refused.requests[0]).toMatchObject({ account: 'main', status: 200 });

    await freshSecond();
    const again = await client.createOrder(LINEAR, 'limit', 'buy', 0.001, 40_000);
    const open = await client.fetchOpenOrders(LINEAR);
    expect(open.map((o) => o.id).sort()).toEqual([first.id, again.id].sort());
    await client.cancelAllOrders(LINEAR);
  });

  it('surfaces RateLimitExceeded on the IP limit (HTTP 403), public calls included', async () => {
    // A window of an hour, aligned to the hour: the test cannot straddle two windows in practice.
    await admin('PUT', '/rate-limits', { ip: { limit: 1, window: '1h' } });
    expect(await client.fetchTime()).toBeGreaterThan(0);
    const err = await rejection(client.fetchTime());
    expect(err).toBeInstanceOf(ccxt.RateLimitExceeded);
    expect(String(err)).toMatch(/access too frequent/);
    expect(await rejection(client.fetchBalance())).toBeInstanceOf(ccxt.RateLimitExceeded);
    await admin('POST', '/rate-limits/reset');
    expect(await client.fetchTime()).toBeGreaterThan(0);
  });

  it('surfaces InvalidNonce on a skewed server clock; adjustForTimeDifference copes; skew 0 recovers', async () => {
    // ccxt bybit does not sync its clock unless asked.
    expect(client.options['adjustForTimeDifference']).toBe(false);
    try {
      const skew = await admin('PUT', '/clock/skew', { skewMs: 60_000 });
      expect(skew.skewMs).toBe(60_000);
      const serverTime = await client.fetchTime();
      expect(serverTime! - Date.now()).toBeGreaterThan(55_000);

      const err = await rejection(client.fetchBalance());
      expect(err).toBeInstanceOf(ccxt.InvalidNonce);
      expect(String(err)).toMatch(/10002/);
      const journal = await admin('GET', '/requests?retCode=10002&limit=1');
      expect(journal.requests).toHaveLength(1);

      // A client that measures the difference signs with server time. With keys set, ccxt's
      // loadMarkets sends the private coin/query-info alongside the market requests, before the
      // difference is known, so the difference is measured first.
      const synced = ccxtBybit(ex);
      synced.options['adjustForTimeDifference'] = true;
      await synced.loadTimeDifference();
      await synced.loadMarkets();
      expect(Math.abs(synced.options['timeDifference'] + 60_000)).toBeLessThan(2000);
      const balance = await synced.fetchBalance();
      expect((balance.total as unknown as Record<string, number>)['USDT']).toBeGreaterThan(0);
    } finally {
      await admin('PUT', '/clock/skew', { skewMs: 0 });
    }
    const balance = await client.fetchBalance();
    expect((balance.total as unknown as Record<string, number>)['USDT']).toBeGreaterThan(0);
  });
});

// ---- bybit-api RestClientV5 -------------------------------------------------------------------------

describe('bybit-api RestClientV5', () => {
  it('resolves 10006 (HTTP 200) with the rate limit headers parsed (parseAPIRateLimits)', async () => {
    const rest = new RestClientV5({
      key: DEFAULT_KEY,
      secret: DEFAULT_SECRET,
      baseUrl: ex.restUrl,
      parseAPIRateLimits: true,
    });
    await admin('PUT', '/rate-limits', { uid: { '/v5/order/create': 2 } });
    const order = () =>
      rest.submitOrder({
        category: 'linear',
        symbol: 'BTCUSDT',
        side: 'Buy',
        orderType: 'Limit',
        qty: '0.001',
        price: '40000',
      });
    await freshSecond();
    const a = await order();
    const b = await order();
    const c = await order();
    expect([a.retCode, b.retCode]).toEqual([0, 0]);
    expect(a.rateLimitApi).toMatchObject({ maxRequests: 2, remainingRequests: 1 });
    expect(b.rateLimitApi).toMatchObject({ maxRequests: 2, remainingRequests: 0 });
    // Under the budget the reset timestamp is "now" (facts §2.3).
    expect(Math.abs(b.rateLimitApi!.resetAtTimestamp - Date.now())).toBeLessThan(1000);

    expect(c).toMatchObject({ retCode: 10006, retMsg: 'Too many visits!', result: {} });
    const windowEnd = c.rateLimitApi!.resetAtTimestamp;
    expect(c.rateLimitApi).toMatchObject({ maxRequests: 2, remainingRequests: 0 });
    expect(windowEnd % 1000).toBe(0);
    expect(windowEnd).toBeGreaterThan(c.time);
    expect(windowEnd - c.time).toBeLessThanOrEqual(1000);

    // Waiting until the reset timestamp, as pybit does, is enough.
    await sleep(windowEnd - Date.now() + 5);
    const d = await order();
    expect(d.retCode).toBe(0);
    expect(d.rateLimitApi).toMatchObject({ maxRequests: 2, remainingRequests: 1 });
    expect((await rest.cancelAllOrders({ category: 'linear', symbol: 'BTCUSDT' })).retCode).toBe(0);
  });
});

// ---- ccxt.pro -------------------------------------------------------------------------------------------

describe('ccxt.pro', () => {
  let pro: ReturnType<typeof ccxtProBybit>;

  beforeAll(async () => {
    pro = ccxtProBybit(ex);
    await pro.loadMarkets();
  });
  afterAll(async () => {
    await pro?.close();
  });

  it('createOrderWs raises RateLimitExceeded when /v5/trade answers 10006 (the budget REST spent)', async () => {
    await admin('PUT', '/rate-limits', { uid: { '/v5/order/create': 1 } });
    // Open and authenticate the trade socket first (order.cancel has its own budget).
    await within(rejection(pro.cancelOrderWs('no-such-order', LINEAR)), WAIT_MS, 'the first trade reply');
    await freshSecond();
    const placed = await pro.createOrder(LINEAR, 'limit', 'buy', 0.001, 40_000);
    const err = await within(
      rejection(pro.createOrderWs(LINEAR, 'limit', 'buy', 0.001, 40_000)),
      WAIT_MS,
      'the order.create reply',
    );
    expect(err).toBeInstanceOf(ccxt.RateLimitExceeded);
    expect(String(err)).toMatch(/"retCode":10006/);
    expect(String(err)).toMatch(/"X-Bapi-Limit-Status":"0"/);
    const open = await pro.fetchOpenOrders(LINEAR);
    expect(open.map((o) => o.id)).toEqual([placed.id]);
    await pro.cancelAllOrders(LINEAR);
  });

  it('a watch comes back after the daemon terminates its socket: new connection, new subscribe', async () => {
    const first = await within(pro.watchTicker(LINEAR), WAIT_MS, 'the first ticker');
    expect(first.symbol).toBe(LINEAR);
    const before = (await admin('GET', '/connections')).connections.filter(
      (c: Json) => c.stream === 'linear',
    );
    expect(before).toHaveLength(1);
    const subscribes = (await admin('GET', '/requests/count?op=subscribe&path=/v5/public/linear')).count;

    const closed = await admin('POST', '/connections/close', { stream: 'linear', mode: 'terminate' });
    expect(closed.closed).toEqual([before[0].connId]);
    // A pending watch fails with a NetworkError when its socket drops; the next call reconnects.
    let ticker: Json;
    for (let attempt = 0; attempt < 5 && ticker === undefined; attempt++) {
      try {
        ticker = await within(pro.watchTicker(LINEAR), WAIT_MS, 'a ticker after the drop');
      } catch (e) {
        expect(e).toBeInstanceOf(ccxt.NetworkError);
      }
    }
    expect(ticker.symbol).toBe(LINEAR);
    const after = (await admin('GET', '/connections')).connections.filter((c: Json) => c.stream === 'linear');
    expect(after).toHaveLength(1);
    expect(after[0].connId).not.toBe(before[0].connId);
    expect(after[0].subscriptions).toEqual(before[0].subscriptions);
    expect((await admin('GET', '/requests/count?op=subscribe&path=/v5/public/linear')).count).toBe(
      subscribes + 1,
    );
  });
});

// ---- bybit-api WebsocketClient ------------------------------------------------------------------------------

describe('bybit-api WebsocketClient', () => {
  let ws: MockWebsocketClient;
  const updates = new EventLog<Json>();
  const events = new EventLog<Json>();
  const TOPICS = ['tickers.BTCUSDT', 'publicTrade.BTCUSDT'];
  const WS_KEY = 'v5LinearPublic';

  beforeAll(async () => {
    // Fast heartbeats: a ping every second, dead after 500 ms without a reply (bybit-api 4.7.7
    // options pingInterval / pongTimeout / reconnectTimeout).
    ws = bybitApiWs(ex, {}, { pingInterval: 1000, pongTimeout: 500, reconnectTimeout: 200 });
    ws.on('update', (e: Json) => updates.push(e));
    for (const type of ['open', 'reconnect', 'reconnected', 'response'] as const)
      ws.on(type, (e: Json) => events.push({ ...(type === 'response' ? e : {}), type, wsKey: e.wsKey }));
    ws.subscribeV5(TOPICS, 'linear');
    await events.waitFor(
      (e: Json) => e.type === 'response' && e.op === 'subscribe' && e.success === true,
      'the subscribe ack',
      WAIT_MS,
    );
    await updates.waitFor((u) => u.wsKey === WS_KEY && u.topic === 'tickers.BTCUSDT', 'a ticker', WAIT_MS);
  });
  afterAll(() => {
    ws?.closeAll(true);
  });

  const linearConnections = async (): Promise<Json[]> =>
    (await admin('GET', '/connections')).connections.filter((c: Json) => c.stream === 'linear');
  const subscribeCount = async (): Promise<number> =>
    (await admin('GET', '/requests/count?op=subscribe&path=/v5/public/linear')).count;

  /** After a drop: the client reconnects, subscribes again on a new connection, and data flows. */
  async function expectRecovered(oldConnId: string, subscribesBefore: number, from: number): Promise<void> {
    await events.waitFor((e) => e.type === 'reconnected' && e.wsKey === WS_KEY, 'reconnected', 4000, from);
    const ack = await events.waitFor(
      (e: Json) => e.type === 'response' && e.op === 'subscribe' && e.success === true,
      'the subscribe ack after reconnecting',
      WAIT_MS,
      from,
    );
    expect(ack.req_id).toBe(TOPICS.join(','));
    const dataFrom = updates.mark;
    for (const topic of TOPICS)
      await updates.waitFor(
        (u) => u.wsKey === WS_KEY && u.topic === topic,
        `${topic} after reconnecting`,
        WAIT_MS,
        dataFrom,
      );
    const conns = await linearConnections();
    expect(conns).toHaveLength(1);
    expect(conns[0].connId).not.toBe(oldConnId);
    expect([...conns[0].subscriptions].sort()).toEqual([...TOPICS].sort());
    expect(await subscribeCount()).toBe(subscribesBefore + 1);
  }

  it('reconnects and resubscribes after the daemon terminates the socket', async () => {
    const [conn] = await linearConnections();
    expect([...conn.subscriptions].sort()).toEqual([...TOPICS].sort());
    const subscribes = await subscribeCount();
    const from = events.mark;
    const closed = await admin('POST', '/connections/close', { stream: 'linear', mode: 'terminate' });
    expect(closed.closed).toEqual([conn.connId]);
    await events.waitFor(
      (e) => e.type === 'reconnect' && e.wsKey === WS_KEY,
      'the drop noticed',
      WAIT_MS,
      from,
    );
    await expectRecovered(conn.connId, subscribes, from);
  });

  it('a terminate fault does the same', async () => {
    const [conn] = await linearConnections();
    const subscribes = await subscribeCount();
    const from = events.mark;
    const fault = await admin('POST', '/faults', { stream: 'linear', times: 1, effect: { terminate: true } });
    await expectRecovered(conn.connId, subscribes, from);
    const faults = (await admin('GET', '/faults')).faults;
    expect(faults.find((f: Json) => f.id === fault.id)).toMatchObject({ hits: 1, remaining: 0 });
  });

  it('finds a half-dead (muted) socket by the missing pong, reconnects and resubscribes', async () => {
    const [conn] = await linearConnections();
    const subscribes = await subscribeCount();
    const from = events.mark;
    const started = Date.now();
    // The socket stays open but the daemon sends nothing more, pongs included.
    const fault = await admin('POST', '/faults', { stream: 'linear', times: 1, effect: { mute: true } });
    await expectRecovered(conn.connId, subscribes, from);
    // Ping every 1000 ms + 500 ms pong timeout + 200 ms reconnect delay, with slack for a loaded
    // machine: far below anything else that could close the socket (the 10-minute idle rule).
    expect(Date.now() - started).toBeLessThan(5000);
    // No close came from the daemon: the client gave up on the socket itself ("reconnect" after
    // its own close), and the muted connection is gone from the daemon too.
    expect(events.find((e) => e.type === 'reconnect', from)).toBeDefined();
    expect((await linearConnections()).map((c) => c.connId)).not.toContain(conn.connId);
    const faults = (await admin('GET', '/faults')).faults;
    expect(faults.find((f: Json) => f.id === fault.id)).toMatchObject({ hits: 1 });
  });
});
