/**
 * An example bot for the docker-compose and CI recipes: plain ccxt pointed at bybit-mock.
 * It waits until the mock answers /__admin/health, buys at market, checks the position, closes
 * it, and exits 0 (1 on any failure), so a CI job can run it as its test.
 *
 * Environment:
 *   BYBIT_MOCK_URL    the mock's base URL (default http://127.0.0.1:8080)
 *   BYBIT_API_KEY     default mock-api-key (the default scenario's trading account)
 *   BYBIT_API_SECRET  default mock-api-secret
 *   BOT_SYMBOL        ccxt symbol, default BTC/USDT:USDT (Bybit linear BTCUSDT)
 *   BOT_QTY           order size, default 0.01
 *   BOT_WAIT_MS       how long to wait for the mock to be healthy, default 60000
 */
import ccxt from 'ccxt';

const base = (process.env.BYBIT_MOCK_URL || 'http://127.0.0.1:8080').replace(/\/+$/, '');
const symbol = process.env.BOT_SYMBOL || 'BTC/USDT:USDT';
const qty = Number(process.env.BOT_QTY || '0.01');
const waitMs = Number(process.env.BOT_WAIT_MS || '60000');

const log = (event, fields = {}) => console.log(JSON.stringify({ event, ...fields }));

async function waitForHealth() {
  const deadline = Date.now() + waitMs;
  for (let attempt = 1; ; attempt++) {
    try {
      const res = await fetch(`${base}/__admin/health`);
      if (res.ok) return { attempt, ...(await res.json()) };
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error(`bybit-mock at ${base} was not healthy within ${waitMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

async function main() {
  const health = await waitForHealth();
  log('mock-ready', { url: base, version: health.version, attempts: health.attempt });

  const exchange = new ccxt.bybit({
    apiKey: process.env.BYBIT_API_KEY || 'mock-api-key',
    secret: process.env.BYBIT_API_SECRET || 'mock-api-secret',
    enableRateLimit: false,
  });
  // Only the base URL changes (no trailing slash); do not call setSandboxMode afterwards.
  for (const k of ['spot', 'futures', 'v2', 'public', 'private']) exchange.urls.api[k] = base;
  await exchange.loadMarkets();

  const ticker = await exchange.fetchTicker(symbol);
  const buy = await exchange.createOrder(symbol, 'market', 'buy', qty);
  log('bought', { symbol, qty, last: ticker.last, orderId: buy.id });

  const positions = await exchange.fetchPositions([symbol]);
  const long = positions.find((p) => p.side === 'long' && p.contracts > 0);
  if (!long) throw new Error(`no long ${symbol} position after the market buy`);
  log('position', { side: long.side, contracts: long.contracts, entryPrice: long.entryPrice });

  const sell = await exchange.createOrder(symbol, 'market', 'sell', long.contracts, undefined, {
    reduceOnly: true,
  });
  log('closed', { orderId: sell.id });
}

main().then(
  () => process.exit(0),
  (err) => {
    console.error(`bot failed: ${err?.stack ?? err}`);
    process.exit(1);
  },
);
