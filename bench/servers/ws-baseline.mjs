// Baseline for the WebSocket fan-out scenario: a bare `ws` server that broadcasts one
// pre-serialised 250-byte frame to every subscribed client, as fast as the clients take it.
// POST /start begins broadcasting, POST /stop ends it. Each loop turn sends BURST frames to every
// client, then yields to the event loop (and waits while any client has more than LIMIT queued),
// which is how the daemon's market ticks arrive too: a few ticks, then I/O.
import { createServer } from 'node:http';
import { WebSocketServer } from 'ws';

const BURST = 10;
const LIMIT = 512 * 1024;

const body =
  '{"topic":"orderbook.50.BTCUSDT","type":"delta","ts":1767225600000,"data":{"s":"BTCUSDT","b":[["89999.9","0.052"]],"a":[["90000.1","0.047"]],"u":123456,"seq":7890123},"cts":1767225600000}';
const FRAME = Buffer.from(body.padEnd(250 - 1, ' ') + '\n');
if (FRAME.length !== 250) throw new Error(`frame is ${FRAME.length} bytes`);

const clients = new Set();
let running = false;

function pump() {
  if (!running) return;
  for (let k = 0; k < BURST; k++) for (const ws of clients) ws.send(FRAME);
  let max = 0;
  for (const ws of clients) if (ws.bufferedAmount > max) max = ws.bufferedAmount;
  if (max > LIMIT) setTimeout(pump, 1);
  else setImmediate(pump);
}

const server = createServer((req, res) => {
  if (req.method === 'POST' && req.url === '/start') {
    if (!running) {
      running = true;
      setImmediate(pump);
    }
  } else if (req.method === 'POST' && req.url === '/stop') running = false;
  res.end('{}');
});
const wss = new WebSocketServer({ server, perMessageDeflate: false });
wss.on('connection', (ws) => {
  ws.on('message', (data) => {
    const req = JSON.parse(String(data));
    ws.send(
      JSON.stringify({ success: true, ret_msg: '', conn_id: 'baseline', req_id: req.req_id, op: req.op }),
    );
    if (req.op === 'subscribe') clients.add(ws);
  });
  ws.on('close', () => clients.delete(ws));
});
server.listen(0, '127.0.0.1', () => {
  process.stdout.write(`listening http://127.0.0.1:${server.address().port}\n`);
});
process.on('SIGTERM', () => process.exit(0));
