/**
 * Per-account, per-endpoint request budgets in one-second windows on the exchange clock, with
 * Bybit's documented defaults. Counted now and reported in the X-Bapi-Limit* headers; whether
 * an over-budget request is refused is the caller's policy.
 * @see ../shared/reference/bybit-v5-facts.md §5.2
 */
import type { Category } from '../core/types.js';

interface Budget {
  /** Per category group, or `all`. */
  linear?: number;
  spot?: number;
  option?: number;
  all?: number;
}

/** Documented UID limits, requests per second. */
export const DEFAULT_BUDGETS: Record<string, Budget> = {
  '/v5/order/create': { linear: 10, option: 10, spot: 20 },
  '/v5/order/amend': { linear: 10, option: 10, spot: 10 },
  '/v5/order/cancel': { linear: 10, option: 10, spot: 20 },
  '/v5/order/cancel-all': { linear: 10, option: 1, spot: 20 },
  '/v5/order/create-batch': { linear: 10, option: 10, spot: 20 },
  '/v5/order/amend-batch': { linear: 10, option: 10, spot: 20 },
  '/v5/order/cancel-batch': { linear: 10, option: 10, spot: 20 },
  '/v5/order/realtime': { all: 50 },
  '/v5/order/history': { all: 50 },
  '/v5/execution/list': { all: 50 },
  '/v5/position/list': { all: 50 },
  '/v5/position/set-leverage': { all: 10 },
  '/v5/position/switch-mode': { all: 10 },
  '/v5/position/trading-stop': { all: 10 },
  '/v5/position/closed-pnl': { all: 50 },
  '/v5/account/wallet-balance': { all: 50 },
  '/v5/account/info': { all: 50 },
  '/v5/account/fee-rate': { all: 5 },
  '/v5/asset/coin/query-info': { all: 5 },
  '/v5/user/query-api': { all: 10 },
};

const FALLBACK_LIMIT = 50;

export interface LimitStatus {
  limit: number;
  remaining: number;
  resetAt: number;
  exceeded: boolean;
}

export function budgetFor(path: string, category: Category | undefined): number {
  const b = DEFAULT_BUDGETS[path];
  if (!b) return FALLBACK_LIMIT;
  if (b.all !== undefined) return b.all;
  const group = category === 'spot' ? b.spot : category === 'option' ? b.option : b.linear;
  return group ?? b.linear ?? FALLBACK_LIMIT;
}

export class RateLimiter {
  private windowStart = 0;
  private counts = new Map<string, number>();

  /** Counts one request and reports the budget after it. */
  take(now: number, uid: number, path: string, category: Category | undefined): LimitStatus {
    const start = now - (now % 1000);
    if (start !== this.windowStart) {
      this.windowStart = start;
      this.counts.clear();
    }
    const limit = budgetFor(path, category);
    const key = `${uid}|${path}|${category === 'spot' ? 'spot' : category === 'option' ? 'option' : 'other'}`;
    const used = (this.counts.get(key) ?? 0) + 1;
    this.counts.set(key, used);
    return { limit, remaining: Math.max(0, limit - used), resetAt: start + 1000, exceeded: used > limit };
  }

  reset(): void {
    this.counts.clear();
  }
}
