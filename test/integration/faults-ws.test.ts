/**
 * WebSocket faults over raw `ws` clients on a manual clock: every effect on frames out (drop,
 * delay, duplicate, reorder, orderbook gap and stale snapshot), on requests in (drop, delay,
 * error in each stream's shape) and on the connection (close, terminate, half-dead mute, refused
 * upgrade); targeting by stream, topic glob, op glob and account; seeded probability, times and
 * `for`; admin validation and reset. @see src/core/faults/faults.ts, src/ws/hub.ts
 */
import { beforeEach, describe, expect, test } from 'vitest';
import { WebSocket } from 'ws';
import type { ManualClock } from '../../src/core/clock.js';
import type { RunningExchange } from '../../src/runtime/start-exchange.js';
import {
  adminRequest,
  getSigned,
  manualScenarioYaml,
  postSigned,
  startTestExchange,
  useTestExchange,
} from '../support/server.js';
import { WAIT_MS, WsClient, authFrame, openAuthed, type Json } from '../support/ws.js';

const OTHER_KEY = 'other-api-key';
const OTHER_SECRET = 'other-api-secret';
const YAML = manualScenarioYaml(
  `  - { name: other, apiKey: ${OTHER_KEY}, apiSecret: ${OTHER_SECRET}, balances: { USDT: "5000" } }\n`,
);
const BOOK = 'orderbook.50.BTCUSDT';

let ex: RunningExchange;
useTestExchange({ scenario: { yaml: YAML, name: 'faults-ws' } }, (e) => (ex = e));

// Every test starts from the scenario: no faults, clock at its start, old sockets closed.
beforeEach(() => {
  ex.reset();
});

const admin = (method: string, path: string, body?: unknown, x: RunningExchange = ex) =>
  adminRequest(x, method, path, body);

async function addFault(spec: Json, x: RunningExchange = ex): Promise<Json> {
  const r = await admin('POST', '/faults', spec, x);
  expect(r.status, JSON.stringify(r.body)).toBe(200);
  return r.body;
}

const faultNamed = async (id: string) =>
  ((await admin('GET', '/faults')).body.faults as Json[]).find((f) => f.id === id);

function advance(ms: number, x: RunningExchange = ex): void {
  (x.clock as ManualClock).advance(ms);
}

/** A socket that also keeps every frame's exact text (byte-level assertions). */
interface Tap {
  c: WsClient;
  raw: string[];
}

async function tap(path: string, x: RunningExchange = ex): Promise<Tap> {
  const c = await WsClient.open(x, path);
  const raw: string[] = [];
  c.ws.on('message', (d: Buffer) => raw.push(d.toString('utf8')));
  return { c, raw };
}

/** The exact texts of the data frames of `topic` received so far. */
const texts = (t: Tap, topic: string) =>
  t.raw.filter((s) => {
    try {
      return (JSON.parse(s) as Json).topic === topic;
    } catch {
      return false;
    }
  });

const isAck = (op: string, reqId?: unknown) => (f: Json) =>
  f?.op === op && (reqId === undefined || f.req_id === reqId || f.reqId === reqId);

async function subscribe(t: Tap, topics: string[], reqId = 'sub'): Promise<void> {
  const ack = await t.c.request({ op: 'subscribe', req_id: reqId, args: topics }, isAck('subscribe', reqId));
  expect(ack.success, JSON.stringify(ack)).toBe(true);
}

/** An authenticated /v5/private socket subscribed to `topics`. */
async function privateTap(topics: string[], key?: string, secret?: string): Promise<Tap> {
  const t = await tap('/v5/private');
  const reply = await t.c.request(authFrame(ex, { key, secret }), isAck('auth'));
  expect(reply.success, JSON.stringify(reply)).toBe(true);
  await subscribe(t, topics);
  return t;
}

/** Pushes a custom private frame {topic, data: [{n}]} through the hub, as the admin API does. */
async function push(account: string, topic: string, n: number): Promise<void> {
  const r = await admin('POST', '/events/private', { account, topic, data: [{ n }] });
  expect(r.status).toBe(200);
}

/** The `n` of each custom private frame of `topic` received, in arrival order. */
const pushed = (t: Tap, topic = 'order') =>
  t.c.frames.filter((f) => f.topic === topic).map((f) => f.data[0].n);

/** Resolves true when a protocol-level ping is answered within `ms` (real time). */
function protocolPong(c: WsClient, ms = 300): Promise<boolean> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(false), ms);
    c.ws.once('pong', () => {
      clearTimeout(timer);
      resolve(true);
    });
    c.ws.ping('are-you-there');
  });
}

async function closeOf(c: WsClient): Promise<{ code: number; reason: string }> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error('the socket was not closed')), WAIT_MS);
  });
  try {
    return await Promise.race([c.closed, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** The HTTP status (and body) a refused upgrade answers, or 101 when the socket opens. */
function upgradeStatus(path: string): Promise<{ status: number; body: string }> {
  const ws = new WebSocket(ex.wsUrl + path);
  return new Promise((resolve, reject) => {
    ws.on('unexpected-response', (_req, res) => {
      let body = '';
      res.on('data', (d: Buffer) => (body += d.toString('utf8')));
      res.on('end', () => {
        resolve({ status: res.statusCode ?? 0, body });
        ws.terminate();
      });
    });
    ws.on('open', () => {
      resolve({ status: 101, body: '' });
      ws.close();
    });
    ws.on('error', (err) => {
      if (!/Unexpected server response/.test(err.message)) reject(err);
    });
  });
}

const journal = async (query: string) => (await admin('GET', `/requests?${query}`)).body.requests as Json[];

// ---- frames out -------------------------------------------------------------------------------------

describe('frames out', () => {
  test('drop: a stream + topic glob drops those data frames only; acks and pongs still come', async () => {
    await addFault({
      id: 'no-tickers',
      stream: '/v5/public/linear',
      topic: 'tickers.*',
      effect: { drop: true },
    });
    const linear = await tap('/v5/public/linear');
    const spot = await tap('/v5/public/spot');
    await subscribe(linear, ['tickers.BTCUSDT', BOOK]);
    await subscribe(spot, ['tickers.BTCUSDT']);
    for (let i = 0; i < 3; i++) advance(1000);
    await linear.c.sync();
    await spot.c.sync();
    expect(texts(linear, 'tickers.BTCUSDT')).toEqual([]);
    // The other topic on the same connection and the same topic on another stream flow.
    expect(texts(linear, BOOK).length).toBeGreaterThanOrEqual(4);
    const spotTickers = texts(spot, 'tickers.BTCUSDT');
    expect(spotTickers.length).toBeGreaterThanOrEqual(2);
    const f = await faultNamed('no-tickers');
    expect(f).toMatchObject({
      transport: 'ws',
      stream: '/v5/public/linear',
      topic: 'tickers.*',
      op: null,
      effect: { drop: true },
      remaining: null,
      source: 'admin',
    });
    // Every linear ticker frame was one hit (the snapshot and one per tick).
    expect(f.hits).toBeGreaterThanOrEqual(2);
  });

  test('gap: one orderbook delta is skipped so u jumps by 2; the snapshot and the other connection are untouched', async () => {
    // Added before subscribing: the snapshot is not a delta, so the fault waits for the first delta.
    await addFault({ id: 'gap', topic: 'orderbook.*.BTCUSDT', times: 1, effect: { gap: true } });
    const a = await tap('/v5/public/linear');
    const b = await tap('/v5/public/linear');
    await subscribe(a, [BOOK]);
    await subscribe(b, [BOOK]);
    for (let i = 0; i < 4; i++) advance(1000);
    await a.c.sync();
    await b.c.sync();
    const fa = texts(a, BOOK);
    const fb = texts(b, BOOK);
    const ub = fb.map((s) => JSON.parse(s).data.u as number);
    const ua = fa.map((s) => JSON.parse(s).data.u as number);
    expect(JSON.parse(fb[0]!).type).toBe('snapshot');
    expect(fb.length).toBeGreaterThanOrEqual(4);
    // B (not hit: times 1 was spent on A) sees u + 1 per delta.
    for (let i = 1; i < ub.length; i++) expect(ub[i]).toBe(ub[0]! + i);
    // A sees the same bytes without the first delta: u jumps from the snapshot's by 2.
    expect(fa).toEqual([fb[0], ...fb.slice(2)]);
    expect(ua[1]).toBe(ua[0]! + 2);
    expect((await faultNamed('gap')).hits).toBe(1);
  });

  test('staleSnapshot: deltas are replaced by the exact bytes of the first snapshot the connection got', async () => {
    const a = await tap('/v5/public/linear');
    await subscribe(a, [BOOK]);
    await addFault({ topic: BOOK, times: 2, effect: { staleSnapshot: true } });
    for (let i = 0; i < 4; i++) advance(1000);
    await a.c.sync();
    const frames = texts(a, BOOK);
    expect(frames.length).toBeGreaterThanOrEqual(4);
    expect(frames[1]).toBe(frames[0]);
    expect(frames[2]).toBe(frames[0]);
    const first = JSON.parse(frames[0]!);
    const next = JSON.parse(frames[3]!);
    expect(first.type).toBe('snapshot');
    // The two real deltas were withheld: the next one continues past them.
    expect(next.type).toBe('delta');
    expect(next.data.u).toBe(first.data.u + 3);
  });

  test('staleSnapshot and gap leave snapshot-only books (orderbook.1) and other topics alone', async () => {
    const a = await tap('/v5/public/linear');
    await subscribe(a, ['orderbook.1.BTCUSDT', 'tickers.BTCUSDT']);
    await addFault({ id: 'stale', stream: 'linear', effect: { staleSnapshot: true } });
    await addFault({ id: 'gap', stream: 'linear', effect: { gap: true } });
    for (let i = 0; i < 5; i++) advance(1000);
    await a.c.sync();
    expect(texts(a, 'tickers.BTCUSDT').length).toBeGreaterThanOrEqual(5);
    const ob1 = texts(a, 'orderbook.1.BTCUSDT').map((s) => JSON.parse(s));
    expect(ob1.every((f) => f.type === 'snapshot')).toBe(true);
    expect(ob1.length).toBeGreaterThanOrEqual(2);
    expect((await faultNamed('stale')).hits).toBe(0);
    expect((await faultNamed('gap')).hits).toBe(0);
  });

  test('duplicate: the frame is sent twice, byte for byte', async () => {
    const p = await privateTap(['order', 'wallet']);
    await addFault({ topic: 'order', times: 1, effect: { duplicate: true } });
    await push('main', 'order', 1);
    await push('main', 'wallet', 2);
    await push('main', 'order', 3);
    await p.c.sync();
    const orders = texts(p, 'order');
    expect(orders).toHaveLength(3);
    expect(orders[1]).toBe(orders[0]);
    expect(pushed(p)).toEqual([1, 1, 3]);
    expect(pushed(p, 'wallet')).toEqual([2]);
  });

  test('reorder: the frame is held and sent right after the next frame to that connection', async () => {
    const p = await privateTap(['order', 'wallet']);
    await addFault({ topic: 'order', times: 1, effect: { reorder: true } });
    await push('main', 'order', 1);
    await push('main', 'wallet', 2);
    await push('main', 'order', 3);
    await p.c.sync();
    const data = p.c.frames.filter((f) => typeof f.topic === 'string').map((f) => f.data[0].n);
    expect(data).toEqual([2, 1, 3]);

    // With nothing else pushed, the next frame is the pong: the held frame follows it.
    await addFault({ topic: 'order', times: 1, effect: { reorder: true } });
    await push('main', 'order', 4);
    const pong = p.c.next((f) => f.op === 'pong' && f.req_id === 'p1');
    const held = p.c.next((f) => f.topic === 'order' && f.data[0].n === 4);
    p.c.send({ op: 'ping', req_id: 'p1' });
    await pong;
    await held;
    const tail = p.raw.slice(-2).map((s) => JSON.parse(s));
    expect(tail[0]).toMatchObject({ op: 'pong', req_id: 'p1' });
    expect(tail[1]).toMatchObject({ topic: 'order', data: [{ n: 4 }] });
  });

  test('reorder on orderbook deltas: the client sees u out of order', async () => {
    const a = await tap('/v5/public/linear');
    await subscribe(a, [BOOK]);
    await addFault({ topic: BOOK, times: 1, effect: { reorder: true } });
    // Ticks in one advance: no pong between them.
    advance(3000);
    await a.c.sync();
    const u = texts(a, BOOK).map((s) => JSON.parse(s).data.u as number);
    expect(u.length).toBeGreaterThanOrEqual(3);
    expect(u.slice(0, 3)).toEqual([u[0], u[0]! + 2, u[0]! + 1]);
  });

  test('delayMs: the frame goes later on the daemon clock, later frames are not held back', async () => {
    const p = await privateTap(['order']);
    await addFault({ topic: 'order', times: 1, effect: { delayMs: 5000 } });
    await push('main', 'order', 1);
    await push('main', 'order', 2);
    await p.c.sync();
    expect(pushed(p)).toEqual([2]);
    advance(4999);
    await p.c.sync();
    expect(pushed(p)).toEqual([2]);
    advance(1);
    await p.c.sync();
    expect(pushed(p)).toEqual([2, 1]);

    // A range: a seeded draw within [min, max].
    await addFault({ topic: 'order', times: 1, effect: { delayMs: [1000, 3000] } });
    await push('main', 'order', 3);
    advance(999);
    await p.c.sync();
    expect(pushed(p)).toEqual([2, 1]);
    advance(2001);
    await p.c.sync();
    expect(pushed(p)).toEqual([2, 1, 3]);
  });

  test('account: a fault for one account (by apiKey or name) spares the others', async () => {
    const main = await privateTap(['order']);
    const other = await privateTap(['order'], OTHER_KEY, OTHER_SECRET);
    await addFault({ id: 'other-drop', stream: 'private', account: OTHER_KEY, effect: { drop: true } });
    await push('main', 'order', 1);
    await push('other', 'order', 2);
    await main.c.sync();
    await other.c.sync();
    expect(pushed(main)).toEqual([1]);
    expect(pushed(other)).toEqual([]);
    await admin('DELETE', '/faults/other-drop');
    await addFault({ stream: 'private', account: 'main', times: 1, effect: { duplicate: true } });
    await push('main', 'order', 3);
    await push('other', 'order', 4);
    await main.c.sync();
    await other.c.sync();
    expect(pushed(main)).toEqual([1, 3, 3]);
    expect(pushed(other)).toEqual([4]);
  });

  test('a private topic fault leaves other topics and the public streams alone', async () => {
    const p = await privateTap(['order', 'execution', 'position', 'wallet']);
    const pub = await tap('/v5/public/linear');
    await subscribe(pub, ['tickers.BTCUSDT']);
    await addFault({ topic: 'execution*', effect: { drop: true } });
    advance(1000);
    await pub.c.sync();
    expect(texts(pub, 'tickers.BTCUSDT').length).toBeGreaterThanOrEqual(2);
    // A market order: order, execution, position and wallet frames.
    const order = await postSigned(ex, '/v5/order/create', {
      category: 'linear',
      symbol: 'BTCUSDT',
      side: 'Buy',
      orderType: 'Market',
      qty: '0.01',
    });
    expect(order.body.retCode, order.text).toBe(0);
    await p.c.sync();
    const topics = new Set(p.c.frames.filter((f) => typeof f.topic === 'string').map((f) => f.topic));
    expect(topics.has('order')).toBe(true);
    expect(topics.has('position')).toBe(true);
    expect(topics.has('wallet')).toBe(true);
    expect(topics.has('execution')).toBe(false);
  });
});

// ---- requests in ------------------------------------------------------------------------------------

describe('requests in', () => {
  test('drop: a subscribe gets no answer and subscribes nothing; the journal names the fault', async () => {
    await addFault({ id: 'eat-sub', op: 'subscribe', times: 1, effect: { drop: true } });
    const t = await tap('/v5/public/linear');
    t.c.send({ op: 'subscribe', req_id: 'lost', args: ['tickers.BTCUSDT'] });
    // The pong answers the ping sent after the subscribe: no ack came before it.
    expect(await t.c.sync()).toEqual([]);
    advance(2000);
    expect(await t.c.sync()).toEqual([]);
    // The fault is spent: the retry works.
    await subscribe(t, ['tickers.BTCUSDT'], 'retry');
    const subs = await journal('op=subscribe');
    const lost = subs.find(
      (e) => JSON.stringify(e.params) === '["tickers.BTCUSDT"]' && e.fault === 'eat-sub',
    );
    expect(lost).toMatchObject({
      transport: 'ws',
      path: '/v5/public/linear',
      op: 'subscribe',
      fault: 'eat-sub',
    });
    expect(lost.retCode).toBeUndefined();
    expect(subs.filter((e) => e.fault === undefined)).toHaveLength(1);
  });

  test('drop on op ping: no pong, the connection is otherwise fine', async () => {
    await addFault({ op: 'ping', stream: 'linear', times: 1, effect: { drop: true } });
    const t = await tap('/v5/public/linear');
    t.c.send({ op: 'ping', req_id: 'p1' });
    // Requests are answered in order: the ack of a later subscribe proves the pong is not coming.
    await subscribe(t, ['tickers.BTCUSDT'], 's1');
    expect(t.c.frames.some((f) => f.op === 'ping' && f.req_id === 'p1')).toBe(false);
    const pong = await t.c.request({ op: 'ping', req_id: 'p2' }, isAck('ping', 'p2'));
    expect(pong).toMatchObject({ success: true, ret_msg: 'pong', req_id: 'p2' });
    // Pings are never journaled, faulted or not.
    expect(await journal('op=ping')).toEqual([]);
  });

  test('delayMs: the answer comes that much later on the daemon clock', async () => {
    await addFault({ op: 'sub*', times: 1, effect: { delayMs: 2000 } });
    const t = await tap('/v5/public/linear');
    t.c.send({ op: 'subscribe', req_id: 'slow', args: ['tickers.BTCUSDT'] });
    expect(await t.c.sync()).toEqual([]);
    advance(1999);
    expect(await t.c.sync()).toEqual([]);
    advance(1);
    const frames = await t.c.sync();
    expect(frames[0]).toMatchObject({ op: 'subscribe', req_id: 'slow', success: true });
    expect(frames[1]).toMatchObject({ topic: 'tickers.BTCUSDT', type: 'snapshot' });
  });

  test('error on auth: the private and the trade reply shapes; nothing is authenticated; journaled', async () => {
    await addFault({
      id: 'auth-down',
      op: 'auth',
      times: 2,
      effect: { error: { retCode: 10004, retMsg: 'Invalid sign' } },
    });
    const p = await tap('/v5/private');
    const r1 = await p.c.request(authFrame(ex, { reqId: 'a1' }), isAck('auth'));
    expect(r1).toEqual({
      success: false,
      ret_msg: 'Invalid sign',
      op: 'auth',
      conn_id: r1.conn_id,
      req_id: 'a1',
    });
    // Not authenticated: a private subscribe is refused.
    const sub = await p.c.request({ op: 'subscribe', req_id: 's', args: ['order'] }, isAck('subscribe', 's'));
    expect(sub.success).toBe(false);

    const t = await tap('/v5/trade');
    const r2 = await t.c.request({ ...authFrame(ex), reqId: 'ta' }, isAck('auth'));
    expect(r2).toEqual({
      reqId: 'ta',
      retCode: 10004,
      retMsg: 'Invalid sign',
      op: 'auth',
      connId: r2.connId,
    });
    // Spent (times 2): the next auth works.
    const r3 = await p.c.request(authFrame(ex), isAck('auth'));
    expect(r3.success).toBe(true);
    const auths = await journal('op=auth');
    expect(auths.filter((e) => e.fault === 'auth-down').map((e) => [e.path, e.retCode])).toEqual(
      expect.arrayContaining([
        ['/v5/private', 10004],
        ['/v5/trade', 10004],
      ]),
    );
  });

  test('error on subscribe: a failed ack in each public shape; nothing is subscribed', async () => {
    await addFault({ op: 'subscribe', effect: { error: { retCode: 10001, retMsg: 'error:topic blocked' } } });
    const linear = await tap('/v5/public/linear');
    const a = await linear.c.request(
      { op: 'subscribe', req_id: 7, args: ['tickers.BTCUSDT'] },
      isAck('subscribe', 7),
    );
    expect(a).toEqual({
      success: false,
      ret_msg: 'error:topic blocked',
      conn_id: a.conn_id,
      req_id: 7,
      op: 'subscribe',
    });
    const spot = await tap('/v5/public/spot');
    const b = await spot.c.request({ op: 'subscribe', args: ['tickers.BTCUSDT'] }, isAck('subscribe'));
    expect(b).toEqual({
      success: false,
      ret_msg: 'error:topic blocked',
      conn_id: b.conn_id,
      op: 'subscribe',
    });
    const option = await tap('/v5/public/option');
    const o = await option.c.request(
      { op: 'subscribe', req_id: 'o', args: ['tickers.BTC-30JAN26-50000-C'] },
      (f) => f.type === 'COMMAND_RESP',
    );
    expect(o).toEqual({
      success: false,
      conn_id: o.conn_id,
      data: { failTopics: ['tickers.BTC-30JAN26-50000-C'], successTopics: [] },
      type: 'COMMAND_RESP',
    });
    const { client: priv } = await openAuthed(ex, '/v5/private');
    const p = await priv.request({ op: 'subscribe', req_id: 'p', args: ['order'] }, isAck('subscribe', 'p'));
    expect(p).toEqual({
      success: false,
      ret_msg: 'error:topic blocked',
      op: 'subscribe',
      conn_id: p.conn_id,
      req_id: 'p',
    });
    advance(2000);
    expect((await linear.c.sync()).filter((f) => f.topic)).toEqual([]);
    expect((await spot.c.sync()).filter((f) => f.topic)).toEqual([]);
    expect(
      await admin('POST', '/events/private', { account: 'main', topic: 'order', data: [{ n: 1 }] }),
    ).toEqual({
      status: 200,
      body: { delivered: 0 },
    });
  });

  test('error on /v5/trade order.create: the reply carries the retCode and header; no order is placed', async () => {
    const { client } = await openAuthed(ex, '/v5/trade');
    await addFault({
      id: 'create-down',
      op: 'order.*',
      stream: '/v5/trade',
      times: 1,
      effect: { error: { retCode: 10016, retMsg: 'Server Timeout' } },
    });
    const order = {
      category: 'linear',
      symbol: 'BTCUSDT',
      side: 'Buy',
      orderType: 'Limit',
      qty: '0.001',
      price: '40000',
    };
    const req = (reqId: string) => ({
      op: 'order.create',
      reqId,
      header: { 'X-BAPI-TIMESTAMP': String(ex.clock.now()) },
      args: [order],
    });
    const r = await client.request(req('o1'), (f) => f.reqId === 'o1');
    expect(r).toEqual({
      reqId: 'o1',
      retCode: 10016,
      retMsg: 'Server Timeout',
      op: 'order.create',
      data: {},
      retExtInfo: {},
      header: { Traceid: expect.any(String), Timenow: String(ex.clock.now()) },
      connId: r.connId,
    });
    const open = await getSigned(ex, '/v5/order/realtime', 'category=linear&symbol=BTCUSDT');
    expect(open.body.result.list).toEqual([]);
    const ok = await client.request(req('o2'), (f) => f.reqId === 'o2');
    expect(ok.retCode).toBe(0);
    const creates = await journal('op=order.create');
    expect(creates.find((e) => e.fault === 'create-down')).toMatchObject({ retCode: 10016, account: 'main' });
  });

  test('error on other ops: /v5/trade answers in its own envelope, public streams with an error frame', async () => {
    await addFault({ op: 'ping', effect: { error: { retCode: 10016, retMsg: 'error:busy' } } });
    await addFault({
      op: 'subscribe',
      stream: 'trade',
      effect: { error: { retCode: 10001, retMsg: 'nope' } },
    });
    const { client: t } = await openAuthed(ex, '/v5/trade');
    const ping = await t.request({ op: 'ping', reqId: 'p' }, (f) => f.reqId === 'p');
    expect(ping).toEqual({
      reqId: 'p',
      retCode: 10016,
      retMsg: 'error:busy',
      op: 'ping',
      data: {},
      connId: ping.connId,
    });
    const sub = await t.request({ op: 'subscribe', reqId: 's', args: ['order'] }, (f) => f.reqId === 's');
    expect(sub).toEqual({
      reqId: 's',
      retCode: 10001,
      retMsg: 'nope',
      op: 'subscribe',
      data: {},
      connId: sub.connId,
    });
    const linear = await tap('/v5/public/linear');
    const lp = await linear.c.request({ op: 'ping', req_id: 'lp' }, isAck('ping', 'lp'));
    expect(lp).toEqual({
      success: false,
      ret_msg: 'error:busy',
      conn_id: lp.conn_id,
      req_id: 'lp',
      op: 'ping',
    });
  });

  test('account on an auth fault: matches the key being authenticated', async () => {
    await addFault({
      op: 'auth',
      account: 'other',
      effect: { error: { retCode: 10003, retMsg: 'API key is invalid.' } },
    });
    const main = await openAuthed(ex, '/v5/private');
    expect(main.reply.success).toBe(true);
    const other = await openAuthed(ex, '/v5/private', { key: OTHER_KEY, secret: OTHER_SECRET });
    expect(other.reply).toMatchObject({ success: false, ret_msg: 'API key is invalid.' });
  });

  test('an op fault on one stream spares the other streams', async () => {
    await addFault({ op: 'ping', stream: 'spot', effect: { drop: true } });
    const linear = await tap('/v5/public/linear');
    const pong = await linear.c.request({ op: 'ping', req_id: 'x' }, isAck('ping', 'x'));
    expect(pong.ret_msg).toBe('pong');
    const spot = await tap('/v5/public/spot');
    spot.c.send({ op: 'ping', req_id: 'y' });
    await subscribe(spot, ['tickers.BTCUSDT']);
    expect(spot.c.frames.some((f) => f.op === 'ping')).toBe(false);
  });
});

// ---- the connection ---------------------------------------------------------------------------------

describe('the connection', () => {
  test('close with an op target: on that request, with the code and reason; the request is not answered', async () => {
    await addFault({
      id: 'kick',
      op: 'subscribe',
      stream: 'spot',
      effect: { close: { code: 4001, reason: 'go away' } },
    });
    const t = await tap('/v5/public/spot');
    t.c.send({ op: 'subscribe', req_id: 'x', args: ['tickers.BTCUSDT'] });
    expect(await closeOf(t.c)).toEqual({ code: 4001, reason: 'go away' });
    expect(t.c.frames).toEqual([]);
    expect((await admin('GET', '/connections')).body.connections).toEqual([]);
    expect((await journal('op=subscribe'))[0]).toMatchObject({ fault: 'kick', path: '/v5/public/spot' });

    // Default code 1000 and a reason naming the fault.
    await admin('DELETE', '/faults/kick');
    await addFault({ id: 'bye', op: 'ping', effect: { close: {} } });
    const u = await tap('/v5/public/linear');
    u.c.send({ op: 'ping' });
    expect(await closeOf(u.c)).toEqual({ code: 1000, reason: 'closed by fault bye' });
  });

  test('terminate with a topic target: on that frame, no close frame (1006)', async () => {
    await addFault({ topic: 'tickers.BTCUSDT', stream: 'linear', effect: { terminate: true } });
    const t = await tap('/v5/public/linear');
    const ack = await t.c.request(
      { op: 'subscribe', req_id: 1, args: ['tickers.BTCUSDT'] },
      isAck('subscribe', 1),
    );
    expect(ack.success).toBe(true);
    // The snapshot is the first frame of the topic: it triggers the fault and is not sent.
    expect((await closeOf(t.c)).code).toBe(1006);
    expect(t.c.frames.filter((f) => f.topic)).toEqual([]);
  });

  test('close with only a stream: triggered by a frame out as well as by a request in', async () => {
    const p = await privateTap(['order']);
    await addFault({ stream: 'private', times: 1, effect: { close: { code: 4003, reason: 'out' } } });
    await push('main', 'order', 1);
    expect(await closeOf(p.c)).toEqual({ code: 4003, reason: 'out' });
    expect(pushed(p)).toEqual([]);

    await addFault({ stream: '/v5/private', times: 1, effect: { close: { code: 4004, reason: 'in' } } });
    const q = await tap('/v5/private');
    q.c.send(authFrame(ex));
    expect(await closeOf(q.c)).toEqual({ code: 4004, reason: 'in' });
  });

  test('a connection closed by a fault spends no more of it: the rest of the update goes nowhere', async () => {
    const a = await privateTap(['order', 'execution', 'position', 'wallet']);
    const b = await privateTap(['order', 'execution', 'position', 'wallet']);
    await addFault({
      id: 'cut',
      stream: 'private',
      times: 2,
      effect: { close: { code: 4005, reason: 'cut' } },
    });
    // One market order: several frames to each of main's two connections.
    const order = await postSigned(ex, '/v5/order/create', {
      category: 'linear',
      symbol: 'BTCUSDT',
      side: 'Buy',
      orderType: 'Market',
      qty: '0.01',
    });
    expect(order.body.retCode, order.text).toBe(0);
    expect(await closeOf(a.c)).toEqual({ code: 4005, reason: 'cut' });
    expect(await closeOf(b.c)).toEqual({ code: 4005, reason: 'cut' });
    expect(await faultNamed('cut')).toMatchObject({ hits: 2, remaining: 0 });
  });

  test('mute: half-dead, open but answering nothing (JSON ping, protocol ping) and pushing nothing', async () => {
    const t = await tap('/v5/public/linear');
    await subscribe(t, ['tickers.BTCUSDT']);
    expect(await protocolPong(t.c)).toBe(true);
    await addFault({ id: 'zombie', stream: 'linear', times: 1, effect: { mute: true } });
    const before = t.raw.length;
    t.c.send({ op: 'ping', req_id: 'p' });
    // The ping muted it; the pong, a protocol pong, later acks and ticks never come.
    expect(await protocolPong(t.c)).toBe(false);
    t.c.send({ op: 'subscribe', req_id: 's', args: ['orderbook.1.BTCUSDT'] });
    advance(3000);
    await new Promise((r) => setTimeout(r, 100));
    expect(t.raw.length).toBe(before);
    expect(t.c.isOpen).toBe(true);
    const conns = (await admin('GET', '/connections')).body.connections as Json[];
    expect(conns).toHaveLength(1);
    expect(conns[0]).toMatchObject({ stream: 'linear', subscriptions: ['tickers.BTCUSDT'] });
    // The fault was spent on that connection: a new one is healthy.
    const fresh = await tap('/v5/public/linear');
    await subscribe(fresh, ['tickers.BTCUSDT']);
    expect(await protocolPong(fresh.c)).toBe(true);
    expect((await faultNamed('zombie')).hits).toBe(1);

    // After the idle limit the daemon drops it without a close frame (a half-dead link could not
    // carry one); the healthy connection, which keeps getting data, stays.
    advance(600_000);
    expect((await closeOf(t.c)).code).toBe(1006);
    expect(fresh.c.isOpen).toBe(true);
  });

  test('refuse: the handshake gets the HTTP status (default 503); other streams and later attempts connect', async () => {
    await addFault({ stream: '/v5/public/spot', times: 1, effect: { refuse: { httpStatus: 429 } } });
    const linear = await upgradeStatus('/v5/public/linear');
    expect(linear.status).toBe(101);
    const refused = await upgradeStatus('/v5/public/spot');
    expect(refused.status).toBe(429);
    expect(refused.body).toMatch(/refused by fault fault-\d+/);
    expect((await upgradeStatus('/v5/public/spot')).status).toBe(101);

    await addFault({ id: 'no-private', stream: 'private', effect: { refuse: {} } });
    expect((await upgradeStatus('/v5/private')).status).toBe(503);
    expect((await upgradeStatus('/v5/private')).status).toBe(503);
    expect((await upgradeStatus('/v5/trade')).status).toBe(101);
    await admin('DELETE', '/faults/no-private');
    expect((await upgradeStatus('/v5/private')).status).toBe(101);
  });
});

// ---- probability and lifetimes ----------------------------------------------------------------------

describe('probability and lifetimes', () => {
  test('probability is seeded: two daemons with the same seed and traffic drop the same frames', async () => {
    const twin = await startTestExchange({ scenario: { yaml: YAML, name: 'faults-ws-twin' } });
    try {
      const run = async (x: RunningExchange) => {
        await addFault({ topic: 'orderbook.*', probability: 0.5, effect: { drop: true } }, x);
        const t = await tap('/v5/public/linear', x);
        const ack = await t.c.request(
          { op: 'subscribe', req_id: 1, args: [BOOK, 'tickers.BTCUSDT'] },
          isAck('subscribe', 1),
        );
        expect(ack.success).toBe(true);
        for (let i = 0; i < 12; i++) {
          advance(1000, x);
          await t.c.sync();
        }
        return { book: texts(t, BOOK), tickers: texts(t, 'tickers.BTCUSDT') };
      };
      const a = await run(ex);
      const b = await run(twin);
      expect(a.book).toEqual(b.book);
      expect(a.tickers).toEqual(b.tickers);
      const u = a.book.map((s) => JSON.parse(s).data.u as number);
      const steps = u.slice(1).map((x, i) => x - u[i]!);
      // Some deltas came through, some were dropped (u jumps).
      expect(a.book.length).toBeGreaterThanOrEqual(3);
      expect(steps.some((s) => s > 1)).toBe(true);
      expect(a.tickers.length).toBeGreaterThanOrEqual(12);
    } finally {
      await twin.close();
    }
  });

  test('times: applies that many times, then GET /faults shows it spent', async () => {
    const p = await privateTap(['order']);
    await addFault({ id: 'two', topic: 'order', times: 2, effect: { drop: true } });
    for (let n = 1; n <= 4; n++) await push('main', 'order', n);
    await p.c.sync();
    expect(pushed(p)).toEqual([3, 4]);
    expect(await faultNamed('two')).toMatchObject({ times: 2, remaining: 0, hits: 2 });
  });

  test('for: applies for a duration of daemon time from when it was added', async () => {
    const p = await privateTap(['order']);
    advance(1000);
    const f = await addFault({ id: 'window', topic: 'order', for: '3s', effect: { drop: true } });
    expect(f.until).toBe(ex.clock.now() + 3000);
    await push('main', 'order', 1);
    advance(2999);
    await push('main', 'order', 2);
    advance(1);
    await push('main', 'order', 3);
    await p.c.sync();
    expect(pushed(p)).toEqual([3]);
    expect((await faultNamed('window')).hits).toBe(2);
  });

  test('the newest fault is asked first; a fault that loses its draw lets the next one try', async () => {
    const p = await privateTap(['order']);
    await addFault({ id: 'old', topic: 'order', times: 1, effect: { duplicate: true } });
    await addFault({ id: 'new', topic: 'order', times: 1, effect: { drop: true } });
    await push('main', 'order', 1);
    await push('main', 'order', 2);
    await push('main', 'order', 3);
    await p.c.sync();
    expect(pushed(p)).toEqual([2, 2, 3]);
    await addFault({ id: 'never', topic: 'order', probability: 0, effect: { drop: true } });
    await addFault({ id: 'dup', topic: 'order', times: 1, effect: { duplicate: true } });
    await admin('DELETE', '/faults/dup');
    await push('main', 'order', 4);
    await p.c.sync();
    expect(pushed(p)).toEqual([2, 2, 3, 4]);
    expect((await faultNamed('never')).hits).toBe(0);
  });
});

// ---- admin ------------------------------------------------------------------------------------------

describe('admin', () => {
  test.each([
    [
      { topic: 'tickers.*', op: 'ping', effect: { drop: true } },
      'targets a topic (frames out) or an op (requests in), not both',
    ],
    [
      { stream: 'futures', effect: { drop: true } },
      'stream must be a WebSocket path or one of linear, spot, option, inverse, private, trade',
    ],
    [
      { op: 'auth', effect: { gap: true } },
      'effect.gap changes frames pushed to the client: target a topic or stream, not an op',
    ],
    [
      { topic: 'tickers.*', effect: { staleSnapshot: true } },
      'gap and staleSnapshot apply to orderbook topics',
    ],
    [
      { stream: 'linear', effect: { drop: true, duplicate: true } },
      'a WebSocket fault has one effect (got drop, duplicate)',
    ],
    [{ stream: 'linear', effect: {} }, 'effect is empty'],
    [
      { stream: 'linear', effect: { error: { retCode: 10001, retMsg: 'x' } } },
      'effect.error answers a request: give the op it answers',
    ],
    [
      { op: 'auth', effect: { error: { retCode: 0, retMsg: 'x' } } },
      'effect.error needs {retCode (not 0), retMsg}',
    ],
    [{ op: 'auth', effect: { error: { httpStatus: 500 } } }, 'effect.error needs {retCode (not 0), retMsg}'],
    [
      { stream: 'linear', effect: { close: { code: 1006 } } },
      'effect.close.code must be a close code a server may send',
    ],
    [
      { stream: 'linear', effect: { close: { reason: 'x'.repeat(124) } } },
      'effect.close.reason must be a string of at most 123 bytes',
    ],
    [{ stream: 'linear', effect: { close: 'now' } }, 'effect.close must be an object {code?, reason?}'],
    [
      { op: 'auth', effect: { refuse: {} } },
      'effect.refuse applies at the handshake: target a stream, not a topic or op',
    ],
    [
      { stream: 'spot', effect: { refuse: { httpStatus: 200 } } },
      'effect.refuse must be {httpStatus?: 400-599}',
    ],
    [
      { stream: 'spot', account: 'main', effect: { refuse: {} } },
      'effect.refuse applies at the handshake, before any auth: it cannot target an account',
    ],
    [
      { stream: '/v5/private', effect: { gap: true } },
      'gap and staleSnapshot apply to orderbook topics, on the public streams',
    ],
    [
      { stream: 'linear', path: '/v5/market/time', effect: { drop: true } },
      'path is for REST faults; WebSocket faults take stream, topic or op',
    ],
    [
      { stream: 'linear', effect: { delayMs: [500, 100] } },
      'effect.delayMs must be ms (0 to 10 minutes), [min, max] or {median, p99, max?}',
    ],
    [
      { stream: 'linear', effect: { delayMs: 600_001 } },
      'effect.delayMs must be ms (0 to 10 minutes), [min, max] or {median, p99, max?}',
    ],
    [{ stream: 'linear', effect: { mute: 'yes' } }, 'effect.mute must be true'],
    [{ stream: 'linear', effect: { latencyMs: 5 } }, 'effect.latencyMs is not a WebSocket effect'],
    [{ topic: '', effect: { drop: true } }, 'topic must be a topic glob such as "orderbook.*.BTCUSDT"'],
    [{ op: 5, effect: { drop: true } }, 'op must be an op glob such as "auth", "ping" or "order.*"'],
    [
      { stream: 'linear', for: 'soon', effect: { drop: true } },
      'for must be a duration such as "30s", got "soon"',
    ],
    [{ stream: 'linear', times: 0, effect: { drop: true } }, 'times must be a whole number >= 1'],
    [
      { stream: 'linear', probability: -0.1, effect: { drop: true } },
      'probability must be a number from 0 to 1',
    ],
    [{ stream: 'linear', account: 7, effect: { drop: true } }, 'account must be a string'],
    [{ stream: 'linear', id: 'no spaces', effect: { drop: true } }, 'id must be 1-64 letters'],
    [{ stream: 'linear', effects: { drop: true } }, 'unknown key "effects"'],
  ])('POST /faults %j: 400 bad_fault saying %s', async (spec, says) => {
    const r = await admin('POST', '/faults', spec);
    expect(r.status).toBe(400);
    expect(r.body.error).toBe('bad_fault');
    expect(r.body.message).toContain(says);
    expect(r.body.message).toMatch(/^The fault is invalid: /);
    expect((await admin('GET', '/faults')).body.faults).toEqual([]);
  });

  test('every problem is listed at once; a duplicate id is 409; an unknown id is 404', async () => {
    const r = await admin('POST', '/faults', {
      stream: 'nope',
      probability: 3,
      effect: { drop: true, mute: true },
    });
    expect(r.status).toBe(400);
    expect(r.body.message).toContain('stream must be');
    expect(r.body.message).toContain('probability must be');
    expect(r.body.message).toContain('one effect');
    await addFault({ id: 'x', stream: 'linear', effect: { drop: true } });
    const dup = await admin('POST', '/faults', { id: 'x', op: 'ping', effect: { drop: true } });
    expect(dup.status).toBe(409);
    expect(dup.body.error).toBe('fault_exists');
    expect((await admin('DELETE', '/faults/y')).status).toBe(404);
  });

  test('POST /faults/reset and POST /reset remove added WebSocket faults', async () => {
    await addFault({ id: 'a', op: 'ping', effect: { drop: true } });
    await addFault({ id: 'b', stream: 'spot', effect: { refuse: {} } });
    expect((await admin('GET', '/faults')).body.faults.map((f: Json) => f.id)).toEqual(['b', 'a']);
    expect((await admin('POST', '/faults/reset')).body).toEqual({ faults: [] });
    const t = await tap('/v5/public/linear');
    expect((await t.c.request({ op: 'ping', req_id: 'p' }, isAck('ping', 'p'))).ret_msg).toBe('pong');
    expect((await upgradeStatus('/v5/public/spot')).status).toBe(101);

    await addFault({ id: 'c', op: 'ping', effect: { drop: true } });
    expect((await admin('POST', '/reset')).status).toBe(200);
    expect((await admin('GET', '/faults')).body.faults).toEqual([]);
    const u = await tap('/v5/public/linear');
    expect((await u.c.request({ op: 'ping', req_id: 'q' }, isAck('ping', 'q'))).ret_msg).toBe('pong');
  });

  test('GET /faults shows a WebSocket fault with its target, lifetime and counters', async () => {
    advance(500);
    const f = await addFault({
      id: 'shape',
      stream: 'private',
      topic: 'order',
      account: 'main',
      probability: 0.25,
      times: 3,
      for: '1m',
      effect: { delayMs: [10, 20] },
    });
    expect(f).toEqual({
      id: 'shape',
      transport: 'ws',
      stream: 'private',
      topic: 'order',
      op: null,
      account: 'main',
      effect: { delayMs: [10, 20] },
      probability: 0.25,
      times: 3,
      remaining: 3,
      until: ex.clock.now() + 60_000,
      hits: 0,
      source: 'admin',
    });
    expect((await admin('GET', '/faults')).body.faults).toEqual([f]);
  });
});
