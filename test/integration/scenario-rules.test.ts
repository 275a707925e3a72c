/**
 * Rules from the scenario file are live at start and come back with fresh counts on reset.
 * @see docs/rules.md
 */
import { afterAll, beforeAll, expect, test } from 'vitest';
import type { ManualClock } from '../../src/core/clock.js';
import type { RunningExchange } from '../../src/runtime/start-exchange.js';
import { manualScenarioYaml, postSigned, startTestExchange } from '../support/server.js';
import { WsClient, authFrame } from '../support/ws.js';

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

test('rules on WS ops: a failed auth answers the failure shape; a delayed subscribe acks after the clock passes', async () => {
  const post = (body: unknown) =>
    fetch(`${ex.adminUrl}/rules`, { method: 'POST', body: JSON.stringify(body) });
  expect(
    (
      await post({
        id: 'no-auth',
        on: 'auth',
        times: 1,
        action: { fail: { retCode: 10004, retMsg: 'Invalid sign' } },
      })
    ).status,
  ).toBe(200);
  expect((await post({ id: 'slow-sub', on: 'subscribe', times: 1, action: { delayMs: 5000 } })).status).toBe(
    200,
  );

  const priv = await WsClient.open(ex, '/v5/private');
  const refused = await priv.request(authFrame(ex), (f) => f?.op === 'auth');
  expect(refused).toMatchObject({ success: false, ret_msg: 'Invalid sign', op: 'auth' });
  const ok = await priv.request(authFrame(ex), (f) => f?.op === 'auth');
  expect(ok).toMatchObject({ success: true });
  await priv.close();

  const pub = await WsClient.open(ex, '/v5/public/linear');
  pub.send({ op: 'subscribe', req_id: 's1', args: ['tickers.BTCUSDT'] });
  expect((await pub.sync()).filter((f: { op?: string }) => f.op === 'subscribe')).toEqual([]);
  (ex.clock as ManualClock).advance(5000);
  const ack = await pub.next((f) => f?.op === 'subscribe');
  expect(ack).toMatchObject({ success: true, req_id: 's1' });
  await pub.close();
  await fetch(`${ex.adminUrl}/rules/reset`, { method: 'POST' });
});
