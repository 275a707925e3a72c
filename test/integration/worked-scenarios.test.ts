/**
 * The worked scenarios in scenarios/, each played end to end as a bot would: signed REST, the
 * private and public streams, and the admin API to advance the manual clock.
 */
import { fileURLToPath } from 'node:url';
import { afterEach, expect, test } from 'vitest';
import type { RunningExchange } from '../../src/runtime/start-exchange.js';
import { getSigned, postSigned, startTestExchange } from '../support/server.js';
import { WsClient, openAuthed, type Json } from '../support/ws.js';

let ex: RunningExchange | undefined;
const sockets: WsClient[] = [];

afterEach(async () => {
  for (const s of sockets.splice(0)) await s.close();
  await ex?.close();
  ex = undefined;
});

async function boot(file: string): Promise<RunningExchange> {
  const path = fileURLToPath(new URL(`../../scenarios/${file}`, import.meta.url));
  ex = await startTestExchange({ scenario: path });
  return ex;
}

async function admin(method: string, path: string, body?: unknown): Promise<Json> {
  const res = await fetch(`${ex!.adminUrl}${path}`, {
    method,
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  expect(res.status, `${method} ${path}`).toBe(200);
  return res.json();
}

const advance = (ms: number) => admin('POST', '/clock/advance', { ms });
const start = () => ex!.exchange.seed.startTime;

async function privateSocket(topics: string[], key?: { key: string; secret: string }): Promise<WsClient> {
  const { client, reply } = await openAuthed(ex!, '/v5/private', key);
  expect(reply).toMatchObject({ success: true });
  sockets.push(client);
  const ack = await client.request({ op: 'subscribe', args: topics }, (f) => f?.op === 'subscribe');
  expect(ack).toMatchObject({ success: true });
  return client;
}

async function publicSocket(topics: string[]): Promise<WsClient> {
  const client = await WsClient.open(ex!, '/v5/public/linear');
  sockets.push(client);
  const ack = await client.request({ op: 'subscribe', args: topics }, (f) => f?.op === 'subscribe');
  expect(ack).toMatchObject({ success: true });
  return client;
}

/**
 * The data rows of every frame on `topic` received so far and not yet taken. Frames on other
 * topics are dropped: use one socket per topic read, or read all topics from one sync().
 */
async function rows(c: WsClient, topic: string): Promise<Json[]> {
  return (await c.sync()).filter((f: Json) => f.topic === topic).flatMap((f: Json) => f.data);
}

async function order(orderId: string, key?: { key: string; secret: string }): Promise<Json> {
  const r = await getSigned(ex!, '/v5/order/realtime', `category=linear&orderId=${orderId}`, key);
  expect(r.body.retCode).toBe(0);
  return r.body.result.list[0];
}

async function position(key?: { key: string; secret: string }): Promise<Json> {
  const r = await getSigned(ex!, '/v5/position/list', 'category=linear&symbol=BTCUSDT', key);
  expect(r.body.retCode).toBe(0);
  return r.body.result.list[0];
}

test('partial-fills.yaml: a "pf-" order fills 30 %, 30 %, then the rest, a second apart', async () => {
  await boot('partial-fills.yaml');
  const priv = await privateSocket(['order', 'execution']);
  const place = async (orderLinkId: string) => {
    const r = await postSigned(ex!, '/v5/order/create', {
      category: 'linear',
      symbol: 'BTCUSDT',
      side: 'Buy',
      orderType: 'Limit',
      qty: '0.01',
      price: '49000',
      orderLinkId,
    });
    expect(r.body.retCode).toBe(0);
    return r.body.result.orderId as string;
  };
  const staged = await place('pf-1');
  const plain = await place('plain-1');
  expect((await rows(priv, 'order')).map((o) => [o.orderLinkId, o.orderStatus])).toEqual([
    ['pf-1', 'New'],
    ['plain-1', 'New'],
  ]);

  const seen: [string, string, number][] = [];
  for (let s = 1; s <= 4; s++) {
    await advance(1000);
    const o = await order(staged);
    seen.push([o.orderStatus, o.cumExecQty, (await rows(priv, 'execution')).length]);
  }
  expect(seen).toEqual([
    ['PartiallyFilled', '0.003', 1],
    ['PartiallyFilled', '0.006', 1],
    ['Filled', '0.010', 1],
    ['Filled', '0.010', 0],
  ]);
  const execs = (await getSigned(ex!, '/v5/execution/list', `category=linear&orderId=${staged}`)).body.result
    .list as Json[];
  expect(execs.map((e) => [e.execQty, e.isMaker]).reverse()).toEqual([
    ['0.003', true],
    ['0.003', true],
    ['0.004', true],
  ]);
  // The first and last steps at the order's price; the middle one at the best ask then.
  const prices = execs.map((e) => Number(e.execPrice)).reverse();
  expect(prices[0]).toBe(49000);
  expect(prices[2]).toBe(49000);
  expect(prices[1]).toBeGreaterThan(49000);
  // The order without the prefix is untouched.
  expect(await order(plain)).toMatchObject({ orderStatus: 'New', cumExecQty: '0.000' });
  expect(Number((await position()).size)).toBe(0.01);
});

test('rejections.yaml: three creates fail with 10006, the fourth passes; one cancel fails with 110001', async () => {
  await boot('rejections.yaml');
  const body = {
    category: 'linear',
    symbol: 'BTCUSDT',
    side: 'Buy',
    orderType: 'Limit',
    qty: '0.001',
    price: '45000',
    orderLinkId: 'retry-me',
  };
  const answers: [number, string][] = [];
  let orderId = '';
  for (let attempt = 0; attempt < 4; attempt++) {
    const r = await postSigned(ex!, '/v5/order/create', body);
    answers.push([r.body.retCode, r.body.retMsg]);
    if (r.body.retCode === 0) orderId = r.body.result.orderId;
  }
  expect(answers).toEqual([
    [10006, 'Too many visits!'],
    [10006, 'Too many visits!'],
    [10006, 'Too many visits!'],
    [0, 'OK'],
  ]);
  // Refused creates left nothing behind.
  expect((await admin('GET', '/orders?account=main')).orders).toHaveLength(1);

  const cancel = () =>
    postSigned(ex!, '/v5/order/cancel', { category: 'linear', symbol: 'BTCUSDT', orderId });
  const refused = await cancel();
  expect(refused.body).toMatchObject({ retCode: 110001, retMsg: 'order not exists or too late to cancel' });
  expect(await order(orderId)).toMatchObject({ orderStatus: 'New' });
  const retried = await cancel();
  expect(retried.body).toMatchObject({ retCode: 0, result: { orderId, orderLinkId: 'retry-me' } });
  expect(await order(orderId)).toMatchObject({ orderStatus: 'Cancelled' });
  expect((await admin('GET', '/rules')).rules).toEqual([
    expect.objectContaining({ id: 'rate-limited', hits: 3, remaining: 0 }),
    expect.objectContaining({ id: 'cancel-too-late', hits: 1, remaining: 0 }),
  ]);
});

test('position-lifecycle.yaml: open with a take-profit, the rally lifts the ticker, the TP closes it', async () => {
  await boot('position-lifecycle.yaml');
  const priv = await privateSocket(['position', 'order']);
  const pub = await publicSocket(['tickers.BTCUSDT']);
  const r = await postSigned(ex!, '/v5/order/create', {
    category: 'linear',
    symbol: 'BTCUSDT',
    side: 'Buy',
    orderType: 'Market',
    qty: '0.01',
    takeProfit: '51500',
  });
  expect(r.body.retCode).toBe(0);
  const opened = await rows(priv, 'position');
  expect(opened.at(-1)).toMatchObject({
    symbol: 'BTCUSDT',
    side: 'Buy',
    size: '0.010',
    takeProfit: '51500.0',
  });
  expect(Number(opened.at(-1).entryPrice)).toBeCloseTo(50000, -1);

  // Before the rally (10 s): the price stands still and the position stays open.
  await advance(10_000);
  const calm = await rows(pub, 'tickers.BTCUSDT');
  expect(calm.every((t) => t.lastPrice === undefined || Math.abs(Number(t.lastPrice) - 50000) < 1)).toBe(
    true,
  );
  expect(Number((await position()).size)).toBe(0.01);
  expect((await rows(priv, 'position')).filter((p) => p.size === '0')).toEqual([]);

  // Two ticks into the ramp (50800): still below the TP.
  await advance(2000);
  expect(Number((await position()).size)).toBe(0.01);

  await advance(8000);
  const ticks = (await rows(pub, 'tickers.BTCUSDT')).filter((t) => t.markPrice !== undefined);
  const marks = ticks.map((t) => Number(t.markPrice));
  expect(Math.max(...marks)).toBeGreaterThan(51900);
  expect(Math.abs(marks.at(-1)! - 52000)).toBeLessThan(30); // mark and index carry a little noise
  const lasts = ticks.filter((t) => t.lastPrice !== undefined).map((t) => Number(t.lastPrice));
  expect(lasts.at(-1)).toBeGreaterThan(51500);

  const positions = await rows(priv, 'position');
  expect(positions.at(-1)).toMatchObject({ symbol: 'BTCUSDT', size: '0' });
  const orders = await getSigned(ex!, '/v5/order/history', 'category=linear&symbol=BTCUSDT');
  const tp = (orders.body.result.list as Json[]).find((o) => o.stopOrderType === 'TakeProfit');
  expect(tp).toMatchObject({ side: 'Sell', orderStatus: 'Filled', reduceOnly: true });
  expect(Number(tp.avgPrice)).toBeGreaterThanOrEqual(51500);
  expect(Number((await position()).size)).toBe(0);
  const pnl = Number((await position()).cumRealisedPnl);
  expect(pnl).toBeGreaterThan(0);
});

test('disconnects.yaml: streams dropped on schedule, twice each; the bot reconnects and keeps receiving', async () => {
  await boot('disconnects.yaml');
  const t0 = start();
  let priv = await privateSocket(['order']);
  let pub = await publicSocket(['tickers.BTCUSDT']);
  const placeAndSee = async (c: WsClient, n: number) => {
    const r = await postSigned(ex!, '/v5/order/create', {
      category: 'linear',
      symbol: 'BTCUSDT',
      side: 'Buy',
      orderType: 'Limit',
      qty: '0.001',
      price: '40000',
      orderLinkId: `bot-${n}`,
    });
    expect(r.body.retCode).toBe(0);
    expect((await rows(c, 'order')).map((o) => o.orderLinkId)).toEqual([`bot-${n}`]);
  };
  const ticksOn = async (c: WsClient) => {
    await advance(1000);
    return (await rows(c, 'tickers.BTCUSDT')).length;
  };
  await placeAndSee(priv, 0);

  const drops: [string, number, number][] = [];
  for (let round = 1; round <= 2; round++) {
    const base = (round - 1) * 10_000;
    // Up to just before the private drop, both streams deliver.
    await admin('POST', '/clock/set', { time: t0 + base + 4999 });
    await pub.sync();
    expect(priv.isOpen && pub.isOpen).toBe(true);
    await advance(1);
    const pc = await priv.closed;
    drops.push(['private', pc.code, (await admin('GET', '/clock')).now - t0]);
    expect(pc.reason).toBe('scheduled maintenance');
    expect(pub.isOpen).toBe(true);
    priv = await privateSocket(['order']);
    await placeAndSee(priv, round);

    await admin('POST', '/clock/set', { time: t0 + base + 7999 });
    await pub.sync();
    expect(pub.isOpen).toBe(true);
    await advance(1);
    const pbc = await pub.closed;
    drops.push(['public', pbc.code, (await admin('GET', '/clock')).now - t0]);
    pub = await publicSocket(['tickers.BTCUSDT']);
    expect(await ticksOn(pub)).toBeGreaterThan(0);
  }
  expect(drops).toEqual([
    ['private', 1001, 5000],
    ['public', 1006, 8000],
    ['private', 1001, 15000],
    ['public', 1006, 18000],
  ]);

  // count: 2 — nothing more is dropped.
  await advance(30_000);
  await priv.sync();
  await pub.sync();
  expect(priv.isOpen && pub.isOpen).toBe(true);
  await placeAndSee(priv, 3);
  expect(await ticksOn(pub)).toBeGreaterThan(0);
  expect(((await admin('GET', '/connections')).connections as Json[]).length).toBe(2);
});

test('flash-crash.yaml: a 10 % drop over 5 s liquidates the 50x long and triggers the stop', async () => {
  await boot('flash-crash.yaml');
  const WHALE = { key: 'whale-api-key', secret: 'whale-api-secret' };
  const whaleWs = await privateSocket(['execution', 'position'], WHALE);
  const pub = await publicSocket(['allLiquidation.BTCUSDT']);
  const whaleBefore = await position(WHALE);
  expect(whaleBefore).toMatchObject({ side: 'Buy', leverage: '50' });
  const liq = Number(whaleBefore.liqPrice);
  expect(liq).toBeGreaterThan(49000);
  expect(liq).toBeLessThan(50000);

  // The bot protects its 0.1 long with a stop: sell at market once the last price falls to 47000.
  const stop = await postSigned(ex!, '/v5/order/create', {
    category: 'linear',
    symbol: 'BTCUSDT',
    side: 'Sell',
    orderType: 'Market',
    qty: '0.1',
    triggerPrice: '47000',
    triggerDirection: 2,
    reduceOnly: true,
    orderLinkId: 'stop-1',
  });
  expect(stop.body.retCode).toBe(0);
  const stopId = stop.body.result.orderId as string;
  expect(await order(stopId)).toMatchObject({ orderStatus: 'Untriggered' });

  // Before the crash nothing happens.
  await advance(10_000);
  expect(await order(stopId)).toMatchObject({ orderStatus: 'Untriggered' });
  expect(Number((await position(WHALE)).size)).toBe(1);

  // First tick of the crash (49000): the whale is past its liquidation price; the stop waits.
  await advance(1000);
  expect(Number((await position(WHALE)).size)).toBe(0);
  expect(await order(stopId)).toMatchObject({ orderStatus: 'Untriggered' });

  await advance(9000);
  const whaleExecs = (await getSigned(ex!, '/v5/execution/list', 'category=linear&symbol=BTCUSDT', WHALE))
    .body.result.list as Json[];
  expect(whaleExecs).toEqual([
    expect.objectContaining({ execType: 'BustTrade', side: 'Sell', execQty: '1.000' }),
  ]);
  const pushed = await whaleWs.sync();
  const of = (topic: string) => pushed.filter((f: Json) => f.topic === topic).flatMap((f: Json) => f.data);
  expect(of('execution')).toEqual([
    expect.objectContaining({ execType: 'BustTrade', createType: 'CreateByLiq', execQty: '1.000' }),
  ]);
  expect(of('position').at(-1)).toMatchObject({ symbol: 'BTCUSDT', size: '0' });
  const liquidations = await rows(pub, 'allLiquidation.BTCUSDT');
  expect(liquidations).toEqual([expect.objectContaining({ s: 'BTCUSDT', S: 'Buy', v: '1.000' })]);
  // The whale's wallet is not left negative.
  const whaleWallet = await getSigned(
    ex!,
    '/v5/account/wallet-balance',
    'accountType=UNIFIED&coin=USDT',
    WHALE,
  );
  expect(Number(whaleWallet.body.result.list[0].coin[0].walletBalance)).toBeGreaterThanOrEqual(0);

  const filled = await order(stopId);
  expect(filled).toMatchObject({ orderStatus: 'Filled', orderLinkId: 'stop-1', cumExecQty: '0.100' });
  expect(Number(filled.avgPrice)).toBeLessThanOrEqual(47000);
  expect(Number(filled.avgPrice)).toBeGreaterThan(45000);
  expect(Number((await position()).size)).toBe(0);
});
