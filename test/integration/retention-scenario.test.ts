/**
 * Scenario `retention:`: an account keeps only the newest closed orders and executions it is
 * told to, through the REST API a bot uses; open orders are never dropped.
 */
import { afterAll, beforeAll, expect, test } from 'vitest';
import type { RunningExchange } from '../../src/index.js';
import {
  getSigned,
  manualScenarioYaml,
  NO_RATE_LIMITS,
  postSigned,
  startTestExchange,
} from '../support/server.js';

let ex: RunningExchange;

beforeAll(async () => {
  ex = await startTestExchange({
    scenario: {
      yaml: manualScenarioYaml(`${NO_RATE_LIMITS}\nretention: { closedOrders: 2, executions: 3 }`),
      name: 'retention',
    },
  });
});

afterAll(async () => {
  await ex?.close();
});

const market = (side: 'Buy' | 'Sell', orderLinkId: string) => ({
  category: 'linear',
  symbol: 'BTCUSDT',
  side,
  orderType: 'Market',
  qty: '0.001',
  orderLinkId,
});

test('closed orders and executions beyond the scenario retention are forgotten; open orders stay', async () => {
  const resting = await postSigned(ex, '/v5/order/create', {
    category: 'linear',
    symbol: 'BTCUSDT',
    side: 'Buy',
    orderType: 'Limit',
    qty: '0.001',
    price: '30000',
    orderLinkId: 'rest-1',
  });
  expect(resting.body.retCode, resting.text).toBe(0);
  for (const [i, side] of (['Buy', 'Sell', 'Buy', 'Sell'] as const).entries()) {
    const r = await postSigned(ex, '/v5/order/create', market(side, `m-${i}`));
    expect(r.body.retCode, r.text).toBe(0);
  }
  const history = await getSigned(ex, '/v5/order/history', 'category=linear');
  // The history holds the two newest closed orders only.
  expect(history.body.result.list.map((o: { orderLinkId: string }) => o.orderLinkId).sort()).toEqual([
    'm-2',
    'm-3',
  ]);
  const gone = await getSigned(ex, '/v5/order/realtime', 'category=linear&orderLinkId=m-0');
  expect(gone.body.result.list).toEqual([]);
  const open = await getSigned(ex, '/v5/order/realtime', 'category=linear&orderLinkId=rest-1');
  expect(open.body.result.list[0].orderStatus).toBe('New');
  const executions = await getSigned(ex, '/v5/execution/list', 'category=linear');
  expect(executions.body.result.list).toHaveLength(3);
});

test('bad retention values are refused by the loader at their line', async () => {
  const yaml = manualScenarioYaml('retention: { closedOrders: -1, trades: 5 }');
  await expect(startTestExchange({ scenario: { yaml, name: 'bad-retention.yaml' } })).rejects.toThrow(
    /retention/,
  );
});
