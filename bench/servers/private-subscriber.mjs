// A private WebSocket subscriber in its own process (scenario 1): authenticated with the bench
// account's key, subscribed to the topics given, counting the frames it receives per topic, so
// the daemon pushes to a real client while the load generator's own process (which times the
// requests) does none of that work. Prints "ready" once subscribed; on SIGTERM prints
// {"counts": {...}} and exits.
// Usage: node private-subscriber.mjs <ws://host:port> <topic,topic,...>
import { privateClient } from '../scenario-rest.mjs';

const [base, topicList] = process.argv.slice(2);
const sub = await privateClient(base, topicList.split(','));
console.log('ready');
process.on('SIGTERM', () => {
  sub.counts.delete('reply');
  console.log(JSON.stringify({ counts: Object.fromEntries(sub.counts) }));
  process.exit(0);
});
