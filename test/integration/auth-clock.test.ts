/**
 * authClock: with a virtual daemon clock (here: manual, months before the wall clock), real
 * clients that sign with the wall clock are accepted by default ("either") and refused with 10002
 * when the daemon is told to judge by its own clock only ("daemon"), as Bybit would.
 */
import { expect, test } from 'vitest';
import type { RunningExchange } from '../../src/runtime/start-exchange.js';
import { MANUAL_CLOCK_START, getSigned, manualScenarioYaml, startTestExchange } from '../support/server.js';
import { WsClient, authFrame } from '../support/ws.js';

async function withDaemon(
  authClock: 'either' | 'daemon',
  fn: (ex: RunningExchange) => Promise<void>,
  start = MANUAL_CLOCK_START,
) {
  const yaml = manualScenarioYaml().replace(`start: ${MANUAL_CLOCK_START}`, `start: ${start}`);
  const ex = await startTestExchange({
    scenario: { yaml, name: `auth-clock-${authClock}` },
    env: { authClock },
  });
  try {
    await fn(ex);
  } finally {
    await ex.close();
  }
}

test('either (default): wall-clock timestamps and expiries are accepted on a manual clock', async () => {
  await withDaemon('either', async (ex) => {
    expect(ex.clock.now()).toBeLessThan(Date.now() - 86_400_000);
    const wall = await getSigned(ex, '/v5/account/info', '', { timestamp: Date.now() });
    expect(wall.body.retCode).toBe(0);
    const daemon = await getSigned(ex, '/v5/account/info', '', { timestamp: ex.clock.now() });
    expect(daemon.body.retCode).toBe(0);
    // Neither clock's window: still 10002, naming the daemon's time.
    const stale = await getSigned(ex, '/v5/account/info', '', { timestamp: Date.now() - 60_000 });
    expect(stale.body.retCode).toBe(10002);
    expect(stale.body.retMsg).toContain(`server_timestamp[${ex.clock.now()}]`);

    const c = await WsClient.open(ex, '/v5/private');
    const ok = await c.request(authFrame(ex, { expires: Date.now() + 10_000 }), (f) => f?.op === 'auth');
    expect(ok).toMatchObject({ success: true });
    await c.close();
    const t = await WsClient.open(ex, '/v5/trade');
    await t.request(authFrame(ex), (f) => f?.op === 'auth');
    const reply = await t.request(
      {
        op: 'order.create',
        header: { 'X-BAPI-TIMESTAMP': String(Date.now()) },
        args: [
          {
            category: 'linear',
            symbol: 'BTCUSDT',
            side: 'Buy',
            orderType: 'Limit',
            qty: '0.001',
            price: '40000',
          },
        ],
      },
      (f) => f?.op === 'order.create',
    );
    expect(reply.retCode).toBe(0);
    await t.close();
  });
});

test('daemon: only the daemon clock counts (10002 and refused WS auth for wall-clock times)', async () => {
  // A daemon clock a day ahead of the wall clock: wall-clock expiries are in its past.
  const ahead = Date.now() + 86_400_000;
  await withDaemon(
    'daemon',
    async (ex) => {
      const wall = await getSigned(ex, '/v5/account/info', '', { timestamp: Date.now() });
      expect(wall.body.retCode).toBe(10002);
      expect((await getSigned(ex, '/v5/account/info', '', { timestamp: ex.clock.now() })).body.retCode).toBe(
        0,
      );
      const c = await WsClient.open(ex, '/v5/private');
      const refused = await c.request(
        authFrame(ex, { expires: Date.now() + 10_000 }),
        (f) => f?.op === 'auth',
      );
      expect(refused).toMatchObject({ success: false, ret_msg: 'Params Error' });
      const ok = await c.request(authFrame(ex), (f) => f?.op === 'auth');
      expect(ok).toMatchObject({ success: true });
      await c.close();
    },
    ahead,
  );
  // The same clock with the default: the wall-clock expiry passes.
  await withDaemon(
    'either',
    async (ex) => {
      const c = await WsClient.open(ex, '/v5/private');
      const ok = await c.request(authFrame(ex, { expires: Date.now() + 10_000 }), (f) => f?.op === 'auth');
      expect(ok).toMatchObject({ success: true });
      await c.close();
    },
    ahead,
  );
});
