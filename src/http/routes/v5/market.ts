/**
 * Public market data. @see ../shared/reference/bybit-v5-facts.md §7.1-7.8
 */
import { ORDERBOOK_LIMITS } from '../../../core/exchange.js';
import { errors } from '../../../core/errors.js';
import type { CandleKind } from '../../../core/market/instrument-market.js';
import { INSTRUMENT_STATUSES, KLINE_INTERVALS, type Category } from '../../../core/types.js';
import type { Params } from '../../params.js';
import type { RouteContext, RouteDef } from '../../route.js';

function klineHandler(kind: CandleKind, allowed: readonly Category[]) {
  return ({ params, exchange }: RouteContext) => {
    const category = params.category(allowed, 'linear');
    const symbol = params.symbol(true);
    const interval = params.oneOf('interval', KLINE_INTERVALS);
    if (interval === undefined)
      throw errors.param(`interval is required; expected one of ${KLINE_INTERVALS.join(', ')}`);
    const start = params.time('start');
    const end = params.time('end');
    const limit = params.int('limit', { min: 1, max: 1000, def: 200 })!;
    return { result: exchange.klines(kind, category, symbol, { interval, start, end, limit }) };
  };
}

export const marketRoutes: RouteDef[] = [
  {
    method: 'GET',
    path: '/v5/market/time',
    access: 'public',
    handler: ({ exchange }) => {
      const now = exchange.serverTime();
      return {
        result: {
          timeSecond: String(Math.floor(now / 1000)),
          timeNano: (BigInt(now) * 1_000_000n).toString(),
        },
      };
    },
  },
  {
    method: 'GET',
    path: '/v5/market/instruments-info',
    access: 'public',
    handler: ({ params, exchange }) => {
      const category = params.category();
      return {
        result: exchange.instrumentsInfo({
          category,
          symbol: params.symbol(false),
          status: params.oneOf('status', INSTRUMENT_STATUSES),
          baseCoin: params.str('baseCoin'),
          limit: params.int('limit', { min: 1, max: 1000, def: 500 })!,
          cursor: params.str('cursor'),
        }),
      };
    },
  },
  {
    method: 'GET',
    path: '/v5/market/tickers',
    access: 'public',
    handler: ({ params, exchange }) => {
      const category = params.category();
      const symbol = params.symbol(false);
      if (category === 'option' && symbol === undefined && !params.has('baseCoin')) {
        throw errors.param('symbol or baseCoin is required for category option');
      }
      return { result: exchange.tickers(category, symbol) };
    },
  },
  {
    method: 'GET',
    path: '/v5/market/orderbook',
    access: 'public',
    handler: ({ params, exchange }) => {
      const category = params.category();
      const symbol = params.symbol(true);
      const { max, def } = ORDERBOOK_LIMITS[category];
      const limit = params.int('limit', { min: 1, max, def })!;
      return { result: exchange.orderbook(category, symbol, limit) };
    },
  },
  {
    method: 'GET',
    path: '/v5/market/kline',
    access: 'public',
    handler: klineHandler('trade', ['spot', 'linear', 'inverse']),
  },
  {
    method: 'GET',
    path: '/v5/market/mark-price-kline',
    access: 'public',
    handler: klineHandler('mark', ['linear', 'inverse']),
  },
  {
    method: 'GET',
    path: '/v5/market/index-price-kline',
    access: 'public',
    handler: klineHandler('index', ['linear', 'inverse']),
  },
  {
    method: 'GET',
    path: '/v5/market/recent-trade',
    access: 'public',
    handler: ({ params, exchange }) => {
      const category = params.category();
      const symbol = params.symbol(true);
      const limit = params.int(
        'limit',
        category === 'spot' ? { min: 1, max: 60, def: 60 } : { min: 1, max: 1000, def: 500 },
      )!;
      return { result: exchange.recentTrades(category, symbol, limit) };
    },
  },
  {
    method: 'GET',
    path: '/v5/market/funding/history',
    access: 'public',
    handler: ({ params, exchange }) => {
      const category = params.category(['linear', 'inverse']);
      const symbol = params.symbol(true);
      const startTime = params.time('startTime');
      const endTime = params.time('endTime');
      if (startTime !== undefined && endTime === undefined) {
        throw errors.param('endTime is required when startTime is given (or send only endTime, or neither)');
      }
      const limit = params.int('limit', { min: 1, max: 200, def: 200 })!;
      return { result: exchange.fundingHistory(category, symbol, { startTime, endTime, limit }) };
    },
  },
];

export function categoryOf(params: Params): Category | undefined {
  const v = params.raw('category');
  return v === 'spot' || v === 'linear' || v === 'inverse' || v === 'option' ? v : undefined;
}
