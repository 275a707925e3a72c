// Baseline for the start-up scenario: the least a Node.js server can do before it answers, a bare
// node:http server on a port given on the command line.
import { createServer } from 'node:http';

const server = createServer((_req, res) => res.end('{"status":"ok"}'));
server.listen(Number(process.argv[2] ?? 0), '127.0.0.1', () => {
  process.stdout.write(`listening http://127.0.0.1:${server.address().port}\n`);
});
process.on('SIGTERM', () => process.exit(0));
