/**
 * The npm package as a user gets it: `npm pack` (of the already built dist/), installed into a
 * clean directory, then `npx bybit-mock --version`, `schema` and `serve` to health and a clean
 * SIGTERM, `import { startExchange } from 'bybit-mock'`, and the shipped types under tsc.
 *
 * Slow (npm install reaches the registry, or its cache), so it has its own generous timeout.
 * It packs with --ignore-scripts: the prepack/prepare scripts would clean and rebuild dist/
 * while other test files run the CLI from it.
 */
import { spawn, spawnSync, type SpawnSyncReturns } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const ROOT = resolve(import.meta.dirname, '../..');
const PKG = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { name: string; version: string };
const NPM = process.platform === 'win32' ? 'npm.cmd' : 'npm';
const NPX = process.platform === 'win32' ? 'npx.cmd' : 'npx';
const INSTALL_TIMEOUT_MS = 180_000;

/** npm settings a CI may pass in the environment, kept for the nested npm; the rest of `npm_*` (set by `npm test` itself: prefix, lifecycle, package) is dropped. */
const KEEP_NPM =
  /^npm_config_(cache|registry|userconfig|globalconfig|cafile|strict_ssl|proxy|https_proxy|noproxy)$/i;

function cleanEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const k of Object.keys(env))
    if (
      k.startsWith('BYBIT_MOCK_') ||
      k.startsWith('NODE_TEST') ||
      (k.toLowerCase().startsWith('npm_') && !KEEP_NPM.test(k))
    )
      delete env[k];
  return { ...env, npm_config_update_notifier: 'false', npm_config_loglevel: 'error' };
}

function run(cmd: string, args: string[], cwd: string, timeout = 60_000): SpawnSyncReturns<string> {
  const r = spawnSync(cmd, args, { cwd, env: cleanEnv(), encoding: 'utf8', timeout });
  if (r.error) throw r.error;
  return r;
}

function ok(r: SpawnSyncReturns<string>, what: string): string {
  if (r.status !== 0) throw new Error(`${what} exited ${r.status}:\n${r.stdout}\n${r.stderr}`);
  return r.stdout;
}

interface PackFile {
  path: string;
}

let work: string;
let app: string;

beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), 'bybit-mock-pack-'));
  app = join(work, 'app');
  mkdirSync(app);
  const out = ok(
    run(NPM, ['pack', '--ignore-scripts', '--json', '--pack-destination', work], ROOT),
    'npm pack',
  );
  const [packed] = JSON.parse(out) as { filename: string }[];
  writeFileSync(
    join(app, 'package.json'),
    JSON.stringify({ name: 'consumer', version: '1.0.0', private: true, type: 'module' }),
  );
  ok(
    run(
      NPM,
      ['install', join(work, packed!.filename), '--no-audit', '--no-fund', '--prefer-offline'],
      app,
      INSTALL_TIMEOUT_MS,
    ),
    'npm install',
  );
}, INSTALL_TIMEOUT_MS + 30_000);

afterAll(() => {
  if (work) rmSync(work, { recursive: true, force: true });
});

describe('npm pack', () => {
  it('ships the CLI, built JS with types, scenarios, schema, config and docs, and no sources or tests', () => {
    const out = ok(run(NPM, ['pack', '--dry-run', '--ignore-scripts', '--json'], ROOT), 'npm pack --dry-run');
    const files = (JSON.parse(out) as { files: PackFile[] }[])[0]!.files.map((f) => f.path);
    for (const f of [
      'package.json',
      'README.md',
      'bin/bybit-mock.js',
      'dist/index.js',
      'dist/index.d.ts',
      'dist/cli/program.js',
      'dist/client/admin-client.js',
      'dist/client/admin-client.d.ts',
      'schema/scenario.schema.json',
      'scenarios/default.yaml',
      'config/defaults.yaml',
      'docs/admin-api.md',
    ])
      expect(files, f).toContain(f);
    const unwanted = files.filter(
      (f) =>
        /^(src|test|bench|examples|coverage|\.ci|node_modules)\//.test(f) ||
        f.endsWith('.map') ||
        f.endsWith('.ts') !== f.endsWith('.d.ts') ||
        f.endsWith('.tgz'),
    );
    expect(unwanted).toEqual([]);
  });
});

describe('the installed package', () => {
  const installed = () => join(app, 'node_modules', PKG.name);

  it('installs with its bin linked', () => {
    expect(existsSync(join(installed(), 'dist', 'index.js'))).toBe(true);
    expect(readdirSync(join(app, 'node_modules', '.bin'))).toContain('bybit-mock');
    expect(existsSync(join(installed(), 'src'))).toBe(false);
  });

  it('npx bybit-mock --version prints the package version', () => {
    expect(ok(run(NPX, ['bybit-mock', '--version'], app), '--version').trim()).toBe(PKG.version);
  });

  it('npx bybit-mock schema prints the shipped schema', () => {
    const printed = JSON.parse(ok(run(NPX, ['bybit-mock', 'schema'], app), 'schema')) as unknown;
    const shipped = JSON.parse(
      readFileSync(join(installed(), 'schema', 'scenario.schema.json'), 'utf8'),
    ) as unknown;
    expect(printed).toEqual(shipped);
  });

  /** Starts `serve` (in its own process group) and resolves with the REST URL it prints. */
  function serve(cmd: string, args: string[]) {
    const child = spawn(cmd, [...args, 'serve', '--port', '0', '--log-level', 'warn'], {
      cwd: app,
      env: cleanEnv(),
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    });
    const io = { out: '', err: '' };
    child.stderr.on('data', (d: Buffer) => (io.err += d.toString()));
    const exited = new Promise<number | null>((done) => child.on('exit', (code) => done(code)));
    const listening = new Promise<string>((found, fail) => {
      child.stdout.on('data', (d: Buffer) => {
        io.out += d.toString();
        const m = /^bybit-mock listening: REST (http:\/\/\S+)/m.exec(io.out);
        if (m) found(m[1]!);
      });
      void exited.then((code) => fail(new Error(`serve exited ${code}: ${io.out}${io.err}`)));
      setTimeout(() => fail(new Error(`serve did not start: ${io.out}${io.err}`)), 20_000);
    });
    const stop = () => {
      if (child.exitCode === null && child.signalCode === null) process.kill(-child.pid!, 'SIGKILL');
    };
    return { child, io, exited, listening, stop };
  }

  async function healthy(restUrl: string): Promise<void> {
    expect(restUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    const health = (await (await fetch(`${restUrl}/__admin/health`)).json()) as Record<string, unknown>;
    expect(health).toMatchObject({ status: 'ok', version: PKG.version });
    const ticker = (await (
      await fetch(`${restUrl}/v5/market/tickers?category=linear&symbol=BTCUSDT`)
    ).json()) as { retCode: number };
    expect(ticker.retCode).toBe(0);
  }

  /** Resolves with the ms until nothing answers on `restUrl` (or rejects after `limitMs`). */
  async function goneWithin(restUrl: string, limitMs: number): Promise<number> {
    const t0 = Date.now();
    while (Date.now() - t0 < limitMs) {
      try {
        await fetch(`${restUrl}/__admin/health`, { signal: AbortSignal.timeout(200) });
      } catch {
        return Date.now() - t0;
      }
      await new Promise((r) => setTimeout(r, 20));
    }
    throw new Error(`${restUrl} still answers after ${limitMs} ms`);
  }

  it('npx bybit-mock serve answers /__admin/health and stops within a second of SIGTERM to its process group', async () => {
    // npx runs the daemon under npm and a shell; a terminal's Ctrl-C or a CI runner signals the
    // whole group, as here (a SIGTERM to the npm process alone does not reach the daemon).
    const s = serve(NPX, ['bybit-mock']);
    try {
      const restUrl = await s.listening;
      await healthy(restUrl);
      process.kill(-s.child.pid!, 'SIGTERM');
      expect(await goneWithin(restUrl, 1000)).toBeLessThan(1000);
      await s.exited;
      expect(s.io.err).toMatch(/bybit-mock: SIGTERM received, shutting down/);
    } finally {
      s.stop();
    }
  }, 30_000);

  it('the installed bin exits 0 within a second of SIGTERM', async () => {
    const s = serve(process.execPath, [join(app, 'node_modules', '.bin', 'bybit-mock')]);
    try {
      const restUrl = await s.listening;
      await healthy(restUrl);
      const t0 = Date.now();
      s.child.kill('SIGTERM');
      expect(await s.exited).toBe(0);
      expect(Date.now() - t0).toBeLessThan(1000);
      await expect(fetch(`${restUrl}/__admin/health`)).rejects.toThrow();
    } finally {
      s.stop();
    }
  }, 30_000);

  it("import { startExchange } from 'bybit-mock' runs a daemon in-process with its admin client", () => {
    writeFileSync(
      join(app, 'embed.mjs'),
      `import { startExchange, AdminClient } from 'bybit-mock';
const mock = await startExchange({ port: 0, logLevel: 'silent' });
const state = await mock.admin.state();
const other = new AdminClient(mock.restUrl);
const health = await other.health();
await mock.close();
console.log(JSON.stringify({
  instruments: state.instruments.length,
  accounts: state.accounts.map((a) => a.name),
  health: health.status,
  client: typeof AdminClient,
  schema: import.meta.resolve('bybit-mock/schema/scenario.schema.json').endsWith('/schema/scenario.schema.json'),
}));
`,
    );
    const r = JSON.parse(ok(run(process.execPath, ['embed.mjs'], app), 'embed.mjs')) as Record<
      string,
      unknown
    >;
    expect(r).toEqual({
      instruments: 6,
      accounts: ['main', 'viewer'],
      health: 'ok',
      client: 'function',
      schema: true,
    });
  });

  it('ships types a TypeScript consumer compiles against', () => {
    writeFileSync(
      join(app, 'check.ts'),
      `import { startExchange, AdminApiError, type RunningExchange, type AdminEvent } from 'bybit-mock';
export async function f(): Promise<string> {
  const mock: RunningExchange = await startExchange({ port: 0, scenario: { yaml: 'version: 1' } });
  const order = await mock.admin.fillOrder('id', { qty: '0.01' });
  const status: string = order.orderStatus;
  const entries = await mock.admin.requests({ path: '/v5/order/create', limit: 5 });
  const code: number | undefined = entries[0]?.retCode;
  const stream = await mock.admin.events({ types: ['order'] });
  const e: AdminEvent = await stream.waitFor((x) => x.type === 'order');
  const err = new AdminApiError('GET', '/x', 404, { error: 'not_found', message: 'no' });
  return status + String(code) + e.type + err.code + String(err.status);
}
`,
    );
    const tsc = join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
    const r = run(
      process.execPath,
      [
        tsc,
        '--noEmit',
        '--strict',
        '--target',
        'es2022',
        '--module',
        'nodenext',
        '--moduleResolution',
        'nodenext',
        '--skipLibCheck',
        '--typeRoots',
        join(ROOT, 'node_modules', '@types'),
        '--types',
        'node',
        'check.ts',
      ],
      app,
    );
    expect(r.stdout + r.stderr).toBe('');
    expect(r.status).toBe(0);
  }, 60_000);
});
