/**
 * Rules from the scenario file are live at start and come back with fresh counts on reset.
 * @see docs/rules.md
 */
import { afterAll, beforeAll, expect, test } from 'vitest';
import type { RunningExchange } from '../../src/runtime/start-exchange.js';
import { manualScenarioYaml, postSigned, startTestExchange } from '../support/server.js';

let ex: RunningExchange;

beforeAll(async () => {
  const yaml = `${manualScenarioYaml()}
rules:
  - id: throttled
    on: order.create
    times: 2
    action: { fail: { retCode: 10006, retMsg: "Too many visits!" } }
`;
  ex = await startTestExchange({ scenario: { yaml, name: 'scenario-rules' } });
});

afterAll(async () => {
  await ex?.close();
});

const ORDER = {
  category: 'linear',
  symbol: 'BTCUSDT',
  side: 'Buy',
  orderType: 'Limit',
  qty: '0.001',
  price: '40000',
};

test('the first two creates fail with 10006, the third passes; reset restores the count', async () => {
  const codes = async () => {
    const out: number[] = [];
    for (let i = 0; i < 3; i++) out.push((await postSigned(ex, '/v5/order/create', ORDER)).body.retCode);
    return out;
  };
  expect(await codes()).toEqual([10006, 10006, 0]);
  const rules = (await (await fetch(`${ex.adminUrl}/rules`)).json()) as {
    rules: { id: string; hits: number; remaining: number; source: string }[];
  };
  expect(rules.rules).toEqual([
    expect.objectContaining({ id: 'throttled', hits: 2, remaining: 0, source: 'scenario' }),
  ]);
  await fetch(`${ex.adminUrl}/reset`, { method: 'POST' });
  expect(await codes()).toEqual([10006, 10006, 0]);
});
