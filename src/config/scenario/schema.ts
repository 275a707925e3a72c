/**
 * Scenario file format v1, written once with TypeBox. The same schema object serves three uses:
 * the static `Scenario` type, the loader's structural validation (load.ts walks it and writes its own
 * short messages from `errorMessage`), and the JSON Schema printed for editors (yaml-language-server,
 * which also shows `errorMessage` and `description`).
 *
 * Only structure lives here. Rules that span fields (multiples of qtyStep, cross references between
 * market, instruments and accounts, duplicates) are checked in load.ts.
 */
import { Type, type Static, type TLiteral, type TSchema } from '@sinclair/typebox';
import { INSTRUMENT_STATUSES, TRADED_CATEGORIES } from '../../core/types.js';
import { DURATION_PATTERN } from '../duration.js';

export const SCENARIO_VERSION = 1;

/** Unsigned decimal text. Signs and exponents are not allowed in strings: they are always a typo. */
const UNSIGNED_DECIMAL_PATTERN = '^[0-9]+(\\.[0-9]+)?$';
const SIGNED_DECIMAL_PATTERN = '^-?[0-9]+(\\.[0-9]+)?$';
const SYMBOL_PATTERN = '^[A-Z0-9]+$';
const COIN_PATTERN = '^[A-Z0-9]+$';
/** A date, or a date-time with an explicit zone: a zoneless time would depend on the host's TZ. */
const ISO_TIME_PATTERN =
  '^[0-9]{4}-[0-9]{2}-[0-9]{2}(T[0-9]{2}:[0-9]{2}(:[0-9]{2}(\\.[0-9]+)?)?(Z|[+-][0-9]{2}:?[0-9]{2}))?$';

// ---------------------------------------------------------------------------------------------
// Building blocks. Each carries the `errorMessage` the loader prints (followed by ", got X").

/** A decimal written as a string (preferred: exact) or a YAML number (converted with String()). */
function decimal(description: string, opts: { signed?: boolean; default?: string } = {}) {
  const expected = opts.signed
    ? 'expected a decimal string such as "0.1" or "-0.1"'
    : 'expected a non-negative decimal string such as "0.1"';
  return Type.Union(
    [
      Type.String({ pattern: opts.signed ? SIGNED_DECIMAL_PATTERN : UNSIGNED_DECIMAL_PATTERN }),
      opts.signed ? Type.Number() : Type.Number({ minimum: 0 }),
    ],
    { description, errorMessage: expected, ...(opts.default === undefined ? {} : { default: opts.default }) },
  );
}

/** A duration: whole milliseconds, or text such as "250ms", "1s", "1.5s", "5m", "2h", "1d". */
function duration(description: string, defaultValue: string) {
  return Type.Union([Type.String({ pattern: DURATION_PATTERN }), Type.Integer({ minimum: 0 })], {
    description,
    default: defaultValue,
    errorMessage: 'expected a duration such as "500ms", "1s", "5m" or "8h" (or whole milliseconds)',
  });
}

/** A closed set of strings; the loader lists the allowed values when a value is not one of them. */
function stringEnum<const T extends readonly string[]>(
  values: T,
  description: string,
  defaultValue?: T[number],
) {
  return Type.Union(values.map((v) => Type.Literal(v)) as TLiteral<T[number]>[], {
    description,
    errorMessage: `expected one of: ${values.join(', ')}`,
    ...(defaultValue === undefined ? {} : { default: defaultValue }),
  });
}

function symbol(description: string) {
  return Type.String({
    pattern: SYMBOL_PATTERN,
    description,
    errorMessage: 'expected an uppercase symbol such as "BTCUSDT" (letters A-Z and digits only)',
  });
}

function coin(description: string) {
  return Type.String({
    pattern: COIN_PATTERN,
    description,
    errorMessage: 'expected an uppercase coin such as "USDT" (letters A-Z and digits only)',
  });
}

function nonEmptyString(description: string) {
  return Type.String({ minLength: 1, description, errorMessage: 'expected a non-empty string' });
}

/**
 * A map whose keys match `keyPattern`. `propertyNames` (standard JSON Schema) lets editors flag bad
 * keys; the loader uses its `errorMessage` for the same purpose.
 */
function recordOf<V extends TSchema>(keyPattern: string, keyMessage: string, value: V, description: string) {
  return Type.Record(Type.String({ pattern: keyPattern }), value, {
    description,
    additionalProperties: false,
    propertyNames: { pattern: keyPattern, errorMessage: keyMessage },
  });
}

/** Every object rejects unknown keys: a misspelt key must be an error, never silently ignored. */
function strictObject<P extends Record<string, TSchema>>(properties: P, description: string) {
  return Type.Object(properties, { description, additionalProperties: false });
}

// ---------------------------------------------------------------------------------------------
// Sections.

export const ClockSchema = strictObject(
  {
    mode: Type.Optional(
      stringEnum(
        ['real', 'manual'] as const,
        'real: simulated time follows the wall clock (times speed). manual: time moves only when the admin API advances it.',
        'real',
      ),
    ),
    start: Type.Optional(
      Type.Union([Type.String({ pattern: ISO_TIME_PATTERN }), Type.Integer({ minimum: 0 })], {
        description:
          'Fixed start time of the simulation: an ISO-8601 time with a zone ("2026-01-01T00:00:00Z") or a ms epoch integer. Absent: the time the daemon boots.',
        errorMessage:
          'expected an ISO-8601 time with a zone such as "2026-01-01T00:00:00Z", or a ms epoch integer',
      }),
    ),
    speed: Type.Optional(
      Type.Number({
        exclusiveMinimum: 0,
        default: 1,
        description:
          'Real-time multiplier in real mode: 2 runs simulated time twice as fast as the wall clock.',
      }),
    ),
    skewMs: Type.Optional(
      Type.Integer({
        minimum: -86400000,
        maximum: 86400000,
        description:
          'Clock skew: the time the server tells clients and judges request timestamps by is off by this many ms (provokes 10002 for clients that do not sync). See docs/faults.md.',
      }),
    ),
  },
  'How simulated time moves. Optional: defaults to real time starting now.',
);

export const InstrumentSchema = strictObject(
  {
    symbol: symbol('Instrument symbol, uppercase letters and digits, unique within its category.'),
    category: stringEnum(TRADED_CATEGORIES, 'Product category: spot or linear (USDT perpetual).'),
    baseCoin: coin('Base coin, e.g. BTC.'),
    quoteCoin: coin('Quote coin, e.g. USDT.'),
    settleCoin: Type.Optional(
      coin(
        'Settlement (margin) coin. Linear: defaults to quoteCoin. Spot: must be absent or equal quoteCoin.',
      ),
    ),
    status: Type.Optional(
      stringEnum(INSTRUMENT_STATUSES, 'Trading status shown by instruments-info.', 'Trading'),
    ),
    tickSize: decimal('Price step (priceFilter.tickSize). Must be > 0.'),
    qtyStep: decimal('Quantity step: lotSizeFilter.qtyStep (linear) or basePrecision (spot). Must be > 0.'),
    minOrderQty: decimal('Smallest order quantity; a multiple of qtyStep.'),
    maxOrderQty: decimal('Largest limit order quantity; a multiple of qtyStep, >= minOrderQty.'),
    maxMarketOrderQty: Type.Optional(
      decimal('Largest market order quantity; a multiple of qtyStep. Default: maxOrderQty.'),
    ),
    minNotional: decimal(
      'Smallest order value in the quote coin: minNotionalValue (linear) or minOrderAmt (spot).',
    ),
    maxNotional: Type.Optional(
      decimal('Largest order value in the quote coin (spot maxOrderAmt).', { default: '1000000000' }),
    ),
    minPrice: Type.Optional(decimal('Lowest accepted order price. Default: tickSize.')),
    maxPrice: Type.Optional(decimal('Highest accepted order price.', { default: '1999999999' })),
    maxLeverage: Type.Optional(
      decimal('Highest leverage (linear). Default 100 for linear; spot must be absent or "1".'),
    ),
    makerFee: Type.Optional(
      decimal('Maker fee rate; negative for a rebate. Default 0.0002 (linear) or 0.001 (spot).', {
        signed: true,
      }),
    ),
    takerFee: Type.Optional(
      decimal('Taker fee rate. Default 0.00055 (linear) or 0.001 (spot).', { signed: true }),
    ),
    launchTime: Type.Optional(
      Type.Integer({
        minimum: 0,
        default: 1585526400000,
        description: 'Listing time as a ms epoch integer.',
        errorMessage: 'expected a ms epoch integer such as 1585526400000',
      }),
    ),
    fundingInterval: Type.Optional(
      duration('Linear only: time between funding settlements; a whole number of minutes.', '8h'),
    ),
  },
  'One tradable instrument and its filters, as served by /v5/market/instruments-info.',
);

export const BookSchema = strictObject(
  {
    depth: Type.Optional(
      Type.Integer({ minimum: 1, maximum: 1000, default: 200, description: 'Price levels kept per side.' }),
    ),
    spreadTicks: Type.Optional(
      Type.Integer({
        minimum: 1,
        default: 1,
        description: 'Distance from mid to the best bid and best ask, in ticks.',
      }),
    ),
    levelGapTicks: Type.Optional(
      Type.Integer({
        minimum: 1,
        default: 1,
        description: 'Price distance between consecutive levels, in ticks.',
      }),
    ),
    levelQty: Type.Optional(
      decimal('Typical size of one level in the base coin. Default: 50 x minOrderQty of the symbol.'),
    ),
  },
  'Shape of the simulated order book.',
);

export const MarketSchema = strictObject(
  {
    price: decimal('Start price; a multiple of the tickSize of every instrument with this symbol.'),
    volatility: Type.Optional(
      Type.Number({
        minimum: 0,
        maximum: 10,
        default: 0.5,
        description: 'Annualised volatility as a fraction: 0.6 means 60 % a year.',
      }),
    ),
    tickInterval: Type.Optional(
      duration('Simulator step: price, trades and book move once per tick. At least 10ms.', '1s'),
    ),
    tradesPerTick: Type.Optional(
      Type.Number({
        minimum: 0,
        default: 2,
        description: 'Mean number of simulated public trades per tick.',
      }),
    ),
    tradeQty: Type.Optional(
      decimal('Typical simulated trade size in the base coin. Default: 10 x minOrderQty of the symbol.'),
    ),
    fundingRate: Type.Optional(
      decimal('Funding rate shown on linear tickers and used at settlement.', {
        signed: true,
        default: '0.0001',
      }),
    ),
    book: Type.Optional(BookSchema),
  },
  'Price path and simulated activity of one symbol (shared by its spot and linear instruments).',
);

export const PositionSchema = strictObject(
  {
    category: stringEnum(['linear'] as const, 'Positions exist for linear instruments only.'),
    symbol: symbol('Symbol of a linear instrument.'),
    side: stringEnum(['Buy', 'Sell'] as const, 'Buy = long, Sell = short.'),
    size: decimal('Position size in the base coin; > 0 and a multiple of qtyStep.'),
    avgPrice: decimal('Average entry price; > 0.'),
    leverage: Type.Optional(decimal('Leverage of the position, within [1, maxLeverage].')),
    positionIdx: Type.Optional(
      Type.Union([Type.Literal(0), Type.Literal(1), Type.Literal(2)], {
        default: 0,
        description: '0 = one-way mode, 1 = hedge-mode long (Buy), 2 = hedge-mode short (Sell).',
        errorMessage: 'expected 0 (one-way), 1 (hedge long) or 2 (hedge short)',
      }),
    ),
  },
  'An open position the account starts with.',
);

export const AccountSchema = strictObject(
  {
    name: nonEmptyString('Account name, unique; used by the admin API.'),
    apiKey: nonEmptyString('API key clients send in X-BAPI-API-KEY; unique.'),
    apiSecret: nonEmptyString('API secret used to check request signatures.'),
    permissions: Type.Optional(
      stringEnum(['trade', 'read-only'] as const, 'read-only keys get 10005 on trading endpoints.', 'trade'),
    ),
    balances: Type.Optional(
      recordOf(
        COIN_PATTERN,
        'expected an uppercase coin such as "USDT"',
        decimal('Wallet balance of this coin; >= 0.'),
        'Starting wallet balances: coin -> amount.',
      ),
    ),
    leverage: Type.Optional(
      recordOf(
        SYMBOL_PATTERN,
        'expected an uppercase symbol such as "BTCUSDT"',
        decimal('Leverage for this linear symbol, within [1, maxLeverage].'),
        'Starting leverage per linear symbol: symbol -> leverage.',
      ),
    ),
    positions: Type.Optional(Type.Array(PositionSchema, { description: 'Open positions at start.' })),
  },
  'An API account: credentials, permissions and starting state.',
);

/**
 * The whole file. Later sections (rules, timeline, faults) are one `Type.Optional(...)` line each.
 */
export const ScenarioSchema = strictObject(
  {
    version: Type.Literal(SCENARIO_VERSION, {
      description: 'Scenario format version. Must be 1.',
      errorMessage: 'expected 1 (the only scenario format version so far)',
    }),
    seed: Type.Optional(
      Type.Integer({
        minimum: 0,
        maximum: 4294967295,
        default: 1,
        description: 'Seed of every random stream (prices, trades, books, ids): same seed, same run.',
      }),
    ),
    clock: Type.Optional(ClockSchema),
    instruments: Type.Array(InstrumentSchema, {
      minItems: 1,
      description: 'Tradable instruments. At least one.',
      errorMessage: 'expected a non-empty list of instruments',
    }),
    market: Type.Optional(
      recordOf(
        SYMBOL_PATTERN,
        'expected an uppercase symbol such as "BTCUSDT"',
        MarketSchema,
        'Market simulation per symbol. Every instrument symbol needs an entry (at least a price).',
      ),
    ),
    accounts: Type.Optional(Type.Array(AccountSchema, { description: 'API accounts.' })),
    rules: Type.Optional(
      Type.Array(Type.Unknown(), {
        description:
          'Scripted answers: trigger (on) + match + action + times. Checked rule by rule; see docs/rules.md.',
      }),
    ),
    timeline: Type.Optional(
      Type.Array(Type.Unknown(), {
        description:
          'What happens by itself: entries at/after/every with one action (price, trade, pause, resume, event, disconnect, balance, position, addRule, removeRule, addFault, removeFault, network, skew, volatility); see docs/timeline.md.',
      }),
    ),
    faults: Type.Optional(
      Type.Array(Type.Unknown(), {
        description:
          'Network trouble from the start: target (path, stream, topic, op, account) + effect + probability + times/for. See docs/faults.md.',
      }),
    ),
    network: Type.Optional(
      Type.Unknown({
        description:
          'Network conditions for everything at once: {latencyMs, jitterMs, errorRate, dropRate}. See docs/faults.md.',
      }),
    ),
    retention: Type.Optional(
      strictObject(
        {
          closedOrders: Type.Optional(
            Type.Integer({
              minimum: 0,
              maximum: 10_000_000,
              description: 'Closed orders kept per account (default 10000).',
            }),
          ),
          executions: Type.Optional(
            Type.Integer({
              minimum: 0,
              maximum: 10_000_000,
              description: 'Executions kept per account (default 10000).',
            }),
          ),
          closedPnl: Type.Optional(
            Type.Integer({
              minimum: 0,
              maximum: 10_000_000,
              description: 'Closed-PnL records kept per account (default 5000).',
            }),
          ),
        },
        'How much closed history each account keeps; the oldest goes first, open orders and positions never. See docs/engine.md#retention.',
      ),
    ),
    rateLimits: Type.Optional(
      Type.Unknown({
        description:
          "Rate limits, on by default with Bybit's numbers: {enabled, uid: {path: n}, ip: {limit, window, ban}, ws: {connections, connectionWindow, marketConnections, messagesPerSecond}}. See docs/faults.md.",
      }),
    ),
  },
  'A bybit-mock scenario: the instruments, markets and accounts the mock exchange starts with.',
);

export type Scenario = Static<typeof ScenarioSchema>;
export type ScenarioInstrument = Static<typeof InstrumentSchema>;
export type ScenarioMarket = Static<typeof MarketSchema>;
export type ScenarioAccount = Static<typeof AccountSchema>;
export type ScenarioPosition = Static<typeof PositionSchema>;

/**
 * The schema as plain JSON Schema (draft-07) for editors and `bybit-mock schema`. TypeBox's symbol
 * keys disappear in the JSON round trip; `errorMessage` stays because yaml-language-server shows it.
 */
export function scenarioJsonSchema(): Record<string, unknown> {
  const plainSchema = JSON.parse(JSON.stringify(ScenarioSchema)) as Record<string, unknown>;
  return {
    $schema: 'http://json-schema.org/draft-07/schema#',
    title: 'bybit-mock scenario (format v1)',
    ...plainSchema,
  };
}
