/**
 * Accounts and their coin balances. Balances are big.js; a coin absent from the map is zero.
 */
import { Big, ZERO, type Big as BigT } from '../decimal.js';
import { hashString } from '../random.js';
import type { AccountPermission, AccountSpec } from '../seed.js';

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
