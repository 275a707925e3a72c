/**
 * The exchange facade: the one entry point for REST, WS, admin and scenarios. Methods take parsed,
 * typed arguments and return Bybit-shaped results, or throw an ExchangeError from the catalog.
 */
import { AccountBook, DEFAULT_RETENTION, type Account, type Retention } from './accounts/account.js';
import type { Clock, TimerHandle } from './clock.js';
import { Big, isNegative, isPositive, isZero, ONE, ZERO, type Big as BigT } from './decimal.js';
import { AdminError, ExchangeError, errors } from './errors.js';
import { EventBus } from './events.js';
import { InstrumentRegistry, type Instrument } from './instruments/instrument.js';
import { fundingRateAt, fundingTimes, type FundingQuery } from './market/funding.js';
import type { CandleKind, InstrumentMarket, KlineQuery } from './market/instrument-market.js';
import { MarketSimulator, type MarketTickEvent } from './market/simulator.js';
import { decodeCursor, encodeCursor } from './cursor.js';
import { FaultBook } from './faults/faults.js';
import { RateLimiter } from './limits/rate-limits.js';
import { RuleBook, type RuleAction } from './rules/rules.js';
import type { TimelineAction } from './timeline/timeline.js';
import { Random } from './random.js';
import type { AccountSpec, ExchangeSeed } from './seed.js';
import type { Category } from './types.js';
import { TradingEngine, type TradingUpdate } from './trading/engine.js';
import { TradingService } from './trading/service.js';
import { accountInfoView, coinInfoView, queryApiView } from './views/account-views.js';
import { orderView, positionView, walletBalanceView } from './views/trading-views.js';
import { isOpen, ORDER_STATUSES, type Order, type PositionIdx, type RejectReason } from './trading/model.js';
import { priceOf, qtyOf as qtyOfSteps, ticksOf, stepsOfQty } from './trading/ledger.js';
import { floorToStep, isMultipleOf, simFloat } from './decimal.js';
import { Account as AccountClass } from './accounts/account.js';
import {
  klineRow,
  linearInstrumentView,
  linearTickerView,
  orderbookView,
  priceKlineRow,
  recentTradeView,
  spotInstrumentView,
  spotTickerView,
} from './views/market-views.js';

export interface ExchangeEvents {
  marketTick: MarketTickEvent;
  /** Orders, executions, positions and wallet of one account changed (once per command). */
  trading: TradingUpdate;
  /** Account fills changed a market's tape or book outside a simulator tick. */
  marketChange: { key: string; time: number };
  reset: { time: number };
  /** A rule pushes a custom private frame to an account. */
  customPrivate: { account: Account; topic: string; data: unknown[] };
  /** The timeline drops WebSocket connections (the hub carries it out). */
  disconnect: {
    stream?: string;
    account?: string;
    code: number;
    reason: string;
    mode: 'close' | 'terminate';
  };
}

export interface InstrumentsQuery {
  category: Category;
  symbol?: string;
  status?: string;
  baseCoin?: string;
  limit: number;
  cursor?: string;
}

/** Orderbook depth limits per category: [max, default]. @see facts §7.4 */
export const ORDERBOOK_LIMITS: Record<Category, { max: number; def: number }> = {
  spot: { max: 1000, def: 1 },
  linear: { max: 1000, def: 25 },
  inverse: { max: 1000, def: 25 },
  option: { max: 25, def: 1 },
};

const STABLECOINS = new Set(['USDT', 'USDC']);

/** Leverage of a symbol nobody set one for (capped at the instrument's maximum). */
const TEN = Big('10');

export class Exchange {
  readonly bus = new EventBus<ExchangeEvents>();
  private seedData: ExchangeSeed;
  private instruments!: InstrumentRegistry;
  private accounts!: AccountBook;
  private simulator!: MarketSimulator;
  private engine!: TradingEngine;
  private ruleBook!: RuleBook;
  private faultBook!: FaultBook;
  private limiter!: RateLimiter;
  private ruleTimers: TimerHandle[] = [];
  private service!: TradingService;
  private symbolIds = new Map<string, number>();
  private running = false;

  constructor(
    seed: ExchangeSeed,
    private readonly clock: Clock,
  ) {
    this.seedData = seed;
    this.build();
  }

  /** The history each account keeps: the scenario's `retention`, over the defaults. */
  private retention(): Retention {
    return { ...DEFAULT_RETENTION, ...this.seedData.retention };
  }

  /** Starts the market simulation on the clock. */
  start(): void {
    this.running = true;
    this.simulator.start(this.clock);
    this.engine.start();
    this.startTimeline();
  }

  /** Arms every timeline entry relative to the scenario start; occurrences already past are skipped. */
  private startTimeline(): void {
    const entries = this.seedData.timeline ?? [];
    const firstAt = new Map<string, number>();
    const now = this.clock.now();
    entries.forEach((e) => {
      const base =
        e.after !== undefined ? (firstAt.get(e.after) ?? this.seedData.startTime) : this.seedData.startTime;
      const first = base + (e.atMs ?? 0);
      if (e.id !== undefined) firstAt.set(e.id, first);
      let left = e.everyMs === undefined ? 1 : (e.count ?? Infinity);
      const fire = (at: number) => {
        this.later(Math.max(0, at - this.clock.now()), () => {
          this.runTimelineAction(e.do);
          left -= 1;
          if (left > 0 && e.everyMs !== undefined) fire(at + e.everyMs);
        });
      };
      if (first >= now) fire(first);
      else if (e.everyMs !== undefined) {
        // Joined late (a start in the past): continue at the next period boundary.
        const k = Math.ceil((now - first) / e.everyMs);
        left -= k;
        if (left > 0) fire(first + k * e.everyMs);
      }
    });
  }

  /** The instrument of a symbol, in `category` when given (else the first listed). */
  private instrumentNamed(symbol: string, category?: string): Instrument | undefined {
    return this.instruments
      .all()
      .find((i) => i.symbol === symbol && (category === undefined || i.category === category));
  }

  /** One timeline action. A step that cannot apply (unknown account, a taken rule id) is skipped. */
  runTimelineAction(action: TimelineAction): void {
    try {
      if ('price' in action) {
        const a = action.price;
        const inst = this.instrumentNamed(a.symbol, a.category);
        if (!inst) return;
        if (a.overMs !== undefined && a.overMs > 0)
          this.rampMarketPrice(inst.category, inst.symbol, Big(a.price), a.overMs);
        else this.setMarketPrice(inst.category, inst.symbol, Big(a.price));
      } else if ('trade' in action) {
        const a = action.trade;
        const inst = this.instrumentNamed(a.symbol, a.category);
        if (inst) this.printTrade(inst.category, inst.symbol, Big(a.price), Big(a.qty), a.side);
      } else if ('pause' in action) this.setMarketPaused(true);
      else if ('resume' in action) this.setMarketPaused(false);
      else if ('event' in action) {
        const account = this.accounts.find(action.event.account);
        if (account)
          this.bus.emit('customPrivate', { account, topic: action.event.topic, data: action.event.data });
      } else if ('disconnect' in action) {
        const d = action.disconnect;
        this.bus.emit('disconnect', {
          stream: d.stream,
          account: d.account,
          code: d.code ?? 1000,
          reason: d.reason ?? 'closed by the scenario timeline',
          mode: d.mode ?? 'close',
        });
      } else if ('balance' in action) {
        this.setBalance(action.balance.account, action.balance.coin, Big(action.balance.walletBalance));
      } else if ('position' in action) {
        const a = action.position;
        const inst = this.instruments.get('linear', a.symbol);
        if (!inst) return;
        const mark = this.engine.markPrice(inst);
        this.adminSetPosition(a.account, 'linear', a.symbol, {
          side: a.side,
          size: Big(a.size),
          avgPrice: a.avgPrice !== undefined ? Big(a.avgPrice) : mark,
          leverage: a.leverage !== undefined ? Big(a.leverage) : undefined,
        });
      } else if ('addRule' in action) {
        if (
          action.addRule.id === undefined ||
          !this.ruleBook.list().some((r) => r.id === action.addRule.id)
        ) {
          this.ruleBook.add(action.addRule);
        }
      } else if ('removeRule' in action) this.ruleBook.remove(action.removeRule);
      else if ('addFault' in action) {
        // A repeat (`every`) never adds a live fault twice, but re-arms one that is spent
        // (`times`) or over (`for`): "every 1m, a 10 s outage" is one fault, added again.
        const old = this.faultBook.list().find((f) => f.id === action.addFault.id);
        if (old && (old.remaining <= 0 || this.clock.now() >= old.until)) this.faultBook.remove(old.id);
        if (!old || !this.faultBook.list().some((f) => f.id === old.id))
          this.faultBook.add(action.addFault, 'timeline');
      } else if ('removeFault' in action) this.faultBook.remove(action.removeFault);
      else if ('network' in action) this.faultBook.setNetwork(action.network ?? undefined);
      else if ('skew' in action) this.faultBook.setSkew(action.skew);
      else if ('volatility' in action)
        this.simulator.setVolatility(action.volatility.symbol, action.volatility.value);
    } catch (err) {
      if (!(err instanceof AdminError) && !(err instanceof ExchangeError)) throw err;
    }
  }

  stop(): void {
    this.running = false;
    this.simulator.stop();
    this.engine.stop();
    for (const t of this.ruleTimers) t.cancel();
    this.ruleTimers = [];
    for (const done of [...this.pendingDelays]) done();
  }

  /** Rebuilds all state from a seed (the loaded one by default). */
  reset(seed: ExchangeSeed = this.seedData): void {
    const wasRunning = this.running;
    this.stop();
    this.seedData = seed;
    this.build();
    if (wasRunning) this.start();
    this.bus.emit('reset', { time: this.clock.now() });
  }

  now(): number {
    return this.clock.now();
  }

  /** Schedules `fn` on the exchange clock (transports wait on it for scripted delays). */
  setTimer(ms: number, fn: () => void): TimerHandle {
    return this.clock.setTimer(ms, fn);
  }

  private pendingDelays = new Set<() => void>();

  /**
   * Resolves after `ms` of exchange time. When the exchange stops (reset, shutdown) pending
   * delays resolve at once, so no request waits on a clock that will never move again.
   */
  delay(ms: number): Promise<void> {
    return new Promise<void>((resolve) => {
      const done = () => {
        this.pendingDelays.delete(done);
        handle.cancel();
        resolve();
      };
      const handle = this.clock.setTimer(ms, done);
      this.pendingDelays.add(done);
    });
  }

  get seed(): ExchangeSeed {
    return this.seedData;
  }

  private build(): void {
    const seed = this.seedData;
    this.instruments = new InstrumentRegistry(seed.instruments);
    this.accounts = new AccountBook(seed.accounts, this.retention());
    const root = new Random(seed.seed);
    this.simulator = new MarketSimulator(seed, this.instruments, root, (e) => {
      // Account orders react to the tick (fills, triggers, TP/SL) before anyone sees it.
      const inst = this.instruments.byKey(e.key);
      if (inst) this.engine.onMarketTick(inst, e.trades);
      this.bus.emit('marketTick', e);
    });
    this.engine = new TradingEngine({
      clock: this.clock,
      root: root.fork('trading'),
      seed: seed.seed,
      market: (inst) => this.simulator.market(inst.category, inst.symbol),
      instruments: () => this.instruments.all(),
      leverageOf: (a, inst) => this.leverageOf(a, inst),
      publish: (u) => this.bus.emit('trading', u),
      marketChanged: (m) => this.bus.emit('marketChange', { key: m.instrument.key, time: this.clock.now() }),
      fundingRate: (inst) => seed.markets[inst.symbol]?.fundingRate ?? '0.0001',
    });
    this.service = new TradingService(this.engine, {
      instrument: (c, s) => this.instruments.get(c, s),
      instruments: (c) => this.instruments.list(c),
      leverageOf: (a, inst) => this.leverageOf(a, inst),
      now: () => this.clock.now(),
    });
    this.ruleBook = new RuleBook(seed.rules ?? [], root.fork('rules'));
    this.faultBook = new FaultBook(
      seed.faults ?? [],
      root.fork('faults'),
      () => this.clock.now(),
      seed.network,
      seed.skewMs ?? 0,
    );
    this.limiter = new RateLimiter(seed.rateLimits);
    this.symbolIds.clear();
    seed.instruments.forEach((spec, i) => this.symbolIds.set(`${spec.category}:${spec.symbol}`, i + 1));
    this.applySeedPositions();
  }

  /** Scenario positions open at the start, as if filled at their avgPrice before the run. */
  private applySeedPositions(): void {
    for (const spec of this.seedData.accounts) {
      const account = this.accounts.find(spec.name);
      if (!account) continue;
      for (const p of spec.positions) {
        const inst = this.instruments.get(p.category, p.symbol);
        if (!inst) continue;
        const idx = p.positionIdx ?? 0;
        if (idx !== 0) account.hedgeSymbols.add(p.symbol);
        this.engine.setPosition(
          account,
          inst,
          idx,
          p.side,
          Big(p.size),
          Big(p.avgPrice),
          p.leverage ? Big(p.leverage) : undefined,
        );
      }
    }
  }

  /** Orders, executions and positions: the v5 trade, execution and position endpoints. */
  get trading(): TradingService {
    return this.service;
  }

  /** Network faults, network settings and clock skew: REST and WS consult them before rules. */
  get faults(): FaultBook {
    return this.faultBook;
  }

  /** Rate limits (UID, IP, WebSocket), counted on the exchange clock. */
  get limits(): RateLimiter {
    return this.limiter;
  }

  /**
   * The time the server tells clients (envelope `time`, /v5/market/time, `Timenow`) and judges
   * request timestamps by: the exchange clock plus the clock skew fault.
   */
  serverTime(): number {
    return this.clock.now() + this.faultBook.skewMs;
  }

  /** Scripted answers: REST and WS consult them before running a request. */
  get rules(): RuleBook {
    return this.ruleBook;
  }

  /**
   * What a matched rule does after the order it answered was accepted: hold it, fill it in
   * steps, reject it later. Steps run on the daemon clock; a step that no longer applies (the
   * order closed meanwhile) is skipped.
   */
  applyRuleToOrder(account: Account, orderId: string, action: RuleAction): void {
    const order = account.orders.get(orderId);
    if (!order) return;
    if (action.hold) order.hold = true;
    for (const step of action.fills ?? []) {
      this.later(step.afterMs, () => {
        if (!isOpen(order) || order.status === 'Untriggered') return;
        const inst = order.instrument;
        let qty: BigT | undefined;
        if (step.qty !== undefined) qty = Big(step.qty);
        else if (step.ratio !== undefined) qty = floorToStep(order.qty.times(Big(step.ratio)), inst.qtyStep);
        const left = qtyOfSteps(inst, order.leavesSteps);
        if (qty !== undefined && qty.gt(left)) qty = left;
        if (qty !== undefined && !isPositive(qty)) return;
        let price: BigT | undefined;
        if (step.price === 'market') {
          const m = this.market(inst.category, inst.symbol);
          const ticks = order.side === 'Buy' ? m.book.bestAskTicks() : m.book.bestBidTicks();
          price = ticks === undefined ? undefined : Big(String(ticks)).times(inst.tickSize);
        } else if (step.price !== undefined) price = Big(step.price);
        try {
          this.adminFill(order.orderId, qty, price);
        } catch {
          // A step that cannot apply any more (position gone, bad price) is skipped.
        }
      });
    }
    if (action.reject) {
      const r = action.reject;
      this.later(r.afterMs, () => {
        if (!isOpen(order)) return;
        const status = r.status ?? (isPositive(order.cumExecQty) ? 'Cancelled' : 'Rejected');
        if (status === 'Rejected' && (order.status === 'New' || order.status === 'Untriggered')) {
          this.engine.close(order, 'Rejected', 'CancelByAdmin', (r.reason ?? 'EC_NoError') as RejectReason);
          this.engine.notify(account, [], false);
        } else {
          this.engine.cancel(order, 'CancelByAdmin');
        }
      });
    }
  }

  /** After a rule's request was answered: hold/fills/reject on the order it created, custom events. */
  afterRule(account: Account, action: RuleAction, result: unknown): void {
    // A single create answers {orderId}; a batch {list: [{orderId}, ...]} (failed items have "").
    const idOf = (r: unknown) =>
      typeof r === 'object' && r !== null && typeof (r as { orderId?: unknown }).orderId === 'string'
        ? (r as { orderId: string }).orderId
        : '';
    const list =
      typeof result === 'object' && result !== null ? (result as { list?: unknown }).list : undefined;
    const ids = Array.isArray(list) ? list.map(idOf) : [idOf(result)];
    if (action.hold || action.fills || action.reject) {
      for (const id of ids) if (id !== '') this.applyRuleToOrder(account, id, action);
    }
    if (action.events) this.scheduleRuleEvents(account, action.events);
  }

  /** Pushes a rule's custom private events to the account, each after its delay. */
  scheduleRuleEvents(account: Account, events: NonNullable<RuleAction['events']>): void {
    for (const e of events) {
      this.later(e.afterMs ?? 0, () =>
        this.bus.emit('customPrivate', { account, topic: e.topic, data: e.data }),
      );
    }
  }

  private later(ms: number, fn: () => void): void {
    const handle = this.clock.setTimer(ms, () => {
      this.ruleTimers = this.ruleTimers.filter((t) => t !== handle);
      fn();
    });
    this.ruleTimers.push(handle);
  }

  /** The engine itself, for admin and scenario actions (fills, holds, positions). */
  get tradingEngine(): TradingEngine {
    return this.engine;
  }

  // ---- lookups -------------------------------------------------------------------------------

  accountByApiKey(apiKey: string): Account | undefined {
    return this.accounts.byApiKey(apiKey);
  }

  findAccount(nameOrKey: string): Account | undefined {
    return this.accounts.find(nameOrKey);
  }

  listAccounts(): Account[] {
    return this.accounts.all();
  }

  listInstruments(): Instrument[] {
    return this.instruments.all();
  }

  instrument(category: Category, symbol: string): Instrument {
    const inst = this.instruments.get(category, symbol);
    if (!inst) {
      throw errors.param(
        `symbol invalid: ${symbol} is not listed in category ${category}; see /v5/market/instruments-info`,
      );
    }
    return inst;
  }

  market(category: Category, symbol: string): InstrumentMarket {
    this.instrument(category, symbol);
    const m = this.simulator.market(category, symbol);
    if (!m) throw errors.param(`symbol invalid: ${symbol} has no market in category ${category}`);
    return m;
  }

  // ---- market data ---------------------------------------------------------------------------

  instrumentsInfo(q: InstrumentsQuery) {
    const status = q.status ?? 'Trading';
    const rows = this.instruments
      .list(q.category)
      .filter((i) => (q.symbol ? i.symbol === q.symbol : i.status === status))
      .filter((i) => !q.baseCoin || i.baseCoin === q.baseCoin);
    const view = (i: Instrument) => {
      const id = this.symbolIds.get(i.key) ?? 0;
      return i.category === 'spot' ? spotInstrumentView(i, id) : linearInstrumentView(i, id);
    };
    if (q.category === 'spot') return { category: q.category, list: rows.map(view) };
    const offset = q.cursor ? decodeCursor(q.cursor) : 0;
    const page = rows.slice(offset, offset + q.limit);
    const next = offset + q.limit < rows.length ? encodeCursor(offset + q.limit) : '';
    return { category: q.category, list: page.map(view), nextPageCursor: next };
  }

  tickers(category: Category, symbol?: string) {
    const now = this.clock.now();
    if (symbol !== undefined && !this.instruments.get(category, symbol))
      throw errors.paramRaw('Not supported symbols');
    const list = this.instruments
      .list(category)
      .filter((i) => symbol === undefined || i.symbol === symbol)
      .map((i) => this.simulator.market(category, i.symbol))
      .filter((m): m is InstrumentMarket => m !== undefined)
      .map((m) =>
        category === 'spot' ? spotTickerView(m, now) : linearTickerView(m, now, this.seedData.seed),
      );
    return { category, list };
  }

  orderbook(category: Category, symbol: string, limit: number) {
    return orderbookView(this.market(category, symbol), limit);
  }

  klines(kind: CandleKind, category: Category, symbol: string, q: KlineQuery) {
    const m = this.market(category, symbol);
    const candles = m.klines(kind, q, this.clock.now());
    const row = kind === 'trade' ? klineRow : priceKlineRow;
    return { category, symbol, list: candles.map((c) => row(m.instrument, c)) };
  }

  recentTrades(category: Category, symbol: string, limit: number) {
    const m = this.market(category, symbol);
    const trades = m.trades;
    const list = [];
    for (let i = trades.length - 1; i >= 0 && list.length < limit; i--)
      list.push(recentTradeView(m.instrument, trades[i]!));
    return { category, list };
  }

  fundingHistory(category: Category, symbol: string, q: FundingQuery) {
    const inst = this.instrument(category, symbol);
    if (inst.category !== 'linear')
      throw errors.param(`category invalid: funding history exists for linear, not ${category}`);
    const m = this.market(category, symbol);
    const times = fundingTimes(
      this.clock.now(),
      inst.spec.fundingIntervalMinutes,
      Number.parseInt(inst.spec.launchTime, 10),
      q,
    );
    return {
      category,
      list: times.map((t) => ({
        symbol,
        fundingRate: fundingRateAt(this.seedData.seed, symbol, m.spec.fundingRate, t),
        fundingRateTimestamp: String(t),
      })),
    };
  }

  // ---- account -------------------------------------------------------------------------------

  /** USD value of one unit of a coin: stablecoins 1, others from the COINUSDT last price. */
  usdPrice(coin: string): BigT | undefined {
    if (STABLECOINS.has(coin)) return ONE;
    for (const category of ['spot', 'linear'] as const) {
      const m = this.simulator.market(category, `${coin}USDT`);
      // One shared Big per price (the ledger's cache): the wallet view memoises on it.
      if (m) return priceOf(m.instrument, m.lastTicks);
    }
    return undefined;
  }

  walletBalance(account: Account, coins: readonly string[]) {
    return walletBalanceView(
      account,
      coins,
      (c) => this.usdPrice(c),
      (c) => this.engine.coin(account, c),
    );
  }

  accountInfo() {
    return accountInfoView(this.seedData.startTime);
  }

  feeRates(category: Category, symbol?: string) {
    if (symbol !== undefined) this.instrument(category, symbol);
    const list = this.instruments
      .list(category)
      .filter((i) => symbol === undefined || i.symbol === symbol)
      .map((i) => ({
        symbol: i.symbol,
        takerFeeRate: i.takerFee.toFixed(),
        makerFeeRate: i.makerFee.toFixed(),
      }));
    return category === 'spot' ? { category, list } : { list };
  }

  queryApi(account: Account) {
    return queryApiView(account, this.seedData.startTime);
  }

  coinInfo(coin?: string) {
    const coins = new Set<string>();
    for (const i of this.instruments.all()) {
      coins.add(i.baseCoin);
      coins.add(i.quoteCoin);
    }
    for (const a of this.accounts.all()) for (const c of a.balances.keys()) coins.add(c);
    const rows = [...coins].sort().filter((c) => coin === undefined || c === coin);
    return { rows: rows.map(coinInfoView) };
  }

  // ---- positions ------------------------------------------------------------------------------

  /** Default leverage of a linear symbol before any set-leverage: 10, or the maximum if lower. */
  leverageOf(account: Account, inst: Instrument): BigT {
    // The same Big every time: the ledger caches figures per leverage instance.
    return account.leverage.get(inst.symbol) ?? (inst.maxLeverage.lt(TEN) ? inst.maxLeverage : TEN);
  }

  /**
   * POST /v5/position/set-leverage. One-way mode needs equal buy and sell leverage; the value must
   * be a multiple of 0.01 within [1, maxLeverage]; the same value again is 110043.
   * @see ../shared/reference/bybit-v5-facts.md §7.18
   */
  setLeverage(
    account: Account,
    category: Category,
    symbol: string,
    buy: BigT,
    sell: BigT,
  ): Record<string, never> {
    const inst = this.instrument(category, symbol);
    if (inst.category !== 'linear')
      throw errors.param(`category invalid: leverage is set on linear contracts, not ${category}`);
    for (const [name, value] of [
      ['buyLeverage', buy],
      ['sellLeverage', sell],
    ] as const) {
      if (value.lt(ONE) || value.gt(inst.maxLeverage) || !value.mod(Big('0.01')).eq(Big('0'))) {
        throw errors.param(
          `${name} must be from 1 to ${inst.maxLeverage.toFixed()} in steps of 0.01 for ${symbol}, got "${value.toFixed()}"`,
        );
      }
    }
    if (!buy.eq(sell)) throw errors.param('buyLeverage and sellLeverage must be equal in one-way mode');
    if (this.leverageOf(account, inst).eq(buy)) throw errors.leverageNotModified();
    // Lower leverage needs more initial margin for the open positions: it must be available.
    let extra = ZERO;
    for (const pos of account.positions.values()) {
      if (pos.instrument !== inst || isZero(pos.size)) continue;
      extra = extra.plus(pos.entryValue.div(buy).minus(pos.entryValue.div(pos.leverage)));
    }
    if (isPositive(extra)) {
      const available = this.engine.coin(account, inst.settleCoin).available;
      if (available.lt(extra)) {
        throw errors.marginInsufficient(
          `leverage ${buy.toFixed()} needs ${extra.round(8, Big.roundUp).toFixed()} ${inst.settleCoin} more margin, ${available.toFixed()} available`,
        );
      }
    }
    account.leverage.set(symbol, buy);
    // Open positions take the new leverage (their initial margin changes with it).
    const touched = [];
    for (const pos of account.positions.values()) {
      if (pos.instrument !== inst) continue;
      pos.leverage = buy;
      touched.push(pos);
    }
    this.engine.notify(account, touched, touched.length > 0);
    return {};
  }

  // ---- admin: reading and changing state (the /__admin API and scenario actions) ------------------

  private adminAccount(nameOrKey: string): Account {
    const a = this.accounts.find(nameOrKey);
    if (!a) {
      throw new AdminError(
        404,
        'account_not_found',
        `No account named or keyed "${nameOrKey}".`,
        'GET /__admin/accounts lists them.',
      );
    }
    return a;
  }

  /** One account: keys, balances (the wallet view), open positions, open orders, leverage. */
  accountDetail(nameOrKey: string) {
    const a = this.adminAccount(nameOrKey);
    return {
      name: a.name,
      apiKey: a.apiKey,
      uid: a.uid,
      permissions: a.permissions,
      leverage: Object.fromEntries([...a.leverage].map(([k, v]) => [k, v.toFixed()])),
      hedgeSymbols: [...a.hedgeSymbols],
      wallet: this.walletBalance(a, []).list[0],
      positions: [...a.positions.values()]
        .filter((p) => !isZero(p.size))
        .map((p) => ({
          category: p.instrument.category,
          ...positionView(p, this.engine.markPrice(p.instrument), this.leverageOf(a, p.instrument)),
        })),
      openOrders: [...a.openOrders.values()].map((o) => ({ category: o.category, ...orderView(o) })),
    };
  }

  accountsSummary() {
    return this.accounts.all().map((a) => ({
      name: a.name,
      apiKey: a.apiKey,
      uid: a.uid,
      permissions: a.permissions,
      balances: Object.fromEntries([...a.balances].map(([c, b]) => [c, b.toFixed()])),
      openOrders: a.openOrders.size,
      openPositions: [...a.positions.values()].filter((p) => !isZero(p.size)).length,
    }));
  }

  /** Sets a coin's wallet balance; pushes the wallet event. */
  setBalance(nameOrKey: string, coin: string, walletBalance: BigT): void {
    const a = this.adminAccount(nameOrKey);
    if (!/^[A-Z0-9]{1,20}$/.test(coin)) {
      throw new AdminError(
        400,
        'bad_coin',
        `Coin "${coin}" is not a coin name.`,
        'Use an uppercase coin such as USDT.',
      );
    }
    if (isNegative(walletBalance)) {
      throw new AdminError(
        400,
        'bad_balance',
        'walletBalance must not be negative.',
        'Send a decimal string >= 0.',
      );
    }
    a.credit(coin, walletBalance.minus(a.balance(coin)));
    this.engine.notify(a, [], true);
  }

  /** Sets (or with size "0" closes) a linear position as if filled at avgPrice; pushes position and wallet. */
  adminSetPosition(
    nameOrKey: string,
    category: string,
    symbol: string,
    p: { side: 'Buy' | 'Sell'; size: BigT; avgPrice: BigT; leverage?: BigT; positionIdx?: PositionIdx },
  ): void {
    const a = this.adminAccount(nameOrKey);
    const inst = this.instruments.get(category, symbol);
    if (!inst || inst.category !== 'linear') {
      throw new AdminError(
        404,
        'instrument_not_found',
        `No linear instrument ${category}/${symbol}.`,
        'Positions exist on linear instruments.',
      );
    }
    if (isNegative(p.size) || !isMultipleOf(isZero(p.size) ? inst.qtyStep : p.size, inst.qtyStep)) {
      throw new AdminError(
        400,
        'bad_size',
        `size must be >= 0 and a multiple of ${inst.qtyStep.toFixed()}.`,
        'Send e.g. "0.01".',
      );
    }
    if (!isPositive(p.avgPrice) && !isZero(p.size)) {
      throw new AdminError(400, 'bad_price', 'avgPrice must be greater than 0.', 'Send e.g. "50000".');
    }
    if (
      p.leverage &&
      (p.leverage.lt(ONE) || p.leverage.gt(inst.maxLeverage) || !isMultipleOf(p.leverage, Big('0.01')))
    ) {
      throw new AdminError(
        400,
        'bad_leverage',
        `leverage must be from 1 to ${inst.maxLeverage.toFixed()} in steps of 0.01.`,
        'Send e.g. "10".',
      );
    }
    const hedge = a.hedgeSymbols.has(symbol);
    const idx = p.positionIdx ?? (hedge ? (p.side === 'Buy' ? 1 : 2) : 0);
    if (hedge ? idx === 0 : idx !== 0) {
      throw new AdminError(
        400,
        'bad_position_idx',
        `${symbol} is in ${hedge ? 'hedge' : 'one-way'} mode for ${a.name}.`,
        hedge ? 'Send positionIdx 1 or 2.' : 'Send positionIdx 0 or leave it out.',
      );
    }
    this.engine.setPosition(a, inst, idx, p.side, p.size, p.avgPrice, p.leverage);
  }

  /** Adds an account at runtime. */
  addAccount(spec: AccountSpec): void {
    // Admin paths find an account by name or apiKey, so neither may match either of another's.
    if (this.accounts.find(spec.name) || this.accounts.find(spec.apiKey)) {
      throw new AdminError(
        409,
        'account_exists',
        `An account named or keyed "${spec.name}" or "${spec.apiKey}" exists.`,
        'Pick another name and apiKey.',
      );
    }
    this.accounts.add(new AccountClass(spec, this.retention()));
  }

  /** Orders of every account, newest first, filtered. */
  adminOrders(filter: { account?: string; symbol?: string; status?: string }) {
    if (filter.status !== undefined && !(ORDER_STATUSES as readonly string[]).includes(filter.status)) {
      throw new AdminError(
        400,
        'bad_status',
        `status "${filter.status}" is not an order status.`,
        `Use one of ${ORDER_STATUSES.join(', ')}.`,
      );
    }
    const accounts = filter.account ? [this.adminAccount(filter.account)] : this.accounts.all();
    const rows: Order[] = [];
    for (const a of accounts) for (const o of a.orders.values()) rows.push(o);
    return rows
      .filter(
        (o) =>
          (filter.symbol === undefined || o.instrument.symbol === filter.symbol) &&
          (filter.status === undefined || o.status === filter.status),
      )
      .sort((x, y) => y.serial - x.serial)
      .map((o) => ({ account: o.account.name, category: o.category, ...orderView(o) }));
  }

  private adminOrder(orderId: string): Order {
    for (const a of this.accounts.all()) {
      const o = a.orders.get(orderId);
      if (o) return o;
    }
    // orderLinkIds are unique per account only: one that several accounts use names no order.
    const linked = this.accounts.all().flatMap((a) => a.ordersByLinkId.get(orderId) ?? []);
    if (linked.length > 1) {
      throw new AdminError(
        409,
        'order_ambiguous',
        `orderLinkId "${orderId}" belongs to orders of ${linked.length} accounts.`,
        'Use the orderId (GET /__admin/orders lists them).',
      );
    }
    if (linked[0]) return linked[0];
    throw new AdminError(
      404,
      'order_not_found',
      `No order with orderId or orderLinkId "${orderId}".`,
      'GET /__admin/orders lists them.',
    );
  }

  private adminOpenOrder(orderId: string): Order {
    const o = this.adminOrder(orderId);
    if (!isOpen(o) || o.status === 'Untriggered') {
      throw new AdminError(
        409,
        'order_not_open',
        `Order ${o.orderId} is ${o.status}; only New and PartiallyFilled orders can be filled here.`,
        'Pick an open order.',
      );
    }
    return o;
  }

  /**
   * Fills an open order now as maker: `qty` (default: all that is left) at `price` (default: the
   * order's price). Returns the order as REST shows it.
   */
  adminFill(orderId: string, qty?: BigT, price?: BigT) {
    const o = this.adminOpenOrder(orderId);
    const inst = o.instrument;
    const steps = qty === undefined ? o.leavesSteps : stepsOfQty(inst, qty);
    if (qty !== undefined && (!isMultipleOf(qty, inst.qtyStep) || steps <= 0 || steps > o.leavesSteps)) {
      throw new AdminError(
        400,
        'bad_qty',
        `qty must be a positive multiple of ${inst.qtyStep.toFixed()} up to the ${o.leavesSteps} steps left.`,
        'Leave qty out to fill the rest.',
      );
    }
    // A reduce-only (or hedge-mode closing) order never opens or increases a position.
    const closing =
      o.category === 'linear' &&
      (o.reduceOnly ||
        (o.positionIdx === 1 && o.side === 'Sell') ||
        (o.positionIdx === 2 && o.side === 'Buy'));
    if (closing) {
      const pos = this.engine.existingPosition(o.account, inst, o.positionIdx);
      const closable = !pos || isZero(pos.size) || pos.side === o.side ? 0 : stepsOfQty(inst, pos.size);
      if (steps > closable) {
        throw new AdminError(
          closable === 0 ? 409 : 400,
          closable === 0 ? 'nothing_to_close' : 'bad_qty',
          `Order ${o.orderId} only closes; the position has ${closable === 0 ? '0' : pos!.size.toFixed()} to close.`,
          closable === 0 ? 'Cancel the order instead.' : 'Send a qty up to the position size.',
        );
      }
    }
    if (steps <= 0) {
      throw new AdminError(
        409,
        'nothing_left',
        `Order ${o.orderId} has nothing left to fill.`,
        'Pick an open order.',
      );
    }
    const p = price ?? o.price;
    if (!isPositive(p) || !isMultipleOf(p, inst.tickSize)) {
      throw new AdminError(
        400,
        'bad_price',
        `price must be a positive multiple of ${inst.tickSize.toFixed()}.`,
        'Leave price out to fill at the order price.',
      );
    }
    this.engine.forceFill(o, ticksOf(inst, p), steps);
    return { category: o.category, ...orderView(o) };
  }

  adminCancel(orderId: string) {
    const o = this.adminOrder(orderId);
    if (!isOpen(o)) {
      throw new AdminError(
        409,
        'order_not_open',
        `Order ${o.orderId} is already ${o.status}.`,
        'Pick an open order.',
      );
    }
    this.engine.cancel(o, 'CancelByAdmin');
    return { category: o.category, ...orderView(o) };
  }

  /** Rejects an accepted order that has no fills yet (status New or Untriggered). */
  adminReject(orderId: string, reason: RejectReason = 'EC_NoError') {
    const o = this.adminOrder(orderId);
    if (o.status !== 'New' && o.status !== 'Untriggered') {
      throw new AdminError(
        409,
        'order_not_rejectable',
        `Order ${o.orderId} is ${o.status}; only New or Untriggered orders can be rejected.`,
        'Cancel it instead.',
      );
    }
    this.engine.close(o, 'Rejected', 'CancelByAdmin', reason);
    this.engine.notify(o.account, [], false);
    return { category: o.category, ...orderView(o) };
  }

  private adminInstrument(category: string, symbol: string): Instrument {
    const inst = this.instruments.get(category, symbol);
    if (!inst) {
      throw new AdminError(
        404,
        'instrument_not_found',
        `No instrument ${category}/${symbol}.`,
        'GET /__admin/state lists them.',
      );
    }
    return inst;
  }

  /** Moves a symbol's price now: books, mark, index and last follow; resting orders, triggers, TP/SL and liquidations react. */
  setMarketPrice(category: string, symbol: string, price: BigT): void {
    const inst = this.adminInstrument(category, symbol);
    checkAdminPrice(inst, price);
    const now = this.clock.now();
    const r = this.simulator.reprice(symbol, simFloat(price), now);
    if (!r) throw noMarket(symbol);
    for (const { market, trade } of r.markets) {
      this.engine.onMarketTick(market.instrument, [trade]);
      this.bus.emit('marketTick', { key: market.instrument.key, time: now, trades: [trade] });
    }
  }

  /** Moves a symbol's price linearly to `price` over `overMs`, one simulator tick at a time. */
  rampMarketPrice(category: string, symbol: string, price: BigT, overMs: number): void {
    const inst = this.adminInstrument(category, symbol);
    checkAdminPrice(inst, price);
    if (!this.simulator.rampTo(symbol, simFloat(price), this.clock.now(), overMs)) {
      throw noMarket(symbol);
    }
  }

  /** Prints one public trade (taker `side`) at `price`; resting orders it trades through fill. */
  printTrade(category: string, symbol: string, price: BigT, qty: BigT, side: 'Buy' | 'Sell'): void {
    const inst = this.adminInstrument(category, symbol);
    if (!isPositive(price) || !isMultipleOf(price, inst.tickSize)) {
      throw new AdminError(
        400,
        'bad_price',
        `price must be a positive multiple of ${inst.tickSize.toFixed()}.`,
        'Send e.g. "65000.1".',
      );
    }
    if (!isPositive(qty) || !isMultipleOf(qty, inst.qtyStep)) {
      throw new AdminError(
        400,
        'bad_qty',
        `qty must be a positive multiple of ${inst.qtyStep.toFixed()}.`,
        'Send e.g. "0.01".',
      );
    }
    const m = this.market(inst.category, symbol);
    const now = this.clock.now();
    const trade = m.recordTrade(now, side, ticksOf(inst, price), stepsOfQty(inst, qty));
    this.engine.onMarketTick(inst, [trade]);
    this.bus.emit('marketTick', { key: inst.key, time: now, trades: [trade] });
  }

  setMarketPaused(paused: boolean): void {
    this.simulator.setPaused(paused);
  }

  get marketPaused(): boolean {
    return this.simulator.paused;
  }

  // ---- admin ---------------------------------------------------------------------------------

  /** A JSON-ready view of instruments, prices and accounts for the admin API. */
  stateView() {
    const now = this.clock.now();
    return {
      time: now,
      startTime: this.seedData.startTime,
      seed: this.seedData.seed,
      instruments: this.instruments.all().map((i) => {
        const m = this.simulator.market(i.category, i.symbol);
        const price = (ticks: number | undefined) =>
          ticks === undefined ? '' : Big(String(ticks)).times(i.tickSize).toFixed(i.priceDp);
        return {
          category: i.category,
          symbol: i.symbol,
          status: i.status,
          lastPrice: price(m?.lastTicks),
          markPrice: price(m?.markTicks),
          indexPrice: price(m?.indexTicks),
          bid1Price: price(m?.book.bestBidTicks()),
          ask1Price: price(m?.book.bestAskTicks()),
        };
      }),
      accounts: this.accounts.all().map((a) => ({
        name: a.name,
        apiKey: a.apiKey,
        permissions: a.permissions,
        uid: a.uid,
        balances: Object.fromEntries([...a.balances].map(([c, b]) => [c, b.toFixed()])),
        leverage: Object.fromEntries([...a.leverage].map(([s, l]) => [s, l.toFixed()])),
      })),
    };
  }
}

/** Admin price moves: above zero and within the instrument's price filter. */
function checkAdminPrice(inst: Instrument, price: BigT): void {
  if (!isPositive(price) || price.gt(inst.maxPrice)) {
    throw new AdminError(
      400,
      'bad_price',
      `price must be > 0 and <= ${inst.maxPrice.toFixed()}.`,
      'Send e.g. "65000".',
    );
  }
}

function noMarket(symbol: string): AdminError {
  return new AdminError(
    404,
    'market_not_found',
    `Symbol ${symbol} has no simulated market.`,
    'Add it under market: in the scenario.',
  );
}
