/**
 * The exchange facade: the one entry point for REST, WS, admin and scenarios. Methods take parsed,
 * typed arguments and return Bybit-shaped results, or throw an ExchangeError from the catalog.
 */
import { AccountBook, type Account } from './accounts/account.js';
import type { Clock } from './clock.js';
import { Big, ONE, ZERO, type Big as BigT } from './decimal.js';
import { errors } from './errors.js';
import { EventBus } from './events.js';
import { InstrumentRegistry, type Instrument } from './instruments/instrument.js';
import { fundingRateAt, fundingTimes, type FundingQuery } from './market/funding.js';
import type { CandleKind, InstrumentMarket, KlineQuery } from './market/instrument-market.js';
import { MarketSimulator, type MarketTickEvent } from './market/simulator.js';
import { decodeCursor, encodeCursor } from './cursor.js';
import { Random } from './random.js';
import type { ExchangeSeed } from './seed.js';
import type { Category } from './types.js';
import { TradingEngine, type TradingUpdate } from './trading/engine.js';
import { TradingService } from './trading/service.js';
import { accountInfoView, coinInfoView, queryApiView } from './views/account-views.js';
import { walletBalanceView } from './views/trading-views.js';
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

export class Exchange {
  readonly bus = new EventBus<ExchangeEvents>();
  private seedData: ExchangeSeed;
  private instruments!: InstrumentRegistry;
  private accounts!: AccountBook;
  private simulator!: MarketSimulator;
  private engine!: TradingEngine;
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

  /** Starts the market simulation on the clock. */
  start(): void {
    this.running = true;
    this.simulator.start(this.clock);
    this.engine.start();
  }

  stop(): void {
    this.running = false;
    this.simulator.stop();
    this.engine.stop();
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

  get seed(): ExchangeSeed {
    return this.seedData;
  }

  private build(): void {
    const seed = this.seedData;
    this.instruments = new InstrumentRegistry(seed.instruments);
    this.accounts = new AccountBook(seed.accounts);
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
      if (m) return Big(String(m.lastTicks)).times(m.instrument.tickSize);
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
    const ten = Big('10');
    return account.leverage.get(inst.symbol) ?? (inst.maxLeverage.lt(ten) ? inst.maxLeverage : ten);
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
      if (pos.instrument !== inst || pos.size.eq(ZERO)) continue;
      extra = extra.plus(pos.entryValue.div(buy).minus(pos.entryValue.div(pos.leverage)));
    }
    if (extra.gt(ZERO)) {
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
