/**
 * The trade, execution and position endpoints: parameters in (REST body, query or WS trade args),
 * Bybit-shaped results out. Shared by REST and the /v5/trade stream so both validate alike.
 * @see ../shared/reference/bybit-v5-facts.md §7.9-7.20, §7.26
 */
import type { Account } from '../accounts/account.js';
import { decodeCursor, encodeCursor, pageBySerial } from '../cursor.js';
import { Big, isPositive, isZero, ZERO, type Big as BigT } from '../decimal.js';
import { ExchangeError, errors } from '../errors.js';
import type { Instrument } from '../instruments/instrument.js';
import { Params } from '../params.js';
import type { TradedCategory } from '../types.js';
import { closedPnlView, executionView, orderView, positionView } from '../views/trading-views.js';
import type { TradingEngine } from './engine.js';
import {
  ORDER_STATUSES,
  TRIGGER_BY,
  isOpen,
  positionKey,
  type Order,
  type Position,
  type PositionIdx,
} from './model.js';
import { checkPrice, readCategory, readOrderDraft } from './order-entry.js';

const DAY = 86_400_000;
const WEEK = 7 * DAY;
/** openOnly=1 on order/realtime: the most recent closed orders, at most 500. @see facts §7.13 */
const RECENT_CLOSED_MAX = 500;
/** order/history keeps cancelled, rejected and deactivated orders without fills for 24 h. @see facts §7.14 */
const UNFILLED_RETENTION = DAY;
const BATCH_MAX: Record<TradedCategory, number> = { linear: 20, spot: 10 };

export interface TradingLookups {
  instrument: (category: TradedCategory, symbol: string) => Instrument | undefined;
  instruments: (category: TradedCategory) => readonly Instrument[];
  leverageOf: (account: Account, inst: Instrument) => BigT;
  now: () => number;
}

export interface BatchResult {
  result: { list: unknown[] };
  retExtInfo: { list: { code: number; msg: string }[] };
}

export class TradingService {
  constructor(
    private readonly engine: TradingEngine,
    private readonly look: TradingLookups,
  ) {}

  private instrumentOf(p: Params, category: TradedCategory): Instrument {
    const symbol = p.symbol(true);
    const inst = this.look.instrument(category, symbol);
    if (!inst) {
      if (category === 'spot') throw errors.spotInvalidSymbol();
      throw errors.param(`symbol invalid: ${symbol} is not listed in category ${category}`);
    }
    return inst;
  }

  // ---- orders ----------------------------------------------------------------------------------

  /** POST /v5/order/create. @see facts §7.9 */
  create(account: Account, p: Params): { orderId: string; orderLinkId: string } {
    const draft = readOrderDraft(p, this.look.instrument);
    const order = this.engine.place(account, draft);
    return { orderId: order.orderId, orderLinkId: order.orderLinkId };
  }

  /** POST /v5/order/amend. @see facts §7.10 */
  amend(account: Account, p: Params): { orderId: string; orderLinkId: string } {
    const category = readCategory(p);
    const inst = this.instrumentOf(p, category);
    const order = this.engine.findOpen(account, inst, p.str('orderId'), p.str('orderLinkId'), 'replace');
    const qty = p.optDecimal('qty');
    const price = p.optDecimal('price');
    const triggerPrice = p.optDecimal('triggerPrice');
    const takeProfit = p.optDecimal('takeProfit');
    const stopLoss = p.optDecimal('stopLoss');
    if (qty !== undefined && !isPositive(qty))
      throw errors.paramRaw('Qty invalid: qty must be greater than 0');
    if (qty !== undefined) {
      const step = inst.qtyStep;
      if (!qty.mod(step).eq(ZERO)) {
        if (category === 'spot') throw errors.spotQtyDecimals(step.toFixed());
        throw errors.paramRaw(`Qty invalid: ${qty.toFixed()} is not a multiple of qtyStep ${step.toFixed()}`);
      }
      if (qty.lt(inst.minOrderQty)) {
        if (category === 'spot') throw errors.spotQtyTooLow(inst.minOrderQty.toFixed());
        throw errors.paramRaw(
          `The number of contracts exceeds minimum limit allowed: ${qty.toFixed()} < minOrderQty ${inst.minOrderQty.toFixed()}`,
        );
      }
      if (qty.gt(inst.maxOrderQty)) {
        throw errors.paramRaw(
          `The number of contracts exceeds maximum limit allowed: ${qty.toFixed()} > max_qty ${inst.maxOrderQty.toFixed()}`,
        );
      }
    }
    if (price !== undefined) checkPrice(inst, price);
    if (triggerPrice !== undefined && isPositive(triggerPrice))
      checkPrice(inst, triggerPrice, 'triggerPrice');
    if (takeProfit !== undefined && isPositive(takeProfit)) checkPrice(inst, takeProfit, 'takeProfit');
    if (stopLoss !== undefined && isPositive(stopLoss)) checkPrice(inst, stopLoss, 'stopLoss');
    this.engine.amend(order, { qty, price, triggerPrice, takeProfit, stopLoss });
    return { orderId: order.orderId, orderLinkId: order.orderLinkId };
  }

  /** POST /v5/order/cancel. @see facts §7.11 */
  cancel(account: Account, p: Params): { orderId: string; orderLinkId: string } {
    const category = readCategory(p);
    const inst = this.instrumentOf(p, category);
    const order = this.engine.findOpen(account, inst, p.str('orderId'), p.str('orderLinkId'), 'cancel');
    this.engine.cancel(order);
    return { orderId: order.orderId, orderLinkId: order.orderLinkId };
  }

  /** POST /v5/order/cancel-all. @see facts §7.12 */
  cancelAll(
    account: Account,
    p: Params,
  ): { list: { orderId: string; orderLinkId: string }[]; success: string } {
    const category = readCategory(p);
    const match = this.scope(p, category, category === 'linear');
    // Spot cancels only plain orders unless told otherwise; linear cancels every kind. @see facts §7.12
    const filter =
      p.oneOf('orderFilter', ['Order', 'StopOrder', 'OpenOrder', 'tpslOrder'] as const) ??
      (category === 'spot' ? 'Order' : undefined);
    const targets = [...account.openOrders.values()].filter(
      (o) => o.category === category && match(o.instrument) && filterMatches(o, filter),
    );
    this.engine.run(() => {
      for (const o of targets) this.engine.cancel(o);
    });
    return { list: targets.map((o) => ({ orderId: o.orderId, orderLinkId: o.orderLinkId })), success: '1' };
  }

  /**
   * symbol > baseCoin > settleCoin; `required` makes one of them mandatory (linear lists).
   * Returns a predicate on instruments.
   */
  private scope(p: Params, category: TradedCategory, required: boolean): (i: Instrument) => boolean {
    const symbol = p.symbol(false);
    const baseCoin = p.str('baseCoin');
    const settleCoin = p.str('settleCoin');
    if (symbol !== undefined) {
      if (!this.look.instrument(category, symbol)) {
        if (category === 'spot') throw errors.spotInvalidSymbol();
        throw errors.param(`symbol invalid: ${symbol} is not listed in category ${category}`);
      }
      return (i) => i.symbol === symbol;
    }
    if (baseCoin !== undefined) return (i) => i.baseCoin === baseCoin;
    if (settleCoin !== undefined) {
      if (category === 'spot')
        throw errors.param('settleCoin is not supported for spot; use symbol or baseCoin');
      return (i) => i.settleCoin === settleCoin;
    }
    if (required) throw errors.param(`symbol, baseCoin or settleCoin is required for category ${category}`);
    return () => true;
  }

  // ---- batches ---------------------------------------------------------------------------------

  private batch(
    p: Params,
    each: (item: Params, category: TradedCategory) => Record<string, string>,
    blank: (item: Params, category: TradedCategory) => Record<string, string>,
    allowed: number,
  ): BatchResult {
    const category = readCategory(p);
    const raw = p.raw('request');
    if (!Array.isArray(raw) || raw.length === 0) {
      throw errors.param('request must be a non-empty array of orders');
    }
    if (raw.length > BATCH_MAX[category]) {
      throw errors.param(`request has ${raw.length} items; at most ${BATCH_MAX[category]} for ${category}`);
    }
    const list: unknown[] = [];
    const ext: { code: number; msg: string }[] = [];
    this.engine.run(() => {
      for (const [index, item] of raw.entries()) {
        const obj =
          typeof item === 'object' && item !== null && !Array.isArray(item)
            ? (item as Record<string, unknown>)
            : undefined;
        const ip = new Params({ ...(obj ?? {}), category });
        try {
          // Past the rate budget, the rest of a batch fails item by item (facts §5.2).
          if (index >= allowed) throw errors.tooManyVisits();
          if (!obj) throw errors.param('each request item must be a JSON object');
          list.push(each(ip, category));
          ext.push({ code: 0, msg: 'OK' });
        } catch (e) {
          if (!(e instanceof ExchangeError)) throw e;
          list.push(blank(ip, category));
          ext.push({ code: e.retCode, msg: e.retMsg });
        }
      }
    });
    return { result: { list }, retExtInfo: { list: ext } };
  }

  /** POST /v5/order/create-batch. @see facts §7.15 */
  /** `allowed`: how many items fit in the rate budget; the rest fail with 10006. */
  createBatch(account: Account, p: Params, allowed = Infinity): BatchResult {
    return this.batch(
      p,
      (ip, category) => {
        const r = this.create(account, ip);
        return { category, symbol: String(ip.raw('symbol')), ...r, createAt: String(this.look.now()) };
      },
      (ip, category) => ({
        category,
        symbol: typeof ip.raw('symbol') === 'string' ? (ip.raw('symbol') as string) : '',
        orderId: '',
        orderLinkId: typeof ip.raw('orderLinkId') === 'string' ? (ip.raw('orderLinkId') as string) : '',
        createAt: '',
      }),
      allowed,
    );
  }

  /** `allowed`: how many items fit in the rate budget; the rest fail with 10006. */
  amendBatch(account: Account, p: Params, allowed = Infinity): BatchResult {
    return this.batch(
      p,
      (ip, category) => ({ category, symbol: String(ip.raw('symbol')), ...this.amend(account, ip) }),
      (ip, category) => blankItem(ip, category),
      allowed,
    );
  }

  /** `allowed`: how many items fit in the rate budget; the rest fail with 10006. */
  cancelBatch(account: Account, p: Params, allowed = Infinity): BatchResult {
    return this.batch(
      p,
      (ip, category) => ({ category, symbol: String(ip.raw('symbol')), ...this.cancel(account, ip) }),
      (ip, category) => blankItem(ip, category),
      allowed,
    );
  }

  // ---- order queries ---------------------------------------------------------------------------

  /** GET /v5/order/realtime: open orders, recent closed ones with openOnly=1, any by id. @see facts §7.13 */
  realtime(account: Account, p: Params) {
    const category = readCategory(p);
    const orderId = p.str('orderId');
    const linkId = p.str('orderLinkId');
    const byId = orderId !== undefined || linkId !== undefined;
    const match = this.scope(p, category, category === 'linear' && !byId);
    const openOnly = p.int('openOnly', { min: 0, max: 2, def: 0 })!;
    const filter = p.oneOf('orderFilter', ['Order', 'StopOrder', 'tpslOrder', 'OpenOrder'] as const);
    const limit = p.int('limit', { min: 1, max: 50, def: 20 })!;
    const cursor = p.str('cursor');
    let rows: Order[];
    if (byId) {
      const o = orderId !== undefined ? account.orders.get(orderId) : account.ordersByLinkId.get(linkId!);
      rows = o && o.category === category && match(o.instrument) ? [o] : [];
    } else if (openOnly === 0) {
      rows = newestFirst([...account.openOrders.values()]).filter(
        (o) => o.category === category && match(o.instrument) && filterMatches(o, filter),
      );
    } else {
      rows = [];
      for (const o of newestFirst([...account.orders.values()])) {
        if (rows.length >= RECENT_CLOSED_MAX) break;
        if (isOpen(o) || o.category !== category || !match(o.instrument) || !filterMatches(o, filter))
          continue;
        rows.push(o);
      }
    }
    const { page, nextPageCursor } = pageBySerial(rows, limit, cursor);
    return { category, list: page.map(orderView), nextPageCursor };
  }

  /** GET /v5/order/history: closed orders (or those of one orderStatus), 7-day windows. @see facts §7.14 */
  history(account: Account, p: Params) {
    const category = readCategory(p);
    const match = this.scope(p, category, false);
    const orderId = p.str('orderId');
    const linkId = p.str('orderLinkId');
    const status = p.oneOf('orderStatus', ORDER_STATUSES);
    const filter = p.oneOf('orderFilter', ['Order', 'StopOrder', 'tpslOrder', 'OpenOrder'] as const);
    const limit = p.int('limit', { min: 1, max: 50, def: 20 })!;
    const [from, to] = this.window(p);
    const forgotten = this.look.now() - UNFILLED_RETENTION;
    const rows = newestFirst([...account.orders.values()]).filter(
      (o) =>
        !(isUnfilledEnd(o) && o.updatedTime < forgotten) &&
        o.category === category &&
        match(o.instrument) &&
        (orderId === undefined || o.orderId === orderId) &&
        (linkId === undefined || o.orderLinkId === linkId) &&
        (status === undefined ? !isOpen(o) : o.status === status) &&
        filterMatches(o, filter) &&
        o.createdTime >= from &&
        o.createdTime <= to,
    );
    const { page, nextPageCursor } = pageBySerial(rows, limit, p.str('cursor'));
    return { category, list: page.map(orderView), nextPageCursor };
  }

  /** startTime/endTime: the last 7 days by default; a window longer than 7 days is refused. */
  private window(p: Params): [number, number] {
    const start = p.time('startTime');
    const end = p.time('endTime');
    const now = this.look.now();
    if (start !== undefined && end !== undefined) {
      if (end < start) throw errors.param('endTime must not be before startTime');
      if (end - start > WEEK)
        throw errors.param('The time range between startTime and endTime cannot exceed 7 days');
      return [start, end];
    }
    if (start !== undefined) return [start, start + WEEK];
    if (end !== undefined) return [end - WEEK, end];
    return [now - WEEK, Infinity];
  }

  /** GET /v5/execution/list. @see facts §7.16 */
  executions(account: Account, p: Params) {
    const category = readCategory(p);
    const match = this.scope(p, category, false);
    const orderId = p.str('orderId');
    const linkId = p.str('orderLinkId');
    const execType = p.oneOf('execType', [
      'Trade',
      'Funding',
      'BustTrade',
      'AdlTrade',
      'Settle',
      'Delivery',
      'BlockTrade',
      'MovePosition',
    ] as const);
    const limit = p.int('limit', { min: 1, max: 100, def: 50 })!;
    const [from, to] = this.window(p);
    const rows = [];
    for (const e of account.executions.newestFirst()) {
      if (e.instrument.category !== category || !match(e.instrument)) continue;
      if (execType !== undefined && e.execType !== execType) continue;
      if (orderId !== undefined && e.order?.orderId !== orderId) continue;
      if (linkId !== undefined && e.order?.orderLinkId !== linkId) continue;
      if (e.execTime < from || e.execTime > to) continue;
      rows.push(e);
    }
    const { page, nextPageCursor } = pageBySerial(rows, limit, p.str('cursor'));
    return { category, list: page.map(executionView), nextPageCursor };
  }

  // ---- positions -------------------------------------------------------------------------------

  /** GET /v5/position/list. @see facts §7.17 */
  positions(account: Account, p: Params) {
    const category = p.category(['linear', 'inverse', 'option']);
    const symbol = p.symbol(false);
    const settleCoin = p.str('settleCoin');
    const limit = p.int('limit', { min: 1, max: 200, def: 20 })!;
    if (category !== 'linear') return { category, list: [], nextPageCursor: '' };
    if (symbol === undefined && settleCoin === undefined && !p.has('baseCoin')) {
      throw errors.param('symbol or settleCoin is required for category linear');
    }
    const rows = [];
    for (const inst of this.look.instruments('linear')) {
      if (symbol !== undefined && inst.symbol !== symbol) continue;
      if (symbol === undefined && settleCoin !== undefined && inst.settleCoin !== settleCoin) continue;
      if (symbol === undefined && p.has('baseCoin') && inst.baseCoin !== p.str('baseCoin')) continue;
      const idxs: PositionIdx[] = account.hedgeSymbols.has(inst.symbol) ? [1, 2] : [0];
      for (const idx of idxs) {
        const pos = account.positions.get(positionKey(inst.symbol, idx));
        if (symbol === undefined && (!pos || isZero(pos.size))) continue;
        // A read never creates a position record: a symbol never traded answers a transient flat row.
        rows.push(pos ?? this.flatPosition(account, inst, idx));
      }
    }
    if (symbol !== undefined && rows.length === 0) {
      throw errors.param(`symbol invalid: ${symbol} is not listed in category linear`);
    }
    const cursor = p.str('cursor');
    const offset = cursor ? decodeCursor(cursor) : 0;
    const page = rows.slice(offset, offset + limit);
    return {
      category,
      list: page.map((pos) =>
        positionView(
          pos,
          this.engine.markPrice(pos.instrument),
          this.look.leverageOf(account, pos.instrument),
        ),
      ),
      nextPageCursor: offset + limit < rows.length ? encodeCursor(offset + limit) : '',
    };
  }

  private flatPosition(account: Account, inst: Instrument, idx: PositionIdx): Position {
    const now = this.look.now();
    return {
      account,
      instrument: inst,
      positionIdx: idx,
      side: '',
      size: ZERO,
      entryValue: ZERO,
      entryFees: ZERO,
      leverage: this.look.leverageOf(account, inst),
      curRealisedPnl: ZERO,
      cumRealisedPnl: ZERO,
      takeProfit: undefined,
      stopLoss: undefined,
      tpTriggerBy: 'LastPrice',
      slTriggerBy: 'LastPrice',
      createdTime: now,
      updatedTime: now,
      seq: 0,
    };
  }

  /** GET /v5/position/closed-pnl. */
  closedPnl(account: Account, p: Params) {
    const category = p.category(['linear', 'inverse']);
    const symbol = p.symbol(false);
    const limit = p.int('limit', { min: 1, max: 100, def: 50 })!;
    const [from, to] = this.window(p);
    const rows = [];
    for (const c of account.closedPnl.newestFirst()) {
      if (c.instrument.category !== category) continue;
      if (symbol !== undefined && c.instrument.symbol !== symbol) continue;
      if (c.updatedTime < from || c.updatedTime > to) continue;
      rows.push(c);
    }
    const { page, nextPageCursor } = pageBySerial(rows, limit, p.str('cursor'));
    return { category, list: page.map(closedPnlView), nextPageCursor };
  }

  /** POST /v5/position/switch-mode: 0 one-way, 3 hedge, per symbol or per settle coin. @see facts §7.20 */
  switchMode(account: Account, p: Params): Record<string, never> {
    const category = p.category(['linear', 'inverse']);
    if (category !== 'linear')
      throw errors.param('category invalid: only linear USDT contracts support hedge mode');
    const modeRaw = p.raw('mode');
    const mode = modeRaw === 0 || modeRaw === '0' ? 0 : modeRaw === 3 || modeRaw === '3' ? 3 : undefined;
    if (mode === undefined)
      throw errors.paramRaw('params error: position_mode invalid (send mode 0 for one-way or 3 for hedge)');
    const symbol = p.symbol(false);
    const coin = p.str('coin');
    let targets: readonly Instrument[];
    if (symbol !== undefined) {
      const inst = this.look.instrument('linear', symbol);
      if (!inst) throw errors.param(`symbol invalid: ${symbol} is not listed in category linear`);
      targets = [inst];
    } else if (coin !== undefined) {
      targets = this.look.instruments('linear').filter((i) => i.settleCoin === coin);
      if (targets.length === 0) throw errors.param(`coin invalid: no linear contract settles in ${coin}`);
    } else {
      throw errors.param('symbol or coin is required');
    }
    const hedge = mode === 3;
    const changing = targets.filter((i) => account.hedgeSymbols.has(i.symbol) !== hedge);
    if (changing.length === 0) throw errors.positionModeNotModified();
    for (const inst of changing) {
      for (const pos of account.positions.values()) {
        if (pos.instrument === inst && !isZero(pos.size)) throw errors.hasPosition();
      }
      for (const o of account.openOrders.values()) if (o.instrument === inst) throw errors.hasOpenOrders();
    }
    for (const inst of changing) {
      for (const idx of [0, 1, 2] as const) account.positions.delete(positionKey(inst.symbol, idx));
      if (hedge) account.hedgeSymbols.add(inst.symbol);
      else account.hedgeSymbols.delete(inst.symbol);
    }
    return {};
  }

  /** POST /v5/position/trading-stop: TP/SL on a position (Full mode). @see facts §7.19 */
  tradingStop(account: Account, p: Params): Record<string, never> {
    const category = p.category(['linear', 'inverse', 'option']);
    if (category !== 'linear')
      throw errors.param(`category invalid: trading-stop is simulated for linear, not ${category}`);
    const inst = this.instrumentOf(p, 'linear');
    const mode = p.oneOf('tpslMode', ['Full', 'Partial'] as const) ?? 'Full';
    if (mode === 'Partial') throw errors.param('tpslMode Partial is not simulated by this mock; use Full');
    const idx = p.int('positionIdx', { min: 0, max: 2, def: 0 }) as PositionIdx;
    const hedge = account.hedgeSymbols.has(inst.symbol);
    if (hedge ? idx === 0 : idx !== 0) {
      throw errors.paramRaw(
        `position idx not match position mode: ${inst.symbol} is in ${hedge ? 'hedge' : 'one-way'} mode`,
      );
    }
    const tp = p.optDecimal('takeProfit');
    const sl = p.optDecimal('stopLoss');
    if (p.has('trailingStop') && !p.decimal('trailingStop').eq(ZERO)) {
      throw errors.param('trailingStop is not simulated by this mock; send takeProfit/stopLoss');
    }
    const tpBy = p.oneOf('tpTriggerBy', TRIGGER_BY);
    const slBy = p.oneOf('slTriggerBy', TRIGGER_BY);
    const pos = this.engine.existingPosition(account, inst, idx);
    if (!pos || isZero(pos.size)) throw errors.paramRaw('can not set tp/sl/ts for zero position');
    const long = pos.side === 'Buy';
    const last = Big(String(this.engine.triggerPriceTicks(inst, 'LastPrice'))).times(inst.tickSize);
    if (tp !== undefined && isPositive(tp)) {
      checkPrice(inst, tp, 'takeProfit');
      if (long ? tp.lte(last) : tp.gte(last)) {
        throw errors.param(
          `takeProfit ${tp.toFixed()} for a ${pos.side} position must be ${long ? 'above' : 'below'} the last price ${last.toFixed()}`,
        );
      }
    }
    if (sl !== undefined && isPositive(sl)) {
      checkPrice(inst, sl, 'stopLoss');
      if (long ? sl.gte(last) : sl.lte(last)) {
        throw errors.param(
          `stopLoss ${sl.toFixed()} for a ${pos.side} position must be ${long ? 'below' : 'above'} the last price ${last.toFixed()}`,
        );
      }
    }
    const same = (a: BigT | undefined, b: BigT | undefined) =>
      a === undefined || (b === undefined ? isZero(a) : a.eq(b));
    if (
      same(tp, pos.takeProfit) &&
      same(sl, pos.stopLoss) &&
      (tpBy === undefined || tpBy === pos.tpTriggerBy) &&
      (slBy === undefined || slBy === pos.slTriggerBy)
    ) {
      throw errors.tpslNotModified();
    }
    this.engine.setTradingStop(pos, tp, sl, tpBy, slBy);
    return {};
  }
}

/** Accounts keep orders in creation order, so reversing gives newest first. */
function newestFirst(orders: Order[]): Order[] {
  return orders.reverse();
}

function isUnfilledEnd(o: Order): boolean {
  return (
    (o.status === 'Cancelled' || o.status === 'Rejected' || o.status === 'Deactivated') &&
    isZero(o.cumExecQty)
  );
}

function filterMatches(o: Order, filter: string | undefined): boolean {
  if (filter === undefined) return true;
  const tpsl = o.stopOrderType === 'TakeProfit' || o.stopOrderType === 'StopLoss';
  const conditional = o.triggerPrice !== undefined && !tpsl;
  if (filter === 'StopOrder') return conditional;
  if (filter === 'tpslOrder') return tpsl;
  return !conditional && !tpsl;
}

function blankItem(ip: Params, category: TradedCategory): Record<string, string> {
  const s = (k: string) => (typeof ip.raw(k) === 'string' ? (ip.raw(k) as string) : '');
  return { category, symbol: s('symbol'), orderId: s('orderId'), orderLinkId: s('orderLinkId') };
}
