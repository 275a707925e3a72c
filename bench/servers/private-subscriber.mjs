// A private WebSocket subscriber in its own process (scenario 1): it authenticates, subscribes
// to the topics given and counts the frames it receives per topic, so the daemon pushes to a real
// client while the load generator's own process (which times the requests) does none of that
// work. Prints "ready" once subscribed; on SIGTERM prints {"counts": {...}} and exits.
// Usage: node private-subscriber.mjs <ws://host:port> <apiKey> <apiSecret> <topic,topic,...>
import WebSocket from 'ws';
import { wsAuthArgs } from '../lib.mjs';

const [base, key, secret, topicList] = process.argv.slice(2);
const topics = topicList.split(',');
const counts = {};
const ws = new WebSocket(`${base}/v5/private`, { perMessageDeflate: false });
let stage = 'auth';
ws.on('message', (data) => {
  const m = /"topic":"([a-z.]+)"/.exec(data.toString('latin1', 0, 96));
  if (m) {
    counts[m[1]] = (counts[m[1]] ?? 0) + 1;
    return;
  }
  const reply = JSON.parse(String(data));
  if (reply.success !== true) {
    console.error(`private ${stage} failed: ${JSON.stringify(reply)}`);
    process.exit(1);
  }
  if (stage === 'auth') {
    stage = 'subscribe';
    ws.send(JSON.stringify({ op: 'subscribe', args: topics }));
  } else if (stage === 'subscribe') {
    stage = 'streaming';
    console.log('ready');
  }
});
ws.on('open', () => ws.send(JSON.stringify({ op: 'auth', args: wsAuthArgs(key, secret) })));
ws.on('error', (err) => {
  console.error(String(err));
  process.exit(1);
});
process.on('SIGTERM', () => {
  console.log(JSON.stringify({ counts }));
  process.exit(0);
});
