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
  routeNotFound: { retCode: 10017, summary: 'No such path or method', httpStatus: 404 },
  bodyTooLarge: { retCode: 10001, summary: 'Request body larger than the configured limit', httpStatus: 413 },
  leverageNotModified: { retCode: 110043, summary: 'set-leverage with the leverage already in force' },
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
  routeNotFound(method: string, path: string): ExchangeError {
    return make(
      'routeNotFound',
      `Route not found: ${method} ${path} is not a Bybit v5 endpoint served by this mock.`,
    );
  },
  leverageNotModified(): ExchangeError {
    return make('leverageNotModified', 'leverage not modified');
  },
  bodyTooLarge(limit: number): ExchangeError {
    return make(
      'bodyTooLarge',
      `params error: request body exceeds ${limit} bytes; send a smaller JSON body.`,
    );
  },
};
