/**
 * The scenario timeline: each action happens at its time on the daemon clock and not before;
 * `after` chains, `every` + `count` fire exactly count times, reset re-arms from the start; and
 * `bybit-mock validate` names each bad entry at its line.
 * @see src/core/timeline/timeline.ts, src/core/exchange.ts (startTimeline, runTimelineAction)
 */
import { afterEach, describe, expect, test } from 'vitest';
import { parseScenario } from '../../src/config/scenario/load.js';
import type { RunningExchange } from '../../src/runtime/start-exchange.js';
import {
  adminRequest,
  DEFAULT_KEY,
  DEFAULT_SECRET,
  MANUAL_CLOCK_START as T0,
  getPublic,
  getSigned,
  postSigned,
  startTestExchange,
} from '../support/server.js';
import { WsClient, openAuthed, type Json } from '../support/ws.js';

let ex: RunningExchange | undefined;

afterEach(async () => {
  await ex?.close();
  ex = undefined;
});

/**
 * A manual-clock scenario with a still market (volatility 0, no simulated trades) unless told
 * otherwise, so every price change seen is the timeline's.
 */
function scenario(timeline: string, market = 'volatility: 0, tradesPerTick: 0'): string {
  return `
version: 1
seed: 7
clock: { mode: manual, start: ${T0} }
instruments:
  - { symbol: BTCUSDT, category: linear, baseCoin: BTC, quoteCoin: USDT, tickSize: "0.1", qtyStep: "0.001", minOrderQty: "0.001", maxOrderQty: "100", minNotional: "5" }
market:
  BTCUSDT: { price: "50000", tickInterval: 1s, ${market} }
accounts:
  - { name: main, apiKey: ${DEFAULT_KEY}, apiSecret: ${DEFAULT_SECRET}, balances: { USDT: "10000" } }
timeline:
${timeline}`;
}

async function boot(timeline: string, market?: string): Promise<RunningExchange> {
  ex = await startTestExchange({ scenario: { yaml: scenario(timeline, market), name: 'timeline' } });
  return ex;
}

async function admin(method: string, path: string, body?: unknown): Promise<Json> {
  const r = await adminRequest(ex!, method, path, body);
  expect(r.status, `${method} ${path}`).toBe(200);
  return r.body;
}

/** Advances the manual clock by `ms` and checks where it landed (ms after the scenario start). */
async function advance(ms: number): Promise<void> {
  await admin('POST', '/clock/advance', { ms });
}
const elapsed = async () => ((await admin('GET', '/clock')) as { now: number }).now - T0;

async function prices() {
  const s = await admin('GET', '/state');
  const i = s.instruments.find((x: Json) => x.category === 'linear' && x.symbol === 'BTCUSDT');
  return {
    last: Number(i.lastPrice),
    mark: Number(i.markPrice),
    bid: Number(i.bid1Price),
    ask: Number(i.ask1Price),
  };
}

const usdt = async () =>
  (await admin('GET', '/accounts/main')).wallet.coin.find((c: Json) => c.coin === 'USDT');
const walletUsdt = async () => (await usdt()).walletBalance as string;

const BUY = {
  category: 'linear',
  symbol: 'BTCUSDT',
  side: 'Buy',
  orderType: 'Limit',
  qty: '0.001',
  price: '40000',
};

describe('each action takes effect at its time and not before', () => {
  test('price: a jump moves last, mark and the book at once', async () => {
    await boot(`  - { at: 2500ms, do: { price: { symbol: BTCUSDT, price: "51000" } } }`);
    await advance(2499);
    expect(await prices()).toMatchObject({ last: 50000 });
    await advance(1);
    expect(await elapsed()).toBe(2500);
    const p = await prices();
    expect(p).toMatchObject({ last: 51000, mark: 51000 });
    expect(p.bid).toBeLessThanOrEqual(51000);
    expect(p.ask).toBeGreaterThanOrEqual(51000);
    expect(p.ask - p.bid).toBeCloseTo(0.1, 5);
    const ticker = await getPublic(ex!, '/v5/market/tickers?category=linear&symbol=BTCUSDT');
    expect(Number(ticker.body.result.list[0].lastPrice)).toBe(51000);
  });

  test('price with over: a linear ramp, tick by tick, between midway and at the target at the end', async () => {
    await boot(
      `  - { at: 2s, do: { price: { symbol: BTCUSDT, category: linear, price: "54000", over: 4s } } }`,
    );
    const mid = async () => {
      const p = await prices();
      return (p.bid + p.ask) / 2;
    };
    await advance(2000);
    expect(await mid()).toBeCloseTo(50000, 0);
    await advance(1000); // 3s: a quarter of the way
    expect(await mid()).toBeCloseTo(51000, 0);
    await advance(1000); // 4s: midway
    const half = await mid();
    expect(half).toBeGreaterThan(50000);
    expect(half).toBeLessThan(54000);
    expect(half).toBeCloseTo(52000, 0);
    await advance(2000); // 6s: the end
    expect(await mid()).toBeCloseTo(54000, 0);
    await advance(3000); // and it stays there (volatility 0)
    expect(await mid()).toBeCloseTo(54000, 0);
  });

  test('trade: one public print at its price, size and side, on REST and the public stream', async () => {
    await boot(
      `  - { at: 1500ms, do: { trade: { symbol: BTCUSDT, price: "49990.5", qty: "0.25", side: Sell } } }`,
    );
    const pub = await WsClient.open(ex!, '/v5/public/linear');
    await pub.request({ op: 'subscribe', args: ['publicTrade.BTCUSDT'] }, (f) => f?.op === 'subscribe');
    const recent = async () =>
      (await getPublic(ex!, '/v5/market/recent-trade?category=linear&symbol=BTCUSDT&limit=5')).body.result
        .list as Json[];
    await advance(1499);
    expect((await recent()).some((t) => t.price === '49990.5')).toBe(false);
    expect((await pub.sync()).filter((f: Json) => f.topic === 'publicTrade.BTCUSDT')).toEqual([]);
    await advance(1);
    expect((await recent())[0]).toMatchObject({
      price: '49990.5',
      size: '0.250',
      side: 'Sell',
      time: String(T0 + 1500),
    });
    const frame = await pub.next((f) => f?.topic === 'publicTrade.BTCUSDT');
    expect(frame.data).toEqual([
      expect.objectContaining({ p: '49990.5', v: '0.250', S: 'Sell', T: T0 + 1500 }),
    ]);
    await pub.close();
  });

  test('pause holds the fair price still from its time; resume lets it walk again', async () => {
    await boot(
      `  - { at: 2500ms, do: { pause: true } }
  - { at: 6500ms, do: { resume: true } }`,
      'volatility: 5, tradesPerTick: 0',
    );
    const bids: number[] = [];
    for (let s = 1; s <= 9; s++) {
      await advance(1000);
      bids.push((await prices()).bid);
    }
    // Ticks at 1s and 2s walk; 3s-6s are paused (the 2s price holds); 7s on walk again.
    expect(bids[1]).not.toBe(bids[0]);
    expect(bids.slice(2, 6)).toEqual([bids[1], bids[1], bids[1], bids[1]]);
    expect(bids[6]).not.toBe(bids[5]);
    expect(bids[7]).not.toBe(bids[6]);
  });

  test('event: pushed to the account’s /v5/private subscribers of the topic at its time', async () => {
    await boot(
      `  - at: 3s
    do:
      event:
        account: main
        topic: order
        data: [{ orderId: scripted-1, orderStatus: New, symbol: BTCUSDT }]`,
    );
    const { client, reply } = await openAuthed(ex!, '/v5/private');
    expect(reply).toMatchObject({ success: true });
    await client.request({ op: 'subscribe', args: ['order'] }, (f) => f?.op === 'subscribe');
    await advance(2999);
    expect((await client.sync()).filter((f: Json) => f.topic === 'order')).toEqual([]);
    await advance(1);
    const frame = await client.next((f) => f?.topic === 'order');
    expect(frame).toMatchObject({
      topic: 'order',
      creationTime: T0 + 3000,
      data: [{ orderId: 'scripted-1', orderStatus: 'New', symbol: 'BTCUSDT' }],
    });
    await client.close();
  });

  test('disconnect: close with a code and reason, then terminate, each only the matching stream', async () => {
    await boot(
      `  - { at: 2s, do: { disconnect: { stream: private, code: 4001, reason: scripted drop } } }
  - { at: 4s, do: { disconnect: { stream: /v5/public/linear, mode: terminate } } }`,
    );
    const { client: priv } = await openAuthed(ex!, '/v5/private');
    const pub = await WsClient.open(ex!, '/v5/public/linear');
    await advance(1999);
    await priv.sync();
    await pub.sync();
    expect(priv.isOpen && pub.isOpen).toBe(true);
    await advance(1);
    expect(await priv.closed).toEqual({ code: 4001, reason: 'scripted drop' });
    await pub.sync();
    expect(pub.isOpen).toBe(true);
    await advance(1999);
    await pub.sync();
    expect(pub.isOpen).toBe(true);
    await advance(1);
    expect((await pub.closed).code).toBe(1006); // no close frame
  });

  test('balance: sets the wallet balance at its time', async () => {
    await boot(`  - { at: 1s, do: { balance: { account: main, coin: USDT, walletBalance: "12345.6" } } }`);
    await advance(999);
    expect(await walletUsdt()).toBe('10000');
    await advance(1);
    expect(await walletUsdt()).toBe('12345.6');
    const wb = await getSigned(ex!, '/v5/account/wallet-balance', 'accountType=UNIFIED&coin=USDT');
    expect(wb.body.result.list[0].coin[0].walletBalance).toBe('12345.6');
  });

  test('position: opens a position at its time (avgPrice, leverage as given)', async () => {
    await boot(
      `  - { at: 1s, do: { position: { account: main, symbol: BTCUSDT, side: Sell, size: "0.02", avgPrice: "50500", leverage: "5" } } }`,
    );
    const list = async () =>
      (await getSigned(ex!, '/v5/position/list', 'category=linear&symbol=BTCUSDT')).body.result
        .list as Json[];
    await advance(999);
    expect((await list()).filter((p) => p.size !== '0')).toEqual([]);
    await advance(1);
    const open = await list();
    expect(open).toEqual([
      expect.objectContaining({ symbol: 'BTCUSDT', side: 'Sell', avgPrice: '50500', leverage: '5' }),
    ]);
    expect(Number(open[0].size)).toBe(0.02);
    expect(open[0].createdTime).toBe(String(T0 + 1000));
  });

  test('addRule then removeRule (after it): creates fail only in between', async () => {
    await boot(
      `  - id: add
    at: 1s
    do:
      addRule: { id: busy, on: order.create, action: { fail: { retCode: 10006, retMsg: "Too many visits!" } } }
  - { after: add, at: 2s, do: { removeRule: busy } }`,
    );
    const code = async () => (await postSigned(ex!, '/v5/order/create', BUY)).body.retCode as number;
    await advance(999);
    expect(await code()).toBe(0);
    await advance(1);
    expect(await code()).toBe(10006);
    expect((await admin('GET', '/rules')).rules).toEqual([
      expect.objectContaining({ id: 'busy', source: 'admin' }),
    ]);
    await advance(1999);
    expect(await code()).toBe(10006);
    await advance(1);
    expect(await code()).toBe(0);
    expect((await admin('GET', '/rules')).rules).toEqual([]);
  });
});

test('after chains: each entry counts from the first firing of the one it names', async () => {
  await boot(
    `  - { id: a, at: 1s, do: { balance: { account: main, coin: USDT, walletBalance: "1" } } }
  - { id: b, after: a, at: 2s, do: { balance: { account: main, coin: USDT, walletBalance: "2" } } }
  - { after: b, at: 500ms, do: { balance: { account: main, coin: USDT, walletBalance: "3" } } }
  - { after: b, do: { balance: { account: main, coin: USDT, walletBalance: "4" } } }`,
  );
  const seen: [number, string][] = [];
  for (const step of [999, 1, 1999, 1, 499, 1]) {
    await advance(step);
    seen.push([await elapsed(), await walletUsdt()]);
  }
  // At 3s both b and the `after: b` entry with no `at` fire, in file order.
  expect(seen).toEqual([
    [999, '10000'],
    [1000, '1'],
    [2999, '1'],
    [3000, '4'],
    [3499, '4'],
    [3500, '3'],
  ]);
});

test('every with count fires exactly count times, a period apart', async () => {
  await boot(
    `  - { at: 1s, every: 2s, count: 3, do: { event: { account: main, topic: wallet, data: [{ n: 1 }] } } }`,
  );
  const { client } = await openAuthed(ex!, '/v5/private');
  await client.request({ op: 'subscribe', args: ['wallet'] }, (f) => f?.op === 'subscribe');
  await advance(999);
  expect((await client.sync()).filter((f: Json) => f.topic === 'wallet')).toEqual([]);
  await advance(20_000);
  const frames = (await client.sync()).filter((f: Json) => f.topic === 'wallet');
  expect(frames.map((f: Json) => f.creationTime - T0)).toEqual([1000, 3000, 5000]);
  await client.close();
});

test('every without count keeps firing each period', async () => {
  await boot(
    `  - { every: 1s, do: { trade: { symbol: BTCUSDT, price: "50000", qty: "0.001", side: Buy } } }`,
  );
  await advance(5000);
  const trades = (await getPublic(ex!, '/v5/market/recent-trade?category=linear&symbol=BTCUSDT&limit=50'))
    .body.result.list as Json[];
  // The first firing is at 0 (no `at`), then every second: 0..5 s.
  expect(trades.filter((t) => Number(t.time) >= T0).map((t) => Number(t.time) - T0)).toEqual([
    5000, 4000, 3000, 2000, 1000, 0,
  ]);
});

test('POST /__admin/reset re-arms the timeline from the start', async () => {
  await boot(
    `  - id: add
    at: 1s
    do: { addRule: { id: busy, on: order.create, action: { fail: { retCode: 10006, retMsg: "busy" } } } }
  - { at: 2s, do: { balance: { account: main, coin: USDT, walletBalance: "777" } } }
  - { at: 1s, every: 1s, count: 2, do: { trade: { symbol: BTCUSDT, price: "50000", qty: "0.002", side: Buy } } }`,
  );
  const runs = async () => {
    const codes: number[] = [];
    const balances: string[] = [];
    for (let i = 0; i < 3; i++) {
      codes.push((await postSigned(ex!, '/v5/order/create', BUY)).body.retCode);
      balances.push(await walletUsdt());
      await advance(1000);
    }
    const trades = (await getPublic(ex!, '/v5/market/recent-trade?category=linear&symbol=BTCUSDT&limit=50'))
      .body.result.list as Json[];
    // Trades before the start are the simulated history; the run's own are the timeline's.
    return { codes, balances, prints: trades.filter((t) => Number(t.time) >= T0).map((t) => t.size) };
  };
  const first = await runs();
  expect(first).toEqual({
    codes: [0, 10006, 10006],
    balances: ['10000', '10000', '777'],
    prints: ['0.002', '0.002'],
  });
  await advance(10_000);
  await admin('POST', '/reset');
  expect(await elapsed()).toBe(0);
  expect(await walletUsdt()).toBe('10000');
  expect((await admin('GET', '/rules')).rules).toEqual([]);
  expect(await runs()).toEqual(first);
});

describe('validate: bad timeline entries, each named at its line', () => {
  const base = `version: 1
instruments:
  - { symbol: BTCUSDT, category: linear, baseCoin: BTC, quoteCoin: USDT, tickSize: "0.1", qtyStep: "0.001", minOrderQty: "0.001", maxOrderQty: "100", minNotional: "5" }
market:
  BTCUSDT: { price: "50000" }
accounts:
  - { name: main, apiKey: k, apiSecret: s }
timeline:
`;
  const problemsOf = (timeline: string) => {
    const r = parseScenario(base + timeline, 'tl.yaml');
    expect(r.ok).toBe(false);
    if (r.ok) return [];
    return r.problems.map((p) => ({ line: p.line, path: p.path, message: p.message }));
  };
  const first = 9; // the line of the first entry

  test('a valid timeline has no problems', () => {
    const r = parseScenario(
      `${base}  - { id: a, at: 1s, do: { price: { symbol: BTCUSDT, price: "49000", over: 5s } } }
  - { after: a, every: 250ms, count: 4, do: { disconnect: { stream: private, code: 4000, mode: close } } }
  - { at: 1000, do: { addRule: { on: order.create, times: 1, action: { fail: { retCode: 10006, retMsg: x } } } } }
  - { do: { removeRule: rule-1 } }
  - { at: 1s, do: { position: { account: main, symbol: BTCUSDT, side: Buy, size: "0.01" } } }
`,
      'ok.yaml',
    );
    expect(r.ok ? [] : r.problems).toEqual([]);
  });

  test('each mistake is reported at its entry’s line with a message that names it', () => {
    const problems = problemsOf(`  - { at: 5x, do: { pause: true } }
  - { at: 1s, after: later, do: { resume: true } }
  - { id: later, at: 1s, do: { price: { symbol: BTCUSDT } } }
  - { at: 1s, count: 3, do: { pause: true } }
  - { at: 1s, do: { pause: true, resume: true } }
  - { at: 1s, do: { disconnect: { code: 1006, mode: kill } } }
  - { at: 1s, do: { addRule: { on: order.create, action: {} } } }
  - { id: later, at: 1s, do: { removeRule: "" } }
  - { at: 1s, do: { trade: { symbol: BTCUSDT, price: "1", qty: "1", side: buy } } }
  - { at: 1s, every: 0ms, do: { pause: true } }
  - { at: 1s, when: 2s, do: { pause: true } }
  - { at: 1s }
`);
    const at = (i: number) => problems.filter((p) => p.line === first + i).map((p) => p.message);
    expect(at(0)).toEqual([expect.stringMatching(/at must be a duration/)]);
    expect(at(1)).toEqual([expect.stringMatching(/after "later" does not name an earlier entry's id/)]);
    expect(at(2)).toEqual([expect.stringMatching(/do\.price\.price must be a decimal string/)]);
    expect(at(3)).toEqual([expect.stringMatching(/count goes with every/)]);
    expect(at(4)).toEqual([expect.stringMatching(/do must hold exactly one of .* got pause, resume/)]);
    expect(at(5)).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/do\.disconnect\.mode must be close or terminate/),
        expect.stringMatching(/do\.disconnect\.code must be 1000/),
      ]),
    );
    expect(at(6)).toEqual([expect.stringMatching(/do\.addRule: action is empty/)]);
    expect(at(7)).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/do\.removeRule must be a rule id/),
        expect.stringMatching(/duplicate timeline id "later"/),
      ]),
    );
    expect(at(8)).toEqual([expect.stringMatching(/do\.trade\.side must be Buy or Sell/)]);
    expect(at(9)).toEqual([expect.stringMatching(/every must be a duration of at least 1 ms/)]);
    expect(at(10)).toEqual([expect.stringMatching(/unknown key "when"/)]);
    expect(at(11)).toEqual([expect.stringMatching(/do is required/)]);
    for (const p of problems) expect(p.path).toMatch(/^timeline\[\d+\]/);
    expect(problems.every((p) => p.line >= first && p.line <= first + 11)).toBe(true);
  });

  test('misspelt keys inside an action and zero prices or quantities are problems', () => {
    const problems = problemsOf(`  - { at: 1s, do: { price: { symbol: BTCUSDT, price: "49000", ovr: 5s } } }
  - { at: 1s, do: { price: { symbol: BTCUSDT, price: "0" } } }
  - { at: 1s, do: { trade: { symbol: BTCUSDT, price: "50000", qty: "0", side: Buy } } }
  - { at: 1s, do: { disconnect: { stream: privte } } }
  - { at: 1s, do: { balance: { account: main, coin: USDT, walletBalance: "5", locked: "1" } } }
`);
    const at = (i: number) => problems.filter((p) => p.line === first + i).map((p) => p.message);
    expect(at(0)).toEqual([expect.stringMatching(/do\.price: unknown key "ovr"/)]);
    expect(at(1)).toEqual([expect.stringMatching(/do\.price\.price must be a decimal string > 0/)]);
    expect(at(2)).toEqual([expect.stringMatching(/do\.trade\.qty must be a decimal string > 0/)]);
    expect(at(3)).toEqual([expect.stringMatching(/do\.disconnect\.stream must be one of/)]);
    expect(at(4)).toEqual([expect.stringMatching(/do\.balance: unknown key "locked"/)]);
  });
});

test('volatility: a still market starts walking when the timeline raises its volatility', async () => {
  await boot('  - { at: 3s, do: { volatility: { symbol: BTCUSDT, value: 2 } } }');
  // The book sits around the fair price: with no volatility its best bid stays put.
  const still = (await prices()).bid;
  await advance(2999);
  expect((await prices()).bid).toBe(still);
  await advance(1);
  await advance(10_000);
  expect((await prices()).bid).not.toBe(still);
});
