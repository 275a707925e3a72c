/**
 * A typed client for the admin API (/__admin), for test suites and scripts that drive a running
 * daemon: in-process (`startExchange().admin`) or anywhere else (`new AdminClient(url)`). One
 * method per route, global fetch, no dependencies. A 4xx/5xx answer throws AdminApiError with
 * the status and the admin error body.
 * @see docs/admin-api.md, docs/embedding.md
 */
import type { Exchange } from '../core/exchange.js';
import type { FaultEffect, FaultSpec, NetworkSettings } from '../core/faults/faults.js';
import type { Budget, IpUsage, RateLimitConfig, UidUsage } from '../core/limits/rate-limits.js';
import type { RuleAction, RuleMatch } from '../core/rules/rules.js';
import type { executionView, positionView } from '../core/views/trading-views.js';
import type { JournalEntry } from '../runtime/journal.js';
import type { ConnectionInfo } from '../ws/hub.js';

// ---- wire types ----------------------------------------------------------------------------

/** A decimal as the admin API takes it: a string ("0.01"). Numbers are sent as String(n). */
export type DecimalInput = string | number;
export type Category = 'linear' | 'spot';

export interface HealthView {
  status: 'ok';
  version: string;
  uptimeMs: number;
  ports: { http: number | undefined };
}

/** GET /state: instruments with prices, accounts with balances and leverage. */
export type StateView = ReturnType<Exchange['stateView']>;
/** One row of GET /accounts. */
export type AccountSummary = ReturnType<Exchange['accountsSummary']>[number];
/** GET /accounts/{account}: wallet as wallet-balance shows it, open positions and orders. */
export type AccountDetail = ReturnType<Exchange['accountDetail']>;
/** The unified wallet row of an account (wallet-balance `list[0]`). */
export type WalletView = AccountDetail['wallet'];
/** An order as `order/realtime` shows it, plus its category. */
export type OrderView = ReturnType<Exchange['adminFill']>;
/** One row of GET /orders: an order plus the account it belongs to. */
export type AdminOrderView = ReturnType<Exchange['adminOrders']>[number];
/** An execution as `execution/list` shows it, plus its category. */
export type ExecutionView = ReturnType<typeof executionView> & { category: string };
/** A position as `position/list` shows it, plus its category. */
export type PositionView = ReturnType<typeof positionView> & { category: string };
export type { JournalEntry, ConnectionInfo };

export interface ResetView {
  status: 'reset';
  state: StateView;
}

export interface ScenarioView {
  /** The file it was loaded from, or `<inline scenario>` / `<admin upload>`. */
  file: string;
  /** The parsed scenario. */
  scenario: Record<string, unknown>;
}

export interface NewAccount {
  name: string;
  apiKey: string;
  apiSecret: string;
  permissions?: 'trade' | 'read-only';
  balances?: Record<string, DecimalInput>;
}

export interface PositionInput {
  side: 'Buy' | 'Sell';
  size: DecimalInput;
  avgPrice?: DecimalInput;
  leverage?: DecimalInput;
  positionIdx?: 0 | 1 | 2;
}

export interface OrdersFilter {
  /** Name or apiKey. */
  account?: string;
  symbol?: string;
  /** An order status: New, PartiallyFilled, Filled, Cancelled, Rejected, Untriggered, ... */
  status?: string;
}

export interface ClockView {
  /** The daemon clock (ms). */
  now: number;
  mode: 'manual' | 'real';
  /** How far the time the daemon tells clients is off its clock (PUT /clock/skew). */
  skewMs: number;
  /** The time clients see: `now + skewMs`. */
  serverTime: number;
}

export interface ClockSkewView {
  skewMs: number;
  serverTime: number;
}

/** A rule as POST /rules takes it (docs/rules.md). */
export interface RuleInput {
  id?: string;
  on: string | string[];
  match?: RuleMatch;
  action: RuleAction;
  times?: number;
}

export interface RuleView {
  id: string;
  on: string[];
  match: RuleMatch;
  action: RuleAction;
  times: number | null;
  remaining: number | null;
  hits: number;
  source: string;
}

/** A fault as POST /faults takes it (docs/faults.md): the scenario's spec, `for` as a duration. */
export type FaultInput = Omit<FaultSpec, 'forMs'> & {
  /** How long it lasts, a duration such as "30s" (or ms). */
  for?: string | number;
};

/** A fault as the admin API shows it: REST faults have `path`, WebSocket ones `stream`/`topic`/`op`. */
export interface FaultView {
  id: string;
  transport: 'rest' | 'ws';
  path?: string;
  stream?: string | null;
  topic?: string | null;
  op?: string | null;
  account: string | null;
  effect: FaultEffect;
  probability: number;
  times: number | null;
  remaining: number | null;
  until: number | null;
  hits: number;
  source: string;
  [field: string]: unknown;
}

export interface RequestsFilter {
  /** Matches the end of "POST /v5/order/create" or a WS stream path. */
  path?: string;
  account?: string;
  /** A WebSocket op (order.create, subscribe, auth, ...). */
  op?: string;
  retCode?: number;
  status?: number;
  /** Daemon-clock ms time: entries at or after it. */
  since?: number;
  /** At most this many, newest first (default 100). */
  limit?: number;
}

export interface CloseConnectionsInput {
  /** A stream kind (public-linear, private, ...) or path (/v5/private). */
  stream?: string;
  account?: string;
  connId?: string;
  /** Close code: 1000 (default), 1001, 1011, 1012, 3000-4999. */
  code?: number;
  reason?: string;
  /** `close` sends a close frame; `terminate` drops the socket (the client sees 1006). */
  mode?: 'close' | 'terminate';
}

/** Network conditions for every request and frame (`/__admin/network`, docs/faults.md). */
export type NetworkConditions = NetworkSettings;

/** PUT /rate-limits: changes to the rate limits (docs/faults.md "Rate limits"); durations as "5s" or ms. */
export interface RateLimitsInput {
  /** false: budgets are counted and reported in headers, never enforced. */
  enabled?: boolean;
  /** Requests per second by endpoint path, one number or per category group. */
  uid?: Record<string, Budget>;
  ip?: { limit?: number; window?: string | number; ban?: string | number };
  ws?: {
    connections?: number;
    connectionWindow?: string | number;
    marketConnections?: number;
    messagesPerSecond?: number;
  };
}

/** GET /rate-limits: the limits in force and what is used of them now. */
export interface RateLimitsView {
  config: RateLimitConfig;
  usage: {
    uid: (UidUsage & { account: string })[];
    ip: IpUsage[];
    wsConnections: number;
  };
}

/** The error body every admin refusal carries. */
export interface AdminErrorBody {
  error: string;
  message: string;
  hint?: string;
  /** POST /scenario: every problem of the refused scenario. */
  problems?: { line: number; column: number; path: string; message: string }[];
  [field: string]: unknown;
}

// ---- live events ---------------------------------------------------------------------------

export type AdminEventType = 'order' | 'execution' | 'position' | 'wallet' | 'connection' | 'reset';

interface EventBase<T extends AdminEventType, D> {
  type: T;
  /** The account the change belongs to ("" for reset). */
  account: string;
  /** Daemon-clock time of the change (ms). */
  time: number;
  data: D;
}

export interface ConnectionEventData {
  event: string;
  connId: string;
  stream: string;
  account: string;
}

/** One server-sent event from GET /__admin/events; `data` is the row as REST shows it. */
export type AdminEvent =
  | EventBase<'order', OrderView>
  | EventBase<'execution', ExecutionView>
  | EventBase<'position', PositionView>
  | EventBase<'wallet', WalletView>
  | EventBase<'connection', ConnectionEventData>
  | EventBase<'reset', Record<string, never>>;

export interface EventsOptions {
  /** Only this account's events (reset events always come). */
  account?: string;
  /** Only these types (default: all). */
  types?: AdminEventType[];
  /** Aborting it closes the stream. */
  signal?: AbortSignal;
}

// ---- errors --------------------------------------------------------------------------------

/** The admin API refused a request (HTTP 4xx/5xx). */
export class AdminApiError extends Error {
  /** The admin error code (`order_not_found`, `clock_not_manual`, ...), or `http_<status>`. */
  readonly code: string;
  constructor(
    readonly method: string,
    readonly path: string,
    readonly status: number,
    /** The parsed error body, or the raw text when it was not JSON. */
    readonly body: AdminErrorBody | string,
  ) {
    const detail =
      typeof body === 'string'
        ? body.slice(0, 200)
        : `${body.error}: ${body.message}${body.hint ? ` (${body.hint})` : ''}`;
    super(`admin ${method} ${path} answered HTTP ${status}: ${detail}`);
    this.name = 'AdminApiError';
    this.code = typeof body === 'string' ? `http_${status}` : body.error;
  }
}

// ---- the client ----------------------------------------------------------------------------

export interface AdminClientOptions {
  /** Admin bearer token (the daemon's --admin-token / BYBIT_MOCK_ADMIN_TOKEN). */
  token?: string;
  /** A fetch implementation (default: the global one). */
  fetch?: typeof fetch;
}

type Query = Record<string, string | number | undefined>;

function queryString(q: Query): string {
  const p = new URLSearchParams();
  for (const [k, v] of Object.entries(q)) if (v !== undefined && v !== '') p.set(k, String(v));
  const s = p.toString();
  return s ? `?${s}` : '';
}

function dec(v: DecimalInput): string {
  return typeof v === 'number' ? String(v) : v;
}

const enc = encodeURIComponent;

export class AdminClient {
  /** The admin base URL, ending in /__admin. */
  readonly url: string;
  private readonly token: string | undefined;
  private readonly fetchFn: typeof fetch;

  /**
   * @param adminUrl the admin base (`http://127.0.0.1:8080/__admin`) or the daemon's base URL
   *   (`http://127.0.0.1:8080`), to which `/__admin` is added.
   */
  constructor(adminUrl: string, opts: AdminClientOptions = {}) {
    const base = adminUrl.replace(/\/+$/, '');
    this.url = base.endsWith('/__admin') ? base : `${base}/__admin`;
    this.token = opts.token;
    this.fetchFn = opts.fetch ?? globalThis.fetch;
  }

  private headers(extra: Record<string, string> = {}): Record<string, string> {
    return this.token ? { Authorization: `Bearer ${this.token}`, ...extra } : extra;
  }

  /**
   * Any admin call: `path` is relative to /__admin (`/state`, `/orders?status=New`). A string body
   * is sent as it is (scenario YAML); anything else as JSON. Returns the parsed JSON answer (or
   * the text when it is not JSON); throws AdminApiError on 4xx/5xx.
   */
  async request<T = unknown>(method: string, path: string, body?: unknown): Promise<T> {
    const rel = path.startsWith('/') ? path : `/${path}`;
    const init: RequestInit = { method, headers: this.headers() };
    if (typeof body === 'string') {
      init.body = body;
      init.headers = this.headers({ 'Content-Type': 'text/plain; charset=utf-8' });
    } else if (body !== undefined) {
      init.body = JSON.stringify(body);
      init.headers = this.headers({ 'Content-Type': 'application/json' });
    }
    const res = await this.fetchFn(this.url + rel, init);
    const text = await res.text();
    let parsed: unknown = text;
    try {
      parsed = text === '' ? undefined : JSON.parse(text);
    } catch {
      // not JSON: keep the text
    }
    if (!res.ok) {
      const errBody =
        typeof parsed === 'object' && parsed !== null && typeof (parsed as AdminErrorBody).error === 'string'
          ? (parsed as AdminErrorBody)
          : text;
      throw new AdminApiError(method, `/__admin${rel}`, res.status, errBody);
    }
    return parsed as T;
  }

  // ---- daemon ----

  health(): Promise<HealthView> {
    return this.request('GET', '/health');
  }

  /** Polls /health until it answers 200 (for a daemon that is still starting). */
  async waitUntilReady(opts: { timeoutMs?: number; intervalMs?: number } = {}): Promise<HealthView> {
    const deadline = Date.now() + (opts.timeoutMs ?? 30_000);
    let last: unknown;
    for (;;) {
      try {
        return await this.health();
      } catch (err) {
        last = err;
      }
      if (Date.now() >= deadline)
        throw new Error(`bybit-mock at ${this.url} was not healthy in time: ${String(last)}`);
      await new Promise((r) => setTimeout(r, opts.intervalMs ?? 200));
    }
  }

  state(): Promise<StateView> {
    return this.request('GET', '/state');
  }

  /** Back to the loaded scenario: prices, balances, orders, clock, journal; WS connections close. */
  reset(): Promise<ResetView> {
    return this.request('POST', '/reset');
  }

  scenario(): Promise<ScenarioView> {
    return this.request('GET', '/scenario');
  }

  /** Replaces the loaded scenario with this YAML and resets to it (400 bad_scenario with problems). */
  loadScenario(yaml: string): Promise<{ status: 'loaded'; state: StateView }> {
    return this.request('POST', '/scenario', yaml);
  }

  /** The OpenAPI 3.1 description of the admin API. */
  openApi(): Promise<Record<string, unknown>> {
    return this.request('GET', '/openapi.json');
  }

  // ---- accounts ----

  async accounts(): Promise<AccountSummary[]> {
    return (await this.request<{ accounts: AccountSummary[] }>('GET', '/accounts')).accounts;
  }

  /** One account by name or apiKey. */
  account(account: string): Promise<AccountDetail> {
    return this.request('GET', `/accounts/${enc(account)}`);
  }

  addAccount(spec: NewAccount): Promise<AccountDetail> {
    const balances =
      spec.balances && Object.fromEntries(Object.entries(spec.balances).map(([c, v]) => [c, dec(v)]));
    return this.request('POST', '/accounts', { ...spec, ...(balances ? { balances } : {}) });
  }

  /** Sets a coin's wallet balance; returns the account. */
  setBalance(account: string, coin: string, walletBalance: DecimalInput): Promise<AccountDetail> {
    return this.request('PUT', `/accounts/${enc(account)}/balances/${enc(coin)}`, {
      walletBalance: dec(walletBalance),
    });
  }

  /** Opens or replaces a linear position as if filled at avgPrice (size "0" closes it). */
  setPosition(
    account: string,
    symbol: string,
    p: PositionInput,
    category = 'linear',
  ): Promise<AccountDetail> {
    const body: Record<string, unknown> = { side: p.side, size: dec(p.size) };
    if (p.avgPrice !== undefined) body.avgPrice = dec(p.avgPrice);
    if (p.leverage !== undefined) body.leverage = dec(p.leverage);
    if (p.positionIdx !== undefined) body.positionIdx = p.positionIdx;
    return this.request('PUT', `/accounts/${enc(account)}/positions/${enc(category)}/${enc(symbol)}`, body);
  }

  /** An account's open positions (from GET /accounts/{account}). */
  async positions(account: string): Promise<AccountDetail['positions']> {
    return (await this.account(account)).positions;
  }

  /** An account's coin balances (from GET /accounts). */
  async balances(account: string): Promise<Record<string, string>> {
    const row = (await this.accounts()).find((a) => a.name === account || a.apiKey === account);
    if (!row)
      throw new AdminApiError('GET', '/__admin/accounts', 404, {
        error: 'account_not_found',
        message: `No account named or keyed "${account}".`,
      });
    return row.balances;
  }

  // ---- orders ----

  /** Orders of every account (or one), newest first. */
  async orders(filter: OrdersFilter = {}): Promise<AdminOrderView[]> {
    return (await this.request<{ orders: AdminOrderView[] }>('GET', `/orders${queryString({ ...filter })}`))
      .orders;
  }

  /** Fills an open order now as maker: all that is left (or `qty`) at its price (or `price`). */
  fillOrder(orderId: string, opts: { qty?: DecimalInput; price?: DecimalInput } = {}): Promise<OrderView> {
    const body: Record<string, string> = {};
    if (opts.qty !== undefined) body.qty = dec(opts.qty);
    if (opts.price !== undefined) body.price = dec(opts.price);
    return this.request('POST', `/orders/${enc(orderId)}/fill`, body);
  }

  cancelOrder(orderId: string): Promise<OrderView> {
    return this.request('POST', `/orders/${enc(orderId)}/cancel`);
  }

  /** Rejects an accepted order that has no fills (reason default EC_NoError). */
  rejectOrder(orderId: string, reason?: string): Promise<OrderView> {
    return this.request('POST', `/orders/${enc(orderId)}/reject`, reason === undefined ? {} : { reason });
  }

  // ---- market ----

  /**
   * Moves a symbol's price now, or with `over` ("5s", or ms) as a ramp. Spot and linear share
   * the price; `category` picks the instrument that names it (default linear).
   */
  setPrice(
    symbol: string,
    price: DecimalInput,
    opts: { category?: Category; over?: string | number } = {},
  ): Promise<StateView> {
    const body: Record<string, unknown> = { price: dec(price) };
    if (opts.over !== undefined) body.over = opts.over;
    return this.request('POST', `/market/${enc(opts.category ?? 'linear')}/${enc(symbol)}/price`, body);
  }

  /** Prints one public trade (taker `side`); resting orders it trades through fill. */
  printTrade(
    symbol: string,
    t: { price: DecimalInput; qty: DecimalInput; side: 'Buy' | 'Sell'; category?: Category },
  ): Promise<StateView> {
    return this.request('POST', `/market/${enc(t.category ?? 'linear')}/${enc(symbol)}/trade`, {
      price: dec(t.price),
      qty: dec(t.qty),
      side: t.side,
    });
  }

  /** Holds every fair price still. */
  pauseMarket(): Promise<{ paused: true }> {
    return this.request('POST', '/market/pause');
  }

  resumeMarket(): Promise<{ paused: false }> {
    return this.request('POST', '/market/resume');
  }

  // ---- clock ----

  clock(): Promise<ClockView> {
    return this.request('GET', '/clock');
  }

  /** Moves a manual clock forward by `ms` (409 clock_not_manual on a real-time clock). */
  advanceClock(ms: number): Promise<ClockView> {
    return this.request('POST', '/clock/advance', { ms });
  }

  /** Moves a manual clock forward to `time` (ms epoch; never back). */
  setClock(time: number): Promise<ClockView> {
    return this.request('POST', '/clock/set', { time });
  }

  /** Skews the time the daemon tells clients and judges their timestamps by (0 removes it). */
  setClockSkew(skewMs: number): Promise<ClockSkewView> {
    return this.request('PUT', '/clock/skew', { skewMs });
  }

  // ---- rules ----

  async rules(): Promise<RuleView[]> {
    return (await this.request<{ rules: RuleView[] }>('GET', '/rules')).rules;
  }

  addRule(rule: RuleInput): Promise<RuleView> {
    return this.request('POST', '/rules', rule);
  }

  removeRule(id: string): Promise<{ removed: string }> {
    return this.request('DELETE', `/rules/${enc(id)}`);
  }

  /** Back to the scenario's rules, with fresh counts. */
  async resetRules(): Promise<RuleView[]> {
    return (await this.request<{ rules: RuleView[] }>('POST', '/rules/reset')).rules;
  }

  // ---- faults ----

  async faults(): Promise<FaultView[]> {
    return (await this.request<{ faults: FaultView[] }>('GET', '/faults')).faults;
  }

  addFault(fault: FaultInput): Promise<FaultView> {
    return this.request('POST', '/faults', fault);
  }

  removeFault(id: string): Promise<{ removed: string }> {
    return this.request('DELETE', `/faults/${enc(id)}`);
  }

  /** Back to the scenario's faults. */
  async resetFaults(): Promise<FaultView[]> {
    return (await this.request<{ faults: FaultView[] }>('POST', '/faults/reset')).faults;
  }

  // ---- network and rate limits ----

  /** The network conditions in force, or null when none are set. */
  async network(): Promise<NetworkConditions | null> {
    return (await this.request<{ network: NetworkConditions | null }>('GET', '/network')).network;
  }

  /** Sets the network conditions (absent fields are 0); returns them. */
  async setNetwork(conditions: Partial<NetworkConditions>): Promise<NetworkConditions | null> {
    return (await this.request<{ network: NetworkConditions | null }>('PUT', '/network', conditions)).network;
  }

  /** Removes the network conditions. */
  async clearNetwork(): Promise<NetworkConditions | null> {
    return (await this.request<{ network: NetworkConditions | null }>('DELETE', '/network')).network;
  }

  rateLimits(): Promise<RateLimitsView> {
    return this.request('GET', '/rate-limits');
  }

  /** Changes the rate limits (the fields given; the rest keep their values). */
  setRateLimits(settings: RateLimitsInput): Promise<RateLimitsView> {
    return this.request('PUT', '/rate-limits', settings);
  }

  /** Back to the scenario's rate limits, with empty counters. */
  resetRateLimits(): Promise<RateLimitsView> {
    return this.request('POST', '/rate-limits/reset');
  }

  // ---- request journal ----

  /** Journal entries, newest first. */
  async requests(filter: RequestsFilter = {}): Promise<JournalEntry[]> {
    return (await this.request<{ requests: JournalEntry[] }>('GET', `/requests${queryString({ ...filter })}`))
      .requests;
  }

  async countRequests(filter: Omit<RequestsFilter, 'limit'> = {}): Promise<number> {
    return (await this.request<{ count: number }>('GET', `/requests/count${queryString({ ...filter })}`))
      .count;
  }

  clearRequests(): Promise<{ cleared: true }> {
    return this.request('DELETE', '/requests');
  }

  // ---- WebSocket connections and private events ----

  async connections(): Promise<ConnectionInfo[]> {
    return (await this.request<{ connections: ConnectionInfo[] }>('GET', '/connections')).connections;
  }

  /** Closes the matching connections (all without a filter); returns their ids. */
  async closeConnections(filter: CloseConnectionsInput = {}): Promise<string[]> {
    return (await this.request<{ closed: string[] }>('POST', '/connections/close', filter)).closed;
  }

  /** Pushes `{id, topic, creationTime, data}` to the account's private connections on `topic`. */
  async pushPrivateEvent(account: string, topic: string, data: unknown[] | object): Promise<number> {
    return (await this.request<{ delivered: number }>('POST', '/events/private', { account, topic, data }))
      .delivered;
  }

  /**
   * Opens the live event stream (GET /events). Resolves once the daemon has subscribed it, so
   * nothing that happens after the await is missed. Iterate it with `for await`, or wait for one
   * event with `waitFor`; `close()` it when done.
   */
  async events(opts: EventsOptions = {}): Promise<AdminEventStream> {
    const controller = new AbortController();
    if (opts.signal) {
      if (opts.signal.aborted) controller.abort();
      else opts.signal.addEventListener('abort', () => controller.abort(), { once: true });
    }
    const path = `/events${queryString({ account: opts.account, types: opts.types?.join(',') })}`;
    const res = await this.fetchFn(this.url + path, {
      headers: this.headers({ Accept: 'text/event-stream' }),
      signal: controller.signal,
    });
    if (!res.ok || !res.body) {
      const text = await res.text();
      let body: AdminErrorBody | string = text;
      try {
        body = JSON.parse(text) as AdminErrorBody;
      } catch {
        // keep the text
      }
      throw new AdminApiError('GET', `/__admin${path}`, res.status, body);
    }
    return new AdminEventStream(res.body, controller);
  }
}

interface Waiter {
  resolve(r: IteratorResult<AdminEvent>): void;
  reject(err: unknown): void;
}

/** The live admin events: an async iterable with `waitFor` and `close`. */
export class AdminEventStream implements AsyncIterable<AdminEvent> {
  private readonly queue: AdminEvent[] = [];
  private readonly waiting: Waiter[] = [];
  private done = false;
  private failure: unknown;

  /** @internal Use AdminClient.events(). */
  constructor(
    body: ReadableStream<Uint8Array>,
    private readonly controller: AbortController,
  ) {
    void this.pump(body);
  }

  private async pump(body: ReadableStream<Uint8Array>): Promise<void> {
    const reader = body.getReader();
    const decoder = new TextDecoder();
    let buffer = '';
    try {
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        buffer += decoder.decode(value, { stream: true }).replace(/\r\n?/g, '\n');
        let end: number;
        while ((end = buffer.indexOf('\n\n')) >= 0) {
          const block = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          const event = parseBlock(block);
          if (event) this.push(event);
        }
      }
    } catch (err) {
      if (!this.controller.signal.aborted) this.failure = err;
    }
    this.finish();
  }

  private push(e: AdminEvent): void {
    const w = this.waiting.shift();
    if (w) w.resolve({ value: e, done: false });
    else this.queue.push(e);
  }

  private finish(): void {
    if (this.done) return;
    this.done = true;
    for (const w of this.waiting.splice(0)) {
      if (this.failure !== undefined) w.reject(this.failure);
      else w.resolve({ value: undefined, done: true });
    }
  }

  private read(waiter?: (w: Waiter) => void): Promise<IteratorResult<AdminEvent>> {
    const e = this.queue.shift();
    if (e) return Promise.resolve({ value: e, done: false });
    if (this.done)
      return this.failure !== undefined
        ? Promise.reject(this.failure)
        : Promise.resolve({ value: undefined, done: true });
    return new Promise((resolve, reject) => {
      const w = { resolve, reject };
      this.waiting.push(w);
      waiter?.(w);
    });
  }

  /** The next event; `done` once the stream is closed or the daemon went away. */
  next(): Promise<IteratorResult<AdminEvent>> {
    return this.read();
  }

  /**
   * Reads events until one matches (the ones before it are consumed) and returns it. Rejects
   * after `timeoutMs` (default 10 s), leaving later events to later reads, or when the stream
   * ends first.
   */
  async waitFor(
    predicate: (e: AdminEvent) => boolean,
    opts: { timeoutMs?: number } = {},
  ): Promise<AdminEvent> {
    const timeoutMs = opts.timeoutMs ?? 10_000;
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      let pending: Waiter | undefined;
      let timer: ReturnType<typeof setTimeout> | undefined;
      const r = await new Promise<IteratorResult<AdminEvent>>((resolve, reject) => {
        timer = setTimeout(
          () => {
            // Give up the place in line, so the next event goes to whoever reads next.
            const i = pending ? this.waiting.indexOf(pending) : -1;
            if (i >= 0) this.waiting.splice(i, 1);
            reject(new Error(`no matching admin event within ${timeoutMs} ms`));
          },
          Math.max(0, deadline - Date.now()),
        );
        this.read((w) => (pending = w)).then(resolve, reject);
      }).finally(() => clearTimeout(timer));
      if (r.done) throw new Error('the admin event stream ended before a matching event');
      if (predicate(r.value)) return r.value;
    }
  }

  /** Closes the stream; pending and later reads end with `done`. */
  close(): void {
    this.controller.abort();
    this.failure = undefined;
    this.finish();
  }

  [Symbol.asyncIterator](): AsyncIterator<AdminEvent> {
    return {
      next: () => this.next(),
      return: () => {
        this.close();
        return Promise.resolve({ value: undefined, done: true });
      },
    };
  }
}

/** One SSE block (`event:` and `data:` lines) to an event; comments and partial blocks to undefined. */
function parseBlock(block: string): AdminEvent | undefined {
  let type = 'message';
  const data: string[] = [];
  for (const line of block.split('\n')) {
    if (line === '' || line.startsWith(':')) continue;
    const i = line.indexOf(':');
    const field = i < 0 ? line : line.slice(0, i);
    const value = i < 0 ? '' : line.slice(i + 1).replace(/^ /, '');
    if (field === 'event') type = value;
    else if (field === 'data') data.push(value);
  }
  if (data.length === 0) return undefined;
  const payload = JSON.parse(data.join('\n')) as { account: string; time: number; data: unknown };
  return { type, account: payload.account, time: payload.time, data: payload.data } as AdminEvent;
}
