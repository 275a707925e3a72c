/**
 * Position endpoints. @see ../shared/reference/bybit-v5-facts.md §7.17-7.20
 */
import { requireAccount, type RouteDef } from '../../route.js';

export const positionRoutes: RouteDef[] = [
  {
    method: 'POST',
    path: '/v5/position/set-leverage',
    access: 'write',
    handler: (ctx) => {
      const p = ctx.params;
      const category = p.category(['linear', 'inverse']);
      const symbol = p.symbol(true);
      const result = ctx.exchange.setLeverage(
        requireAccount(ctx),
        category,
        symbol,
        p.decimal('buyLeverage'),
        p.decimal('sellLeverage'),
      );
      return { result };
    },
  },
  {
    method: 'GET',
    path: '/v5/position/list',
    access: 'read',
    handler: (ctx) => ({ result: ctx.exchange.trading.positions(requireAccount(ctx), ctx.params) }),
  },
  {
    method: 'GET',
    path: '/v5/position/closed-pnl',
    access: 'read',
    handler: (ctx) => ({ result: ctx.exchange.trading.closedPnl(requireAccount(ctx), ctx.params) }),
  },
  {
    method: 'POST',
    path: '/v5/position/switch-mode',
    access: 'write',
    handler: (ctx) => ({ result: ctx.exchange.trading.switchMode(requireAccount(ctx), ctx.params) }),
  },
  {
    method: 'POST',
    path: '/v5/position/trading-stop',
    access: 'write',
    handler: (ctx) => ({ result: ctx.exchange.trading.tradingStop(requireAccount(ctx), ctx.params) }),
  },
];
