/**
 * Private topic frames from the engine's per-command `trading` events: order, execution,
 * execution.fast, position, wallet, in that order, each `{id, topic, creationTime, data[]}`.
 * The position stream calls the entry price `entryPrice` (REST: `avgPrice`).
 * @see ../shared/reference/bybit-v5-facts.md §8.7
 */
import type { Exchange } from '../core/exchange.js';
import type { TradingUpdate } from '../core/trading/engine.js';
import { executionView, orderView, positionStreamView } from '../core/views/trading-views.js';
import { privateTopicCategory, privateTopicFamily } from './protocol.js';

export const PRIVATE_FAMILIES = ['order', 'execution', 'execution.fast', 'position', 'wallet'] as const;
export type PrivateFamily = (typeof PRIVATE_FAMILIES)[number];

/**
 * Rows of one update per family and category, rendered once for every subscriber. Families are
 * rendered on first use, so an update costs only the topics somebody subscribed to (most clients
 * take order, execution, position and wallet, not execution.fast). The views read live objects:
 * use a RenderedUpdate synchronously, within the `trading` event that produced it.
 */
export interface RenderedUpdate {
  rows(family: PrivateFamily): readonly { category: string; row: object }[] | undefined;
}

type Rows = { category: string; row: object }[];

export function renderUpdate(u: TradingUpdate, exchange: Exchange): RenderedUpdate {
  const cache = new Map<PrivateFamily, Rows | undefined>();
  let executions: Rows | undefined;
  const executionRows = (): Rows =>
    (executions ??= u.executions.map((e) => {
      // Keys appended to the view's row, not spread into a new one (a 40-key copy per frame).
      const row = executionView(e) as ReturnType<typeof executionView> & { category: string };
      row.category = e.instrument.category;
      return { category: e.instrument.category, row };
    }));
  const render = (family: PrivateFamily): Rows | undefined => {
    switch (family) {
      case 'order':
        if (u.orders.length === 0) return undefined;
        return u.orders.map((o) => {
          const row = orderView(o) as ReturnType<typeof orderView> & {
            category: string;
            closedPnl: string;
            feeCurrency: string;
          };
          row.category = o.category;
          row.closedPnl = '0';
          row.feeCurrency = '';
          return { category: o.category, row };
        });
      case 'execution':
        return u.executions.length > 0 ? executionRows() : undefined;
      case 'execution.fast': {
        const rows: Rows = [];
        const all = u.executions.length > 0 ? executionRows() : [];
        u.executions.forEach((e, i) => {
          if (e.execType !== 'Trade' || !e.order) return;
          const v = all[i]!.row as ReturnType<typeof executionView>;
          rows.push({
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
          });
        });
        return rows.length > 0 ? rows : undefined;
      }
      case 'position':
        if (u.positions.length === 0) return undefined;
        return u.positions.map((p) => ({
          category: 'linear',
          row: positionStreamView(
            p,
            exchange.tradingEngine.markPrice(p.instrument),
            exchange.leverageOf(u.account, p.instrument),
          ),
        }));
      case 'wallet': {
        if (!u.wallet) return undefined;
        const w = exchange.walletBalance(u.account, []).list[0]!;
        return [{ category: '', row: w }];
      }
    }
  };
  return {
    rows(family) {
      if (!cache.has(family)) cache.set(family, render(family));
      return cache.get(family);
    },
  };
}

/** Family and category of each private topic seen, parsed once (topics come from a fixed set). */
const topicParts = new Map<string, { family: string; category: string | undefined }>();

function partsOf(topic: string): { family: string; category: string | undefined } {
  let p = topicParts.get(topic);
  if (p === undefined) {
    p = { family: privateTopicFamily(topic), category: privateTopicCategory(topic) };
    // Subscriptions are checked against PRIVATE_TOPICS, so this stays small; bound it anyway.
    if (topicParts.size < 1000) topicParts.set(topic, p);
  }
  return p;
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
    for (const topic of topics) {
      const { family: f, category: only } = partsOf(topic);
      if (f !== family) continue;
      const rows = rendered.rows(family);
      if (!rows) break;
      const data = rows.filter((r) => only === undefined || r.category === only).map((r) => r.row);
      if (data.length === 0) continue;
      out.push({ id: nextId(), topic, creationTime: now, data });
    }
  }
  return out;
}
