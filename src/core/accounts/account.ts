/**
 * Accounts and their coin balances. Balances are big.js; a coin absent from the map is zero.
 */
import { Big, ZERO, type Big as BigT } from '../decimal.js';
import { hashString } from '../random.js';
import type { AccountPermission, AccountSpec } from '../seed.js';
import type { ClosedPnl, Execution, Order, Position } from '../trading/model.js';

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
  /** Every order the account placed that is still remembered, by orderId, in creation order. */
  readonly orders = new Map<string, Order>();
  /** Orders still open (New, PartiallyFilled, Untriggered), by orderId. */
  readonly openOrders = new Map<string, Order>();
  /** orderLinkId -> order, for lookups and the uniqueness rule. */
  readonly ordersByLinkId = new Map<string, Order>();
  /** Executions oldest first (fills and funding). */
  readonly executions: Execution[] = [];
  /** Linear positions by `symbol:positionIdx`. */
  readonly positions = new Map<string, Position>();
  /** Linear symbols in hedge mode (positionIdx 1 and 2). */
  readonly hedgeSymbols = new Set<string>();
  readonly closedPnl: ClosedPnl[] = [];
  /** Coin -> amount held by open spot orders. */
  readonly locked = new Map<string, BigT>();
  /** Coin -> realised PnL booked in that coin (fees and funding included). */
  readonly cumRealised = new Map<string, BigT>();

  constructor(spec: AccountSpec) {
    this.name = spec.name;
    this.apiKey = spec.apiKey;
    this.apiSecret = spec.apiSecret;
    this.permissions = spec.permissions;
    this.uid = 10_000_000 + (hashString(`uid:${spec.name}`) % 89_999_999);
    for (const [coin, amount] of Object.entries(spec.balances)) this.balances.set(coin, Big(amount));
    for (const [symbol, lev] of Object.entries(spec.leverage)) this.leverage.set(symbol, Big(lev));
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

  constructor(specs: readonly AccountSpec[]) {
    for (const spec of specs) this.add(new Account(spec));
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
