/**
 * Account, asset and user endpoints (private). @see ../shared/reference/bybit-v5-facts.md §7.21-7.25
 */
import { errors } from '../../../core/errors.js';
import { requireAccount, type RouteDef } from '../../route.js';
import { categoryOf } from './market.js';

export const accountRoutes: RouteDef[] = [
  {
    method: 'GET',
    path: '/v5/account/wallet-balance',
    access: 'read',
    handler: (ctx) => {
      const accountType = ctx.params.requiredStr('accountType');
      if (accountType !== 'UNIFIED') {
        throw errors.param(
          `accountType only support UNIFIED: this mock serves a unified trading account, got "${accountType}"`,
        );
      }
      const coins = (ctx.params.str('coin') ?? '')
        .split(',')
        .map((c) => c.trim())
        .filter((c) => c.length > 0);
      return { result: ctx.exchange.walletBalance(requireAccount(ctx), coins) };
    },
  },
  {
    method: 'GET',
    path: '/v5/account/info',
    access: 'read',
    handler: (ctx) => ({ result: ctx.exchange.accountInfo() }),
  },
  {
    method: 'GET',
    path: '/v5/account/fee-rate',
    access: 'read',
    limitCategory: categoryOf,
    handler: (ctx) => {
      const category = ctx.params.category();
      return { result: ctx.exchange.feeRates(category, ctx.params.symbol(false)) };
    },
  },
  {
    method: 'GET',
    path: '/v5/user/query-api',
    access: 'read',
    handler: (ctx) => ({ result: ctx.exchange.queryApi(requireAccount(ctx)), retMsg: '' }),
  },
  {
    method: 'GET',
    path: '/v5/asset/coin/query-info',
    access: 'read',
    handler: (ctx) => ({ result: ctx.exchange.coinInfo(ctx.params.str('coin')), retMsg: 'success' }),
  },
];
