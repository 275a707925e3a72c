/**
 * `bybit-mock admin ...` against a running daemon: one HTTP call per command, JSON printed,
 * exit 1 with the reason on a refusal or an unreachable daemon.
 */
import { execFile } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect, test } from 'vitest';
import type { RunningExchange } from '../../src/runtime/start-exchange.js';
import { getPublic, manualScenarioYaml, postSigned, useTestExchange } from '../support/server.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const BIN = join(ROOT, 'bin', 'bybit-mock.js');

let ex: RunningExchange;
useTestExchange({ scenario: { yaml: manualScenarioYaml(), name: 'cli-admin' } }, (e) => (ex = e));

function cli(...args: string[]): Promise<{ code: number; out: string; err: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [BIN, 'admin', '--url', ex.restUrl, ...args], (error, stdout, stderr) => {
      resolve({ code: error ? ((error as { code?: number }).code ?? 1) : 0, out: stdout, err: stderr });
    });
  });
}

test('health, price, fill, advance and reset drive the daemon', async () => {
  const health = await cli('health');
  expect(health.code).toBe(0);
  expect(JSON.parse(health.out)).toMatchObject({ status: 'ok' });

  expect((await cli('price', 'BTCUSDT', '52000')).code).toBe(0);
  const t = await getPublic(ex, '/v5/market/tickers?category=linear&symbol=BTCUSDT');
  expect(t.body.result.list[0].lastPrice).toBe('52000.0');

  const placed = await postSigned(ex, '/v5/order/create', {
    category: 'linear',
    symbol: 'BTCUSDT',
    side: 'Buy',
    orderType: 'Limit',
    qty: '0.002',
    price: '40000',
    orderLinkId: 'cli-1',
  });
  expect(placed.body.retCode).toBe(0);
  const fill = await cli('fill', 'cli-1', '--qty', '0.001');
  expect(fill.code).toBe(0);
  expect(JSON.parse(fill.out)).toMatchObject({ orderLinkId: 'cli-1', orderStatus: 'PartiallyFilled' });

  const before = ex.clock.now();
  expect((await cli('advance', '1500')).code).toBe(0);
  expect(ex.clock.now()).toBe(before + 1500);

  const orders = await cli('orders', '--status', 'PartiallyFilled');
  expect(JSON.parse(orders.out).orders).toHaveLength(1);
  expect((await cli('reset')).code).toBe(0);
  expect(JSON.parse((await cli('orders')).out).orders).toEqual([]);
});

test('a refusal and an unreachable daemon exit 1 with the reason', async () => {
  const refused = await cli('fill', 'no-such-order');
  expect(refused.code).toBe(1);
  expect(refused.err).toContain('HTTP 404');
  expect(refused.err).toContain('order_not_found');
  const badMs = await cli('advance', 'soon');
  expect(badMs.code).toBe(1);
  expect(badMs.err).toContain('whole number of milliseconds');
  const down = await new Promise<{ code: number; err: string }>((resolve) => {
    execFile(process.execPath, [BIN, 'admin', '--url', 'http://127.0.0.1:9', 'health'], (error, _o, stderr) =>
      resolve({ code: error ? 1 : 0, err: stderr }),
    );
  });
  expect(down.code).toBe(1);
  expect(down.err).toContain('cannot reach the daemon');
});
