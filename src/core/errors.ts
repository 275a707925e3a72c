/**
 * The one error catalog: every retCode the mock answers with, its message and HTTP status.
 * docs/errors.md is tested against this list. Messages keep Bybit's wording (clients match on
 * substrings) and add what to do where Bybit's text leaves it out.
 * @see ../shared/reference/bybit-v5-facts.md sections 3.4 and 4
 */

export class ExchangeError extends Error {
  constructor(
    readonly retCode: number,
    readonly retMsg: string,
    /** HTTP status for REST; Bybit answers business errors with 200. */
    readonly httpStatus = 200,
  ) {
    super(retMsg);
    this.name = 'ExchangeError';
  }
}

/**
 * An admin API refusal: HTTP status, a short code, what failed and what to do. Not a Bybit error:
 * the admin API answers `{error, message, hint}`.
 */
export class AdminError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly hint: string,
  ) {
    super(message);
    this.name = 'AdminError';
  }
}

interface CatalogEntry {
  retCode: number;
  /** Short description for docs/errors.md. */
  summary: string;
  httpStatus?: number;
}

/** Every code the mock can emit. Keep in step with docs/errors.md (a test checks). */
export const ERROR_CATALOG = {
  paramError: {
    retCode: 10001,
    summary: 'Request parameter error: a parameter is missing, malformed or out of range',
  },
  signParamsMissing: {
    retCode: 10001,
    summary: 'Authentication headers missing (openapi sign params error!)',
  },
  timestampWindow: {
    retCode: 10002,
    summary: 'Timestamp outside server_time - recv_window <= timestamp < server_time + 1000',
  },
  invalidApiKey: { retCode: 10003, summary: 'API key unknown to this mock' },
  invalidSign: { retCode: 10004, summary: 'Signature does not match the request' },
  permissionDenied: { retCode: 10005, summary: 'Read-only key used on a write endpoint' },
  tooManyVisits: { retCode: 10006, summary: 'Per-account rate limit exceeded' },
  serverError: {
    retCode: 10016,
    summary: 'Internal error (a bug in the mock: please report it)',
    httpStatus: 500,
  },
  systemBusy: { retCode: 10016, summary: 'A request failed by the network settings (errorRate), HTTP 200' },
  routeNotFound: { retCode: 10017, summary: 'No such path or method', httpStatus: 404 },
  bodyTooLarge: { retCode: 10001, summary: 'Request body larger than the configured limit', httpStatus: 413 },
  leverageNotModified: { retCode: 110043, summary: 'set-leverage with the leverage already in force' },
  orderNotFound: { retCode: 110001, summary: 'Order unknown, or already closed (amend/cancel), derivatives' },
  priceOutOfRange: { retCode: 110003, summary: 'Order price outside the instrument minPrice/maxPrice' },
  insufficientAvailable: {
    retCode: 110007,
    summary: 'Available balance too low for the order margin (derivatives)',
  },
  reduceOnlyRule: { retCode: 110017, summary: 'Reduce-only order that would open or increase a position' },
  hasPosition: { retCode: 110024, summary: 'switch-mode while a position is open' },
  positionModeNotModified: { retCode: 110025, summary: 'switch-mode to the mode already in force' },
  hasOpenOrders: { retCode: 110028, summary: 'switch-mode while orders are open' },
  duplicateLinkId: { retCode: 110072, summary: 'orderLinkId already used by an open or recent order' },
  triggerRising: {
    retCode: 110092,
    summary: 'triggerDirection 1 (rise) but triggerPrice is not above the price',
  },
  triggerFalling: {
    retCode: 110093,
    summary: 'triggerDirection 2 (fall) but triggerPrice is not below the price',
  },
  minNotional: { retCode: 110094, summary: 'qty x price below the minimum order value (derivatives)' },
  marginInsufficient: {
    retCode: 110044,
    summary: 'set-leverage lower than the open position can carry with the available margin',
  },
  tpslNotModified: { retCode: 34040, summary: 'trading-stop with the TP/SL already in force' },
  spotInsufficient: { retCode: 170131, summary: 'Spot: balance too low for the order' },
  spotQtyTooLow: { retCode: 170136, summary: 'Spot: quantity below minOrderQty' },
  spotQtyDecimals: { retCode: 170137, summary: 'Spot: quantity not a multiple of basePrecision' },
  spotPriceDecimals: { retCode: 170134, summary: 'Spot: price not a multiple of tickSize' },
  spotPriceTooHigh: { retCode: 170132, summary: 'Spot: price above maxPrice' },
  spotPriceTooLow: { retCode: 170133, summary: 'Spot: price below minPrice' },
  spotValueTooLow: { retCode: 170140, summary: 'Spot: order value below minOrderAmt' },
  spotAmountTooLarge: {
    retCode: 170124,
    summary: 'Spot: quantity above maxOrderQty, or value above maxOrderAmt',
  },
  spotDuplicateLinkId: { retCode: 170141, summary: 'Spot: orderLinkId already used' },
  spotInvalidSymbol: { retCode: 170121, summary: 'Spot: symbol not listed' },
  spotOrderNotFound: { retCode: 170213, summary: 'Spot: order unknown or already closed' },
} as const satisfies Record<string, CatalogEntry>;

export type ErrorName = keyof typeof ERROR_CATALOG;

function make(name: ErrorName, retMsg: string, httpStatus?: number): ExchangeError {
  const entry: CatalogEntry = ERROR_CATALOG[name];
  return new ExchangeError(entry.retCode, retMsg, httpStatus ?? entry.httpStatus ?? 200);
}

/** Factories: the only way the mock builds an error. */
export const errors = {
  /** 10001 naming the parameter, e.g. `params error: category invalid`. */
  param(detail: string): ExchangeError {
    return make('paramError', `params error: ${detail}`);
  },
  /** 10001 with Bybit's exact text for cases clients match on. */
  paramRaw(message: string): ExchangeError {
    return make('paramError', message);
  },
  signParamsMissing(timestamp: string, apiKey: string, sign: string): ExchangeError {
    return make(
      'signParamsMissing',
      `empty value: apiTimestamp[${timestamp}] apiKey[${apiKey}] apiSignature[${sign}]: openapi sign params error! ` +
        'Send X-BAPI-API-KEY, X-BAPI-TIMESTAMP and X-BAPI-SIGN on private endpoints.',
    );
  },
  timestampWindow(reqTimestamp: string, serverTimestamp: number, recvWindow: number): ExchangeError {
    return make(
      'timestampWindow',
      `invalid request, please check your server timestamp or recv_window param. ` +
        `req_timestamp[${reqTimestamp}],server_timestamp[${serverTimestamp}],recv_window[${recvWindow}]`,
    );
  },
  invalidApiKey(httpStatus: number): ExchangeError {
    return make('invalidApiKey', 'API key is invalid.', httpStatus);
  },
  invalidSign(originString: string): ExchangeError {
    return make(
      'invalidSign',
      `Error sign, please check your signature generation algorithm: origin_string[${originString}]`,
    );
  },
  permissionDenied(): ExchangeError {
    return make('permissionDenied', 'Permission denied, please check your API key permissions.');
  },
  tooManyVisits(): ExchangeError {
    return make('tooManyVisits', 'Too many visits!');
  },
  serverError(): ExchangeError {
    return make(
      'serverError',
      'Server error: the mock hit an internal error; see its log and please report it.',
    );
  },
  systemBusy(): ExchangeError {
    return make('systemBusy', 'System error. Please try again later.');
  },
  routeNotFound(method: string, path: string): ExchangeError {
    return make(
      'routeNotFound',
      `Route not found: ${method} ${path} is not a Bybit v5 endpoint served by this mock.`,
    );
  },
  leverageNotModified(): ExchangeError {
    return make('leverageNotModified', 'leverage not modified');
  },
  orderNotFound(action: 'cancel' | 'replace'): ExchangeError {
    return make('orderNotFound', `order not exists or too late to ${action}`);
  },
  priceOutOfRange(detail: string): ExchangeError {
    return make('priceOutOfRange', `Order price is out of permissible range: ${detail}`);
  },
  insufficientAvailable(detail: string): ExchangeError {
    return make('insufficientAvailable', `ab not enough for new order: ${detail}`);
  },
  reduceOnlyRule(detail: string): ExchangeError {
    return make('reduceOnlyRule', `Reduce-only rule not satisfied: ${detail}`);
  },
  hasPosition(): ExchangeError {
    return make('hasPosition', 'You have an existing position, so the position mode cannot be switched');
  },
  positionModeNotModified(): ExchangeError {
    return make('positionModeNotModified', 'Position mode is not modified');
  },
  hasOpenOrders(): ExchangeError {
    return make('hasOpenOrders', 'open orders exist, position mode cannot be switched; cancel them first');
  },
  duplicateLinkId(category: 'spot' | 'linear'): ExchangeError {
    return category === 'spot'
      ? make('spotDuplicateLinkId', 'Duplicate clientOrderId.')
      : make('duplicateLinkId', 'OrderLinkedID is duplicate');
  },
  triggerDirection(rising: boolean, trigger: string, current: string): ExchangeError {
    return rising
      ? make('triggerRising', `expect Rising, but trigger_price[${trigger}] <= current[${current}]`)
      : make('triggerFalling', `expect Falling, but trigger_price[${trigger}] >= current[${current}]`);
  },
  minNotional(min: string, coin: string): ExchangeError {
    return make('minNotional', `Order does not meet minimum order value ${min}${coin}`);
  },
  marginInsufficient(detail: string): ExchangeError {
    return make('marginInsufficient', `Available margin is insufficient: ${detail}`);
  },
  tpslNotModified(): ExchangeError {
    return make('tpslNotModified', 'not modified');
  },
  spotInsufficient(detail: string): ExchangeError {
    return make('spotInsufficient', `Insufficient balance. ${detail}`);
  },
  spotQtyTooLow(min: string): ExchangeError {
    return make('spotQtyTooLow', `Order quantity lower than the minimum. (minOrderQty ${min})`);
  },
  spotQtyDecimals(step: string): ExchangeError {
    return make('spotQtyDecimals', `Order volume decimal too long. (step ${step})`);
  },
  spotPriceDecimals(tick: string): ExchangeError {
    return make('spotPriceDecimals', `Order price decimal too long. (tickSize ${tick})`);
  },
  spotPriceTooHigh(max: string): ExchangeError {
    return make('spotPriceTooHigh', `Order price too high. (maxPrice ${max})`);
  },
  spotPriceTooLow(min: string): ExchangeError {
    return make('spotPriceTooLow', `Order price lower than the minimum. (minPrice ${min})`);
  },
  spotValueTooLow(min: string): ExchangeError {
    return make('spotValueTooLow', `Order value exceeded lower limit (minimum ${min})`);
  },
  spotAmountTooLarge(detail: string): ExchangeError {
    return make('spotAmountTooLarge', `Order amount too large. (${detail})`);
  },
  spotInvalidSymbol(): ExchangeError {
    return make('spotInvalidSymbol', 'Invalid symbol.');
  },
  spotOrderNotFound(): ExchangeError {
    return make('spotOrderNotFound', 'Order does not exist.');
  },
  bodyTooLarge(limit: number): ExchangeError {
    return make(
      'bodyTooLarge',
      `params error: request body exceeds ${limit} bytes; send a smaller JSON body.`,
    );
  },
};
