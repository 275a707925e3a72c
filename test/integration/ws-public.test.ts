/**
 * Public WebSocket streams over a raw `ws` client on a manual clock: ack and pong shapes per
 * stream, refused requests, and the market feeds checked against REST at the same moment.
 * @see ../shared/reference/bybit-v5-facts.md §8.1-8.3, §8.5, §8.6;
 *      ../shared/reference/client-call-patterns.md §4.1, §4.3, §4.5, §6.1, §6.2
 */
import { afterAll, beforeAll, beforeEach, describe, expect, test } from 'vitest';
import { WebSocket } from 'ws';
import type { ManualClock } from '../../src/core/clock.js';
import type { RunningExchange } from '../../src/runtime/start-exchange.js';
import {
  MANUAL_CLOCK_START,
  getPublic,
  getSigned,
  manualScenarioYaml,
  postSigned,
  startTestExchange,
} from '../support/server.js';
import { WAIT_MS, WsClient, type Json } from '../support/ws.js';

let ex: RunningExchange;
/** The same market with a still price and no simulated trades: the top of book rarely moves. */
let quiet: RunningExchange;

beforeAll(async () => {
  ex = await startTestExchange({ scenario: { yaml: manualScenarioYaml(), name: 'ws-public' } });
  quiet = await startTestExchange({
    scenario: {
      yaml: manualScenarioYaml().replace('volatility: 0.5', 'volatility: 0, tradesPerTick: 0'),
      name: 'ws-public-quiet',
    },
  });
});

afterAll(async () => {
  await ex?.close();
  await quiet?.close();
});

// Every test starts from the scenario (clock at its start); a reset also closes old sockets.
beforeEach(() => {
  ex.reset();
  quiet.reset();
});

const CONN_ID = /^[0-9a-v]{20}-[0-9a-v]{5}$/;

function advance(x: RunningExchange, ms: number): void {
  (x.clock as ManualClock).advance(ms);
}

const open = (path: string, x: RunningExchange = ex) => WsClient.open(x, path);

/** The ack (or failure) of a subscribe/unsubscribe request, by op and echoed req_id. */
const ackOf = (op: string, reqId?: unknown) => (f: Json) =>
  f?.op === op && (reqId === undefined || f.req_id === reqId);

// ---- acks and pongs -----------------------------------------------------------------------------

describe('acks and pongs', () => {
  test('linear: subscribe ack echoes a string req_id, an integer req_id, and "" when absent', async () => {
    const c = await open('/v5/public/linear');
    const a1 = await c.request(
      { req_id: 'tickers.BTCUSDT', op: 'subscribe', args: ['tickers.BTCUSDT'] },
      ackOf('subscribe'),
    );
    expect(a1).toEqual({
      success: true,
      ret_msg: '',
      conn_id: a1.conn_id,
      req_id: 'tickers.BTCUSDT',
      op: 'subscribe',
    });
    expect(a1.conn_id).toMatch(CONN_ID);
    const a2 = await c.request(
      { op: 'subscribe', req_id: 3, args: ['orderbook.50.BTCUSDT'] },
      ackOf('subscribe'),
    );
    expect(a2).toEqual({ success: true, ret_msg: '', conn_id: a1.conn_id, req_id: 3, op: 'subscribe' });
    const a3 = await c.request({ op: 'subscribe', args: ['publicTrade.BTCUSDT'] }, ackOf('subscribe'));
    expect(a3).toEqual({ success: true, ret_msg: '', conn_id: a1.conn_id, req_id: '', op: 'subscribe' });
    const u1 = await c.request(
      { op: 'unsubscribe', req_id: 15, args: ['tickers.BTCUSDT'] },
      ackOf('unsubscribe'),
    );
    expect(u1).toEqual({ success: true, ret_msg: '', conn_id: a1.conn_id, req_id: 15, op: 'unsubscribe' });
    const u2 = await c.request({ op: 'unsubscribe', args: ['publicTrade.BTCUSDT'] }, ackOf('unsubscribe'));
    expect(u2).toEqual({ success: true, ret_msg: '', conn_id: a1.conn_id, req_id: '', op: 'unsubscribe' });
  });

  test('linear: pong is op "ping" with ret_msg "pong", req_id echoed or ""', async () => {
    const c = await open('/v5/public/linear');
    const p1 = await c.request({ op: 'ping' }, ackOf('ping'));
    expect(p1).toEqual({ success: true, ret_msg: 'pong', conn_id: p1.conn_id, req_id: '', op: 'ping' });
    expect(p1.conn_id).toMatch(CONN_ID);
    const p2 = await c.request({ op: 'ping', req_id: 'ping-pp' }, ackOf('ping'));
    expect(p2).toEqual({
      success: true,
      ret_msg: 'pong',
      conn_id: p1.conn_id,
      req_id: 'ping-pp',
      op: 'ping',
    });
    const p3 = await c.request({ req_id: 42, op: 'ping' }, ackOf('ping'));
    expect(p3).toEqual({ success: true, ret_msg: 'pong', conn_id: p1.conn_id, req_id: 42, op: 'ping' });
  });

  test('spot: ack has ret_msg "subscribe" and carries req_id only when sent', async () => {
    const c = await open('/v5/public/spot');
    const a1 = await c.request(
      { req_id: '10001', op: 'subscribe', args: ['tickers.BTCUSDT'] },
      ackOf('subscribe'),
    );
    expect(a1).toEqual({
      success: true,
      ret_msg: 'subscribe',
      conn_id: a1.conn_id,
      req_id: '10001',
      op: 'subscribe',
    });
    expect(a1.conn_id).toMatch(CONN_ID);
    const a2 = await c.request(
      { op: 'subscribe', req_id: 2, args: ['orderbook.50.BTCUSDT'] },
      ackOf('subscribe'),
    );
    expect(a2).toEqual({
      success: true,
      ret_msg: 'subscribe',
      conn_id: a1.conn_id,
      req_id: 2,
      op: 'subscribe',
    });
    const a3 = await c.request({ op: 'subscribe', args: ['publicTrade.BTCUSDT'] }, ackOf('subscribe'));
    expect(a3).toEqual({ success: true, ret_msg: 'subscribe', conn_id: a1.conn_id, op: 'subscribe' });
    const u = await c.request(
      { op: 'unsubscribe', req_id: 'u1', args: ['tickers.BTCUSDT'] },
      ackOf('unsubscribe'),
    );
    expect(u).toMatchObject({ success: true, conn_id: a1.conn_id, req_id: 'u1', op: 'unsubscribe' });
  });

  test('spot: pong is op "ping" with ret_msg "pong", req_id only when sent', async () => {
    const c = await open('/v5/public/spot');
    const p1 = await c.request({ op: 'ping' }, ackOf('ping'));
    expect(p1).toEqual({ success: true, ret_msg: 'pong', conn_id: p1.conn_id, op: 'ping' });
    const p2 = await c.request({ op: 'ping', req_id: 'x' }, ackOf('ping'));
    expect(p2).toEqual({ success: true, ret_msg: 'pong', conn_id: p1.conn_id, req_id: 'x', op: 'ping' });
    const p3 = await c.request({ op: 'ping', req_id: 9 }, ackOf('ping'));
    expect(p3).toEqual({ success: true, ret_msg: 'pong', conn_id: p1.conn_id, req_id: 9, op: 'ping' });
  });

  test('option: COMMAND_RESP acks and an op "pong" frame carrying the server time', async () => {
    const c = await open('/v5/public/option');
    const isResp = (f: Json) => f?.type === 'COMMAND_RESP';
    // No option is listed, so a subscribe is refused, in the option shape.
    const refused = await c.request(
      { op: 'subscribe', req_id: 1, args: ['orderbook.25.BTC-30JAN26-50000-C'] },
      isResp,
    );
    expect(refused).toEqual({
      success: false,
      conn_id: refused.conn_id,
      data: { failTopics: ['orderbook.25.BTC-30JAN26-50000-C'], successTopics: [] },
      type: 'COMMAND_RESP',
    });
    expect(refused.conn_id).toMatch(CONN_ID);
    const un = await c.request({ op: 'unsubscribe', args: ['orderbook.25.BTC-30JAN26-50000-C'] }, isResp);
    expect(un).toMatchObject({ success: true, conn_id: refused.conn_id, type: 'COMMAND_RESP' });
    expect(un.data.failTopics).toEqual([]);
    const pong = await c.request({ op: 'ping', req_id: 5 }, (f) => f?.op === 'pong');
    expect(pong).toEqual({ args: [String(MANUAL_CLOCK_START)], op: 'pong' });
    advance(ex, 1234);
    const pong2 = await c.request({ op: 'ping' }, (f) => f?.op === 'pong');
    expect(pong2).toEqual({ args: [String(MANUAL_CLOCK_START + 1234)], op: 'pong' });
  });

  test('each connection has its own conn_id', async () => {
    const a = await open('/v5/public/linear');
    const b = await open('/v5/public/linear');
    const pa = await a.request({ op: 'ping' }, ackOf('ping'));
    const pb = await b.request({ op: 'ping' }, ackOf('ping'));
    expect(pa.conn_id).not.toBe(pb.conn_id);
  });
});

// ---- refused requests -------------------------------------------------------------------------------

describe('refused requests', () => {
  async function expectRefused(path: string, topics: string[], named: string): Promise<WsClient> {
    const c = await open(path);
    const ack = await c.request({ op: 'subscribe', req_id: 'e1', args: topics }, ackOf('subscribe', 'e1'));
    expect(ack.success).toBe(false);
    expect(ack.ret_msg).toBe(`error:handler not found,topic:${named}`);
    expect(ack.conn_id).toMatch(CONN_ID);
    return c;
  }

  test.each([
    ['an unknown topic', 'foo.BTCUSDT'],
    ['an unlisted symbol', 'orderbook.50.NOPEUSDT'],
    ['a lowercase symbol', 'orderbook.50.btcusdt'],
    ['depth 500 (offline since 2025)', 'orderbook.500.BTCUSDT'],
    ['depth 30', 'orderbook.30.BTCUSDT'],
    ['an unknown kline interval', 'kline.7.BTCUSDT'],
    ['a private topic', 'order'],
    ['a private topic (categorised)', 'execution.linear'],
  ])('linear: %s → handler not found', async (_what, topic) => {
    const c = await expectRefused('/v5/public/linear', [topic], topic);
    // The socket stays usable.
    await c.sync();
    expect(c.isOpen).toBe(true);
  });

  test('spot: a private topic and an unlisted symbol are refused', async () => {
    await expectRefused('/v5/public/spot', ['wallet'], 'wallet');
    await expectRefused('/v5/public/spot', ['tickers.ETHUSDT'], 'tickers.ETHUSDT');
  });

  test('a request is refused as a whole, naming the first bad topic; nothing is subscribed', async () => {
    const c = await expectRefused(
      '/v5/public/linear',
      ['tickers.BTCUSDT', 'orderbook.30.BTCUSDT', 'orderbook.7.BTCUSDT'],
      'orderbook.30.BTCUSDT',
    );
    // No ticker snapshot came, and subscribing the good topic now succeeds.
    expect((await c.sync()).filter((f) => f.topic)).toEqual([]);
    const ok = await c.request(
      { op: 'subscribe', req_id: 'ok', args: ['tickers.BTCUSDT'] },
      ackOf('subscribe', 'ok'),
    );
    expect(ok.success).toBe(true);
    const snap = await c.next((f) => f.topic === 'tickers.BTCUSDT');
    expect(snap.type).toBe('snapshot');
  });

  test('already subscribed → refused, first subscription kept', async () => {
    const c = await open('/v5/public/linear');
    await c.request({ op: 'subscribe', req_id: 'a', args: ['orderbook.1.BTCUSDT'] }, ackOf('subscribe', 'a'));
    const again = await c.request(
      { op: 'subscribe', req_id: 'e6', args: ['tickers.BTCUSDT', 'orderbook.1.BTCUSDT'] },
      ackOf('subscribe', 'e6'),
    );
    expect(again).toEqual({
      success: false,
      ret_msg: 'error:already subscribed,topic:orderbook.1.BTCUSDT',
      conn_id: again.conn_id,
      req_id: 'e6',
      op: 'subscribe',
    });
    // tickers was not subscribed by the refused request.
    expect((await c.sync()).filter((f) => f.topic === 'tickers.BTCUSDT')).toEqual([]);
    advance(ex, 1000);
    const frames = await c.sync();
    expect(frames.some((f) => f.topic === 'orderbook.1.BTCUSDT')).toBe(true);
    expect(frames.some((f) => f.topic === 'tickers.BTCUSDT')).toBe(false);
  });

  test('spot: more than 10 args in one request is refused; 10 are accepted', async () => {
    const c = await open('/v5/public/spot');
    const eleven = [
      'orderbook.1.BTCUSDT',
      'orderbook.50.BTCUSDT',
      'orderbook.200.BTCUSDT',
      'orderbook.1000.BTCUSDT',
      'tickers.BTCUSDT',
      'publicTrade.BTCUSDT',
      'kline.1.BTCUSDT',
      'kline.3.BTCUSDT',
      'kline.5.BTCUSDT',
      'kline.15.BTCUSDT',
      'kline.30.BTCUSDT',
    ];
    const refused = await c.request(
      { op: 'subscribe', req_id: 'big', args: eleven },
      ackOf('subscribe', 'big'),
    );
    expect(refused.success).toBe(false);
    expect(refused.ret_msg).toMatch(/10/);
    expect((await c.sync()).filter((f) => f.topic)).toEqual([]);
    const ten = await c.request(
      { op: 'subscribe', req_id: 'ten', args: eleven.slice(0, 10) },
      ackOf('subscribe', 'ten'),
    );
    expect(ten.success).toBe(true);
  });

  test('linear has no per-request args limit', async () => {
    const c = await open('/v5/public/linear');
    const topics = ['1', '3', '5', '15', '30', '60', '120', '240', '360', '720', 'D', 'W', 'M'].map(
      (i) => `kline.${i}.BTCUSDT`,
    );
    const ack = await c.request({ op: 'subscribe', req_id: 'k', args: topics }, ackOf('subscribe', 'k'));
    expect(ack.success).toBe(true);
  });

  test('unsubscribing a topic that was never subscribed is acknowledged', async () => {
    const c = await open('/v5/public/linear');
    const ack = await c.request(
      { op: 'unsubscribe', req_id: 15, args: ['orderbook.500.BTCUSDT'] },
      ackOf('unsubscribe', 15),
    );
    expect(ack).toEqual({ success: true, ret_msg: '', conn_id: ack.conn_id, req_id: 15, op: 'unsubscribe' });
  });

  test('an unknown op → error:invalid op, the socket stays open', async () => {
    const c = await open('/v5/public/linear');
    const r = await c.request({ op: 'subscribez', req_id: 'x', args: [] }, (f) => f?.success === false);
    expect(r).toEqual({
      success: false,
      ret_msg: 'error:invalid op',
      conn_id: r.conn_id,
      req_id: 'x',
      op: 'subscribez',
    });
    const s = await open('/v5/public/spot');
    const r2 = await s.request({ op: 'auth', args: [] }, (f) => f?.success === false);
    expect(r2).toMatchObject({ success: false, ret_msg: 'error:invalid op', op: 'auth' });
    await c.sync();
    await s.sync();
  });

  test('non-JSON text → "Failed to decode incoming data", the socket stays open and usable', async () => {
    for (const path of ['/v5/public/linear', '/v5/public/spot', '/v5/public/option']) {
      const c = await open(path);
      const r = await c.request('hello', (f) => f?.success === false);
      expect(r.ret_msg).toMatch(/^Failed to decode incoming data/);
      const r2 = await c.request('[1,2]', (f) => f?.success === false);
      expect(r2.ret_msg).toMatch(/^Failed to decode incoming data/);
      await c.sync();
      expect(c.isOpen).toBe(true);
    }
    const c = await open('/v5/public/linear');
    c.send('{"op":');
    const ack = await c.request(
      { op: 'subscribe', req_id: 'after', args: ['tickers.BTCUSDT'] },
      ackOf('subscribe', 'after'),
    );
    expect(ack.success).toBe(true);
  });

  test('an unknown path is refused at the upgrade with HTTP 404', async () => {
    for (const path of ['/v5/public/nope', '/v5/public', '/realtime', '/v5/private/x']) {
      const ws = new WebSocket(ex.wsUrl + path);
      const status = await new Promise<number | undefined>((resolve) => {
        ws.on('unexpected-response', (_req, res) => {
          resolve(res.statusCode);
          ws.terminate();
        });
        ws.on('open', () => resolve(undefined));
        ws.on('error', () => resolve(-1));
      });
      expect(status, path).toBe(404);
    }
  });
});

// ---- orderbook --------------------------------------------------------------------------------------------

type Book = { b: Map<string, string>; a: Map<string, string> };

function apply(book: Book, frame: Json): void {
  if (frame.type === 'snapshot') {
    book.b.clear();
    book.a.clear();
  }
  for (const [side, rows] of [
    [book.b, frame.data.b],
    [book.a, frame.data.a],
  ] as [Map<string, string>, [string, string][]][]) {
    for (const [p, s] of rows) {
      if (Number(s) === 0) side.delete(p);
      else side.set(p, s);
    }
  }
}

function levels(book: Book): { b: [string, string][]; a: [string, string][] } {
  return {
    b: [...book.b].sort((x, y) => Number(y[0]) - Number(x[0])),
    a: [...book.a].sort((x, y) => Number(x[0]) - Number(y[0])),
  };
}

describe('orderbook', () => {
  test.each(['linear', 'spot'] as const)(
    '%s: snapshot + deltas rebuild the REST book (limit 50) at the same u, u +1 per delta, also after a fill',
    async (category) => {
      const c = await open(`/v5/public/${category}`);
      const topic = 'orderbook.50.BTCUSDT';
      await c.request({ op: 'subscribe', req_id: 'ob', args: [topic] }, ackOf('subscribe', 'ob'));
      const book: Book = { b: new Map(), a: new Map() };
      const first = await c.next((f) => f.topic === topic);
      expect(first.type).toBe('snapshot');
      expect(first.data.s).toBe('BTCUSDT');
      expect(first.data.b).toHaveLength(50);
      expect(first.data.a).toHaveLength(50);
      expect(typeof first.ts).toBe('number');
      expect(typeof first.cts).toBe('number');
      expect(typeof first.data.seq).toBe('number');
      apply(book, first);
      let u: number = first.data.u;

      const checkAgainstRest = async () => {
        const rest = await getPublic(ex, `/v5/market/orderbook?category=${category}&symbol=BTCUSDT&limit=50`);
        expect(rest.body.retCode).toBe(0);
        expect(u).toBe(rest.body.result.u);
        expect(levels(book)).toEqual({ b: rest.body.result.b, a: rest.body.result.a });
      };
      await checkAgainstRest();

      const consume = async () => {
        const frames = (await c.sync()).filter((f) => f.topic === topic);
        for (const f of frames) {
          expect(f.type).toBe('delta');
          expect(f.data.u).toBe(u + 1);
          u = f.data.u;
          apply(book, f);
        }
        return frames.length;
      };

      let deltas = 0;
      for (let i = 0; i < 5; i++) {
        advance(ex, 1000);
        deltas += await consume();
        await checkAgainstRest();
      }
      expect(deltas).toBeGreaterThanOrEqual(5);

      // A market order from an account takes liquidity: one more delta, still equal to REST.
      const qty = '0.05';
      const order = await postSigned(ex, '/v5/order/create', {
        category,
        symbol: 'BTCUSDT',
        side: 'Buy',
        orderType: 'Market',
        qty,
        ...(category === 'spot' ? { marketUnit: 'baseCoin' } : {}),
      });
      expect(order.body.retCode, order.text).toBe(0);
      expect(await consume()).toBe(1);
      await checkAgainstRest();
      advance(ex, 1000);
      await consume();
      await checkAgainstRest();
    },
  );

  test('level 1 is snapshot-only: one level a side, equal to REST when it changes, re-sent after 3 s unchanged', async () => {
    const c = await open('/v5/public/linear', quiet);
    const topic = 'orderbook.1.BTCUSDT';
    await c.request({ op: 'subscribe', args: [topic] }, ackOf('subscribe'));
    const first = await c.next((f) => f.topic === topic);
    let last = first;
    let lastSentAt = MANUAL_CLOCK_START;
    let resent = 0;
    let changed = 0;
    for (let i = 1; i <= 20; i++) {
      advance(quiet, 1000);
      const now = MANUAL_CLOCK_START + i * 1000;
      const frames = (await c.sync()).filter((f) => f.topic === topic);
      expect(frames.length).toBeLessThanOrEqual(1);
      const rest = (await getPublic(quiet, '/v5/market/orderbook?category=linear&symbol=BTCUSDT&limit=1'))
        .body.result;
      const same = JSON.stringify([rest.b, rest.a]) === JSON.stringify([last.data.b, last.data.a]);
      if (!same) {
        // The top of book moved: a fresh snapshot at the REST book's u.
        expect(frames).toHaveLength(1);
        const f = frames[0];
        expect(f.type).toBe('snapshot');
        expect(f.data.b).toEqual(rest.b);
        expect(f.data.a).toEqual(rest.a);
        expect(f.data.u).toBe(rest.u);
        expect(f.data.u).toBeGreaterThan(last.data.u);
        last = f;
        lastSentAt = now;
        changed++;
      } else if (now - lastSentAt >= 3000) {
        // Unchanged for 3 s: the same snapshot again, same u.
        expect(frames).toHaveLength(1);
        expect(frames[0].type).toBe('snapshot');
        expect(frames[0].data).toEqual(last.data);
        lastSentAt = now;
        resent++;
      } else {
        expect(frames).toEqual([]);
      }
    }
    expect(first.type).toBe('snapshot');
    expect(first.data.b).toHaveLength(1);
    expect(first.data.a).toHaveLength(1);
    // The quiet market exercised both paths.
    expect(changed).toBeGreaterThan(0);
    expect(resent).toBeGreaterThan(0);
  });

  test('two connections on one topic get the same frames; unsubscribing stops them', async () => {
    const a = await open('/v5/public/linear');
    const b = await open('/v5/public/linear');
    const topic = 'orderbook.200.BTCUSDT';
    await a.request({ op: 'subscribe', req_id: 1, args: [topic] }, ackOf('subscribe', 1));
    advance(ex, 1000);
    await b.request({ op: 'subscribe', req_id: 1, args: [topic] }, ackOf('subscribe', 1));
    const snapA = (await a.sync()).filter((f) => f.topic === topic);
    const snapB = (await b.sync()).filter((f) => f.topic === topic);
    expect(snapB).toHaveLength(1);
    expect(snapB[0].type).toBe('snapshot');
    // B's snapshot is the state A's snapshot + delta reached.
    const bookA: Book = { b: new Map(), a: new Map() };
    for (const f of snapA) apply(bookA, f);
    const bookB: Book = { b: new Map(), a: new Map() };
    apply(bookB, snapB[0]);
    expect(levels(bookA)).toEqual(levels(bookB));
    advance(ex, 1000);
    const fa = (await a.sync()).filter((f) => f.topic === topic);
    const fb = (await b.sync()).filter((f) => f.topic === topic);
    expect(fa).toHaveLength(1);
    expect(fb).toEqual(fa);
    await a.request({ op: 'unsubscribe', req_id: 2, args: [topic] }, ackOf('unsubscribe', 2));
    advance(ex, 1000);
    expect((await a.sync()).filter((f) => f.topic === topic)).toEqual([]);
    expect((await b.sync()).filter((f) => f.topic === topic)).toHaveLength(1);
  });
});

// ---- trades, tickers, klines --------------------------------------------------------------------------------

describe('publicTrade', () => {
  test('an account fill from REST shows in publicTrade; every print comes once, oldest first', async () => {
    const c = await open('/v5/public/linear');
    const topic = 'publicTrade.BTCUSDT';
    await c.request({ op: 'subscribe', req_id: 'pt', args: [topic] }, ackOf('subscribe', 'pt'));
    // Nothing is sent on subscribe.
    expect((await c.sync()).filter((f) => f.topic)).toEqual([]);
    advance(ex, 3000);
    const order = await postSigned(ex, '/v5/order/create', {
      category: 'linear',
      symbol: 'BTCUSDT',
      side: 'Sell',
      orderType: 'Market',
      qty: '0.2',
    });
    expect(order.body.retCode, order.text).toBe(0);
    const frames = (await c.sync()).filter((f) => f.topic === topic);
    const execs = (
      await getSigned(
        ex,
        '/v5/execution/list',
        `category=linear&symbol=BTCUSDT&orderId=${order.body.result.orderId}`,
      )
    ).body.result.list as Json[];
    expect(execs.length).toBeGreaterThan(0);
    const last = frames[frames.length - 1];
    expect(last).toMatchObject({ topic, type: 'snapshot', ts: MANUAL_CLOCK_START + 3000 });
    const prints = last.data.map((r: Json) => [r.T, r.S, r.p, r.v]);
    const fills = execs
      .map((e) => [Number(e.execTime), 'Sell', e.execPrice, e.execQty])
      .sort((x, y) => Number(y[2]) - Number(x[2]));
    expect(prints).toEqual(fills);
    for (const r of last.data) {
      expect(r).toMatchObject({ s: 'BTCUSDT', BT: false, RPI: false });
      expect(typeof r.i).toBe('string');
      expect(typeof r.seq).toBe('number');
      expect(['PlusTick', 'ZeroPlusTick', 'MinusTick', 'ZeroMinusTick']).toContain(r.L);
    }
    advance(ex, 5000);
    await c.sync();
    const all = c.frames.filter((f) => f.topic === topic).flatMap((f) => f.data);
    expect(new Set(all.map((r: Json) => r.i)).size).toBe(all.length);
    const times = all.map((r: Json) => r.T);
    expect(times).toEqual([...times].sort((x, y) => x - y));
    // The tape agrees with REST recent-trade (newest first there).
    const recent = (await getPublic(ex, '/v5/market/recent-trade?category=linear&symbol=BTCUSDT&limit=1000'))
      .body.result.list as Json[];
    const ids = new Set(recent.map((r) => r.execId));
    for (const r of all) expect(ids.has(r.i), r.i).toBe(true);
  });

  test('spot prints carry no tick direction', async () => {
    const c = await open('/v5/public/spot');
    await c.request({ op: 'subscribe', args: ['publicTrade.BTCUSDT'] }, ackOf('subscribe'));
    const order = await postSigned(ex, '/v5/order/create', {
      category: 'spot',
      symbol: 'BTCUSDT',
      side: 'Sell',
      orderType: 'Market',
      qty: '0.01',
    });
    expect(order.body.retCode, order.text).toBe(0);
    const f = await c.next((x) => x.topic === 'publicTrade.BTCUSDT');
    expect(f.data.length).toBeGreaterThan(0);
    for (const r of f.data) {
      expect(r.S).toBe('Sell');
      expect(r).not.toHaveProperty('L');
    }
  });
});

describe('tickers', () => {
  test('linear: a snapshot, then deltas of changed fields; merged they equal REST tickers', async () => {
    const c = await open('/v5/public/linear');
    const topic = 'tickers.BTCUSDT';
    await c.request({ op: 'subscribe', req_id: 1, args: [topic] }, ackOf('subscribe', 1));
    const snap = await c.next((f) => f.topic === topic);
    expect(snap.type).toBe('snapshot');
    expect(typeof snap.ts).toBe('number');
    expect(typeof snap.cs).toBe('number');
    expect(snap.data).toHaveProperty('openInterestValue');
    expect(snap.data).not.toHaveProperty('usdIndexPrice');
    const merged = { ...snap.data };
    const compare = async () => {
      const rest = (await getPublic(ex, '/v5/market/tickers?category=linear&symbol=BTCUSDT')).body.result
        .list[0];
      const { tickDirection, ...rows } = merged;
      expect(['PlusTick', 'ZeroPlusTick', 'MinusTick', 'ZeroMinusTick']).toContain(tickDirection);
      expect(rows).toEqual(rest);
    };
    await compare();
    let deltas = 0;
    for (let i = 0; i < 4; i++) {
      advance(ex, 1000);
      for (const f of (await c.sync()).filter((x) => x.topic === topic)) {
        expect(f.type).toBe('delta');
        expect(f.data.symbol).toBe('BTCUSDT');
        // Only changed fields (plus symbol).
        expect(Object.keys(f.data).length).toBeLessThan(Object.keys(snap.data).length);
        for (const [k, v] of Object.entries(f.data)) if (k !== 'symbol') expect(merged[k], k).not.toBe(v);
        Object.assign(merged, f.data);
        deltas++;
      }
      await compare();
    }
    expect(deltas).toBeGreaterThan(0);
  });

  test('spot: full snapshots every time, with usdIndexPrice and without best bid/ask', async () => {
    const c = await open('/v5/public/spot');
    const topic = 'tickers.BTCUSDT';
    await c.request({ op: 'subscribe', args: [topic] }, ackOf('subscribe'));
    advance(ex, 2000);
    await c.sync();
    const frames = c.frames.filter((f) => f.topic === topic);
    // The snapshot on subscribe and one per tick.
    expect(frames.map((f) => f.ts)).toEqual([0, 1000, 2000].map((d) => MANUAL_CLOCK_START + d));
    const rest = (await getPublic(ex, '/v5/market/tickers?category=spot&symbol=BTCUSDT')).body.result.list[0];
    const latest = frames[frames.length - 1];
    for (const f of frames) {
      expect(f.type).toBe('snapshot');
      expect(Object.keys(f.data).sort()).toEqual(
        [
          'symbol',
          'lastPrice',
          'highPrice24h',
          'lowPrice24h',
          'prevPrice24h',
          'volume24h',
          'turnover24h',
          'price24hPcnt',
          'usdIndexPrice',
        ].sort(),
      );
    }
    for (const [k, v] of Object.entries(latest.data)) if (k in rest) expect(v, k).toBe(rest[k]);
  });
});

describe('kline', () => {
  test('the open candle while it changes, then confirm true once when the minute closes', async () => {
    const c = await open('/v5/public/linear');
    const topic = 'kline.1.BTCUSDT';
    await c.request({ op: 'subscribe', req_id: 'k', args: [topic] }, ackOf('subscribe', 'k'));
    for (let i = 0; i < 62; i++) advance(ex, 1000);
    await c.sync();
    const items = c.frames
      .filter((f) => f.topic === topic)
      .flatMap((f) => {
        expect(f.type).toBe('snapshot');
        return f.data;
      });
    const t0 = MANUAL_CLOCK_START;
    const confirmed = items.filter((r: Json) => r.confirm);
    expect(confirmed).toHaveLength(1);
    const closed = confirmed[0];
    expect(closed).toMatchObject({ start: t0, end: t0 + 59_999, interval: '1', confirm: true });
    // Before it: only open (confirm false) pushes of that minute; after it: the next minute.
    const at = items.indexOf(closed);
    for (const r of items.slice(0, at)) expect(r).toMatchObject({ start: t0, confirm: false });
    expect(items.slice(at + 1).length).toBeGreaterThan(0);
    for (const r of items.slice(at + 1))
      expect(r).toMatchObject({ start: t0 + 60_000, end: t0 + 119_999, confirm: false });
    // The closed candle equals REST's.
    const rest = (
      await getPublic(ex, `/v5/market/kline?category=linear&symbol=BTCUSDT&interval=1&start=${t0}&end=${t0}`)
    ).body.result.list as string[][];
    expect(rest).toHaveLength(1);
    expect([
      String(closed.start),
      closed.open,
      closed.high,
      closed.low,
      closed.close,
      closed.volume,
      closed.turnover,
    ]).toEqual(rest[0]);
  });
});

describe('allLiquidation', () => {
  test('a liquidated account position is published with the position side and the bankruptcy price', async () => {
    // A scenario long bought far above the market (50000): its liquidation price (~54,300 at 10x)
    // is above the mark, so the first tick liquidates it.
    const doomed = await startTestExchange({
      scenario: {
        yaml: manualScenarioYaml(`  - name: doomed
    apiKey: doomed-key
    apiSecret: doomed-secret
    balances: { USDT: "1000" }
    positions:
      - { category: linear, symbol: BTCUSDT, side: Buy, size: "0.1", avgPrice: "60000", leverage: "10" }
`),
        name: 'ws-liquidation',
      },
    });
    try {
      const c = await WsClient.open(doomed, '/v5/public/linear');
      await c.request({ op: 'subscribe', args: ['allLiquidation.BTCUSDT'] }, ackOf('subscribe'));
      advance(doomed, 1000);
      const f = await c.next((x) => x.topic === 'allLiquidation.BTCUSDT', WAIT_MS, 'liquidation frame');
      expect(f).toMatchObject({ topic: 'allLiquidation.BTCUSDT', type: 'snapshot' });
      expect(f.data).toEqual([{ T: doomed.clock.now(), s: 'BTCUSDT', S: 'Buy', v: '0.100', p: '54000.0' }]);
      await c.close();
    } finally {
      await doomed.close();
    }
  });
});
