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
  });
  const api = client.urls['api'] as Record<string, unknown>;
  for (const k of CCXT_REST_URL_KEYS) api[k] = ex.restUrl;
  return client;
}

/**
 * A bybit-api RestClientV5 talking to `ex`, with the default account's keys unless given.
 *
 * Options set, and why: `key` / `secret` (the account's credentials) and `baseUrl` (the mock's
 * restUrl; it takes precedence over testnet/demo/region, client-call-patterns §1.2). Nothing else:
 * no time sync, no throwExceptions (non-zero retCodes resolve, so tests can read them).
 */
export function bybitApiRest(ex: RunningExchange, creds: ClientCredentials = {}): RestClientV5 {
  return new RestClientV5({
    key: creds.key ?? DEFAULT_KEY,
    secret: creds.secret ?? DEFAULT_SECRET,
    baseUrl: ex.restUrl,
  });
}
