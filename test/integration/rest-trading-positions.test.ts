/**
 * Position endpoints, closed PnL and the wallet as fills move it, over real HTTP on a manual
 * clock (prices move only when the test advances it).
 * @see ../shared/reference/bybit-v5-facts.md §7.17-7.21; client-call-patterns.md §3.6
 */
import { afterAll, beforeAll, beforeEach, expect, test } from 'vitest';
import { Big } from '../../src/core/decimal.js';
import type { ManualClock } from '../../src/core/clock.js';
import type { RunningExchange } from '../../src/runtime/start-exchange.js';
import {
  MANUAL_CLOCK_START,
  getPublic,
  getSigned,
  manualScenarioYaml,
  NO_RATE_LIMITS,
  postSigned,
  startTestExchange,
  type Reply,
} from '../support/server.js';
import type { Json } from '../support/ws.js';
import { expectParamError } from '../support/envelope.js';

const HOLDER_KEY = 'holder-api-key';
const HOLDER_SECRET = 'holder-api-secret';
const HOLDER = { key: HOLDER_KEY, secret: HOLDER_SECRET };

/** A third account that starts with a scenario short position of 0.2 BTC at 51000, leverage 5. */
const EXTRA = `  - name: holder
    apiKey: ${HOLDER_KEY}
    apiSecret: ${HOLDER_SECRET}
    balances: { USDT: "5000" }
    leverage: { BTCUSDT: "5" }
    positions:
      - { category: linear, symbol: BTCUSDT, side: Sell, size: "0.2", avgPrice: "51000" }
`;

let ex: RunningExchange;

beforeAll(async () => {
  ex = await startTestExchange({
    scenario: { yaml: manualScenarioYaml(`${EXTRA}\n${NO_RATE_LIMITS}`), name: 'trading-positions' },
  });
});

afterAll(async () => {
  await ex?.close();
});

beforeEach(() => {
  ex.reset();
});

const LINEAR = { category: 'linear', symbol: 'BTCUSDT' } as const;
const SPOT = { category: 'spot', symbol: 'BTCUSDT' } as const;
const POSITION_NON_STRING: Record<string, string> = {
  positionIdx: 'number',
  riskId: 'number',
  tradeMode: 'number',
  autoAddMargin: 'number',
  adlRankIndicator: 'number',
  seq: 'number',
  isReduceOnly: 'boolean',
};

function ok(r: Reply): Json {
  expect(r.status, r.text).toBe(200);
  expect(r.body.retCode, r.text).toBe(0);
  expect(r.body.retExtInfo).toEqual({});
  return r.body.result;
}

function expectError(r: Reply, retCode: number, mentions: RegExp): void {
  expect(r.status, r.text).toBe(200);
  expect(r.body.retCode, r.text).toBe(retCode);
  expect(r.body.retMsg).toMatch(mentions);
  expect(r.body.result).toEqual({});
}

function expectStringsExcept(row: Record<string, unknown>, others: Record<string, string>): void {
  for (const [k, v] of Object.entries(row)) {
    expect(typeof v, `${k} = ${JSON.stringify(v)}`).toBe(others[k] ?? 'string');
  }
}

const sum = (xs: string[]) => xs.reduce((s, x) => s.plus(Big(x)), Big('0'));

async function place(body: Record<string, unknown>, o = {}): Promise<string> {
  return ok(await postSigned(ex, '/v5/order/create', body, o)).orderId;
}

async function positionsBySymbol(o = {}): Promise<Json[]> {
  return ok(await getSigned(ex, '/v5/position/list', 'category=linear&symbol=BTCUSDT', o)).list;
}

async function positionsBySettle(o = {}): Promise<Json[]> {
  return ok(await getSigned(ex, '/v5/position/list', 'category=linear&settleCoin=USDT', o)).list;
}

async function executionsOf(orderId: string, category = 'linear'): Promise<Json[]> {
  return ok(await getSigned(ex, '/v5/execution/list', `category=${category}&orderId=${orderId}`)).list;
}

async function coin(name: string, o = {}): Promise<Json> {
  const acct = ok(await getSigned(ex, '/v5/account/wallet-balance', `accountType=UNIFIED&coin=${name}`, o))
    .list[0];
  return acct.coin[0];
}

async function linearMark(): Promise<string> {
  const r = await getPublic(ex, '/v5/market/tickers?category=linear&symbol=BTCUSDT');
  return r.body.result.list[0].markPrice;
}

// ---- position/list ------------------------------------------------------------------------------

test('position/list by symbol answers the flat row; by settleCoin only non-zero positions', async () => {
  const flat = await positionsBySymbol();
  expect(flat).toHaveLength(1);
  expectStringsExcept(flat[0], POSITION_NON_STRING);
  expect(flat[0]).toMatchObject({
    symbol: 'BTCUSDT',
    positionIdx: 0,
    side: '',
    size: '0',
    avgPrice: '0',
    leverage: '10',
    unrealisedPnl: '0',
    liqPrice: '',
    tpslMode: 'Full',
  });
  expect(await positionsBySettle()).toEqual([]);

  const orderId = await place({ ...LINEAR, side: 'Buy', orderType: 'Market', qty: '0.100' });
  const execs = await executionsOf(orderId);
  const value = sum(execs.map((e) => e.execValue));
  const [pos] = await positionsBySettle();
  expect(await positionsBySettle()).toHaveLength(1);
  expectStringsExcept(pos, POSITION_NON_STRING);
  expect(pos).toMatchObject({
    symbol: 'BTCUSDT',
    side: 'Buy',
    size: '0.100',
    positionIdx: 0,
    leverage: '10',
  });
  expect(Big(pos.positionValue).eq(value)).toBe(true);
  expect(Big(pos.avgPrice).eq(value.div(Big('0.1')).round(8))).toBe(true);
  expect(Big(pos.positionIM).eq(value.div(Big('10')).round(8))).toBe(true);
  const mark = await linearMark();
  expect(pos.markPrice).toBe(mark);
  expect(Big(pos.unrealisedPnl).eq(Big(mark).times(Big('0.1')).minus(value))).toBe(true);
  expect(Number(pos.liqPrice)).toBeLessThan(Number(pos.avgPrice));
  expect(await positionsBySymbol()).toEqual([pos]);

  // Closed again: gone from the settleCoin list, flat under the symbol.
  await place({ ...LINEAR, side: 'Sell', orderType: 'Market', qty: '0.100', reduceOnly: true });
  expect(await positionsBySettle()).toEqual([]);
  expect(await positionsBySymbol()).toMatchObject([{ side: '', size: '0' }]);
});

test('listing positions has no side effect: a position opened later reads the same either way', async () => {
  const openLater = async (): Promise<Json> => {
    (ex.clock as ManualClock).advance(5_000);
    await place({ ...LINEAR, side: 'Buy', orderType: 'Market', qty: '0.010' });
    return (await positionsBySymbol())[0];
  };
  await positionsBySymbol();
  await positionsBySettle();
  const afterReads = await openLater();
  ex.reset();
  const untouched = await openLater();
  expect(afterReads).toEqual(untouched);
  expect(untouched.createdTime).toBe(String(MANUAL_CLOCK_START + 5_000));
});

test('position/list shows a scenario position with its PnL at the mark price', async () => {
  const [pos] = await positionsBySettle(HOLDER);
  expect(pos).toMatchObject({
    side: 'Sell',
    size: '0.200',
    avgPrice: '51000',
    leverage: '5',
    positionIdx: 0,
  });
  const mark = await linearMark();
  expect(Big(pos.unrealisedPnl).eq(Big('51000').minus(Big(mark)).times(Big('0.2')))).toBe(true);
  expect(Big(pos.positionIM).eq(Big('2040'))).toBe(true);
  // A short is liquidated above its entry.
  expect(Number(pos.liqPrice)).toBeGreaterThan(51000);
  // Another account sees none of it.
  expect(await positionsBySettle()).toEqual([]);
});

test('position/list needs symbol or settleCoin for linear and refuses spot and unknown symbols', async () => {
  expectParamError(await getSigned(ex, '/v5/position/list', 'category=linear'), /symbol or settleCoin/);
  expectParamError(await getSigned(ex, '/v5/position/list', 'category=spot&symbol=BTCUSDT'), /category/);
  expectParamError(await getSigned(ex, '/v5/position/list', 'symbol=BTCUSDT'), /category/);
  expectParamError(await getSigned(ex, '/v5/position/list', 'category=linear&symbol=ETHUSDT'), /symbol/);
  expectParamError(
    await getSigned(ex, '/v5/position/list', 'category=linear&settleCoin=USDT&limit=0'),
    /limit/,
  );
  expectParamError(
    await getSigned(ex, '/v5/position/list', 'category=linear&settleCoin=USDT&cursor=zz'),
    /cursor/,
  );
});

test('set-leverage re-margins an open position; the same leverage again is 110043', async () => {
  await place({ ...LINEAR, side: 'Buy', orderType: 'Market', qty: '0.100' });
  const [at10] = await positionsBySymbol();
  expect(at10.leverage).toBe('10');
  const lev = { ...LINEAR, buyLeverage: '5', sellLeverage: '5' };
  expect(ok(await postSigned(ex, '/v5/position/set-leverage', lev))).toEqual({});
  const [at5] = await positionsBySymbol();
  expect(at5.leverage).toBe('5');
  expect(Big(at5.positionIM).eq(Big(at10.positionIM).times(Big('2')))).toBe(true);
  // Less leverage: more margin, so a long is liquidated further below its entry.
  expect(Number(at5.liqPrice)).toBeLessThan(Number(at10.liqPrice));
  expect((await coin('USDT')).totalPositionIM).toBe(at5.positionIM);
  expectError(await postSigned(ex, '/v5/position/set-leverage', lev), 110043, /leverage not modified/);
});

test('set-leverage lower than the available margin can carry is 110044 and changes nothing', async () => {
  // A 1 BTC long at ~50000 holds ~5000 USDT at 10x; at 1x it would need ~50000, more than 10000.
  await place({ ...LINEAR, side: 'Buy', orderType: 'Market', qty: '1.000' });
  const [before] = await positionsBySymbol();
  const lev = { ...LINEAR, buyLeverage: '1', sellLeverage: '1' };
  expectError(await postSigned(ex, '/v5/position/set-leverage', lev), 110044, /margin/);
  const [after] = await positionsBySymbol();
  expect(after).toEqual(before);
  // A modest change that the wallet can carry is accepted.
  expect(
    ok(await postSigned(ex, '/v5/position/set-leverage', { ...LINEAR, buyLeverage: '9', sellLeverage: '9' })),
  ).toEqual({});
});

// ---- switch-mode and hedge positions ------------------------------------------------------------

test('switch-mode to hedge: positionIdx must be 1 or 2, two rows per symbol, and the mode guards', async () => {
  expect(ok(await postSigned(ex, '/v5/position/switch-mode', { ...LINEAR, mode: 3 }))).toEqual({});
  expectError(
    await postSigned(ex, '/v5/position/switch-mode', { ...LINEAR, mode: 3 }),
    110025,
    /not modified/,
  );

  // One-way index in hedge mode is refused, in a single order and in a batch item.
  expectParamError(
    await postSigned(ex, '/v5/order/create', { ...LINEAR, side: 'Buy', orderType: 'Market', qty: '0.010' }),
    /position idx not match position mode/,
  );
  const rows = await positionsBySymbol();
  expect(rows.map((p) => [p.positionIdx, p.side, p.size])).toEqual([
    [1, '', '0'],
    [2, '', '0'],
  ]);

  const long = await place({ ...LINEAR, side: 'Buy', orderType: 'Market', qty: '0.010', positionIdx: 1 });
  const short = await place({ ...LINEAR, side: 'Sell', orderType: 'Market', qty: '0.020', positionIdx: 2 });
  expect((await executionsOf(long)).length).toBeGreaterThan(0);
  expect((await executionsOf(short)).length).toBeGreaterThan(0);
  const both = await positionsBySettle();
  expect(both.map((p) => [p.positionIdx, p.side, p.size])).toEqual([
    [1, 'Buy', '0.010'],
    [2, 'Sell', '0.020'],
  ]);

  // With positions open the mode cannot change.
  expectError(
    await postSigned(ex, '/v5/position/switch-mode', { ...LINEAR, mode: 0 }),
    110024,
    /existing position/,
  );
  // A Sell on the long side only closes it; a Buy on the long side would need more margin, not close.
  await place({ ...LINEAR, side: 'Sell', orderType: 'Market', qty: '0.010', positionIdx: 1 });
  await place({ ...LINEAR, side: 'Buy', orderType: 'Market', qty: '0.020', positionIdx: 2 });
  expect(await positionsBySettle()).toEqual([]);
  // A closing-only order on a flat side is refused.
  expectError(
    await postSigned(ex, '/v5/order/create', {
      ...LINEAR,
      side: 'Sell',
      orderType: 'Market',
      qty: '0.010',
      positionIdx: 1,
    }),
    110017,
    /[Rr]educe-only/,
  );

  // An open order also blocks the switch.
  const resting = await place({
    ...LINEAR,
    side: 'Buy',
    orderType: 'Limit',
    qty: '0.010',
    price: '49000',
    positionIdx: 1,
  });
  expectError(
    await postSigned(ex, '/v5/position/switch-mode', { ...LINEAR, mode: 0 }),
    110028,
    /open orders/,
  );
  ok(await postSigned(ex, '/v5/order/cancel', { ...LINEAR, orderId: resting }));

  expect(
    ok(await postSigned(ex, '/v5/position/switch-mode', { category: 'linear', coin: 'USDT', mode: '0' })),
  ).toEqual({});
  expect((await positionsBySymbol()).map((p) => p.positionIdx)).toEqual([0]);
  expectParamError(
    await postSigned(ex, '/v5/order/create', {
      ...LINEAR,
      side: 'Buy',
      orderType: 'Market',
      qty: '0.010',
      positionIdx: 1,
    }),
    /position idx not match position mode/,
  );
});

test('switch-mode refuses a bad mode, a missing target, and non-linear categories with 10001', async () => {
  for (const mode of [1, 2, '1', 'hedge', null]) {
    expectParamError(await postSigned(ex, '/v5/position/switch-mode', { ...LINEAR, mode }), /position_mode/);
  }
  expectParamError(
    await postSigned(ex, '/v5/position/switch-mode', { category: 'linear', mode: 3 }),
    /symbol or coin/,
  );
  expectParamError(await postSigned(ex, '/v5/position/switch-mode', { ...SPOT, mode: 3 }), /category/);
  expectParamError(
    await postSigned(ex, '/v5/position/switch-mode', { ...LINEAR, symbol: 'ETHUSDT', mode: 3 }),
    /symbol/,
  );
  expectParamError(
    await postSigned(ex, '/v5/position/switch-mode', { category: 'linear', coin: 'USDC', mode: 3 }),
    /coin/,
  );
  // Still one-way.
  expect((await positionsBySymbol()).map((p) => p.positionIdx)).toEqual([0]);
});

test('switch-mode with a scenario position open is 110024', async () => {
  expectError(
    await postSigned(ex, '/v5/position/switch-mode', { ...LINEAR, mode: 3 }, HOLDER),
    110024,
    /existing position/,
  );
});

// ---- trading-stop ---------------------------------------------------------------------------------

test('trading-stop sets TP/SL on a position; the same again is 34040; without a position it is 10001', async () => {
  expectParamError(
    await postSigned(ex, '/v5/position/trading-stop', {
      ...LINEAR,
      tpslMode: 'Full',
      positionIdx: 0,
      takeProfit: '60000',
    }),
    /zero position/,
  );
  await place({ ...LINEAR, side: 'Buy', orderType: 'Market', qty: '0.010' });

  const set = { ...LINEAR, tpslMode: 'Full', positionIdx: 0, takeProfit: '60000', stopLoss: '40000' };
  expect(ok(await postSigned(ex, '/v5/position/trading-stop', set))).toEqual({});
  expect(await positionsBySymbol()).toMatchObject([{ takeProfit: '60000.0', stopLoss: '40000.0' }]);
  expectError(await postSigned(ex, '/v5/position/trading-stop', set), 34040, /not modified/);

  // A TP below the last price of a long (it would fire at once), an SL above it, a bad tick.
  expectParamError(
    await postSigned(ex, '/v5/position/trading-stop', { ...set, takeProfit: '45000' }),
    /takeProfit/,
  );
  expectParamError(
    await postSigned(ex, '/v5/position/trading-stop', { ...set, stopLoss: '55000' }),
    /stopLoss/,
  );
  expectParamError(
    await postSigned(ex, '/v5/position/trading-stop', { ...set, takeProfit: '60000.05' }),
    /takeProfit/,
  );
  expectParamError(
    await postSigned(ex, '/v5/position/trading-stop', { ...set, takeProfit: 60000 }),
    /takeProfit/,
  );
  expectParamError(
    await postSigned(ex, '/v5/position/trading-stop', { ...set, positionIdx: 1 }),
    /position idx not match position mode/,
  );
  expectParamError(
    await postSigned(ex, '/v5/position/trading-stop', { ...set, tpTriggerBy: 'Mark' }),
    /tpTriggerBy/,
  );
  expectParamError(
    await postSigned(ex, '/v5/position/trading-stop', { ...set, symbol: undefined }),
    /symbol/,
  );
  expect(await positionsBySymbol()).toMatchObject([{ takeProfit: '60000.0', stopLoss: '40000.0' }]);

  // "0" removes one of them.
  ok(
    await postSigned(ex, '/v5/position/trading-stop', {
      ...LINEAR,
      tpslMode: 'Full',
      positionIdx: 0,
      takeProfit: '0',
    }),
  );
  expect(await positionsBySymbol()).toMatchObject([{ takeProfit: '0.0', stopLoss: '40000.0' }]);
});

/** Advances the clock in 5 s steps until `done` holds (the scenario is seeded: same every run). */
async function advanceUntil(done: () => Promise<boolean>, maxSteps = 120): Promise<void> {
  for (let i = 0; i < maxSteps; i++) {
    (ex.clock as ManualClock).advance(5_000);
    if (await done()) return;
  }
  throw new Error('condition not reached');
}

test('a take-profit set by trading-stop closes the position with a CreateByTakeProfit order', async () => {
  await place({ ...LINEAR, side: 'Buy', orderType: 'Market', qty: '0.010' });
  const [pos] = await positionsBySymbol();
  // Just above the entry, so the simulated market reaches it soon.
  const tp = (Math.ceil(Number(pos.avgPrice) * 10) / 10 + 5).toFixed(1);
  ok(
    await postSigned(ex, '/v5/position/trading-stop', {
      ...LINEAR,
      tpslMode: 'Full',
      positionIdx: 0,
      takeProfit: tp,
      stopLoss: '45000',
    }),
  );
  await advanceUntil(async () => (await positionsBySymbol())[0].size === '0');

  const [flat] = await positionsBySymbol();
  expect(flat).toMatchObject({ side: '', takeProfit: '0.0', stopLoss: '0.0' });
  const [order] = ok(await getSigned(ex, '/v5/order/history', 'category=linear&limit=1')).list;
  expect(order).toMatchObject({
    side: 'Sell',
    orderType: 'Market',
    orderStatus: 'Filled',
    stopOrderType: 'TakeProfit',
    createType: 'CreateByTakeProfit',
    triggerPrice: tp,
    reduceOnly: true,
    qty: '0.010',
  });
  const execs = await executionsOf(order.orderId);
  expect(execs.every((e) => e.createType === 'CreateByTakeProfit' && e.stopOrderType === 'TakeProfit')).toBe(
    true,
  );
  expect(execs.every((e) => Number(e.execPrice) >= Number(tp) - 1)).toBe(true);
  const [pnl] = ok(await getSigned(ex, '/v5/position/closed-pnl', 'category=linear')).list;
  expect(pnl).toMatchObject({ orderId: order.orderId, side: 'Sell', closedSize: '0.010' });
});

// ---- closed-pnl ------------------------------------------------------------------------------------

async function roundTrip(): Promise<{ open: string; close: string; openExecs: Json[]; closeExecs: Json[] }> {
  const open = await place({ ...LINEAR, side: 'Buy', orderType: 'Market', qty: '0.100' });
  const close = await place({ ...LINEAR, side: 'Sell', orderType: 'Market', qty: '0.100', reduceOnly: true });
  return { open, close, openExecs: await executionsOf(open), closeExecs: await executionsOf(close) };
}

test('closed-pnl records a close with its entry and exit values', async () => {
  expect(ok(await getSigned(ex, '/v5/position/closed-pnl', 'category=linear'))).toEqual({
    category: 'linear',
    list: [],
    nextPageCursor: '',
  });
  const { close, openExecs, closeExecs } = await roundTrip();
  const result = ok(await getSigned(ex, '/v5/position/closed-pnl', 'category=linear&symbol=BTCUSDT'));
  expect(result.nextPageCursor).toBe('');
  expect(result.list).toHaveLength(1);
  const row = result.list[0];
  expectStringsExcept(row, {});
  const entry = sum(openExecs.map((e) => e.execValue));
  const exit = sum(closeExecs.map((e) => e.execValue));
  expect(row).toMatchObject({
    symbol: 'BTCUSDT',
    orderId: close,
    side: 'Sell',
    qty: '0.100',
    closedSize: '0.100',
    orderType: 'Market',
    execType: 'Trade',
    leverage: '10',
    fillCount: String(closeExecs.length),
  });
  expect(Big(row.cumEntryValue).eq(entry)).toBe(true);
  expect(Big(row.cumExitValue).eq(exit)).toBe(true);
  expect(Big(row.avgEntryPrice).eq(entry.div(Big('0.1')).round(8))).toBe(true);
  expect(Big(row.avgExitPrice).eq(exit.div(Big('0.1')).round(8))).toBe(true);
  // The PnL is the price difference less fees, so below the gross difference.
  expect(Big(row.closedPnl).lt(exit.minus(entry))).toBe(true);

  expect(ok(await getSigned(ex, '/v5/position/closed-pnl', 'category=linear&limit=1')).list).toHaveLength(1);
  expectParamError(await getSigned(ex, '/v5/position/closed-pnl', 'category=spot'), /category/);
  expectParamError(await getSigned(ex, '/v5/position/closed-pnl', 'category=linear&limit=101'), /limit/);
});

// Bybit's Closed P&L deducts the fee to open and the fee to close: help-center article
// "Why Is My Closed P&L a Loss When My Unrealized Profit Was Positive?".
test('closed-pnl deducts the opening fee as well as the closing fee', async () => {
  const { openExecs, closeExecs } = await roundTrip();
  const row = ok(await getSigned(ex, '/v5/position/closed-pnl', 'category=linear')).list[0];
  const gross = sum(closeExecs.map((e) => e.execValue)).minus(sum(openExecs.map((e) => e.execValue)));
  const fees = sum([...openExecs, ...closeExecs].map((e) => e.execFee));
  expect(row.closedPnl).toBe(gross.minus(fees).round(8).toFixed());
});

// ---- wallet-balance moving with fills ----------------------------------------------------------------

test('a linear fill moves walletBalance by the fee and shows the position margin and PnL', async () => {
  const before = await coin('USDT');
  expect(before).toMatchObject({
    walletBalance: '10000',
    totalPositionIM: '0',
    unrealisedPnl: '0',
    totalOrderIM: '0',
  });

  // A resting order holds order margin: value / leverage + the taker fee on the value.
  const resting = await place({ ...LINEAR, side: 'Buy', orderType: 'Limit', qty: '0.010', price: '49000' });
  const withOrder = await coin('USDT');
  expect(withOrder.walletBalance).toBe('10000');
  expect(Big(withOrder.totalOrderIM).eq(Big('49').plus(Big('490').times(Big('0.00055'))))).toBe(true);
  ok(await postSigned(ex, '/v5/order/cancel', { ...LINEAR, orderId: resting }));
  expect((await coin('USDT')).totalOrderIM).toBe('0');

  const orderId = await place({ ...LINEAR, side: 'Buy', orderType: 'Market', qty: '0.100' });
  const fees = sum((await executionsOf(orderId)).map((e) => e.execFee));
  const after = await coin('USDT');
  const [pos] = await positionsBySettle();
  expect(Big(after.walletBalance).eq(Big('10000').minus(fees))).toBe(true);
  expect(after.totalPositionIM).toBe(pos.positionIM);
  expect(after.unrealisedPnl).toBe(pos.unrealisedPnl);
  expect(Big(after.equity).eq(Big(after.walletBalance).plus(Big(after.unrealisedPnl)))).toBe(true);
  expect(Big(after.cumRealisedPnl).eq(fees.neg())).toBe(true);
  expect(Number(after.availableToWithdraw)).toBeLessThan(
    Number(after.walletBalance) - Number(pos.positionIM) + 1,
  );

  // Closing books the price difference less the closing fee into the wallet.
  const close = await place({ ...LINEAR, side: 'Sell', orderType: 'Market', qty: '0.100', reduceOnly: true });
  const closeExecs = await executionsOf(close);
  const pnl = sum(closeExecs.map((e) => e.execPnl)).minus(sum(closeExecs.map((e) => e.execFee)));
  const closed = await coin('USDT');
  expect(Big(closed.walletBalance).eq(Big(after.walletBalance).plus(pnl))).toBe(true);
  expect(closed).toMatchObject({ totalPositionIM: '0', unrealisedPnl: '0' });
});

test('a resting order that the market reaches fills as maker at its price and the maker fee', async () => {
  const orderId = await place({ ...LINEAR, side: 'Buy', orderType: 'Limit', qty: '0.010', price: '49990' });
  expect(Big((await coin('USDT')).totalOrderIM).gt(Big('0'))).toBe(true);
  await advanceUntil(async () => (await executionsOf(orderId)).length > 0);
  const execs = await executionsOf(orderId);
  for (const e of execs) {
    expect(e).toMatchObject({
      isMaker: true,
      feeRate: '0.0002',
      execPrice: '49990.0',
      orderPrice: '49990.0',
    });
    expect(Big(e.execFee).eq(Big(e.execValue).times(Big('0.0002')))).toBe(true);
  }
  const fees = sum(execs.map((e) => e.execFee));
  const usdt = await coin('USDT');
  expect(Big(usdt.walletBalance).eq(Big('10000').minus(fees))).toBe(true);
  const [pos] = await positionsBySymbol();
  expect(pos).toMatchObject({ side: 'Buy', avgPrice: '49990' });
  expect(usdt.totalPositionIM).toBe(pos.positionIM);
  expect(usdt.unrealisedPnl).toBe(pos.unrealisedPnl);
});

test('open spot orders lock what they would spend; a spot fill moves both coins', async () => {
  const buy = await place({ ...SPOT, side: 'Buy', orderType: 'Limit', qty: '0.01', price: '49000' });
  const sell = await place({ ...SPOT, side: 'Sell', orderType: 'Limit', qty: '0.1', price: '51000' });
  expect(await coin('USDT')).toMatchObject({ walletBalance: '10000', locked: '490' });
  expect(await coin('BTC')).toMatchObject({ walletBalance: '0.5', locked: '0.1' });
  expect(Big((await coin('USDT')).availableToWithdraw).eq(Big('9510'))).toBe(true);

  // What is locked cannot be spent twice: 0.41 BTC more to sell exceeds the 0.4 BTC left.
  expectError(
    await postSigned(ex, '/v5/order/create', {
      ...SPOT,
      side: 'Sell',
      orderType: 'Limit',
      qty: '0.41',
      price: '51000',
    }),
    170131,
    /Insufficient balance/,
  );

  ok(await postSigned(ex, '/v5/order/cancel', { ...SPOT, orderId: buy }));
  ok(await postSigned(ex, '/v5/order/cancel', { ...SPOT, orderId: sell }));
  expect((await coin('USDT')).locked).toBe('0');
  expect((await coin('BTC')).locked).toBe('0');

  const orderId = await place({
    ...SPOT,
    side: 'Buy',
    orderType: 'Market',
    qty: '0.01',
    marketUnit: 'baseCoin',
  });
  const execs = await executionsOf(orderId, 'spot');
  const spent = sum(execs.map((e) => e.execValue));
  const got = sum(execs.map((e) => e.execQty)).minus(sum(execs.map((e) => e.execFee)));
  expect((await coin('USDT')).walletBalance).toBe(Big('10000').minus(spent).toFixed());
  expect((await coin('BTC')).walletBalance).toBe(Big('0.5').plus(got).toFixed());
});

test('the scenario position counts in the holder wallet: margin and unrealised PnL', async () => {
  const usdt = await coin('USDT', HOLDER);
  const [pos] = await positionsBySettle(HOLDER);
  expect(usdt).toMatchObject({ walletBalance: '5000', totalPositionIM: '2040' });
  expect(usdt.unrealisedPnl).toBe(pos.unrealisedPnl);
});
