/**
 * Order and execution endpoints. Handlers hand the parameters to the trading service, which
 * validates them exactly as the /v5/trade stream does.
 * @see ../shared/reference/bybit-v5-facts.md §7.9-7.16
 */
import { batchUnits } from '../../../core/limits/rate-limits.js';
import { requireAccount, type RouteDef } from '../../route.js';

export const tradeRoutes: RouteDef[] = [
  {
    method: 'POST',
    path: '/v5/order/create',
    access: 'write',
    handler: (ctx) => ({ result: ctx.exchange.trading.create(requireAccount(ctx), ctx.params) }),
  },
  {
    method: 'POST',
    path: '/v5/order/amend',
    access: 'write',
    handler: (ctx) => ({ result: ctx.exchange.trading.amend(requireAccount(ctx), ctx.params) }),
  },
  {
    method: 'POST',
    path: '/v5/order/cancel',
    access: 'write',
    handler: (ctx) => ({ result: ctx.exchange.trading.cancel(requireAccount(ctx), ctx.params) }),
  },
  {
    method: 'POST',
    path: '/v5/order/cancel-all',
    access: 'write',
    handler: (ctx) => ({ result: ctx.exchange.trading.cancelAll(requireAccount(ctx), ctx.params) }),
  },
  {
    method: 'POST',
    path: '/v5/order/create-batch',
    access: 'write',
    limitUnits: (params, category) => batchUnits(category, params.raw('request')),
    handler: (ctx) => ctx.exchange.trading.createBatch(requireAccount(ctx), ctx.params, ctx.allowed),
  },
  {
    method: 'POST',
    path: '/v5/order/amend-batch',
    access: 'write',
    limitUnits: (params, category) => batchUnits(category, params.raw('request')),
    handler: (ctx) => ctx.exchange.trading.amendBatch(requireAccount(ctx), ctx.params, ctx.allowed),
  },
  {
    method: 'POST',
    path: '/v5/order/cancel-batch',
    access: 'write',
    limitUnits: (params, category) => batchUnits(category, params.raw('request')),
    handler: (ctx) => ctx.exchange.trading.cancelBatch(requireAccount(ctx), ctx.params, ctx.allowed),
  },
  {
    method: 'GET',
    path: '/v5/order/realtime',
    access: 'read',
    handler: (ctx) => ({ result: ctx.exchange.trading.realtime(requireAccount(ctx), ctx.params) }),
  },
  {
    method: 'GET',
    path: '/v5/order/history',
    access: 'read',
    handler: (ctx) => ({ result: ctx.exchange.trading.history(requireAccount(ctx), ctx.params) }),
  },
  {
    method: 'GET',
    path: '/v5/execution/list',
    access: 'read',
    handler: (ctx) => ({ result: ctx.exchange.trading.executions(requireAccount(ctx), ctx.params) }),
  },
];
