/**
 * The built CLI as a user runs it: `bybit-mock serve`, `validate`, `init`, flags over env over
 * config file over defaults, and a clean exit on SIGTERM/SIGINT.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';

const ROOT = resolve(import.meta.dirname, '../..');
const BIN = join(ROOT, 'bin', 'bybit-mock.js');
const children: ChildProcess[] = [];

function cleanEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const k of Object.keys(env)) if (k.startsWith('BYBIT_MOCK_')) delete env[k];
  return { ...env, ...extra };
}

/** Starts `serve`, resolves with the listening line (or rejects with what it printed). */
function startServe(
  args: string[],
  env: Record<string, string> = {},
): Promise<{ child: ChildProcess; line: string; restUrl: string }> {
  const child = spawn(process.execPath, [BIN, 'serve', ...args], {
    env: cleanEnv(env),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.push(child);
  return new Promise((ok, fail) => {
    let out = '';
    let err = '';
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const line = out.split('\n').find((l) => l.startsWith('bybit-mock listening:'));
      const m = line && /REST (http:\/\/\S+)/.exec(line);
      if (line && m) ok({ child, line, restUrl: m[1]! });
    });
    child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
    child.on('exit', (code) => fail(new Error(`serve exited ${code}: ${out}${err}`)));
    setTimeout(() => fail(new Error(`serve did not start: ${out}${err}`)), 10_000);
  });
}

function exitOf(child: ChildProcess): Promise<{ code: number | null; ms: number }> {
  const t0 = Date.now();
  return new Promise((ok) => child.on('exit', (code) => ok({ code, ms: Date.now() - t0 })));
}

afterEach(() => {
  for (const c of children.splice(0)) if (c.exitCode === null) c.kill('SIGKILL');
});

describe('bybit-mock serve', () => {
  it('prints one line with the REST, WS and admin URLs and serves the default scenario on --port 0', async () => {
    const { line, restUrl } = await startServe(['--port', '0', '--log-level', 'silent']);
    expect(line).toMatch(
      /REST http:\/\/127\.0\.0\.1:\d+ {2}WS ws:\/\/127\.0\.0\.1:\d+\/v5\/public\/.+admin http:\/\/127\.0\.0\.1:\d+\/__admin$/,
    );
    const res = await fetch(`${restUrl}/v5/market/instruments-info?category=linear`);
    const body = (await res.json()) as { result: { list: { symbol: string }[] } };
    expect(body.result.list.map((i) => i.symbol)).toEqual(['BTCUSDT', 'ETHUSDT', 'SOLUSDT']);
  });

  it('exits 0 within a second of SIGTERM, and of SIGINT, even with a client connection open', async () => {
    for (const signal of ['SIGTERM', 'SIGINT'] as const) {
      const { child, restUrl } = await startServe(['--port', '0', '--log-level', 'silent']);
      const keepAlive = await fetch(`${restUrl}/__admin/health`, { keepalive: true });
      expect(keepAlive.status).toBe(200);
      const exited = exitOf(child);
      child.kill(signal);
      const { code, ms } = await exited;
      expect(code).toBe(0);
      expect(ms).toBeLessThan(1000);
    }
  });

  it('takes flags over environment variables over the config file over the defaults', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'bybit-mock-cli-'));
    const cfg = join(dir, 'mock.yaml');
    writeFileSync(cfg, 'port: 1\nseed: 5\nlogLevel: silent\n');
    // The file says port 1; env overrides with 0 (free port); the flag overrides the seed.
    const { restUrl } = await startServe(['--config', cfg, '--seed', '9'], {
      BYBIT_MOCK_PORT: '0',
      BYBIT_MOCK_SEED: '8',
    });
    const state = (await (await fetch(`${restUrl}/__admin/state`)).json()) as { seed: number };
    expect(state.seed).toBe(9);
    const { restUrl: second } = await startServe(['--config', cfg], {
      BYBIT_MOCK_PORT: '0',
      BYBIT_MOCK_SEED: '8',
    });
    const state2 = (await (await fetch(`${second}/__admin/state`)).json()) as { seed: number };
    expect(state2.seed).toBe(8);
  });

  it('refuses an invalid scenario with every problem and its line and column, without a stack trace', () => {
    const dir = mkdtempSync(join(tmpdir(), 'bybit-mock-cli-'));
    const file = join(dir, 'bad.yaml');
    writeFileSync(file, 'version: 1\ninstruments: []\nbogus: true\n');
    const r = spawnSync(process.execPath, [BIN, 'serve', '--scenario', file, '--port', '0'], {
      env: cleanEnv(),
      encoding: 'utf8',
    });
    expect(r.status).toBe(1);
    expect(r.stderr).toContain(`${file}:3:1`);
    expect(r.stderr).toContain('bogus');
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });

  it('explains a bad flag value and a busy port instead of crashing', async () => {
    const bad = spawnSync(process.execPath, [BIN, 'serve', '--port', 'eighty'], {
      env: cleanEnv(),
      encoding: 'utf8',
    });
    expect(bad.status).not.toBe(0);
    expect(bad.stderr).toContain('--port must be an integer');
    const { restUrl } = await startServe(['--port', '0', '--log-level', 'silent']);
    const port = new URL(restUrl).port;
    const busy = spawnSync(process.execPath, [BIN, 'serve', '--port', port], {
      env: cleanEnv(),
      encoding: 'utf8',
    });
    expect(busy.status).toBe(1);
    expect(busy.stderr).toContain('already in use');
    expect(busy.stderr).not.toMatch(/\n\s+at /);
  });

  it('logs one JSON line per request with method, path, status, latency and account, and never the key or signature', async () => {
    const child = spawn(process.execPath, [BIN, 'serve', '--port', '0', '--log-format', 'json'], {
      env: cleanEnv(),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    children.push(child);
    let out = '';
    child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
    const restUrl = await new Promise<string>((ok) => {
      const timer = setInterval(() => {
        // The listening line is JSON too: `{"msg":"bybit-mock listening","restUrl":...}`.
        const m = /"restUrl":"(http:\/\/[^"]+)"/.exec(out);
        if (m) {
          clearInterval(timer);
          ok(m[1]!);
        }
      }, 20);
    });
    await fetch(`${restUrl}/v5/market/time`);
    await fetch(`${restUrl}/v5/account/wallet-balance?accountType=UNIFIED`, {
      headers: {
        'X-BAPI-API-KEY': 'mock-api-key',
        'X-BAPI-TIMESTAMP': String(Date.now()),
        'X-BAPI-SIGN': 'deadbeef',
      },
    });
    await fetch(`${restUrl}/__admin/health`);
    await new Promise((r) => setTimeout(r, 200));
    // Every line on stdout is JSON (a container's log collector parses them all).
    const lines = out
      .split('\n')
      .filter((l) => l.trim() !== '')
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines.find((l) => l.msg === 'bybit-mock listening')?.adminUrl).toBe(`${restUrl}/__admin`);
    const time = lines.find((l) => l.path === '/v5/market/time');
    expect(time).toMatchObject({ method: 'GET', status: 200, msg: 'request' });
    expect(typeof time!.latencyMs).toBe('number');
    expect(lines.filter((l) => l.path === '/v5/market/time')).toHaveLength(1);
    // The signed request names its account; an admin request its full path.
    expect(lines.find((l) => l.path === '/v5/account/wallet-balance')).toMatchObject({ msg: 'request' });
    expect(lines.find((l) => l.path === '/__admin/health')).toMatchObject({ method: 'GET', status: 200 });
    expect(out).not.toContain('deadbeef');
    expect(out).not.toContain('mock-api-secret');
  });
});

describe('bybit-mock validate and init', () => {
  it('validate exits 0 for the default scenario and 1 naming file:line:col for a broken one', () => {
    const ok = spawnSync(process.execPath, [BIN, 'validate', join(ROOT, 'scenarios', 'default.yaml')], {
      encoding: 'utf8',
    });
    expect(ok.status).toBe(0);
    expect(ok.stdout).toContain('default.yaml: ok');
    const dir = mkdtempSync(join(tmpdir(), 'bybit-mock-cli-'));
    const file = join(dir, 'broken.yaml');
    writeFileSync(
      file,
      'version: 1\ninstruments:\n  - symbol: BTCUSDT\n    category: linear\n    tickSise: "0.1"\n',
    );
    const bad = spawnSync(process.execPath, [BIN, 'validate', file], { encoding: 'utf8' });
    expect(bad.status).toBe(1);
    expect(bad.stderr).toContain(`${file}:5:5  instruments[0].tickSise  unknown key 'tickSise'`);
  });

  it('init writes a scenario that validates and serves', () => {
    const dir = mkdtempSync(join(tmpdir(), 'bybit-mock-cli-'));
    const file = join(dir, 'mine.yaml');
    const init = spawnSync(process.execPath, [BIN, 'init', file], { encoding: 'utf8' });
    expect(init.status).toBe(0);
    const check = spawnSync(process.execPath, [BIN, 'validate', file], { encoding: 'utf8' });
    expect(check.status).toBe(0);
  });

  it('prints its version', () => {
    const r = spawnSync(process.execPath, [BIN, '--version'], { encoding: 'utf8' });
    expect(r.stdout.trim()).toMatch(/^\d+\.\d+\.\d+$/);
  });
});
