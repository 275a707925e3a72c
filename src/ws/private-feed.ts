/**
 * Private topic frames from the engine's per-command `trading` events: order, execution,
 * execution.fast, position, wallet, in that order, each `{id, topic, creationTime, data[]}`.
 * The position stream calls the entry price `entryPrice` (REST: `avgPrice`).
 * @see ../shared/reference/bybit-v5-facts.md §8.7
 */
import type { Exchange } from '../core/exchange.js';
import type { TradingUpdate } from '../core/trading/engine.js';
import { executionView, orderView, positionView } from '../core/views/trading-views.js';
import { privateTopicCategory, privateTopicFamily } from './protocol.js';

export const PRIVATE_FAMILIES = ['order', 'execution', 'execution.fast', 'position', 'wallet'] as const;
export type PrivateFamily = (typeof PRIVATE_FAMILIES)[number];

/** Rows of one update per family and category, rendered once for every subscriber. */
export interface RenderedUpdate {
  rows: Map<PrivateFamily, { category: string; row: object }[]>;
}

export function renderUpdate(u: TradingUpdate, exchange: Exchange): RenderedUpdate {
  const rows = new Map<PrivateFamily, { category: string; row: object }[]>();
  if (u.orders.length > 0) {
    rows.set(
      'order',
      u.orders.map((o) => ({
        category: o.category,
        row: { category: o.category, ...orderView(o), closedPnl: '0', feeCurrency: '' },
      })),
    );
  }
  if (u.executions.length > 0) {
    rows.set(
      'execution',
      u.executions.map((e) => ({
        category: e.instrument.category,
        row: { category: e.instrument.category, ...executionView(e) },
      })),
    );
    const fast = u.executions.filter((e) => e.execType === 'Trade' && e.order);
    if (fast.length > 0) {
      rows.set(
        'execution.fast',
        fast.map((e) => {
          const v = executionView(e);
          return {
            category: e.instrument.category,
            row: {
              category: e.instrument.category,
              symbol: v.symbol,
              orderId: v.orderId,
              isMaker: v.isMaker,
              orderLinkId: e.isMaker ? '' : v.orderLinkId,
              execId: v.execId,
              execPrice: v.execPrice,
              execQty: v.execQty,
              side: v.side,
              execTime: v.execTime,
              seq: v.seq,
            },
          };
        }),
      );
    }
  }
  if (u.positions.length > 0) {
    rows.set(
      'position',
      u.positions.map((p) => {
        const { avgPrice, ...rest } = positionView(
          p,
          exchange.tradingEngine.markPrice(p.instrument),
          exchange.leverageOf(u.account, p.instrument),
        );
        return { category: 'linear', row: { ...rest, entryPrice: avgPrice, category: 'linear' } };
      }),
    );
  }
  if (u.wallet) {
    const w = exchange.walletBalance(u.account, []).list[0]!;
    rows.set('wallet', [{ category: '', row: w }]);
  }
  return { rows };
}

/** The frames one subscriber gets for its topics, in the documented family order. */
export function framesFor(
  rendered: RenderedUpdate,
  topics: ReadonlySet<string>,
  now: number,
  nextId: () => string,
): object[] {
  const out: object[] = [];
  for (const family of PRIVATE_FAMILIES) {
    const rows = rendered.rows.get(family);
    if (!rows) continue;
    for (const topic of topics) {
      if (privateTopicFamily(topic) !== family) continue;
      const only = privateTopicCategory(topic);
      const data = rows.filter((r) => only === undefined || r.category === only).map((r) => r.row);
      if (data.length === 0) continue;
      out.push({ id: nextId(), topic, creationTime: now, data });
    }
  }
  return out;
}
