/**
 * Trading determinism over real HTTP: two daemons from the same manual-clock scenario, given the
 * same requests and clock advances, answer byte-identical bodies, ids and fills included.
 * @see ../../docs/architecture.md (Determinism)
 */
import { afterAll, beforeAll, expect, test } from 'vitest';
import type { ManualClock } from '../../src/core/clock.js';
import type { RunningExchange } from '../../src/runtime/start-exchange.js';
import {
  getSigned,
  manualScenarioYaml,
  postSigned,
  startTestExchange,
  type Reply,
} from '../support/server.js';

let a: RunningExchange;
let b: RunningExchange;
/** The answers of the first run on `a`. */
let first: string[] = [];

beforeAll(async () => {
  [a, b] = await Promise.all([
    startTestExchange({ scenario: { yaml: manualScenarioYaml(), name: 'trading-determinism-a' } }),
    startTestExchange({ scenario: { yaml: manualScenarioYaml(), name: 'trading-determinism-b' } }),
  ]);
});

afterAll(async () => {
  await Promise.all([a?.close(), b?.close()]);
});

const LINEAR = { category: 'linear', symbol: 'BTCUSDT' } as const;
const SPOT = { category: 'spot', symbol: 'BTCUSDT' } as const;

type Step =
  | { post: string; body: Record<string, unknown> | ((ids: string[]) => Record<string, unknown>) }
  | { get: string; query: string }
  | { advance: number };

/** Requests that read back from the state: everything an account can see. */
const READ_ALL: Step[] = [
  { get: '/v5/order/realtime', query: 'category=linear&settleCoin=USDT&limit=50' },
  { get: '/v5/order/realtime', query: 'category=spot&limit=50' },
  { get: '/v5/order/history', query: 'category=linear&limit=50' },
  { get: '/v5/order/history', query: 'category=spot&limit=50' },
  { get: '/v5/execution/list', query: 'category=linear&limit=100' },
  { get: '/v5/execution/list', query: 'category=spot&limit=100' },
  { get: '/v5/position/list', query: 'category=linear&symbol=BTCUSDT' },
  { get: '/v5/position/closed-pnl', query: 'category=linear' },
  { get: '/v5/account/wallet-balance', query: 'accountType=UNIFIED' },
];

/** `ids[i]` is the orderId answered by the i-th successful create in the run. */
const STEPS: Step[] = [
  {
    post: '/v5/order/create',
    body: { ...LINEAR, side: 'Buy', orderType: 'Limit', qty: '0.050', price: '49990' },
  },
  {
    post: '/v5/order/create',
    body: { ...LINEAR, side: 'Sell', orderType: 'Limit', qty: '0.050', price: '50010' },
  },
  { post: '/v5/order/create', body: { ...LINEAR, side: 'Buy', orderType: 'Market', qty: '0.120' } },
  {
    post: '/v5/order/create',
    body: { ...SPOT, side: 'Buy', orderType: 'Limit', qty: '0.02', price: '49995' },
  },
  { post: '/v5/order/create', body: { ...SPOT, side: 'Sell', orderType: 'Market', qty: '0.03' } },
  { post: '/v5/order/create', body: { ...SPOT, side: 'Buy', orderType: 'Market', qty: '250' } },
  {
    post: '/v5/order/create',
    body: { ...LINEAR, side: 'Buy', orderType: 'Limit', qty: '1', price: '49000' },
  },
  {
    post: '/v5/order/create',
    body: { ...LINEAR, side: 'Buy', orderType: 'Market', qty: '1', reduceOnly: true },
  },
  ...READ_ALL,
  { advance: 30_000 },
  ...READ_ALL,
  {
    post: '/v5/order/create-batch',
    body: {
      category: 'linear',
      request: [
        {
          symbol: 'BTCUSDT',
          side: 'Buy',
          orderType: 'Limit',
          qty: '0.010',
          price: '49950',
          orderLinkId: 'det-1',
        },
        {
          symbol: 'BTCUSDT',
          side: 'Sell',
          orderType: 'Limit',
          qty: '0.010',
          price: '50050',
          orderLinkId: 'det-2',
        },
        {
          symbol: 'BTCUSDT',
          side: 'Buy',
          orderType: 'Limit',
          qty: '0.010',
          price: '49950',
          orderLinkId: 'det-1',
        },
      ],
    },
  },
  { post: '/v5/order/amend', body: { ...LINEAR, orderLinkId: 'det-1', price: '49960', qty: '0.020' } },
  { post: '/v5/order/cancel', body: (ids) => ({ ...LINEAR, orderId: ids[6] }) },
  {
    post: '/v5/position/trading-stop',
    body: { ...LINEAR, tpslMode: 'Full', positionIdx: 0, stopLoss: '45000' },
  },
  { advance: 120_000 },
  { post: '/v5/order/create', body: { ...LINEAR, side: 'Sell', orderType: 'Market', qty: '0.070' } },
  { post: '/v5/order/cancel-all', body: { category: 'spot' } },
  { post: '/v5/order/cancel-all', body: { category: 'linear', settleCoin: 'USDT' } },
  { advance: 60_000 },
  ...READ_ALL,
  { get: '/v5/order/history', query: 'category=linear&limit=3' },
  { get: '/v5/execution/list', query: 'category=linear&limit=4' },
];

async function run(ex: RunningExchange, steps: Step[] = STEPS): Promise<string[]> {
  const out: string[] = [];
  const ids: string[] = [];
  for (const step of steps) {
    let r: Reply;
    if ('advance' in step) {
      (ex.clock as ManualClock).advance(step.advance);
      out.push(`advance ${step.advance}`);
      continue;
    } else if ('post' in step) {
      const body = typeof step.body === 'function' ? step.body(ids) : step.body;
      r = await postSigned(ex, step.post, body);
      if (step.post === '/v5/order/create' && r.body.retCode === 0) ids.push(r.body.result.orderId);
    } else {
      r = await getSigned(ex, step.get, step.query);
    }
    expect(r.status, r.text).toBe(200);
    out.push(r.text);
  }
  return out;
}

test('the same requests on the same manual scenario give byte-identical answers, ids included', async () => {
  const [ra, rb] = await Promise.all([run(a), run(b)]);
  first = ra;
  expect(ra).toHaveLength(STEPS.length);
  for (let i = 0; i < ra.length; i++) expect(rb[i], `step ${i}: ${JSON.stringify(STEPS[i])}`).toBe(ra[i]);

  // The run did trade: orders placed and cancelled, fills booked, refusals answered alike.
  const codes = ra
    .filter((t) => t.startsWith('{'))
    .map((t) => (JSON.parse(t) as { retCode: number }).retCode);
  expect(codes.filter((c) => c === 0).length).toBeGreaterThan(30);
  expect(codes).toContain(110017);
  expect(ra.filter((t) => t.includes('"execType":"Trade"')).length).toBeGreaterThan(0);
  expect(ra.some((t) => t.includes('"orderStatus":"Cancelled"'))).toBe(true);
  expect(ra.some((t) => t.includes('"code":110072'))).toBe(true);
});

test('a reset replays to the same answers as the first run', async () => {
  expect(first).toHaveLength(STEPS.length);
  a.reset();
  expect(await run(a)).toEqual(first);
});

test('reads have no side effects: the same writes without the reads leave the same state', async () => {
  a.reset();
  b.reset();
  const withReads = await run(a);
  const writes = STEPS.filter((s) => !('get' in s));
  const withoutReads = await run(b, [...writes, ...READ_ALL]);
  const isWrite = STEPS.map((s) => !('get' in s));
  expect(withoutReads.slice(0, writes.length)).toEqual(withReads.filter((_, i) => isWrite[i]));
  // STEPS ends with READ_ALL and two paged reads.
  expect(withoutReads.slice(writes.length)).toEqual(withReads.slice(-(READ_ALL.length + 2), -2));
});
