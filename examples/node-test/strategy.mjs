/**
 * A small dip-buying strategy, written against plain ccxt: it knows nothing about the mock.
 *
 * One call to step() looks at the market and the account and does at most one thing:
 * - an order is open: wait for it;
 * - long: offer the position `takeProfitPct` above its entry price (reduce-only limit sell);
 * - flat: bid `dipPct` below the last price for about `budget` USDT (limit buy).
 * A rate-limit refusal (Bybit retCode 10006, ccxt RateLimitExceeded) is retried once.
 */
import ccxt from 'ccxt';

export async function step(exchange, opts = {}) {
  const { symbol = 'BTC/USDT:USDT', budget = 500, dipPct = 2, takeProfitPct = 1 } = opts;

  const open = await exchange.fetchOpenOrders(symbol);
  if (open.length > 0) return { action: 'wait', orderId: open[0].id };

  const positions = await exchange.fetchPositions([symbol]);
  const long = positions.find((p) => p.side === 'long' && p.contracts > 0);
  if (long) {
    const price = Number(exchange.priceToPrecision(symbol, long.entryPrice * (1 + takeProfitPct / 100)));
    const order = await retryOnRateLimit(() =>
      exchange.createOrder(symbol, 'limit', 'sell', long.contracts, price, { reduceOnly: true }),
    );
    return { action: 'take-profit', orderId: order.id, price, amount: long.contracts };
  }

  const ticker = await exchange.fetchTicker(symbol);
  const price = Number(exchange.priceToPrecision(symbol, ticker.last * (1 - dipPct / 100)));
  const amount = Number(exchange.amountToPrecision(symbol, budget / price));
  const order = await retryOnRateLimit(() => exchange.createOrder(symbol, 'limit', 'buy', amount, price));
  return { action: 'bid', orderId: order.id, price, amount };
}

async function retryOnRateLimit(fn) {
  try {
    return await fn();
  } catch (err) {
    if (!(err instanceof ccxt.RateLimitExceeded)) throw err;
    await new Promise((resolve) => setTimeout(resolve, 50));
    return fn();
  }
}
