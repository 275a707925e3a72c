/**
 * Rate limits on a manual clock, end to end through REST, /v5/trade and the admin API: the UID
 * budgets (10006 "Too many visits!" with the X-Bapi-Limit* headers, per account, per category
 * group, per endpoint, batches one unit per order), the IP limit (HTTP 403 "access too
 * frequent", bans), WebSocket connection and message limits, `enabled: false`, the admin routes
 * and the scenario key.
 * @see ../shared/reference/bybit-v5-facts.md §2.3, §5; docs/faults.md "Rate limits"
 */
import { afterAll, beforeAll, beforeEach, describe, expect, test } from 'vitest';
import { WebSocket } from 'ws';
import type { ManualClock } from '../../src/core/clock.js';
import { parseScenario } from '../../src/config/scenario/load.js';
import type { RunningExchange } from '../../src/runtime/start-exchange.js';
import {
  adminRequest,
  MANUAL_CLOCK_START,
  getPublic,
  getSigned,
  manualScenarioYaml,
  postSigned,
  startTestExchange,
  type Reply,
} from '../support/server.js';
import { WsClient, authFrame, openAuthed, type Json } from '../support/ws.js';

const SECOND_KEY = 'second-api-key';
const SECOND_SECRET = 'second-api-secret';
/** A second trading account (continues the scenario's accounts list). */
const SECOND_ACCOUNT = `  - { name: second, apiKey: ${SECOND_KEY}, apiSecret: ${SECOND_SECRET}, balances: { USDT: "10000" } }`;
const TOO_MANY = { retCode: 10006, retMsg: 'Too many visits!', result: {}, retExtInfo: {} };

let ex: RunningExchange;

beforeAll(async () => {
  ex = await startTestExchange({
    scenario: { yaml: manualScenarioYaml(SECOND_ACCOUNT), name: 'rate-limits' },
  });
});

afterAll(async () => {
  await ex?.close();
});

// Every test starts from the scenario: Bybit's default limits, no counts, the clock at
// MANUAL_CLOCK_START (a whole second, and a whole 5 s window).
beforeEach(() => {
  ex.reset();
});

const clock = () => ex.clock as ManualClock;

const admin = (method: string, path: string, body?: unknown) => adminRequest(ex, method, path, body);

let seq = 0;
function linearBuy(extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    category: 'linear',
    symbol: 'BTCUSDT',
    side: 'Buy',
    orderType: 'Limit',
    qty: '0.001',
    price: '45000',
    orderLinkId: `rl-${++seq}`,
    ...extra,
  };
}
function spotBuy(): Record<string, unknown> {
  return { ...linearBuy({ qty: '0.0001' }), category: 'spot' };
}

const create = (body: Record<string, unknown>, o: { key?: string; secret?: string } = {}) =>
  postSigned(ex, '/v5/order/create', body, o);

/** The three rate-limit headers of a REST reply. */
function limitHeaders(r: Reply): { limit: string | null; status: string | null; reset: string | null } {
  return {
    limit: r.headers.get('x-bapi-limit'),
    status: r.headers.get('x-bapi-limit-status'),
    reset: r.headers.get('x-bapi-limit-reset-timestamp'),
  };
}

/** Places `n` orders that must all succeed; returns their orderLinkIds. */
async function placeAll(n: number, body: () => Record<string, unknown>, o = {}): Promise<string[]> {
  const ids: string[] = [];
  for (let i = 0; i < n; i++) {
    const b = body();
    const r = await create(b, o);
    expect(r.body.retCode, r.text).toBe(0);
    ids.push(b.orderLinkId as string);
  }
  return ids;
}

async function openOrders(category: 'linear' | 'spot', key?: string, secret?: string): Promise<Json[]> {
  const r = await getSigned(ex, '/v5/order/realtime', `category=${category}&symbol=BTCUSDT`, {
    ...(key ? { key, secret } : {}),
  });
  expect(r.body.retCode, r.text).toBe(0);
  return r.body.result.list;
}

/** The HTTP status (and body) with which the daemon refuses an upgrade, or 101 when it opens. */
function upgrade(path: string): Promise<{ status: number; body: string; ws?: WebSocket }> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(ex.wsUrl + path);
    ws.once('open', () => resolve({ status: 101, body: '', ws }));
    ws.once('unexpected-response', (_req, res) => {
      let body = '';
      res.on('data', (c: Buffer) => (body += c.toString('utf8')));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    ws.once('error', (e) => {
      if (!/Unexpected server response/.test(e.message)) reject(e);
    });
  });
}

// ---- UID budgets ----------------------------------------------------------------------------------

describe('UID budgets (10006 "Too many visits!", HTTP 200)', () => {
  test('the 11th linear order/create in one second is refused with the headers; nothing is placed', async () => {
    const t0 = clock().now();
    for (let i = 1; i <= 10; i++) {
      const r = await create(linearBuy());
      expect(r.status).toBe(200);
      expect(r.body.retCode, r.text).toBe(0);
      // Under the budget: the reset timestamp is "now" (facts §2.3).
      expect(limitHeaders(r)).toEqual({ limit: '10', status: String(10 - i), reset: String(t0) });
    }
    const stateBefore = (await admin('GET', '/state')).body;
    const walletBefore = (await getSigned(ex, '/v5/account/wallet-balance', 'accountType=UNIFIED')).body;
    const refused = linearBuy();
    const r = await create(refused);
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject(TOO_MANY);
    expect(r.body.time).toBe(t0);
    expect(limitHeaders(r)).toEqual({ limit: '10', status: '0', reset: String(t0 + 1000) });
    // Not placed: not found by its orderLinkId, still 10 open orders, nothing else moved.
    const byLink = await getSigned(
      ex,
      '/v5/order/realtime',
      `category=linear&orderLinkId=${refused.orderLinkId}`,
    );
    expect(byLink.body.result.list).toEqual([]);
    expect(await openOrders('linear')).toHaveLength(10);
    expect((await admin('GET', '/state')).body).toEqual(stateBefore);
    const walletAfter = (await getSigned(ex, '/v5/account/wallet-balance', 'accountType=UNIFIED')).body;
    expect(walletAfter.result).toEqual(walletBefore.result);
    // The refusal is journaled with its retCode.
    const journal = (await admin('GET', '/requests?retCode=10006')).body.requests;
    expect(journal).toHaveLength(1);
    expect(journal[0]).toMatchObject({ path: 'POST /v5/order/create', account: 'main', status: 200 });
  });

  test('spot has 20 per second, counted apart from linear', async () => {
    await placeAll(10, () => linearBuy());
    expect((await create(linearBuy())).body.retCode).toBe(10006);
    const ids = await placeAll(20, spotBuy);
    const r = await create(spotBuy());
    expect(r.body).toMatchObject(TOO_MANY);
    expect(limitHeaders(r)).toEqual({ limit: '20', status: '0', reset: String(MANUAL_CLOCK_START + 1000) });
    expect((await openOrders('spot')).map((o: Json) => o.orderLinkId).sort()).toEqual([...ids].sort());
  });

  test('windows are whole seconds of the daemon clock: 999 ms later still refused, the next second works', async () => {
    await placeAll(10, () => linearBuy());
    clock().advance(999);
    const still = await create(linearBuy());
    expect(still.body.retCode).toBe(10006);
    expect(limitHeaders(still).reset).toBe(String(MANUAL_CLOCK_START + 1000));
    clock().advance(1);
    const r = await create(linearBuy());
    expect(r.body.retCode, r.text).toBe(0);
    expect(limitHeaders(r)).toEqual({ limit: '10', status: '9', reset: String(MANUAL_CLOCK_START + 1000) });
    expect(await openOrders('linear')).toHaveLength(11);
  });

  test('each account has its own budget', async () => {
    await placeAll(10, () => linearBuy());
    expect((await create(linearBuy())).body.retCode).toBe(10006);
    const other = { key: SECOND_KEY, secret: SECOND_SECRET };
    const r = await create(linearBuy(), other);
    expect(r.body.retCode, r.text).toBe(0);
    expect(limitHeaders(r).status).toBe('9');
    await placeAll(9, () => linearBuy(), other);
    expect((await create(linearBuy(), other)).body.retCode).toBe(10006);
    expect(await openOrders('linear', SECOND_KEY, SECOND_SECRET)).toHaveLength(10);
  });

  test('each endpoint has its own budget: reads (50/s) still work when order/create is spent', async () => {
    await placeAll(10, () => linearBuy());
    const r = await getSigned(ex, '/v5/order/realtime', 'category=linear&symbol=BTCUSDT');
    expect(r.body.retCode).toBe(0);
    expect(limitHeaders(r)).toEqual({ limit: '50', status: '49', reset: String(MANUAL_CLOCK_START) });
    const fee = await getSigned(ex, '/v5/account/fee-rate', 'category=linear');
    expect(limitHeaders(fee).limit).toBe('5');
  });

  test('a batch of 5 with 3 units left: the first 3 are placed, the last 2 fail with 10006, envelope retCode 0', async () => {
    const batch = (n: number) => {
      const request = Array.from({ length: n }, () => {
        const { category: _c, ...item } = linearBuy();
        return item;
      });
      return postSigned(ex, '/v5/order/create-batch', { category: 'linear', request });
    };
    const first = await batch(7);
    expect(first.body.retCode, first.text).toBe(0);
    expect(first.body.retExtInfo.list.every((i: Json) => i.code === 0)).toBe(true);
    expect(limitHeaders(first)).toEqual({ limit: '10', status: '3', reset: String(MANUAL_CLOCK_START) });

    const r = await batch(5);
    expect(r.status).toBe(200);
    expect(r.body.retCode, r.text).toBe(0);
    expect(r.body.retExtInfo.list).toEqual([
      { code: 0, msg: 'OK' },
      { code: 0, msg: 'OK' },
      { code: 0, msg: 'OK' },
      { code: 10006, msg: 'Too many visits!' },
      { code: 10006, msg: 'Too many visits!' },
    ]);
    const list = r.body.result.list;
    expect(list.slice(0, 3).every((o: Json) => o.orderId !== '' && o.createAt !== '')).toBe(true);
    expect(list.slice(3).map((o: Json) => [o.orderId, o.createAt])).toEqual([
      ['', ''],
      ['', ''],
    ]);
    expect(limitHeaders(r)).toEqual({ limit: '10', status: '0', reset: String(MANUAL_CLOCK_START + 1000) });
    const open = (await openOrders('linear')).map((o: Json) => o.orderLinkId);
    expect(open).toHaveLength(10);
    for (const o of list.slice(0, 3)) expect(open).toContain(o.orderLinkId);
    for (const o of list.slice(3)) expect(open).not.toContain(o.orderLinkId);

    // Nothing left: the whole batch is refused; single orders have their own budget.
    expect((await batch(1)).body).toMatchObject(TOO_MANY);
    expect((await create(linearBuy())).body.retCode).toBe(0);
  });

  test('REST and /v5/trade share the budget; trade replies carry 10006 and the header', async () => {
    await placeAll(5, () => linearBuy());
    const { client: t, reply } = await openAuthed(ex, '/v5/trade');
    expect(reply.retCode).toBe(0);
    const header = () => ({ 'X-BAPI-TIMESTAMP': String(ex.clock.now()), 'X-BAPI-RECV-WINDOW': '5000' });
    const send = (reqId: string) =>
      t.request(
        { reqId, header: header(), op: 'order.create', args: [linearBuy()] },
        (f) => f?.reqId === reqId,
      );
    for (let i = 1; i <= 5; i++) {
      const r = await send(`ok-${i}`);
      expect(r.retCode, JSON.stringify(r)).toBe(0);
      expect(r.header['X-Bapi-Limit-Status']).toBe(String(5 - i));
    }
    const over = await send('over');
    expect(over).toMatchObject({ retCode: 10006, retMsg: 'Too many visits!', op: 'order.create', data: {} });
    expect(over.header).toMatchObject({
      'X-Bapi-Limit': '10',
      'X-Bapi-Limit-Status': '0',
      'X-Bapi-Limit-Reset-Timestamp': String(MANUAL_CLOCK_START + 1000),
    });
    // REST sees the budget the socket spent.
    expect((await create(linearBuy())).body.retCode).toBe(10006);
    expect(await openOrders('linear')).toHaveLength(10);
    const journal = (await admin('GET', '/requests?op=order.create&retCode=10006')).body.requests;
    expect(journal).toHaveLength(1);
    // The next second, both work again.
    clock().advance(1000);
    expect((await send('later')).retCode).toBe(0);
    expect((await create(linearBuy())).body.retCode).toBe(0);
    await t.close();
  });
});

describe('UID budgets over /v5/trade batches', () => {
  test('a /v5/trade batch spends the REST batch budget and overflows item by item', async () => {
    const item = () => {
      const { category: _c, ...rest } = linearBuy();
      return rest;
    };
    const rest = await postSigned(ex, '/v5/order/create-batch', {
      category: 'linear',
      request: Array.from({ length: 8 }, item),
    });
    expect(limitHeaders(rest).status).toBe('2');
    const { client: t } = await openAuthed(ex, '/v5/trade');
    const r = await t.request(
      {
        reqId: 'b',
        header: { 'X-BAPI-TIMESTAMP': String(ex.clock.now()) },
        op: 'order.create-batch',
        args: [{ category: 'linear', request: [item(), item(), item()] }],
      },
      (f) => f?.reqId === 'b',
    );
    expect(r.retCode).toBe(0);
    expect(r.retExtInfo.list.map((i: Json) => i.code)).toEqual([0, 0, 10006]);
    expect(r.data.list[2].orderId).toBe('');
    expect(r.header).toMatchObject({
      'X-Bapi-Limit': '10',
      'X-Bapi-Limit-Status': '0',
      'X-Bapi-Limit-Reset-Timestamp': String(MANUAL_CLOCK_START + 1000),
    });
    expect(await openOrders('linear')).toHaveLength(10);
    await t.close();
  });
});

// ---- IP limit -------------------------------------------------------------------------------------

describe('IP limit (HTTP 403 "access too frequent")', () => {
  test('over the limit every v5 request is refused, public ones included, until the window ends', async () => {
    const put = await admin('PUT', '/rate-limits', { ip: { limit: 5, window: '5s' } });
    expect(put.status).toBe(200);
    expect(put.body.config.ip).toEqual({ limit: 5, windowMs: 5000, banMs: 0 });
    for (let i = 0; i < 3; i++) expect((await getPublic(ex, '/v5/market/time')).status).toBe(200);
    expect((await create(linearBuy())).body.retCode).toBe(0);
    expect((await getSigned(ex, '/v5/order/realtime', 'category=linear')).status).toBe(200);

    const pub = await getPublic(ex, '/v5/market/time');
    expect(pub.status).toBe(403);
    expect(pub.text).toMatch(/access too frequent/);
    expect(pub.headers.get('content-type')).toMatch(/^text\/plain/);
    const refused = linearBuy();
    const priv = await create(refused);
    expect(priv.status).toBe(403);
    expect(priv.text).toMatch(/access too frequent/);
    expect(await admin('GET', '/requests?status=403')).toMatchObject({ body: { requests: [{}, {}] } });
    // Unknown v5 paths count and are refused too (Bybit counts all traffic).
    expect((await getPublic(ex, '/v5/no/such/path')).status).toBe(403);

    // The admin API is not limited; its view shows the address refused until the window end.
    const view = (await admin('GET', '/rate-limits')).body;
    expect(view.usage.ip).toEqual([
      expect.objectContaining({
        limit: 5,
        resetAt: MANUAL_CLOCK_START + 5000,
        bannedUntil: MANUAL_CLOCK_START + 5000,
      }),
    ]);

    clock().advance(4999);
    expect((await getPublic(ex, '/v5/market/time')).status).toBe(403);
    clock().advance(1);
    expect((await getPublic(ex, '/v5/market/time')).status).toBe(200);
    expect((await create(linearBuy())).body.retCode).toBe(0);
    // The refused order never ran.
    const byLink = await getSigned(
      ex,
      '/v5/order/realtime',
      `category=linear&orderLinkId=${refused.orderLinkId}`,
    );
    expect(byLink.body.result.list).toEqual([]);
  });

  test('a ban outlasts the window', async () => {
    await admin('PUT', '/rate-limits', { ip: { limit: 2, window: '1s', ban: '10s' } });
    expect((await getPublic(ex, '/v5/market/time')).status).toBe(200);
    expect((await getPublic(ex, '/v5/market/time')).status).toBe(200);
    expect((await getPublic(ex, '/v5/market/time')).status).toBe(403);
    clock().advance(1000);
    expect((await getPublic(ex, '/v5/market/time')).status).toBe(403);
    const view = (await admin('GET', '/rate-limits')).body;
    expect(view.usage.ip[0].bannedUntil).toBe(MANUAL_CLOCK_START + 10_000);
    clock().advance(8999);
    expect((await getPublic(ex, '/v5/market/time')).status).toBe(403);
    clock().advance(1);
    expect((await getPublic(ex, '/v5/market/time')).status).toBe(200);
    // `ban: 0s` (the default) is accepted and means "until the window ends" again.
    expect((await admin('PUT', '/rate-limits', { ip: { ban: '0s' } })).body.config.ip.banMs).toBe(0);
  });
});

// ---- WebSocket limits ---------------------------------------------------------------------------------

describe('WebSocket limits', () => {
  test('new connections per address per window: the upgrade is refused with 429 until the window ends', async () => {
    await admin('PUT', '/rate-limits', { ws: { connections: 2, connectionWindow: '1m' } });
    const a = await WsClient.open(ex, '/v5/public/linear');
    const b = await WsClient.open(ex, '/v5/private');
    const refused = await upgrade('/v5/public/spot');
    expect(refused.status).toBe(429);
    expect(refused.body).toMatch(/too many new connections/);
    // Closing does not give the opens back: the limit counts connections opened.
    await a.close();
    await b.close();
    expect((await upgrade('/v5/trade')).status).toBe(429);
    clock().advance(59_999);
    expect((await upgrade('/v5/trade')).status).toBe(429);
    clock().advance(1);
    const ok = await upgrade('/v5/trade');
    expect(ok.status).toBe(101);
    ok.ws!.close();
  });

  test('open market-data connections per address per market', async () => {
    await admin('PUT', '/rate-limits', { ws: { marketConnections: 1 } });
    const a = await WsClient.open(ex, '/v5/public/linear');
    const refused = await upgrade('/v5/public/linear');
    expect(refused.status).toBe(429);
    expect(refused.body).toMatch(/market-data connections/);
    // Another market, and private streams, are not market-data connections of linear.
    const spot = await WsClient.open(ex, '/v5/public/spot');
    const priv = await WsClient.open(ex, '/v5/private');
    await a.close();
    const again = await WsClient.open(ex, '/v5/public/linear');
    await Promise.all([again.close(), spot.close(), priv.close()]);
  });

  test('messagesPerSecond: public streams answer an error frame, /v5/trade 20003; the next second works', async () => {
    await admin('PUT', '/rate-limits', { ws: { messagesPerSecond: 2 } });
    const pub = await WsClient.open(ex, '/v5/public/linear');
    const isReply = (id: string) => (f: Json) => f?.req_id === id;
    expect(await pub.request({ op: 'ping', req_id: 'p1' }, isReply('p1'))).toMatchObject({ ret_msg: 'pong' });
    expect(
      await pub.request({ op: 'subscribe', req_id: 's1', args: ['tickers.BTCUSDT'] }, isReply('s1')),
    ).toMatchObject({ success: true, op: 'subscribe' });
    const over = await pub.request(
      { op: 'subscribe', req_id: 's2', args: ['kline.1.BTCUSDT'] },
      isReply('s2'),
    );
    expect(over).toMatchObject({ success: false, op: 'subscribe' });
    expect(over.ret_msg).toMatch(/too many requests on this connection \(limit 2 per second\)/);
    expect((await admin('GET', '/connections')).body.connections[0].subscriptions).toEqual([
      'tickers.BTCUSDT',
    ]);

    const { client: t, reply } = await openAuthed(ex, '/v5/trade');
    expect(reply.retCode).toBe(0);
    const order = (reqId: string) =>
      t.request(
        {
          reqId,
          header: { 'X-BAPI-TIMESTAMP': String(ex.clock.now()) },
          op: 'order.create',
          args: [linearBuy()],
        },
        (f) => f?.reqId === reqId,
      );
    expect((await order('o1')).retCode).toBe(0);
    const tooFast = await order('o2');
    expect(tooFast).toMatchObject({
      reqId: 'o2',
      retCode: 20003,
      op: 'order.create',
      data: {},
      retExtInfo: {},
    });
    expect(tooFast.retMsg).toMatch(/too many requests on this connection/);
    // The usual order-op envelope: a header with Timenow, no budget fields (nothing was spent).
    expect(tooFast.header.Timenow).toBe(String(ex.clock.now()));
    expect(tooFast.header['X-Bapi-Limit']).toBeUndefined();
    expect(await openOrders('linear')).toHaveLength(1);
    expect((await admin('GET', '/requests?op=order.create&retCode=20003')).body.requests).toHaveLength(1);

    clock().advance(1000);
    expect((await order('o3')).retCode).toBe(0);
    expect(await pub.request({ op: 'ping', req_id: 'p2' }, isReply('p2'))).toMatchObject({ ret_msg: 'pong' });
    await Promise.all([pub.close(), t.close()]);
  });
});

// ---- switching off, the admin view, validation ----------------------------------------------------------

describe('settings through the admin API', () => {
  test('enabled: false stops enforcement, the headers still count', async () => {
    const put = await admin('PUT', '/rate-limits', {
      enabled: false,
      ip: { limit: 3 },
      ws: { connections: 1 },
    });
    expect(put.body.config.enabled).toBe(false);
    for (let i = 1; i <= 12; i++) {
      const r = await create(linearBuy());
      expect(r.body.retCode, r.text).toBe(0);
      expect(limitHeaders(r)).toEqual({
        limit: '10',
        status: String(Math.max(0, 10 - i)),
        reset: String(MANUAL_CLOCK_START),
      });
    }
    expect(await openOrders('linear')).toHaveLength(12);
    const a = await WsClient.open(ex, '/v5/public/linear');
    const b = await WsClient.open(ex, '/v5/public/linear');
    await Promise.all([a.close(), b.close()]);
    // Counted all along: the view shows the spent budget and the address's requests.
    const usage = (await admin('GET', '/rate-limits')).body.usage;
    expect(usage.uid).toContainEqual(
      expect.objectContaining({ path: '/v5/order/create', used: 12, limit: 10 }),
    );
    expect(usage.ip).toEqual([expect.objectContaining({ used: 13, limit: 3, bannedUntil: 0 })]);
  });

  test('GET /__admin/rate-limits: settings and live usage with account names', async () => {
    await placeAll(3, () => linearBuy());
    await placeAll(1, spotBuy);
    await placeAll(1, () => linearBuy(), { key: SECOND_KEY, secret: SECOND_SECRET });
    await getPublic(ex, '/v5/market/time');
    const ws = await WsClient.open(ex, '/v5/public/linear');
    const { status, body } = await admin('GET', '/rate-limits');
    expect(status).toBe(200);
    expect(body.config).toEqual({
      enabled: true,
      uid: {},
      ip: { limit: 600, windowMs: 5000, banMs: 0 },
      ws: { connections: 500, connectionWindowMs: 300_000, marketConnections: 1000, messagesPerSecond: 0 },
    });
    const accounts = (await admin('GET', '/state')).body.accounts as Json[];
    const uidOf = (name: string) => accounts.find((a) => a.name === name).uid;
    const reset = MANUAL_CLOCK_START + 1000;
    expect(body.usage.uid).toEqual(
      expect.arrayContaining([
        {
          account: 'main',
          uid: uidOf('main'),
          path: '/v5/order/create',
          group: 'linear',
          used: 3,
          limit: 10,
          resetAt: reset,
        },
        {
          account: 'main',
          uid: uidOf('main'),
          path: '/v5/order/create',
          group: 'spot',
          used: 1,
          limit: 20,
          resetAt: reset,
        },
        {
          account: 'second',
          uid: uidOf('second'),
          path: '/v5/order/create',
          group: 'linear',
          used: 1,
          limit: 10,
          resetAt: reset,
        },
      ]),
    );
    expect(body.usage.ip).toEqual([
      { ip: expect.any(String), used: 6, limit: 600, resetAt: MANUAL_CLOCK_START + 5000, bannedUntil: 0 },
    ]);
    expect(body.usage.wsConnections).toBe(1);
    await ws.close();
    // A second later the UID windows are over.
    clock().advance(1000);
    expect((await admin('GET', '/rate-limits')).body.usage.uid).toEqual([]);
  });

  test('PUT merges over the live settings, per endpoint and category group', async () => {
    await admin('PUT', '/rate-limits', { uid: { '/v5/order/create': { spot: 2 } } });
    const put = await admin('PUT', '/rate-limits', { uid: { '/v5/order/cancel': 1 } });
    expect(put.body.config.uid).toEqual({ '/v5/order/create': { spot: 2 }, '/v5/order/cancel': 1 });
    await placeAll(2, spotBuy);
    const r = await create(spotBuy());
    expect(r.body.retCode).toBe(10006);
    expect(limitHeaders(r).limit).toBe('2');
    // linear keeps Bybit's 10.
    expect(limitHeaders(await create(linearBuy())).limit).toBe('10');
  });

  test('PUT validation: 400 bad_rate_limits naming every problem, and nothing changes', async () => {
    const bad = await admin('PUT', '/rate-limits', {
      enabled: 'yes',
      uid: { '/v5/order/create': -1, 'order/cancel': 2, '/v5/order/amend': { futures: 3 } },
      ip: { limit: 1.5, window: 'soon', burst: 3 },
      ws: { connectionWindow: '0s' },
      extra: true,
    });
    expect(bad.status).toBe(400);
    expect(bad.body.error).toBe('bad_rate_limits');
    const m = bad.body.message as string;
    for (const part of [
      'unknown key "extra"',
      'enabled must be true or false',
      'uid: "/v5/order/create" must be a whole number of requests per second',
      'uid: "order/cancel" is not a v5 endpoint path',
      'uid: "/v5/order/amend" must be a whole number',
      'ip.limit must be a whole number from 0',
      'ip.window must be a duration such as "5s"',
      'ip.burst is unknown (ip takes limit, window, ban)',
      'ws.connectionWindow must be a duration',
    ])
      expect(m).toContain(part);
    expect(bad.body.hint).toMatch(/rate-limits|Rate limits/i);
    for (const body of [[], 'text', null])
      expect((await admin('PUT', '/rate-limits', body)).body.error).toMatch(/bad_rate_limits|bad_json/);
    expect((await admin('GET', '/rate-limits')).body.config).toMatchObject({
      enabled: true,
      uid: {},
      ip: { limit: 600, windowMs: 5000, banMs: 0 },
    });
  });
});

// ---- scenario settings and resets ------------------------------------------------------------------------

describe('scenario rateLimits', () => {
  const SCENARIO_LIMITS = `rateLimits:
  uid:
    /v5/order/create: 3
  ip: { limit: 100, window: 10s }
  ws: { messagesPerSecond: 5 }`;
  let sx: RunningExchange;

  beforeAll(async () => {
    sx = await startTestExchange({
      scenario: { yaml: manualScenarioYaml(SCENARIO_LIMITS), name: 'rl-scenario' },
    });
  });
  afterAll(async () => {
    await sx?.close();
  });

  const sAdmin = async (method: string, path: string, body?: unknown) => {
    const res = await fetch(sx.adminUrl + path, {
      method,
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return (await res.json()) as Json;
  };
  const SCENARIO_CONFIG = {
    enabled: true,
    uid: { '/v5/order/create': 3 },
    ip: { limit: 100, windowMs: 10_000, banMs: 0 },
    ws: { connections: 500, connectionWindowMs: 300_000, marketConnections: 1000, messagesPerSecond: 5 },
  };

  test('the scenario sets the budgets; /rate-limits/reset and /reset restore them and clear the counts', async () => {
    expect((await sAdmin('GET', '/rate-limits')).config).toEqual(SCENARIO_CONFIG);
    const sCreate = () => postSigned(sx, '/v5/order/create', linearBuy());
    for (let i = 0; i < 3; i++) expect((await sCreate()).body.retCode).toBe(0);
    expect((await sCreate()).body.retCode).toBe(10006);

    await sAdmin('PUT', '/rate-limits', { enabled: false, uid: { '/v5/order/create': 1 }, ip: { limit: 7 } });
    const reset = await sAdmin('POST', '/rate-limits/reset');
    expect(reset.config).toEqual(SCENARIO_CONFIG);
    expect(reset.usage.uid).toEqual([]);
    // Counts cleared: the same second has the whole budget again.
    expect(limitHeaders(await sCreate()).status).toBe('2');

    await sAdmin('PUT', '/rate-limits', { uid: { '/v5/order/create': 50 }, ws: { messagesPerSecond: 0 } });
    expect((await sAdmin('POST', '/reset')).status).toBe('reset');
    expect((await sAdmin('GET', '/rate-limits')).config).toEqual(SCENARIO_CONFIG);
    expect(limitHeaders(await sCreate())).toMatchObject({ limit: '3', status: '2' });
  });

  test('bad values are reported by the loader at their line and column', () => {
    const yaml = manualScenarioYaml(`rateLimits:
  enabled: maybe
  uid: { /v5/order/create: many }
  ip: { window: soon }
  ws: { connections: -1 }`);
    const result = parseScenario(yaml, 'bad-limits.yaml');
    expect(result.ok).toBe(false);
    if (result.ok) return;
    const lines = yaml.split('\n');
    const rl = lines.findIndex((l) => l.startsWith('rateLimits:')) + 1;
    const found = result.problems.map((p) => ({
      line: p.line,
      column: p.column,
      path: p.path,
      message: p.message,
    }));
    const messages = found.map((p) => p.message);
    for (const part of [
      'rateLimits: enabled must be true or false',
      'rateLimits: uid: "/v5/order/create" must be a whole number',
      'rateLimits: ip.window must be a duration',
      'rateLimits: ws.connections must be a whole number from 0',
    ])
      expect(
        messages.some((m) => m.includes(part)),
        `${part} in ${JSON.stringify(found)}`,
      ).toBe(true);
    // Every problem points at the bad value itself.
    const at = (path: string) => found.find((p) => p.path === path);
    expect(at('rateLimits.enabled')).toMatchObject({ line: rl + 1, column: 12 });
    expect(at('rateLimits.uid["/v5/order/create"]')).toMatchObject({ line: rl + 2, column: 28 });
    expect(at('rateLimits.ip.window')).toMatchObject({ line: rl + 3, column: 17 });
    expect(at('rateLimits.ws.connections')).toMatchObject({ line: rl + 4, column: 22 });
    expect(found).toHaveLength(4);
    // And the daemon refuses to start on it.
    return expect(startTestExchange({ scenario: { yaml, name: 'bad-limits.yaml' } })).rejects.toThrow(
      /enabled must be true or false/,
    );
  });

  test('an auth frame still works under the scenario message rate (5 per second)', async () => {
    const t = await WsClient.open(sx, '/v5/private');
    const r = await t.request(authFrame(sx), (f) => f?.op === 'auth');
    expect(r.success).toBe(true);
    await t.close();
  });
});
