/**
 * Bad input on the trading endpoints never crashes and never corrupts state: every malformed
 * request gets a Bybit envelope with a retCode naming the problem, and the account reads back
 * byte for byte as before. At the end, the exchange that took all the junk answers exactly like a
 * twin that never saw it (ids included), so refused requests consumed no ids or random draws.
 * @see ../shared/reference/bybit-v5-facts.md §2, §4, §7.9-7.20
 */
import { afterAll, beforeAll, expect, test } from 'vitest';
import type { RunningExchange } from '../../src/runtime/start-exchange.js';
import {
  getSigned,
  manualScenarioYaml,
  NO_RATE_LIMITS,
  postSigned,
  startTestExchange,
  type Reply,
} from '../support/server.js';

let ex: RunningExchange;
let twin: RunningExchange;
let baseline: Map<string, string>;

const LINEAR = { category: 'linear', symbol: 'BTCUSDT' } as const;
const SPOT = { category: 'spot', symbol: 'BTCUSDT' } as const;
const ORDER = { ...LINEAR, side: 'Buy', orderType: 'Limit', qty: '0.010', price: '49000' };
const SPOT_ORDER = { ...SPOT, side: 'Buy', orderType: 'Limit', qty: '0.01', price: '49000' };

/** The reads that must not change: open and closed orders, fills, positions, PnL, wallet. */
const READS: [string, string][] = [
  ['/v5/order/realtime', 'category=linear&settleCoin=USDT&limit=50'],
  ['/v5/order/realtime', 'category=spot&limit=50'],
  ['/v5/order/realtime', 'category=linear&symbol=BTCUSDT&openOnly=1'],
  ['/v5/order/history', 'category=linear&limit=50'],
  ['/v5/order/history', 'category=spot&limit=50'],
  ['/v5/execution/list', 'category=linear&limit=100'],
  ['/v5/execution/list', 'category=spot&limit=100'],
  ['/v5/position/list', 'category=linear&symbol=BTCUSDT'],
  ['/v5/position/list', 'category=linear&settleCoin=USDT'],
  ['/v5/position/closed-pnl', 'category=linear'],
  ['/v5/account/wallet-balance', 'accountType=UNIFIED'],
];

async function snapshot(on: RunningExchange): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  for (const [path, q] of READS) {
    const r = await getSigned(on, path, q);
    expect(r.body.retCode, `${path}?${q}: ${r.text}`).toBe(0);
    out.set(`${path}?${q}`, r.text);
  }
  return out;
}

async function must(r: Promise<Reply>): Promise<void> {
  const reply = await r;
  if (reply.body?.retCode !== 0) throw new Error(`setup failed: ${reply.text}`);
}

/** The same state on both exchanges: resting orders, a position with TP/SL, a closed trade. */
async function setup(on: RunningExchange): Promise<void> {
  await must(postSigned(on, '/v5/order/create', { ...ORDER, orderLinkId: 'keep-1' }));
  await must(postSigned(on, '/v5/order/create', SPOT_ORDER));
  await must(postSigned(on, '/v5/order/create', { ...SPOT_ORDER, side: 'Sell', price: '51000' }));
  await must(
    postSigned(on, '/v5/order/create', { ...LINEAR, side: 'Buy', orderType: 'Market', qty: '0.050' }),
  );
  await must(
    postSigned(on, '/v5/order/create', { ...LINEAR, side: 'Sell', orderType: 'Market', qty: '0.020' }),
  );
  await must(
    postSigned(on, '/v5/position/trading-stop', {
      ...LINEAR,
      tpslMode: 'Full',
      positionIdx: 0,
      takeProfit: '60000',
      stopLoss: '40000',
    }),
  );
}

beforeAll(async () => {
  [ex, twin] = await Promise.all([
    startTestExchange({ scenario: { yaml: manualScenarioYaml(NO_RATE_LIMITS), name: 'trading-bad-input' } }),
    startTestExchange({
      scenario: { yaml: manualScenarioYaml(NO_RATE_LIMITS), name: 'trading-bad-input-twin' },
    }),
  ]);
  await setup(ex);
  await setup(twin);
  baseline = await snapshot(ex);
});

afterAll(async () => {
  await Promise.all([ex?.close(), twin?.close()]);
});

/** A Bybit error envelope: HTTP 200 JSON, the code, a message naming the problem, empty result. */
function expectEnvelope(r: Reply, retCode: number, mentions: RegExp, what: string): void {
  expect(r.status, `${what}: ${r.text}`).toBe(200);
  expect(r.headers.get('content-type'), what).toMatch(/^application\/json/);
  expect(r.body, `${what}: ${r.text}`).toEqual({
    retCode,
    retMsg: expect.any(String),
    result: {},
    retExtInfo: {},
    time: expect.any(Number),
  });
  expect(r.body.retMsg, what).toMatch(mentions);
}

type Case = [body: unknown, retCode: number, mentions: RegExp];

async function postCases(path: string, cases: Case[]): Promise<void> {
  for (const [body, retCode, mentions] of cases) {
    const what = `${path} ${typeof body === 'string' ? body : JSON.stringify(body)}`.slice(0, 200);
    expectEnvelope(await postSigned(ex, path, body), retCode, mentions, what);
  }
}

async function expectUnchanged(): Promise<void> {
  const now = await snapshot(ex);
  for (const [k, v] of baseline) expect(now.get(k), k).toBe(v);
}

test('order/create with wrong types gets 10001 naming the field and places nothing', async () => {
  await postCases('/v5/order/create', [
    [{ ...ORDER, qty: 0.01 }, 10001, /qty/],
    [{ ...ORDER, qty: ['0.01'] }, 10001, /qty/],
    [{ ...ORDER, qty: '1e-3' }, 10001, /qty/],
    [{ ...ORDER, qty: 'NaN' }, 10001, /qty/],
    [{ ...ORDER, qty: 'Infinity' }, 10001, /qty/],
    [{ ...ORDER, qty: '0x10' }, 10001, /qty/],
    [{ ...ORDER, price: 49000 }, 10001, /price/],
    [{ ...ORDER, price: '-49000' }, 10001, /price/],
    [{ ...ORDER, price: '' }, 10001, /price/],
    [{ ...ORDER, side: 'buy' }, 10001, /side/],
    [{ ...ORDER, side: 1 }, 10001, /side/],
    [{ ...ORDER, side: null }, 10001, /side/],
    [{ ...ORDER, orderType: 'limit' }, 10001, /orderType/],
    [{ ...ORDER, positionIdx: 'x' }, 10001, /positionIdx/],
    [{ ...ORDER, positionIdx: 1.5 }, 10001, /positionIdx/],
    [{ ...ORDER, positionIdx: -1 }, 10001, /positionIdx/],
    [{ ...ORDER, reduceOnly: 'yes' }, 10001, /reduceOnly/],
    [{ ...ORDER, reduceOnly: 1 }, 10001, /reduceOnly/],
    [{ ...ORDER, closeOnTrigger: 'no' }, 10001, /closeOnTrigger/],
    [{ ...ORDER, timeInForce: 'gtc' }, 10001, /timeInForce/],
    [{ ...ORDER, orderLinkId: 123 }, 10001, /orderLinkId/],
    [{ ...ORDER, orderLinkId: 'bad id!' }, 10001, /orderLinkId/],
    [{ ...ORDER, triggerPrice: 60000 }, 10001, /triggerPrice/],
    [{ ...ORDER, triggerPrice: '60000', triggerDirection: 'up' }, 10001, /triggerDirection/],
    [{ ...ORDER, triggerPrice: '60000', triggerBy: 'Last' }, 10001, /triggerBy/],
    [{ ...ORDER, takeProfit: {} }, 10001, /takeProfit/],
    [{ ...ORDER, stopLoss: true }, 10001, /stopLoss/],
    [{ ...ORDER, symbol: ['BTCUSDT'] }, 10001, /symbol/],
    [{ ...ORDER, symbol: 'BTC/USDT' }, 10001, /symbol/],
    [{ ...SPOT_ORDER, marketUnit: 'usdt', orderType: 'Market' }, 10001, /marketUnit/],
    [{ ...SPOT_ORDER, reduceOnly: true }, 10001, /reduceOnly/],
    [{ ...SPOT_ORDER, positionIdx: 1 }, 10001, /positionIdx/],
  ]);
  await expectUnchanged();
});

test('order/create with an unknown or unsupported category gets 10001 naming category', async () => {
  await postCases('/v5/order/create', [
    [{ ...ORDER, category: 'futures' }, 10001, /category/],
    [{ ...ORDER, category: 'Linear' }, 10001, /category/],
    [{ ...ORDER, category: 'inverse' }, 10001, /category/],
    [{ ...ORDER, category: 'option' }, 10001, /category/],
    [{ ...ORDER, category: 5 }, 10001, /category/],
    [{ ...ORDER, category: undefined }, 10001, /category/],
  ]);
  await expectUnchanged();
});

test('absurd sizes and prices get a Bybit code, not a crash', async () => {
  const huge = '9'.repeat(400);
  const tiny = `0.${'0'.repeat(400)}1`;
  await postCases('/v5/order/create', [
    [{ ...ORDER, qty: huge }, 10001, /maximum/],
    [{ ...ORDER, qty: tiny }, 10001, /[Qq]ty/],
    [{ ...ORDER, price: huge }, 110003, /out of permissible range/],
    [{ ...ORDER, price: tiny }, 10001, /price/],
    [{ ...ORDER, triggerPrice: huge }, 110003, /triggerPrice/],
    [{ ...SPOT_ORDER, qty: tiny }, 170137, /decimal too long/],
    [{ ...SPOT_ORDER, qty: huge }, 170124, /too large/],
    [{ ...SPOT_ORDER, price: huge }, 170132, /too high/],
    [{ ...SPOT_ORDER, orderType: 'Market', qty: huge, price: undefined }, 170124, /too large/],
  ]);
  await expectUnchanged();
});

test('invalid JSON, non-object bodies and empty bodies get 10001 on every trading POST', async () => {
  const paths = [
    '/v5/order/create',
    '/v5/order/amend',
    '/v5/order/cancel',
    '/v5/order/cancel-all',
    '/v5/order/create-batch',
    '/v5/order/amend-batch',
    '/v5/order/cancel-batch',
    '/v5/position/switch-mode',
    '/v5/position/trading-stop',
  ];
  for (const path of paths) {
    await postCases(path, [
      ['{"category":"linear","symbol":"BTCUSDT",', 10001, /JSON/],
      ["{'category':'linear'}", 10001, /JSON/],
      ['{"category":"linear"} trailing', 10001, /JSON/],
      [`[${JSON.stringify(ORDER)}]`, 10001, /object/],
      ['null', 10001, /object/],
      ['"linear"', 10001, /object/],
      ['', 10001, /empty/],
    ]);
  }
  await expectUnchanged();
});

test('amend, cancel and cancel-all with wrong types get 10001 and change nothing', async () => {
  const keep = { ...LINEAR, orderLinkId: 'keep-1' };
  await postCases('/v5/order/amend', [
    [{ ...LINEAR, orderId: 42, price: '48000' }, 10001, /orderId/],
    [{ ...LINEAR, orderLinkId: ['keep-1'], price: '48000' }, 10001, /orderLinkId/],
    [{ ...keep, qty: 0.02 }, 10001, /qty/],
    [{ ...keep, qty: '0' }, 10001, /[Qq]ty/],
    [{ ...keep, qty: '-1' }, 10001, /[Qq]ty/],
    [{ ...keep, price: 'abc' }, 10001, /price/],
    [{ ...keep, price: '48000.01' }, 10001, /price/],
    [{ ...keep, price: '9'.repeat(300) }, 110003, /out of permissible range/],
    [{ ...keep, qty: '9'.repeat(300) }, 10001, /maximum/],
    [{ ...keep, takeProfit: 1 }, 10001, /takeProfit/],
    [{ ...keep }, 10001, /remains unchanged/],
    [{ ...keep, category: 'inverse', price: '48000' }, 10001, /category/],
    [{ ...keep, symbol: 'ETHUSDT', price: '48000' }, 10001, /symbol/],
  ]);
  await postCases('/v5/order/cancel', [
    [{ ...LINEAR, orderId: {} }, 10001, /orderId/],
    [{ ...LINEAR, orderLinkId: true }, 10001, /orderLinkId/],
    [{ ...LINEAR }, 10001, /OrderId or orderLinkId/],
    [{ ...keep, category: 'spot' }, 170213, /Order does not exist/],
    [{ ...keep, symbol: 'btcusdt' }, 10001, /symbol/],
  ]);
  await postCases('/v5/order/cancel-all', [
    [{ category: 'linear' }, 10001, /symbol, baseCoin or settleCoin/],
    [{ category: 'linear', settleCoin: 5 }, 10001, /settleCoin/],
    [{ category: 'linear', baseCoin: ['BTC'] }, 10001, /baseCoin/],
    [{ category: 'linear', symbol: 'btcusdt' }, 10001, /symbol/],
    [{ category: 'linear', symbol: 'ETHUSDT' }, 10001, /symbol/],
    [{ ...LINEAR, orderFilter: 'All' }, 10001, /orderFilter/],
    [{ category: 'spot', settleCoin: 'USDT' }, 10001, /settleCoin/],
    [{ category: 'futures', symbol: 'BTCUSDT' }, 10001, /category/],
  ]);
  await expectUnchanged();
});

test('batches with a non-array, huge or malformed request get 10001 and change nothing', async () => {
  for (const path of ['/v5/order/create-batch', '/v5/order/amend-batch', '/v5/order/cancel-batch']) {
    await postCases(path, [
      [{ category: 'linear', request: 'x' }, 10001, /request/],
      [{ category: 'linear', request: { 0: ORDER } }, 10001, /request/],
      [{ category: 'linear', request: null }, 10001, /request/],
      [{ category: 'linear', request: 5 }, 10001, /request/],
      [{ category: 'linear', request: [] }, 10001, /request/],
      [{ category: 'linear', request: Array(21).fill(ORDER) }, 10001, /at most 20/],
      [{ category: 'linear', request: Array(50_000).fill({}) }, 10001, /at most 20/],
      [{ category: 'spot', request: Array(11).fill(SPOT_ORDER) }, 10001, /at most 10/],
      [{ category: 'inverse', request: [ORDER] }, 10001, /category/],
      [{ category: ['linear'], request: [ORDER] }, 10001, /category/],
    ]);
  }
  await expectUnchanged();
});

test('batch items with wrong types fail one by one with envelope retCode 0 and change nothing', async () => {
  const items = [
    { ...ORDER, qty: 0.01 },
    { ...ORDER, side: 'buy' },
    { ...ORDER, positionIdx: 'x' },
    { ...ORDER, reduceOnly: 'yes' },
    null,
    [ORDER],
    'order',
    42,
  ];
  for (const path of ['/v5/order/create-batch', '/v5/order/amend-batch', '/v5/order/cancel-batch']) {
    const r = await postSigned(ex, path, { category: 'linear', request: items });
    expect(r.status, r.text).toBe(200);
    expect(r.body.retCode, `${path}: ${r.text}`).toBe(0);
    const codes = r.body.retExtInfo.list as { code: number; msg: string }[];
    expect(codes).toHaveLength(items.length);
    for (const c of codes) expect(c.code, `${path}: ${c.msg}`).toBe(10001);
    for (const it of r.body.result.list) expect(it.orderId).toBe('');
  }
  await expectUnchanged();
});

test('position endpoints with wrong types get 10001 and change nothing', async () => {
  await postCases('/v5/position/switch-mode', [
    [{ ...LINEAR, mode: '3.0' }, 10001, /position_mode/],
    [{ ...LINEAR, mode: true }, 10001, /position_mode/],
    [{ ...LINEAR, mode: [3] }, 10001, /position_mode/],
    [{ category: 'linear', symbol: 5, mode: 3 }, 10001, /symbol/],
    [{ category: 'linear', coin: {}, mode: 3 }, 10001, /coin/],
    [{ ...SPOT, mode: 3 }, 10001, /category/],
  ]);
  const stop = { ...LINEAR, tpslMode: 'Full', positionIdx: 0 };
  await postCases('/v5/position/trading-stop', [
    [{ ...stop, takeProfit: 61000 }, 10001, /takeProfit/],
    [{ ...stop, stopLoss: 'low' }, 10001, /stopLoss/],
    [{ ...stop, positionIdx: 'x', takeProfit: '61000' }, 10001, /positionIdx/],
    [{ ...stop, tpslMode: 'full', takeProfit: '61000' }, 10001, /tpslMode/],
    [{ ...stop, trailingStop: 'abc' }, 10001, /trailingStop/],
    [{ ...stop, slTriggerBy: 'Mark', takeProfit: '61000' }, 10001, /slTriggerBy/],
    [{ ...stop, takeProfit: '9'.repeat(300) }, 110003, /out of permissible range/],
    [{ ...stop, takeProfit: '60000', stopLoss: '40000' }, 34040, /not modified/],
    [{ ...stop, category: 'spot', takeProfit: '61000' }, 10001, /category/],
  ]);
  await postCases('/v5/position/set-leverage', [
    [{ ...LINEAR, buyLeverage: 5, sellLeverage: '5' }, 10001, /buyLeverage/],
    [{ ...LINEAR, buyLeverage: '5', sellLeverage: 'x' }, 10001, /sellLeverage/],
  ]);
  await expectUnchanged();
});

test('read endpoints with malformed queries get 10001 naming the parameter', async () => {
  const cases: [string, string, RegExp][] = [
    ['/v5/order/realtime', 'category=linear&symbol=BTCUSDT&openOnly=yes', /openOnly/],
    ['/v5/order/realtime', 'category=linear&symbol=BTCUSDT&limit=abc', /limit/],
    ['/v5/order/realtime', 'category=linear&symbol=BTCUSDT&limit=51', /limit/],
    ['/v5/order/realtime', 'category=linear&symbol=BTCUSDT&cursor=%00', /cursor/],
    ['/v5/order/realtime', 'category=linear&symbol=BTCUSDT&orderFilter=x', /orderFilter/],
    ['/v5/order/realtime', 'category=spot&settleCoin=USDT', /settleCoin/],
    ['/v5/order/realtime', 'category=inverse&symbol=BTCUSDT', /category/],
    ['/v5/order/realtime', 'category=linear&category=spot&symbol=BTCUSDT', /category/],
    ['/v5/order/history', 'category=linear&orderStatus=filled', /orderStatus/],
    ['/v5/order/history', 'category=linear&startTime=abc', /startTime/],
    ['/v5/order/history', 'category=linear&startTime=0&endTime=999999999999', /7 days/],
    ['/v5/order/history', 'category=linear&startTime=5&endTime=1', /endTime/],
    ['/v5/execution/list', 'category=linear&execType=trade', /execType/],
    ['/v5/execution/list', 'category=linear&limit=0', /limit/],
    ['/v5/execution/list', 'category=linear&endTime=-1', /endTime/],
    ['/v5/execution/list', '', /category/],
    ['/v5/position/list', 'category=linear&settleCoin=USDT&limit=201', /limit/],
    ['/v5/position/list', 'category=linear&symbol=BTC-USDT', /symbol/],
    ['/v5/position/closed-pnl', 'category=linear&cursor=x', /cursor/],
    ['/v5/position/closed-pnl', 'category=option', /category/],
  ];
  for (const [path, q, mentions] of cases) {
    expectEnvelope(await getSigned(ex, path, q), 10001, mentions, `${path}?${q}`);
  }
  await expectUnchanged();
});

// Runs last: the exchange that took every refused request above matches its untouched twin.
test('after all the refused requests the exchange answers exactly like a twin that never saw them', async () => {
  const next = { ...ORDER, price: '48000' };
  const a = await postSigned(ex, '/v5/order/create', next);
  const b = await postSigned(twin, '/v5/order/create', next);
  expect(a.body.retCode, a.text).toBe(0);
  expect(a.text).toBe(b.text);
  const fill = { ...LINEAR, side: 'Sell', orderType: 'Market', qty: '0.030' };
  const fa = await postSigned(ex, '/v5/order/create', fill);
  const fb = await postSigned(twin, '/v5/order/create', fill);
  expect(fa.text).toBe(fb.text);
  const [sa, sb] = [await snapshot(ex), await snapshot(twin)];
  for (const [k, v] of sb) expect(sa.get(k), k).toBe(v);
});
