/**
 * Daemon configuration: defaults from config/defaults.yaml, then a --config file, then
 * environment variables, then flags. Validated once, frozen, passed down. This is the only
 * module that reads process.env.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse as parseYaml } from 'yaml';

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];
export const LOG_FORMATS = ['auto', 'json', 'pretty'] as const;
export type LogFormat = (typeof LOG_FORMATS)[number];

export interface DaemonConfig {
  readonly host: string;
  readonly port: number;
  /** Absolute path of the scenario file. */
  readonly scenario: string;
  readonly seed: number | undefined;
  readonly logLevel: LogLevel;
  readonly logFormat: LogFormat;
  readonly maxBodyBytes: number;
  readonly invalidKeyHttpStatus: 200 | 401;
  /**
   * Which clock judges request timestamps and WS auth expiry: `daemon` only, or `either` the
   * daemon's or the wall clock (so real clients work with a manual or shifted daemon clock).
   */
  readonly authClock: 'daemon' | 'either';
  /** When set, /__admin requests (but health) need `Authorization: Bearer <token>`. */
  readonly adminToken: string | undefined;
  /** Requests kept in the journal (GET /__admin/requests); 0 turns it off. */
  readonly journalSize: number;
  /** WebSocket connections silent this long are closed (Bybit: 10 minutes). */
  readonly wsIdleTimeoutMs: number;
  /** A WebSocket client with more than this queued (it stopped reading) is dropped. */
  readonly wsMaxBufferedBytes: number;
}

/** Raw values as they arrive from any source (strings from env/flags, typed from YAML). */
export type ConfigInput = Partial<Record<keyof DaemonConfig, unknown>>;

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`invalid configuration:\n  ${problems.join('\n  ')}`);
    this.name = 'ConfigError';
  }
}

/** The package root (holds package.json), found from this module in src/ or dist/. */
export function packageRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 6; i++) {
    if (existsSync(join(dir, 'package.json')) && existsSync(join(dir, 'config', 'defaults.yaml'))) return dir;
    dir = dirname(dir);
  }
  throw new Error(
    'bybit-mock: cannot find the package root (config/defaults.yaml) from ' + fileURLToPath(import.meta.url),
  );
}

export const DEFAULTS_FILE = (): string => join(packageRoot(), 'config', 'defaults.yaml');
export const DEFAULT_SCENARIO_FILE = (): string => join(packageRoot(), 'scenarios', 'default.yaml');

const ENV_KEYS: Record<string, keyof DaemonConfig> = {
  BYBIT_MOCK_HOST: 'host',
  BYBIT_MOCK_PORT: 'port',
  BYBIT_MOCK_SCENARIO: 'scenario',
  BYBIT_MOCK_SEED: 'seed',
  BYBIT_MOCK_LOG_LEVEL: 'logLevel',
  BYBIT_MOCK_LOG_FORMAT: 'logFormat',
  BYBIT_MOCK_MAX_BODY_BYTES: 'maxBodyBytes',
  BYBIT_MOCK_INVALID_KEY_STATUS: 'invalidKeyHttpStatus',
  BYBIT_MOCK_WS_IDLE_TIMEOUT_MS: 'wsIdleTimeoutMs',
  BYBIT_MOCK_ADMIN_TOKEN: 'adminToken',
  BYBIT_MOCK_AUTH_CLOCK: 'authClock',
  BYBIT_MOCK_JOURNAL_SIZE: 'journalSize',
  BYBIT_MOCK_WS_MAX_BUFFERED_BYTES: 'wsMaxBufferedBytes',
};

export function envInput(env: NodeJS.ProcessEnv = process.env): ConfigInput {
  const out: ConfigInput = {};
  for (const [name, key] of Object.entries(ENV_KEYS)) {
    const v = env[name];
    if (v !== undefined && v !== '') out[key] = v;
  }
  return out;
}

function readYamlObject(file: string, what: string): ConfigInput {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new ConfigError([
      `${what} ${file} cannot be read: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`,
    ]);
  }
  let value: unknown;
  try {
    value = parseYaml(text);
  } catch (e) {
    throw new ConfigError([`${what} ${file} is not valid YAML: ${(e as Error).message.split('\n')[0]}`]);
  }
  if (value === null || value === undefined) return {};
  if (typeof value !== 'object' || Array.isArray(value))
    throw new ConfigError([`${what} ${file} must be a YAML mapping of keys to values`]);
  const known = new Set(Object.values(ENV_KEYS));
  const unknown = Object.keys(value).filter((k) => !known.has(k as keyof DaemonConfig));
  if (unknown.length > 0) {
    throw new ConfigError(
      unknown.map((k) => `${what} ${file}: unknown key '${k}'; expected one of ${[...known].join(', ')}`),
    );
  }
  return value as ConfigInput;
}

function intFrom(v: unknown): number | undefined {
  if (typeof v === 'number' && Number.isSafeInteger(v)) return v;
  if (typeof v === 'string' && /^\d+$/.test(v.trim())) return Number.parseInt(v, 10);
  return undefined;
}

/**
 * Merges sources (lowest first) and validates. `cwd` resolves a relative scenario path.
 * Reports every problem at once.
 */
export function resolveConfig(opts: {
  file?: string;
  env?: ConfigInput;
  flags?: ConfigInput;
  cwd?: string;
}): DaemonConfig {
  const cwd = opts.cwd ?? process.cwd();
  const merged: ConfigInput = { ...readYamlObject(DEFAULTS_FILE(), 'defaults file') };
  if (opts.file) Object.assign(merged, readYamlObject(resolve(cwd, opts.file), 'config file'));
  for (const src of [opts.env ?? {}, opts.flags ?? {}]) {
    for (const [k, v] of Object.entries(src)) if (v !== undefined) (merged as Record<string, unknown>)[k] = v;
  }

  const problems: string[] = [];
  const host = typeof merged.host === 'string' && merged.host.trim() !== '' ? merged.host.trim() : undefined;
  if (!host)
    problems.push(
      `host must be a non-empty interface address such as 127.0.0.1, got ${JSON.stringify(merged.host)}`,
    );
  const port = intFrom(merged.port);
  if (port === undefined || port > 65535)
    problems.push(`port must be an integer from 0 to 65535, got ${JSON.stringify(merged.port)}`);
  const seedRaw = merged.seed;
  const seed = seedRaw === null || seedRaw === undefined || seedRaw === '' ? undefined : intFrom(seedRaw);
  if (seedRaw !== null && seedRaw !== undefined && seedRaw !== '' && seed === undefined) {
    problems.push(`seed must be a whole number >= 0, got ${JSON.stringify(seedRaw)}`);
  }
  const logLevel = merged.logLevel;
  if (!(LOG_LEVELS as readonly unknown[]).includes(logLevel))
    problems.push(`logLevel must be one of ${LOG_LEVELS.join(', ')}, got ${JSON.stringify(logLevel)}`);
  const logFormat = merged.logFormat;
  if (!(LOG_FORMATS as readonly unknown[]).includes(logFormat))
    problems.push(`logFormat must be one of ${LOG_FORMATS.join(', ')}, got ${JSON.stringify(logFormat)}`);
  const maxBodyBytes = intFrom(merged.maxBodyBytes);
  if (maxBodyBytes === undefined || maxBodyBytes < 1024)
    problems.push(`maxBodyBytes must be an integer >= 1024, got ${JSON.stringify(merged.maxBodyBytes)}`);
  const status = intFrom(merged.invalidKeyHttpStatus);
  if (status !== 200 && status !== 401)
    problems.push(
      `invalidKeyHttpStatus must be 200 or 401, got ${JSON.stringify(merged.invalidKeyHttpStatus)}`,
    );
  const wsIdleTimeoutMs = intFrom(merged.wsIdleTimeoutMs);
  if (wsIdleTimeoutMs === undefined || wsIdleTimeoutMs < 1000)
    problems.push(
      `wsIdleTimeoutMs must be an integer >= 1000, got ${JSON.stringify(merged.wsIdleTimeoutMs)}`,
    );
  const wsMaxBufferedBytes = intFrom(merged.wsMaxBufferedBytes);
  if (wsMaxBufferedBytes === undefined || wsMaxBufferedBytes < 65536)
    problems.push(
      `wsMaxBufferedBytes must be an integer >= 65536, got ${JSON.stringify(merged.wsMaxBufferedBytes)}`,
    );
  const journalSize = intFrom(merged.journalSize);
  if (journalSize === undefined || journalSize > 1_000_000)
    problems.push(
      `journalSize must be an integer from 0 to 1000000, got ${JSON.stringify(merged.journalSize)}`,
    );
  const authClock = merged.authClock;
  if (authClock !== 'daemon' && authClock !== 'either')
    problems.push(`authClock must be daemon or either, got ${JSON.stringify(authClock)}`);
  const tokenRaw = merged.adminToken;
  if (tokenRaw !== undefined && tokenRaw !== null && typeof tokenRaw !== 'string')
    problems.push('adminToken must be a string');
  const adminToken = typeof tokenRaw === 'string' && tokenRaw.trim() !== '' ? tokenRaw.trim() : undefined;
  const scenarioRaw = typeof merged.scenario === 'string' ? merged.scenario.trim() : '';
  if (merged.scenario !== undefined && merged.scenario !== null && typeof merged.scenario !== 'string')
    problems.push('scenario must be a file path');
  if (problems.length > 0) throw new ConfigError(problems);

  return Object.freeze({
    host: host!,
    port: port!,
    scenario: scenarioRaw === '' ? DEFAULT_SCENARIO_FILE() : resolve(cwd, scenarioRaw),
    seed,
    logLevel: logLevel as LogLevel,
    logFormat: logFormat as LogFormat,
    maxBodyBytes: maxBodyBytes!,
    invalidKeyHttpStatus: status as 200 | 401,
    authClock: authClock as 'daemon' | 'either',
    adminToken,
    journalSize: journalSize!,
    wsIdleTimeoutMs: wsIdleTimeoutMs!,
    wsMaxBufferedBytes: wsMaxBufferedBytes!,
  });
}
