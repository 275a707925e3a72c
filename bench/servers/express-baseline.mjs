// Baseline for the REST and latency scenarios: an Express app (the daemon's own Express version and
// settings: no etag, no x-powered-by) answering a fixed JSON at the daemon's routes. The bodies are
// the daemon's real answers captured at the start of the run, so both servers send the same bytes.
// With --ws it also accepts WebSocket connections on /v5/private and, on every order create, pushes
// a fixed execution frame to each of them before answering (as the daemon does).
// Usage: node express-baseline.mjs BODIES.json [--ws]
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import express from 'express';
import { WebSocketServer } from 'ws';

const bodies = JSON.parse(readFileSync(process.argv[2], 'utf8'));
const withWs = process.argv.includes('--ws');

const app = express();
app.disable('x-powered-by');
app.disable('etag');
app.set('query parser', false);

const sockets = new Set();
const frame = bodies.executionFrame ? Buffer.from(JSON.stringify(bodies.executionFrame)) : undefined;

app.post('/v5/order/create', (_req, res) => {
  if (frame) for (const ws of sockets) ws.send(frame);
  res.json(bodies.create);
});
app.get('/v5/market/tickers', (_req, res) => res.json(bodies.tickers));
app.get('/v5/market/orderbook', (_req, res) => res.json(bodies.orderbook));
app.get('/__admin/health', (_req, res) => res.json({ status: 'ok' }));

const server = createServer(app);
if (withWs) {
  const wss = new WebSocketServer({ server, path: '/v5/private' });
  wss.on('connection', (ws) => {
    ws.on('message', (data) => {
      // Acknowledge auth/subscribe as Bybit does (shape only; the benchmark waits for it).
      const req = JSON.parse(String(data));
      ws.send(
        JSON.stringify({ success: true, ret_msg: '', op: req.op, conn_id: 'baseline', req_id: req.req_id }),
      );
      if (req.op === 'subscribe') sockets.add(ws);
    });
    ws.on('close', () => sockets.delete(ws));
  });
}
server.listen(0, '127.0.0.1', () => {
  process.stdout.write(`listening http://127.0.0.1:${server.address().port}\n`);
});
process.on('SIGTERM', () => process.exit(0));
