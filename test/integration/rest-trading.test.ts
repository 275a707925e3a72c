/**
 * Order and execution endpoints over real HTTP, signed like a Bybit client, on a manual clock:
 * nothing fills or moves unless a request or a clock advance makes it.
 * @see ../shared/reference/bybit-v5-facts.md §4, §6, §7.9-7.16, §7.26;
 *      ../shared/reference/client-call-patterns.md §3.5, §3.7, §3.8
 */
import { afterAll, beforeAll, beforeEach, expect, test } from 'vitest';
import type { ManualClock } from '../../src/core/clock.js';
import type { RunningExchange } from '../../src/runtime/start-exchange.js';
import {
  MANUAL_CLOCK_START,
  READONLY_KEY,
  READONLY_SECRET,
  getSigned,
  manualScenarioYaml,
  NO_RATE_LIMITS,
  postSigned,
  startTestExchange,
  type Reply,
} from '../support/server.js';
import type { Json } from '../support/ws.js';
import { expectParamError } from '../support/envelope.js';

let ex: RunningExchange;

beforeAll(async () => {
  ex = await startTestExchange({
    scenario: { yaml: manualScenarioYaml(NO_RATE_LIMITS), name: 'trading-manual' },
  });
});

afterAll(async () => {
  await ex?.close();
});

// Every test starts from the scenario: same balances, no orders, the clock at its start.
beforeEach(() => {
  ex.reset();
});

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
const SPOT_ID = /^\d{19}$/;
const DECIMAL = /^-?\d+(\.\d+)?$/;
const LINEAR = { category: 'linear', symbol: 'BTCUSDT' } as const;
const SPOT = { category: 'spot', symbol: 'BTCUSDT' } as const;

function ok(r: Reply): Json {
  expect(r.status, r.text).toBe(200);
  expect(r.body.retCode, r.text).toBe(0);
  expect(r.body.retMsg).toBe('OK');
  expect(r.body.retExtInfo).toEqual({});
  return r.body.result;
}

/** A business error: HTTP 200, the code, a message matching `mentions`, empty result. */
function expectError(r: Reply, retCode: number, mentions: RegExp): void {
  expect(r.status, r.text).toBe(200);
  expect(r.body.retCode, r.text).toBe(retCode);
  expect(r.body.retMsg).toMatch(mentions);
  expect(r.body.result).toEqual({});
  expect(r.body.retExtInfo).toEqual({});
}

/** Keys of a row that are not strings, with their JSON type; every other key must be a string. */
function expectStringsExcept(row: Record<string, unknown>, others: Record<string, string>): void {
  for (const [k, v] of Object.entries(row)) {
    const want = others[k] ?? 'string';
    expect(typeof v, `${k} = ${JSON.stringify(v)}`).toBe(want);
  }
}

const ORDER_NON_STRING = {
  positionIdx: 'number',
  triggerDirection: 'number',
  smpGroup: 'number',
  reduceOnly: 'boolean',
  closeOnTrigger: 'boolean',
  cumFeeDetail: 'object',
};
const EXEC_NON_STRING = { isMaker: 'boolean', seq: 'number' };

const create = (body: Record<string, unknown>) => postSigned(ex, '/v5/order/create', body);

async function place(body: Record<string, unknown>): Promise<{ orderId: string; orderLinkId: string }> {
  return ok(await create(body));
}

/** A resting linear limit buy well below the market (last price 50000). */
function restingLinear(extra: Record<string, unknown> = {}) {
  return place({ ...LINEAR, side: 'Buy', orderType: 'Limit', qty: '0.010', price: '49000', ...extra });
}

function restingSpot(extra: Record<string, unknown> = {}) {
  return place({ ...SPOT, side: 'Buy', orderType: 'Limit', qty: '0.01', price: '49000', ...extra });
}

async function openOrders(category: 'linear' | 'spot'): Promise<Json[]> {
  const q = category === 'linear' ? 'category=linear&settleCoin=USDT&limit=50' : 'category=spot&limit=50';
  return ok(await getSigned(ex, '/v5/order/realtime', q)).list;
}

async function orderById(category: string, orderId: string): Promise<Json> {
  const list = ok(await getSigned(ex, '/v5/order/realtime', `category=${category}&orderId=${orderId}`)).list;
  expect(list).toHaveLength(1);
  return list[0];
}

function advance(ms: number): void {
  (ex.clock as ManualClock).advance(ms);
}

/** Pages through a list endpoint with `limit`, returning every row and the number of pages. */
async function pageAll(path: string, query: string, limit: number): Promise<{ rows: Json[]; pages: number }> {
  const rows: Json[] = [];
  let cursor = '';
  let pages = 0;
  for (;;) {
    const q = `${query}&limit=${limit}${cursor ? `&cursor=${cursor}` : ''}`;
    const result = ok(await getSigned(ex, path, q));
    pages += 1;
    expect(result.list.length, q).toBeLessThanOrEqual(limit);
    rows.push(...result.list);
    expect(typeof result.nextPageCursor).toBe('string');
    if (result.nextPageCursor === '') break;
    expect(result.list).toHaveLength(limit);
    cursor = result.nextPageCursor;
    if (pages > 100) throw new Error('paging does not end');
  }
  return { rows, pages };
}

// ---- order/create: ids and wire shape ---------------------------------------------------------

test('a linear limit order gets a UUID orderId and an empty orderLinkId and rests as New', async () => {
  const r = await create({ ...LINEAR, side: 'Buy', orderType: 'Limit', qty: '0.010', price: '49000' });
  expect(r.body.time).toBe(MANUAL_CLOCK_START);
  const { orderId, orderLinkId } = ok(r);
  expect(Object.keys(ok(r)).sort()).toEqual(['orderId', 'orderLinkId']);
  expect(orderId).toMatch(UUID);
  expect(orderLinkId).toBe('');

  const o = await orderById('linear', orderId);
  expectStringsExcept(o, ORDER_NON_STRING);
  expect(o).toMatchObject({
    orderId,
    orderLinkId: '',
    symbol: 'BTCUSDT',
    side: 'Buy',
    orderType: 'Limit',
    price: '49000.0',
    qty: '0.010',
    leavesQty: '0.010',
    cumExecQty: '0.000',
    cumExecValue: '0',
    orderStatus: 'New',
    timeInForce: 'GTC',
    positionIdx: 0,
    reduceOnly: false,
    closeOnTrigger: false,
    triggerDirection: 0,
    cancelType: 'UNKNOWN',
    rejectReason: 'EC_NoError',
    createType: 'CreateByUser',
    createdTime: String(MANUAL_CLOCK_START),
    updatedTime: String(MANUAL_CLOCK_START),
  });
  // ccxt tells contracts from spot by the presence of the key, even when it is "".
  expect(o).toHaveProperty('tpslMode');
  expect(o.leavesValue).toMatch(DECIMAL);
  expect(Number(o.leavesValue)).toBe(490);
});

test('a spot limit order gets a 19-digit orderId, orderLinkId orderId+1, and no tpslMode or createType key', async () => {
  const { orderId, orderLinkId } = await restingSpot();
  expect(orderId).toMatch(SPOT_ID);
  expect(orderLinkId).toBe((BigInt(orderId) + 1n).toString());

  const o = await orderById('spot', orderId);
  expectStringsExcept(o, ORDER_NON_STRING);
  expect(o).toMatchObject({ orderId, orderLinkId, price: '49000.00', qty: '0.010000', orderStatus: 'New' });
  expect(o).not.toHaveProperty('tpslMode');
  expect(o).not.toHaveProperty('createType');

  // The next spot order's id is above the previous auto orderLinkId: ids never collide.
  const next = await restingSpot();
  expect(BigInt(next.orderId) > BigInt(orderLinkId)).toBe(true);
});

test('a given orderLinkId is echoed, finds the order, and a duplicate is 110072 (linear) or 170141 (spot)', async () => {
  const linear = await restingLinear({ orderLinkId: 'my-linear-1' });
  expect(linear.orderLinkId).toBe('my-linear-1');
  const byLink = ok(await getSigned(ex, '/v5/order/realtime', 'category=linear&orderLinkId=my-linear-1'));
  expect(byLink.list.map((o: Json) => o.orderId)).toEqual([linear.orderId]);
  expectError(
    await create({
      ...LINEAR,
      side: 'Buy',
      orderType: 'Limit',
      qty: '0.010',
      price: '48000',
      orderLinkId: 'my-linear-1',
    }),
    110072,
    /OrderLinkedID is duplicate/,
  );

  const spot = await restingSpot({ orderLinkId: 'my-spot-1' });
  expect(spot.orderLinkId).toBe('my-spot-1');
  expectError(
    await create({
      ...SPOT,
      side: 'Buy',
      orderType: 'Limit',
      qty: '0.01',
      price: '48000',
      orderLinkId: 'my-spot-1',
    }),
    170141,
    /Duplicate clientOrderId/,
  );

  // The refused duplicates placed nothing.
  expect((await openOrders('linear')).map((o) => o.orderId)).toEqual([linear.orderId]);
  expect((await openOrders('spot')).map((o) => o.orderId)).toEqual([spot.orderId]);
});

test('a linear market buy fills at once: Filled, gone from open orders, executions carry createType', async () => {
  const { orderId } = await place({ ...LINEAR, side: 'Buy', orderType: 'Market', qty: '0.100' });
  expect(orderId).toMatch(UUID);

  expect(await openOrders('linear')).toEqual([]);
  const o = await orderById('linear', orderId);
  expect(o).toMatchObject({
    orderStatus: 'Filled',
    orderType: 'Market',
    timeInForce: 'IOC',
    cumExecQty: '0.100',
    leavesQty: '0.000',
  });
  // Market orders show their slippage-protected price, above the last price for a buy.
  expect(Number(o.price)).toBeGreaterThan(50000);

  const execs = ok(await getSigned(ex, '/v5/execution/list', `category=linear&orderId=${orderId}`))
    .list as Json[];
  expect(execs.length).toBeGreaterThan(0);
  let qty = 0;
  let value = 0;
  for (const e of execs) {
    expectStringsExcept(e, EXEC_NON_STRING);
    expect(e).toMatchObject({
      orderId,
      symbol: 'BTCUSDT',
      side: 'Buy',
      orderType: 'Market',
      execType: 'Trade',
      isMaker: false,
      createType: 'CreateByUser',
    });
    expect(e.execId).toMatch(UUID);
    expect(Number.isInteger(e.seq)).toBe(true);
    expect(Number(e.execValue)).toBeCloseTo(Number(e.execPrice) * Number(e.execQty), 8);
    expect(Number(e.execFee)).toBeCloseTo(Number(e.execValue) * Number(e.feeRate), 8);
    qty += Number(e.execQty);
    value += Number(e.execValue);
  }
  expect(qty).toBeCloseTo(0.1, 9);
  expect(Number(o.cumExecValue)).toBeCloseTo(value, 6);
  // Executions are newest first.
  const seqs = execs.map((e) => e.seq);
  expect([...seqs].sort((a, b) => b - a)).toEqual(seqs);
});

test('spot executions carry no createType key and a numeric execId', async () => {
  const { orderId } = await place({
    ...SPOT,
    side: 'Buy',
    orderType: 'Market',
    qty: '0.01',
    marketUnit: 'baseCoin',
  });
  const execs = ok(await getSigned(ex, '/v5/execution/list', `category=spot&orderId=${orderId}`))
    .list as Json[];
  expect(execs.length).toBeGreaterThan(0);
  for (const e of execs) {
    expectStringsExcept(e, EXEC_NON_STRING);
    expect(e).not.toHaveProperty('createType');
    expect(e.execId).toMatch(/^\d+$/);
    expect(e.feeCurrency).toBe('BTC');
  }
  const o = await orderById('spot', orderId);
  expect(o).toMatchObject({ orderStatus: 'Filled', cumExecQty: '0.010000' });
});

// ---- order/create: refusals --------------------------------------------------------------------

test('missing or malformed order fields get 10001 naming the field, and nothing is placed', async () => {
  const full: Record<string, unknown> = {
    ...LINEAR,
    side: 'Buy',
    orderType: 'Limit',
    qty: '0.010',
    price: '49000',
  };
  for (const field of ['category', 'symbol', 'side', 'orderType', 'qty', 'price']) {
    const body = { ...full };
    delete body[field];
    expectParamError(await create(body), new RegExp(field, 'i'));
  }
  const bad: [Record<string, unknown>, RegExp][] = [
    [{ side: 'buy' }, /side/],
    [{ side: 'Long' }, /side/],
    [{ orderType: 'limit' }, /orderType/],
    [{ orderType: 'StopLimit' }, /orderType/],
    [{ qty: 0.01 }, /qty/],
    [{ qty: 'abc' }, /qty/],
    [{ qty: '0' }, /qty/i],
    [{ qty: '-0.01' }, /qty/i],
    [{ qty: '0.0105' }, /qty/i],
    [{ qty: '101' }, /maximum/],
    [{ price: 49000 }, /price/],
    [{ price: '49000.05' }, /price.*tickSize/],
    [{ timeInForce: 'GTD' }, /timeInForce/],
    [{ positionIdx: 'x' }, /positionIdx/],
    [{ positionIdx: 3 }, /positionIdx/],
    [{ reduceOnly: 'yes' }, /reduceOnly/],
    [{ orderLinkId: 'has space' }, /orderLinkId/],
    [{ orderLinkId: 'x'.repeat(37) }, /orderLinkId/],
    [{ symbol: 'ETHUSDT' }, /symbol/],
    [{ symbol: 'btcusdt' }, /symbol/],
    [{ category: 'inverse' }, /category/],
    [{ category: 'futures' }, /category/],
    [{ triggerBy: 'Last', triggerPrice: '60000' }, /triggerBy/],
  ];
  for (const [patch, mentions] of bad) {
    const r = await create({ ...full, ...patch });
    expect(r.body.retCode, `${JSON.stringify(patch)} -> ${r.text}`).toBe(10001);
    expect(r.body.retMsg, JSON.stringify(patch)).toMatch(mentions);
  }
  expect(await openOrders('linear')).toEqual([]);
});

test('a spot order on an unknown symbol gets 170121', async () => {
  expectError(
    await create({
      ...SPOT,
      symbol: 'ETHUSDT',
      side: 'Buy',
      orderType: 'Limit',
      qty: '0.01',
      price: '49000',
    }),
    170121,
    /Invalid symbol/,
  );
});

test('an order the balance cannot cover gets 110007 (linear) or 170131 (spot) and places nothing', async () => {
  // 10,000 USDT at leverage 10 covers about 100,000 USDT of notional; 50 BTC is 2.45M.
  expectError(
    await create({ ...LINEAR, side: 'Buy', orderType: 'Limit', qty: '50', price: '49000' }),
    110007,
    /ab not enough for new order/,
  );
  expectError(
    await create({ ...LINEAR, side: 'Sell', orderType: 'Market', qty: '50' }),
    110007,
    /ab not enough/,
  );
  // Spot buy needs 0.3 x 49000 = 14,700 USDT; the account holds 10,000.
  expectError(
    await create({ ...SPOT, side: 'Buy', orderType: 'Limit', qty: '0.3', price: '49000' }),
    170131,
    /Insufficient balance/,
  );
  // Spot sell needs 0.6 BTC; the account holds 0.5.
  expectError(
    await create({ ...SPOT, side: 'Sell', orderType: 'Limit', qty: '0.6', price: '51000' }),
    170131,
    /Insufficient balance/,
  );
  expect(await openOrders('linear')).toEqual([]);
  expect(await openOrders('spot')).toEqual([]);
  expect(ok(await getSigned(ex, '/v5/execution/list', 'category=linear')).list).toEqual([]);
});

test('a reduce-only order without a position, or one that would increase it, gets 110017', async () => {
  expectError(
    await create({ ...LINEAR, side: 'Sell', orderType: 'Market', qty: '0.010', reduceOnly: true }),
    110017,
    /[Rr]educe-only/,
  );
  await place({ ...LINEAR, side: 'Buy', orderType: 'Market', qty: '0.010' });
  expectError(
    await create({
      ...LINEAR,
      side: 'Buy',
      orderType: 'Limit',
      qty: '0.010',
      price: '49000',
      reduceOnly: true,
    }),
    110017,
    /[Rr]educe-only/,
  );
  expect(await openOrders('linear')).toEqual([]);
  // The reduce-only close itself is accepted.
  const close = await place({ ...LINEAR, side: 'Sell', orderType: 'Market', qty: '0.010', reduceOnly: true });
  expect((await orderById('linear', close.orderId)).orderStatus).toBe('Filled');
});

test('an order below the minimum value gets 110094 (linear, naming 5USDT) or 170140 (spot)', async () => {
  // 0.001 x 4000 = 4 USDT < 5 USDT.
  expectError(
    await create({ ...LINEAR, side: 'Buy', orderType: 'Limit', qty: '0.001', price: '4000' }),
    110094,
    /minimum order value 5USDT/,
  );
  // 0.0001 x 5000 = 0.5 USDT < 1 USDT.
  expectError(
    await create({ ...SPOT, side: 'Buy', orderType: 'Limit', qty: '0.0001', price: '5000' }),
    170140,
    /lower limit/,
  );
  // A spot market buy sized in USDT below 1 USDT.
  expectError(await create({ ...SPOT, side: 'Buy', orderType: 'Market', qty: '0.5' }), 170140, /lower limit/);
  expect(await openOrders('linear')).toEqual([]);
  expect(await openOrders('spot')).toEqual([]);
});

test('the read-only key gets 10005 on every trading POST but may read', async () => {
  const ro = { key: READONLY_KEY, secret: READONLY_SECRET };
  const posts: [string, Record<string, unknown>][] = [
    ['/v5/order/create', { ...LINEAR, side: 'Buy', orderType: 'Limit', qty: '0.001', price: '49000' }],
    ['/v5/order/amend', { ...LINEAR, orderId: 'x', price: '1' }],
    ['/v5/order/cancel', { ...LINEAR, orderId: 'x' }],
    ['/v5/order/cancel-all', { ...LINEAR }],
    ['/v5/order/create-batch', { category: 'linear', request: [] }],
    ['/v5/order/amend-batch', { category: 'linear', request: [] }],
    ['/v5/order/cancel-batch', { category: 'linear', request: [] }],
    ['/v5/position/switch-mode', { ...LINEAR, mode: 3 }],
    ['/v5/position/trading-stop', { ...LINEAR, takeProfit: '60000', positionIdx: 0 }],
    ['/v5/position/set-leverage', { ...LINEAR, buyLeverage: '5', sellLeverage: '5' }],
  ];
  for (const [path, body] of posts) {
    const r = await postSigned(ex, path, body, ro);
    expect(r.body.retCode, `${path}: ${r.text}`).toBe(10005);
    expect(r.body.retMsg).toMatch(/Permission denied/);
  }
  const reads: [string, string][] = [
    ['/v5/order/realtime', 'category=linear&symbol=BTCUSDT'],
    ['/v5/order/history', 'category=linear'],
    ['/v5/execution/list', 'category=linear'],
    ['/v5/position/list', 'category=linear&symbol=BTCUSDT'],
    ['/v5/position/closed-pnl', 'category=linear'],
  ];
  for (const [path, q] of reads) {
    const r = await getSigned(ex, path, q, ro);
    expect(r.body.retCode, `${path}: ${r.text}`).toBe(0);
  }
});

// ---- order/amend and order/cancel ------------------------------------------------------------

test('amend changes price and qty by orderId or orderLinkId; an unchanged amend is 10001', async () => {
  const { orderId } = await restingLinear({ orderLinkId: 'amend-me' });
  advance(1000);
  const r = ok(await postSigned(ex, '/v5/order/amend', { ...LINEAR, orderId, price: '48500', qty: '0.020' }));
  expect(r).toEqual({ orderId, orderLinkId: 'amend-me' });
  let o = await orderById('linear', orderId);
  expect(o).toMatchObject({ price: '48500.0', qty: '0.020', leavesQty: '0.020', orderStatus: 'New' });
  expect(o.updatedTime).toBe(String(MANUAL_CLOCK_START + 1000));
  expect(o.createdTime).toBe(String(MANUAL_CLOCK_START));

  ok(await postSigned(ex, '/v5/order/amend', { ...LINEAR, orderLinkId: 'amend-me', price: '48600' }));
  o = await orderById('linear', orderId);
  expect(o.price).toBe('48600.0');

  expectParamError(
    await postSigned(ex, '/v5/order/amend', { ...LINEAR, orderId, price: '48600' }),
    /remains unchanged/,
  );
  expectParamError(
    await postSigned(ex, '/v5/order/amend', { ...LINEAR, price: '48600' }),
    /OrderId or orderLinkId is required/,
  );
  expectParamError(
    await postSigned(ex, '/v5/order/amend', { ...LINEAR, orderId, price: '48600.05' }),
    /price/,
  );
  expectParamError(await postSigned(ex, '/v5/order/amend', { ...LINEAR, orderId, qty: 0.03 }), /qty/);
  o = await orderById('linear', orderId);
  expect(o).toMatchObject({ price: '48600.0', qty: '0.020' });
});

test('amend and cancel of an unknown or closed order get 110001 (linear) or 170213 (spot)', async () => {
  const unknown = '00000000-0000-4000-8000-000000000000';
  expectError(
    await postSigned(ex, '/v5/order/amend', { ...LINEAR, orderId: unknown, price: '48000' }),
    110001,
    /order not exists or too late to replace/,
  );
  expectError(
    await postSigned(ex, '/v5/order/cancel', { ...LINEAR, orderId: unknown }),
    110001,
    /order not exists or too late to cancel/,
  );
  expectError(
    await postSigned(ex, '/v5/order/cancel', { ...LINEAR, orderLinkId: 'never-sent' }),
    110001,
    /too late to cancel/,
  );
  expectError(
    await postSigned(ex, '/v5/order/cancel', { ...SPOT, orderId: '1700000000000000999' }),
    170213,
    /Order does not exist/,
  );
  expectError(
    await postSigned(ex, '/v5/order/amend', { ...SPOT, orderId: '1700000000000000999', price: '48000' }),
    170213,
    /Order does not exist/,
  );

  // A filled order is closed: too late to cancel.
  const filled = await place({ ...LINEAR, side: 'Buy', orderType: 'Market', qty: '0.010' });
  expectError(
    await postSigned(ex, '/v5/order/cancel', { ...LINEAR, orderId: filled.orderId }),
    110001,
    /too late to cancel/,
  );
  // An order of another category is not found under this one.
  const spot = await restingSpot();
  expectError(
    await postSigned(ex, '/v5/order/cancel', { ...LINEAR, orderId: spot.orderId }),
    110001,
    /too late to cancel/,
  );
});

test('cancel closes an order as Cancelled/CancelByUser; a second cancel is 110001', async () => {
  const { orderId, orderLinkId } = await restingLinear();
  advance(500);
  expect(ok(await postSigned(ex, '/v5/order/cancel', { ...LINEAR, orderId }))).toEqual({
    orderId,
    orderLinkId,
  });
  expect(await openOrders('linear')).toEqual([]);
  const hist = ok(await getSigned(ex, '/v5/order/history', `category=linear&orderId=${orderId}`)).list;
  expect(hist).toHaveLength(1);
  expect(hist[0]).toMatchObject({
    orderStatus: 'Cancelled',
    cancelType: 'CancelByUser',
    leavesQty: '0.000',
    updatedTime: String(MANUAL_CLOCK_START + 500),
  });
  expectError(await postSigned(ex, '/v5/order/cancel', { ...LINEAR, orderId }), 110001, /too late to cancel/);

  const spot = await restingSpot({ orderLinkId: 'spot-cancel' });
  expect(ok(await postSigned(ex, '/v5/order/cancel', { ...SPOT, orderLinkId: 'spot-cancel' }))).toEqual(spot);
  expect(await openOrders('spot')).toEqual([]);
  expectParamError(
    await postSigned(ex, '/v5/order/cancel', { ...LINEAR }),
    /OrderId or orderLinkId is required/,
  );
});

test('cancel-all cancels one category in scope; linear needs symbol, baseCoin or settleCoin', async () => {
  const a = await restingLinear({ orderLinkId: 'ca-1' });
  const b = await restingLinear({ price: '48000' });
  const s = await restingSpot();
  expectParamError(
    await postSigned(ex, '/v5/order/cancel-all', { category: 'linear' }),
    /symbol, baseCoin or settleCoin/,
  );
  expect(await openOrders('linear')).toHaveLength(2);

  const r = ok(await postSigned(ex, '/v5/order/cancel-all', { category: 'linear', settleCoin: 'USDT' }));
  expect(r.success).toBe('1');
  expect([...r.list].sort((x: Json, y: Json) => x.orderId.localeCompare(y.orderId))).toEqual(
    [
      { orderId: a.orderId, orderLinkId: 'ca-1' },
      { orderId: b.orderId, orderLinkId: '' },
    ].sort((x, y) => x.orderId.localeCompare(y.orderId)),
  );
  expect(await openOrders('linear')).toEqual([]);
  // The spot order is another category: untouched.
  expect((await openOrders('spot')).map((o) => o.orderId)).toEqual([s.orderId]);

  // Nothing left to cancel: an empty list.
  expect(ok(await postSigned(ex, '/v5/order/cancel-all', { ...LINEAR })).list).toEqual([]);
  // Spot may send no scope at all.
  const sr = ok(await postSigned(ex, '/v5/order/cancel-all', { category: 'spot' }));
  expect(sr.list).toEqual([{ orderId: s.orderId, orderLinkId: s.orderLinkId }]);
  expect(await openOrders('spot')).toEqual([]);
});

test('cancel-all: linear cancels every kind unless orderFilter narrows it; spot cancels plain orders by default', async () => {
  const plain = await restingLinear();
  const stop = await place({
    ...LINEAR,
    side: 'Buy',
    orderType: 'Market',
    qty: '0.010',
    triggerPrice: '51000',
  });
  expect((await orderById('linear', stop.orderId)).orderStatus).toBe('Untriggered');
  const onlyPlain = ok(await postSigned(ex, '/v5/order/cancel-all', { ...LINEAR, orderFilter: 'Order' }));
  expect(onlyPlain.list.map((o: Json) => o.orderId)).toEqual([plain.orderId]);
  const rest = ok(await postSigned(ex, '/v5/order/cancel-all', { ...LINEAR }));
  expect(rest.list.map((o: Json) => o.orderId)).toEqual([stop.orderId]);
  expect(await openOrders('linear')).toEqual([]);

  // Spot: orderFilter defaults to Order, so a conditional order survives a bare cancel-all.
  const spotPlain = await restingSpot();
  const spotStop = await place({
    ...SPOT,
    side: 'Buy',
    orderType: 'Limit',
    qty: '0.01',
    price: '51000',
    triggerPrice: '51000',
    orderFilter: 'StopOrder',
  });
  const bare = ok(await postSigned(ex, '/v5/order/cancel-all', { category: 'spot' }));
  expect(bare.list.map((o: Json) => o.orderId)).toEqual([spotPlain.orderId]);
  expect((await openOrders('spot')).map((o) => o.orderId)).toEqual([spotStop.orderId]);
  const stops = ok(
    await postSigned(ex, '/v5/order/cancel-all', { category: 'spot', orderFilter: 'StopOrder' }),
  );
  expect(stops.list.map((o: Json) => o.orderId)).toEqual([spotStop.orderId]);
  expect(await openOrders('spot')).toEqual([]);
});

// ---- order/realtime and order/history -----------------------------------------------------------

test('order/realtime lists open orders newest first; linear needs a scope; openOnly=1 lists recent closed ones', async () => {
  const first = await restingLinear();
  const second = await restingLinear({ price: '48000' });
  const filled = await place({ ...LINEAR, side: 'Buy', orderType: 'Market', qty: '0.010' });
  const cancelled = await restingLinear({ price: '47000' });
  ok(await postSigned(ex, '/v5/order/cancel', { ...LINEAR, orderId: cancelled.orderId }));

  expectParamError(
    await getSigned(ex, '/v5/order/realtime', 'category=linear'),
    /symbol, baseCoin or settleCoin/,
  );
  for (const q of [
    'category=linear&symbol=BTCUSDT',
    'category=linear&settleCoin=USDT',
    'category=linear&baseCoin=BTC',
    'category=linear&symbol=BTCUSDT&openOnly=0',
  ]) {
    const open = ok(await getSigned(ex, '/v5/order/realtime', q));
    expect(open.category).toBe('linear');
    expect(
      open.list.map((o: Json) => o.orderId),
      q,
    ).toEqual([second.orderId, first.orderId]);
    expect(open.nextPageCursor).toBe('');
  }

  const closed = ok(
    await getSigned(ex, '/v5/order/realtime', 'category=linear&symbol=BTCUSDT&openOnly=1'),
  ).list;
  expect(closed.map((o: Json) => [o.orderId, o.orderStatus])).toEqual([
    [cancelled.orderId, 'Cancelled'],
    [filled.orderId, 'Filled'],
  ]);

  // By id an order is found whatever its state.
  expect((await orderById('linear', filled.orderId)).orderStatus).toBe('Filled');
  expect((await orderById('linear', first.orderId)).orderStatus).toBe('New');
});

test('order/history lists closed orders; orderStatus picks one status (open ones included)', async () => {
  const open = await restingLinear();
  const f1 = await place({ ...LINEAR, side: 'Buy', orderType: 'Market', qty: '0.010' });
  const c1 = await restingLinear({ price: '47000' });
  ok(await postSigned(ex, '/v5/order/cancel', { ...LINEAR, orderId: c1.orderId }));
  const f2 = await place({ ...LINEAR, side: 'Sell', orderType: 'Market', qty: '0.010' });

  const all = ok(await getSigned(ex, '/v5/order/history', 'category=linear'));
  expect(all.list.map((o: Json) => o.orderId)).toEqual([f2.orderId, c1.orderId, f1.orderId]);
  expect(all.nextPageCursor).toBe('');
  for (const o of all.list) expectStringsExcept(o, ORDER_NON_STRING);

  const filled = ok(
    await getSigned(ex, '/v5/order/history', 'category=linear&symbol=BTCUSDT&orderStatus=Filled'),
  );
  expect(filled.list.map((o: Json) => o.orderId)).toEqual([f2.orderId, f1.orderId]);
  const cancelled = ok(await getSigned(ex, '/v5/order/history', 'category=linear&orderStatus=Cancelled'));
  expect(cancelled.list.map((o: Json) => o.orderId)).toEqual([c1.orderId]);
  const news = ok(await getSigned(ex, '/v5/order/history', 'category=linear&orderStatus=New'));
  expect(news.list.map((o: Json) => o.orderId)).toEqual([open.orderId]);
  expectParamError(
    await getSigned(ex, '/v5/order/history', 'category=linear&orderStatus=Done'),
    /orderStatus/,
  );
  expect(ok(await getSigned(ex, '/v5/order/history', 'category=spot')).list).toEqual([]);
});

test('order/history pages with limit and cursor through every closed order exactly once', async () => {
  const ids: string[] = [];
  for (let i = 0; i < 7; i++) ids.push((await restingLinear({ price: String(40000 + i * 100) })).orderId);
  ok(await postSigned(ex, '/v5/order/cancel-all', { ...LINEAR }));
  for (let i = 0; i < 3; i++)
    ids.push(
      (await place({ ...LINEAR, side: i % 2 ? 'Sell' : 'Buy', orderType: 'Market', qty: '0.010' })).orderId,
    );

  const everything = ok(await getSigned(ex, '/v5/order/history', 'category=linear&limit=50'));
  expect(everything.list).toHaveLength(10);
  expect(everything.nextPageCursor).toBe('');
  for (const limit of [1, 3, 5, 10]) {
    const { rows, pages } = await pageAll('/v5/order/history', 'category=linear', limit);
    expect(
      rows.map((o) => o.orderId),
      `limit ${limit}`,
    ).toEqual(everything.list.map((o: Json) => o.orderId));
    expect(pages).toBe(Math.ceil(10 / limit));
  }
  expect(new Set(everything.list.map((o: Json) => o.orderId))).toEqual(new Set(ids));

  // Paging by status keeps the filter on later pages.
  const { rows } = await pageAll('/v5/order/history', 'category=linear&orderStatus=Cancelled', 2);
  expect(rows).toHaveLength(7);
  expect(rows.every((o) => o.orderStatus === 'Cancelled')).toBe(true);

  expectParamError(
    await getSigned(ex, '/v5/order/history', 'category=linear&limit=2&cursor=garbage'),
    /cursor/,
  );
  expectParamError(await getSigned(ex, '/v5/order/history', 'category=linear&limit=51'), /limit/);
});

test('order/realtime pages open orders with limit and cursor', async () => {
  for (let i = 0; i < 5; i++) await restingLinear({ price: String(45000 + i * 100) });
  const { rows, pages } = await pageAll('/v5/order/realtime', 'category=linear&symbol=BTCUSDT', 2);
  expect(pages).toBe(3);
  expect(rows.map((o) => o.price)).toEqual(['45400.0', '45300.0', '45200.0', '45100.0', '45000.0']);
});

// ---- execution/list ------------------------------------------------------------------------------

test('execution/list pages with limit and cursor through every fill exactly once', async () => {
  // Market orders larger than one book level fill in several executions each.
  await place({ ...LINEAR, side: 'Buy', orderType: 'Market', qty: '0.300' });
  await place({ ...LINEAR, side: 'Sell', orderType: 'Market', qty: '0.200' });
  const everything = ok(await getSigned(ex, '/v5/execution/list', 'category=linear&limit=100'));
  const n = everything.list.length;
  expect(n).toBeGreaterThan(4);
  expect(everything.nextPageCursor).toBe('');
  const ids = everything.list.map((e: Json) => e.execId);
  expect(new Set(ids).size).toBe(n);

  for (const limit of [1, 2, 3]) {
    const { rows, pages } = await pageAll('/v5/execution/list', 'category=linear', limit);
    expect(
      rows.map((e) => e.execId),
      `limit ${limit}`,
    ).toEqual(ids);
    expect(pages).toBe(Math.ceil(n / limit));
  }
  const total = everything.list.reduce((s: number, e: Json) => s + Number(e.execQty), 0);
  expect(total).toBeCloseTo(0.5, 9);
  expectParamError(await getSigned(ex, '/v5/execution/list', 'category=linear&limit=101'), /limit/);
  expectParamError(await getSigned(ex, '/v5/execution/list', 'category=linear&execType=Fill'), /execType/);
  // Another category's fills are not listed.
  expect(ok(await getSigned(ex, '/v5/execution/list', 'category=spot')).list).toEqual([]);
});

test('execution/list execType=Funding and execType=Trade split funding settlements from fills', async () => {
  // A long tick interval makes the four hours to the 16:00 UTC settlement cheap to simulate.
  const yaml = manualScenarioYaml().replace('tickInterval: 1s', 'tickInterval: 1h');
  expect(yaml).toContain('tickInterval: 1h');
  const fx = await startTestExchange({ scenario: { yaml, name: 'trading-funding' } });
  try {
    ok(
      await postSigned(fx, '/v5/order/create', { ...LINEAR, side: 'Buy', orderType: 'Market', qty: '0.100' }),
    );
    (fx.clock as ManualClock).advance(4 * 3_600_000);
    const funding = ok(await getSigned(fx, '/v5/execution/list', 'category=linear&execType=Funding')).list;
    expect(funding).toHaveLength(1);
    expect(funding[0]).toMatchObject({
      execType: 'Funding',
      symbol: 'BTCUSDT',
      orderId: '',
      execQty: '0.100',
      execTime: String(MANUAL_CLOCK_START + 4 * 3_600_000),
    });
    expectStringsExcept(funding[0], EXEC_NON_STRING);
    const trades = ok(await getSigned(fx, '/v5/execution/list', 'category=linear&execType=Trade')).list;
    expect(trades.length).toBeGreaterThan(0);
    expect(trades.every((e: Json) => e.execType === 'Trade')).toBe(true);
    const all = ok(await getSigned(fx, '/v5/execution/list', 'category=linear')).list;
    expect(all).toHaveLength(trades.length + 1);
    // Newest first: the settlement comes before the fills.
    expect(all[0].execType).toBe('Funding');
  } finally {
    await fx.close();
  }
});

// ---- batches -------------------------------------------------------------------------------------

/** A batch answer: envelope retCode 0, parallel result.list and retExtInfo.list; returns both. */
function batchOk(r: Reply, n: number): { items: Json[]; codes: { code: number; msg: string }[] } {
  expect(r.status, r.text).toBe(200);
  expect(r.body.retCode, r.text).toBe(0);
  expect(r.body.retMsg).toBe('OK');
  const items = r.body.result.list as Json[];
  const codes = r.body.retExtInfo.list as { code: number; msg: string }[];
  expect(items).toHaveLength(n);
  expect(codes).toHaveLength(n);
  for (const c of codes) {
    expect(Object.keys(c).sort()).toEqual(['code', 'msg']);
    expect(typeof c.code).toBe('number');
    expect(typeof c.msg).toBe('string');
  }
  return { items, codes };
}

test('create-batch answers per item: codes in retExtInfo, failed items with orderId "" and createAt ""', async () => {
  const item = { symbol: 'BTCUSDT', side: 'Buy', orderType: 'Limit', qty: '0.010', price: '49000' };
  const r = await postSigned(ex, '/v5/order/create-batch', {
    category: 'linear',
    request: [
      { ...item, orderLinkId: 'b-1' },
      { ...item, side: 'buy', orderLinkId: 'b-2' },
      { ...item, price: '48000', orderLinkId: 'b-1' },
      { ...item, qty: '0.001', price: '4000', orderLinkId: 'b-4' },
      { ...item, positionIdx: 1 },
      { ...item, side: 'Sell', orderType: 'Market', reduceOnly: true },
      { ...item, qty: '50' },
      { ...item, side: 'Sell', price: '51000', orderLinkId: 'b-8' },
      'not an order',
    ],
  });
  const { items, codes } = batchOk(r, 9);
  expect(codes.map((c) => c.code)).toEqual([0, 10001, 110072, 110094, 10001, 110017, 110007, 0, 10001]);
  expect(codes[0]!.msg).toBe('OK');
  expect(codes[1]!.msg).toMatch(/side/);
  expect(codes[4]!.msg).toMatch(/position idx not match position mode/);
  expect(codes[8]!.msg).toMatch(/object/);
  for (const [i, it] of items.entries()) {
    expect(Object.keys(it).sort(), `item ${i}`).toEqual([
      'category',
      'createAt',
      'orderId',
      'orderLinkId',
      'symbol',
    ]);
    expect(it.category).toBe('linear');
    if (codes[i]!.code === 0) {
      expect(it.orderId).toMatch(UUID);
      expect(it.createAt).toBe(String(MANUAL_CLOCK_START));
      expect(it.symbol).toBe('BTCUSDT');
    } else {
      expect(it.orderId, `item ${i}`).toBe('');
      expect(it.createAt).toBe('');
    }
  }
  expect(items[0].orderLinkId).toBe('b-1');
  expect(items[1].orderLinkId).toBe('b-2');
  expect(items[7].orderLinkId).toBe('b-8');
  expect(items[8]).toMatchObject({ symbol: '', orderLinkId: '' });

  // Exactly the two accepted orders rest.
  const open = await openOrders('linear');
  expect(open.map((o) => o.orderId).sort()).toEqual([items[0].orderId, items[7].orderId].sort());
});

test('a spot create-batch uses the spot codes and numeric ids', async () => {
  const r = await postSigned(ex, '/v5/order/create-batch', {
    category: 'spot',
    request: [
      { symbol: 'BTCUSDT', side: 'Buy', orderType: 'Limit', qty: '0.01', price: '49000', orderLinkId: 's-1' },
      { symbol: 'BTCUSDT', side: 'Buy', orderType: 'Limit', qty: '0.01', price: '49000', orderLinkId: 's-1' },
      { symbol: 'BTCUSDT', side: 'Buy', orderType: 'Limit', qty: '1', price: '49000' },
      { symbol: 'ETHUSDT', side: 'Buy', orderType: 'Limit', qty: '1', price: '2000' },
      { symbol: 'BTCUSDT', side: 'Sell', orderType: 'Limit', qty: '0.01', price: '51000' },
    ],
  });
  const { items, codes } = batchOk(r, 5);
  expect(codes.map((c) => c.code)).toEqual([0, 170141, 170131, 170121, 0]);
  expect(items[0]).toMatchObject({ category: 'spot', orderLinkId: 's-1' });
  expect(items[0].orderId).toMatch(SPOT_ID);
  expect(items[4].orderId).toMatch(SPOT_ID);
  expect(items[4].orderLinkId).toBe((BigInt(items[4].orderId) + 1n).toString());
  expect(items[1].orderId).toBe('');
  expect((await openOrders('spot')).map((o) => o.orderId).sort()).toEqual(
    [items[0].orderId, items[4].orderId].sort(),
  );
});

test('amend-batch and cancel-batch answer per item; unknown orders get 110001 in their item', async () => {
  const a = await restingLinear({ orderLinkId: 'ab-1' });
  const b = await restingLinear({ price: '48000' });
  const unknown = '00000000-0000-4000-8000-000000000000';

  const amend = batchOk(
    await postSigned(ex, '/v5/order/amend-batch', {
      category: 'linear',
      request: [
        { symbol: 'BTCUSDT', orderLinkId: 'ab-1', price: '48500' },
        { symbol: 'BTCUSDT', orderId: unknown, price: '48500' },
        { symbol: 'BTCUSDT', orderId: b.orderId, price: '48000' },
        { symbol: 'BTCUSDT', orderId: b.orderId, qty: '0.020' },
      ],
    }),
    4,
  );
  expect(amend.codes.map((c) => c.code)).toEqual([0, 110001, 10001, 0]);
  expect(amend.codes[1]!.msg).toMatch(/too late to replace/);
  expect(amend.codes[2]!.msg).toMatch(/remains unchanged/);
  expect(amend.items[0]).toEqual({
    category: 'linear',
    symbol: 'BTCUSDT',
    orderId: a.orderId,
    orderLinkId: 'ab-1',
  });
  expect(amend.items[1]).toEqual({
    category: 'linear',
    symbol: 'BTCUSDT',
    orderId: unknown,
    orderLinkId: '',
  });
  expect((await orderById('linear', a.orderId)).price).toBe('48500.0');
  expect((await orderById('linear', b.orderId)).qty).toBe('0.020');

  const cancel = batchOk(
    await postSigned(ex, '/v5/order/cancel-batch', {
      category: 'linear',
      request: [
        { symbol: 'BTCUSDT', orderId: a.orderId },
        { symbol: 'BTCUSDT', orderId: a.orderId },
        { symbol: 'BTCUSDT' },
        { symbol: 'BTCUSDT', orderLinkId: 'nope' },
      ],
    }),
    4,
  );
  expect(cancel.codes.map((c) => c.code)).toEqual([0, 110001, 10001, 110001]);
  expect(cancel.items[0]).toEqual({
    category: 'linear',
    symbol: 'BTCUSDT',
    orderId: a.orderId,
    orderLinkId: 'ab-1',
  });
  expect((await openOrders('linear')).map((o) => o.orderId)).toEqual([b.orderId]);

  const spotCancel = batchOk(
    await postSigned(ex, '/v5/order/cancel-batch', {
      category: 'spot',
      request: [{ symbol: 'BTCUSDT', orderId: '1700000000000000999' }],
    }),
    1,
  );
  expect(spotCancel.codes[0]!.code).toBe(170213);
});

test('batches refuse a missing, empty, non-array or oversized request with 10001 and place nothing', async () => {
  const item = { symbol: 'BTCUSDT', side: 'Buy', orderType: 'Limit', qty: '0.010', price: '49000' };
  for (const path of ['/v5/order/create-batch', '/v5/order/amend-batch', '/v5/order/cancel-batch']) {
    expectParamError(await postSigned(ex, path, { category: 'linear' }), /request/);
    expectParamError(await postSigned(ex, path, { category: 'linear', request: [] }), /request/);
    expectParamError(await postSigned(ex, path, { category: 'linear', request: item }), /request/);
    expectParamError(
      await postSigned(ex, path, { category: 'linear', request: JSON.stringify([item]) }),
      /request/,
    );
    expectParamError(
      await postSigned(ex, path, { category: 'linear', request: Array(21).fill(item) }),
      /at most 20/,
    );
    expectParamError(
      await postSigned(ex, path, { category: 'spot', request: Array(11).fill(item) }),
      /at most 10/,
    );
    expectParamError(await postSigned(ex, path, { category: 'option', request: [item] }), /category/);
    expectParamError(await postSigned(ex, path, { request: [item] }), /category/);
  }
  expect(await openOrders('linear')).toEqual([]);
  // A batch of exactly 20 linear orders is accepted whole.
  const twenty = Array.from({ length: 20 }, (_, i) => ({ ...item, price: String(45000 + i * 10) }));
  const { codes } = batchOk(
    await postSigned(ex, '/v5/order/create-batch', { category: 'linear', request: twenty }),
    20,
  );
  expect(codes.every((c) => c.code === 0)).toBe(true);
  expect(await openOrders('linear')).toHaveLength(20);
});

// ---- retention and amend limits ------------------------------------------------------------------

test('openOnly=1 keeps the recent closed orders however old; history forgets unfilled cancels after 24 h', async () => {
  // Hourly ticks, so a day of clock costs 24 simulator steps.
  const slow = await startTestExchange({
    scenario: {
      yaml: manualScenarioYaml().replace('tickInterval: 1s', 'tickInterval: 1h'),
      name: 'retention',
    },
  });
  try {
    await retention(slow);
  } finally {
    await slow.close();
  }
});

async function retention(ex: RunningExchange): Promise<void> {
  const placed = ok(
    await postSigned(ex, '/v5/order/create', {
      ...LINEAR,
      side: 'Buy',
      orderType: 'Limit',
      qty: '0.001',
      price: '40000',
    }),
  );
  ok(await postSigned(ex, '/v5/order/cancel', { ...LINEAR, orderId: placed.orderId }));
  const clock = ex.clock as ManualClock;
  clock.advance(3_600_000);
  const recent = ok(await getSigned(ex, '/v5/order/realtime', 'category=linear&symbol=BTCUSDT&openOnly=1'));
  expect(recent.list.map((o: Json) => o.orderId)).toEqual([placed.orderId]);
  const hist = ok(await getSigned(ex, '/v5/order/history', 'category=linear&symbol=BTCUSDT'));
  expect(hist.list.map((o: Json) => o.orderId)).toEqual([placed.orderId]);
  clock.advance(86_400_000);
  const later = ok(await getSigned(ex, '/v5/order/history', 'category=linear&symbol=BTCUSDT'));
  expect(later.list).toEqual([]);
  // Still known by id on realtime (the account remembers it), as Bybit's realtime-by-id does.
  const byId = ok(await getSigned(ex, '/v5/order/realtime', `category=linear&orderId=${placed.orderId}`));
  expect(byId.list[0].orderStatus).toBe('Cancelled');
}

test('amend refuses a qty below minOrderQty with the category code', async () => {
  const lin = ok(
    await postSigned(ex, '/v5/order/create', {
      ...LINEAR,
      side: 'Buy',
      orderType: 'Limit',
      qty: '0.002',
      price: '40000',
    }),
  );
  expectError(
    await postSigned(ex, '/v5/order/amend', { ...LINEAR, orderId: lin.orderId, qty: '0.0005' }),
    10001,
    /qtyStep|minimum/,
  );
  const spot = ok(
    await postSigned(ex, '/v5/order/create', {
      ...SPOT,
      side: 'Buy',
      orderType: 'Limit',
      qty: '0.001',
      price: '40000',
    }),
  );
  expectError(
    await postSigned(ex, '/v5/order/amend', { ...SPOT, orderId: spot.orderId, qty: '0.00001' }),
    170136,
    /minimum/,
  );
  const open = ok(await getSigned(ex, '/v5/order/realtime', 'category=spot'));
  expect(open.list[0].qty).toBe('0.001000');
});
