/**
 * What the core is built from: plain, already-validated data. The scenario loader (config/)
 * turns a YAML file into this; tests may build it directly. Decimals are strings.
 */
import type { FaultSpec, NetworkSettings } from './faults/faults.js';
import type { Retention } from './accounts/account.js';
import type { RateLimitOverrides } from './limits/rate-limits.js';
import type { RuleSpec } from './rules/rules.js';
import type { TimelineEntry } from './timeline/timeline.js';
import type { InstrumentStatus, TradedCategory } from './types.js';

export interface InstrumentSpec {
  symbol: string;
  category: TradedCategory;
  baseCoin: string;
  quoteCoin: string;
  /** Linear: the margin coin (USDT). Spot: equals quoteCoin. */
  settleCoin: string;
  status: InstrumentStatus;
  tickSize: string;
  /** Linear: qtyStep. Spot: basePrecision. */
  qtyStep: string;
  minOrderQty: string;
  maxOrderQty: string;
  /** Largest market order; defaults to maxOrderQty. */
  maxMarketOrderQty: string;
  /** Linear: minNotionalValue. Spot: minOrderAmt (quote coin). */
  minNotional: string;
  /** Spot: maxOrderAmt. Linear: unused. */
  maxNotional: string;
  minPrice: string;
  maxPrice: string;
  /** Linear only; spot uses "1". */
  maxLeverage: string;
  makerFee: string;
  takerFee: string;
  /** ms epoch of listing, as a string. */
  launchTime: string;
  /** Linear: funding interval in minutes (480 = 8 h). */
  fundingIntervalMinutes: number;
}

export interface BookSpec {
  /** Levels kept per side (the deepest orderbook a client can ask for). */
  depth: number;
  /** Distance from mid to best bid and best ask, in ticks (>= 1 each side). */
  spreadTicks: number;
  /** Price step between consecutive levels, in ticks. */
  levelGapTicks: number;
  /** Typical size of one level, in the base coin; actual sizes vary around it. */
  levelQty: string;
}

export interface MarketSpec {
  /** Starting last price. */
  price: string;
  /** Annualised volatility as a fraction (0.6 = 60 % a year). */
  volatility: number;
  /** Simulator step in ms: prices, trades and the book move once per tick. */
  tickIntervalMs: number;
  /** Mean number of simulated public trades per tick. */
  tradesPerTick: number;
  /** Typical simulated trade size in the base coin. */
  tradeQty: string;
  book: BookSpec;
  /** Funding rate shown on linear tickers and used for settlement. */
  fundingRate: string;
}

export type AccountPermission = 'trade' | 'read-only';

export interface PositionSpec {
  category: 'linear';
  symbol: string;
  side: 'Buy' | 'Sell';
  size: string;
  avgPrice: string;
  leverage?: string;
  positionIdx?: 0 | 1 | 2;
}

export interface AccountSpec {
  name: string;
  apiKey: string;
  apiSecret: string;
  permissions: AccountPermission;
  /** coin -> wallet balance */
  balances: Record<string, string>;
  positions: PositionSpec[];
  /** symbol -> leverage (linear) */
  leverage: Record<string, string>;
}

export interface ExchangeSeed {
  /** Seeds every random stream (prices, trades, books, ids). */
  seed: number;
  /** ms epoch at which the simulation starts; history lies before it. */
  startTime: number;
  instruments: InstrumentSpec[];
  /** Keyed by symbol: spot and linear instruments of the same symbol share one price path. */
  markets: Record<string, MarketSpec>;
  accounts: AccountSpec[];
  /** Scripted answers (scenario `rules:`); none by default. */
  rules?: RuleSpec[];
  /** Network trouble on demand (scenario `faults:`); none by default. */
  faults?: FaultSpec[];
  /** Network conditions for everything at once (scenario `network:`). */
  network?: Partial<NetworkSettings>;
  /** Clock skew: the time the server tells and judges requests by is off by this much, ms. */
  skewMs?: number;
  /** Rate-limit settings over Bybit's defaults (scenario `rateLimits:`). */
  rateLimits?: RateLimitOverrides;
  /** How much closed history each account keeps (scenario `retention:`); absent fields: the defaults. */
  retention?: Partial<Retention>;
  /** Things that happen by themselves (scenario `timeline:`), durations in ms. */
  timeline?: TimelineEntry[];
}
