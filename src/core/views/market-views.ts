/**
 * Market data in Bybit's wire shapes: field names as Bybit spells them, numbers as strings padded
 * to the instrument's precision. REST routes and (later) WS feeds render from these.
 * @see ../shared/reference/bybit-v5-facts.md §7.2-7.8
 */
import { Big, formatUnits, plain } from '../decimal.js';
import type { Instrument } from '../instruments/instrument.js';
import type { Candle } from '../market/candles.js';
import { fundingRateAt, nextFundingTime } from '../market/funding.js';
import type { InstrumentMarket, PublicTrade } from '../market/instrument-market.js';
import type { SimBook } from '../market/order-book.js';

export function priceStr(inst: Instrument, ticks: number): string {
  return formatUnits(ticks, inst.tickSize, inst.priceDp);
}

export function qtyStr(inst: Instrument, steps: number): string {
  return formatUnits(steps, inst.qtyStep, inst.qtyDp);
}

/** A float statistic (turnover) as a trimmed decimal string with at most `dp` decimals. */
export function statStr(x: number, dp = 4): string {
  if (!Number.isFinite(x) || x === 0) return '0';
  return plain(Big(x.toFixed(dp)));
}

export function linearInstrumentView(inst: Instrument, symbolId: number) {
  const spec = inst.spec;
  return {
    symbol: inst.symbol,
    symbolId,
    contractType: 'LinearPerpetual',
    status: inst.status,
    baseCoin: inst.baseCoin,
    quoteCoin: inst.quoteCoin,
    settleCoin: inst.settleCoin,
    launchTime: spec.launchTime,
    deliveryTime: '0',
    deliveryFeeRate: '',
    priceScale: String(inst.priceDp),
    leverageFilter: {
      minLeverage: '1',
      maxLeverage: inst.maxLeverage.toFixed(2),
      leverageStep: '0.01',
    },
    priceFilter: {
      minPrice: inst.minPrice.toFixed(inst.priceDp),
      maxPrice: inst.maxPrice.toFixed(inst.priceDp),
      tickSize: inst.tickSize.toFixed(inst.priceDp),
    },
    lotSizeFilter: {
      maxOrderQty: inst.maxOrderQty.toFixed(inst.qtyDp),
      minOrderQty: inst.minOrderQty.toFixed(inst.qtyDp),
      qtyStep: inst.qtyStep.toFixed(inst.qtyDp),
      postOnlyMaxOrderQty: inst.maxOrderQty.toFixed(inst.qtyDp),
      maxMktOrderQty: inst.maxMarketOrderQty.toFixed(inst.qtyDp),
      minNotionalValue: plain(inst.minNotional),
    },
    unifiedMarginTrade: true,
    fundingInterval: spec.fundingIntervalMinutes,
    copyTrading: 'both',
    upperFundingRate: '0.00375',
    lowerFundingRate: '-0.00375',
    isPreListing: false,
    preListingInfo: null,
    riskParameters: { priceLimitRatioX: '0.01', priceLimitRatioY: '0.02' },
    symbolType: '',
    displayName: '',
    forbidUplWithdrawal: false,
  };
}

export function spotInstrumentView(inst: Instrument, symbolId: number) {
  return {
    symbolId,
    symbol: inst.symbol,
    baseCoin: inst.baseCoin,
    quoteCoin: inst.quoteCoin,
    innovation: '0',
    status: inst.status,
    marginTrading: 'utaOnly',
    stTag: '0',
    lotSizeFilter: {
      basePrecision: inst.qtyStep.toFixed(inst.qtyDp),
      quotePrecision: '0.00000001',
      minOrderQty: inst.minOrderQty.toFixed(inst.qtyDp),
      maxOrderQty: inst.maxOrderQty.toFixed(inst.qtyDp),
      minOrderAmt: plain(inst.minNotional),
      maxOrderAmt: plain(inst.maxNotional),
      maxLimitOrderQty: inst.maxOrderQty.toFixed(inst.qtyDp),
      maxMarketOrderQty: inst.maxMarketOrderQty.toFixed(inst.qtyDp),
      postOnlyMaxLimitOrderSize: inst.maxOrderQty.toFixed(inst.qtyDp),
    },
    priceFilter: { tickSize: inst.tickSize.toFixed(inst.priceDp) },
    riskParameters: { priceLimitRatioX: '0.005', priceLimitRatioY: '0.01' },
    symbolType: '',
  };
}

function pcnt(last: number, prev: number): string {
  if (prev <= 0) return '0';
  return plain(
    Big(String(last - prev))
      .div(Big(String(prev)))
      .round(6, Big.roundHalfUp),
  );
}

/**
 * A ticker changes only with the market (every trade and book change moves `seq` or `u`) and with
 * the minute (24 h and 1 h reference prices, the next funding time), so a view is reused until one
 * of those moves: tickers are polled far more often than the market ticks.
 */
const tickerCache = new WeakMap<
  InstrumentMarket,
  { seq: number; u: number; minute: number; view: unknown }
>();

function cachedTicker<T>(m: InstrumentMarket, now: number, render: () => T): T {
  const minute = Math.floor(now / 60_000);
  const c = tickerCache.get(m);
  if (c !== undefined && c.seq === m.seq && c.u === m.book.u && c.minute === minute) return c.view as T;
  const view = render();
  tickerCache.set(m, { seq: m.seq, u: m.book.u, minute, view });
  return view;
}

export function linearTickerView(m: InstrumentMarket, now: number, seed: number) {
  return cachedTicker(m, now, () => renderLinearTicker(m, now, seed));
}

function renderLinearTicker(m: InstrumentMarket, now: number, seed: number) {
  const inst = m.instrument;
  const s = m.stats24h(now);
  const spec = m.spec;
  const nextFunding = nextFundingTime(now, inst.spec.fundingIntervalMinutes);
  const mark = priceStr(inst, m.markTicks);
  // A steady open interest of 50,000 typical trades: plausible in size, constant over time.
  const openInterest = qtyStr(inst, m.tradeSteps * 50_000);
  const bestBid = m.book.bestBidTicks();
  const bestAsk = m.book.bestAskTicks();
  return {
    symbol: inst.symbol,
    lastPrice: priceStr(inst, m.lastTicks),
    indexPrice: priceStr(inst, m.indexTicks),
    markPrice: mark,
    prevPrice24h: priceStr(inst, s.prev24h),
    price24hPcnt: pcnt(m.lastTicks, s.prev24h),
    highPrice24h: priceStr(inst, s.high),
    lowPrice24h: priceStr(inst, s.low),
    prevPrice1h: priceStr(inst, s.prev1h),
    openInterest,
    openInterestValue: plain(Big(openInterest).times(Big(mark)).round(2, Big.roundHalfUp)),
    turnover24h: statStr(s.turnover),
    volume24h: qtyStr(inst, s.volume),
    fundingRate: fundingRateAt(seed, inst.symbol, spec.fundingRate, nextFunding),
    nextFundingTime: String(nextFunding),
    predictedDeliveryPrice: '',
    basisRate: '',
    deliveryFeeRate: '',
    deliveryTime: '0',
    ask1Size: bestAsk === undefined ? '0' : qtyStr(inst, m.book.asks.steps[0] ?? 0),
    bid1Price: bestBid === undefined ? '' : priceStr(inst, bestBid),
    ask1Price: bestAsk === undefined ? '' : priceStr(inst, bestAsk),
    bid1Size: bestBid === undefined ? '0' : qtyStr(inst, m.book.bids.steps[0] ?? 0),
    basis: '',
    preOpenPrice: '',
    preQty: '',
    curPreListingPhase: '',
    fundingIntervalHour: String(inst.spec.fundingIntervalMinutes / 60),
    fundingCap: '0.005',
    basisRateYear: '',
  };
}

export function spotTickerView(m: InstrumentMarket, now: number) {
  return cachedTicker(m, now, () => renderSpotTicker(m, now));
}

function renderSpotTicker(m: InstrumentMarket, now: number) {
  const inst = m.instrument;
  const s = m.stats24h(now);
  const bestBid = m.book.bestBidTicks();
  const bestAsk = m.book.bestAskTicks();
  return {
    symbol: inst.symbol,
    bid1Price: bestBid === undefined ? '' : priceStr(inst, bestBid),
    bid1Size: bestBid === undefined ? '0' : qtyStr(inst, m.book.bids.steps[0] ?? 0),
    ask1Price: bestAsk === undefined ? '' : priceStr(inst, bestAsk),
    ask1Size: bestAsk === undefined ? '0' : qtyStr(inst, m.book.asks.steps[0] ?? 0),
    lastPrice: priceStr(inst, m.lastTicks),
    prevPrice24h: priceStr(inst, s.prev24h),
    price24hPcnt: pcnt(m.lastTicks, s.prev24h),
    highPrice24h: priceStr(inst, s.high),
    lowPrice24h: priceStr(inst, s.low),
    turnover24h: statStr(s.turnover),
    volume24h: qtyStr(inst, s.volume),
    usdIndexPrice: inst.quoteCoin === 'USDT' || inst.quoteCoin === 'USDC' ? priceStr(inst, m.indexTicks) : '',
  };
}

type Levels = readonly (readonly [string, string])[];

/**
 * The book's levels as wire strings, rendered once per book version (`u` moves on every change)
 * at the book's full depth; every request of that version slices what it asks for.
 */
const renderedBooks = new WeakMap<SimBook, { u: number; ts: number; b: Levels; a: Levels }>();

function renderedLevels(m: InstrumentMarket): { b: Levels; a: Levels } {
  const book = m.book;
  const r = renderedBooks.get(book);
  if (r !== undefined && r.u === book.u && r.ts === book.ts) return r;
  const inst = m.instrument;
  const side = (ticks: number[], steps: number[]): Levels => {
    const out: (readonly [string, string])[] = new Array(ticks.length);
    for (let i = 0; i < ticks.length; i++) out[i] = [priceStr(inst, ticks[i]!), qtyStr(inst, steps[i]!)];
    return out;
  };
  const fresh = {
    u: book.u,
    ts: book.ts,
    b: side(book.bids.ticks, book.bids.steps),
    a: side(book.asks.ticks, book.asks.steps),
  };
  renderedBooks.set(book, fresh);
  return fresh;
}

export function orderbookView(m: InstrumentMarket, limit: number) {
  const inst = m.instrument;
  const { b, a } = renderedLevels(m);
  return {
    s: inst.symbol,
    b: b.length > limit ? b.slice(0, limit) : b,
    a: a.length > limit ? a.slice(0, limit) : a,
    ts: m.book.ts,
    u: m.book.u,
    seq: m.seq,
    cts: m.book.ts,
  };
}

/** [startTime, open, high, low, close] for mark- and index-price klines. */
export function priceKlineRow(inst: Instrument, c: Candle): string[] {
  return [
    String(c.start),
    priceStr(inst, c.open),
    priceStr(inst, c.high),
    priceStr(inst, c.low),
    priceStr(inst, c.close),
  ];
}

/** [startTime, open, high, low, close, volume, turnover] */
export function klineRow(inst: Instrument, c: Candle): string[] {
  return [...priceKlineRow(inst, c), qtyStr(inst, c.volume), statStr(c.turnover)];
}

export function recentTradeView(inst: Instrument, t: PublicTrade) {
  return {
    execId: t.execId,
    symbol: inst.symbol,
    price: priceStr(inst, t.priceTicks),
    size: qtyStr(inst, t.steps),
    side: t.side,
    time: String(t.time),
    isBlockTrade: false,
    isRPITrade: false,
    seq: String(t.seq),
  };
}
