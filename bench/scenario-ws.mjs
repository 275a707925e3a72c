// Scenarios 3 and 4: WebSocket fan-out of public market data, and the latency from an order
// create to the execution frame on the private stream.
import { Agent } from 'node:http';
import WebSocket from 'ws';
import {
  KEY,
  ORDER_BODIES,
  SECRET,
  alternate,
  captureBodies,
  privateClient,
  startDaemon,
  startExpressBaseline,
} from './scenario-rest.mjs';
import { http, percentile, rawConnection, signedHeaders, sleep, startProcess, summary } from './lib.mjs';

const CLIENTS = 100;
const TOPICS = ['orderbook.50.BTCUSDT', 'publicTrade.BTCUSDT'];

/** `n` public clients subscribed to TOPICS; each counts the frames and bytes it receives. */
async function connectClients(url, n) {
  const clients = [];
  for (let i = 0; i < n; i++) {
    const ws = new WebSocket(url, { perMessageDeflate: false });
    const c = { ws, frames: 0, bytes: 0, acked: false, sample: undefined };
    ws.on('message', (data) => {
      if (!c.acked) {
        const m = JSON.parse(String(data));
        if (m.op === 'subscribe') {
          if (m.success !== true) throw new Error(`subscribe failed: ${String(data)}`);
          c.acked = true;
          return;
        }
      }
      c.frames += 1;
      c.bytes += data.length;
      if (c.sample === undefined && i === 0) c.sample = String(data);
    });
    await new Promise((resolve, reject) => {
      ws.once('open', resolve);
      ws.once('error', reject);
    });
    ws.send(JSON.stringify({ op: 'subscribe', req_id: `b${i}`, args: TOPICS }));
    clients.push(c);
  }
  for (let i = 0; i < 500 && clients.some((c) => !c.acked); i++) await sleep(10);
  if (clients.some((c) => !c.acked)) throw new Error('not every client was subscribed');
  return clients;
}

const totals = (clients) =>
  clients.reduce((a, c) => ({ frames: a.frames + c.frames, bytes: a.bytes + c.bytes }), {
    frames: 0,
    bytes: 0,
  });

/**
 * Counts frames delivered to the clients over `seconds` while `drive` keeps the server sending.
 * `drive(signal)` runs until signal.stop is set.
 */
async function measureDelivery(clients, seconds, drive) {
  const signal = { stop: false };
  const driving = drive(signal);
  await sleep(500); // warm-up: queues filled, JIT warm
  const a = totals(clients);
  const t0 = performance.now();
  await sleep(seconds * 1000);
  const b = totals(clients);
  const dt = (performance.now() - t0) / 1000;
  signal.stop = true;
  await driving;
  await sleep(200); // let queued frames drain before the next run
  return { framesPerSec: (b.frames - a.frames) / dt, bytesPerSec: (b.bytes - a.bytes) / dt };
}

/** Scenario 3: 100 clients on orderbook.50 + publicTrade, daemon vs a bare ws broadcaster. */
export async function benchFanout({ duration, repeats, log }) {
  const daemon = await startDaemon('bench/scenarios/fanout.yaml');
  const bare = await startProcess('ws-baseline', ['bench/servers/ws-baseline.mjs'], {
    ready: /listening (http:\/\/[0-9.:]+)/,
  });
  const bareUrl = bare.match[1];
  const agent = new Agent({ keepAlive: true, maxSockets: 4 });
  let dClients = [];
  let bClients = [];
  try {
    dClients = await connectClients(`${daemon.url.replace('http', 'ws')}/v5/public/linear`, CLIENTS);
    bClients = await connectClients(bareUrl.replace('http', 'ws'), CLIENTS);
    let ticks = 0;
    const targets = [
      {
        name: 'daemon',
        // The manual clock is advanced as fast as the daemon takes it: two requests in flight,
        // 100 ms (10 ticks of 10 ms) each, so the simulator never waits and never runs ahead of
        // its sockets (the bare broadcaster sends 10 frames per client per turn likewise).
        run: () =>
          measureDelivery(dClients, duration, async (signal) => {
            const loop = async () => {
              while (!signal.stop) {
                const r = await http('POST', `${daemon.url}/__admin/clock/advance`, {
                  body: '{"ms":100}',
                  headers: { 'content-type': 'application/json' },
                  agent,
                });
                if (r.status !== 200) throw new Error(`clock advance failed: ${r.status} ${r.text}`);
                ticks += 10;
              }
            };
            await Promise.all([loop(), loop()]);
          }),
      },
      {
        name: 'baseline',
        run: () =>
          measureDelivery(bClients, duration, async (signal) => {
            await http('POST', `${bareUrl}/start`, { agent });
            while (!signal.stop) await sleep(20);
            await http('POST', `${bareUrl}/stop`, { agent });
          }),
      },
    ];
    const t0 = performance.now();
    const runs = await alternate(targets, repeats, (t) => t.run(), log);
    const sample = dClients[0].sample ?? '';
    return {
      name: 'ws-fanout',
      clients: CLIENTS,
      topics: TOPICS,
      daemon: {
        framesPerSec: summary(runs.daemon.map((r) => r.framesPerSec)),
        bytesPerSec: summary(runs.daemon.map((r) => r.bytesPerSec)),
        ticksPerSec: ticks / ((performance.now() - t0) / 1000 / 2),
      },
      baseline: {
        framesPerSec: summary(runs.baseline.map((r) => r.framesPerSec)),
        bytesPerSec: summary(runs.baseline.map((r) => r.bytesPerSec)),
      },
      ratio: summary(runs.daemon.map((r, i) => r.framesPerSec / runs.baseline[i].framesPerSec)),
      sampleFrame: sample.slice(0, 160),
    };
  } finally {
    for (const c of [...dClients, ...bClients]) c.ws.terminate();
    agent.destroy();
    await bare.stop();
    await daemon.stop();
  }
}

/**
 * Scenario 4: one REST connection places a marketable order, one authenticated private client
 * waits for its `execution` frame; time from sending the request to that frame. Orders go one
 * after another (1 connection), alternating buy and sell.
 */
async function orderToFrame(url, count, warmup) {
  const sub = await privateClient(url.replace('http', 'ws'), ['execution']);
  const conn = await rawConnection(url);
  const lat = [];
  try {
    for (let i = 0; i < warmup + count; i++) {
      const body = ORDER_BODIES[i & 1];
      const t0 = performance.now();
      let off;
      const framed = new Promise((resolve) => {
        off = sub.onFrame((_text, topic) => {
          if (topic === 'execution') resolve(performance.now());
        });
      });
      const reply = await conn.request('POST', '/v5/order/create', body, signedHeaders(KEY, SECRET, body));
      if (!reply.text.startsWith('{"retCode":0,')) throw new Error(`order refused: ${reply.text}`);
      let timer;
      const t1 = await Promise.race([
        framed,
        new Promise((_, reject) => {
          timer = setTimeout(
            () => reject(new Error(`no execution frame within 2 s for order ${i}: ${reply.text}`)),
            2000,
          );
        }),
      ]);
      clearTimeout(timer);
      off();
      if (i >= warmup) lat.push(t1 - t0);
    }
  } finally {
    sub.close();
    conn.close();
  }
  return { p50: percentile(lat, 50), p99: percentile(lat, 99), max: percentile(lat, 100), n: lat.length };
}

export async function benchLatency({ repeats, log, orders = 2000 }) {
  const daemon = await startDaemon();
  let baseline;
  try {
    const bodies = await captureBodies(daemon.url);
    const probe = await privateClient(daemon.url.replace('http', 'ws'), ['execution']);
    const got = new Promise((resolve) =>
      probe.onFrame((text, topic) => topic === 'execution' && resolve(text)),
    );
    await http('POST', `${daemon.url}/v5/order/create`, {
      body: ORDER_BODIES[0],
      headers: signedHeaders(KEY, SECRET, ORDER_BODIES[0]),
    });
    bodies.executionFrame = JSON.parse(await got);
    probe.close();
    baseline = await startExpressBaseline(bodies, { ws: true });
    const targets = [
      { name: 'daemon', url: daemon.url },
      { name: 'baseline', url: baseline.url },
    ];
    // Warm each server up first (JIT tiers, heap growth): a fresh daemon's first few thousand
    // orders run through code still being optimised and a heap still growing, which is start-up,
    // not the steady state this scenario measures.
    for (const t of targets) await orderToFrame(t.url, 0, 6000);
    const runs = await alternate(targets, repeats, (t) => orderToFrame(t.url, orders, 200), log);
    return {
      name: 'order-to-frame',
      orders,
      daemon: { p50: summary(runs.daemon.map((r) => r.p50)), p99: summary(runs.daemon.map((r) => r.p99)) },
      baseline: {
        p50: summary(runs.baseline.map((r) => r.p50)),
        p99: summary(runs.baseline.map((r) => r.p99)),
      },
    };
  } finally {
    await baseline?.stop();
    await daemon.stop();
  }
}
