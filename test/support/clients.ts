/**
 * Real Bybit clients (ccxt and bybit-api) pointed at a running mock daemon, configured the way a
 * user would: base URL and keys only, nothing that hides a mock problem.
 * @see ../shared/reference/client-call-patterns.md §1, ../shared/reference/bybit-v5-facts.md §9
 */
import ccxt from 'ccxt';
import { RestClientV5 } from 'bybit-api';
import type { RunningExchange } from '../../src/runtime/start-exchange.js';
import { DEFAULT_KEY, DEFAULT_SECRET } from './server.js';

export interface ClientCredentials {
  key?: string;
  secret?: string;
  /**
   * X-BAPI-RECV-WINDOW in ms (ccxt `options.recvWindow`, bybit-api `recv_window`); client default
   * 5000 when absent. Only for a manual-clock daemon, see MANUAL_CLOCK_RECV_WINDOW.
   */
  recvWindow?: number;
}

/**
 * Real clients sign with the wall clock, while a manual-clock daemon checks the recv window
 * against its simulated time (server - recvWindow <= timestamp < server + 1000, facts §3.3). A
 * frozen server clock falls behind the wall clock as the test runs, which would soon push client
 * timestamps past the 1 s future tolerance. So a test that drives real clients against a manual
 * clock starts the simulation ahead of the wall clock (manualClockAheadYaml) and gives the
 * clients a recv window wider than that lead plus every advance the test makes.
 *
 * The start is the first 01:00, 09:00 or 17:00 UTC at least a minute from now: one hour past a
 * funding settlement (every 8 h from 00:00 UTC), so every run starts at the same phase of the
 * funding cycle, and a test advancing the clock by minutes never crosses a settlement.
 */
const HOUR_MS = 3_600_000;
const FUNDING_INTERVAL_MS = 8 * HOUR_MS;
const MIN_LEAD_MS = 60_000;
/** Covers the largest lead (8 h + 1 min) with room for about 50 minutes of advances. */
export const MANUAL_CLOCK_RECV_WINDOW = 9 * HOUR_MS;

export function manualClockStart(now: number = Date.now()): number {
  const earliest = now + MIN_LEAD_MS;
  return Math.ceil((earliest - HOUR_MS) / FUNDING_INTERVAL_MS) * FUNDING_INTERVAL_MS + HOUR_MS;
}

/** A manual-clock scenario YAML (server.ts manualScenarioYaml) restarted at manualClockStart(). */
export function manualClockAheadYaml(yaml: string): string {
  const fixed = /^(\s*)start: \d+$/m;
  if (!fixed.test(yaml)) throw new Error('manualClockAheadYaml: no numeric clock start in the scenario');
  return yaml.replace(fixed, `$1start: ${manualClockStart()}`);
}

/** Every REST key of ccxt's bybit `urls.api` (facts §9.2); v5 calls use only public/private. */
const CCXT_REST_URL_KEYS = ['spot', 'futures', 'v2', 'public', 'private'] as const;

/**
 * A ccxt.bybit REST client talking to `ex`, with the default account's keys unless given.
 *
 * Options set, and why:
 * - `apiKey` / `secret`: the scenario account's credentials (so loadMarkets() also sends the
 *   private coin/query-info, and private calls run ccxt's account-type probe, as for a real user).
 * - `enableRateLimit: false`: ccxt's throttler only spaces requests (cost x 20 ms); switching it
 *   off keeps the suite fast and changes no request.
 * - `urls.api.*`: every REST base URL key set to the mock's restUrl (no trailing slash; ccxt
 *   builds `base + '/' + path`), after construction as facts §9.2 shows.
 * - `options.recvWindow`: only when `creds.recvWindow` is given (manual-clock daemons).
 *
 * Deliberately NOT set: `options.enableUnifiedAccount` / `enableUnifiedMargin` (the
 * query-api + account/info probe must work), `has.fetchCurrencies` (coin/query-info must work),
 * `options.fetchMarkets.types` (spot, linear, inverse and option instrument requests must all be
 * answered), sandbox/demo modes (they would replace the URL overrides).
 */
export function ccxtBybit(
  ex: RunningExchange,
  creds: ClientCredentials = {},
): InstanceType<typeof ccxt.bybit> {
  const client = new ccxt.bybit({
    apiKey: creds.key ?? DEFAULT_KEY,
    secret: creds.secret ?? DEFAULT_SECRET,
    enableRateLimit: false,
    ...(creds.recvWindow !== undefined ? { options: { recvWindow: creds.recvWindow } } : {}),
  });
  const api = client.urls['api'] as Record<string, unknown>;
  for (const k of CCXT_REST_URL_KEYS) api[k] = ex.restUrl;
  return client;
}

/**
 * A bybit-api RestClientV5 talking to `ex`, with the default account's keys unless given.
 *
 * Options set, and why: `key` / `secret` (the account's credentials) and `baseUrl` (the mock's
 * restUrl; it takes precedence over testnet/demo/region, client-call-patterns §1.2), and
 * `recv_window` only when `creds.recvWindow` is given (manual-clock daemons). Nothing else: no time
 * sync, no throwExceptions (non-zero retCodes resolve, so tests can read them).
 */
export function bybitApiRest(ex: RunningExchange, creds: ClientCredentials = {}): RestClientV5 {
  return new RestClientV5({
    key: creds.key ?? DEFAULT_KEY,
    secret: creds.secret ?? DEFAULT_SECRET,
    baseUrl: ex.restUrl,
    ...(creds.recvWindow !== undefined ? { recv_window: creds.recvWindow } : {}),
  });
}
