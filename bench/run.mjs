// `npm run bench`: the daemon measured against baselines run in the same process tree at the same
// time (A B A B, 3 rounds, medians with min-max), so the ratios hold on a noisy shared machine.
// Prints a table and writes bench/results/latest.json. `npm run bench -- --check` also compares
// the figures with the targets and exits 1 when one falls short. Method: docs/performance.md.
//
// Options: --check, --only create,market,fanout,latency,startup,memory, --repeats N (3),
// --duration S (seconds per throughput run, 4), --orders N (memory scenario, 1000000),
// --no-mockoon (skip the Mockoon reference row), --out FILE.
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, totalmem, type as osType, release } from 'node:os';
import { dirname, join } from 'node:path';
import { ROOT, fmt, range, table } from './lib.mjs';
import { benchMarketData, benchOrderCreate } from './scenario-rest.mjs';
import { benchFanout, benchLatency } from './scenario-ws.mjs';
import { benchMemory, benchStartup } from './scenario-process.mjs';

const SCENARIOS = ['startup', 'create', 'market', 'fanout', 'latency', 'memory'];

function parseArgs(argv) {
  const o = {
    check: false,
    only: SCENARIOS,
    repeats: 3,
    duration: 4,
    orders: 1_000_000,
    mockoon: true,
    out: join(ROOT, 'bench/results/latest.json'),
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const value = () => {
      const v = argv[++i];
      if (v === undefined) throw new Error(`${a} needs a value`);
      return v;
    };
    if (a === '--check') o.check = true;
    else if (a === '--no-mockoon') o.mockoon = false;
    else if (a === '--only') o.only = value().split(',');
    else if (a === '--repeats') o.repeats = Number(value());
    else if (a === '--duration') o.duration = Number(value());
    else if (a === '--orders') o.orders = Number(value());
    else if (a === '--out') o.out = value();
    else throw new Error(`unknown option ${a} (see the top of bench/run.mjs)`);
  }
  for (const s of o.only) if (!SCENARIOS.includes(s)) throw new Error(`unknown scenario ${s}`);
  if (!(o.repeats >= 1) || !(o.duration >= 1) || !(o.orders >= 2))
    throw new Error('bad --repeats/--duration/--orders');
  return o;
}

/** The targets of issue 8; `value` reads the figure from the results, undefined when not run. */
const TARGETS = [
  {
    id: 'create-ratio',
    what: 'order create: requests/s vs Express',
    value: (r) => r.create?.ratio.median,
    ok: (v) => v >= 0.6,
    target: '>= 0.6x',
  },
  {
    id: 'create-p99',
    what: 'order create: p99 at half the saturated rate (ms)',
    value: (r) => r.create?.paced.daemonP99.median,
    ok: (v) => v <= 5,
    target: '<= 5 ms',
  },
  {
    id: 'tickers-ratio',
    what: 'GET tickers: requests/s vs Express',
    value: (r) => r.market?.tickers.ratio.median,
    ok: (v) => v >= 0.8,
    target: '>= 0.8x',
  },
  {
    id: 'orderbook-ratio',
    what: 'GET orderbook limit=200: requests/s vs Express',
    value: (r) => r.market?.orderbook.ratio.median,
    ok: (v) => v >= 0.8,
    target: '>= 0.8x',
  },
  {
    id: 'fanout-ratio',
    what: 'WS fan-out: frames/s delivered vs bare ws',
    value: (r) => r.fanout?.ratio.median,
    ok: (v) => v >= 0.7,
    target: '>= 0.7x',
  },
  {
    id: 'latency-p99',
    what: 'order -> execution frame: p99 (ms)',
    value: (r) => r.latency?.daemon.p99.median,
    ok: (v) => v < 2,
    target: '< 2 ms',
  },
  {
    id: 'startup',
    what: 'serve: start to health answering (ms)',
    value: (r) => r.startup?.daemonMs.median,
    ok: (v) => v < 500,
    target: '< 500 ms',
  },
  {
    id: 'idle-rss',
    what: 'memory: idle RSS (MB)',
    value: (r) => r.memory?.idleRssMB.median,
    ok: (v) => v < 100,
    target: '< 100 MB',
  },
  {
    id: 'rss-growth',
    what: 'memory: RSS growth after the orders (MB)',
    value: (r) => r.memory?.growthMB.median,
    ok: (v) => v < 150,
    target: '< 150 MB',
  },
  {
    id: 'rss-flat',
    what: 'memory: RSS growth from half to all the orders (MB)',
    value: (r) => r.memory?.halfToFullMB.median,
    ok: (v) => v <= 10,
    target: '<= 10 MB (flat)',
  },
];

function check(results) {
  return TARGETS.map((t) => {
    const v = t.value(results);
    return { id: t.id, what: t.what, target: t.target, value: v, ok: v === undefined ? undefined : t.ok(v) };
  });
}

function verdict(checks, id) {
  const c = checks.find((x) => x.id === id);
  if (!c || c.ok === undefined) return '';
  return c.ok ? 'ok' : 'FAIL';
}

function render(results, checks, o) {
  const rows = [];
  const r = results;
  const x = (s) => range(s, 2, 'x');
  if (r.create) {
    rows.push([
      '1. POST /v5/order/create, signed, 50 conns, private subscriber (req/s)',
      range(r.create.daemon.rps),
      range(r.create.baseline.rps),
      x(r.create.ratio),
      '>= 0.6x',
      verdict(checks, 'create-ratio'),
    ]);
    if (r.create.cpuPerReq) {
      rows.push([
        '   server CPU per request at saturation (us, all threads)',
        range(r.create.cpuPerReq.daemon),
        range(r.create.cpuPerReq.baseline),
        x({
          median: r.create.cpuPerReq.baseline.median / r.create.cpuPerReq.daemon.median,
          min: r.create.cpuPerReq.baseline.min / r.create.cpuPerReq.daemon.max,
          max: r.create.cpuPerReq.baseline.max / r.create.cpuPerReq.daemon.min,
        }),
        'info',
        '',
      ]);
      if (Number.isFinite(r.create.cpuPerReq.subscriber?.median))
        rows.push([
          '   private subscriber process CPU per order (us, daemon rounds)',
          range(r.create.cpuPerReq.subscriber),
          '',
          '',
          'info',
          '',
        ]);
    }
    rows.push([
      `   p50 / p99 at ${fmt(r.create.paced.rate)} req/s, open loop, 50 conns (ms)`,
      `${fmt(r.create.paced.daemonP50.median, 1)} / ${range(r.create.paced.daemonP99, 1)}`,
      range(r.create.paced.baselineP99, 1),
      '',
      'p99 <= 5 ms',
      verdict(checks, 'create-p99'),
    ]);
    if (Number.isFinite(r.create.paced.daemonCores?.median))
      rows.push([
        '   server CPU use at that rate (cores, all threads)',
        range(r.create.paced.daemonCores, 2),
        range(r.create.paced.baselineCores, 2),
        '',
        'info',
        '',
      ]);
    const m = r.create.moderate;
    if (m) {
      rows.push([
        `   p50 / p99 at a fixed ${fmt(m.rate)} req/s, open loop, 50 conns (ms)`,
        `${fmt(m.daemonP50.median, 1)} / ${range(m.daemonP99, 1)}`,
        `${fmt(m.baselineP50.median, 1)} / ${range(m.baselineP99, 1)}`,
        '',
        'info',
        '',
      ]);
      if (Number.isFinite(m.daemonCores?.median))
        rows.push([
          '   server CPU use at that rate (cores, all threads)',
          range(m.daemonCores, 2),
          range(m.baselineCores, 2),
          '',
          'info',
          '',
        ]);
    }
  }
  if (r.market) {
    for (const k of ['tickers', 'orderbook']) {
      const m = r.market[k];
      rows.push([
        `2. GET ${m.path.replace('/v5/market/', '')} (req/s)`,
        range(m.daemon.rps),
        range(m.baseline.rps),
        x(m.ratio),
        '>= 0.8x',
        verdict(checks, `${k}-ratio`),
      ]);
    }
  }
  if (r.fanout) {
    rows.push([
      `3. WS fan-out, ${r.fanout.clients} clients x orderbook.50 + publicTrade (frames/s)`,
      range(r.fanout.daemon.framesPerSec),
      range(r.fanout.baseline.framesPerSec),
      x(r.fanout.ratio),
      '>= 0.7x',
      verdict(checks, 'fanout-ratio'),
    ]);
  }
  if (r.latency) {
    rows.push([
      '4. order create -> execution frame, 1 conn, p50 / p99 (ms)',
      `${fmt(r.latency.daemon.p50.median, 2)} / ${range(r.latency.daemon.p99, 2)}`,
      `${fmt(r.latency.baseline.p50.median, 2)} / ${range(r.latency.baseline.p99, 2)}`,
      '',
      'p99 < 2 ms',
      verdict(checks, 'latency-p99'),
    ]);
  }
  if (r.startup) {
    rows.push([
      '5. serve: process start -> health answering (ms)',
      range(r.startup.daemonMs),
      range(r.startup.baselineMs),
      '',
      '< 500 ms',
      verdict(checks, 'startup'),
    ]);
  }
  if (r.memory) {
    const m = r.memory;
    rows.push([
      '6. RSS idle (MB)',
      range(m.idleRssMB),
      range(m.bareNodeRssMB),
      '',
      '< 100 MB',
      verdict(checks, 'idle-rss'),
    ]);
    rows.push([
      `   RSS growth after ${fmt(m.orders)} orders (MB)`,
      range(m.growthMB),
      '',
      '',
      '< 150 MB',
      verdict(checks, 'rss-growth'),
    ]);
    rows.push([
      `   RSS growth from ${fmt(m.half)} to ${fmt(m.orders)} orders (MB)`,
      range(m.halfToFullMB),
      '',
      '',
      '<= 10 MB',
      verdict(checks, 'rss-flat'),
    ]);
    rows.push([
      `   heap at ${fmt(m.half)} / ${fmt(m.orders)} orders; RSS right after the orders (MB)`,
      `${fmt(m.heapHalfMB.median)} / ${fmt(m.heapFullMB.median)}; ${range(m.burstRssMB)}`,
      '',
      '',
      'info',
      `${fmt(m.ordersPerSec.median)} orders/s`,
    ]);
  }
  if (r.market?.mockoon) {
    const mo = r.market.mockoon;
    rows.push(
      mo.skipped
        ? ['7. Mockoon CLI, GET tickers (reference)', mo.skipped, '', '', 'reference', '']
        : [
            `7. Mockoon CLI ${mo.version}, static GET tickers (req/s, reference)`,
            range(mo.rps),
            range(r.market.tickers.baseline.rps),
            x(mo.ratioToBaseline),
            'reference',
            `daemon ${fmt(mo.daemonRatio.median, 1)}x Mockoon`,
          ],
    );
  }
  const head = ['scenario', 'daemon', 'baseline', 'ratio', 'target', ''];
  return `${table(head, rows)}\n\nmedian (min-max) of ${o.repeats} alternating rounds; baselines: Express 5 with a fixed JSON (1, 2, 4: + ws), bare ws broadcaster (3), bare node:http (5), bare node (6).`;
}

async function main() {
  const o = parseArgs(process.argv.slice(2));
  const log = (s) => process.stderr.write(`${s}\n`);
  const started = Date.now();
  const machine = {
    cpu: cpus()[0]?.model ?? 'unknown',
    cores: cpus().length,
    memGB: Math.round(totalmem() / 2 ** 30),
    os: `${osType()} ${release()}`,
    node: process.version,
    loadavgBefore: loadavg().map((x) => Number(x.toFixed(2))),
  };
  const results = {};
  const opts = { duration: o.duration, repeats: o.repeats, log, mockoon: o.mockoon };
  const steps = {
    startup: () => benchStartup(opts),
    create: () => benchOrderCreate(opts),
    market: () => benchMarketData(opts),
    fanout: () => benchFanout(opts),
    latency: () => benchLatency(opts),
    memory: () => benchMemory({ ...opts, orders: o.orders }),
  };
  for (const name of SCENARIOS) {
    if (!o.only.includes(name)) continue;
    const t0 = Date.now();
    log(`${name}...`);
    results[name] = await steps[name]();
    log(`${name}: ${((Date.now() - t0) / 1000).toFixed(0)} s`);
  }
  machine.loadavgAfter = loadavg().map((x) => Number(x.toFixed(2)));
  const checks = check(results);
  const seconds = (Date.now() - started) / 1000;
  const text = render(results, checks, o);
  process.stdout.write(
    `\n${text}\n\n${new Date(started).toISOString()}, ${machine.cores} x ${machine.cpu}, Node ${machine.node}, ${seconds.toFixed(0)} s\n`,
  );
  mkdirSync(dirname(o.out), { recursive: true });
  writeFileSync(
    o.out,
    `${JSON.stringify({ date: new Date(started).toISOString(), seconds, machine, options: { ...o, out: undefined }, results, checks }, null, 2)}\n`,
  );
  process.stdout.write(`results: ${o.out}\n`);
  if (o.check) {
    const failed = checks.filter((c) => c.ok === false);
    const missing = checks.filter((c) => c.ok === undefined);
    for (const c of checks) {
      const v = c.value === undefined ? 'not run' : fmt(c.value, 2);
      process.stdout.write(
        `${c.ok === undefined ? 'skip' : c.ok ? 'ok  ' : 'FAIL'}  ${c.what}: ${v} (target ${c.target})\n`,
      );
    }
    if (failed.length > 0) {
      process.stdout.write(`check: ${failed.length} target(s) missed\n`);
      process.exitCode = 1;
    } else
      process.stdout.write(
        `check: every target met${missing.length ? ` (${missing.length} not run)` : ''}\n`,
      );
  }
}

main().catch((e) => {
  process.stderr.write(`bench failed: ${e.stack ?? e}\n`);
  process.exitCode = 2;
});
