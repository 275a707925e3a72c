/**
 * Rules: how the exchange answers requests, scripted. A rule is trigger + match + action +
 * lifetime; the first live rule that matches a request wins. Rules added at runtime go before
 * the ones from the scenario; reset returns to the scenario's set.
 * @see docs/rules.md
 */
import { parseDecimal } from '../decimal.js';
import type { Random } from '../random.js';
import type { RejectReason } from '../trading/model.js';

/** REST paths and the WS trade op each corresponds to: a trigger names either. */
const OP_OF_PATH: Record<string, string> = {
  '/v5/order/create': 'order.create',
  '/v5/order/amend': 'order.amend',
  '/v5/order/cancel': 'order.cancel',
  '/v5/order/create-batch': 'order.create-batch',
  '/v5/order/amend-batch': 'order.amend-batch',
  '/v5/order/cancel-batch': 'order.cancel-batch',
};

/** The rejectReason values a rule may set (the record keeps the list complete). */
const REJECT_REASONS: readonly string[] = Object.keys({
  EC_NoError: true,
  EC_PostOnlyWillTakeLiquidity: true,
  EC_NoImmediateQtyToFill: true,
  EC_CancelForNoFullFill: true,
  EC_ReachMarketPriceLimit: true,
  EC_ByAdmin: true,
} satisfies Record<RejectReason, true>);

/**
 * A plain unsigned decimal string, in the form the fill steps later hand to Big (which refuses a
 * sign, spaces and exponents that parseDecimal would accept).
 */
function plainDecimal(v: unknown) {
  return typeof v === 'string' && /^(\d+\.?\d*|\.\d+)$/.test(v) ? parseDecimal(v) : undefined;
}

export interface FillStep {
  /** When, in ms after the order was accepted. */
  afterMs: number;
  /** A quantity, or a ratio of the order's qty (one of the two; default: all that is left). */
  qty?: string;
  ratio?: string;
  /** A price, or "market" (default: the order's price; market: the best opposite price). */
  price?: string;
}

export interface RuleAction {
  /** Answer after this many ms of daemon time (or a seeded draw from [min, max]). */
  delayMs?: number | [number, number];
  /** Refuse: a Bybit error (HTTP 200) or a raw HTTP status with a body. */
  fail?: { retCode: number; retMsg: string } | { httpStatus: number; body?: unknown };
  /** Answer retCode 0 with this result, without touching the exchange. */
  respond?: { result: unknown };
  /** Accept the order and never let the market fill it (admin and rule fills still do). */
  hold?: boolean;
  /** Accept, then fill in steps on the daemon clock. */
  fills?: FillStep[];
  /** Accept, then reject (or cancel) after a delay. */
  reject?: { afterMs: number; status?: 'Rejected' | 'Cancelled'; reason?: string };
  /** Push custom private frames to the account after the answer. */
  events?: { afterMs?: number; topic: string; data: unknown[] }[];
}

export interface RuleMatch {
  account?: string;
  symbol?: string;
  category?: string;
  side?: string;
  orderType?: string;
  /** Glob: `*` any run of characters, `?` one. */
  orderLinkId?: string;
  /** Any other request parameter, compared as strings. */
  params?: Record<string, string | number | boolean>;
}

export interface RuleSpec {
  id?: string;
  /** Triggers: REST paths (/v5/order/create), WS ops (order.create, auth, subscribe), or "*". */
  on: string | string[];
  match?: RuleMatch;
  action: RuleAction;
  /** How many times it applies; absent: until removed. */
  times?: number;
}

export interface Rule extends RuleSpec {
  id: string;
  on: string[];
  /** Applications left; Infinity until removed. */
  remaining: number;
  hits: number;
  source: 'scenario' | 'admin';
}

export interface RuleContext {
  /** REST path or WS op. */
  trigger: string;
  account: string;
  apiKey: string;
  params: Record<string, unknown>;
}

/** Validates a rule spec; returns the problems (empty when fine). */
export function ruleProblems(spec: unknown): string[] {
  const p: string[] = [];
  if (typeof spec !== 'object' || spec === null || Array.isArray(spec)) return ['a rule must be an object'];
  const r = spec as Record<string, unknown>;
  const known = new Set(['id', 'on', 'match', 'action', 'times']);
  for (const k of Object.keys(r))
    if (!known.has(k)) p.push(`unknown key "${k}" (rules take id, on, match, action, times)`);
  const on = r.on;
  const triggers = typeof on === 'string' ? [on] : Array.isArray(on) ? on : undefined;
  if (!triggers || triggers.length === 0 || triggers.some((t) => typeof t !== 'string' || t === '')) {
    p.push('on must be a trigger or a list of triggers, e.g. "order.create" or "/v5/order/cancel"');
  }
  if (r.id !== undefined && (typeof r.id !== 'string' || !/^[A-Za-z0-9_.-]{1,64}$/.test(r.id))) {
    p.push('id must be 1-64 letters, digits, "_", "-" or "."');
  }
  if (
    r.times !== undefined &&
    (typeof r.times !== 'number' || !Number.isSafeInteger(r.times) || r.times < 1)
  ) {
    p.push('times must be a whole number >= 1 (leave it out for "until removed")');
  }
  if (r.match !== undefined) {
    if (typeof r.match !== 'object' || r.match === null || Array.isArray(r.match))
      p.push('match must be an object');
    else {
      const m = r.match as Record<string, unknown>;
      for (const [k, v] of Object.entries(m)) {
        if (k === 'params') {
          if (typeof v !== 'object' || v === null || Array.isArray(v))
            p.push('match.params must be an object');
          else
            for (const [pk, pv] of Object.entries(v))
              if (!['string', 'number', 'boolean'].includes(typeof pv))
                p.push(`match.params.${pk} must be a string, number or boolean`);
          continue;
        }
        if (!['account', 'symbol', 'category', 'side', 'orderType', 'orderLinkId'].includes(k)) {
          p.push(
            `match.${k} is not a match key (account, symbol, category, side, orderType, orderLinkId, params)`,
          );
        } else if (typeof v !== 'string') p.push(`match.${k} must be a string`);
      }
    }
  }
  const a = r.action;
  if (typeof a !== 'object' || a === null || Array.isArray(a)) {
    p.push('action is required: an object with delayMs, fail, respond, hold, fills, reject or events');
    return p;
  }
  const act = a as Record<string, unknown>;
  const actions = ['delayMs', 'fail', 'respond', 'hold', 'fills', 'reject', 'events'];
  for (const k of Object.keys(act))
    if (!actions.includes(k)) p.push(`action.${k} is not an action (${actions.join(', ')})`);
  if (Object.keys(act).length === 0) p.push('action is empty');
  const ms = (v: unknown) => typeof v === 'number' && Number.isSafeInteger(v) && v >= 0 && v <= 86_400_000;
  if (act.delayMs !== undefined) {
    const d = act.delayMs;
    const ok =
      ms(d) ||
      (Array.isArray(d) && d.length === 2 && ms(d[0]) && ms(d[1]) && (d[0] as number) <= (d[1] as number));
    if (!ok) p.push('action.delayMs must be ms (0 to one day) or [min, max]');
  }
  if (act.fail !== undefined) {
    const f = act.fail as Record<string, unknown>;
    const bybit =
      typeof f?.retCode === 'number' && Number.isSafeInteger(f.retCode) && typeof f.retMsg === 'string';
    const http =
      typeof f?.httpStatus === 'number' &&
      Number.isInteger(f.httpStatus) &&
      f.httpStatus >= 100 &&
      f.httpStatus <= 599;
    if (!bybit && !http) p.push('action.fail needs {retCode, retMsg} or {httpStatus, body?}');
    else if (bybit && !http && f.retCode === 0)
      p.push('action.fail.retCode must not be 0 (use respond for a success)');
  }
  if (
    act.respond !== undefined &&
    (typeof act.respond !== 'object' || act.respond === null || !('result' in act.respond))
  ) {
    p.push('action.respond needs {result}');
  }
  if (act.hold !== undefined && typeof act.hold !== 'boolean') p.push('action.hold must be true or false');
  if (act.fills !== undefined) {
    if (!Array.isArray(act.fills) || act.fills.length === 0)
      p.push('action.fills must be a non-empty list of steps');
    else
      act.fills.forEach((s: unknown, i: number) => {
        const st = (s ?? {}) as Record<string, unknown>;
        if (!ms(st.afterMs)) p.push(`action.fills[${i}].afterMs must be ms (0 to one day)`);
        if (st.qty !== undefined && st.ratio !== undefined)
          p.push(`action.fills[${i}] takes qty or ratio, not both`);
        if (st.qty !== undefined && !plainDecimal(st.qty)?.gt(parseDecimal('0')!))
          p.push(`action.fills[${i}].qty must be a decimal string > 0`);
        if (st.ratio !== undefined) {
          const r2 = plainDecimal(st.ratio);
          if (!r2 || r2.lte(parseDecimal('0')!) || r2.gt(parseDecimal('1')!))
            p.push(`action.fills[${i}].ratio must be a decimal string in (0, 1]`);
        }
        if (
          st.price !== undefined &&
          st.price !== 'market' &&
          !plainDecimal(st.price)?.gt(parseDecimal('0')!)
        )
          p.push(`action.fills[${i}].price must be a decimal string or "market"`);
      });
  }
  if (act.reject !== undefined) {
    const rj = act.reject as Record<string, unknown>;
    if (!ms(rj?.afterMs)) p.push('action.reject.afterMs must be ms (0 to one day)');
    if (rj?.status !== undefined && rj.status !== 'Rejected' && rj.status !== 'Cancelled')
      p.push('action.reject.status must be Rejected or Cancelled');
    if (rj?.reason !== undefined && (typeof rj.reason !== 'string' || !REJECT_REASONS.includes(rj.reason)))
      p.push('action.reject.reason must be a rejectReason such as EC_NoError');
  }
  if (act.events !== undefined) {
    if (!Array.isArray(act.events)) p.push('action.events must be a list of {topic, data, afterMs?}');
    else
      act.events.forEach((e: unknown, i: number) => {
        const ev = (e ?? {}) as Record<string, unknown>;
        if (typeof ev.topic !== 'string' || ev.topic === '') p.push(`action.events[${i}].topic is required`);
        if (!Array.isArray(ev.data)) p.push(`action.events[${i}].data must be a list`);
        if (ev.afterMs !== undefined && !ms(ev.afterMs)) p.push(`action.events[${i}].afterMs must be ms`);
      });
  }
  if (act.fail !== undefined && act.respond !== undefined) p.push('action takes fail or respond, not both');
  const post = act.hold !== undefined || act.fills !== undefined || act.reject !== undefined;
  if (post && (act.fail !== undefined || act.respond !== undefined))
    p.push('hold, fills and reject need the order accepted: they cannot go with fail or respond');
  return p;
}

/** Glob with `*` and `?`. */
export function globMatches(pattern: string, value: string): boolean {
  const re = new RegExp(
    `^${pattern
      .replace(/[.+^${}()|[\]\\]/g, '\\$&')
      .replace(/\*/g, '.*')
      .replace(/\?/g, '.')}$`,
  );
  return re.test(value);
}

function triggerMatches(on: readonly string[], trigger: string): boolean {
  const alias = OP_OF_PATH[trigger];
  return on.some(
    (t) => t === '*' || t === trigger || (alias !== undefined && t === alias) || OP_OF_PATH[t] === trigger,
  );
}

function matches(rule: Rule, ctx: RuleContext): boolean {
  if (!triggerMatches(rule.on, ctx.trigger)) return false;
  const m = rule.match;
  if (!m) return true;
  const p = ctx.params;
  const eq = (want: string | undefined, got: unknown) =>
    want === undefined || (typeof got === 'string' && got === want);
  if (m.account !== undefined && m.account !== ctx.account && m.account !== ctx.apiKey) return false;
  if (
    !eq(m.symbol, p.symbol) ||
    !eq(m.category, p.category) ||
    !eq(m.side, p.side) ||
    !eq(m.orderType, p.orderType)
  )
    return false;
  if (
    m.orderLinkId !== undefined &&
    !(typeof p.orderLinkId === 'string' && globMatches(m.orderLinkId, p.orderLinkId))
  )
    return false;
  if (m.params) {
    for (const [k, v] of Object.entries(m.params))
      if (p[k] === undefined || p[k] === null || String(p[k]) !== String(v)) return false;
  }
  return true;
}

export class RuleBook {
  private rules: Rule[] = [];
  private seq = 0;

  constructor(
    private readonly initial: readonly RuleSpec[],
    private readonly rng: Random,
  ) {
    this.reset();
  }

  /** Back to the scenario's rules, with fresh lifetimes. */
  reset(): void {
    this.rules = [];
    this.seq = 0;
    for (const spec of this.initial) this.rules.push(this.make(spec, 'scenario'));
  }

  private make(spec: RuleSpec, source: Rule['source']): Rule {
    const id = spec.id ?? this.freshId();
    return {
      ...spec,
      id,
      on: typeof spec.on === 'string' ? [spec.on] : [...spec.on],
      remaining: spec.times ?? Infinity,
      hits: 0,
      source,
    };
  }

  /** A generated id that no rule has or a scenario rule will have (given ids included). */
  private freshId(): string {
    for (;;) {
      const id = `rule-${++this.seq}`;
      if (!this.rules.some((r) => r.id === id) && !this.initial.some((s) => s.id === id)) return id;
    }
  }

  /** Adds a rule in front of the others (admin additions go first). Throws on a duplicate id. */
  add(spec: RuleSpec): Rule {
    if (spec.id !== undefined && this.rules.some((r) => r.id === spec.id)) {
      throw new Error(`a rule with id "${spec.id}" exists`);
    }
    const rule = this.make(spec, 'admin');
    this.rules.unshift(rule);
    return rule;
  }

  remove(id: string): boolean {
    const before = this.rules.length;
    this.rules = this.rules.filter((r) => r.id !== id);
    return this.rules.length !== before;
  }

  list(): Rule[] {
    return this.rules;
  }

  get size(): number {
    return this.rules.length;
  }

  /** The first live rule matching the request, consumed by one application. */
  take(ctx: RuleContext): Rule | undefined {
    for (const rule of this.rules) {
      if (rule.remaining <= 0 || !matches(rule, ctx)) continue;
      rule.remaining -= 1;
      rule.hits += 1;
      return rule;
    }
    return undefined;
  }

  /** The delay of an action, drawn from the seeded stream when it is a range. */
  delayOf(action: RuleAction): number {
    const d = action.delayMs;
    if (d === undefined) return 0;
    if (typeof d === 'number') return d;
    return d[0] + Math.floor(this.rng.next() * (d[1] - d[0] + 1));
  }
}
