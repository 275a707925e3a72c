/**
 * Bybit's rate limits, enforced on the daemon clock.
 * - UID limits: per account, per endpoint, per category group, in one-second windows (facts §5.2).
 *   Over the budget: retCode 10006 "Too many visits!" with the X-Bapi-Limit* headers.
 * - IP limit: every REST request from one address, 600 per 5 s window (facts §5.1). Over it:
 *   HTTP 403 "access too frequent" until the window ends (or for `banMs`, as Bybit's 10-minute ban).
 * - WebSocket: new connections per address per 5 minutes, open market-data connections per
 *   address per market (facts §5.1), and optionally a per-connection message rate.
 * Windows are fixed and aligned to the window length (a 1 s window runs from one whole second to
 * the next), so a run with the same requests at the same times is the same run.
 * @see ../shared/reference/bybit-v5-facts.md §5; docs/faults.md "Rate limits"
 */
import type { Category } from '../types.js';

/** Requests per second: one number for every category, or per category group. */
export type Budget = number | { linear?: number; spot?: number; option?: number };

/** Documented UID limits, requests per second. */
export const DEFAULT_BUDGETS: Readonly<Record<string, Exclude<Budget, number> | { all: number }>> = {
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

export interface IpLimit {
  /** Requests per window from one address; 0 turns the IP limit off. */
  limit: number;
  windowMs: number;
  /** After a breach, refuse for this long (Bybit: 10 minutes); 0: until the window ends. */
  banMs: number;
}

export interface WsLimits {
  /** New connections per address per `connectionWindowMs` (Bybit: 500 per 5 minutes); 0: off. */
  connections: number;
  connectionWindowMs: number;
  /** Open public (market-data) connections per address per market (Bybit: 1000); 0: off. */
  marketConnections: number;
  /** Requests per second one connection may send; 0: off (Bybit documents no number). */
  messagesPerSecond: number;
}

export interface RateLimitConfig {
  /** Off: budgets are still counted and reported in headers, never enforced. */
  enabled: boolean;
  /** Overrides of the UID budgets by endpoint path (the rest keep Bybit's numbers). */
  uid: Record<string, Budget>;
  ip: IpLimit;
  ws: WsLimits;
}

export interface RateLimitOverrides {
  enabled?: boolean;
  uid?: Record<string, Budget>;
  ip?: Partial<IpLimit>;
  ws?: Partial<WsLimits>;
}

export const DEFAULT_RATE_LIMITS: RateLimitConfig = {
  enabled: true,
  uid: {},
  ip: { limit: 600, windowMs: 5000, banMs: 0 },
  ws: { connections: 500, connectionWindowMs: 300_000, marketConnections: 1000, messagesPerSecond: 0 },
};

export interface LimitStatus {
  limit: number;
  remaining: number;
  resetAt: number;
  exceeded: boolean;
  /** Of the units asked for, how many fit in the budget (all of them when limits are off). */
  granted: number;
}

type Group = 'linear' | 'spot' | 'option';

const groupOf = (category: Category | undefined): Group =>
  category === 'spot' ? 'spot' : category === 'option' ? 'option' : 'linear';

/** Bybit's budget of an endpoint for a category. */
export function budgetFor(path: string, category: Category | undefined): number {
  const b = DEFAULT_BUDGETS[path];
  if (!b) return FALLBACK_LIMIT;
  if ('all' in b) return b.all;
  return b[groupOf(category)] ?? b.linear ?? FALLBACK_LIMIT;
}

/**
 * Budget units a batch spends: one per order on linear, inverse and spot, one per request on
 * option (facts §5.2). A malformed `request` spends one (it is refused anyway). REST and
 * /v5/trade both count this way.
 */
export function batchUnits(category: Category | undefined, request: unknown): number {
  if (category === 'option') return 1;
  return Array.isArray(request) && request.length > 0 && request.length <= 20 ? request.length : 1;
}

/**
 * The three limit fields REST headers and /v5/trade reply headers carry. The reset time is the
 * window's end when the limit is exceeded and the server time otherwise (facts §2.3).
 */
export function limitHeaders(
  limit: LimitStatus,
  serverTime: number,
  skewMs: number,
): { 'X-Bapi-Limit': string; 'X-Bapi-Limit-Status': string; 'X-Bapi-Limit-Reset-Timestamp': string } {
  return {
    'X-Bapi-Limit': String(limit.limit),
    'X-Bapi-Limit-Status': String(limit.remaining),
    'X-Bapi-Limit-Reset-Timestamp': String(limit.exceeded ? limit.resetAt + skewMs : serverTime),
  };
}

const isMap = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);
const count = (v: unknown) => typeof v === 'number' && Number.isSafeInteger(v) && v >= 0 && v <= 1_000_000;

/**
 * Every problem with rate-limit overrides, [] when valid. Durations (`window`, `ban`,
 * `connectionWindow`) go through `duration`, which returns ms or undefined; the checked form with
 * ms fields comes back in `value`.
 */
export function rateLimitProblems(
  v: unknown,
  duration: (d: unknown) => number | undefined,
): { problems: string[]; issues: { path: string[]; message: string }[]; value: RateLimitOverrides } {
  // Each problem with the key path it is about, so a scenario file can point at its line.
  const issues: { path: string[]; message: string }[] = [];
  const at = (path: string[], message: string) => issues.push({ path, message });
  const value: RateLimitOverrides = {};
  if (!isMap(v)) {
    const message = 'rateLimits must be an object {enabled, uid, ip, ws}';
    return { problems: [message], issues: [{ path: [], message }], value };
  }
  for (const k of Object.keys(v))
    if (!['enabled', 'uid', 'ip', 'ws'].includes(k))
      at([k], `unknown key "${k}" (rateLimits takes enabled, uid, ip, ws)`);
  if (v.enabled !== undefined) {
    if (typeof v.enabled !== 'boolean') at(['enabled'], 'enabled must be true or false');
    else value.enabled = v.enabled;
  }
  if (v.uid !== undefined) {
    if (!isMap(v.uid)) at(['uid'], 'uid must map endpoint paths to requests per second');
    else {
      value.uid = {};
      for (const [path, b] of Object.entries(v.uid)) {
        if (!/^\/v5\/[a-z0-9/-]+$/.test(path)) at(['uid', path], `uid: "${path}" is not a v5 endpoint path`);
        if (count(b)) value.uid[path] = b as number;
        else if (
          isMap(b) &&
          Object.keys(b).length > 0 &&
          Object.entries(b).every(([k, n]) => ['linear', 'spot', 'option'].includes(k) && count(n))
        )
          value.uid[path] = b as Budget;
        else
          at(
            ['uid', path],
            `uid: "${path}" must be a whole number of requests per second, or {linear, spot, option} of them`,
          );
      }
    }
  }
  const section = <T extends object>(
    name: string,
    raw: unknown,
    fields: Record<string, 'count' | 'duration'>,
    rename: Record<string, keyof T>,
  ): Partial<T> | undefined => {
    if (raw === undefined) return undefined;
    if (!isMap(raw)) {
      at([name], `${name} must be an object with ${Object.keys(fields).join(', ')}`);
      return undefined;
    }
    const out: Record<string, number> = {};
    for (const [k, val] of Object.entries(raw)) {
      const kind = fields[k];
      if (!kind) {
        at([name, k], `${name}.${k} is unknown (${name} takes ${Object.keys(fields).join(', ')})`);
        continue;
      }
      const ms = kind === 'duration' ? duration(val) : undefined;
      if (kind === 'count' && !count(val)) at([name, k], `${name}.${k} must be a whole number from 0`);
      // A ban of 0 is the default (refused until the window ends); a window must be at least 1 ms.
      else if (kind === 'duration' && (ms === undefined || (ms < 1 && k !== 'ban')))
        at(
          [name, k],
          `${name}.${k} must be a duration such as "5s"${k === 'ban' ? ' (0s: until the window ends)' : ''}`,
        );
      else out[String(rename[k] ?? k)] = kind === 'count' ? (val as number) : ms!;
    }
    return out as Partial<T>;
  };
  const ip = section<IpLimit>(
    'ip',
    v.ip,
    { limit: 'count', window: 'duration', ban: 'duration' },
    { window: 'windowMs', ban: 'banMs' },
  );
  if (ip) value.ip = ip;
  const ws = section<WsLimits>(
    'ws',
    v.ws,
    {
      connections: 'count',
      connectionWindow: 'duration',
      marketConnections: 'count',
      messagesPerSecond: 'count',
    },
    { connectionWindow: 'connectionWindowMs' },
  );
  if (ws) value.ws = ws;
  return { problems: issues.map((i) => i.message), issues, value };
}

function merged(base: RateLimitConfig, o: RateLimitOverrides | undefined): RateLimitConfig {
  if (!o) return { ...base, uid: { ...base.uid }, ip: { ...base.ip }, ws: { ...base.ws } };
  return {
    enabled: o.enabled ?? base.enabled,
    uid: { ...base.uid, ...o.uid },
    ip: { ...base.ip, ...o.ip },
    ws: { ...base.ws, ...o.ws },
  };
}

export interface UidUsage {
  uid: number;
  path: string;
  group: Group;
  used: number;
  limit: number;
  resetAt: number;
}

export interface IpUsage {
  ip: string;
  used: number;
  limit: number;
  resetAt: number;
  bannedUntil: number;
}

interface IpState {
  windowStart: number;
  used: number;
  bannedUntil: number;
}

export class RateLimiter {
  private cfg: RateLimitConfig;
  private windowStart = -1;
  private counts = new Map<string, { uid: number; path: string; group: Group; used: number }>();
  private ips = new Map<string, IpState>();
  private wsOpens = new Map<string, IpState>();
  private wsMessages = new Map<string, { second: number; used: number }>();

  constructor(private readonly scenario?: RateLimitOverrides) {
    this.cfg = merged(DEFAULT_RATE_LIMITS, scenario);
  }

  get config(): RateLimitConfig {
    return this.cfg;
  }

  /** Applies overrides on top of the live settings. */
  configure(o: RateLimitOverrides): RateLimitConfig {
    this.cfg = merged(this.cfg, o);
    return this.cfg;
  }

  /** Back to the scenario's settings, every count cleared. */
  reset(): void {
    this.cfg = merged(DEFAULT_RATE_LIMITS, this.scenario);
    this.clear();
  }

  /** Every count cleared, settings kept. */
  clear(): void {
    this.counts.clear();
    this.ips.clear();
    this.wsOpens.clear();
    this.wsMessages.clear();
    this.windowStart = -1;
  }

  /** The budget of an endpoint for a category under the live settings. */
  limitOf(path: string, category: Category | undefined): number {
    const o = this.cfg.uid[path];
    if (o === undefined) return budgetFor(path, category);
    if (typeof o === 'number') return o;
    return o[groupOf(category)] ?? budgetFor(path, category);
  }

  /**
   * Spends `units` of an account's budget on an endpoint (a batch spends one per order) and
   * reports the budget after it. Units that do not fit are not spent.
   */
  take(now: number, uid: number, path: string, category: Category | undefined, units = 1): LimitStatus {
    const start = now - (now % 1000);
    if (start !== this.windowStart) {
      this.windowStart = start;
      this.counts.clear();
    }
    const limit = this.limitOf(path, category);
    const group = groupOf(category);
    const key = `${uid}|${path}|${group}`;
    let c = this.counts.get(key);
    if (!c) {
      c = { uid, path, group, used: 0 };
      this.counts.set(key, c);
    }
    const room = Math.max(0, limit - c.used);
    const granted = this.cfg.enabled ? Math.min(units, room) : units;
    // Refused units count too: a client hammering a spent budget keeps seeing 0 remaining.
    c.used += units;
    return {
      limit,
      remaining: Math.max(0, limit - c.used),
      resetAt: start + 1000,
      exceeded: granted < units,
      granted,
    };
  }

  /**
   * Counts one REST request from an address. Returns undefined when it may go on, or the time
   * the refusal lasts until.
   */
  takeIp(now: number, ip: string): number | undefined {
    const l = this.cfg.ip;
    if (l.limit <= 0) return undefined;
    const s = this.windowed(this.ips, ip, now, l.windowMs);
    // Off: counted (GET /__admin/rate-limits shows it, as for UID budgets), never refused.
    if (!this.cfg.enabled) {
      s.used += 1;
      return undefined;
    }
    if (now < s.bannedUntil) return s.bannedUntil;
    s.used += 1;
    if (s.used <= l.limit) return undefined;
    const end = s.windowStart + l.windowMs;
    s.bannedUntil = l.banMs > 0 ? now + l.banMs : end;
    return s.bannedUntil;
  }

  /**
   * Whether a new WebSocket connection from an address may open; `openMarket` is how many
   * public connections of that market the address has open now. Returns a refusal reason or undefined.
   */
  wsConnect(now: number, ip: string, market: boolean, openMarket: number): string | undefined {
    const l = this.cfg.ws;
    if (!this.cfg.enabled) return undefined;
    if (market && l.marketConnections > 0 && openMarket >= l.marketConnections)
      return `too many market-data connections from ${ip} (limit ${l.marketConnections} per market)`;
    if (l.connections <= 0) return undefined;
    const s = this.windowed(this.wsOpens, ip, now, l.connectionWindowMs);
    if (s.used >= l.connections)
      return `too many new connections from ${ip} (limit ${l.connections} per ${l.connectionWindowMs / 1000} s)`;
    s.used += 1;
    return undefined;
  }

  /** Counts one request on a WebSocket connection; false when it is over the message rate. */
  takeWsMessage(now: number, connId: string): boolean {
    const l = this.cfg.ws.messagesPerSecond;
    if (!this.cfg.enabled || l <= 0) return true;
    const second = now - (now % 1000);
    let s = this.wsMessages.get(connId);
    if (!s || s.second !== second) {
      s = { second, used: 0 };
      this.wsMessages.set(connId, s);
    }
    s.used += 1;
    return s.used <= l;
  }

  /** Forgets a closed connection's message count. */
  wsClosed(connId: string): void {
    this.wsMessages.delete(connId);
  }

  private windowed(map: Map<string, IpState>, key: string, now: number, windowMs: number): IpState {
    const start = now - (now % windowMs);
    let s = map.get(key);
    if (!s) {
      s = { windowStart: start, used: 0, bannedUntil: 0 };
      map.set(key, s);
    } else if (s.windowStart !== start) {
      s.windowStart = start;
      s.used = 0;
    }
    return s;
  }

  /** Live usage in the current windows. */
  usage(now: number): { uid: UidUsage[]; ip: IpUsage[] } {
    const start = now - (now % 1000);
    const uid =
      start === this.windowStart
        ? [...this.counts.values()].map((c) => ({
            uid: c.uid,
            path: c.path,
            group: c.group,
            used: c.used,
            limit: this.limitOf(c.path, c.group),
            resetAt: start + 1000,
          }))
        : [];
    const l = this.cfg.ip;
    const ip = [...this.ips.entries()]
      .filter(([, s]) => s.windowStart === now - (now % l.windowMs) || s.bannedUntil > now)
      .map(([addr, s]) => ({
        ip: addr,
        used: s.windowStart === now - (now % l.windowMs) ? s.used : 0,
        limit: l.limit,
        resetAt: s.windowStart + l.windowMs,
        bannedUntil: s.bannedUntil > now ? s.bannedUntil : 0,
      }));
    return { uid, ip };
  }
}
