/**
 * Admin routes about traffic: the request journal, WebSocket connections, custom private events
 * and the admin token. @see docs/admin-api.md
 */
import { expect, test } from 'vitest';
import type { RunningExchange } from '../../src/runtime/start-exchange.js';
import {
  adminRequest,
  READONLY_KEY,
  READONLY_SECRET,
  getSigned,
  manualScenarioYaml,
  postSigned,
  startTestExchange,
  useTestExchange,
} from '../support/server.js';
import { WsClient, openAuthed, type Json } from '../support/ws.js';

let ex: RunningExchange;
useTestExchange({ scenario: { yaml: manualScenarioYaml(), name: 'admin-ops' } }, (e) => (ex = e), {
  resetEach: true,
});

const admin = (method: string, path: string, body?: unknown, headers: Record<string, string> = {}) =>
  adminRequest(ex, method, path, body, headers);

const LIMIT_BUY = {
  category: 'linear',
  symbol: 'BTCUSDT',
  side: 'Buy',
  orderType: 'Limit',
  qty: '0.001',
  price: '40000',
};

test('the journal records REST requests and WS ops newest first, filters them, counts and clears', async () => {
  await getSigned(ex, '/v5/account/wallet-balance', 'accountType=UNIFIED');
  await postSigned(ex, '/v5/order/create', LIMIT_BUY);
  await postSigned(ex, '/v5/order/create', { ...LIMIT_BUY, qty: 'x' });
  await postSigned(ex, '/v5/order/create', LIMIT_BUY, { key: READONLY_KEY, secret: READONLY_SECRET });
  const { client } = await openAuthed(ex, '/v5/trade');
  await client.request(
    {
      reqId: 'j1',
      op: 'order.create',
      header: { 'X-BAPI-TIMESTAMP': String(ex.clock.now()) },
      args: [LIMIT_BUY],
    },
    (f) => f?.op === 'order.create',
  );
  await client.close();

  const all = (await admin('GET', '/requests')).body.requests;
  expect(all.map((e: Json) => [e.transport, e.path, e.op, e.retCode])).toEqual([
    ['ws', '/v5/trade', 'order.create', 0],
    ['ws', '/v5/trade', 'auth', 0],
    ['rest', 'POST /v5/order/create', '', 10005],
    ['rest', 'POST /v5/order/create', '', 10001],
    ['rest', 'POST /v5/order/create', '', 0],
    ['rest', 'GET /v5/account/wallet-balance', '', 0],
  ]);
  const first = all[all.length - 1];
  expect(first).toMatchObject({
    account: 'main',
    status: 200,
    params: { accountType: 'UNIFIED' },
    time: ex.clock.now(),
  });
  expect(first.seq).toBeLessThan(all[0].seq);
  // No secrets: params are the request's parameters, never headers or signatures.
  expect(JSON.stringify(all)).not.toContain('mock-api-secret');
  expect(JSON.stringify(all)).not.toMatch(/X-BAPI-SIGN/i);

  const creates = (await admin('GET', '/requests?path=/v5/order/create&retCode=0')).body.requests;
  expect(creates).toHaveLength(1);
  expect(creates[0].params).toEqual(LIMIT_BUY);
  expect((await admin('GET', '/requests?op=order.create')).body.requests).toHaveLength(1);
  expect((await admin('GET', '/requests?account=viewer')).body.requests).toHaveLength(1);
  expect((await admin('GET', '/requests?limit=2')).body.requests).toHaveLength(2);
  expect((await admin('GET', '/requests/count?path=/v5/order/create')).body).toEqual({ count: 3 });
  expect((await admin('GET', '/requests?limit=0')).status).toBe(400);

  expect((await admin('DELETE', '/requests')).body).toEqual({ cleared: true });
  expect((await admin('GET', '/requests/count')).body).toEqual({ count: 0 });
});

test('reset clears the journal', async () => {
  await getSigned(ex, '/v5/account/info');
  expect((await admin('GET', '/requests/count')).body.count).toBe(1);
  await admin('POST', '/reset');
  expect((await admin('GET', '/requests/count')).body.count).toBe(0);
});

test('connections are listed with stream, account and subscriptions, and closed by filter', async () => {
  const pub = await WsClient.open(ex, '/v5/public/linear');
  await pub.request({ op: 'subscribe', args: ['tickers.BTCUSDT'] }, (f) => f?.op === 'subscribe');
  const { client: priv } = await openAuthed(ex, '/v5/private');
  await priv.request({ op: 'subscribe', args: ['order'] }, (f) => f?.op === 'subscribe');

  const list = (await admin('GET', '/connections')).body.connections;
  expect(list).toHaveLength(2);
  expect(list[0]).toMatchObject({
    stream: 'linear',
    path: '/v5/public/linear',
    account: '',
    subscriptions: ['tickers.BTCUSDT'],
  });
  expect(list[1]).toMatchObject({ stream: 'private', account: 'main', subscriptions: ['order'] });
  expect(list[0].connId).toMatch(/^[0-9a-v]{20}-[0-9a-v]{5}$/);

  expect((await admin('POST', '/connections/close', { code: 1006 })).status).toBe(400);
  expect((await admin('POST', '/connections/close', { mode: 'explode' })).status).toBe(400);
  expect((await admin('GET', '/connections')).body.connections).toHaveLength(2);

  const closedPriv = new Promise<[number, string]>((r) =>
    priv.ws.once('close', (c, why) => r([c, String(why)])),
  );
  const r1 = await admin('POST', '/connections/close', { account: 'main', code: 4001, reason: 'go away' });
  expect(r1.body.closed).toEqual([list[1].connId]);
  expect(await closedPriv).toEqual([4001, 'go away']);

  const closedPub = new Promise<number>((r) => pub.ws.once('close', (c) => r(c)));
  const r2 = await admin('POST', '/connections/close', { stream: 'linear', mode: 'terminate' });
  expect(r2.body.closed).toEqual([list[0].connId]);
  expect(await closedPub).toBe(1006);
  expect((await admin('GET', '/connections')).body.connections).toEqual([]);
});

test('a custom private event reaches the account subscribers of that topic only', async () => {
  const { client: mine } = await openAuthed(ex, '/v5/private');
  await mine.request({ op: 'subscribe', args: ['order'] }, (f) => f?.op === 'subscribe');
  const { client: other } = await openAuthed(ex, '/v5/private', {
    key: READONLY_KEY,
    secret: READONLY_SECRET,
  });
  await other.request({ op: 'subscribe', args: ['order'] }, (f) => f?.op === 'subscribe');

  const data = [{ category: 'linear', symbol: 'BTCUSDT', orderId: 'custom-1', orderStatus: 'Rejected' }];
  const r = await admin('POST', '/events/private', { account: 'main', topic: 'order', data });
  expect(r.body).toEqual({ delivered: 1 });
  const f = await mine.next((x) => x.topic === 'order');
  expect(f).toMatchObject({ topic: 'order', creationTime: ex.clock.now(), data });
  expect(typeof f.id).toBe('string');
  expect((await other.sync()).filter((x: Json) => x.topic)).toEqual([]);

  expect((await admin('POST', '/events/private', { account: 'nobody', topic: 'order', data })).status).toBe(
    404,
  );
  expect((await admin('POST', '/events/private', { account: 'main', data })).status).toBe(400);
  expect((await admin('POST', '/events/private', '{"account":')).status).toBe(400);
  await mine.close();
  await other.close();
});

test('with an admin token, /__admin needs the bearer token (health stays open)', async () => {
  const guarded = await startTestExchange({
    scenario: { yaml: manualScenarioYaml(), name: 'admin-token' },
    adminToken: 's3cret-token',
  });
  try {
    const get = (path: string, auth?: string) =>
      fetch(`${guarded.adminUrl}${path}`, { headers: auth ? { Authorization: auth } : {} });
    expect((await get('/health')).status).toBe(200);
    const denied = await get('/state');
    expect(denied.status).toBe(401);
    expect(await denied.json()).toMatchObject({ error: 'unauthorized' });
    expect((await get('/state', 'Bearer wrong')).status).toBe(401);
    expect((await get('/requests', 'Basic s3cret-token')).status).toBe(401);
    expect((await get('/state', 'Bearer s3cret-token')).status).toBe(200);
    expect((await get('/requests', 'bearer s3cret-token')).status).toBe(200);
    // The Bybit API itself is not behind the token.
    expect((await fetch(`${guarded.restUrl}/v5/market/time`)).status).toBe(200);
  } finally {
    await guarded.close();
  }
});

/** Reads server-sent events from a fetch body until `count` events have arrived. */
async function readEvents(res: Response, count: number): Promise<{ event: string; data: Json }[]> {
  const reader = res.body!.getReader();
  const out: { event: string; data: Json }[] = [];
  let buf = '';
  const deadline = Date.now() + 3000;
  while (out.length < count && Date.now() < deadline) {
    const { value, done } = await reader.read();
    if (done) break;
    buf += new TextDecoder().decode(value);
    let i;
    while ((i = buf.indexOf('\n\n')) >= 0) {
      const block = buf.slice(0, i);
      buf = buf.slice(i + 2);
      const ev = /^event: (.+)$/m.exec(block)?.[1];
      const data = /^data: (.+)$/m.exec(block)?.[1];
      if (ev && data) out.push({ event: ev, data: JSON.parse(data) });
    }
  }
  await reader.cancel();
  return out;
}

test('GET /events streams order, execution, position and wallet events, filtered by account and type', async () => {
  const ctl = new AbortController();
  const res = await fetch(`${ex.adminUrl}/events?account=main`, { signal: ctl.signal });
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toContain('text/event-stream');
  const created = await postSigned(ex, '/v5/order/create', {
    ...LIMIT_BUY,
    orderType: 'Market',
    qty: '0.001',
  });
  const events = await readEvents(res, 4);
  ctl.abort();
  expect(events.map((e) => e.event)).toEqual(['order', 'execution', 'position', 'wallet']);
  expect(events[0]!.data).toMatchObject({
    account: 'main',
    time: ex.clock.now(),
    data: { orderId: created.body.result.orderId, orderStatus: 'Filled' },
  });
  expect(events[1]!.data.data.orderId).toBe(created.body.result.orderId);

  const only = await fetch(`${ex.adminUrl}/events?types=order`);
  const placed = await postSigned(ex, '/v5/order/create', LIMIT_BUY);
  const orders = await readEvents(only, 1);
  expect(orders).toEqual([{ event: 'order', data: expect.objectContaining({ account: 'main' }) }]);
  expect(orders[0]!.data.data).toMatchObject({ orderId: placed.body.result.orderId, orderStatus: 'New' });

  expect((await fetch(`${ex.adminUrl}/events?types=nope`)).status).toBe(400);
});

test('POST /scenario loads YAML and resets to it; a bad one is 400 with every problem and changes nothing', async () => {
  const before = (await admin('GET', '/scenario')).body;
  expect(before.file).toBe('admin-ops');
  const bad = await admin('POST', '/scenario', 'version: 2\nseeed: 1\n');
  expect(bad.status).toBe(400);
  expect(bad.body.error).toBe('bad_scenario');
  expect(bad.body.problems.map((p: Json) => p.path)).toEqual(
    expect.arrayContaining(['version', 'seeed', 'instruments']),
  );
  expect((await admin('GET', '/scenario')).body.file).toBe('admin-ops');

  const yaml = manualScenarioYaml().replace('price: "50000"', 'price: "60000"');
  const loaded = await admin('POST', '/scenario', yaml);
  expect(loaded.status).toBe(200);
  const btc = loaded.body.state.instruments.find(
    (i: Json) => i.category === 'linear' && i.symbol === 'BTCUSDT',
  );
  expect(btc.lastPrice).toBe('60000.0');
  expect((await admin('GET', '/scenario')).body).toMatchObject({ file: '<admin upload>' });
  expect((await admin('POST', '/scenario', '')).status).toBe(400);
  // Back to the test's scenario for the other tests.
  await admin('POST', '/scenario', manualScenarioYaml());
});

test('GET /openapi.json documents every admin route, and every documented route exists', async () => {
  const doc = (await admin('GET', '/openapi.json')).body;
  expect(doc.openapi).toBe('3.1.0');
  const paths = Object.keys(doc.paths);
  expect(paths).toContain('/__admin/orders/{orderId}/fill');
  // Every documented route answers something other than the admin 404 "not_found".
  for (const [path, ops] of Object.entries(doc.paths as Record<string, Record<string, unknown>>)) {
    for (const method of Object.keys(ops)) {
      if (path === '/__admin/events') continue; // a stream that never ends
      const concrete = path
        .replace('{account}', 'main')
        .replace('{coin}', 'USDT')
        .replace('{category}', 'linear')
        .replace('{symbol}', 'BTCUSDT')
        .replace('{orderId}', 'none')
        .replace('{id}', 'none')
        .replace('/__admin', '');
      const r = await admin(method.toUpperCase(), concrete, method === 'get' ? undefined : {});
      expect(r.body?.error, `${method} ${path}`).not.toBe('not_found');
    }
  }
  await admin('POST', '/scenario', manualScenarioYaml());
});

test('GET /events?types=connection streams WebSocket connections opening, authenticating and closing', async () => {
  const res = await fetch(`${ex.adminUrl}/events?types=connection`);
  const { client } = await openAuthed(ex, '/v5/private');
  await client.close();
  const events = await readEvents(res, 3);
  expect(events.map((e) => [e.event, e.data.data.event, e.data.data.stream])).toEqual([
    ['connection', 'open', 'private'],
    ['connection', 'auth', 'private'],
    ['connection', 'close', 'private'],
  ]);
  expect(events[1]!.data.account).toBe('main');
});
