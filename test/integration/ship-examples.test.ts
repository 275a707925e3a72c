/**
 * The shipped recipes work as written: the node:test strategy example runs green, the compose
 * bot waits for the mock's health and trades, the health check command of the image and of the
 * compose file tells a live daemon from a missing one, and the Dockerfile, docker-compose and
 * GitHub Actions examples only use configuration the daemon knows.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join, resolve } from 'node:path';
import { pino } from 'pino';
import { parse as parseYaml } from 'yaml';
import { describe, expect, it } from 'vitest';
import { envInput } from '../../src/config/daemon-config.js';
import { startExchange } from '../../src/index.js';

const ROOT = resolve(import.meta.dirname, '../..');
const read = (rel: string) => readFileSync(join(ROOT, rel), 'utf8');

function cleanEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const k of Object.keys(env))
    if (k.startsWith('BYBIT_MOCK_') || k.startsWith('NODE_TEST')) delete env[k];
  return { ...env, ...extra };
}

async function freePort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((ok) => srv.listen(0, '127.0.0.1', ok));
  const { port } = srv.address() as { port: number };
  await new Promise<void>((ok) => srv.close(() => ok()));
  return port;
}

/** Every BYBIT_MOCK_* name in `text`, and the ones the daemon does not read. */
function unknownEnvNames(text: string): { names: string[]; unknown: string[] } {
  const names = [...new Set(text.match(/BYBIT_MOCK_[A-Z_]+/g) ?? [])];
  // BYBIT_MOCK_URL is the examples' (and `bybit-mock admin`'s) client-side setting.
  const unknown = names.filter(
    (n) => n !== 'BYBIT_MOCK_URL' && Object.keys(envInput({ [n]: '1' })).length === 0,
  );
  return { names, unknown };
}

describe('examples/node-test: a ccxt strategy tested against the embedded mock', () => {
  it('runs green under node --test', () => {
    const r = spawnSync(process.execPath, ['--test', 'examples/node-test/strategy.test.mjs'], {
      cwd: ROOT,
      env: cleanEnv(),
      encoding: 'utf8',
      timeout: 60_000,
    });
    expect(r.stderr + r.stdout).toMatch(/# pass 2\n/);
    expect(r.stdout).toMatch(/# fail 0\n/);
    expect(r.status).toBe(0);
  }, 60_000);
});

describe('examples/bot: the docker-compose bot', () => {
  it('waits until the mock is healthy, trades, and exits 0', async () => {
    const port = await freePort();
    const bot = spawn(process.execPath, [join(ROOT, 'examples/bot/bot.mjs')], {
      env: cleanEnv({ BYBIT_MOCK_URL: `http://127.0.0.1:${port}`, BOT_WAIT_MS: '30000' }),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    bot.stdout.on('data', (d: Buffer) => (out += d.toString()));
    bot.stderr.on('data', (d: Buffer) => (err += d.toString()));
    const exited = new Promise<number | null>((ok) => bot.on('exit', (code) => ok(code)));
    // The bot starts first and has to wait for the mock.
    await new Promise((r) => setTimeout(r, 600));
    const ex = await startExchange({ host: '127.0.0.1', port, logger: pino({ level: 'silent' }) });
    try {
      const code = await exited;
      expect(err).toBe('');
      expect(code).toBe(0);
      const events = out
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l) as { event: string; attempts?: number; contracts?: number });
      expect(events.map((e) => e.event)).toEqual(['mock-ready', 'bought', 'position', 'closed']);
      expect(events[0]!.attempts).toBeGreaterThan(1);
      expect(events[2]!.contracts).toBe(0.01);

      const creates = await ex.admin.requests({ path: '/v5/order/create' });
      expect(creates.map((c) => [c.account, c.retCode, (c.params as { side: string }).side])).toEqual([
        ['main', 0, 'Sell'],
        ['main', 0, 'Buy'],
      ]);
      expect(await ex.admin.positions('main')).toEqual([]);
    } finally {
      if (bot.exitCode === null) bot.kill('SIGKILL');
      await ex.close();
    }
  }, 60_000);
});

describe('health check commands', () => {
  /** The exec-form command array of the Dockerfile's HEALTHCHECK. */
  function dockerfileHealthCmd(): string[] {
    const m = /HEALTHCHECK[^\n]*\\\n\s*CMD (\[.*\])/.exec(read('Dockerfile'));
    expect(m).not.toBeNull();
    return JSON.parse(m![1]!) as string[];
  }

  function composeHealthCmd(): string[] {
    const compose = parseYaml(read('docker-compose.example.yml')) as {
      services: Record<string, { healthcheck?: { test: string[] } }>;
    };
    const test = compose.services['bybit-mock']!.healthcheck!.test;
    expect(test[0]).toBe('CMD');
    return test.slice(1);
  }

  /** Runs the command (async: the daemon answering it runs in this process) and gives its exit code. */
  function runs(cmd: string[], port: number): Promise<number | null> {
    expect(cmd[0]).toBe('node');
    const child = spawn(process.execPath, cmd.slice(1), {
      env: cleanEnv({ BYBIT_MOCK_PORT: String(port) }),
      stdio: 'ignore',
      timeout: 10_000,
    });
    return new Promise((ok) => child.on('exit', (code) => ok(code)));
  }

  it('pass on the configured port of a live daemon and fail when nothing listens', async () => {
    const ex = await startExchange({ host: '127.0.0.1', port: 0, logger: pino({ level: 'silent' }) });
    const gone = await freePort();
    try {
      for (const cmd of [dockerfileHealthCmd(), composeHealthCmd()]) {
        expect(await runs(cmd, ex.port)).toBe(0);
        expect(await runs(cmd, gone)).toBe(1);
      }
    } finally {
      await ex.close();
    }
  });
});

describe('Dockerfile, docker-compose and GitHub Actions examples', () => {
  it('the Dockerfile runs as non-root on 0.0.0.0 with JSON logs, exposes its port and copies what exists', () => {
    const text = read('Dockerfile');
    const final = text.slice(text.lastIndexOf('\nFROM '));
    expect(final).toMatch(/^FROM node:\S+/m);
    expect(final).toMatch(/^USER node$/m);
    expect(final).toMatch(/BYBIT_MOCK_HOST=0\.0\.0\.0/);
    expect(final).toMatch(/BYBIT_MOCK_LOG_FORMAT=json/);
    const port = /BYBIT_MOCK_PORT=(\d+)/.exec(final)?.[1];
    expect(final).toMatch(new RegExp(`^EXPOSE ${port}$`, 'm'));
    expect(final).toMatch(/--omit=dev/);
    expect(unknownEnvNames(text).unknown).toEqual([]);
    for (const m of text.matchAll(/^COPY (?!--from)(.+) \S+$/gm))
      for (const src of m[1]!.split(' ')) expect(existsSync(join(ROOT, src)), src).toBe(true);
    // The build context leaves out what the image does not need.
    const ignored = read('.dockerignore').split('\n');
    for (const p of ['node_modules', 'dist', 'test', '.git']) expect(ignored).toContain(p);
  });

  it('docker-compose.example.yml: the mock with its scenarios mounted at /scenarios, and a bot waiting on its health', () => {
    const { unknown } = unknownEnvNames(read('docker-compose.example.yml'));
    expect(unknown).toEqual([]);
    const compose = parseYaml(read('docker-compose.example.yml')) as {
      services: Record<string, Record<string, unknown>>;
    };
    expect(Object.keys(compose.services).sort()).toEqual(['bot', 'bybit-mock']);
    const mock = compose.services['bybit-mock'] as {
      build: string;
      environment: Record<string, string>;
      volumes: string[];
      ports: string[];
    };
    expect(existsSync(join(ROOT, mock.build, 'Dockerfile'))).toBe(true);
    const [hostDir, target] = mock.volumes[0]!.split(':');
    expect(target).toBe('/scenarios');
    const scenario = mock.environment.BYBIT_MOCK_SCENARIO!;
    expect(scenario.startsWith('/scenarios/')).toBe(true);
    expect(existsSync(join(ROOT, hostDir!, scenario.slice('/scenarios/'.length)))).toBe(true);
    expect(mock.ports).toEqual(['8080:8080']);

    const bot = compose.services.bot as {
      build: string;
      environment: Record<string, string>;
      depends_on: Record<string, { condition: string }>;
    };
    expect(bot.depends_on).toEqual({ 'bybit-mock': { condition: 'service_healthy' } });
    expect(bot.environment.BYBIT_MOCK_URL).toBe('http://bybit-mock:8080');
    for (const f of ['Dockerfile', 'bot.mjs', 'package.json'])
      expect(existsSync(join(ROOT, bot.build, f)), f).toBe(true);
    // The bot pins the ccxt this repository tests with.
    const botPkg = JSON.parse(read(join(bot.build, 'package.json'))) as {
      dependencies: Record<string, string>;
    };
    const rootPkg = JSON.parse(read('package.json')) as { devDependencies: Record<string, string> };
    expect(botPkg.dependencies.ccxt).toBe(rootPkg.devDependencies.ccxt);
  });

  it('examples/github-actions.yml runs the mock as a service container on port 8080', () => {
    const text = read('examples/github-actions.yml');
    expect(unknownEnvNames(text).unknown).toEqual([]);
    const wf = parseYaml(text) as {
      jobs: Record<
        string,
        { services: Record<string, { image: string; ports: string[] }>; steps: unknown[] }
      >;
    };
    const job = Object.values(wf.jobs)[0]!;
    const svc = job.services['bybit-mock']!;
    expect(svc.image).toMatch(/bybit-mock/);
    expect(svc.ports).toEqual(['8080:8080']);
    expect(JSON.stringify(job.steps)).toMatch(/__admin\/scenario/);
  });
});
