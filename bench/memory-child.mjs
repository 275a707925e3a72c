// Scenario 6, run as its own process with --expose-gc (bench/run.mjs starts it): the daemon
// in-process (startExchange, the bench scenario, default retention, real clock), then orders
// through the facade: a market order that fills, then a limit order far from the market that is
// cancelled, alternating buy and sell. Prints one JSON line: RSS and heap after a full GC and 3 s
// of quiet, at idle and at each checkpoint.
// Usage: node --expose-gc bench/memory-child.mjs [ORDERS] [CHECKPOINTS...]
import { pino } from 'pino';
import { startExchange } from '../dist/index.js';
import { Params } from '../dist/core/params.js';

const total = Number(process.argv[2] ?? 1_000_000);
const checkpoints = new Set(process.argv.slice(3).map(Number));
checkpoints.add(total);

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

const mb = (x) => x / 2 ** 20;

/**
 * Memory after a full GC and 3 s of quiet: V8 gives freed pages back to the OS lazily, so right
 * after a burst of orders RSS is up to 100 MB higher than the daemon's steady state and varies
 * from run to run (the `burstRssMB` figure keeps that first reading).
 */
async function sample() {
  globalThis.gc();
  const burstRssMB = mb(process.memoryUsage().rss);
  await sleep(1000);
  globalThis.gc();
  await sleep(2000);
  globalThis.gc();
  const m = process.memoryUsage();
  return { rssMB: mb(m.rss), heapUsedMB: mb(m.heapUsed), heapTotalMB: mb(m.heapTotal), burstRssMB };
}

const running = await startExchange({
  scenario: new URL('./scenarios/rest.yaml', import.meta.url).pathname,
  host: '127.0.0.1',
  port: 0,
  logger: pino({ level: 'silent' }),
});
const exchange = () => running.exchange;
const account = exchange().findAccount('bench');
const out = { orders: total, idle: await sample(), at: {}, seconds: 0 };

let t0 = performance.now();
let busy = 0;
let placed = 0;
let n = 0;
while (placed < total) {
  // Chunks, so the clock's timers (market ticks, funding) run between them as in a live daemon.
  // Chunks end on every checkpoint (they are multiples of 2,000 orders in the benchmark).
  for (let i = 0; i < 1000 && placed < total; i++, n++) {
    const side = n & 1 ? 'Sell' : 'Buy';
    const t = exchange().trading;
    t.create(
      account,
      new Params({ category: 'linear', symbol: 'BTCUSDT', side, orderType: 'Market', qty: '0.001' }),
    );
    placed++;
    if (placed >= total) break;
    const price = side === 'Buy' ? '45000' : '180000';
    const { orderId } = t.create(
      account,
      new Params({ category: 'linear', symbol: 'BTCUSDT', side, orderType: 'Limit', qty: '0.001', price }),
    );
    t.cancel(account, new Params({ category: 'linear', symbol: 'BTCUSDT', orderId }));
    placed++;
  }
  if (checkpoints.has(placed)) {
    busy += performance.now() - t0;
    out.at[placed] = await sample();
    t0 = performance.now();
  }
  await new Promise((r) => setImmediate(r));
}
out.seconds = busy / 1000;
out.retention = account.retention;
out.retained = {
  orders: account.orders.size,
  openOrders: account.openOrders.size,
  executions: account.executions.length,
  closedPnl: account.closedPnl.length,
};
process.stdout.write(`${JSON.stringify(out)}\n`);
await running.close();
process.exit(0);
