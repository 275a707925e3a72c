// Scenarios 5 and 6: start-up time of `serve`, and memory (idle, and after a million orders).
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { ROOT, freePort, http, sleep, startProcess, summary } from './lib.mjs';

/** Spawn to the first 200 from /__admin/health (the baseline answers any path). */
async function timeToHealth(name, args, port) {
  const t0 = performance.now();
  const p = await startProcess(name, args, { ready: /listening/ }).catch((e) => {
    throw new Error(`${name}: ${e.message}`);
  });
  let ms;
  for (let i = 0; i < 1000; i++) {
    const r = await http('GET', `http://127.0.0.1:${port}/__admin/health`).catch(() => undefined);
    if (r?.status === 200) {
      ms = performance.now() - t0;
      break;
    }
    await sleep(1);
  }
  await p.stop();
  if (ms === undefined) throw new Error(`${name} never answered its health check`);
  return ms;
}

/** Scenario 5: `bybit-mock serve` (default scenario) vs a bare node:http server. */
export async function benchStartup({ repeats, log }) {
  const daemon = [];
  const bare = [];
  for (let i = 0; i < repeats; i++) {
    let port = await freePort();
    daemon.push(
      await timeToHealth(
        'serve',
        ['bin/bybit-mock.js', 'serve', '--host', '127.0.0.1', '--port', String(port)],
        port,
      ),
    );
    port = await freePort();
    bare.push(await timeToHealth('bare', ['bench/servers/bare-http.mjs', String(port)], port));
    log?.(`  serve #${i + 1}: ${daemon[i].toFixed(0)} ms, bare node #${i + 1}: ${bare[i].toFixed(0)} ms`);
  }
  return { name: 'startup', daemonMs: summary(daemon), baselineMs: summary(bare) };
}

/** Scenario 6: the in-process daemon through the facade (bench/memory-child.mjs), vs bare Node's RSS. */
export async function benchMemory({ repeats, log, orders = 1_000_000 }) {
  const run = promisify(execFile);
  const runs = [];
  const bare = [];
  // The child samples between chunks of 2,000 orders: the midpoint is a multiple of that.
  const half = Math.max(2000, Math.round(orders / 4000) * 2000);
  for (let i = 0; i < repeats; i++) {
    const { stdout } = await run(
      process.execPath,
      ['--expose-gc', 'bench/memory-child.mjs', String(orders), String(half)],
      { cwd: ROOT, timeout: 600_000, maxBuffer: 1 << 20 },
    );
    const r = JSON.parse(stdout.trim().split('\n').pop());
    runs.push(r);
    const b = await run(
      process.execPath,
      ['--expose-gc', '-e', 'gc(); process.stdout.write(String(process.memoryUsage().rss / 2 ** 20))'],
      { cwd: ROOT },
    );
    bare.push(Number(b.stdout));
    log?.(
      `  #${i + 1}: idle ${r.idle.rssMB.toFixed(0)} MB, ${half} orders ${r.at[half].rssMB.toFixed(0)} MB, ` +
        `${orders} orders ${r.at[orders].rssMB.toFixed(0)} MB (heap ${r.at[orders].heapUsedMB.toFixed(0)} MB), ` +
        `${r.seconds.toFixed(1)} s; bare node ${bare[i].toFixed(0)} MB`,
    );
  }
  const at = (k, f) => summary(runs.map((r) => r.at[k][f]));
  return {
    name: 'memory',
    orders,
    half,
    idleRssMB: summary(runs.map((r) => r.idle.rssMB)),
    halfRssMB: at(half, 'rssMB'),
    fullRssMB: at(orders, 'rssMB'),
    growthMB: summary(runs.map((r) => r.at[orders].rssMB - r.idle.rssMB)),
    halfToFullMB: summary(runs.map((r) => r.at[orders].rssMB - r.at[half].rssMB)),
    heapHalfMB: at(half, 'heapUsedMB'),
    heapFullMB: at(orders, 'heapUsedMB'),
    burstRssMB: at(orders, 'burstRssMB'),
    ordersPerSec: summary(runs.map((r) => orders / r.seconds)),
    retention: runs[0].retention,
    retained: runs[0].retained,
    bareNodeRssMB: summary(bare),
  };
}
