/**
 * Real Bybit clients (ccxt and bybit-api) pointed at a running mock daemon, configured the way a
 * user would: base URL and keys only, nothing that hides a mock problem.
 * @see ../shared/reference/client-call-patterns.md §1, ../shared/reference/bybit-v5-facts.md §9
 */
import { Agent } from 'node:http';
import ccxt from 'ccxt';
import { RestClientV5, WebsocketAPIClient, WebsocketClient, type DefaultLogger, type WsKey } from 'bybit-api';
import type { RunningExchange } from '../../src/runtime/start-exchange.js';
import { DEFAULT_KEY, DEFAULT_SECRET, manualScenarioYaml } from './server.js';

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

// ---- WebSocket clients ----------------------------------------------------------------------------

/**
 * A scenario for WebSocket e2e tests (server.ts manualScenarioYaml) on the REAL clock, starting
 * now, with a fast simulator tick. Real clients take WS auth `expires` and the trade ops'
 * X-BAPI-TIMESTAMP from the wall clock, and the daemon checks them against its own clock, so the
 * two must agree; the fast tick makes the market move (book deltas, trades, candles) within a
 * test.
 */
export function realClockScenarioYaml(tickInterval = '100ms', extra = ''): string {
  const yaml = manualScenarioYaml(extra);
  const manualClock = /^clock:\n\s+mode: manual\n\s+start: \d+\n/m;
  const tick = /tickInterval: 1s/;
  if (!manualClock.test(yaml) || !tick.test(yaml)) {
    throw new Error('realClockScenarioYaml: the base scenario no longer has the expected clock/tick lines');
  }
  return yaml.replace(manualClock, '').replace(tick, `tickInterval: ${tickInterval}`);
}

/** The mock's stream URLs on Bybit's paths (facts §8.1). */
export function wsUrls(ex: RunningExchange) {
  const w = ex.wsUrl;
  return {
    spot: `${w}/v5/public/spot`,
    linear: `${w}/v5/public/linear`,
    inverse: `${w}/v5/public/inverse`,
    option: `${w}/v5/public/option`,
    private: `${w}/v5/private`,
    trade: `${w}/v5/trade`,
  };
}

/**
 * A ccxt.pro bybit client (REST and WebSocket) talking to `ex`, with the default account's keys
 * unless given. Everything ccxtBybit sets for REST, plus:
 * - `httpAgent: new http.Agent()`: ccxt.pro refuses ws:// URLs in Node without one
 *   ("NotSupported: bybit to use proxy with non-ssl ws:// urls", client-call-patterns §1.1); the
 *   alternative is `await exchange.loadHttpProxyAgent()` once before the first watch.
 * - `urls.api.ws`: every stream URL replaced, keeping Bybit's paths. ccxt tells spot books and
 *   trades from contract ones by `spot` in the connection URL, and the private URL must contain
 *   `v5/private` (otherwise ccxt subscribes the USDC topics). The trade URL (`private.trade`,
 *   used by createOrderWs/editOrderWs/cancelOrderWs) is hard-coded to stream.bybit.com in ccxt,
 *   so it must be set too. `private.usdc` and `private.spot.nonUnified` are set only so that no
 *   code path can reach the real exchange.
 */
export function ccxtProBybit(
  ex: RunningExchange,
  creds: ClientCredentials = {},
): InstanceType<typeof ccxt.pro.bybit> {
  const client = new ccxt.pro.bybit({
    apiKey: creds.key ?? DEFAULT_KEY,
    secret: creds.secret ?? DEFAULT_SECRET,
    enableRateLimit: false,
    httpAgent: new Agent(),
    ...(creds.recvWindow !== undefined ? { options: { recvWindow: creds.recvWindow } } : {}),
  });
  const api = client.urls['api'] as Record<string, unknown>;
  for (const k of CCXT_REST_URL_KEYS) api[k] = ex.restUrl;
  const u = wsUrls(ex);
  api['ws'] = {
    public: { spot: u.spot, linear: u.linear, inverse: u.inverse, option: u.option },
    private: {
      spot: { unified: u.private, nonUnified: u.private },
      contract: u.private,
      usdc: u.private,
      trade: u.trade,
    },
  };
  return client;
}

/** bybit-api loggers print every connection event to the console; tests keep them quiet. */
export const SILENT_BYBIT_LOGGER: DefaultLogger = {
  trace: () => undefined,
  info: () => undefined,
  error: () => undefined,
};

/**
 * bybit-api's WebsocketClient with one URL per stream. The client's only URL option, `wsUrl`,
 * replaces the URL of EVERY connection it opens (public spot, public linear, private and trade
 * alike: client-call-patterns §1.3), and the mock, like Bybit, serves each stream on its own
 * path. So the lookup `getWsUrl(wsKey)` is overridden to map each wsKey to the mock's path.
 */
export class MockWebsocketClient extends WebsocketClient {
  constructor(
    private readonly urls: Partial<Record<WsKey, string>>,
    options: ConstructorParameters<typeof WebsocketClient>[0] = {},
    logger: DefaultLogger = SILENT_BYBIT_LOGGER,
  ) {
    super(options, logger);
  }

  protected override async getWsUrl(wsKey: WsKey): Promise<string> {
    const url = this.urls[wsKey];
    if (!url) throw new Error(`MockWebsocketClient: no mock URL for wsKey ${wsKey}`);
    return url;
  }
}

/** The wsKey -> mock URL map for MockWebsocketClient. */
export function bybitApiWsUrls(ex: RunningExchange): Partial<Record<WsKey, string>> {
  const u = wsUrls(ex);
  return {
    v5SpotPublic: u.spot,
    v5LinearPublic: u.linear,
    v5InversePublic: u.inverse,
    v5OptionPublic: u.option,
    v5Private: u.private,
    v5PrivateTrade: u.trade,
  };
}

/**
 * A bybit-api WebsocketClient on every mock stream, with the default account's keys unless given.
 * `extra` adds client options (tests use it only for heartbeat timing) and `logger` replaces the
 * silent one.
 */
export function bybitApiWs(
  ex: RunningExchange,
  creds: ClientCredentials = {},
  extra: ConstructorParameters<typeof WebsocketClient>[0] = {},
  logger: DefaultLogger = SILENT_BYBIT_LOGGER,
): MockWebsocketClient {
  return new MockWebsocketClient(
    bybitApiWsUrls(ex),
    {
      key: creds.key ?? DEFAULT_KEY,
      secret: creds.secret ?? DEFAULT_SECRET,
      ...(creds.recvWindow !== undefined ? { recvWindow: creds.recvWindow } : {}),
      ...extra,
    },
    logger,
  );
}

/**
 * A bybit-api WebsocketAPIClient (order entry over /v5/trade). It only ever opens the trade
 * connection, so the single `wsUrl` option is enough here; `attachEventListeners: false` only
 * stops it logging connection events to the console.
 */
export function bybitApiWsApi(ex: RunningExchange, creds: ClientCredentials = {}): WebsocketAPIClient {
  return new WebsocketAPIClient(
    {
      key: creds.key ?? DEFAULT_KEY,
      secret: creds.secret ?? DEFAULT_SECRET,
      wsUrl: wsUrls(ex).trade,
      attachEventListeners: false,
      ...(creds.recvWindow !== undefined ? { recvWindow: creds.recvWindow } : {}),
    },
    SILENT_BYBIT_LOGGER,
  );
}

// ---- waiting for asynchronous events ----------------------------------------------------------------

/** `p`, or a rejection naming `what` after `ms` (a watch that never resolves fails, not hangs). */
export async function within<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms waiting for ${what}`)), ms);
  });
  try {
    return await Promise.race([p, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Everything a client received, in order, with waiters: `waitFor` resolves with the first entry
 * at or after `from` (default: the start) that matches, already there or still to come.
 */
export class EventLog<T> {
  readonly entries: T[] = [];
  private waiters: { pred: (e: T) => boolean; from: number; resolve: (e: T) => void }[] = [];

  push(e: T): void {
    const i = this.entries.push(e) - 1;
    this.waiters = this.waiters.filter((w) => {
      if (i < w.from || !w.pred(e)) return true;
      w.resolve(e);
      return false;
    });
  }

  /** The index the next entry will get (a `from` for waiting on what comes next). */
  get mark(): number {
    return this.entries.length;
  }

  find(pred: (e: T) => boolean, from = 0): T | undefined {
    return this.entries.slice(from).find(pred);
  }

  waitFor(pred: (e: T) => boolean, what: string, ms = 3000, from = 0): Promise<T> {
    const found = this.find(pred, from);
    if (found !== undefined) return Promise.resolve(found);
    const p = new Promise<T>((resolve) => this.waiters.push({ pred, from, resolve }));
    return within(p, ms, what);
  }
}

/** Resolves once `pred()` holds, polling every 10 ms; rejects naming `what` after `ms`. */
export async function until(pred: () => boolean, what: string, ms = 3000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!pred()) {
    if (Date.now() >= deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}
