/**
 * A client that stops reading is dropped once its send queue passes wsMaxBufferedBytes, and the
 * other clients keep receiving. @see docs/websocket.md (Connections)
 */
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { expect, test } from 'vitest';
import { WebSocket } from 'ws';
import type { ManualClock } from '../../src/core/clock.js';
import { manualScenarioYaml, startTestExchange } from '../support/server.js';
import { WsClient } from '../support/ws.js';

test('a client that stops reading is terminated at the queue limit; a reading client is not', async () => {
  const lines: string[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      lines.push(chunk.toString('utf8'));
      done();
    },
  });
  const ex = await startTestExchange({
    scenario: { yaml: manualScenarioYaml(), name: 'ws-slow' },
    env: { wsMaxBufferedBytes: 65536 },
    logger: pino({ level: 'warn' }, sink),
  });
  try {
    const stuck = new WebSocket(`${ex.wsUrl}/v5/public/linear`);
    await new Promise((r) => stuck.once('open', r));
    const closed = new Promise<number>((r) => stuck.once('close', (code) => r(code)));
    stuck.send(JSON.stringify({ op: 'subscribe', args: ['orderbook.1000.BTCUSDT', 'publicTrade.BTCUSDT'] }));
    const reader = await WsClient.open(ex, '/v5/public/linear');
    await reader.request({ op: 'subscribe', args: ['tickers.BTCUSDT'] }, (f) => f?.op === 'subscribe');
    await new Promise((r) => setTimeout(r, 50));
    // Stop reading: the kernel buffers fill, then the daemon's queue for this client grows.
    (stuck as unknown as { _socket: { pause(): void } })._socket.pause();
    const clock = ex.clock as ManualClock;
    for (let i = 0; i < 20_000 && !lines.some((l) => l.includes('slow websocket consumer dropped')); i++) {
      clock.advance(1000);
      await new Promise((r) => setImmediate(r));
    }
    expect(lines.some((l) => l.includes('slow websocket consumer dropped'))).toBe(true);
    (stuck as unknown as { _socket: { resume(): void } })._socket.resume();
    expect(await closed).toBe(1006);
    // The reading client is still served.
    await reader.sync();
    clock.advance(1000);
    const f = await reader.next((x) => x.topic === 'tickers.BTCUSDT');
    expect(f.type).toBe('delta');
    await reader.close();
  } finally {
    await ex.close();
  }
});
