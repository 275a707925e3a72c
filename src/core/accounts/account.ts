/**
 * Accounts and their coin balances. Balances are big.js; a coin absent from the map is zero.
 * History is bounded (docs/engine.md#retention): the newest executions, closed-PnL records and
 * closed orders are kept in rings; open orders and positions are never dropped.
 */
import { Big, ZERO, type Big as BigT } from '../decimal.js';
import { hashString } from '../random.js';
import type { AccountPermission, AccountSpec } from '../seed.js';
import type { ClosedPnl, Execution, Order, Position } from '../trading/model.js';
import { Ring } from './ring.js';

/** How much history one account keeps; the oldest goes first. @see docs/engine.md#retention */
export interface Retention {
  /** Closed orders (filled, cancelled, rejected, deactivated) still found by id and in queries. */
  closedOrders: number;
  /** Executions (fills and funding) for /v5/execution/list. */
  executions: number;
  /** Closed-PnL records for /v5/position/closed-pnl. */
  closedPnl: number;
}

/**
 * About 40 MB of history per busy account when full: a closed order with its figures is about
 * 1.5 KB, an execution about 1 KB, a closed-PnL record about 2 KB (docs/performance.md).
 */
export const DEFAULT_RETENTION: Readonly<Retention> = Object.freeze({
  closedOrders: 10_000,
  executions: 10_000,
  closedPnl: 5_000,
});

export class Account {
  readonly name: string;
  readonly apiKey: string;
  readonly apiSecret: string;
  readonly permissions: AccountPermission;
  /** Stable numeric user id derived from the name, as Bybit UIDs look. */
  readonly uid: number;
  readonly balances = new Map<string, BigT>();
  /** Linear leverage per symbol (one-way mode: one value for both sides). */
  readonly leverage = new Map<string, BigT>();
  /**
   * Every order the account placed that is still remembered, by orderId, in creation order: the
   * open ones and the newest `retention.closedOrders` closed ones.
   */
  readonly orders = new Map<string, Order>();
  /** Orders still open (New, PartiallyFilled, Untriggered), by orderId. */
  readonly openOrders = new Map<string, Order>();
  /** orderLinkId -> order, for lookups and the uniqueness rule. */
  readonly ordersByLinkId = new Map<string, Order>();
  /** Closed orders in the order they closed; the oldest is forgotten when the ring is full. */
  private readonly closedOrders: Ring<Order>;
  /** Executions oldest first (fills and funding), the newest `retention.executions`. */
  readonly executions: Ring<Execution>;
  /** Linear positions by `symbol:positionIdx`. */
  readonly positions = new Map<string, Position>();
  /** Linear symbols in hedge mode (positionIdx 1 and 2). */
  readonly hedgeSymbols = new Set<string>();
  /** Closed-PnL records oldest first, the newest `retention.closedPnl`. */
  readonly closedPnl: Ring<ClosedPnl>;
  /** Coin -> amount held by open spot orders. */
  readonly locked = new Map<string, BigT>();
  /** Coin -> realised PnL booked in that coin (fees and funding included). */
  readonly cumRealised = new Map<string, BigT>();

  constructor(spec: AccountSpec, retention: Readonly<Retention> = DEFAULT_RETENTION) {
    this.closedOrders = new Ring(retention.closedOrders);
    this.executions = new Ring(retention.executions);
    this.closedPnl = new Ring(retention.closedPnl);
    this.name = spec.name;
    this.apiKey = spec.apiKey;
    this.apiSecret = spec.apiSecret;
    this.permissions = spec.permissions;
    this.uid = 10_000_000 + (hashString(`uid:${spec.name}`) % 89_999_999);
    for (const [coin, amount] of Object.entries(spec.balances)) this.balances.set(coin, Big(amount));
    for (const [symbol, lev] of Object.entries(spec.leverage)) this.leverage.set(symbol, Big(lev));
  }

  /** What this account keeps of its history. */
  get retention(): Retention {
    return {
      closedOrders: this.closedOrders.capacity,
      executions: this.executions.capacity,
      closedPnl: this.closedPnl.capacity,
    };
  }

  /** Changes how much history is kept; shrinking forgets the oldest at once. */
  setRetention(r: Partial<Retention>): void {
    if (r.closedOrders !== undefined)
      for (const o of this.closedOrders.resize(r.closedOrders)) this.forget(o);
    if (r.executions !== undefined) this.executions.resize(r.executions);
    if (r.closedPnl !== undefined) this.closedPnl.resize(r.closedPnl);
  }

  /**
   * Files an order that just closed (it already left `openOrders`). When the ring is full the
   * oldest closed order is forgotten: its id and orderLinkId no longer find it.
   */
  rememberClosed(order: Order): void {
    const dropped = this.closedOrders.push(order);
    if (dropped) this.forget(dropped);
  }

  private forget(order: Order): void {
    if (this.openOrders.has(order.orderId)) return;
    if (this.orders.get(order.orderId) === order) this.orders.delete(order.orderId);
    if (order.orderLinkId && this.ordersByLinkId.get(order.orderLinkId) === order)
      this.ordersByLinkId.delete(order.orderLinkId);
  }

  get canTrade(): boolean {
    return this.permissions === 'trade';
  }

  balance(coin: string): BigT {
    return this.balances.get(coin) ?? ZERO;
  }

  lockedOf(coin: string): BigT {
    return this.locked.get(coin) ?? ZERO;
  }

  /** Adds `delta` (may be negative) to a coin's wallet balance. */
  credit(coin: string, delta: BigT): void {
    this.balances.set(coin, this.balance(coin).plus(delta));
  }

  lock(coin: string, delta: BigT): void {
    this.locked.set(coin, this.lockedOf(coin).plus(delta));
  }

  bookRealised(coin: string, delta: BigT): void {
    this.cumRealised.set(coin, (this.cumRealised.get(coin) ?? ZERO).plus(delta));
  }
}

export class AccountBook {
  private readonly byKey = new Map<string, Account>();
  private readonly byName = new Map<string, Account>();

  constructor(specs: readonly AccountSpec[], retention: Readonly<Retention> = DEFAULT_RETENTION) {
    for (const spec of specs) this.add(new Account(spec, retention));
  }

  add(account: Account): void {
    this.byKey.set(account.apiKey, account);
    this.byName.set(account.name, account);
  }

  byApiKey(apiKey: string): Account | undefined {
    return this.byKey.get(apiKey);
  }

  /** By name or apiKey (the admin API accepts either). */
  find(nameOrKey: string): Account | undefined {
    return this.byName.get(nameOrKey) ?? this.byKey.get(nameOrKey);
  }

  all(): Account[] {
    return [...this.byName.values()];
  }
}
