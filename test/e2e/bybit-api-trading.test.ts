/**
 * bybit-api RestClientV5 (unmodified, real HTTP) trading against the real daemon on a manual
 * clock: order entry, amend, cancel, batches, order and execution lists, positions, leverage,
 * TP/SL and position mode, asserting retCode and the fields a bot reads.
 * @see ../shared/reference/client-call-patterns.md §5, ../shared/reference/bybit-v5-facts.md §7.9-7.21
 */
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import type { AccountOrderV5, RestClientV5 } from 'bybit-api';
import type { ManualClock } from '../../src/core/clock.js';
import type { RunningExchange } from '../../src/runtime/start-exchange.js';
import { bybitApiRest, manualClockAheadYaml, MANUAL_CLOCK_RECV_WINDOW } from '../support/clients.js';
import { manualScenarioYaml, startTestExchange } from '../support/server.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const SPOT_ID = /^\d{19}$/;
const DEFAULT_LEVERAGE = '10';
const linear = { category: 'linear', symbol: 'BTCUSDT' } as const;
const spot = { category: 'spot', symbol: 'BTCUSDT' } as const;

let ex: RunningExchange;
let client: RestClientV5;
let takerFee = '';
let makerFee = '';

beforeAll(async () => {
  ex = await startTestExchange({ scenario: { yaml: manualClockAheadYaml(manualScenarioYaml()) } });
  client = bybitApiRest(ex, { recvWindow: MANUAL_CLOCK_RECV_WINDOW });
  const fee = await client.getFeeRate(linear);
  expect(fee.retCode).toBe(0);
  takerFee = fee.result.list[0]!.takerFeeRate;
  makerFee = fee.result.list[0]!.makerFeeRate;
});

afterAll(async () => {
  await ex?.close();
});

function advance(ms: number): void {
  (ex.clock as ManualClock).advance(ms);
}

async function bestOf(category: 'linear' | 'spot'): Promise<{ bid: string; ask: string }> {
  const res = await client.getOrderbook({ category, symbol: 'BTCUSDT', limit: 1 });
  expect(res.retCode).toBe(0);
  return { bid: res.result.b[0]![0], ask: res.result.a[0]![0] };
}

/** One order by id through order/realtime (open, or recently closed when asked by id). */
async function orderById(orderId: string, category: 'linear' | 'spot' = 'linear'): Promise<AccountOrderV5> {
  const res = await client.getActiveOrders({ category, symbol: 'BTCUSDT', orderId });
  expect(res.retCode).toBe(0);
  expect(res.result.list).toHaveLength(1);
  return res.result.list[0]!;
}

async function linearPosition(positionIdx = 0) {
  const res = await client.getPositionInfo(linear);
  expect(res.retCode).toBe(0);
  const row = res.result.list.find((p) => p.positionIdx === positionIdx);
  expect(row).toBeDefined();
  return row!;
}

async function usdtWallet() {
  const res = await client.getWalletBalance({ accountType: 'UNIFIED', coin: 'USDT' });
  expect(res.retCode).toBe(0);
  return res.result.list[0]!.coin[0]!;
}

describe('bybit-api RestClientV5 trading: single orders', () => {
  let orderId = '';

  it('submits a limit order that rests with the fields a bot reads', async () => {
    const res = await client.submitOrder({
      ...linear,
      side: 'Buy',
      orderType: 'Limit',
      qty: '0.01',
      price: '49000',
      timeInForce: 'GTC',
      orderLinkId: 'bot-1',
    });
    expect(res.retCode).toBe(0);
    expect(res.retMsg).toBe('OK');
    expect(res.result.orderId).toMatch(UUID);
    expect(res.result.orderLinkId).toBe('bot-1');
    orderId = res.result.orderId;

    const active = await client.getActiveOrders({ ...linear, openOnly: 0, limit: 50 });
    expect(active.retCode).toBe(0);
    expect(active.result.category).toBe('linear');
    expect(active.result.nextPageCursor).toBe('');
    expect(active.result.list).toHaveLength(1);
    expect(active.result.list[0]).toMatchObject({
      orderId,
      orderLinkId: 'bot-1',
      symbol: 'BTCUSDT',
      side: 'Buy',
      orderType: 'Limit',
      price: '49000.0',
      qty: '0.010',
      orderStatus: 'New',
      timeInForce: 'GTC',
      positionIdx: 0,
      cumExecQty: '0.000',
      leavesQty: '0.010',
      avgPrice: '0',
      reduceOnly: false,
      cancelType: 'UNKNOWN',
      rejectReason: 'EC_NoError',
      createType: 'CreateByUser',
      tpslMode: '',
    });
    expect(Number(active.result.list[0]!.createdTime)).toBe(ex.clock.now());
  });

  it('amends price and quantity; an amend that changes nothing is 10001', async () => {
    const res = await client.amendOrder({ ...linear, orderId, price: '49500', qty: '0.02' });
    expect(res.retCode).toBe(0);
    expect(res.result).toEqual({ orderId, orderLinkId: 'bot-1' });
    expect(await orderById(orderId)).toMatchObject({
      price: '49500.0',
      qty: '0.020',
      leavesQty: '0.020',
      orderStatus: 'New',
    });

    const same = await client.amendOrder({ ...linear, orderLinkId: 'bot-1', price: '49500' });
    expect(same.retCode).toBe(10001);
    expect(same.retMsg).toMatch(/remains unchanged/);
  });

  it('cancels by orderLinkId; history shows it Cancelled and a second cancel is 110001', async () => {
    const res = await client.cancelOrder({ ...linear, orderLinkId: 'bot-1' });
    expect(res.retCode).toBe(0);
    expect(res.result).toEqual({ orderId, orderLinkId: 'bot-1' });

    const hist = await client.getHistoricOrders({ ...linear, limit: 50 });
    expect(hist.retCode).toBe(0);
    const row = hist.result.list.find((o) => o.orderId === orderId);
    expect(row).toMatchObject({ orderStatus: 'Cancelled', cancelType: 'CancelByUser', cumExecQty: '0.000' });
    const active = await client.getActiveOrders(linear);
    expect(active.result.list).toEqual([]);

    const again = await client.cancelOrder({ ...linear, orderId });
    expect(again.retCode).toBe(110001);
  });

  it('refuses an order beyond the available balance with 110007', async () => {
    const res = await client.submitOrder({
      ...linear,
      side: 'Buy',
      orderType: 'Limit',
      qty: '5',
      price: '49000',
    });
    expect(res.retCode).toBe(110007);
    expect(res.result).toEqual({});
  });
});

describe('bybit-api RestClientV5 trading: batches and cancel-all', () => {
  it('submits a batch with per-item results in result.list and retExtInfo.list', async () => {
    const res = await client.batchSubmitOrders('linear', [
      { symbol: 'BTCUSDT', side: 'Buy', orderType: 'Limit', qty: '0.01', price: '48000', orderLinkId: 'b-1' },
      {
        symbol: 'BTCUSDT',
        side: 'Sell',
        orderType: 'Limit',
        qty: '0.01',
        price: '52000',
        orderLinkId: 'b-2',
      },
      { symbol: 'BTCUSDT', side: 'Sell', orderType: 'Limit', qty: '0', price: '52000', orderLinkId: 'b-3' },
    ]);
    // The envelope is OK even when an item fails (facts §7.15).
    expect(res.retCode).toBe(0);
    const [a, b, c] = res.result.list;
    expect(a).toMatchObject({ category: 'linear', symbol: 'BTCUSDT', orderLinkId: 'b-1' });
    expect(a!.orderId).toMatch(UUID);
    expect(a!.createAt).toBe(String(ex.clock.now()));
    expect(b!.orderId).toMatch(UUID);
    expect(c).toMatchObject({ orderId: '', orderLinkId: 'b-3', createAt: '' });
    expect(res.retExtInfo.list.map((x) => x.code)).toEqual([0, 0, 10001]);
    const open = await client.getActiveOrders(linear);
    expect(open.result.list.map((o) => o.orderLinkId).sort()).toEqual(['b-1', 'b-2']);
  });

  it('amends a batch; an unknown order fails alone with 110001', async () => {
    const res = await client.batchAmendOrders('linear', [
      { symbol: 'BTCUSDT', orderLinkId: 'b-1', price: '48100' },
      { symbol: 'BTCUSDT', orderLinkId: 'no-such-order', price: '48100' },
    ]);
    expect(res.retCode).toBe(0);
    expect(res.retExtInfo.list.map((x) => x.code)).toEqual([0, 110001]);
    expect(res.result.list[0]).toMatchObject({ category: 'linear', symbol: 'BTCUSDT', orderLinkId: 'b-1' });
    expect(res.result.list[0]!.orderId).toMatch(UUID);
    const open = await client.getActiveOrders({ ...linear, orderLinkId: 'b-1' });
    expect(open.result.list[0]!.price).toBe('48100.0');
  });

  it('cancels a batch, then cancel-all takes the rest', async () => {
    const res = await client.batchCancelOrders('linear', [
      { symbol: 'BTCUSDT', orderLinkId: 'b-1' },
      { symbol: 'BTCUSDT', orderLinkId: 'no-such-order' },
    ]);
    expect(res.retCode).toBe(0);
    expect(res.retExtInfo.list.map((x) => x.code)).toEqual([0, 110001]);
    expect(res.result.list[0]!.orderLinkId).toBe('b-1');

    const all = await client.cancelAllOrders(linear);
    expect(all.retCode).toBe(0);
    expect(all.result.success).toBe('1');
    expect(all.result.list.map((o) => o.orderLinkId)).toEqual(['b-2']);
    expect((await client.getActiveOrders(linear)).result.list).toEqual([]);
  });
});

describe('bybit-api RestClientV5 trading: fills, positions and executions', () => {
  it('sets the leverage; the same value again is 110043', async () => {
    // A flat position row is still returned for a symbol, with the symbol's leverage (facts §7.17).
    expect(await linearPosition()).toMatchObject({ side: '', size: '0', leverage: DEFAULT_LEVERAGE });
    const res = await client.setLeverage({ ...linear, buyLeverage: '5', sellLeverage: '5' });
    expect(res.retCode).toBe(0);
    expect(res.result).toEqual({});
    const flat = await linearPosition();
    expect(flat).toMatchObject({ side: '', size: '0', leverage: '5' });

    const again = await client.setLeverage({ ...linear, buyLeverage: '5', sellLeverage: '5' });
    expect(again.retCode).toBe(110043);
  });

  it('fills a market order at once: Filled order, taker execution, long position, fee paid', async () => {
    const wallet0 = await usdtWallet();
    const { ask } = await bestOf('linear');
    const res = await client.submitOrder({ ...linear, side: 'Buy', orderType: 'Market', qty: '0.02' });
    expect(res.retCode).toBe(0);
    const orderId = res.result.orderId;

    const hist = await client.getHistoricOrders({ ...linear, orderId });
    expect(hist.result.list[0]).toMatchObject({
      orderId,
      orderType: 'Market',
      timeInForce: 'IOC',
      orderStatus: 'Filled',
      cumExecQty: '0.020',
      leavesQty: '0.000',
      avgPrice: ask,
    });

    const execs = await client.getExecutionList({ ...linear, limit: 50 });
    expect(execs.retCode).toBe(0);
    const mine = execs.result.list.filter((e) => e.orderId === orderId);
    expect(mine).toHaveLength(1);
    const e = mine[0]!;
    expect(e).toMatchObject({
      symbol: 'BTCUSDT',
      side: 'Buy',
      orderType: 'Market',
      execType: 'Trade',
      execQty: '0.020',
      execPrice: ask,
      isMaker: false,
      feeRate: takerFee,
    });
    expect(Number(e.execValue)).toBeCloseTo(0.02 * Number(ask), 8);
    expect(Number(e.execFee)).toBeCloseTo(Number(e.execValue) * Number(takerFee), 8);
    expect(e.execId).toMatch(UUID);

    const pos = await linearPosition();
    expect(pos).toMatchObject({ side: 'Buy', size: '0.020', avgPrice: ask, leverage: '5', positionIdx: 0 });
    expect(Number(pos.positionValue)).toBeCloseTo(0.02 * Number(ask), 8);
    expect(Number(pos.positionIM)).toBeCloseTo(Number(pos.positionValue) / 5, 6);
    expect(Number(pos.unrealisedPnl)).toBeCloseTo((Number(pos.markPrice) - Number(ask)) * 0.02, 8);
    expect(Number(pos.liqPrice)).toBeLessThan(Number(ask));

    const wallet1 = await usdtWallet();
    expect(Number(wallet1.walletBalance)).toBeCloseTo(Number(wallet0.walletBalance) - Number(e.execFee), 8);
    expect(Number(wallet1.totalPositionIM)).toBeCloseTo(Number(pos.positionIM), 8);
  });

  it('fills a resting limit order as maker when the clock moves the market', async () => {
    const { ask } = await bestOf('linear');
    const res = await client.submitOrder({
      ...linear,
      side: 'Sell',
      orderType: 'Limit',
      qty: '0.01',
      price: ask,
      timeInForce: 'PostOnly',
    });
    expect(res.retCode).toBe(0);
    const orderId = res.result.orderId;
    let order = await orderById(orderId);
    expect(order.orderStatus).toBe('New');
    for (let i = 0; i < 120 && order.orderStatus === 'New'; i++) {
      advance(1_000);
      order = await orderById(orderId);
    }
    expect(order).toMatchObject({ orderStatus: 'Filled', cumExecQty: '0.010', avgPrice: ask });
    // Filled by a later tick of the simulated market, not on entry.
    expect(Number(order.updatedTime)).toBeGreaterThan(Number(order.createdTime));

    const execs = await client.getExecutionList({ ...linear, orderId });
    expect(execs.result.list).toHaveLength(1);
    expect(execs.result.list[0]).toMatchObject({ isMaker: true, execPrice: ask, feeRate: makerFee });
    // A sell against the long reduces it.
    expect((await linearPosition()).size).toBe('0.010');
  });

  it('sets TP/SL on the position with setTradingStop; an unchanged repeat is 34040', async () => {
    const params = {
      ...linear,
      takeProfit: '60000',
      stopLoss: '40000',
      tpslMode: 'Full',
      positionIdx: 0,
    } as const;
    const res = await client.setTradingStop(params);
    expect(res.retCode).toBe(0);
    expect(await linearPosition()).toMatchObject({
      takeProfit: '60000.0',
      stopLoss: '40000.0',
      tpslMode: 'Full',
    });
    const again = await client.setTradingStop(params);
    expect(again.retCode).toBe(34040);
  });

  it('switches the position mode only when flat, then trades both hedge sides', async () => {
    const busy = await client.switchPositionMode({ ...linear, mode: 3 });
    expect(busy.retCode).toBe(110024);

    const close = await client.submitOrder({
      ...linear,
      side: 'Sell',
      orderType: 'Market',
      qty: '0.01',
      reduceOnly: true,
    });
    expect(close.retCode).toBe(0);
    expect((await linearPosition()).size).toBe('0');

    const res = await client.switchPositionMode({ ...linear, mode: 3 });
    expect(res.retCode).toBe(0);
    expect((await client.switchPositionMode({ ...linear, mode: 3 })).retCode).toBe(110025);
    const rows = (await client.getPositionInfo(linear)).result.list;
    expect(rows.map((p) => p.positionIdx)).toEqual([1, 2]);

    const noIdx = await client.submitOrder({ ...linear, side: 'Buy', orderType: 'Market', qty: '0.01' });
    expect(noIdx.retCode).toBe(10001);
    expect(noIdx.retMsg).toMatch(/position idx not match position mode/);
    const long = await client.submitOrder({
      ...linear,
      side: 'Buy',
      orderType: 'Market',
      qty: '0.01',
      positionIdx: 1,
    });
    const short = await client.submitOrder({
      ...linear,
      side: 'Sell',
      orderType: 'Market',
      qty: '0.01',
      positionIdx: 2,
    });
    expect([long.retCode, short.retCode]).toEqual([0, 0]);
    expect(await linearPosition(1)).toMatchObject({ side: 'Buy', size: '0.010' });
    expect(await linearPosition(2)).toMatchObject({ side: 'Sell', size: '0.010' });
  });
});

describe('bybit-api RestClientV5 trading: spot', () => {
  it('buys by quote value at market: numeric ids, Filled, fee in the base coin', async () => {
    const res = await client.submitOrder({
      ...spot,
      side: 'Buy',
      orderType: 'Market',
      qty: '100',
      marketUnit: 'quoteCoin',
    });
    expect(res.retCode).toBe(0);
    expect(res.result.orderId).toMatch(SPOT_ID);
    // Without an orderLinkId spot gets a system one (facts §6).
    expect(res.result.orderLinkId).toMatch(SPOT_ID);

    const hist = await client.getHistoricOrders({ ...spot, orderId: res.result.orderId });
    const o = hist.result.list[0]!;
    expect(o).toMatchObject({
      orderStatus: 'Filled',
      marketUnit: 'quoteCoin',
      qty: '100',
      orderType: 'Market',
    });
    expect(Number(o.cumExecValue)).toBeLessThanOrEqual(100);
    expect(Number(o.cumExecValue)).toBeGreaterThan(99);
    expect(o).not.toHaveProperty('tpslMode');

    const execs = await client.getExecutionList({ ...spot, orderId: res.result.orderId });
    expect(execs.result.list.length).toBeGreaterThan(0);
    for (const e of execs.result.list) expect(e).toMatchObject({ feeCurrency: 'BTC', execType: 'Trade' });
  });

  it('rests a spot limit order and cancels it', async () => {
    const res = await client.submitOrder({
      ...spot,
      side: 'Buy',
      orderType: 'Limit',
      qty: '0.001',
      price: '45000',
    });
    expect(res.retCode).toBe(0);
    expect(await orderById(res.result.orderId, 'spot')).toMatchObject({
      orderStatus: 'New',
      price: '45000.00',
    });
    const cancel = await client.cancelOrder({ ...spot, orderId: res.result.orderId });
    expect(cancel.retCode).toBe(0);
    expect((await client.getActiveOrders(spot)).result.list).toEqual([]);
    const again = await client.cancelOrder({ ...spot, orderId: res.result.orderId });
    expect(again.retCode).toBe(170213);
  });
});
