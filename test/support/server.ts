/**
 * Starts a real daemon on 127.0.0.1 port 0 for a test file, silent, from a scenario (default:
 * the built-in one, or YAML text), and signs requests as a Bybit client does.
 */
import { pino } from 'pino';
import { afterAll, beforeAll, beforeEach } from 'vitest';
import { hmacHex } from '../../src/auth/signing.js';
import { startExchange, type RunningExchange, type StartOptions } from '../../src/runtime/start-exchange.js';

export const DEFAULT_KEY = 'mock-api-key';
export const DEFAULT_SECRET = 'mock-api-secret';
export const READONLY_KEY = 'mock-readonly-key';
export const READONLY_SECRET = 'mock-readonly-secret';

export async function startTestExchange(opts: StartOptions = {}): Promise<RunningExchange> {
  return startExchange({ host: '127.0.0.1', port: 0, logger: pino({ level: 'silent' }), ...opts });
}

/**
 * One daemon for the whole test file: started before the first test (handed to `set`), closed
 * after the last, and with `resetEach` reset to its scenario before every test.
 */
export function useTestExchange(
  opts: StartOptions,
  set: (ex: RunningExchange) => void,
  { resetEach = false }: { resetEach?: boolean } = {},
): void {
  let ex: RunningExchange | undefined;
  beforeAll(async () => {
    ex = await startTestExchange(opts);
    set(ex);
  });
  afterAll(async () => {
    await ex?.close();
  });
  if (resetEach) beforeEach(() => ex!.reset());
}

export interface SignedOptions {
  key?: string;
  secret?: string;
  /** Defaults to the server's clock (ex.clock.now()). */
  timestamp?: number | string;
  recvWindow?: number | string | null;
  /** Override the computed signature. */
  sign?: string;
  headers?: Record<string, string>;
}

// Reply bodies are asserted field by field in tests, so `any` keeps them readable.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export interface Reply<T = any> {
  status: number;
  headers: Headers;
  body: T;
  text: string;
}

async function toReply(res: Response): Promise<Reply> {
  const text = await res.text();
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    body = undefined;
  }
  return { status: res.status, headers: res.headers, body, text };
}

export async function getPublic(ex: RunningExchange, pathAndQuery: string): Promise<Reply> {
  return toReply(await fetch(ex.restUrl + pathAndQuery));
}

function authHeaders(ex: RunningExchange, payload: string, o: SignedOptions): Record<string, string> {
  const key = o.key ?? DEFAULT_KEY;
  const secret = o.secret ?? DEFAULT_SECRET;
  const ts = String(o.timestamp ?? ex.clock.now());
  const recv = o.recvWindow === null ? undefined : String(o.recvWindow ?? 5000);
  const sign = o.sign ?? hmacHex(secret, ts + key + (recv ?? '5000') + payload);
  const h: Record<string, string> = {
    'X-BAPI-API-KEY': key,
    'X-BAPI-TIMESTAMP': ts,
    'X-BAPI-SIGN': sign,
    ...(o.headers ?? {}),
  };
  if (recv !== undefined) h['X-BAPI-RECV-WINDOW'] = recv;
  return h;
}

/** A signed GET; `query` is sent and signed exactly as given (no re-encoding). */
export async function getSigned(
  ex: RunningExchange,
  path: string,
  query = '',
  o: SignedOptions = {},
): Promise<Reply> {
  const url = ex.restUrl + path + (query ? `?${query}` : '');
  return toReply(await fetch(url, { headers: authHeaders(ex, query, o) }));
}

/** A signed POST; `body` is sent and signed byte for byte (pass a string to control it exactly). */
export async function postSigned(
  ex: RunningExchange,
  path: string,
  body: unknown,
  o: SignedOptions = {},
): Promise<Reply> {
  const raw = typeof body === 'string' ? body : JSON.stringify(body);
  return toReply(
    await fetch(ex.restUrl + path, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', ...authHeaders(ex, raw, o) },
      body: raw,
    }),
  );
}

/**
 * Scenario lines that switch rate-limit enforcement off, for suites that fire many requests at
 * one instant of a manual clock to test something else (validation, bad input). Limits keep
 * being counted and reported in the headers.
 */
export const NO_RATE_LIMITS = 'rateLimits: { enabled: false }';

/** A small scenario on a manual clock: nothing moves unless the test advances it. */
export const MANUAL_CLOCK_START = Date.UTC(2026, 0, 5, 12, 0, 0);
export function manualScenarioYaml(extra = ''): string {
  return `
version: 1
seed: 7
clock:
  mode: manual
  start: ${MANUAL_CLOCK_START}
instruments:
  - { symbol: BTCUSDT, category: linear, baseCoin: BTC, quoteCoin: USDT, tickSize: "0.1", qtyStep: "0.001", minOrderQty: "0.001", maxOrderQty: "100", minNotional: "5" }
  - { symbol: BTCUSDT, category: spot, baseCoin: BTC, quoteCoin: USDT, tickSize: "0.01", qtyStep: "0.000001", minOrderQty: "0.000048", maxOrderQty: "70", minNotional: "1" }
market:
  BTCUSDT: { price: "50000", volatility: 0.5, tickInterval: 1s }
accounts:
  - { name: main, apiKey: ${DEFAULT_KEY}, apiSecret: ${DEFAULT_SECRET}, balances: { USDT: "10000", BTC: "0.5" } }
  - { name: viewer, apiKey: ${READONLY_KEY}, apiSecret: ${READONLY_SECRET}, permissions: read-only, balances: { USDT: "100" } }
${extra}`;
}

export interface AdminReply {
  status: number;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  body: any;
}

/**
 * One admin API call: `body` goes as JSON (a string as it is). Extra `headers` carry a bearer
 * token or a content type.
 */
export function adminFetch(
  ex: RunningExchange,
  method: string,
  path: string,
  body?: unknown,
  headers: Record<string, string> = {},
): Promise<Response> {
  const init: RequestInit = { method, headers: { ...headers } };
  if (body !== undefined) {
    init.headers = { 'Content-Type': 'application/json', ...headers };
    init.body = typeof body === 'string' ? body : JSON.stringify(body);
  }
  return fetch(ex.adminUrl + path, init);
}

/** adminFetch with the answer parsed as JSON. */
export async function adminRequest(
  ex: RunningExchange,
  method: string,
  path: string,
  body?: unknown,
  headers: Record<string, string> = {},
): Promise<AdminReply> {
  const res = await adminFetch(ex, method, path, body, headers);
  return { status: res.status, body: JSON.parse(await res.text()) };
}
