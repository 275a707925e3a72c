// Scenarios 1, 2 and 7: REST throughput of the daemon against an Express app answering the same
// bytes at the same routes (and, for reference, Mockoon CLI serving one static route).
import { readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import autocannon from 'autocannon';
import WebSocket from 'ws';
import { startMockoon } from './mockoon.mjs';
import {
  ROOT,
  cpuMicros,
  http,
  percentile,
  rawConnection,
  signedHeaders,
  sleep,
  startProcess,
  summary,
  wsAuthArgs,
} from './lib.mjs';

export const KEY = 'bench-key';
export const SECRET = 'bench-secret';
export const REST_SCENARIO = 'bench/scenarios/rest.yaml';
const LISTENING = /listening: REST (http:\/\/[0-9.:]+)/;

export const TICKERS_PATH = '/v5/market/tickers?category=linear&symbol=BTCUSDT';
export const ORDERBOOK_PATH = '/v5/market/orderbook?category=linear&symbol=BTCUSDT&limit=200';
const CREATE_PATH = '/v5/order/create';
/** Scenario 1's reference latency rate (orders/s), fixed so that it does not move with the machine. */
const MODERATE_RATE = 1000;

/** Alternating market buys and sells of the minimum size: every order fills, the position stays small. */
const ORDER_BODIES = ['Buy', 'Sell'].map((side) =>
  JSON.stringify({ category: 'linear', symbol: 'BTCUSDT', side, orderType: 'Market', qty: '0.001' }),
);

/**
 * The daemon as users run it: the CLI's `serve`, default log level (info, JSON lines to a file).
 * BENCH_DAEMON_NODE_ARGS adds Node flags, e.g. "--cpu-prof --cpu-prof-dir=bench/results/profiles".
 */
export async function startDaemon(scenario = REST_SCENARIO, extraArgs = []) {
  const nodeArgs = (process.env.BENCH_DAEMON_NODE_ARGS ?? '').split(' ').filter(Boolean);
  const p = await startProcess(
    'daemon',
    [
      ...nodeArgs,
      'bin/bybit-mock.js',
      'serve',
      '--scenario',
      scenario,
      '--host',
      '127.0.0.1',
      '--port',
      '0',
      ...extraArgs,
    ],
    { ready: LISTENING },
  );
  return { ...p, url: p.match[1] };
}

export async function startExpressBaseline(bodies, { ws = false } = {}) {
  const file = join(tmpdir(), `bybit-mock-bench-bodies-${process.pid}.json`);
  writeFileSync(file, JSON.stringify(bodies));
  const p = await startProcess(
    'express',
    ['bench/servers/express-baseline.mjs', file, ...(ws ? ['--ws'] : [])],
    {
      ready: /listening (http:\/\/[0-9.:]+)/,
    },
  );
  return { ...p, url: p.match[1] };
}

/** A signed order create; resolves the parsed envelope. */
export async function createOrder(url, body, agent) {
  const r = await http('POST', url + CREATE_PATH, { body, headers: signedHeaders(KEY, SECRET, body), agent });
  return r.json;
}

/** The daemon's real answers, for the baseline to send byte-identical bodies. */
export async function captureBodies(url) {
  const create = await createOrder(url, ORDER_BODIES[0]);
  if (create?.retCode !== 0) throw new Error(`order create refused: ${JSON.stringify(create)}`);
  await createOrder(url, ORDER_BODIES[1]);
  const tickers = (await http('GET', url + TICKERS_PATH)).json;
  const orderbook = (await http('GET', url + ORDERBOOK_PATH)).json;
  if (tickers?.retCode !== 0 || orderbook?.retCode !== 0) throw new Error('market data refused');
  return { create, tickers, orderbook };
}

/** An authenticated /v5/private client subscribed to `topics`; counts frames per topic. */
export async function privateClient(wsBase, topics) {
  const ws = new WebSocket(`${wsBase}/v5/private`, { perMessageDeflate: false });
  const counts = new Map();
  const waiters = [];
  // The load generator shares the machine with the server it measures, so it stays cheap: the
  // topic is read from the frame's first bytes, and the whole frame is decoded only while
  // somebody waits for one (auth, subscribe, the latency probe).
  ws.on('message', (data) => {
    const m = /"topic":"([a-z.]+)"/.exec(data.toString('latin1', 0, 96));
    const topic = m ? m[1] : 'reply';
    counts.set(topic, (counts.get(topic) ?? 0) + 1);
    if (waiters.length === 0) return;
    const text = String(data);
    for (const w of [...waiters]) w(text, topic);
  });
  await new Promise((resolve, reject) => {
    ws.once('open', resolve);
    ws.once('error', reject);
  });
  const reply = (op) =>
    new Promise((resolve) => {
      const w = (text) => {
        if (text.includes(`"op":"${op}"`)) {
          waiters.splice(waiters.indexOf(w), 1);
          resolve(JSON.parse(text));
        }
      };
      waiters.push(w);
    });
  const authed = reply('auth');
  ws.send(JSON.stringify({ op: 'auth', args: wsAuthArgs(KEY, SECRET) }));
  const a = await authed;
  if (a.success !== true) throw new Error(`private auth failed: ${JSON.stringify(a)}`);
  const subscribed = reply('subscribe');
  ws.send(JSON.stringify({ op: 'subscribe', args: topics }));
  const s = await subscribed;
  if (s.success !== true) throw new Error(`private subscribe failed: ${JSON.stringify(s)}`);
  return {
    ws,
    counts,
    onFrame(fn) {
      waiters.push(fn);
      return () => waiters.splice(waiters.indexOf(fn), 1);
    },
    close: () => ws.close(),
  };
}

/** One autocannon run; returns requests/s, latency percentiles (ms) and failure counts. */
export async function cannon(url, o) {
  const r = await autocannon({
    url,
    connections: o.connections ?? 50,
    duration: o.duration,
    ...(o.overallRate ? { overallRate: o.overallRate } : {}),
    requests: o.requests,
    // Every answer must be a Bybit success (retCode 0), or the run does not count.
    verifyBody: (body) => body.startsWith('{"retCode":0,'),
  });
  return {
    rps: r.requests.average,
    total: r.requests.total,
    p50: r.latency.p50,
    p99: r.latency.p99,
    errors: r.errors + r.timeouts + r.non2xx + r.mismatches,
  };
}

/**
 * Open-loop load at a fixed rate over up to `connections` keep-alive connections: request k is
 * issued at start + k / rate whatever the answers before it (so a server that falls behind gets
 * a queue, as with real clients, instead of a slower sender). autocannon's own rate limit sends
 * each second's quota in one burst, which measures the burst, not the server. The connections
 * are bare sockets (rawConnection): node:http's client added its own pauses to the tail.
 */
export async function paced(url, { rate, seconds, connections = 50, path, method = 'GET', body }) {
  const pool = await Promise.all(Array.from({ length: connections }, () => rawConnection(url)));
  const send = (conn) => {
    const b = typeof body === 'function' ? body() : body;
    return conn.request(method, path, b, b === undefined ? {} : signedHeaders(KEY, SECRET, b));
  };
  await Promise.all(pool.map(send)); // one request each before the clock starts
  const n = Math.round(rate * seconds);
  const lat = [];
  const queued = []; // issue times of requests waiting for a free connection
  let errors = 0;
  let next = 0;
  let done = 0;
  let finish;
  const finished = new Promise((resolve) => (finish = resolve));
  // Latency counts from the moment a request is due (queueing for one of the connections
  // included); how late this loop's 1 ms timer fires is the load generator's jitter, not the
  // server's, so it is left out.
  const run = (conn, issued) => {
    send(conn).then(
      (r) => {
        if (r.status !== 200 || !r.text.startsWith('{"retCode":0,')) errors += 1;
        lat.push(performance.now() - issued);
        settle(conn);
      },
      () => {
        errors += 1;
        settle(conn);
      },
    );
  };
  const settle = (conn) => {
    if (queued.length > 0) run(conn, queued.shift());
    else pool.push(conn);
    if (++done === n) finish();
  };
  const start = performance.now() + 5;
  const fire = () => {
    const now = performance.now();
    while (next < n && start + (next * 1000) / rate <= now) {
      next += 1;
      const issued = performance.now();
      const conn = pool.pop();
      if (conn) run(conn, issued);
      else queued.push(issued);
    }
    if (next < n) setTimeout(fire, 1);
  };
  fire();
  await finished;
  for (const c of pool) c.close();
  return { rate, p50: percentile(lat, 50), p99: percentile(lat, 99), errors };
}

function orderRequests() {
  let n = 0;
  return [
    {
      method: 'POST',
      path: CREATE_PATH,
      setupRequest: (req) => {
        const body = ORDER_BODIES[n++ & 1];
        return { ...req, body, headers: signedHeaders(KEY, SECRET, body) };
      },
    },
  ];
}

/**
 * Runs `measure(target)` for each target in turn (A B A B ...), `repeats` rounds; returns the
 * results per target name.
 */
export async function alternate(targets, repeats, measure, log) {
  const out = Object.fromEntries(targets.map((t) => [t.name, []]));
  for (let i = 0; i < repeats; i++) {
    for (const t of targets) {
      const r = await measure(t, i);
      out[t.name].push(r);
      log?.(`  ${t.name} #${i + 1}: ${JSON.stringify(r)}`);
    }
  }
  return out;
}

function failures(runs) {
  return runs.reduce((n, r) => n + (r.errors ?? 0), 0);
}

/** Scenario 1: signed order create at 50 connections, private subscriber connected. */
export async function benchOrderCreate({ duration, repeats, log }) {
  const daemon = await startDaemon();
  let baseline;
  let sub;
  try {
    const bodies = await captureBodies(daemon.url);
    baseline = await startExpressBaseline(bodies);
    // The subscriber runs in its own process: the frames it takes cost the daemon, never the
    // process that times the requests.
    sub = await startProcess(
      'subscriber',
      [
        'bench/servers/private-subscriber.mjs',
        daemon.url.replace('http', 'ws'),
        'order,execution,position,wallet',
      ],
      { ready: /^ready$/m },
    );
    const targets = [
      { name: 'daemon', url: daemon.url, pid: daemon.child.pid, sub: true },
      { name: 'baseline', url: baseline.url, pid: baseline.child.pid },
    ];
    // Saturation (closed loop, 50 connections): requests per second, and the server's CPU time
    // per request over the same run.
    const sat = await alternate(
      targets,
      repeats,
      async (t) => {
        await cannon(t.url, { duration: 0.5, requests: orderRequests() });
        const cpu0 = cpuMicros(t.pid);
        const sub0 = t.sub ? cpuMicros(sub.child.pid) : undefined;
        const r = await cannon(t.url, { duration, requests: orderRequests() });
        const cpu1 = cpuMicros(t.pid);
        const sub1 = t.sub ? cpuMicros(sub.child.pid) : undefined;
        if (cpu0 === undefined || cpu1 === undefined) return r;
        const out = { ...r, cpuPerReq: (cpu1 - cpu0) / r.total };
        if (sub0 !== undefined && sub1 !== undefined) out.subscriberCpuPerReq = (sub1 - sub0) / r.total;
        return out;
      },
      log,
    );
    // Latency under load (open loop at half the daemon's saturated rate, 50 connections): at
    // saturation a closed loop's latency is only queueing (connections / throughput).
    const rate = Math.max(100, Math.round(summary(sat.daemon.map((r) => r.rps)).median / 2));
    let n = 0;
    // Each paced round also reports how busy the server was: its CPU time (all threads) per
    // second of the round, in cores. One order per event-loop turn costs far more than an order
    // in a saturated turn, so half the saturated rate can keep a server nearly fully busy.
    const pacedAt = (r, seconds) => async (t) => {
      const cpu0 = cpuMicros(t.pid);
      const t0 = performance.now();
      const out = await paced(t.url, {
        rate: r,
        seconds,
        method: 'POST',
        path: CREATE_PATH,
        body: () => ORDER_BODIES[n++ & 1],
      });
      const cpu1 = cpuMicros(t.pid);
      if (cpu0 === undefined || cpu1 === undefined) return out;
      return { ...out, cores: (cpu1 - cpu0) / ((performance.now() - t0) * 1000) };
    };
    const pacedRuns = await alternate(targets, repeats, pacedAt(rate, Math.max(2, duration - 1)), log);
    // For reference, the same at a fixed moderate rate (far above what one account may send to
    // Bybit, far below saturation), whatever the machine's speed.
    const moderateRuns = await alternate(targets, repeats, pacedAt(MODERATE_RATE, 2), log);
    await sub.stop();
    const counted = /^\{"counts".*$/m.exec(readFileSync(sub.logFile, 'utf8'));
    const frames = counted ? JSON.parse(counted[0]).counts : {};
    return {
      name: 'order-create',
      daemon: { rps: summary(sat.daemon.map((r) => r.rps)), satP99: summary(sat.daemon.map((r) => r.p99)) },
      baseline: {
        rps: summary(sat.baseline.map((r) => r.rps)),
        satP99: summary(sat.baseline.map((r) => r.p99)),
      },
      ratio: summary(sat.daemon.map((r, i) => r.rps / sat.baseline[i].rps)),
      cpuPerReq:
        sat.daemon[0]?.cpuPerReq === undefined
          ? undefined
          : {
              daemon: summary(sat.daemon.map((r) => r.cpuPerReq)),
              baseline: summary(sat.baseline.map((r) => r.cpuPerReq)),
              // The private subscriber's process, which shares the machine in the daemon's rounds.
              subscriber: summary(sat.daemon.map((r) => r.subscriberCpuPerReq ?? NaN)),
            },
      paced: {
        rate,
        daemonP50: summary(pacedRuns.daemon.map((r) => r.p50)),
        daemonP99: summary(pacedRuns.daemon.map((r) => r.p99)),
        baselineP99: summary(pacedRuns.baseline.map((r) => r.p99)),
        daemonCores: summary(pacedRuns.daemon.map((r) => r.cores ?? NaN)),
        baselineCores: summary(pacedRuns.baseline.map((r) => r.cores ?? NaN)),
      },
      moderate: {
        rate: MODERATE_RATE,
        daemonP50: summary(moderateRuns.daemon.map((r) => r.p50)),
        daemonP99: summary(moderateRuns.daemon.map((r) => r.p99)),
        baselineP50: summary(moderateRuns.baseline.map((r) => r.p50)),
        baselineP99: summary(moderateRuns.baseline.map((r) => r.p99)),
        daemonCores: summary(moderateRuns.daemon.map((r) => r.cores ?? NaN)),
        baselineCores: summary(moderateRuns.baseline.map((r) => r.cores ?? NaN)),
      },
      privateFrames: frames,
      failures: failures([
        ...sat.daemon,
        ...sat.baseline,
        ...pacedRuns.daemon,
        ...pacedRuns.baseline,
        ...moderateRuns.daemon,
        ...moderateRuns.baseline,
      ]),
    };
  } finally {
    await sub?.stop();
    await baseline?.stop();
    await daemon.stop();
  }
}

/** Scenario 2 (+7): public GETs, daemon vs the Express baseline (vs Mockoon, for reference). */
export async function benchMarketData({ duration, repeats, log, mockoon }) {
  const daemon = await startDaemon();
  let baseline;
  let mock;
  try {
    const bodies = await captureBodies(daemon.url);
    baseline = await startExpressBaseline(bodies);
    mock = mockoon ? await startMockoon(bodies.tickers, log) : { skipped: 'skipped (--no-mockoon)' };
    const results = {};
    for (const [name, path] of [
      ['tickers', TICKERS_PATH],
      ['orderbook', ORDERBOOK_PATH],
    ]) {
      const targets = [
        { name: 'daemon', url: daemon.url },
        { name: 'baseline', url: baseline.url },
      ];
      if (name === 'tickers' && mock.url) targets.push({ name: 'mockoon', url: mock.url });
      const runs = await alternate(
        targets,
        repeats,
        async (t) => {
          const requests = [{ method: 'GET', path }];
          await cannon(t.url, { duration: 0.5, requests });
          return cannon(t.url, { duration, requests });
        },
        log,
      );
      results[name] = {
        name,
        path,
        daemon: { rps: summary(runs.daemon.map((r) => r.rps)), p99: summary(runs.daemon.map((r) => r.p99)) },
        baseline: {
          rps: summary(runs.baseline.map((r) => r.rps)),
          p99: summary(runs.baseline.map((r) => r.p99)),
        },
        ratio: summary(runs.daemon.map((r, i) => r.rps / runs.baseline[i].rps)),
        failures: failures([...runs.daemon, ...runs.baseline]),
      };
      if (runs.mockoon) {
        results.mockoon = {
          name: 'mockoon',
          path,
          version: mock.version,
          rps: summary(runs.mockoon.map((r) => r.rps)),
          p99: summary(runs.mockoon.map((r) => r.p99)),
          ratioToBaseline: summary(runs.mockoon.map((r, i) => r.rps / runs.baseline[i].rps)),
          daemonRatio: summary(runs.daemon.map((r, i) => r.rps / runs.mockoon[i].rps)),
          failures: failures(runs.mockoon),
        };
      }
    }
    if (!results.mockoon) results.mockoon = { name: 'mockoon', skipped: mock.skipped ?? 'not available' };
    return results;
  } finally {
    await mock?.stop?.();
    await baseline?.stop();
    await daemon.stop();
  }
}

export { ORDER_BODIES, ROOT, sleep };
