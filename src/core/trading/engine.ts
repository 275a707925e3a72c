/**
 * The trading engine: order entry, matching against account orders and the simulated book,
 * fills, fees, positions, wallet accounting, conditional orders, TP/SL, liquidation and funding.
 *
 * Every command validates first and mutates after, so a refused request leaves state (ids and
 * random streams included) exactly as it was. State changes are collected per account and
 * published once per command through `publish`.
 * @see ../shared/reference/bybit-v5-facts.md §4.2-4.3, §6, §7.9-7.20; docs/engine.md
 */
import type { Account } from '../accounts/account.js';
import type { Clock, TimerHandle } from '../clock.js';
import { Big, div, isPositive, isZero, plain, ZERO, type Big as BigT } from '../decimal.js';
import { ExchangeError, errors } from '../errors.js';
import { NumericIds, uuidFrom } from '../ids.js';
import type { Instrument } from '../instruments/instrument.js';
import type { InstrumentMarket, PublicTrade } from '../market/instrument-market.js';
import { fundingRateAt, nextFundingTime } from '../market/funding.js';
import type { Random } from '../random.js';
import type { Side } from '../types.js';
import {
  bustPrice,
  coinState,
  direction,
  liqPrice,
  openingSteps,
  priceOf,
  qtyOf,
  round8,
  stepsOfQty,
  ticksOf,
  type CoinState,
} from './ledger.js';
import {
  LEGAL_TRANSITIONS,
  isOpen,
  positionKey,
  type CancelType,
  type ClosedPnl,
  type CreateType,
  type Execution,
  type Order,
  type OrderStatus,
  type Position,
  type PositionIdx,
  type RejectReason,
  type StopOrderType,
  type TriggerBy,
} from './model.js';
import { checkPositionIdx, type OrderDraft } from './order-entry.js';
import { closedPnlText } from '../views/trading-views.js';

/** Market orders are IOC limits at this distance from the last price. @see facts §7.9 */
const MARKET_BAND = 0.05;

export interface TradingUpdate {
  account: Account;
  orders: Order[];
  executions: Execution[];
  positions: Position[];
  wallet: boolean;
}

export interface EngineDeps {
  clock: Clock;
  root: Random;
  seed: number;
  market: (inst: Instrument) => InstrumentMarket | undefined;
  instruments: () => readonly Instrument[];
  leverageOf: (account: Account, inst: Instrument) => BigT;
  publish: (update: TradingUpdate) => void;
  /** A command changed a market's book or tape outside a simulator tick. */
  marketChanged?: (market: InstrumentMarket) => void;
  fundingRate: (inst: Instrument) => string;
}

interface Pending {
  orders: Set<Order>;
  executions: Execution[];
  positions: Set<Position>;
  wallet: boolean;
}

/** One planned match: against an account order (maker) or a simulated level. */
interface Match {
  ticks: number;
  steps: number;
  maker: Order | undefined;
}

/** Orders resting on one instrument, best first; conditional orders waiting for a trigger. */
class RestingBook {
  readonly bids: Order[] = [];
  readonly asks: Order[] = [];
  readonly conditionals: Order[] = [];

  side(side: Side): Order[] {
    return side === 'Buy' ? this.bids : this.asks;
  }

  insert(order: Order): void {
    const list = this.side(order.side);
    const better =
      order.side === 'Buy'
        ? (a: Order) => a.priceTicks < order.priceTicks
        : (a: Order) => a.priceTicks > order.priceTicks;
    let i = list.findIndex(better);
    if (i < 0) i = list.length;
    list.splice(i, 0, order);
  }

  remove(order: Order): void {
    for (const list of [this.bids, this.asks, this.conditionals]) {
      const i = list.indexOf(order);
      if (i >= 0) list.splice(i, 1);
    }
  }
}

export class TradingEngine {
  private readonly books = new Map<string, RestingBook>();
  private readonly orderRng: Random;
  private readonly execRng: Random;
  private readonly spotOrderIds = new NumericIds(1_700_000_000_000_000_000n);
  private readonly spotExecIds = new NumericIds(2_200_000_000_000_000_000n);
  private orderSerial = 0;
  private execSerial = 0;
  private pnlSerial = 0;
  private pending = new Map<Account, Pending>();
  /** Markets whose tape or book this command changed. */
  private touchedMarkets = new Set<InstrumentMarket>();
  private depth = 0;
  /** Open linear positions by instrument key (for ticks: TP/SL, liquidation). */
  private readonly openPositions = new Map<string, Set<Position>>();
  private fundingTimer: TimerHandle | undefined;
  /** Set while both sides of an account-to-account match are booked (see executeMatch). */
  private flatDeferred: Position[] | undefined;

  constructor(private readonly deps: EngineDeps) {
    this.orderRng = deps.root.fork('orders');
    this.execRng = deps.root.fork('executions');
  }

  // ---- lifecycle -----------------------------------------------------------------------------

  start(): void {
    this.stop();
    this.armFunding();
  }

  stop(): void {
    this.fundingTimer?.cancel();
    this.fundingTimer = undefined;
  }

  // ---- helpers -------------------------------------------------------------------------------

  private now(): number {
    return this.deps.clock.now();
  }

  book(inst: Instrument): RestingBook {
    let b = this.books.get(inst.key);
    if (!b) {
      b = new RestingBook();
      this.books.set(inst.key, b);
    }
    return b;
  }

  private market(inst: Instrument): InstrumentMarket {
    const m = this.deps.market(inst);
    if (!m) throw errors.param(`symbol ${inst.symbol} has no simulated market`);
    return m;
  }

  markPrice(inst: Instrument): BigT {
    return priceOf(inst, this.market(inst).markTicks);
  }

  triggerPriceTicks(inst: Instrument, by: TriggerBy): number {
    const m = this.market(inst);
    return by === 'MarkPrice' ? m.markTicks : by === 'IndexPrice' ? m.indexTicks : m.lastTicks;
  }

  coin(account: Account, coin: string): CoinState {
    return coinState(
      account,
      coin,
      (i) => this.markPrice(i),
      (i) => this.deps.leverageOf(account, i),
    );
  }

  /** Runs a command: collects changes and publishes them once at the end (also on failure). */
  run<T>(fn: () => T): T {
    this.depth += 1;
    try {
      return fn();
    } finally {
      this.depth -= 1;
      if (this.depth === 0) this.flush();
    }
  }

  private touch(account: Account): Pending {
    let p = this.pending.get(account);
    if (!p) {
      p = { orders: new Set(), executions: [], positions: new Set(), wallet: false };
      this.pending.set(account, p);
    }
    return p;
  }

  private flush(): void {
    // Liquidity taken by this command becomes one book version (u + 1) before anyone hears of it.
    const markets = this.touchedMarkets;
    if (markets.size > 0) {
      this.touchedMarkets = new Set();
      for (const m of markets) m.book.commit();
    }
    this.flushAccounts();
    for (const m of markets) this.deps.marketChanged?.(m);
  }

  private flushAccounts(): void {
    if (this.pending.size === 0) return;
    const batch = this.pending;
    this.pending = new Map();
    for (const [account, p] of batch) {
      this.deps.publish({
        account,
        orders: [...p.orders],
        executions: p.executions,
        positions: [...p.positions],
        wallet: p.wallet,
      });
    }
  }

  private setStatus(order: Order, status: OrderStatus): void {
    if (order.status !== status && !LEGAL_TRANSITIONS[order.status].includes(status)) {
      throw new Error(`illegal order transition ${order.status} -> ${status} (${order.orderId})`);
    }
    order.status = status;
    order.updatedTime = this.now();
    this.touch(order.account).orders.add(order);
  }

  position(account: Account, inst: Instrument, idx: PositionIdx): Position {
    const key = positionKey(inst.symbol, idx);
    let pos = account.positions.get(key);
    if (!pos) {
      const now = this.now();
      pos = {
        account,
        instrument: inst,
        positionIdx: idx,
        side: '',
        size: ZERO,
        entryValue: ZERO,
        entryFees: ZERO,
        leverage: this.deps.leverageOf(account, inst),
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
      account.positions.set(key, pos);
    }
    return pos;
  }

  private findPosition(account: Account, inst: Instrument, idx: PositionIdx): Position | undefined {
    return account.positions.get(positionKey(inst.symbol, idx));
  }

  /** positionIdx an order's fills apply to. */
  private reducesPosition(
    order: { side: Side; positionIdx: PositionIdx },
    pos: Position | undefined,
  ): boolean {
    if (!pos || isZero(pos.size)) return false;
    return pos.side !== order.side;
  }

  /** Steps a reduce-only (or hedge closing) order may still fill. */
  private closableSteps(order: Order): number {
    const pos = this.findPosition(order.account, order.instrument, order.positionIdx);
    if (!pos || isZero(pos.size) || pos.side === order.side) return 0;
    return stepsOfQty(order.instrument, pos.size);
  }

  private isClosingOnly(order: { reduceOnly: boolean; positionIdx: PositionIdx; side: Side }): boolean {
    if (order.reduceOnly) return true;
    // Hedge mode: Sell on the long side (1) and Buy on the short side (2) only close.
    return (
      (order.positionIdx === 1 && order.side === 'Sell') || (order.positionIdx === 2 && order.side === 'Buy')
    );
  }

  // ---- order entry ---------------------------------------------------------------------------

  /**
   * Places an order from a validated draft. Returns the new order; the caller answers with its
   * ids. Throws an ExchangeError (and changes nothing) when the account or book refuses it.
   */
  place(
    account: Account,
    draft: OrderDraft,
    createType: CreateType = 'CreateByUser',
    stopOrderType: StopOrderType = '',
  ): Order {
    return this.run(() => {
      const inst = draft.instrument;
      checkPositionIdx(account, draft);
      if (draft.orderLinkId && account.ordersByLinkId.has(draft.orderLinkId)) {
        throw errors.duplicateLinkId(draft.category);
      }
      const m = this.market(inst);
      const closingOnly = draft.category === 'linear' && this.isClosingOnly(draft);
      const pos =
        draft.category === 'linear' ? this.findPosition(account, inst, draft.positionIdx) : undefined;
      if (closingOnly && !this.reducesPosition(draft, pos)) {
        throw errors.reduceOnlyRule(
          pos && !isZero(pos.size)
            ? `a ${draft.side} order would increase the ${pos.side} position on ${inst.symbol}`
            : `there is no position on ${inst.symbol} to reduce`,
        );
      }
      let qty = draft.qty;
      if (draft.category === 'linear' && draft.reduceOnly && isZero(qty) && pos) qty = pos.size;

      // Conditional orders wait; the trigger must lie in the chosen direction.
      if (draft.triggerPrice !== undefined) {
        const current = this.triggerPriceTicks(inst, draft.triggerBy);
        const trig = ticksOf(inst, draft.triggerPrice);
        let dir = draft.triggerDirection;
        if (dir === 0) dir = trig > current ? 1 : 2;
        if (dir === 1 && trig <= current)
          throw errors.triggerDirection(
            true,
            draft.triggerPrice.toFixed(),
            priceOf(inst, current).toFixed(inst.priceDp),
          );
        if (dir === 2 && trig >= current)
          throw errors.triggerDirection(
            false,
            draft.triggerPrice.toFixed(),
            priceOf(inst, current).toFixed(inst.priceDp),
          );
        if (draft.orderType === 'Limit') this.checkMinValue(inst, qty, draft.price!);
        const order = this.newOrder(
          account,
          draft,
          qty,
          draft.price ?? draft.triggerPrice,
          createType,
          stopOrderType || 'Stop',
        );
        order.triggerDirection = dir;
        order.status = 'Untriggered';
        this.register(order);
        this.book(inst).conditionals.push(order);
        this.touch(account).orders.add(order);
        // Spot has no positions: a spot conditional must not file one under the linear key.
        if (draft.category === 'linear')
          this.touch(account).positions.add(this.position(account, inst, order.positionIdx));
        return order;
      }

      const order = this.prepare(account, draft, qty, m, closingOnly, createType, stopOrderType);
      this.register(order);
      this.work(order, m);
      return order;
    });
  }

  /**
   * Builds the order object and checks value limits and funds against the planned matches.
   * Only pure reads happen before the id is drawn.
   */
  private prepare(
    account: Account,
    draft: OrderDraft,
    qty: BigT,
    m: InstrumentMarket,
    closingOnly: boolean,
    createType: CreateType = 'CreateByUser',
    stopOrderType: StopOrderType = '',
  ): Order {
    const inst = draft.instrument;
    const limitTicks = draft.price !== undefined ? ticksOf(inst, draft.price) : this.bandTicks(m, draft.side);
    const probe = {
      side: draft.side,
      priceTicks: limitTicks,
      leavesSteps: draft.marketUnit === 'quoteCoin' ? Number.MAX_SAFE_INTEGER : stepsOfQty(inst, qty),
      marketUnit: draft.marketUnit,
      quoteBudget: draft.marketUnit === 'quoteCoin' ? qty : undefined,
      account,
    };
    if (closingOnly) {
      const pos = this.findPosition(account, inst, draft.positionIdx);
      probe.leavesSteps = Math.min(probe.leavesSteps, pos ? stepsOfQty(inst, pos.size) : 0);
    }
    const plan = this.plan(inst, m, probe);
    const price = priceOf(inst, limitTicks);
    if (draft.orderType === 'Limit' && !closingOnly) this.checkMinValue(inst, qty, price);
    if (draft.orderType === 'Market' && draft.marketUnit !== 'quoteCoin' && !closingOnly) {
      const ref = plan.length > 0 ? priceOf(inst, plan[0]!.ticks) : price;
      this.checkMinValue(inst, qty, ref);
    }
    const postOnlyCancels = draft.timeInForce === 'PostOnly' && plan.length > 0;
    if (!postOnlyCancels) this.checkFunds(account, draft, qty, plan, limitTicks, closingOnly);
    return this.newOrder(account, draft, qty, price, createType, stopOrderType);
  }

  private checkMinValue(inst: Instrument, qty: BigT, price: BigT): void {
    const value = qty.times(price);
    if (value.lt(inst.minNotional)) {
      if (inst.category === 'spot') throw errors.spotValueTooLow(inst.minNotional.toFixed());
      throw errors.minNotional(inst.minNotional.toFixed(), inst.settleCoin);
    }
    if (inst.category === 'spot' && isPositive(inst.maxNotional) && value.gt(inst.maxNotional)) {
      throw errors.spotAmountTooLarge(`value ${value.toFixed()} > maxOrderAmt ${inst.maxNotional.toFixed()}`);
    }
  }

  /** Funds an order needs: spot spends a coin, linear holds initial margin for what it opens. */
  private checkFunds(
    account: Account,
    draft: OrderDraft,
    qty: BigT,
    plan: Match[],
    limitTicks: number,
    closingOnly: boolean,
  ): void {
    const inst = draft.instrument;
    let takenSteps = 0;
    let takenValue = ZERO;
    for (const x of plan) {
      takenSteps += x.steps;
      takenValue = takenValue.plus(qtyOf(inst, x.steps).times(priceOf(inst, x.ticks)));
    }
    if (draft.category === 'spot') {
      const spend = draft.side === 'Buy' ? inst.quoteCoin : inst.baseCoin;
      let need: BigT;
      if (draft.side === 'Buy') {
        if (draft.marketUnit === 'quoteCoin') need = qty;
        else if (draft.orderType === 'Market') need = takenValue;
        else
          need = takenValue.plus(
            qtyOf(inst, stepsOfQty(inst, qty) - takenSteps).times(priceOf(inst, limitTicks)),
          );
      } else {
        need = draft.marketUnit === 'quoteCoin' ? qtyOf(inst, takenSteps) : qty;
      }
      const avail = this.coin(account, spend).available;
      if (avail.lt(need)) {
        throw errors.spotInsufficient(
          `${need.toFixed()} ${spend} needed, ${avail.toFixed()} ${spend} available`,
        );
      }
      return;
    }
    if (closingOnly) return;
    const pos = this.findPosition(account, inst, draft.positionIdx);
    const total = stepsOfQty(inst, qty);
    const opening = openingSteps(draft, total, pos);
    if (opening === 0) return;
    // Value of the opening part: taken levels first (at their prices), the rest at the limit.
    const closing = total - opening;
    let skip = closing;
    let value = ZERO;
    let counted = 0;
    for (const x of plan) {
      const use = Math.max(0, x.steps - skip);
      skip = Math.max(0, skip - x.steps);
      if (use === 0) continue;
      value = value.plus(qtyOf(inst, use).times(priceOf(inst, x.ticks)));
      counted += use;
    }
    if (draft.orderType === 'Limit' && counted < opening) {
      value = value.plus(qtyOf(inst, opening - counted).times(priceOf(inst, limitTicks)));
    }
    const lev = this.deps.leverageOf(account, inst);
    const need = round8(div(value, lev).plus(value.times(inst.takerFee)));
    const avail = this.coin(account, inst.settleCoin).available;
    if (avail.lt(need)) {
      throw errors.insufficientAvailable(
        `${need.toFixed()} ${inst.settleCoin} of initial margin needed at leverage ${lev.toFixed()}, ${avail.toFixed()} available`,
      );
    }
  }

  private bandTicks(m: InstrumentMarket, side: Side): number {
    const last = m.lastTicks;
    return side === 'Buy'
      ? Math.ceil(last * (1 + MARKET_BAND))
      : Math.max(1, Math.floor(last * (1 - MARKET_BAND)));
  }

  private newOrder(
    account: Account,
    draft: OrderDraft,
    qty: BigT,
    price: BigT,
    createType: CreateType,
    stopOrderType: StopOrderType,
  ): Order {
    const inst = draft.instrument;
    const now = this.now();
    const spot = draft.category === 'spot';
    let orderId: string;
    let linkId = draft.orderLinkId;
    if (spot) {
      orderId = this.spotOrderIds.next();
      const auto = this.spotOrderIds.next();
      if (!linkId) linkId = auto;
    } else {
      orderId = uuidFrom(this.orderRng);
    }
    const m = this.deps.market(inst);
    const priceTicks = ticksOf(inst, price);
    const qtySteps = draft.marketUnit === 'quoteCoin' ? 0 : stepsOfQty(inst, qty);
    return {
      serial: ++this.orderSerial,
      orderId,
      orderLinkId: linkId,
      account,
      instrument: inst,
      category: draft.category,
      side: draft.side,
      orderType: draft.orderType,
      // Validated multiples of the tick and step: the shared instances (see priceOf/qtyOf).
      price: shared(priceOf(inst, priceTicks), price),
      priceTicks,
      qty: draft.marketUnit === 'quoteCoin' ? qty : shared(qtyOf(inst, qtySteps), qty),
      leavesSteps: qtySteps,
      marketUnit: draft.marketUnit,
      timeInForce: draft.timeInForce,
      positionIdx: draft.positionIdx,
      reduceOnly: draft.reduceOnly,
      closeOnTrigger: draft.closeOnTrigger,
      status: 'New',
      rejectReason: 'EC_NoError',
      cancelType: 'UNKNOWN',
      cumExecQty: ZERO,
      cumExecValue: ZERO,
      cumExecFee: ZERO,
      feeCoin: spot ? (draft.side === 'Buy' ? inst.baseCoin : inst.quoteCoin) : inst.settleCoin,
      triggerPrice: draft.triggerPrice,
      triggerDirection: 0,
      triggerBy: draft.triggerPrice !== undefined ? draft.triggerBy : undefined,
      stopOrderType,
      createType,
      takeProfit: draft.takeProfit,
      stopLoss: draft.stopLoss,
      tpTriggerBy: draft.tpTriggerBy,
      slTriggerBy: draft.slTriggerBy,
      lastPriceOnCreated: m ? priceOf(inst, m.lastTicks).toFixed(inst.priceDp) : '',
      locked: ZERO,
      lockedCoin: spot ? (draft.side === 'Buy' ? inst.quoteCoin : inst.baseCoin) : '',
      hold: false,
      createdTime: now,
      updatedTime: now,
    };
  }

  private register(order: Order): void {
    const a = order.account;
    a.orders.set(order.orderId, order);
    a.openOrders.set(order.orderId, order);
    if (order.orderLinkId) a.ordersByLinkId.set(order.orderLinkId, order);
  }

  /** Runs a live (non-conditional) order: take liquidity, then rest or cancel the remainder. */
  private work(order: Order, m: InstrumentMarket): void {
    const inst = order.instrument;
    const account = order.account;
    this.touch(account).orders.add(order);
    if (inst.category === 'linear')
      this.touch(account).positions.add(this.position(account, inst, order.positionIdx));
    const closingOnly = order.category === 'linear' && this.isClosingOnly(order);
    const byQuote = order.marketUnit === 'quoteCoin';
    const wanted = byQuote ? Number.MAX_SAFE_INTEGER : order.leavesSteps;
    const probe = {
      side: order.side,
      priceTicks: order.priceTicks,
      leavesSteps: closingOnly ? Math.min(wanted, this.closableSteps(order)) : wanted,
      marketUnit: order.marketUnit,
      quoteBudget: order.marketUnit === 'quoteCoin' ? order.qty.minus(order.cumExecValue) : undefined,
      account,
      exclude: order,
    };
    const plan = this.plan(inst, m, probe);
    if (order.timeInForce === 'PostOnly' && plan.length > 0) {
      this.close(order, 'Cancelled', 'UNKNOWN', 'EC_PostOnlyWillTakeLiquidity');
      return;
    }
    if (order.timeInForce === 'FOK') {
      const got = plan.reduce((s, x) => s + x.steps, 0);
      const full = order.marketUnit === 'quoteCoin' ? got > 0 : got >= order.leavesSteps;
      if (!full) {
        this.close(order, 'Cancelled', 'UNKNOWN', 'EC_CancelForNoFullFill');
        return;
      }
    }
    const now = this.now();
    for (const x of plan) {
      this.executeMatch(order, x, m, now);
    }
    if (!live(order)) return;
    if (byQuote && isPositive(order.cumExecQty)) {
      // Sized in the quote coin: done once what is left cannot buy (or need) one more step.
      const last = plan[plan.length - 1]!;
      const unit = priceOf(inst, last.ticks).times(inst.qtyStep);
      if (order.qty.minus(order.cumExecValue).lt(unit)) {
        this.setStatus(order, 'Filled');
        this.retire(order);
        return;
      }
    }
    const rests =
      order.orderType === 'Limit' && (order.timeInForce === 'GTC' || order.timeInForce === 'PostOnly');
    if (rests && order.leavesSteps > 0 && !(closingOnly && this.closableSteps(order) === 0)) {
      if (order.status === 'Triggered') this.setStatus(order, 'New');
      if (order.category === 'spot') this.lockFor(order);
      this.book(inst).insert(order);
      return;
    }
    const noFill = isZero(order.cumExecQty);
    const status: OrderStatus = noFill
      ? 'Cancelled'
      : order.category === 'spot'
        ? 'PartiallyFilledCanceled'
        : 'Cancelled';
    this.close(
      order,
      status,
      closingOnly && !noFill ? 'CancelByReduceOnly' : 'UNKNOWN',
      noFill ? 'EC_NoImmediateQtyToFill' : 'EC_NoError',
    );
  }

  /** Spot: what a resting order holds of the coin it would spend. */
  private lockFor(order: Order): void {
    const inst = order.instrument;
    const amount =
      order.side === 'Buy'
        ? qtyOf(inst, order.leavesSteps).times(order.price)
        : qtyOf(inst, order.leavesSteps);
    this.setLocked(order, amount);
  }

  private setLocked(order: Order, amount: BigT): void {
    const delta = amount.minus(order.locked);
    if (isZero(delta)) return;
    order.account.lock(order.lockedCoin, delta);
    order.locked = amount;
    this.touch(order.account).wallet = true;
  }

  /**
   * Matches a taker against resting account orders and simulated levels, best price first;
   * account orders go before simulated liquidity at the same price. Pure: nothing is consumed.
   */
  private plan(
    inst: Instrument,
    m: InstrumentMarket,
    t: {
      side: Side;
      priceTicks: number;
      leavesSteps: number;
      quoteBudget: BigT | undefined;
      marketUnit: string;
      exclude?: Order;
    },
  ): Match[] {
    const buy = t.side === 'Buy';
    const makers = this.book(inst).side(buy ? 'Sell' : 'Buy');
    const sim = buy ? m.book.asks : m.book.bids;
    const within = (ticks: number) => (buy ? ticks <= t.priceTicks : ticks >= t.priceTicks);
    const out: Match[] = [];
    let left = t.leavesSteps;
    let budget = t.quoteBudget;
    let mi = 0;
    let si = 0;
    /** Steps of each position that closing-only makers planned so far will close. */
    let closing: Map<Position, number> | undefined;
    while (left > 0) {
      while (mi < makers.length && (makers[mi] === t.exclude || makers[mi]!.hold)) mi++;
      const maker = makers[mi];
      const simTicks = sim.ticks[si];
      const useMaker =
        maker !== undefined &&
        (simTicks === undefined || (buy ? maker.priceTicks <= simTicks : maker.priceTicks >= simTicks));
      const ticks = useMaker ? maker!.priceTicks : simTicks;
      if (ticks === undefined || !within(ticks)) break;
      let avail = useMaker ? maker!.leavesSteps : sim.steps[si]!;
      // A reduce-only (or hedge closing) maker fills no more than what its position has left.
      let makerPos: Position | undefined;
      if (useMaker && maker!.category === 'linear' && this.isClosingOnly(maker!)) {
        makerPos = this.findPosition(maker!.account, inst, maker!.positionIdx);
        closing ??= new Map();
        const used = makerPos ? (closing.get(makerPos) ?? 0) : 0;
        avail = Math.min(avail, Math.max(0, this.closableSteps(maker!) - used));
        if (avail <= 0) {
          mi++;
          continue;
        }
      }
      if (budget !== undefined) {
        const price = priceOf(inst, ticks);
        const unit = price.times(inst.qtyStep);
        const afford =
          t.side === 'Buy'
            ? Number(budget.div(unit).round(0, Big.roundDown).toFixed(0))
            : Number(budget.div(unit).round(0, Big.roundUp).toFixed(0));
        avail = Math.min(avail, afford);
        if (avail <= 0) break;
        budget = budget.minus(unit.times(String(avail)));
      }
      const steps = Math.min(avail, left);
      if (steps > 0) out.push({ ticks, steps, maker: useMaker ? maker : undefined });
      if (makerPos) closing!.set(makerPos, (closing!.get(makerPos) ?? 0) + steps);
      left -= steps;
      if (useMaker) mi++;
      else si++;
    }
    return out;
  }

  private executeMatch(taker: Order, x: Match, m: InstrumentMarket, now: number): void {
    if (x.maker) {
      const maker = x.maker;
      if (!isOpen(maker)) return;
      // The maker's account may have changed since planning (same command): fill what is left,
      // and a closing-only maker no more than its position.
      const closingMaker = maker.category === 'linear' && this.isClosingOnly(maker);
      const steps = Math.min(x.steps, maker.leavesSteps, closingMaker ? this.closableSteps(maker) : Infinity);
      if (steps <= 0) {
        if (closingMaker) this.close(maker, 'Cancelled', 'CancelByReduceOnly', 'EC_NoError');
        return;
      }
      const trade = m.recordTrade(now, taker.side, x.ticks, steps);
      // Both sides are booked before positions that went flat drop their reduce-only orders: a
      // self-trade may pass through flat and back, and must not cancel either side mid-match.
      const flat: Position[] = [];
      this.flatDeferred = flat;
      try {
        this.fill(taker, x.ticks, steps, false, trade, m);
        this.fill(maker, x.ticks, steps, true, trade, m);
      } finally {
        this.flatDeferred = undefined;
      }
      for (const pos of flat) if (isZero(pos.size)) this.cancelReduceOnly(pos, taker);
      if (closingMaker && isOpen(maker) && this.closableSteps(maker) === 0) {
        this.close(maker, 'Cancelled', 'CancelByReduceOnly', 'EC_NoError');
      }
      return;
    }
    m.book.consume(taker.side === 'Buy' ? 'asks' : 'bids', x.ticks, x.steps, now);
    const trade = m.recordTrade(now, taker.side, x.ticks, x.steps);
    this.fill(taker, x.ticks, x.steps, false, trade, m);
  }

  /**
   * Books one fill on one order: order progress, fees, wallet, position and the execution.
   * `cap` limits a linear fee and loss (liquidations waive what the wallet cannot pay).
   */
  private fill(
    order: Order,
    ticks: number,
    steps: number,
    isMaker: boolean,
    trade: PublicTrade | undefined,
    m: InstrumentMarket,
    execType: 'Trade' | 'BustTrade' = 'Trade',
    cap?: { fee: BigT; pnlFloor: BigT },
  ): Execution {
    const inst = order.instrument;
    const account = order.account;
    const now = this.now();
    this.touchedMarkets.add(m);
    const price = priceOf(inst, ticks);
    const qty = qtyOf(inst, steps);
    const value = price.times(qty);
    const feeRate = isMaker ? inst.makerFee : inst.takerFee;
    let fee: BigT;
    let closedSize: BigT | undefined;
    let execPnl = ZERO;
    const pending = this.touch(account);

    if (order.category === 'spot') {
      if (order.side === 'Buy') {
        fee = qty.times(feeRate);
        account.credit(inst.quoteCoin, value.neg());
        account.credit(inst.baseCoin, qty.minus(fee));
      } else {
        fee = value.times(feeRate);
        account.credit(inst.baseCoin, qty.neg());
        account.credit(inst.quoteCoin, value.minus(fee));
      }
      if (isPositive(order.locked)) {
        const release = order.side === 'Buy' ? qty.times(order.price) : qty;
        this.setLocked(order, order.locked.minus(release).lt(ZERO) ? ZERO : order.locked.minus(release));
      }
    } else {
      fee = value.times(feeRate);
      if (cap && fee.gt(cap.fee)) fee = cap.fee;
      const pos = this.position(account, inst, order.positionIdx);
      const r = this.applyToPosition(pos, order, price, qty, fee, now, execType, cap?.pnlFloor);
      closedSize = r.closed;
      execPnl = r.pnl;
      account.credit(inst.settleCoin, r.pnl.minus(fee));
      account.bookRealised(inst.settleCoin, r.pnl.minus(fee));
      pending.positions.add(pos);
    }
    pending.wallet = true;

    order.cumExecQty = order.cumExecQty.plus(qty);
    order.cumExecValue = order.cumExecValue.plus(value);
    order.cumExecFee = order.cumExecFee.plus(fee);
    if (order.marketUnit !== 'quoteCoin') order.leavesSteps -= steps;
    const done = order.marketUnit === 'quoteCoin' ? false : order.leavesSteps <= 0;
    this.setStatus(order, done ? 'Filled' : 'PartiallyFilled');
    if (done) this.retire(order);

    const spot = order.category === 'spot';
    const exec: Execution = {
      serial: ++this.execSerial,
      execId: spot ? this.spotExecIds.next() : uuidFrom(this.execRng),
      order,
      account,
      instrument: inst,
      execType,
      side: order.side,
      execPrice: price,
      execQty: qty,
      execValue: plain(value),
      execFee: plain(fee),
      feeRate,
      feeCoin: order.feeCoin,
      isMaker,
      closedSize: closedSize === undefined ? undefined : sharedQty(inst, closedSize),
      execPnl: plain(execPnl),
      markPrice: priceOf(inst, m.markTicks),
      indexPrice: priceOf(inst, m.indexTicks),
      leavesQty: order.marketUnit === 'quoteCoin' ? ZERO : qtyOf(inst, Math.max(0, order.leavesSteps)),
      orderQty: order.qty,
      orderPrice: order.price,
      execTime: now,
      seq: trade?.seq ?? m.seq,
    };
    account.executions.push(exec);
    pending.executions.push(exec);
    return exec;
  }

  /** Applies a fill to a position: add, reduce (realising PnL) or flip. */
  private applyToPosition(
    pos: Position,
    order: Order,
    price: BigT,
    qty: BigT,
    fee: BigT,
    now: number,
    execType: 'Trade' | 'BustTrade',
    pnlFloor?: BigT,
  ): { closed: BigT; pnl: BigT } {
    let closed = ZERO;
    let pnl = ZERO;
    let left = qty;
    let closeFee = ZERO;
    if (!isZero(pos.size) && pos.side !== order.side) {
      closed = left.lt(pos.size) ? left : pos.size;
      const entryPart = closed.eq(pos.size)
        ? pos.entryValue
        : round8(div(pos.entryValue.times(closed), pos.size));
      const exitPart = closed.times(price);
      pnl = direction(pos) === 1 ? exitPart.minus(entryPart) : entryPart.minus(exitPart);
      if (pnlFloor !== undefined && pnl.lt(pnlFloor)) pnl = pnlFloor;
      // Closed PnL carries this fill's fee share for the closed size and the opening fees of it.
      closeFee = closed.eq(qty) ? fee : round8(div(fee.times(closed), qty));
      const openFeePart = closed.eq(pos.size)
        ? pos.entryFees
        : round8(div(pos.entryFees.times(closed), pos.size));
      pos.size = pos.size.minus(closed);
      pos.entryValue = pos.entryValue.minus(entryPart);
      pos.entryFees = pos.entryFees.minus(openFeePart);
      left = left.minus(closed);
      this.recordClosedPnl(
        pos,
        order,
        closed,
        entryPart,
        exitPart,
        pnl,
        closeFee.plus(openFeePart),
        now,
        execType,
      );
      if (isZero(pos.size)) {
        pos.side = '';
        pos.entryValue = ZERO;
        pos.entryFees = ZERO;
        pos.takeProfit = undefined;
        pos.stopLoss = undefined;
        this.untrack(pos);
      }
    }
    if (isPositive(left)) {
      if (isZero(pos.size)) {
        pos.side = order.side;
        pos.createdTime = now;
        pos.curRealisedPnl = ZERO;
        pos.leverage = this.deps.leverageOf(pos.account, pos.instrument);
        if (order.takeProfit) {
          pos.takeProfit = order.takeProfit;
          pos.tpTriggerBy = order.tpTriggerBy;
        }
        if (order.stopLoss) {
          pos.stopLoss = order.stopLoss;
          pos.slTriggerBy = order.slTriggerBy;
        }
        this.track(pos);
      }
      pos.size = pos.size.plus(left);
      pos.entryValue = pos.entryValue.plus(left.times(price));
      pos.entryFees = pos.entryFees.plus(fee.minus(closeFee));
    }
    const realised = pnl.minus(fee);
    pos.curRealisedPnl = pos.curRealisedPnl.plus(realised);
    pos.cumRealisedPnl = pos.cumRealisedPnl.plus(realised);
    pos.updatedTime = now;
    pos.seq += 1;
    if (isZero(pos.size)) {
      if (this.flatDeferred) this.flatDeferred.push(pos);
      else this.cancelReduceOnly(pos, order);
    }
    return { closed, pnl };
  }

  private recordClosedPnl(
    pos: Position,
    order: Order,
    closed: BigT,
    entryPart: BigT,
    exitPart: BigT,
    pnl: BigT,
    fee: BigT,
    now: number,
    execType: 'Trade' | 'BustTrade',
  ): void {
    const list = pos.account.closedPnl;
    let rec = list.last();
    if (!rec || rec.orderId !== order.orderId) {
      if (rec) finishClosedPnl(rec);
      rec = {
        serial: ++this.pnlSerial,
        positionIdx: pos.positionIdx,
        account: pos.account,
        instrument: pos.instrument,
        orderId: order.orderId,
        side: order.side,
        qty: order.qty,
        orderPrice: order.price,
        orderType: order.orderType,
        execType,
        open: {
          closedSize: ZERO,
          cumEntryValue: ZERO,
          avgEntryPrice: ZERO,
          cumExitValue: ZERO,
          avgExitPrice: ZERO,
          closedPnl: ZERO,
        },
        final: undefined,
        fillCount: 0,
        leverage: pos.leverage,
        createdTime: now,
        updatedTime: now,
      } satisfies ClosedPnl;
      list.push(rec);
    }
    // Only the newest record is open: an order's fills come before the next order's.
    const f = rec.open!;
    f.closedSize = f.closedSize.plus(closed);
    f.cumEntryValue = f.cumEntryValue.plus(entryPart);
    f.cumExitValue = f.cumExitValue.plus(exitPart);
    f.avgEntryPrice = round8(div(f.cumEntryValue, f.closedSize));
    f.avgExitPrice = round8(div(f.cumExitValue, f.closedSize));
    f.closedPnl = f.closedPnl.plus(pnl).minus(fee);
    rec.fillCount += 1;
    rec.updatedTime = now;
  }

  private track(pos: Position): void {
    let set = this.openPositions.get(pos.instrument.key);
    if (!set) {
      set = new Set();
      this.openPositions.set(pos.instrument.key, set);
    }
    set.add(pos);
  }

  private untrack(pos: Position): void {
    this.openPositions.get(pos.instrument.key)?.delete(pos);
  }

  /** A flat position takes its resting reduce-only orders with it. */
  private cancelReduceOnly(pos: Position, filling?: Order): void {
    for (const order of [...pos.account.openOrders.values()]) {
      if (order === filling || order.instrument !== pos.instrument || order.positionIdx !== pos.positionIdx)
        continue;
      if (order.status === 'Untriggered' || !this.isClosingOnly(order)) continue;
      this.close(order, 'Cancelled', 'CancelByReduceOnly', 'EC_NoError');
    }
  }

  /** Takes an order out of the open set (its final status is already set). */
  private retire(order: Order): void {
    const a = order.account;
    a.openOrders.delete(order.orderId);
    this.book(order.instrument).remove(order);
    if (isPositive(order.locked)) this.setLocked(order, ZERO);
    // Closed orders are remembered in a bounded ring (the oldest closed is forgotten first), and
    // their figures no longer change: keep them compact.
    order.cumExecQty = sharedQty(order.instrument, order.cumExecQty);
    order.cumExecValue = compact(order.cumExecValue);
    order.cumExecFee = compact(order.cumExecFee);
    a.rememberClosed(order);
  }

  /** Closes an open order with a final status. */
  close(order: Order, status: OrderStatus, cancelType: CancelType, reason: RejectReason): void {
    if (!live(order)) return;
    order.cancelType = cancelType;
    order.rejectReason = reason;
    this.setStatus(order, status);
    this.retire(order);
  }

  // ---- amend and cancel ----------------------------------------------------------------------

  /** Finds an open order by orderId (wins) or orderLinkId, or throws Bybit's not-found error. */
  findOpen(
    account: Account,
    inst: Instrument,
    orderId: string | undefined,
    linkId: string | undefined,
    action: 'cancel' | 'replace',
  ): Order {
    if (!orderId && !linkId) throw errors.paramRaw('params error: OrderId or orderLinkId is required');
    const order = orderId ? account.orders.get(orderId) : account.ordersByLinkId.get(linkId!);
    if (!order || order.instrument !== inst || !isOpen(order)) {
      if (inst.category === 'spot') throw errors.spotOrderNotFound();
      throw errors.orderNotFound(action);
    }
    return order;
  }

  cancel(order: Order, cancelType: CancelType = 'CancelByUser'): void {
    this.run(() => {
      if (order.status === 'Untriggered') {
        order.cancelType = cancelType;
        this.setStatus(order, 'Deactivated');
        this.retire(order);
        return;
      }
      const status: OrderStatus =
        order.category === 'spot' && isPositive(order.cumExecQty) ? 'PartiallyFilledCanceled' : 'Cancelled';
      this.close(order, status, cancelType, 'EC_NoError');
      if (order.category === 'linear')
        this.touch(order.account).positions.add(
          this.position(order.account, order.instrument, order.positionIdx),
        );
    });
  }

  /**
   * Amends qty, price, trigger price or TP/SL of an open order. A new price that crosses the book
   * trades at once (PostOnly is cancelled instead); a larger qty or a new price loses time priority.
   */
  amend(
    order: Order,
    change: { qty?: BigT; price?: BigT; triggerPrice?: BigT; takeProfit?: BigT; stopLoss?: BigT },
  ): void {
    this.run(() => {
      const inst = order.instrument;
      const qtyChanged = change.qty !== undefined && !change.qty.eq(order.qty);
      const priceChanged =
        change.price !== undefined && order.orderType === 'Limit' && !change.price.eq(order.price);
      const trigChanged =
        change.triggerPrice !== undefined &&
        order.triggerPrice !== undefined &&
        !change.triggerPrice.eq(order.triggerPrice);
      const tpChanged = change.takeProfit !== undefined && !eqOpt(change.takeProfit, order.takeProfit);
      const slChanged = change.stopLoss !== undefined && !eqOpt(change.stopLoss, order.stopLoss);
      if (!qtyChanged && !priceChanged && !trigChanged && !tpChanged && !slChanged) {
        throw errors.paramRaw(
          'The order remains unchanged as the parameters entered match the existing ones.',
        );
      }
      if (change.qty !== undefined && change.qty.lte(order.cumExecQty)) {
        throw errors.param(
          `qty ${change.qty.toFixed()} must be greater than the filled qty ${order.cumExecQty.toFixed()}; cancel the order instead`,
        );
      }
      const newQty = change.qty ?? order.qty;
      const newPrice = priceChanged ? change.price! : order.price;
      if (order.orderType === 'Limit' && (qtyChanged || priceChanged) && !order.reduceOnly)
        this.checkMinValue(inst, newQty, newPrice);
      if (trigChanged && order.status === 'Untriggered') {
        const current = this.triggerPriceTicks(inst, order.triggerBy ?? 'LastPrice');
        const trig = ticksOf(inst, change.triggerPrice!);
        if (order.triggerDirection === 1 && trig <= current)
          throw errors.triggerDirection(
            true,
            change.triggerPrice!.toFixed(),
            priceOf(inst, current).toFixed(inst.priceDp),
          );
        if (order.triggerDirection === 2 && trig >= current)
          throw errors.triggerDirection(
            false,
            change.triggerPrice!.toFixed(),
            priceOf(inst, current).toFixed(inst.priceDp),
          );
      }
      // Funds for the amended order: spot re-locks, linear re-checks the extra margin.
      const newLeaves = stepsOfQty(inst, newQty.minus(order.cumExecQty));
      if (order.status !== 'Untriggered' && (qtyChanged || priceChanged)) {
        if (order.category === 'spot') {
          const need = order.side === 'Buy' ? qtyOf(inst, newLeaves).times(newPrice) : qtyOf(inst, newLeaves);
          const avail = this.coin(order.account, order.lockedCoin).available.plus(order.locked);
          if (avail.lt(need))
            throw errors.spotInsufficient(
              `${need.toFixed()} ${order.lockedCoin} needed, ${avail.toFixed()} available`,
            );
        } else if (!this.isClosingOnly(order)) {
          const pos = this.findPosition(order.account, inst, order.positionIdx);
          const lev = this.deps.leverageOf(order.account, inst);
          const imOf = (steps: number, p: BigT) => {
            const v = qtyOf(inst, openingSteps(order, steps, pos)).times(p);
            return div(v, lev).plus(v.times(inst.takerFee));
          };
          const extra = round8(imOf(newLeaves, newPrice).minus(imOf(order.leavesSteps, order.price)));
          const avail = this.coin(order.account, inst.settleCoin).available;
          if (isPositive(extra) && avail.lt(extra)) {
            throw errors.insufficientAvailable(
              `${extra.toFixed()} ${inst.settleCoin} more margin needed, ${avail.toFixed()} available`,
            );
          }
        }
      }
      // Apply.
      const book = this.book(inst);
      if (trigChanged) order.triggerPrice = change.triggerPrice;
      if (change.takeProfit !== undefined)
        order.takeProfit = isPositive(change.takeProfit) ? change.takeProfit : undefined;
      if (change.stopLoss !== undefined)
        order.stopLoss = isPositive(change.stopLoss) ? change.stopLoss : undefined;
      order.updatedTime = this.now();
      this.touch(order.account).orders.add(order);
      if (order.category === 'linear')
        this.touch(order.account).positions.add(this.position(order.account, inst, order.positionIdx));
      if (!qtyChanged && !priceChanged) return;
      order.qty = newQty;
      order.leavesSteps = newLeaves;
      if (priceChanged) {
        order.price = newPrice;
        order.priceTicks = ticksOf(inst, newPrice);
      }
      if (order.status === 'Untriggered') return;
      book.remove(order);
      if (order.category === 'spot') this.lockFor(order);
      this.work(order, this.market(inst));
      if (isOpen(order) && order.category === 'spot') this.lockFor(order);
    });
  }

  // ---- market ticks: triggers, TP/SL, liquidation, resting fills --------------------------------

  /** Called after every simulated tick of an instrument (and after admin price moves). */
  onMarketTick(inst: Instrument, trades: readonly PublicTrade[]): void {
    const book = this.books.get(inst.key);
    const positions = this.openPositions.get(inst.key);
    if (!book && !positions) return;
    const m = this.deps.market(inst);
    if (!m) return;
    this.run(() => {
      if (book && book.conditionals.length > 0) this.fireTriggers(inst, book, m);
      if (positions && positions.size > 0) this.checkPositions(inst, positions, m);
      if (book) this.fillResting(inst, book, m, trades);
    });
  }

  private fireTriggers(inst: Instrument, book: RestingBook, m: InstrumentMarket): void {
    const due = book.conditionals.filter((o) => {
      if (o.hold) return false;
      const p = this.triggerPriceTicks(inst, o.triggerBy ?? 'LastPrice');
      const t = ticksOf(inst, o.triggerPrice!);
      return o.triggerDirection === 1 ? p >= t : p <= t;
    });
    for (const order of due) {
      book.remove(order);
      this.setStatus(order, 'Triggered');
      this.triggerWork(order, m);
    }
  }

  /** A triggered order is checked for funds now, then worked like a new order. */
  private triggerWork(order: Order, m: InstrumentMarket): void {
    const inst = order.instrument;
    if (order.orderType === 'Market') {
      order.priceTicks = this.bandTicks(m, order.side);
      order.price = priceOf(inst, order.priceTicks);
    }
    const closingOnly = order.category === 'linear' && this.isClosingOnly(order);
    if (closingOnly) {
      if (this.closableSteps(order) === 0) {
        this.close(order, 'Cancelled', 'CancelByReduceOnly', 'EC_NoError');
        return;
      }
      if (order.closeOnTrigger && isZero(order.qty)) {
        order.qty = qtyOf(inst, this.closableSteps(order));
        order.leavesSteps = this.closableSteps(order);
      }
    } else {
      try {
        const draft = draftOf(order);
        // Sized in the quote coin: leavesSteps is 0, the budget is what limits the plan.
        const byQuote = order.marketUnit === 'quoteCoin';
        const plan = this.plan(inst, m, {
          side: order.side,
          priceTicks: order.priceTicks,
          leavesSteps: byQuote ? Number.MAX_SAFE_INTEGER : order.leavesSteps,
          marketUnit: order.marketUnit,
          quoteBudget: byQuote ? order.qty : undefined,
          exclude: order,
        });
        this.checkFunds(order.account, draft, order.qty, plan, order.priceTicks, false);
      } catch (e) {
        if (!(e instanceof ExchangeError)) throw e;
        order.rejectReason = 'EC_NoError';
        this.setStatus(order, 'Rejected');
        this.retire(order);
        return;
      }
    }
    this.work(order, m);
  }

  private checkPositions(inst: Instrument, positions: Set<Position>, m: InstrumentMarket): void {
    for (const pos of [...positions]) {
      if (isZero(pos.size)) continue;
      const long = pos.side === 'Buy';
      const liq = liqPrice(pos);
      if (liq !== undefined) {
        const mark = m.markTicks;
        const lt = ticksOf(inst, liq);
        if (long ? mark <= lt : mark >= lt) {
          this.liquidate(pos, m);
          continue;
        }
      }
      const hit = (target: BigT | undefined, by: TriggerBy, above: boolean) => {
        if (target === undefined) return false;
        const p = this.triggerPriceTicks(inst, by);
        const t = ticksOf(inst, target);
        return above ? p >= t : p <= t;
      };
      if (hit(pos.takeProfit, pos.tpTriggerBy, long)) this.closeByStop(pos, 'TakeProfit', m);
      else if (hit(pos.stopLoss, pos.slTriggerBy, !long)) this.closeByStop(pos, 'StopLoss', m);
    }
  }

  /** A position's TP or SL fired: a reduce-only market order closes it. */
  private closeByStop(pos: Position, kind: 'TakeProfit' | 'StopLoss', m: InstrumentMarket): void {
    const inst = pos.instrument;
    const side: Side = pos.side === 'Buy' ? 'Sell' : 'Buy';
    const trigger = kind === 'TakeProfit' ? pos.takeProfit! : pos.stopLoss!;
    pos.takeProfit = undefined;
    pos.stopLoss = undefined;
    const draft: OrderDraft = {
      instrument: inst,
      category: 'linear',
      side,
      orderType: 'Market',
      qty: pos.size,
      price: undefined,
      timeInForce: 'IOC',
      positionIdx: pos.positionIdx,
      orderLinkId: '',
      reduceOnly: true,
      closeOnTrigger: true,
      marketUnit: '',
      triggerPrice: undefined,
      triggerDirection: 0,
      triggerBy: kind === 'TakeProfit' ? pos.tpTriggerBy : pos.slTriggerBy,
      takeProfit: undefined,
      stopLoss: undefined,
      tpTriggerBy: 'LastPrice',
      slTriggerBy: 'LastPrice',
    };
    const order = this.newOrder(
      pos.account,
      draft,
      pos.size,
      priceOf(inst, this.bandTicks(m, side)),
      kind === 'TakeProfit' ? 'CreateByTakeProfit' : 'CreateByStopLoss',
      kind,
    );
    order.triggerPrice = trigger;
    order.triggerBy = draft.triggerBy;
    order.triggerDirection = (kind === 'TakeProfit') === (pos.side === 'Buy') ? 1 : 2;
    this.register(order);
    this.work(order, m);
  }

  /** Mark price crossed the liquidation price: the position closes at its bankruptcy price. */
  private liquidate(pos: Position, m: InstrumentMarket): void {
    const inst = pos.instrument;
    const account = pos.account;
    for (const o of [...account.openOrders.values()]) {
      if (o.instrument === inst) this.cancel(o, 'CancelByPrepareLiq');
    }
    const bust = bustPrice(pos) ?? priceOf(inst, m.markTicks);
    const side: Side = pos.side === 'Buy' ? 'Sell' : 'Buy';
    const order = this.newOrder(
      account,
      {
        instrument: inst,
        category: 'linear',
        side,
        orderType: 'Limit',
        qty: pos.size,
        price: bust,
        timeInForce: 'IOC',
        positionIdx: pos.positionIdx,
        orderLinkId: '',
        reduceOnly: true,
        closeOnTrigger: false,
        marketUnit: '',
        triggerPrice: undefined,
        triggerDirection: 0,
        triggerBy: 'LastPrice',
        takeProfit: undefined,
        stopLoss: undefined,
        tpTriggerBy: 'LastPrice',
        slTriggerBy: 'LastPrice',
      },
      pos.size,
      bust,
      'CreateByLiq',
      '',
    );
    this.register(order);
    this.touch(account).orders.add(order);
    // The account loses at most what its wallet holds beyond its spot locks: the closing fee was
    // never reserved, and funding may have eaten into the margin. The rest of the loss and fee is
    // waived (an insurance fund would absorb it), so a liquidation never leaves the wallet
    // negative or below its locks.
    const exit = bust.times(pos.size);
    const pnl = direction(pos) === 1 ? exit.minus(pos.entryValue) : pos.entryValue.minus(exit);
    const free = account.balance(inst.settleCoin).minus(account.lockedOf(inst.settleCoin));
    const room = isPositive(free) ? free : ZERO;
    const pnlFloor = room.neg();
    const fee = room.plus(pnl.lt(pnlFloor) ? pnlFloor : pnl);
    const trade = m.recordTrade(this.now(), side, ticksOf(inst, bust), stepsOfQty(inst, pos.size));
    this.fill(order, ticksOf(inst, bust), stepsOfQty(inst, pos.size), false, trade, m, 'BustTrade', {
      fee,
      pnlFloor,
    });
  }

  /**
   * Resting orders fill as makers, at their own price, when the simulated market trades through
   * them or the opposite best price reaches them.
   */
  private fillResting(
    inst: Instrument,
    book: RestingBook,
    m: InstrumentMarket,
    trades: readonly PublicTrade[],
  ): void {
    let minSell = Infinity;
    let maxBuy = -Infinity;
    for (const t of trades) {
      if (t.side === 'Sell') minSell = Math.min(minSell, t.priceTicks);
      else maxBuy = Math.max(maxBuy, t.priceTicks);
    }
    const bestAsk = m.book.bestAskTicks() ?? Infinity;
    const bestBid = m.book.bestBidTicks() ?? -Infinity;
    const now = this.now();
    for (const order of [...book.bids]) {
      if (!(order.priceTicks > minSell || order.priceTicks >= bestAsk)) break;
      if (order.hold || !isOpen(order)) continue;
      this.fillMaker(order, m, now);
    }
    for (const order of [...book.asks]) {
      if (!(order.priceTicks < maxBuy || order.priceTicks <= bestBid)) break;
      if (order.hold || !isOpen(order)) continue;
      this.fillMaker(order, m, now);
    }
  }

  private fillMaker(order: Order, m: InstrumentMarket, now: number): void {
    let steps = order.leavesSteps;
    if (order.category === 'linear' && this.isClosingOnly(order)) {
      steps = Math.min(steps, this.closableSteps(order));
      if (steps === 0) {
        this.close(order, 'Cancelled', 'CancelByReduceOnly', 'EC_NoError');
        return;
      }
    }
    const trade = m.recordTrade(now, order.side === 'Buy' ? 'Sell' : 'Buy', order.priceTicks, steps);
    this.fill(order, order.priceTicks, steps, true, trade, m);
    if (
      isOpen(order) &&
      order.category === 'linear' &&
      this.isClosingOnly(order) &&
      this.closableSteps(order) === 0
    ) {
      this.close(order, 'Cancelled', 'CancelByReduceOnly', 'EC_NoError');
    }
  }

  /**
   * Fills an open order now, whatever the market (admin and scenario fills): `steps` at `ticks`,
   * as maker. Returns the execution.
   */
  forceFill(order: Order, ticks: number, steps: number): Execution {
    return this.run(() => {
      const m = this.market(order.instrument);
      const trade = m.recordTrade(this.now(), order.side === 'Buy' ? 'Sell' : 'Buy', ticks, steps);
      return this.fill(order, ticks, steps, true, trade, m);
    });
  }

  // ---- funding ---------------------------------------------------------------------------------

  private armFunding(): void {
    const instruments = this.deps.instruments().filter((i) => i.category === 'linear');
    if (instruments.length === 0) return;
    const now = this.now();
    let next = Infinity;
    for (const i of instruments) next = Math.min(next, nextFundingTime(now, i.spec.fundingIntervalMinutes));
    let last = now;
    const fire = () => {
      const t = this.now();
      this.run(() => {
        for (const inst of instruments) {
          const len = inst.spec.fundingIntervalMinutes * 60_000;
          for (let s = Math.floor(last / len) * len + len; s <= t; s += len) this.settleFunding(inst, s);
        }
      });
      last = t;
      let n = Infinity;
      for (const i of instruments) n = Math.min(n, nextFundingTime(t, i.spec.fundingIntervalMinutes));
      this.fundingTimer = this.deps.clock.setTimer(n - t, fire);
    };
    this.fundingTimer = this.deps.clock.setTimer(next - now, fire);
  }

  /**
   * Funding at settlement time `t`: positionValue (at mark) x rate; longs pay shorts when the rate
   * is positive. Booked as an execution with execType Funding.
   */
  private settleFunding(inst: Instrument, t: number): void {
    const positions = this.openPositions.get(inst.key);
    if (!positions || positions.size === 0) return;
    const m = this.market(inst);
    const rate = Big(fundingRateAt(this.deps.seed, inst.symbol, this.deps.fundingRate(inst), t));
    const mark = priceOf(inst, m.markTicks);
    for (const pos of positions) {
      if (isZero(pos.size)) continue;
      const value = pos.size.times(mark);
      const payment = round8(value.times(rate).times(direction(pos) === 1 ? '1' : '-1'));
      const account = pos.account;
      account.credit(inst.settleCoin, payment.neg());
      account.bookRealised(inst.settleCoin, payment.neg());
      pos.curRealisedPnl = pos.curRealisedPnl.minus(payment);
      pos.cumRealisedPnl = pos.cumRealisedPnl.minus(payment);
      pos.updatedTime = t;
      pos.seq += 1;
      const exec: Execution = {
        serial: ++this.execSerial,
        execId: uuidFrom(this.execRng),
        order: undefined,
        account,
        instrument: inst,
        execType: 'Funding',
        side: pos.side === '' ? 'Buy' : pos.side,
        execPrice: mark,
        execQty: pos.size,
        execValue: plain(value),
        execFee: plain(payment),
        feeRate: rate,
        feeCoin: inst.settleCoin,
        isMaker: false,
        closedSize: ZERO,
        execPnl: '0',
        markPrice: mark,
        indexPrice: priceOf(inst, m.indexTicks),
        leavesQty: ZERO,
        orderQty: ZERO,
        orderPrice: ZERO,
        execTime: t,
        seq: m.seq,
      };
      account.executions.push(exec);
      const p = this.touch(account);
      p.executions.push(exec);
      p.positions.add(pos);
      p.wallet = true;
    }
  }

  // ---- position settings -------------------------------------------------------------------------

  /** Marks positions and wallet as changed (admin edits, leverage). */
  notify(account: Account, positions: Position[], wallet: boolean): void {
    this.run(() => {
      const p = this.touch(account);
      for (const pos of positions) p.positions.add(pos);
      if (wallet) p.wallet = true;
    });
  }

  /** Sets a position directly (scenario seed and admin). */
  setPosition(
    account: Account,
    inst: Instrument,
    idx: PositionIdx,
    side: Side,
    size: BigT,
    avgPrice: BigT,
    leverage?: BigT,
  ): Position {
    return this.run(() => {
      const pos = this.position(account, inst, idx);
      if (leverage) account.leverage.set(inst.symbol, leverage);
      pos.leverage = this.deps.leverageOf(account, inst);
      if (isZero(size)) {
        pos.side = '';
        pos.size = ZERO;
        pos.entryValue = ZERO;
        pos.entryFees = ZERO;
        this.untrack(pos);
        // A position closed by hand takes its resting reduce-only orders with it, as a fill would.
        this.cancelReduceOnly(pos);
      } else {
        if (isZero(pos.size)) pos.createdTime = this.now();
        pos.side = side;
        pos.size = size;
        pos.entryValue = size.times(avgPrice);
        pos.entryFees = ZERO;
        this.track(pos);
      }
      pos.updatedTime = this.now();
      pos.seq += 1;
      const p = this.touch(account);
      p.positions.add(pos);
      p.wallet = true;
      return pos;
    });
  }

  /** Orders placed by TP/SL and liquidations need no further check; used by trading-stop. */
  setTradingStop(
    pos: Position,
    tp: BigT | undefined,
    sl: BigT | undefined,
    tpBy: TriggerBy | undefined,
    slBy: TriggerBy | undefined,
  ): void {
    this.run(() => {
      if (tp !== undefined) pos.takeProfit = isPositive(tp) ? tp : undefined;
      if (sl !== undefined) pos.stopLoss = isPositive(sl) ? sl : undefined;
      if (tpBy) pos.tpTriggerBy = tpBy;
      if (slBy) pos.slTriggerBy = slBy;
      pos.updatedTime = this.now();
      pos.seq += 1;
      this.touch(pos.account).positions.add(pos);
    });
  }

  existingPosition(account: Account, inst: Instrument, idx: PositionIdx): Position | undefined {
    return this.findPosition(account, inst, idx);
  }
}

/**
 * A copy of a Big with an exact-size digit array. big.js results of arithmetic keep spare
 * capacity in their digit arrays (about 160 bytes each); values kept in the account's history
 * (executions, closed orders, closed PnL) are copied once so the history costs half the memory.
 */
function compact(x: BigT): BigT {
  return x === ZERO ? x : Big(x);
}

/** `canonical` when it equals `x` (the shared instance of a tick or step multiple), else a compact `x`. */
function shared(canonical: BigT, x: BigT): BigT {
  return canonical === x ? x : canonical.eq(x) ? canonical : compact(x);
}

/** A size on the instrument's step grid as the shared instance of that many steps. */
function sharedQty(inst: Instrument, qty: BigT): BigT {
  return shared(qtyOf(inst, stepsOfQty(inst, qty)), qty);
}

/** A finished closed-PnL record no longer changes: keep its figures as their wire text. */
function finishClosedPnl(c: ClosedPnl): void {
  if (c.open === undefined) return;
  c.final = closedPnlText(c.instrument, c.open);
  c.open = undefined;
}

/** Open, or triggered and about to be worked within the same command. */
function live(order: Order): boolean {
  return isOpen(order) || order.status === 'Triggered';
}

function eqOpt(a: BigT, b: BigT | undefined): boolean {
  return b === undefined ? isZero(a) : a.eq(b);
}

function draftOf(order: Order): OrderDraft {
  return {
    instrument: order.instrument,
    category: order.category,
    side: order.side,
    orderType: order.orderType,
    qty: order.qty,
    price: order.price,
    timeInForce: order.timeInForce,
    positionIdx: order.positionIdx,
    orderLinkId: order.orderLinkId,
    reduceOnly: order.reduceOnly,
    closeOnTrigger: order.closeOnTrigger,
    marketUnit: order.marketUnit,
    triggerPrice: order.triggerPrice,
    triggerDirection: order.triggerDirection,
    triggerBy: order.triggerBy ?? 'LastPrice',
    takeProfit: order.takeProfit,
    stopLoss: order.stopLoss,
    tpTriggerBy: order.tpTriggerBy,
    slTriggerBy: order.slTriggerBy,
  };
}
