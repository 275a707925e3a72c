/**
 * A REST route: method, path, who may call it, and a handler that parses parameters, calls the
 * facade and returns the result. Everything else (auth, envelope, errors, logging) is shared.
 */
import type { Account } from '../core/accounts/account.js';
import type { Exchange } from '../core/exchange.js';
import type { Category } from '../core/types.js';
import type { Params } from './params.js';

/** public: no auth; read: any valid key; write: a key with trade permission. */
export type Access = 'public' | 'read' | 'write';

export interface RouteContext {
  params: Params;
  exchange: Exchange;
  /** Present on read and write routes. */
  account: Account | undefined;
  /** Batch routes: how many items fit in the rate budget (absent: all). */
  allowed?: number;
}

export interface RouteResult {
  result: unknown;
  retMsg?: string;
  retExtInfo?: unknown;
}

export interface RouteDef {
  method: 'GET' | 'POST';
  path: string;
  access: Access;
  handler: (ctx: RouteContext) => RouteResult;
  /** The category a request counts against for rate limits, when it has one. */
  limitCategory?: (params: Params) => Category | undefined;
  /** Rate budget units a request spends (a batch: one per order); default 1. */
  limitUnits?: (params: Params, category: Category | undefined) => number;
}

export function requireAccount(ctx: RouteContext): Account {
  if (!ctx.account) throw new Error('route declared public but needs an account');
  return ctx.account;
}
