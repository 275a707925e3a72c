import { test } from 'vitest';
import { Big } from '../../src/core/decimal.js';
import { getSigned, manualScenarioYaml, postSigned, startTestExchange } from '../support/server.js';

test('probe', async () => {
  const ex = await startTestExchange({ scenario: { yaml: manualScenarioYaml() } });
  const e = ex.exchange;
  e.adminSetPosition('main', 'linear', 'BTCUSDT', { side: 'Buy', size: Big('0.01'), avgPrice: Big('50000') });
  const r = await postSigned(ex, '/v5/order/create', { category: 'linear', symbol: 'BTCUSDT', side: 'Sell', orderType: 'Limit', qty: '0.01', price: '60000', reduceOnly: true });
  console.log(r.body.retCode, r.body.retMsg);
  e.adminSetPosition('main', 'linear', 'BTCUSDT', { side: 'Buy', size: Big('0.004'), avgPrice: Big('50000') });
  console.log(JSON.stringify(e.adminOrders({})[0]));
  try { console.log(JSON.stringify(e.adminFill(r.body.result.orderId))); } catch (err) { console.log('ERR', err); }
  const p = await getSigned(ex, '/v5/position/list', 'category=linear&symbol=BTCUSDT');
  console.log(JSON.stringify(p.body.result.list[0]));
  // set position to 0 while reduce-only order open
  await ex.close();
});
