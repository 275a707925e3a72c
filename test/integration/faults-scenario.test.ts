/**
 * Faults, network settings and clock skew from the scenario file: the `faults:`, `network:` and
 * `clock.skewMs` keys live from the start and restored by resets, the loader's problems at their
 * lines (also through `bybit-mock validate`), and the timeline's addFault / removeFault / network
 * / skew actions firing on a manual clock.
 * @see src/config/scenario/load.ts, src/core/timeline/timeline.ts, src/core/exchange.ts
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterEach, describe, expect, test } from 'vitest';
import { parseScenario } from '../../src/config/scenario/load.js';
import type { ManualClock } from '../../src/core/clock.js';
import type { RunningExchange } from '../../src/runtime/start-exchange.js';
import {
  adminRequest,
  MANUAL_CLOCK_START as T0,
  getPublic,
  manualScenarioYaml,
  startTestExchange,
} from '../support/server.js';
import { WsClient, type Json } from '../support/ws.js';

let ex: RunningExchange | undefined;

afterEach(async () => {
  await ex?.close();
  ex = undefined;
});

/** The manual-clock test scenario with `clock` extras and top-level sections appended. */
function scenario(sections: string, clockExtra = ''): string {
  const yaml = manualScenarioYaml(sections);
  return clockExtra === '' ? yaml : yaml.replace(`start: ${T0}`, `start: ${T0}\n  ${clockExtra}`);
}

async function boot(sections: string, clockExtra = ''): Promise<RunningExchange> {
  ex = await startTestExchange({
    scenario: { yaml: scenario(sections, clockExtra), name: 'faults-scenario' },
  });
  return ex;
}

async function admin(method: string, path: string, body?: unknown): Promise<Json> {
  const r = await adminRequest(ex!, method, path, body);
  expect(r.status, `${method} ${path}`).toBe(200);
  return r.body;
}

const advance = (ms: number) => (ex!.clock as ManualClock).advance(ms);
const faults = async () => (await admin('GET', '/faults')).faults as Json[];
const settle = () => new Promise((r) => setTimeout(r, 50));

async function subscribed(path: string, topics: string[]): Promise<WsClient> {
  const c = await WsClient.open(ex!, path);
  const ack = await c.request({ op: 'subscribe', req_id: 's', args: topics }, (f) => f.op === 'subscribe');
  expect(ack.success, JSON.stringify(ack)).toBe(true);
  return c;
}

/** Whether a JSON ping on `c` is answered: the ack of a later unsubscribe is the barrier. */
async function pingAnswered(c: WsClient, id: string): Promise<boolean> {
  c.send({ op: 'ping', req_id: `ping-${id}` });
  await c.request(
    { op: 'unsubscribe', req_id: `u-${id}`, args: ['kline.1.BTCUSDT'] },
    (f) => f.req_id === `u-${id}`,
  );
  return c.frames.some((f) => f.req_id === `ping-${id}`);
}

// ---- scenario keys ----------------------------------------------------------------------------------

const FAULTS = `faults:
  - { id: no-pong, op: ping, stream: linear, times: 1, effect: { drop: true } }
  - { id: slow-time, path: /v5/market/time, times: 1, effect: { latencyMs: 500 } }
  - { id: book-gap, topic: orderbook.50.BTCUSDT, times: 1, effect: { gap: true } }
  - { topic: "tickers.*", stream: /v5/public/spot, for: 5s, effect: { drop: true } }
`;

describe('scenario keys', () => {
  test('faults: and clock.skewMs are live from the start and listed with source "scenario"', async () => {
    await boot(FAULTS, 'skewMs: 30000');
    const list = await faults();
    expect(list.map((f) => [f.id, f.transport, f.source])).toEqual([
      ['no-pong', 'ws', 'scenario'],
      ['slow-time', 'rest', 'scenario'],
      ['book-gap', 'ws', 'scenario'],
      ['fault-1', 'ws', 'scenario'],
    ]);
    expect(list[3]).toMatchObject({
      stream: '/v5/public/spot',
      topic: 'tickers.*',
      until: T0 + 5000,
      remaining: null,
    });
    expect(await admin('GET', '/clock')).toMatchObject({ now: T0, skewMs: 30_000, serverTime: T0 + 30_000 });

    // op ping, once.
    const linear = await subscribed('/v5/public/linear', ['orderbook.50.BTCUSDT']);
    expect(await pingAnswered(linear, 'a')).toBe(false);
    expect(await pingAnswered(linear, 'b')).toBe(true);
    // The gap: u jumps by 2 once.
    for (let i = 0; i < 3; i++) advance(1000);
    await linear.sync();
    const u = linear.frames.filter((f) => f.topic === 'orderbook.50.BTCUSDT').map((f) => f.data.u as number);
    expect(u.slice(1).map((x, i) => x - u[i]!)).toEqual([2, ...Array<number>(u.length - 2).fill(1)]);
    // Spot tickers dropped until 5 s after the start.
    const spot = await subscribed('/v5/public/spot', ['tickers.BTCUSDT']);
    advance(1000);
    expect((await spot.sync()).filter((f) => f.topic)).toEqual([]);
    advance(1000);
    expect((await spot.sync()).filter((f) => f.topic).length).toBeGreaterThan(0);
    // The REST latency fault (once), with the skewed server time in the answer.
    let done = false;
    const slow = getPublic(ex!, '/v5/market/time').then((r) => {
      done = true;
      return r;
    });
    await settle();
    expect(done).toBe(false);
    advance(500);
    expect((await slow).body.time).toBe(T0 + 5500 + 30_000);
    expect((await getPublic(ex!, '/v5/market/time')).body.time).toBe(T0 + 5500 + 30_000);
  });

  test('POST /faults/reset and POST /reset bring back the scenario faults, network and skew as new', async () => {
    await boot(`${FAULTS}network: { latencyMs: 0, dropRate: 0.5 }\n`, 'skewMs: -2000');
    const linear = await WsClient.open(ex!, '/v5/public/linear');
    expect(await pingAnswered(linear, 'a')).toBe(false);
    expect((await faults())[0]).toMatchObject({ id: 'no-pong', hits: 1, remaining: 0 });
    await admin('POST', '/faults', { id: 'extra', stream: 'spot', effect: { mute: true } });
    await admin('DELETE', '/faults/book-gap');
    await admin('PUT', '/network', { latencyMs: 40 });
    await admin('PUT', '/clock/skew', { skewMs: 0 });

    const reset = (await admin('POST', '/faults/reset')).faults as Json[];
    expect(reset.map((f) => f.id)).toEqual(['no-pong', 'slow-time', 'book-gap', 'fault-1']);
    expect(reset[0]).toMatchObject({ hits: 0, remaining: 1 });
    expect(await admin('GET', '/network')).toEqual({
      network: { latencyMs: 0, jitterMs: 0, errorRate: 0, dropRate: 0.5 },
    });
    expect((await admin('GET', '/clock')).skewMs).toBe(-2000);
    // The restored fault works again.
    expect(await pingAnswered(linear, 'b')).toBe(false);
    expect(await pingAnswered(linear, 'c')).toBe(true);

    await admin('POST', '/faults', { id: 'extra', stream: 'spot', effect: { mute: true } });
    await admin('PUT', '/clock/skew', { skewMs: 0 });
    await admin('POST', '/reset');
    expect((await faults()).map((f) => [f.id, f.hits])).toEqual([
      ['no-pong', 0],
      ['slow-time', 0],
      ['book-gap', 0],
      ['fault-1', 0],
    ]);
    expect((await admin('GET', '/clock')).skewMs).toBe(-2000);
  });

  test('a generated id never takes one a scenario fault names', async () => {
    await boot(`faults:
  - { op: ping, effect: { drop: true } }
  - { id: fault-1, op: auth, effect: { drop: true } }
`);
    const ids = (await faults()).map((f) => f.id);
    expect(ids).toEqual(['fault-2', 'fault-1']);
    await admin('POST', '/faults', { stream: 'spot', effect: { drop: true } });
    expect((await faults()).map((f) => f.id)).toEqual(['fault-3', 'fault-2', 'fault-1']);
    expect(await admin('DELETE', '/faults/fault-1')).toEqual({ removed: 'fault-1' });
    expect((await faults()).map((f) => f.id)).toEqual(['fault-3', 'fault-2']);
  });

  test('network: delays REST and WebSocket from the start', async () => {
    await boot('network: { latencyMs: 300 }\n');
    expect(await admin('GET', '/network')).toEqual({
      network: { latencyMs: 300, jitterMs: 0, errorRate: 0, dropRate: 0 },
    });
    let done = false;
    const pending = getPublic(ex!, '/v5/market/time').then((r) => {
      done = true;
      return r;
    });
    await settle();
    advance(299);
    await settle();
    expect(done).toBe(false);
    advance(1);
    expect((await pending).body.time).toBe(T0 + 300);

    const c = await WsClient.open(ex!, '/v5/public/linear');
    c.send({ op: 'ping', req_id: 'p' });
    await settle();
    expect(c.frames).toEqual([]);
    advance(300);
    expect(await c.next((f) => f.req_id === 'p')).toMatchObject({ ret_msg: 'pong' });
  });
});

// ---- loader problems --------------------------------------------------------------------------------

describe('loader problems', () => {
  const problemsOf = (yaml: string) => {
    const r = parseScenario(yaml, 'f.yaml');
    return r.ok ? [] : r.problems.map((p) => ({ line: p.line, path: p.path, message: p.message }));
  };
  /** The line of the first line of `sections` in the scenario. */
  const firstLine = scenario('#mark\n').split('\n').indexOf('#mark') + 1;

  test('valid fault, network and skew keys have no problems', () => {
    const r = parseScenario(
      scenario(
        `${FAULTS}network: { latencyMs: 20, jitterMs: 10, errorRate: 0.01, dropRate: 0.01 }
timeline:
  - { at: 1s, do: { addFault: { id: a, op: auth, for: 10s, effect: { error: { retCode: 10004, retMsg: x } } } } }
  - { at: 2s, do: { removeFault: a } }
  - { at: 3s, do: { network: { latencyMs: 5 } } }
  - { at: 4s, do: { network: null } }
  - { at: 5s, do: { skew: -30000 } }
`,
        'skewMs: 86400000',
      ),
      'ok.yaml',
    );
    expect(r.ok ? [] : r.problems).toEqual([]);
  });

  test('each bad fault is reported at its line, with the admin API messages', () => {
    const problems = problemsOf(
      scenario(`faults:
  - { id: ok, op: ping, effect: { drop: true } }
  - { topic: "tickers.*", op: ping, effect: { drop: true } }
  - { stream: linear, effect: { gap: true, drop: true } }
  - { id: ok, stream: spot, effect: { refuse: { httpStatus: 302 } } }
  - { path: /v5/order/create, effect: { latencyMs: 100 }, for: later }
  - effect: { mute: true }
    times: 0
  - 42
`),
    );
    const L = firstLine;
    expect(problems).toEqual([
      {
        line: L + 2,
        path: 'faults[1]',
        message: 'fault: a fault targets a topic (frames out) or an op (requests in), not both',
      },
      { line: L + 3, path: 'faults[2]', message: 'fault: a WebSocket fault has one effect (got gap, drop)' },
      { line: L + 4, path: 'faults[3]', message: 'fault: effect.refuse must be {httpStatus?: 400-599}' },
      { line: L + 4, path: 'faults[3].id', message: 'duplicate fault id "ok", already used by faults[0]' },
      { line: L + 5, path: 'faults[4]', message: 'fault: for must be a duration such as "30s", got "later"' },
      { line: L + 6, path: 'faults[5]', message: 'fault: times must be a whole number >= 1' },
      { line: L + 8, path: 'faults[6]', message: 'fault: a fault must be an object' },
    ]);
  });

  test('network: and clock.skewMs problems', () => {
    const L = firstLine;
    expect(problemsOf(scenario('network: { latencyMs: -5, loss: 0.1 }\n'))).toEqual([
      {
        line: L,
        path: 'network.loss',
        message: 'network: unknown key "loss" (network takes latencyMs, jitterMs, errorRate, dropRate)',
      },
      { line: L, path: 'network.latencyMs', message: 'network: latencyMs must be ms from 0 to 600000' },
    ]);
    // Line 7: the skewMs line under clock.
    expect(problemsOf(scenario('', 'skewMs: 86400001'))).toEqual([
      {
        line: 7,
        path: 'clock.skewMs',
        message: 'expected an integer from -86400000 to 86400000, got 86400001',
      },
    ]);
    expect(problemsOf(scenario('', 'skewMs: 1.5'))).toEqual([
      { line: 7, path: 'clock.skewMs', message: 'expected an integer from -86400000 to 86400000, got 1.5' },
    ]);
    expect(problemsOf(scenario('faults: { id: x }\n'))).toEqual([
      { line: L, path: 'faults', message: 'expected a list, got a map' },
    ]);
  });

  test('timeline fault, network and skew actions are checked at their entry', () => {
    const L = firstLine + 1;
    const problems = problemsOf(
      scenario(`timeline:
  - { at: 1s, do: { addFault: { op: ping, effect: { drop: true } } } }
  - { at: 1s, do: { addFault: { id: x, topic: "tickers.*", effect: { gap: true } } } }
  - { at: 1s, do: { removeFault: "" } }
  - { at: 1s, do: { network: { latencyMs: 1.5 } } }
  - { at: 1s, do: { skew: "30s" } }
  - { at: 1s, do: { addFault: { id: y, stream: linear, for: soon, effect: { mute: true } } } }
`),
    );
    expect(problems.map((p) => [p.line, p.path, p.message])).toEqual([
      [
        L,
        'timeline[0]',
        'timeline: do.addFault.id is required (removeFault names it; a repeat does not add it twice)',
      ],
      [L + 1, 'timeline[1]', 'timeline: do.addFault: gap and staleSnapshot apply to orderbook topics'],
      [L + 2, 'timeline[2]', 'timeline: do.removeFault must be a fault id'],
      [L + 3, 'timeline[3]', 'timeline: do.network: latencyMs must be ms from 0 to 600000'],
      [
        L + 4,
        'timeline[4]',
        'timeline: do.skew: skewMs must be a whole number of ms from -86400000 to 86400000',
      ],
      [L + 5, 'timeline[5]', 'timeline: do.addFault: for must be a duration such as "30s", got "soon"'],
    ]);
  });

  test('bybit-mock validate names a bad fault at file:line:col and exits 1', () => {
    const dir = mkdtempSync(join(tmpdir(), 'bybit-mock-faults-'));
    const file = join(dir, 'faults.yaml');
    writeFileSync(file, scenario('faults:\n  - { op: auth, effect: { gap: true } }\n'));
    const bin = join(resolve(import.meta.dirname, '../..'), 'bin', 'bybit-mock.js');
    const r = spawnSync(process.execPath, [bin, 'validate', file], { encoding: 'utf8' });
    expect(r.status).toBe(1);
    expect(r.stderr).toContain(
      `${file}:${firstLine + 1}:5  faults[0]  fault: effect.gap changes frames pushed to the client: target a topic or stream, not an op`,
    );
  });
});

// ---- timeline ---------------------------------------------------------------------------------------

describe('timeline', () => {
  const TIMELINE = `timeline:
  - { at: 1500ms, do: { addFault: { id: tick-drop, topic: "tickers.*", effect: { drop: true } } } }
  - { at: 3500ms, do: { removeFault: tick-drop } }
  - { at: 1500ms, do: { addFault: { id: window, topic: "orderbook.*", for: 2s, effect: { drop: true } } } }
  - { at: 4500ms, do: { network: { latencyMs: 1000 } } }
  - { at: 6500ms, do: { network: null } }
  - { at: 7500ms, do: { skew: 45000 } }
`;

  test('addFault, removeFault (and for), network and skew fire at their time and not before', async () => {
    await boot(TIMELINE);
    const c = await subscribed('/v5/public/linear', ['tickers.BTCUSDT', 'orderbook.50.BTCUSDT']);
    const tickerAt = async () => {
      const frames = await c.sync();
      return {
        tickers: frames.filter((f) => f.topic === 'tickers.BTCUSDT').length,
        book: frames.filter((f) => f.topic === 'orderbook.50.BTCUSDT').length,
      };
    };
    await c.sync();
    advance(1000); // 1 s: nothing yet
    expect(await tickerAt()).toMatchObject({ tickers: 1 });
    expect(await faults()).toEqual([]);
    advance(1000); // 2 s: both faults added at 1.5 s
    expect(await tickerAt()).toEqual({ tickers: 0, book: 0 });
    const added = await faults();
    expect(added.map((f) => [f.id, f.source])).toEqual([
      ['window', 'timeline'],
      ['tick-drop', 'timeline'],
    ]);
    expect(added[0].until).toBe(T0 + 3500);
    advance(1000); // 3 s
    expect(await tickerAt()).toEqual({ tickers: 0, book: 0 });
    advance(1000); // 4 s: tick-drop removed and window over at 3.5 s
    const after = await tickerAt();
    expect(after.tickers).toBe(1);
    expect(after.book).toBeGreaterThanOrEqual(1);
    expect((await faults()).map((f) => f.id)).toEqual(['window']);

    advance(1000); // 5 s: latency 1 s since 4.5 s
    expect(await admin('GET', '/network')).toEqual({
      network: { latencyMs: 1000, jitterMs: 0, errorRate: 0, dropRate: 0 },
    });
    // The pong of the sync is delayed too: let the clock run while it waits.
    const synced = c.sync();
    await settle();
    advance(1000); // 6 s
    await synced;
    advance(1000); // 7 s: network cleared at 6.5 s
    expect(await admin('GET', '/network')).toEqual({ network: null });
    await c.sync();
    expect((await admin('GET', '/clock')).skewMs).toBe(0);
    advance(1000); // 8 s: skew since 7.5 s
    expect(await admin('GET', '/clock')).toMatchObject({ skewMs: 45_000, serverTime: T0 + 8000 + 45_000 });
    expect((await getPublic(ex!, '/v5/market/time')).body.time).toBe(T0 + 8000 + 45_000);

    // A reset starts the timeline over: nothing has fired yet.
    await admin('POST', '/reset');
    expect(await faults()).toEqual([]);
    expect(await admin('GET', '/network')).toEqual({ network: null });
    expect((await admin('GET', '/clock')).skewMs).toBe(0);
    advance(1500);
    expect((await faults()).map((f) => f.id)).toEqual(['window', 'tick-drop']);
  });

  test('a repeated addFault re-arms a spent fault but never adds a live one twice', async () => {
    await boot(`timeline:
  - { at: 500ms, every: 10s, count: 3, do: { addFault: { id: blip, op: ping, times: 1, effect: { drop: true } } } }
  - { at: 600ms, every: 1s, count: 2, do: { addFault: { id: steady, stream: spot, effect: { drop: true } } } }
  - { at: 700ms, every: 5s, count: 2, do: { addFault: { id: outage, path: "*", for: 1s, effect: { error: { retCode: 10016, retMsg: down } } } } }
`);
    const c = await WsClient.open(ex!, '/v5/public/linear');
    advance(1000);
    expect(await pingAnswered(c, 'a')).toBe(false);
    expect(await pingAnswered(c, 'b')).toBe(true);
    expect((await faults()).filter((f) => f.id === 'steady')).toHaveLength(1);
    // A `for` fault is over after its second, and is added afresh by the next firing at 5.7 s.
    expect((await faults()).find((f) => f.id === 'outage').until).toBe(T0 + 1700);
    expect((await getPublic(ex!, '/v5/market/time')).body.retCode).toBe(10016);
    advance(1000);
    expect((await getPublic(ex!, '/v5/market/time')).body.retCode).toBe(0);
    advance(4000);
    expect((await faults()).find((f) => f.id === 'outage')).toMatchObject({ until: T0 + 6700, hits: 0 });
    expect((await getPublic(ex!, '/v5/market/time')).body.retCode).toBe(10016);
    advance(4500); // the second firing of blip at 10.5 s
    expect(await pingAnswered(c, 'c')).toBe(false);
    expect(await pingAnswered(c, 'd')).toBe(true);
    advance(10_000); // and the third at 20.5 s
    expect(await pingAnswered(c, 'e')).toBe(false);
    expect((await faults()).map((f) => f.id).sort()).toEqual(['blip', 'outage', 'steady']);
  });
});
