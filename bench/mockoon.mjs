// Scenario 7 (reference only): Mockoon CLI, what users would pick instead of this daemon, serving
// the daemon's tickers answer as one static route. @mockoon/cli is about 110 MB with its
// dependencies, so it is not a devDependency: the first `npm run bench` installs it with npm into
// node_modules/.cache/bybit-mock-bench/mockoon (gone with the next `npm ci`), and the run notes
// it as skipped when that fails (no registry, --no-mockoon).
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { ROOT, freePort, http, sleep, startProcess } from './lib.mjs';

const VERSION = '9';
const DIR = join(ROOT, 'node_modules/.cache/bybit-mock-bench/mockoon');
const BIN = join(DIR, 'node_modules/@mockoon/cli/bin/run.js');

async function ensureInstalled(log) {
  if (existsSync(BIN)) return;
  mkdirSync(DIR, { recursive: true });
  writeFileSync(join(DIR, 'package.json'), '{"name":"bybit-mock-bench-mockoon","private":true}\n');
  log?.(`  installing @mockoon/cli@${VERSION} into ${DIR} (once)...`);
  await promisify(execFile)(
    'npm',
    ['install', '--no-audit', '--no-fund', '--loglevel=error', `@mockoon/cli@${VERSION}`],
    { cwd: DIR, timeout: 180_000 },
  );
  if (!existsSync(BIN)) throw new Error('installed, but the mockoon-cli entry point is missing');
}

/** A Mockoon environment with one static GET route. */
function environment(path, body, port) {
  const id = (n) => `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`;
  return {
    uuid: id(1),
    lastMigration: 33,
    name: 'bybit-mock-bench',
    endpointPrefix: '',
    latency: 0,
    port,
    hostname: '127.0.0.1',
    folders: [],
    routes: [
      {
        uuid: id(2),
        type: 'http',
        documentation: '',
        method: 'get',
        endpoint: path.replace(/^\//, ''),
        responses: [
          {
            uuid: id(3),
            body,
            latency: 0,
            statusCode: 200,
            label: '',
            headers: [{ key: 'Content-Type', value: 'application/json' }],
            bodyType: 'INLINE',
            filePath: '',
            databucketID: '',
            sendFileAsBody: false,
            rules: [],
            rulesOperator: 'OR',
            disableTemplating: true,
            fallbackTo404: false,
            default: true,
            crudKey: 'id',
            callbacks: [],
          },
        ],
        responseMode: null,
        streamingMode: null,
        streamingInterval: 0,
      },
    ],
    rootChildren: [{ type: 'route', uuid: id(2) }],
    proxyMode: false,
    proxyHost: '',
    proxyRemovePrefix: false,
    tlsOptions: {
      enabled: false,
      type: 'CERT',
      pfxPath: '',
      certPath: '',
      keyPath: '',
      caPath: '',
      passphrase: '',
    },
    cors: true,
    headers: [],
    proxyReqHeaders: [],
    proxyResHeaders: [],
    data: [],
    callbacks: [],
  };
}

/**
 * Starts Mockoon on the tickers route with the daemon's captured answer. Resolves {url, version,
 * stop()} or {skipped: reason}.
 */
export async function startMockoon(tickersBody, log) {
  try {
    await ensureInstalled(log);
  } catch (e) {
    return { skipped: `not installable here (${String(e.message).split('\n')[0].slice(0, 120)})` };
  }
  const version = JSON.parse(
    readFileSync(join(DIR, 'node_modules/@mockoon/cli/package.json'), 'utf8'),
  ).version;
  const port = await freePort();
  const file = join(DIR, 'environment.json');
  writeFileSync(file, JSON.stringify(environment('/v5/market/tickers', JSON.stringify(tickersBody), port)));
  try {
    const p = await startProcess('mockoon', [BIN, 'start', '--data', file, '--disable-log-to-file'], {
      ready: /started on port|Server started/i,
      timeoutMs: 30_000,
    });
    const url = `http://127.0.0.1:${port}`;
    for (let i = 0; i < 100; i++) {
      const r = await http('GET', `${url}/v5/market/tickers`).catch(() => undefined);
      if (r?.status === 200) break;
      await sleep(20);
    }
    return { url, version, stop: () => p.stop() };
  } catch (e) {
    return { skipped: `did not start (${String(e.message).split('\n')[0].slice(0, 120)})` };
  }
}
