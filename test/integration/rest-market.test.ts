/**
 * Public market endpoints over real HTTP: shapes, types and values, on the default real-clock
 * scenario and on the small manual-clock one (where server time is exactly MANUAL_CLOCK_START).
 * @see ../shared/reference/bybit-v5-facts.md §2.1, §7.1-7.8
 */
import { afterAll, beforeAll, expect, test } from 'vitest';
import type { RunningExchange } from '../../src/runtime/start-exchange.js';
import { MANUAL_CLOCK_START, getPublic, manualScenarioYaml, startTestExchange } from '../support/server.js';
import type { Json } from '../support/ws.js';
import { expectParamError } from '../support/envelope.js';

let live: RunningExchange;
let manual: RunningExchange;

beforeAll(async () => {
  [live, manual] = await Promise.all([
    startTestExchange(),
    startTestExchange({ scenario: { yaml: manualScenarioYaml(), name: 'market-manual' } }),
  ]);
});

afterAll(async () => {
  await Promise.all([live?.close(), manual?.close()]);
});

const T = MANUAL_CLOCK_START; // 2026-01-05T12:00:00Z, a Monday
const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;
const EIGHT_HOURS = 8 * HOUR;

async function ok(ex: RunningExchange, pathAndQuery: string): Promise<Json> {
  const r = await getPublic(ex, pathAndQuery);
  expect(r.status, pathAndQuery).toBe(200);
  expect(r.body.retCode, `${pathAndQuery}: ${r.body.retMsg}`).toBe(0);
  expect(r.body.retMsg).toBe('OK');
  expect(r.body.retExtInfo).toEqual({});
  expect(typeof r.body.time).toBe('number');
  return r.body.result;
}

function num(s: string): number {
  expect(typeof s).toBe('string');
  expect(s).toMatch(/^-?\d+(\.\d+)?$/);
  return Number(s);
}

function startsOf(list: string[][]): number[] {
  return list.map((row) => Number(row[0]));
}

function expectCandleRows(list: string[][], width: number): void {
  for (const row of list) {
    expect(row).toHaveLength(width);
    for (const cell of row) expect(typeof cell).toBe('string');
    expect(row[0]).toMatch(/^\d+$/);
    const [open, high, low, close] = [num(row[1]!), num(row[2]!), num(row[3]!), num(row[4]!)];
    expect(low).toBeGreaterThan(0);
    expect(low).toBeLessThanOrEqual(open);
    expect(low).toBeLessThanOrEqual(close);
    expect(high).toBeGreaterThanOrEqual(open);
    expect(high).toBeGreaterThanOrEqual(close);
    if (width === 7) {
      expect(num(row[5]!)).toBeGreaterThanOrEqual(0);
      expect(num(row[6]!)).toBeGreaterThanOrEqual(0);
    }
  }
}

function expectFixedStep(starts: number[], step: number): void {
  for (let i = 1; i < starts.length; i++) expect(starts[i - 1]! - starts[i]!).toBe(step);
}

// ---- /v5/market/time ------------------------------------------------------------------------

test('market time on the manual clock gives timeSecond and timeNano that match the envelope time exactly', async () => {
  const r = await getPublic(manual, '/v5/market/time');
  expect(r.body).toEqual({
    retCode: 0,
    retMsg: 'OK',
    result: { timeSecond: String(T / 1000), timeNano: `${T}000000` },
    retExtInfo: {},
    time: T,
  });
});

test('market time on the real clock gives digit strings within a few milliseconds of the envelope time', async () => {
  const before = Date.now();
  const r = await getPublic(live, '/v5/market/time');
  const after = Date.now();
  const { timeSecond, timeNano } = r.body.result as { timeSecond: string; timeNano: string };
  expect(timeSecond).toMatch(/^\d{10}$/);
  expect(timeNano).toMatch(/^\d{19}$/);
  const nanoMs = Number(BigInt(timeNano) / 1_000_000n);
  expect(Number(timeSecond)).toBe(Math.floor(nanoMs / 1000));
  expect(Math.abs(r.body.time - nanoMs)).toBeLessThanOrEqual(5);
  expect(r.body.time).toBeGreaterThanOrEqual(before - 5);
  expect(r.body.time).toBeLessThanOrEqual(after + 5);
});

// ---- /v5/market/instruments-info ------------------------------------------------------------

const LINEAR_ITEM_KEYS = [
  'symbol',
  'symbolId',
  'contractType',
  'status',
  'baseCoin',
  'quoteCoin',
  'settleCoin',
  'launchTime',
  'deliveryTime',
  'deliveryFeeRate',
  'priceScale',
  'leverageFilter',
  'priceFilter',
  'lotSizeFilter',
  'unifiedMarginTrade',
  'fundingInterval',
  'copyTrading',
  'upperFundingRate',
  'lowerFundingRate',
  'isPreListing',
  'preListingInfo',
  'riskParameters',
  'symbolType',
  'displayName',
  'forbidUplWithdrawal',
];

const SPOT_ITEM_KEYS = [
  'symbolId',
  'symbol',
  'baseCoin',
  'quoteCoin',
  'innovation',
  'status',
  'marginTrading',
  'stTag',
  'lotSizeFilter',
  'priceFilter',
  'riskParameters',
  'symbolType',
];

test('a linear instrument has every documented field with the scenario values and the documented types', async () => {
  const result = await ok(live, '/v5/market/instruments-info?category=linear&symbol=BTCUSDT');
  expect(Object.keys(result).sort()).toEqual(['category', 'list', 'nextPageCursor']);
  expect(result.category).toBe('linear');
  expect(result.nextPageCursor).toBe('');
  expect(result.list).toHaveLength(1);
  const item = result.list[0];
  expect(Object.keys(item).sort()).toEqual([...LINEAR_ITEM_KEYS].sort());
  expect(item).toEqual({
    symbol: 'BTCUSDT',
    symbolId: expect.any(Number),
    contractType: 'LinearPerpetual',
    status: 'Trading',
    baseCoin: 'BTC',
    quoteCoin: 'USDT',
    settleCoin: 'USDT',
    launchTime: '1585526400000',
    deliveryTime: '0',
    deliveryFeeRate: '',
    priceScale: '1',
    leverageFilter: { minLeverage: '1', maxLeverage: '100.00', leverageStep: '0.01' },
    priceFilter: { minPrice: '0.1', maxPrice: '1999999.8', tickSize: '0.1' },
    lotSizeFilter: {
      maxOrderQty: '1190.000',
      minOrderQty: '0.001',
      qtyStep: '0.001',
      postOnlyMaxOrderQty: '1190.000',
      maxMktOrderQty: '500.000',
      minNotionalValue: '5',
    },
    unifiedMarginTrade: true,
    fundingInterval: 480,
    copyTrading: 'both',
    upperFundingRate: expect.stringMatching(/^\d+\.\d+$/),
    lowerFundingRate: expect.stringMatching(/^-\d+\.\d+$/),
    isPreListing: false,
    preListingInfo: null,
    riskParameters: { priceLimitRatioX: expect.any(String), priceLimitRatioY: expect.any(String) },
    symbolType: '',
    displayName: '',
    forbidUplWithdrawal: false,
  });
});

test('the linear list of the default scenario holds BTCUSDT, ETHUSDT and SOLUSDT with their own filters', async () => {
  const result = await ok(live, '/v5/market/instruments-info?category=linear');
  const bySymbol = new Map((result.list as Json[]).map((i) => [i.symbol, i]));
  expect([...bySymbol.keys()]).toEqual(['BTCUSDT', 'ETHUSDT', 'SOLUSDT']);
  expect(bySymbol.get('ETHUSDT').priceFilter.tickSize).toBe('0.01');
  expect(bySymbol.get('ETHUSDT').lotSizeFilter.qtyStep).toBe('0.01');
  expect(bySymbol.get('ETHUSDT').priceScale).toBe('2');
  expect(bySymbol.get('SOLUSDT').lotSizeFilter.minOrderQty).toBe('0.1');
  expect(bySymbol.get('SOLUSDT').lotSizeFilter.maxOrderQty).toBe('79770.0');
  const ids = (result.list as Json[]).map((i) => i.symbolId as number);
  expect(new Set(ids).size).toBe(3);
  expect(result.nextPageCursor).toBe('');
});

test('a spot instrument has basePrecision and minOrderAmt and the spot result has no nextPageCursor key', async () => {
  const result = await ok(live, '/v5/market/instruments-info?category=spot');
  expect(Object.keys(result).sort()).toEqual(['category', 'list']);
  expect(result).not.toHaveProperty('nextPageCursor');
  expect(result.category).toBe('spot');
  expect((result.list as Json[]).map((i) => i.symbol)).toEqual(['BTCUSDT', 'ETHUSDT', 'SOLUSDT']);
  const btc = result.list[0];
  expect(Object.keys(btc).sort()).toEqual([...SPOT_ITEM_KEYS].sort());
  expect(btc).toMatchObject({
    symbol: 'BTCUSDT',
    baseCoin: 'BTC',
    quoteCoin: 'USDT',
    innovation: '0',
    status: 'Trading',
    marginTrading: 'utaOnly',
    stTag: '0',
    priceFilter: { tickSize: '0.01' },
    symbolType: '',
  });
  expect(typeof btc.symbolId).toBe('number');
  expect(btc.lotSizeFilter).toMatchObject({
    basePrecision: '0.000001',
    minOrderQty: '0.000048',
    maxOrderQty: '71.739562',
    minOrderAmt: '1',
    maxOrderAmt: '4000000',
  });
  for (const v of Object.values(btc.lotSizeFilter as Record<string, unknown>))
    expect(typeof v).toBe('string');
  expect(btc).not.toHaveProperty('contractType');
  expect(btc).not.toHaveProperty('leverageFilter');
});

test('linear pagination with limit=1 follows nextPageCursor through all three symbols and ends with an empty cursor', async () => {
  const seen: string[] = [];
  const cursors: string[] = [];
  let cursor = '';
  for (let page = 0; page < 10; page++) {
    const q = `category=linear&limit=1${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`;
    const result = await ok(live, `/v5/market/instruments-info?${q}`);
    expect(result.list).toHaveLength(1);
    seen.push(result.list[0].symbol);
    expect(typeof result.nextPageCursor).toBe('string');
    cursor = result.nextPageCursor;
    if (cursor === '') break;
    cursors.push(cursor);
  }
  expect(seen).toEqual(['BTCUSDT', 'ETHUSDT', 'SOLUSDT']);
  expect(cursor).toBe('');
  expect(cursors).toHaveLength(2);
  expect(new Set(cursors).size).toBe(2);
});

test('a tampered pagination cursor is refused with 10001 naming the cursor', async () => {
  const first = await ok(live, '/v5/market/instruments-info?category=linear&limit=1');
  const good = first.nextPageCursor as string;
  expect(good).not.toBe('');
  const tampered = good.slice(0, -1) + (good.endsWith('a') ? 'b' : 'a');
  expectParamError(
    await getPublic(live, `/v5/market/instruments-info?category=linear&limit=1&cursor=${tampered}`),
    /cursor/,
  );
  expectParamError(
    await getPublic(live, '/v5/market/instruments-info?category=linear&cursor=garbage'),
    /cursor/,
  );
});

test('inverse and option instruments answer empty lists', async () => {
  const inverse = await ok(live, '/v5/market/instruments-info?category=inverse');
  expect(inverse.category).toBe('inverse');
  expect(inverse.list).toEqual([]);
  const option = await ok(live, '/v5/market/instruments-info?category=option');
  expect(option.category).toBe('option');
  expect(option.list).toEqual([]);
});

test('status=PreLaunch answers an empty list because every scenario instrument is trading', async () => {
  const result = await ok(live, '/v5/market/instruments-info?category=linear&status=PreLaunch');
  expect(result.list).toEqual([]);
  expect(result.nextPageCursor).toBe('');
  const spot = await ok(live, '/v5/market/instruments-info?category=spot&status=PreLaunch');
  expect(spot.list).toEqual([]);
});

// ---- /v5/market/tickers ------------------------------------------------------------------------

const LINEAR_TICKER_KEYS = [
  'symbol',
  'lastPrice',
  'indexPrice',
  'markPrice',
  'prevPrice24h',
  'price24hPcnt',
  'highPrice24h',
  'lowPrice24h',
  'prevPrice1h',
  'openInterest',
  'openInterestValue',
  'turnover24h',
  'volume24h',
  'fundingRate',
  'nextFundingTime',
  'predictedDeliveryPrice',
  'basisRate',
  'basis',
  'deliveryFeeRate',
  'deliveryTime',
  'ask1Size',
  'bid1Price',
  'ask1Price',
  'bid1Size',
  'preOpenPrice',
  'preQty',
  'curPreListingPhase',
  'fundingIntervalHour',
  'fundingCap',
  'basisRateYear',
];

const SPOT_TICKER_KEYS = [
  'symbol',
  'bid1Price',
  'bid1Size',
  'ask1Price',
  'ask1Size',
  'lastPrice',
  'prevPrice24h',
  'price24hPcnt',
  'highPrice24h',
  'lowPrice24h',
  'turnover24h',
  'volume24h',
  'usdIndexPrice',
];

function expectSaneTicker(t: Record<string, unknown>): void {
  for (const [k, v] of Object.entries(t)) expect(typeof v, k).toBe('string');
  const bid = num(t.bid1Price as string);
  const ask = num(t.ask1Price as string);
  const last = num(t.lastPrice as string);
  expect(bid).toBeGreaterThan(0);
  expect(bid).toBeLessThan(ask);
  expect(num(t.bid1Size as string)).toBeGreaterThan(0);
  expect(num(t.ask1Size as string)).toBeGreaterThan(0);
  expect(num(t.lowPrice24h as string)).toBeLessThanOrEqual(last);
  expect(last).toBeLessThanOrEqual(num(t.highPrice24h as string));
  expect(num(t.prevPrice24h as string)).toBeGreaterThan(0);
  num(t.price24hPcnt as string);
  expect(num(t.volume24h as string)).toBeGreaterThanOrEqual(0);
  expect(num(t.turnover24h as string)).toBeGreaterThanOrEqual(0);
}

test('a linear ticker has every documented field as a string, with funding and open interest values', async () => {
  const result = await ok(manual, '/v5/market/tickers?category=linear&symbol=BTCUSDT');
  expect(result.category).toBe('linear');
  expect(result.list).toHaveLength(1);
  const t = result.list[0];
  expect(Object.keys(t).sort()).toEqual([...LINEAR_TICKER_KEYS].sort());
  expect(t.symbol).toBe('BTCUSDT');
  expectSaneTicker(t);
  expect(t.lastPrice).toBe('50000.0');
  const mark = num(t.markPrice);
  expect(num(t.indexPrice)).toBeGreaterThan(0);
  expect(Math.abs(mark / 50000 - 1)).toBeLessThan(0.01);
  const oi = num(t.openInterest);
  expect(oi).toBeGreaterThan(0);
  expect(num(t.openInterestValue)).toBeCloseTo(oi * mark, 1);
  expect(num(t.fundingRate)).toBeCloseTo(0.0001, 3);
  // 12:00 UTC -> next settlement at 16:00 UTC (8 h funding interval).
  expect(t.nextFundingTime).toBe(String(T + 4 * HOUR));
  expect(t.fundingIntervalHour).toBe('8');
  expect(t.deliveryTime).toBe('0');
  expect(t.predictedDeliveryPrice).toBe('');
});

test('linear tickers on the real clock have a next funding time on the 8 h grid within the next 8 hours', async () => {
  const r = await getPublic(live, '/v5/market/tickers?category=linear');
  expect(r.body.retCode).toBe(0);
  const list = r.body.result.list as Record<string, string>[];
  expect(list.map((t) => t.symbol)).toEqual(['BTCUSDT', 'ETHUSDT', 'SOLUSDT']);
  for (const t of list) {
    expect(Object.keys(t).sort()).toEqual([...LINEAR_TICKER_KEYS].sort());
    expectSaneTicker(t);
    const next = Number(t.nextFundingTime);
    expect(next % EIGHT_HOURS).toBe(0);
    expect(next).toBeGreaterThan(r.body.time);
    expect(next).toBeLessThanOrEqual(r.body.time + EIGHT_HOURS);
    expect(num(t.openInterestValue!)).toBeGreaterThan(0);
  }
});

test('a spot ticker has the documented spot fields including usdIndexPrice and no derivatives fields', async () => {
  const result = await ok(manual, '/v5/market/tickers?category=spot&symbol=BTCUSDT');
  expect(result.category).toBe('spot');
  const t = result.list[0];
  expect(Object.keys(t).sort()).toEqual([...SPOT_TICKER_KEYS].sort());
  expect(t).not.toHaveProperty('openInterestValue');
  expect(t).not.toHaveProperty('fundingRate');
  expect(t).not.toHaveProperty('markPrice');
  expectSaneTicker(t);
  expect(t.lastPrice).toBe('50000.00');
  expect(num(t.usdIndexPrice)).toBeGreaterThan(0);
});

test('tickers for a category without a symbol list every symbol of the category', async () => {
  const spot = await ok(live, '/v5/market/tickers?category=spot');
  expect((spot.list as Json[]).map((t) => t.symbol)).toEqual(['BTCUSDT', 'ETHUSDT', 'SOLUSDT']);
  for (const t of spot.list) {
    expect(Object.keys(t).sort()).toEqual([...SPOT_TICKER_KEYS].sort());
    expectSaneTicker(t);
  }
  const manualLinear = await ok(manual, '/v5/market/tickers?category=linear');
  expect((manualLinear.list as Json[]).map((t) => t.symbol)).toEqual(['BTCUSDT']);
});

// ---- /v5/market/orderbook -------------------------------------------------------------------

function expectBook(result: Json, symbol: string, levels: number): void {
  expect(Object.keys(result).sort()).toEqual(['a', 'b', 'cts', 's', 'seq', 'ts', 'u']);
  expect(result.s).toBe(symbol);
  for (const k of ['ts', 'u', 'seq', 'cts']) expect(typeof result[k], k).toBe('number');
  expect(result.b).toHaveLength(levels);
  expect(result.a).toHaveLength(levels);
  for (const level of [...result.b, ...result.a] as string[][]) {
    expect(level).toHaveLength(2);
    expect(typeof level[0]).toBe('string');
    expect(typeof level[1]).toBe('string');
    expect(num(level[0]!)).toBeGreaterThan(0);
    expect(num(level[1]!)).toBeGreaterThan(0);
  }
  const bids = (result.b as string[][]).map((l) => Number(l[0]));
  const asks = (result.a as string[][]).map((l) => Number(l[0]));
  for (let i = 1; i < bids.length; i++) expect(bids[i]!).toBeLessThan(bids[i - 1]!);
  for (let i = 1; i < asks.length; i++) expect(asks[i]!).toBeGreaterThan(asks[i - 1]!);
  expect(bids[0]!).toBeLessThan(asks[0]!);
}

test('the linear orderbook defaults to 25 levels per side, ordered, with string prices and sizes', async () => {
  expectBook(await ok(live, '/v5/market/orderbook?category=linear&symbol=BTCUSDT'), 'BTCUSDT', 25);
  expectBook(await ok(live, '/v5/market/orderbook?category=linear&symbol=SOLUSDT'), 'SOLUSDT', 25);
});

test('the spot orderbook defaults to one level per side', async () => {
  expectBook(await ok(live, '/v5/market/orderbook?category=spot&symbol=BTCUSDT'), 'BTCUSDT', 1);
});

test('the orderbook with limit=200 answers 200 strictly ordered levels per side', async () => {
  expectBook(await ok(live, '/v5/market/orderbook?category=linear&symbol=BTCUSDT&limit=200'), 'BTCUSDT', 200);
  expectBook(await ok(live, '/v5/market/orderbook?category=spot&symbol=ETHUSDT&limit=200'), 'ETHUSDT', 200);
});

test('the orderbook best levels agree with the ticker on the manual clock', async () => {
  const book = await ok(manual, '/v5/market/orderbook?category=linear&symbol=BTCUSDT&limit=1');
  const ticker = (await ok(manual, '/v5/market/tickers?category=linear&symbol=BTCUSDT')).list[0];
  expect(book.b[0]).toEqual([ticker.bid1Price, ticker.bid1Size]);
  expect(book.a[0]).toEqual([ticker.ask1Price, ticker.ask1Size]);
  expect(book.ts).toBe(T);
});

test('an orderbook limit above the category maximum is refused with 10001 naming limit', async () => {
  expectParamError(
    await getPublic(live, '/v5/market/orderbook?category=linear&symbol=BTCUSDT&limit=1001'),
    /limit/,
  );
  expectParamError(
    await getPublic(live, '/v5/market/orderbook?category=spot&symbol=BTCUSDT&limit=1001'),
    /limit/,
  );
  expectParamError(
    await getPublic(live, '/v5/market/orderbook?category=linear&symbol=BTCUSDT&limit=0'),
    /limit/,
  );
});

// ---- /v5/market/kline -----------------------------------------------------------------------

test('kline defaults to category linear and 200 candles of 7 strings, newest first, one interval apart', async () => {
  const result = await ok(manual, '/v5/market/kline?symbol=BTCUSDT&interval=1');
  expect(Object.keys(result).sort()).toEqual(['category', 'list', 'symbol']);
  expect(result.category).toBe('linear');
  expect(result.symbol).toBe('BTCUSDT');
  expect(result.list).toHaveLength(200);
  expectCandleRows(result.list, 7);
  const starts = startsOf(result.list);
  expect(starts[0]).toBe(T);
  expectFixedStep(starts, MINUTE);
});

test('the current kline candle closes at the ticker last price, which at boot is the scenario start price', async () => {
  for (const [category, start] of [
    ['linear', '50000.0'],
    ['spot', '50000.00'],
  ] as const) {
    const kline = await ok(manual, `/v5/market/kline?category=${category}&symbol=BTCUSDT&interval=1&limit=1`);
    expect(kline.category).toBe(category);
    expect(kline.list).toHaveLength(1);
    expect(kline.list[0][0]).toBe(String(T));
    const ticker = (await ok(manual, `/v5/market/tickers?category=${category}&symbol=BTCUSDT`)).list[0];
    expect(kline.list[0][4], `${category} current candle close vs ticker lastPrice`).toBe(ticker.lastPrice);
    expect(kline.list[0][4]).toBe(start);
  }
});

test('kline on the real clock includes the current bucket first and steps back by the interval', async () => {
  const r = await getPublic(live, '/v5/market/kline?category=linear&symbol=ETHUSDT&interval=15&limit=50');
  expect(r.body.retCode).toBe(0);
  const list = r.body.result.list as string[][];
  expect(list).toHaveLength(50);
  expectCandleRows(list, 7);
  const starts = startsOf(list);
  // The handler reads the clock just before the envelope does: allow for a bucket edge in between.
  const bucket = Math.floor(r.body.time / (15 * MINUTE)) * 15 * MINUTE;
  expect([bucket, bucket - 15 * MINUTE]).toContain(starts[0]);
  expectFixedStep(starts, 15 * MINUTE);
});

test('kline accepts limit=1000 and refuses limit=1001 with 10001 naming limit', async () => {
  const result = await ok(manual, '/v5/market/kline?category=linear&symbol=BTCUSDT&interval=5&limit=1000');
  expect(result.list).toHaveLength(1000);
  expectCandleRows(result.list, 7);
  expectFixedStep(startsOf(result.list), 5 * MINUTE);
  expectParamError(
    await getPublic(manual, '/v5/market/kline?category=linear&symbol=BTCUSDT&interval=5&limit=1001'),
    /limit/,
  );
});

test('kline with only start answers limit candles from the bucket that contains start, newest first', async () => {
  const start = T - 10 * HOUR - 30 * MINUTE; // 01:30 -> first bucket 01:00
  const result = await ok(
    manual,
    `/v5/market/kline?category=linear&symbol=BTCUSDT&interval=60&start=${start}&limit=5`,
  );
  expect(startsOf(result.list)).toEqual([5, 4, 3, 2, 1].map((h) => T - 12 * HOUR + h * HOUR));
  expectCandleRows(result.list, 7);
});

test('kline with only end answers limit candles ending with the bucket that contains end', async () => {
  const end = T - 5 * HOUR - 1; // 06:59:59.999
  const result = await ok(
    manual,
    `/v5/market/kline?category=linear&symbol=BTCUSDT&interval=60&end=${end}&limit=3`,
  );
  expect(startsOf(result.list)).toEqual([T - 6 * HOUR, T - 7 * HOUR, T - 8 * HOUR]);
});

test('kline with start and end answers every candle in the range, newest first', async () => {
  const result = await ok(
    manual,
    `/v5/market/kline?category=linear&symbol=BTCUSDT&interval=60&start=${T - 5 * HOUR}&end=${T - 2 * HOUR}`,
  );
  expect(startsOf(result.list)).toEqual([T - 2 * HOUR, T - 3 * HOUR, T - 4 * HOUR, T - 5 * HOUR]);
  expectCandleRows(result.list, 7);
});

test('daily klines start at 00:00 UTC one day apart', async () => {
  const result = await ok(manual, '/v5/market/kline?category=linear&symbol=BTCUSDT&interval=D&limit=30');
  const starts = startsOf(result.list);
  expect(starts).toHaveLength(30);
  expect(starts[0]).toBe(Date.UTC(2026, 0, 5));
  for (const s of starts) expect(s % DAY).toBe(0);
  expectFixedStep(starts, DAY);
  expectCandleRows(result.list, 7);
});

test('weekly klines start on Mondays at 00:00 UTC one week apart', async () => {
  const result = await ok(manual, '/v5/market/kline?category=linear&symbol=BTCUSDT&interval=W&limit=20');
  const starts = startsOf(result.list);
  expect(starts).toHaveLength(20);
  expect(starts[0]).toBe(Date.UTC(2026, 0, 5));
  for (const s of starts) {
    const d = new Date(s);
    expect(d.getUTCDay()).toBe(1);
    expect(s % DAY).toBe(0);
  }
  expectFixedStep(starts, 7 * DAY);
  expectCandleRows(result.list, 7);
});

test('monthly klines start on the first day of each month at 00:00 UTC', async () => {
  const result = await ok(manual, '/v5/market/kline?category=linear&symbol=BTCUSDT&interval=M&limit=14');
  const starts = startsOf(result.list);
  const expected = Array.from({ length: 14 }, (_, i) => Date.UTC(2026, -i, 1));
  expect(starts).toEqual(expected);
  expect(new Date(starts[1]!).toISOString()).toBe('2025-12-01T00:00:00.000Z');
  expectCandleRows(result.list, 7);
});

test('an unknown kline interval is refused with 10001 naming interval', async () => {
  expectParamError(
    await getPublic(manual, '/v5/market/kline?category=linear&symbol=BTCUSDT&interval=2'),
    /interval/,
  );
  expectParamError(
    await getPublic(manual, '/v5/market/kline?category=linear&symbol=BTCUSDT&interval=1h'),
    /interval/,
  );
  expectParamError(await getPublic(manual, '/v5/market/kline?category=linear&symbol=BTCUSDT'), /interval/);
});

test('mark-price and index-price klines are rows of 5 strings, newest first', async () => {
  for (const path of ['/v5/market/mark-price-kline', '/v5/market/index-price-kline']) {
    const result = await ok(manual, `${path}?symbol=BTCUSDT&interval=60&limit=24`);
    expect(result.category).toBe('linear');
    expect(result.symbol).toBe('BTCUSDT');
    expect(result.list).toHaveLength(24);
    expectCandleRows(result.list, 5);
    const starts = startsOf(result.list);
    expect(starts[0]).toBe(T);
    expectFixedStep(starts, HOUR);
    const close = Number(result.list[0][4]);
    expect(Math.abs(close / 50000 - 1)).toBeLessThan(0.01);
  }
});

test('mark-price kline refuses category spot with 10001 naming category', async () => {
  expectParamError(
    await getPublic(manual, '/v5/market/mark-price-kline?category=spot&symbol=BTCUSDT&interval=1'),
    /category/,
  );
});

// ---- /v5/market/recent-trade ----------------------------------------------------------------

function expectTrades(list: Json[], symbol: string, category: 'spot' | 'linear'): void {
  expect(list.length).toBeGreaterThan(0);
  for (const t of list) {
    expect(Object.keys(t).sort()).toEqual([
      'execId',
      'isBlockTrade',
      'isRPITrade',
      'price',
      'seq',
      'side',
      'size',
      'symbol',
      'time',
    ]);
    expect(t.symbol).toBe(symbol);
    expect(['Buy', 'Sell']).toContain(t.side);
    expect(num(t.price)).toBeGreaterThan(0);
    expect(num(t.size)).toBeGreaterThan(0);
    expect(t.time).toMatch(/^\d{13}$/);
    expect(t.seq).toMatch(/^\d+$/);
    expect(t.isBlockTrade).toBe(false);
    expect(typeof t.isRPITrade).toBe('boolean');
    if (category === 'spot') expect(t.execId).toMatch(/^\d{19}$/);
    else expect(t.execId).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
  }
  for (let i = 1; i < list.length; i++) {
    expect(Number(list[i].time)).toBeLessThanOrEqual(Number(list[i - 1].time));
    expect(Number(list[i].seq)).toBeLessThan(Number(list[i - 1].seq));
  }
}

test('recent trades are newest first with string prices, sizes and times', async () => {
  const linear = await ok(live, '/v5/market/recent-trade?category=linear&symbol=BTCUSDT');
  expect(linear.category).toBe('linear');
  expectTrades(linear.list, 'BTCUSDT', 'linear');
  const spot = await ok(live, '/v5/market/recent-trade?category=spot&symbol=BTCUSDT');
  expect(spot.category).toBe('spot');
  expect(spot.list.length).toBeLessThanOrEqual(60);
  expectTrades(spot.list, 'BTCUSDT', 'spot');
});

test('recent trades on the manual clock end with the last price before the start', async () => {
  const result = await ok(manual, '/v5/market/recent-trade?category=linear&symbol=BTCUSDT&limit=5');
  expect(result.list).toHaveLength(5);
  expectTrades(result.list, 'BTCUSDT', 'linear');
  expect(result.list[0].price).toBe('50000.0');
  for (const t of result.list) expect(Number(t.time)).toBeLessThan(T);
});

test('spot recent trades accept limit 60 and refuse limit 61 with 10001 naming limit', async () => {
  const result = await ok(live, '/v5/market/recent-trade?category=spot&symbol=BTCUSDT&limit=60');
  expect(result.list.length).toBeLessThanOrEqual(60);
  expectParamError(
    await getPublic(live, '/v5/market/recent-trade?category=spot&symbol=BTCUSDT&limit=61'),
    /limit/,
  );
  expectParamError(
    await getPublic(live, '/v5/market/recent-trade?category=linear&symbol=BTCUSDT&limit=1001'),
    /limit/,
  );
});

// ---- /v5/market/funding/history -------------------------------------------------------------

function expectFunding(list: Json[], symbol: string): number[] {
  const times: number[] = [];
  for (const f of list) {
    expect(Object.keys(f).sort()).toEqual(['fundingRate', 'fundingRateTimestamp', 'symbol']);
    expect(f.symbol).toBe(symbol);
    expect(Math.abs(num(f.fundingRate))).toBeLessThan(0.01);
    expect(f.fundingRateTimestamp).toMatch(/^\d{13}$/);
    times.push(Number(f.fundingRateTimestamp));
  }
  for (const t of times) expect(t % EIGHT_HOURS).toBe(0);
  expectFixedStep(times, EIGHT_HOURS);
  return times;
}

test('funding history is newest first on the 8 h grid and defaults to 200 records', async () => {
  const result = await ok(manual, '/v5/market/funding/history?category=linear&symbol=BTCUSDT');
  expect(result.category).toBe('linear');
  expect(result.list).toHaveLength(200);
  const times = expectFunding(result.list, 'BTCUSDT');
  expect(times[0]).toBe(T - 4 * HOUR); // 08:00 UTC, the last settlement before 12:00
});

test('funding history with only endTime answers records up to endTime', async () => {
  const end = T - 3 * DAY - 1;
  const result = await ok(
    manual,
    `/v5/market/funding/history?category=linear&symbol=BTCUSDT&endTime=${end}&limit=10`,
  );
  const times = expectFunding(result.list, 'BTCUSDT');
  expect(times).toHaveLength(10);
  expect(times[0]).toBe(T - 3 * DAY - 4 * HOUR); // 2026-01-02T08:00Z, the last settlement before end
  for (const t of times) expect(t).toBeLessThanOrEqual(end);
});

test('funding history with startTime and endTime answers the settlements inside the range', async () => {
  const result = await ok(
    manual,
    `/v5/market/funding/history?category=linear&symbol=BTCUSDT&startTime=${T - 2 * DAY}&endTime=${T - DAY}`,
  );
  expect(expectFunding(result.list, 'BTCUSDT')).toEqual([
    T - DAY - 4 * HOUR,
    T - DAY - 12 * HOUR,
    T - DAY - 20 * HOUR,
  ]);
});

test('funding history with only startTime is refused with 10001', async () => {
  expectParamError(
    await getPublic(manual, `/v5/market/funding/history?category=linear&symbol=BTCUSDT&startTime=${T - DAY}`),
    /endTime|startTime/,
  );
});

test('funding history on the real clock has live timestamps on the 8 h grid', async () => {
  const r = await getPublic(live, '/v5/market/funding/history?category=linear&symbol=ETHUSDT&limit=3');
  expect(r.body.retCode).toBe(0);
  const times = expectFunding(r.body.result.list, 'ETHUSDT');
  expect(times).toHaveLength(3);
  const settlement = Math.floor(r.body.time / EIGHT_HOURS) * EIGHT_HOURS;
  expect([settlement, settlement - EIGHT_HOURS]).toContain(times[0]);
});

test('funding history refuses category spot with 10001 naming category', async () => {
  expectParamError(
    await getPublic(manual, '/v5/market/funding/history?category=spot&symbol=BTCUSDT'),
    /category/,
  );
});

// ---- parameter errors and routing -----------------------------------------------------------

test('an unknown symbol is refused with 10001 naming the symbol on every market endpoint', async () => {
  const paths = [
    '/v5/market/orderbook?category=linear&symbol=XRPUSDT',
    '/v5/market/kline?category=linear&symbol=XRPUSDT&interval=1',
    '/v5/market/mark-price-kline?category=linear&symbol=XRPUSDT&interval=1',
    '/v5/market/index-price-kline?category=linear&symbol=XRPUSDT&interval=1',
    '/v5/market/recent-trade?category=linear&symbol=XRPUSDT',
    '/v5/market/funding/history?category=linear&symbol=XRPUSDT',
    '/v5/market/tickers?category=linear&symbol=XRPUSDT',
  ];
  for (const p of paths) expectParamError(await getPublic(live, p), /symbol/i);
});

test("tickers for an unknown symbol answer Bybit's Not supported symbols", async () => {
  const r = await getPublic(live, '/v5/market/tickers?category=spot&symbol=XRPUSDT');
  expectParamError(r, /^Not supported symbols$/);
});

test('a lowercase symbol is refused with 10001 naming symbol, not corrected', async () => {
  for (const p of [
    '/v5/market/orderbook?category=linear&symbol=btcusdt',
    '/v5/market/tickers?category=linear&symbol=btcusdt',
    '/v5/market/kline?category=linear&symbol=btcusdt&interval=1',
    '/v5/market/recent-trade?category=spot&symbol=btcusdt',
  ]) {
    expectParamError(await getPublic(live, p), /symbol/);
  }
});

test('a missing or unknown category is refused with 10001 naming category', async () => {
  for (const p of [
    '/v5/market/tickers?symbol=BTCUSDT',
    '/v5/market/orderbook?symbol=BTCUSDT',
    '/v5/market/instruments-info',
    '/v5/market/recent-trade?symbol=BTCUSDT',
    '/v5/market/funding/history?symbol=BTCUSDT',
    '/v5/market/tickers?category=futures&symbol=BTCUSDT',
    '/v5/market/tickers?category=LINEAR&symbol=BTCUSDT',
  ]) {
    expectParamError(await getPublic(live, p), /category/);
  }
});

test('limits above each endpoint maximum are refused with 10001 naming limit', async () => {
  for (const p of [
    '/v5/market/instruments-info?category=linear&limit=1001',
    '/v5/market/funding/history?category=linear&symbol=BTCUSDT&limit=201',
    '/v5/market/mark-price-kline?category=linear&symbol=BTCUSDT&interval=1&limit=1001',
  ]) {
    expectParamError(await getPublic(manual, p), /limit/);
  }
  const max = await ok(manual, '/v5/market/funding/history?category=linear&symbol=BTCUSDT&limit=200');
  expect(max.list).toHaveLength(200);
});

test('option tickers without symbol or baseCoin are refused with 10001', async () => {
  expectParamError(await getPublic(live, '/v5/market/tickers?category=option'), /symbol|baseCoin/);
});

test('a missing symbol on endpoints that require it is refused with 10001 naming symbol', async () => {
  for (const p of [
    '/v5/market/orderbook?category=linear',
    '/v5/market/kline?category=linear&interval=1',
    '/v5/market/recent-trade?category=spot',
  ]) {
    expectParamError(await getPublic(live, p), /symbol/);
  }
});

test('an unknown path answers HTTP 404 with a 10017 JSON envelope', async () => {
  const r = await getPublic(live, '/v5/market/no-such-endpoint?category=linear');
  expect(r.status).toBe(404);
  expect(r.headers.get('content-type')).toMatch(/^application\/json/);
  expect(r.body).toEqual({
    retCode: 10017,
    retMsg: expect.stringContaining('/v5/market/no-such-endpoint'),
    result: {},
    retExtInfo: {},
    time: expect.any(Number),
  });
  const root = await getPublic(live, '/');
  expect(root.status).toBe(404);
  expect(root.body.retCode).toBe(10017);
});

test('a POST to a GET-only market path answers HTTP 404 with 10017', async () => {
  const res = await fetch(`${live.restUrl}/v5/market/time`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: '{}',
  });
  expect(res.status).toBe(404);
  const body = (await res.json()) as { retCode: number; retMsg: string; result: unknown };
  expect(body.retCode).toBe(10017);
  expect(body.retMsg).toContain('POST');
  expect(body.result).toEqual({});
});

test('every market reply is JSON with the Bybit envelope and a Timenow header equal to its time', async () => {
  const r = await getPublic(manual, '/v5/market/tickers?category=linear');
  expect(r.headers.get('content-type')).toBe('application/json; charset=utf-8');
  expect(r.headers.get('timenow')).toBe(String(T));
  expect(Object.keys(r.body)).toEqual(['retCode', 'retMsg', 'result', 'retExtInfo', 'time']);
});
