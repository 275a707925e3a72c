/**
 * Connection lifetime with a raw `ws` client on a manual clock: the idle limit (10 minutes, or
 * `max_active_time` on private/trade), checked by a 30 s scan on the daemon clock; closing on an
 * admin reset; malformed frames answered without closing.
 * @see ../shared/reference/bybit-v5-facts.md §8.1, §8.3, §8.4; docs/websocket.md "Connections"
 */
import { describe, expect, test } from 'vitest';
import type { ManualClock } from '../../src/core/clock.js';
import type { RunningExchange } from '../../src/runtime/start-exchange.js';
import { manualScenarioYaml, postSigned, useTestExchange } from '../support/server.js';
import { WAIT_MS, WsClient, authFrame, openAuthed, type Json } from '../support/ws.js';

let ex: RunningExchange;
useTestExchange({ scenario: { yaml: manualScenarioYaml(), name: 'ws-connections' } }, (e) => (ex = e), {
  resetEach: true,
});

const MIN = 60_000;

function advance(ms: number): void {
  (ex.clock as ManualClock).advance(ms);
}

/** The close code of `c`, or a failure when it stays open. */
async function closeCode(c: WsClient, what = 'the socket'): Promise<{ code: number; reason: string }> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} was not closed`)), WAIT_MS);
  });
  try {
    return await Promise.race([c.closed, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** A ping answered: the connection is open and served. */
async function expectAlive(c: WsClient): Promise<void> {
  await c.sync();
  expect(c.isOpen).toBe(true);
}

describe('idle limit', () => {
  test('a silent connection is closed at 10 minutes; pinging, or receiving data, keeps one open', async () => {
    const idle = await WsClient.open(ex, '/v5/public/linear');
    const idlePrivate = (await openAuthed(ex, '/v5/private')).client;
    const pinging = await WsClient.open(ex, '/v5/public/spot');
    const probe = await WsClient.open(ex, '/v5/public/linear');
    // Subscribed to a busy feed (pushed every tick) but never pinging: stays (facts §8.3).
    const fed = await WsClient.open(ex, '/v5/public/linear');
    await fed.request(
      { op: 'subscribe', req_id: 'f', args: ['orderbook.50.BTCUSDT'] },
      (f) => f?.req_id === 'f',
    );
    // Subscribed to a topic that publishes nothing: as silent as no subscription.
    const quietSub = await WsClient.open(ex, '/v5/public/linear');
    await quietSub.request(
      { op: 'subscribe', req_id: 'q', args: ['allLiquidation.BTCUSDT'] },
      (f) => f?.req_id === 'q',
    );

    advance(9 * MIN);
    await pinging.sync();
    advance(50_000);
    // 9 min 50 s of silence is within the limit: the probe is still served (and now fresh).
    await expectAlive(probe);
    advance(10_000);
    // The 30 s scan at 10 minutes closes the silent ones, with code 1000.
    for (const c of [idle, idlePrivate, quietSub]) {
      const { code, reason } = await closeCode(c);
      expect(code).toBe(1000);
      expect(reason).toMatch(/idle/);
    }
    await expectAlive(pinging);
    await expectAlive(probe);
    // The fed socket never sent anything after subscribing, yet it is open: data kept it alive.
    expect(fed.frames.filter((f: Json) => f.topic).length).toBeGreaterThan(500);
    await expectAlive(fed);

    // The probe goes 10 minutes after its last ping, the pinging one stays.
    advance(9 * MIN);
    await pinging.sync();
    advance(MIN);
    expect((await closeCode(probe)).code).toBe(1000);
    await expectAlive(pinging);
  });

  test('max_active_time on /v5/private and /v5/trade shortens the limit; public ignores it', async () => {
    const p30 = (await openAuthed(ex, '/v5/private?max_active_time=30s')).client;
    const t1m = (await openAuthed(ex, '/v5/trade?max_active_time=1m')).client;
    const t45 = await WsClient.open(ex, '/v5/trade?max_active_time=45s');
    const pDefault = (await openAuthed(ex, '/v5/private')).client;
    const pTooShort = await WsClient.open(ex, '/v5/private?max_active_time=5s');
    const pBad = await WsClient.open(ex, '/v5/private?max_active_time=abc');
    const pub = await WsClient.open(ex, '/v5/public/linear?max_active_time=30s');

    advance(30_000);
    expect((await closeCode(p30)).code).toBe(1000);
    advance(30_000);
    expect((await closeCode(t1m)).code).toBe(1000);
    // 45 s is noticed by the 60 s scan (the scanner runs every 30 s, as on Bybit).
    expect((await closeCode(t45)).code).toBe(1000);
    // Out-of-range or malformed values keep the default, and public streams ignore the parameter.
    for (const c of [pDefault, pTooShort, pBad, pub]) await expectAlive(c);
  });

  test('on a shortened limit, private pushes count as activity; the socket goes once they stop', async () => {
    const { client } = await openAuthed(ex, '/v5/private?max_active_time=30s');
    await client.request({ op: 'subscribe', req_id: 's', args: ['order'] }, (f) => f?.op === 'subscribe');
    advance(20_000);
    // An order pushes a frame: that resets the limit.
    const r = await postSigned(ex, '/v5/order/create', {
      category: 'linear',
      symbol: 'BTCUSDT',
      side: 'Buy',
      orderType: 'Limit',
      qty: '0.01',
      price: '45000',
    });
    expect(r.body.retCode, r.text).toBe(0);
    await client.next((f) => f.topic === 'order');
    advance(20_000);
    // Past the scan at 30 s (which would have cut it without the push), another order's frame
    // still reaches it; that push resets the limit again.
    await postSigned(ex, '/v5/order/create', {
      category: 'linear',
      symbol: 'BTCUSDT',
      side: 'Buy',
      orderType: 'Limit',
      qty: '0.01',
      price: '45000',
    });
    await client.next((f) => f.topic === 'order');
    expect(client.isOpen).toBe(true);
    // At 40 s: the scan at 60 s keeps it, the one at 90 s cuts it.
    advance(50_000);
    expect((await closeCode(client)).code).toBe(1000);
  });
});

describe('reset and malformed frames', () => {
  test('POST /__admin/reset closes every connection with 1012; new connections work afterwards', async () => {
    const sockets = [
      await WsClient.open(ex, '/v5/public/linear'),
      await WsClient.open(ex, '/v5/public/spot'),
      await WsClient.open(ex, '/v5/public/option'),
      (await openAuthed(ex, '/v5/private')).client,
      (await openAuthed(ex, '/v5/trade')).client,
    ];
    await sockets[0]!.request(
      { op: 'subscribe', req_id: 1, args: ['tickers.BTCUSDT'] },
      (f) => f?.req_id === 1,
    );
    const res = await fetch(`${ex.adminUrl}/reset`, { method: 'POST' });
    expect(res.status).toBe(200);
    for (const [i, c] of sockets.entries()) expect((await closeCode(c, `socket ${i}`)).code).toBe(1012);

    // After the reset: a fresh connection subscribes, gets data on the new clock, authenticates.
    const c = await WsClient.open(ex, '/v5/public/linear');
    await c.request({ op: 'subscribe', req_id: 2, args: ['tickers.BTCUSDT'] }, (f) => f?.req_id === 2);
    await c.next((f) => f.topic === 'tickers.BTCUSDT' && f.type === 'snapshot');
    advance(1000);
    await c.next((f) => f.topic === 'tickers.BTCUSDT' && f.type === 'delta');
    const { reply } = await openAuthed(ex, '/v5/private');
    expect(reply.success).toBe(true);
    // And the idle scan runs on the new clock: a silent socket goes within 30 s past its limit.
    advance(10 * MIN);
    const silent = await WsClient.open(ex, '/v5/public/spot');
    advance(10 * MIN + 30_000);
    expect((await closeCode(silent, 'silent')).code).toBe(1000);
  });

  test('malformed frames are answered and do not close private or trade connections', async () => {
    const p = await WsClient.open(ex, '/v5/private');
    const t = await WsClient.open(ex, '/v5/trade');
    for (const bad of ['hello', '{"op":', '[]', '42', 'null', '']) {
      const pr = await p.request(bad, (f) => f?.success === false);
      expect(pr.ret_msg).toMatch(/^Failed to decode incoming data/);
      const tr = await t.request(bad, (f) => typeof f?.retCode === 'number' && f.op !== 'pong');
      expect(tr.retCode).not.toBe(0);
      expect(tr.retMsg).toMatch(/^Failed to decode incoming data/);
    }
    // A binary frame too.
    p.ws.send(Buffer.from([0xff, 0x00, 0x7b]), { binary: true });
    expect((await p.next((f) => f?.success === false)).ret_msg).toMatch(/^Failed to decode incoming data/);
    t.ws.send(Buffer.from('{"op":"ping"}'), { binary: true });
    expect((await t.next((f) => typeof f?.retCode === 'number')).retCode).not.toBe(0);
    // An unknown op and a frame without op.
    const inv = await p.request({ op: 'nope', req_id: 'n' }, (f) => f?.req_id === 'n');
    expect(inv).toMatchObject({ success: false, ret_msg: 'error:invalid op', op: 'nope' });
    const noOp = await p.request({ req_id: 'm', args: ['order'] }, (f) => f?.req_id === 'm');
    expect(noOp).toMatchObject({ success: false, ret_msg: 'error:invalid op' });

    // Both still work: auth, subscribe, ping.
    expect(await p.request(authFrame(ex), (f) => f?.op === 'auth')).toMatchObject({ success: true });
    expect(await t.request(authFrame(ex), (f) => f?.op === 'auth')).toMatchObject({ retCode: 0 });
    expect(
      await p.request({ op: 'subscribe', req_id: 's', args: ['order'] }, (f) => f?.req_id === 's'),
    ).toMatchObject({ success: true });
    await expectAlive(p);
    await expectAlive(t);
  });

  test('a frame over the size limit closes only that connection (1009)', async () => {
    const big = await WsClient.open(ex, '/v5/public/linear');
    const other = await WsClient.open(ex, '/v5/public/linear');
    big.send(JSON.stringify({ op: 'ping', req_id: 'x'.repeat(1024 * 1024 + 10) }));
    expect((await closeCode(big)).code).toBe(1009);
    await expectAlive(other);
  });
});
