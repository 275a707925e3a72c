/**
 * Determinism over real HTTP: daemons started from the same manual-clock scenario answer
 * byte-identical bodies (the envelope `time` included) before and after the same clock advance;
 * a different seed gives a different market; kline history is a pure function of the scenario.
 */
import { afterAll, beforeAll, expect, test } from 'vitest';
import type { ManualClock } from '../../src/core/clock.js';
import type { RunningExchange } from '../../src/runtime/start-exchange.js';
import { MANUAL_CLOCK_START, getPublic, manualScenarioYaml, startTestExchange } from '../support/server.js';
import type { Json } from '../support/ws.js';

let a: RunningExchange;
let b: RunningExchange;
let otherSeed: RunningExchange;
let live: RunningExchange;

beforeAll(async () => {
  [a, b, otherSeed, live] = await Promise.all([
    startTestExchange({ scenario: { yaml: manualScenarioYaml(), name: 'determinism-a' } }),
    startTestExchange({ scenario: { yaml: manualScenarioYaml(), name: 'determinism-b' } }),
    startTestExchange({ scenario: { yaml: manualScenarioYaml(), name: 'determinism-seed' }, seed: 8 }),
    startTestExchange(),
  ]);
});

afterAll(async () => {
  await Promise.all([a?.close(), b?.close(), otherSeed?.close(), live?.close()]);
});

const T = MANUAL_CLOCK_START;
const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const PAST_START = Date.UTC(2024, 2, 10, 0, 0, 0);
const PAST_END = Date.UTC(2024, 2, 11, 6, 0, 0);

/** Market reads that must match byte for byte. */
const READS = [
  '/v5/market/time',
  '/v5/market/instruments-info?category=linear',
  '/v5/market/instruments-info?category=spot',
  '/v5/market/tickers?category=linear',
  '/v5/market/tickers?category=spot&symbol=BTCUSDT',
  '/v5/market/orderbook?category=linear&symbol=BTCUSDT&limit=200',
  '/v5/market/orderbook?category=spot&symbol=BTCUSDT&limit=50',
  '/v5/market/kline?category=linear&symbol=BTCUSDT&interval=1',
  '/v5/market/kline?category=linear&symbol=BTCUSDT&interval=15&limit=500',
  '/v5/market/kline?category=spot&symbol=BTCUSDT&interval=60',
  '/v5/market/kline?category=linear&symbol=BTCUSDT&interval=D&limit=365',
  '/v5/market/kline?category=linear&symbol=BTCUSDT&interval=W',
  '/v5/market/kline?category=linear&symbol=BTCUSDT&interval=M&limit=60',
  `/v5/market/kline?category=linear&symbol=BTCUSDT&interval=5&start=${PAST_START}&end=${PAST_END}&limit=1000`,
  `/v5/market/kline?category=linear&symbol=BTCUSDT&interval=60&start=${Date.UTC(2021, 0, 1)}&limit=1000`,
  `/v5/market/kline?category=spot&symbol=BTCUSDT&interval=D&end=${Date.UTC(2019, 5, 1)}&limit=100`,
  `/v5/market/mark-price-kline?symbol=BTCUSDT&interval=30&start=${PAST_START}&end=${PAST_END}`,
  `/v5/market/index-price-kline?symbol=BTCUSDT&interval=240&end=${T - 30 * DAY}`,
  '/v5/market/recent-trade?category=linear&symbol=BTCUSDT',
  '/v5/market/recent-trade?category=spot&symbol=BTCUSDT',
  '/v5/market/funding/history?category=linear&symbol=BTCUSDT',
  `/v5/market/funding/history?category=linear&symbol=BTCUSDT&endTime=${T - 90 * DAY}&limit=50`,
];

async function readAll(ex: RunningExchange): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  for (const path of READS) {
    const r = await getPublic(ex, path);
    expect(r.status, path).toBe(200);
    expect(r.body.retCode, `${path}: ${r.body.retMsg}`).toBe(0);
    out.set(path, r.text);
  }
  return out;
}

function expectSameBodies(x: Map<string, string>, y: Map<string, string>): void {
  for (const path of READS) expect(y.get(path), path).toBe(x.get(path));
}

function resultOf(text: string | undefined): Json {
  return (JSON.parse(text ?? 'null') as { result: unknown }).result;
}

function advanceBoth(ms: number): void {
  (a.clock as ManualClock).advance(ms);
  (b.clock as ManualClock).advance(ms);
}

let atStart: Map<string, string>;

test('two daemons from the same manual scenario answer byte-identical market bodies at start', async () => {
  const [x, y] = await Promise.all([readAll(a), readAll(b)]);
  expectSameBodies(x, y);
  expect(resultOf(x.get('/v5/market/time')).timeSecond).toBe(String(T / 1000));
  expect(JSON.parse(x.get('/v5/market/tickers?category=linear')!).time).toBe(T);
  atStart = x;
});

test('kline history for a past range has the requested number of candles and is identical on repeated reads', async () => {
  const path = `/v5/market/kline?category=linear&symbol=BTCUSDT&interval=5&start=${PAST_START}&end=${PAST_END}&limit=1000`;
  const first = await getPublic(a, path);
  const second = await getPublic(a, path);
  expect(second.text).toBe(first.text);
  const list = first.body.result.list as string[][];
  expect(list).toHaveLength((PAST_END - PAST_START) / 300_000 + 1);
  expect(list[0]![0]).toBe(String(PAST_END));
  expect(list[list.length - 1]![0]).toBe(String(PAST_START));
});

test('after advancing both clocks by 30 s the daemons still match byte for byte and prices have moved', async () => {
  advanceBoth(30_000);
  expect(a.clock.now()).toBe(T + 30_000);
  expect(b.clock.now()).toBe(T + 30_000);
  const [x, y] = await Promise.all([readAll(a), readAll(b)]);
  expectSameBodies(x, y);

  const tickerPath = '/v5/market/tickers?category=linear';
  const before = resultOf(atStart.get(tickerPath)).list[0] as Record<string, string>;
  const after = resultOf(x.get(tickerPath)).list[0] as Record<string, string>;
  expect(JSON.parse(x.get(tickerPath)!).time).toBe(T + 30_000);
  expect([after.lastPrice, after.markPrice, after.bid1Price]).not.toEqual([
    before.lastPrice,
    before.markPrice,
    before.bid1Price,
  ]);

  const bookPath = '/v5/market/orderbook?category=linear&symbol=BTCUSDT&limit=200';
  expect(resultOf(x.get(bookPath)).b).not.toEqual(resultOf(atStart.get(bookPath)).b);
  expect(resultOf(x.get(bookPath)).ts).toBe(T + 30_000);

  const tradesPath = '/v5/market/recent-trade?category=linear&symbol=BTCUSDT';
  const newest = resultOf(x.get(tradesPath)).list[0] as { time: string };
  expect(Number(newest.time)).toBeGreaterThan(T);
  expect(Number(newest.time)).toBeLessThanOrEqual(T + 30_000);
});

test('kline candles and funding records from before the start are unchanged after the clock advances', async () => {
  const pastReads = READS.filter((p) => /[?&]end(Time)?=/.test(p));
  expect(pastReads.length).toBeGreaterThanOrEqual(5);
  for (const path of pastReads) {
    const now = await getPublic(a, path);
    expect(now.body.time, path).toBe(T + 30_000);
    expect(resultOf(now.text), path).toEqual(resultOf(atStart.get(path)));
  }
});

test('advancing in several steps gives the same bodies as one step of the same total', async () => {
  for (let i = 0; i < 6; i++) (a.clock as ManualClock).advance(5_000);
  (b.clock as ManualClock).advance(30_000);
  expect(a.clock.now()).toBe(b.clock.now());
  const [x, y] = await Promise.all([readAll(a), readAll(b)]);
  expectSameBodies(x, y);
});

test('a daemon with a different seed serves different prices and history', async () => {
  const fresh = await readAll(otherSeed);
  const historyPath = `/v5/market/kline?category=linear&symbol=BTCUSDT&interval=5&start=${PAST_START}&end=${PAST_END}&limit=1000`;
  expect(resultOf(fresh.get(historyPath))).not.toEqual(resultOf(atStart.get(historyPath)));
  const bookPath = '/v5/market/orderbook?category=linear&symbol=BTCUSDT&limit=200';
  expect(resultOf(fresh.get(bookPath)).b).not.toEqual(resultOf(atStart.get(bookPath)).b);

  (otherSeed.clock as ManualClock).advance(60_000);
  const moved = await getPublic(otherSeed, '/v5/market/tickers?category=linear&symbol=BTCUSDT');
  const same = await getPublic(a, '/v5/market/tickers?category=linear&symbol=BTCUSDT');
  expect(moved.body.time).toBe(same.body.time);
  expect(moved.body.result.list[0].lastPrice).not.toBe(same.body.result.list[0].lastPrice);
  expect(moved.text).not.toBe(same.text);
});

test('on the default real-clock scenario the same past-range kline request answers the same result twice', async () => {
  const start = Date.now() - 10 * DAY;
  const end = start + 6 * HOUR;
  const paths = [
    `/v5/market/kline?category=linear&symbol=BTCUSDT&interval=1&start=${start}&end=${end}&limit=1000`,
    `/v5/market/kline?category=spot&symbol=ETHUSDT&interval=60&start=${start - 30 * DAY}&end=${end}`,
    `/v5/market/mark-price-kline?category=linear&symbol=SOLUSDT&interval=15&start=${start}&end=${end}`,
  ];
  for (const path of paths) {
    const first = await getPublic(live, path);
    await new Promise((r) => setTimeout(r, 20));
    const second = await getPublic(live, path);
    expect(first.body.retCode, path).toBe(0);
    expect(first.body.result.list.length, path).toBeGreaterThan(0);
    expect(JSON.stringify(second.body.result), path).toBe(JSON.stringify(first.body.result));
  }
});
