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
  /**
   * The JSON of the `data` array of a `family` frame, with only the rows of category `only`
   * (undefined: every row); undefined when there is no such row. Serialised once per update and
   * topic, however many clients take it.
   */
  data(family: PrivateFamily, only: string | undefined): string | undefined;
}

type Rows = { category: string; row: object }[];

/** JSON of rows the views share between updates (wallet coins that did not change), by row. */
const rowJson = new WeakMap<object, string>();

function jsonOfSharedRow(row: object): string {
  let text = rowJson.get(row);
  if (text === undefined) {
    text = JSON.stringify(row);
    rowJson.set(row, text);
  }
  return text;
}

/**
 * The wallet frame's data: the totals, then each coin's row. Coin rows are reused by the view
 * while a coin does not change (most updates touch one coin), so their JSON is too. `w` is this
 * update's own totals object: its coin list is swapped out only while the totals are serialised.
 */
function walletData(w: { coin: object[] }): string {
  const coins = w.coin;
  w.coin = [];
  const head = JSON.stringify(w); // ...,"coin":[]}
  w.coin = coins;
  let list = '';
  for (let i = 0; i < coins.length; i++) list += (i === 0 ? '' : ',') + jsonOfSharedRow(coins[i]!);
  return `[${head.slice(0, -2)}${list}]}]`;
}

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
  const rows = (family: PrivateFamily): Rows | undefined => {
    if (!cache.has(family)) cache.set(family, render(family));
    return cache.get(family);
  };
  const texts = new Map<string, string | undefined>();
  return {
    data(family, only) {
      const key = only === undefined ? family : `${family} ${only}`;
      if (texts.has(key)) return texts.get(key);
      const all = rows(family);
      let text: string | undefined;
      if (all !== undefined) {
        if (family === 'wallet') text = walletData(all[0]!.row as { coin: object[] });
        else {
          const data = only === undefined ? all : all.filter((r) => r.category === only);
          if (data.length > 0) text = JSON.stringify(data.map((r) => r.row));
        }
      }
      texts.set(key, text);
      return text;
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

/**
 * The frames one subscriber gets for its topics, in the documented family order, as
 * `{id, topic, creationTime, data}` text: only the id is the subscriber's own, the data JSON is
 * shared.
 */
export function framesFor(
  rendered: RenderedUpdate,
  topics: ReadonlySet<string>,
  now: number,
  nextId: () => string,
): { topic: string; text: string }[] {
  const out: { topic: string; text: string }[] = [];
  for (const family of PRIVATE_FAMILIES) {
    for (const topic of topics) {
      const { family: f, category: only } = partsOf(topic);
      if (f !== family) continue;
      const data = rendered.data(family, only);
      if (data === undefined) continue;
      const text = `{"id":${JSON.stringify(nextId())},"topic":${JSON.stringify(topic)},"creationTime":${now},"data":${data}}`;
      out.push({ topic, text });
    }
  }
  return out;
}
