/**
 * The composition root: builds clock, exchange, HTTP app and admin API from a config and a
 * scenario, and is the only place that listens. The CLI and every test call startExchange().
 */
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { join } from 'node:path';
import type { AddressInfo, Socket } from 'node:net';
import type { Logger } from 'pino';
import { stringify as stringifyYaml } from 'yaml';
import { createAdminRouter } from '../admin/admin-app.js';
import { AdminEventRelay } from '../admin/admin-events.js';
import { createAdminOpsRouter } from '../admin/admin-ops.js';
import { AdminClient } from '../client/admin-client.js';
import { packageRoot, resolveConfig, type ConfigInput, type DaemonConfig } from '../config/daemon-config.js';
import {
  loadScenarioFile,
  parseScenario,
  scenarioToSeed,
  type ScenarioLoadResult,
  type ScenarioProblem,
} from '../config/scenario/load.js';
import type { Scenario } from '../config/scenario/schema.js';
import { ManualClock, type Clock } from '../core/clock.js';
import { Exchange } from '../core/exchange.js';
import { createHttpApp } from '../http/app.js';
import { DEFAULT_HUB_OPTIONS, WsHub } from '../ws/hub.js';
import { Journal } from './journal.js';
import { createLogger } from './logger.js';
import { SystemClock } from './system-clock.js';

export class ScenarioLoadError extends Error {
  constructor(readonly problems: ScenarioProblem[]) {
    super(
      `scenario has ${problems.length} problem(s): ${problems.map((p) => `${p.file}:${p.line}:${p.column} ${p.path} ${p.message}`).join('; ')}`,
    );
    this.name = 'ScenarioLoadError';
  }
}

export interface StartOptions {
  /** Config sources below flags; the CLI passes env and file here, embedders usually nothing. */
  env?: ConfigInput;
  configFile?: string;
  /** Highest-precedence settings (flags, or an embedder's options). */
  port?: number;
  host?: string;
  seed?: number;
  logLevel?: DaemonConfig['logLevel'];
  logFormat?: DaemonConfig['logFormat'];
  /**
   * A scenario file path, `{yaml}` text, or `{object}` (the parsed form of a scenario file).
   * Default: the config's scenario (scenarios/default.yaml).
   */
  scenario?: string | { yaml: string; name?: string } | { object: Record<string, unknown>; name?: string };
  /** Bearer token required by /__admin (flag --admin-token). */
  adminToken?: string;
  /** A ready logger (tests pass a silent one). */
  logger?: Logger;
}

export interface RunningExchange {
  readonly restUrl: string;
  readonly wsUrl: string;
  readonly adminUrl: string;
  readonly host: string;
  readonly port: number;
  readonly config: DaemonConfig;
  /** The live exchange (replaced on reset: always read it through this getter). */
  readonly exchange: Exchange;
  readonly clock: Clock;
  readonly scenarioFile: string;
  /** A typed client for this daemon's admin API (with the admin token, when one is set). */
  readonly admin: AdminClient;
  reset(): void;
  close(): Promise<void>;
}

export function readPackageVersion(): string {
  const pkg = JSON.parse(readFileSync(join(packageRoot(), 'package.json'), 'utf8')) as { version?: string };
  return pkg.version ?? '0.0.0';
}

function loadScenario(
  source: StartOptions['scenario'],
  config: DaemonConfig,
): { result: ScenarioLoadResult; file: string } {
  if (source !== undefined && typeof source !== 'string') {
    const file = source.name ?? '<inline scenario>';
    // An object goes through the same loader as a file, so its problems are reported the same way.
    const text = 'yaml' in source ? source.yaml : stringifyYaml(source.object);
    return { result: parseScenario(text, file), file };
  }
  const file = source ?? config.scenario;
  return { result: loadScenarioFile(file), file };
}

interface Built {
  clock: Clock;
  exchange: Exchange;
}

function build(scenario: Scenario, config: DaemonConfig): Built {
  const { seed, clock: clockSpec } = scenarioToSeed(scenario, { now: Date.now(), seedOverride: config.seed });
  const clock: Clock =
    clockSpec.mode === 'manual'
      ? new ManualClock(clockSpec.startTime)
      : new SystemClock(clockSpec.fixedStart ? clockSpec.startTime : undefined, clockSpec.speed);
  const exchange = new Exchange({ ...seed, startTime: clock.now() }, clock);
  exchange.start();
  return { clock, exchange };
}

export async function startExchange(opts: StartOptions = {}): Promise<RunningExchange> {
  const flags: ConfigInput = {
    port: opts.port,
    host: opts.host,
    seed: opts.seed,
    logLevel: opts.logLevel,
    logFormat: opts.logFormat,
    scenario: typeof opts.scenario === 'string' ? opts.scenario : undefined,
    adminToken: opts.adminToken,
  };
  const config = resolveConfig({ file: opts.configFile, env: opts.env, flags });
  const loaded = loadScenario(opts.scenario, config);
  if (!loaded.result.ok) throw new ScenarioLoadError(loaded.result.problems);
  let scenario = loaded.result.scenario;
  let file = loaded.file;
  const logger = opts.logger ?? createLogger(config.logLevel, config.logFormat);
  const version = readPackageVersion();
  const startedAt = Date.now();

  let current = build(scenario, config);
  const events = new AdminEventRelay();
  events.attach(current.exchange, () => current.clock.now());
  const listening: { port: number | undefined } = { port: undefined };

  const journal = new Journal(config.journalSize);
  const hub = new WsHub({
    exchange: () => current.exchange,
    clock: () => current.clock,
    logger,
    journal: (e) =>
      journal.record({ time: current.clock.now(), transport: 'ws', status: 0, latencyMs: 0, ...e }),
    onConnection: (e) => events.emitConnection(current.clock.now(), e),
    options: {
      ...DEFAULT_HUB_OPTIONS,
      idleTimeoutMs: config.wsIdleTimeoutMs,
      maxBufferedBytes: config.wsMaxBufferedBytes,
      acceptWallClock: config.authClock === 'either',
    },
  });

  const reset = () => {
    current.exchange.stop();
    current = build(scenario, config);
    journal.clear();
    hub.reset();
    events.attach(current.exchange, () => current.clock.now());
    events.emitReset(current.clock.now());
    logger.info({ scenario: file }, 'state reset to the loaded scenario');
  };

  const app = createHttpApp({
    exchange: () => current.exchange,
    logger,
    options: {
      maxBodyBytes: config.maxBodyBytes,
      invalidKeyHttpStatus: config.invalidKeyHttpStatus,
      acceptWallClock: config.authClock === 'either',
    },
    journal: (e) => journal.record({ time: current.clock.now(), transport: 'rest', op: '', ...e }),
    mount: (a) =>
      a.use(
        '/__admin',
        createAdminOpsRouter({
          token: config.adminToken,
          journal,
          hub,
          events,
          version,
          exchange: () => current.exchange,
          scenario: () => ({ file, scenario }),
          loadScenario: (text) => {
            const r = parseScenario(text, '<admin upload>');
            if (!r.ok) return r.problems;
            scenario = r.scenario;
            file = '<admin upload>';
            reset();
            return [];
          },
        }),
        createAdminRouter({
          version,
          startedAt,
          uptimeMs: () => Date.now() - startedAt,
          ports: () => ({ http: listening.port }),
          exchange: () => current.exchange,
          clock: () => current.clock,
          reset,
        }),
      ),
  });

  const server: Server = createServer(app);
  const sockets = new Set<Socket>();
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  // WebSocket streams on Bybit's paths; any other upgrade is refused with 404.
  server.on('upgrade', (req, socket, head) => hub.handleUpgrade(req, socket, head));
  server.on('clientError', (_err, socket: Socket) => {
    if (socket.writable)
      socket.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
  });

  await new Promise<void>((resolveListen, rejectListen) => {
    server.once('error', rejectListen);
    server.listen(config.port, config.host, () => {
      server.off('error', rejectListen);
      resolveListen();
    });
  });
  const port = (server.address() as AddressInfo).port;
  listening.port = port;
  const hostForUrl = config.host.includes(':') ? `[${config.host}]` : config.host;
  const base = `${hostForUrl}:${port}`;
  logger.debug({ scenario: file, port }, 'listening');

  let closing: Promise<void> | undefined;
  return {
    restUrl: `http://${base}`,
    wsUrl: `ws://${base}`,
    adminUrl: `http://${base}/__admin`,
    admin: new AdminClient(`http://${base}/__admin`, { token: config.adminToken }),
    host: config.host,
    port,
    config,
    get exchange() {
      return current.exchange;
    },
    get clock() {
      return current.clock;
    },
    get scenarioFile() {
      return file;
    },
    reset,
    close() {
      closing ??= new Promise<void>((done) => {
        current.exchange.stop();
        hub.close();
        server.close(() => done());
        for (const s of sockets) s.destroy();
      });
      return closing;
    },
  };
}
