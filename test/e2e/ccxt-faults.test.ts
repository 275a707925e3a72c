/**
 * ccxt against REST faults: a hang surfaces as RequestTimeout, a dropped connection as a
 * NetworkError, a scripted 10016 as ccxt's mapped error. @see docs/faults.md
 */
import ccxt from 'ccxt';
import { expect, test } from 'vitest';
import type { RunningExchange } from '../../src/runtime/start-exchange.js';
import { ccxtBybit } from '../support/clients.js';
import { manualScenarioYaml, useTestExchange } from '../support/server.js';

let ex: RunningExchange;
useTestExchange({ scenario: { yaml: manualScenarioYaml(), name: 'ccxt-faults' } }, (e) => (ex = e));

const addFault = (body: unknown) =>
  fetch(`${ex.adminUrl}/faults`, { method: 'POST', body: JSON.stringify(body) });

test('hang → RequestTimeout; reset → NetworkError; and the next call works again', async () => {
  const client = ccxtBybit(ex);
  client.timeout = 500;
  expect(await client.fetchTime()).toBeGreaterThan(0);
  await addFault({ path: '/v5/market/time', times: 1, effect: { hang: true } });
  await expect(client.fetchTime()).rejects.toBeInstanceOf(ccxt.RequestTimeout);
  await addFault({ path: '/v5/market/time', times: 1, effect: { reset: true } });
  await expect(client.fetchTime()).rejects.toBeInstanceOf(ccxt.NetworkError);
  expect(await client.fetchTime()).toBeGreaterThan(0);
});
