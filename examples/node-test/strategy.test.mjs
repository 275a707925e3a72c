/**
 * Testing a ccxt strategy against bybit-mock with node:test (`node --test`). The same shape works
 * in vitest or jest: start the mock in before/beforeAll, close it in after/afterAll.
 *
 * One mock per test file, started in-process on a free port from an inline scenario on a manual
 * clock, so nothing moves unless the test moves it. Between tests the admin client resets it.
 * The assertions read the mock's side: the request journal (what the bot sent) and the state.
 */
import assert from 'node:assert/strict';
import { after, before, beforeEach, test } from 'node:test';
import ccxt from 'ccxt';
import { startExchange } from 'bybit-mock';
import { step } from './strategy.mjs';

const SCENARIO = `
version: 1
seed: 1
clock: { mode: manual, start: 2026-01-05T12:00:00Z }
instruments:
  - { symbol: BTCUSDT, category: linear, baseCoin: BTC, quoteCoin: USDT, tickSize: "0.1", qtyStep: "0.001", minOrderQty: "0.001", maxOrderQty: "100", minNotional: "5" }
market:
  BTCUSDT: { price: "50000", volatility: 0.5, tickInterval: 1s }
accounts:
  - { name: bot, apiKey: bot-key, apiSecret: bot-secret, balances: { USDT: "10000" } }
`;

let mock;
let exchange;

before(async () => {
  mock = await startExchange({ port: 0, logLevel: 'silent', scenario: { yaml: SCENARIO } });
  exchange = new ccxt.bybit({ apiKey: 'bot-key', secret: 'bot-secret', enableRateLimit: false });
  for (const k of ['spot', 'futures', 'v2', 'public', 'private']) exchange.urls.api[k] = mock.restUrl;
  await exchange.loadMarkets();
});

after(async () => {
  await mock?.close();
});

beforeEach(async () => {
  await mock.admin.reset();
  await mock.admin.setPrice('BTCUSDT', '50000');
});

const creates = () => mock.admin.requests({ path: '/v5/order/create' });

test('bids 2 % under the market, waits, and offers the position 1 % up once the bid fills', async () => {
  const bidStep = await step(exchange);
  assert.deepEqual(
    { action: bidStep.action, price: bidStep.price, amount: bidStep.amount },
    { action: 'bid', price: 49000, amount: 0.01 },
  );
  const [resting] = await mock.admin.orders({ account: 'bot', status: 'New' });
  assert.equal(resting.orderId, bidStep.orderId);
  const [bid] = await creates();
  assert.equal(bid.retCode, 0);
  assert.equal(bid.account, 'bot');
  assert.deepEqual(
    {
      symbol: bid.params.symbol,
      side: bid.params.side,
      orderType: bid.params.orderType,
      qty: bid.params.qty,
      price: bid.params.price,
    },
    { symbol: 'BTCUSDT', side: 'Buy', orderType: 'Limit', qty: '0.01', price: '49000' },
  );

  // Nothing changed: the strategy waits and sends no new order.
  assert.equal((await step(exchange)).action, 'wait');
  assert.equal(await mock.admin.countRequests({ path: '/v5/order/create' }), 1);

  // The price drops through the bid: it fills at its own price.
  await mock.admin.setPrice('BTCUSDT', '48500');
  const [order] = await mock.admin.orders({ account: 'bot' });
  assert.equal(order.orderStatus, 'Filled');
  const [position] = await mock.admin.positions('bot');
  assert.equal(position.side, 'Buy');
  assert.equal(position.size, '0.010');
  assert.equal(position.avgPrice, '49000');

  const tp = await step(exchange);
  assert.equal(tp.action, 'take-profit');
  assert.equal(tp.price, 49490);
  const [sell] = await creates();
  assert.equal(sell.params.side, 'Sell');
  assert.equal(sell.params.price, '49490');
  assert.equal(sell.params.reduceOnly, true);
  const open = await mock.admin.orders({ account: 'bot', status: 'New' });
  assert.deepEqual(
    open.map((o) => [o.side, o.price, o.qty, o.reduceOnly]),
    [['Sell', '49490.0', '0.010', true]],
  );
});

test('retries once when Bybit answers 10006 (rate limit)', async () => {
  await mock.admin.addRule({
    on: 'order.create',
    times: 1,
    action: { fail: { retCode: 10006, retMsg: 'Too many visits!' } },
  });
  assert.equal((await step(exchange)).action, 'bid');
  // Newest first: the refused create, then the retry that went through.
  assert.deepEqual(
    (await creates()).map((r) => r.retCode),
    [0, 10006],
  );
  assert.equal((await mock.admin.orders({ account: 'bot', status: 'New' })).length, 1);
});
