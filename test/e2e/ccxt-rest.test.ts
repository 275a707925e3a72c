/**
 * ccxt (unmodified, real HTTP) against the real daemon: market data and wallet balance.
 * @see ../shared/reference/client-call-patterns.md §1.1, §3
 */
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import ccxt from 'ccxt';
import type { RunningExchange } from '../../src/runtime/start-exchange.js';
import { ccxtBybit } from '../support/clients.js';
import { DEFAULT_KEY, startTestExchange } from '../support/server.js';

type Bybit = ReturnType<typeof ccxtBybit>;

let ex: RunningExchange;
let client: Bybit;

beforeAll(async () => {
  ex = await startTestExchange();
  client = ccxtBybit(ex);
});

afterAll(async () => {
  await ex?.close();
});

const MINUTE = 60_000;

interface MarketExpectation {
  symbol: string;
  id: string;
  type: 'swap' | 'spot';
  base: string;
  amount: number;
  price: number;
  minAmount: number;
  maxAmount: number;
}

const EXPECTED_MARKETS: MarketExpectation[] = [
  {
    symbol: 'BTC/USDT:USDT',
    id: 'BTCUSDT',
    type: 'swap',
    base: 'BTC',
    amount: 0.001,
    price: 0.1,
    minAmount: 0.001,
    maxAmount: 1190,
  },
  {
    symbol: 'ETH/USDT:USDT',
    id: 'ETHUSDT',
    type: 'swap',
    base: 'ETH',
    amount: 0.01,
    price: 0.01,
    minAmount: 0.01,
    maxAmount: 7240,
  },
  {
    symbol: 'SOL/USDT:USDT',
    id: 'SOLUSDT',
    type: 'swap',
    base: 'SOL',
    amount: 0.1,
    price: 0.01,
    minAmount: 0.1,
    maxAmount: 79770,
  },
  {
    symbol: 'BTC/USDT',
    id: 'BTCUSDT',
    type: 'spot',
    base: 'BTC',
    amount: 0.000001,
    price: 0.01,
    minAmount: 0.000048,
    maxAmount: 71.739562,
  },
  {
    symbol: 'ETH/USDT',
    id: 'ETHUSDT',
    type: 'spot',
    base: 'ETH',
    amount: 0.00001,
    price: 0.01,
    minAmount: 0.00062,
    maxAmount: 1229.23363,
  },
  {
    symbol: 'SOL/USDT',
    id: 'SOLUSDT',
    type: 'spot',
    base: 'SOL',
    amount: 0.001,
    price: 0.01,
    minAmount: 0.011,
    maxAmount: 32244.1,
  },
];

function expectOrderedBook(book: { bids: (number | undefined)[][]; asks: (number | undefined)[][] }): void {
  expect(book.bids.length).toBeGreaterThan(0);
  expect(book.asks.length).toBeGreaterThan(0);
  for (const level of [...book.bids, ...book.asks]) {
    expect(level[0]).toBeGreaterThan(0);
    expect(level[1]).toBeGreaterThan(0);
  }
  for (let i = 1; i < book.bids.length; i++) expect(book.bids[i]![0]!).toBeLessThan(book.bids[i - 1]![0]!);
  for (let i = 1; i < book.asks.length; i++) expect(book.asks[i]![0]!).toBeGreaterThan(book.asks[i - 1]![0]!);
  expect(book.bids[0]![0]!).toBeLessThan(book.asks[0]![0]!);
}

describe('ccxt bybit REST against the mock daemon', () => {
  it('loads the scenario markets with their precision, limits and active flag', async () => {
    const markets = await client.loadMarkets();
    for (const e of EXPECTED_MARKETS) {
      const m = markets[e.symbol];
      expect(m, e.symbol).toBeDefined();
      expect(m!.id).toBe(e.id);
      expect(m!.type).toBe(e.type);
      expect(m!.base).toBe(e.base);
      expect(m!.quote).toBe('USDT');
      expect(m!.active).toBe(true);
      expect(m!.precision.amount).toBe(e.amount);
      expect(m!.precision.price).toBe(e.price);
      expect(m!.limits.amount?.min).toBe(e.minAmount);
      expect(m!.limits.amount?.max).toBe(e.maxAmount);
      if (e.type === 'swap') {
        expect(m!.swap).toBe(true);
        expect(m!.linear).toBe(true);
        expect(m!.contract).toBe(true);
        expect(m!.settle).toBe('USDT');
        expect(m!.contractSize).toBe(1);
        expect(m!.limits.leverage?.max).toBe(100);
        expect(m!.limits.cost?.min).toBe(5);
      } else {
        expect(m!.spot).toBe(true);
        expect(m!.contract).toBe(false);
        expect(m!.limits.cost?.min).toBe(1);
      }
    }
    // Nothing beyond the scenario's six instruments (no inverse or option markets).
    expect(Object.keys(markets).sort()).toEqual(EXPECTED_MARKETS.map((e) => e.symbol).sort());
  });

  it('reports a server time close to the wall clock', async () => {
    const t = await client.fetchTime();
    expect(typeof t).toBe('number');
    expect(Math.abs(t! - Date.now())).toBeLessThan(5_000);
  });

  for (const symbol of ['BTC/USDT:USDT', 'BTC/USDT']) {
    it(`returns a coherent ticker for ${symbol}`, async () => {
      const t = await client.fetchTicker(symbol);
      expect(t.symbol).toBe(symbol);
      for (const k of ['last', 'bid', 'ask', 'high', 'low', 'baseVolume', 'percentage'] as const) {
        expect(typeof t[k], k).toBe('number');
        expect(Number.isFinite(t[k]), k).toBe(true);
      }
      expect(t.bid!).toBeLessThan(t.ask!);
      expect(t.low!).toBeLessThanOrEqual(t.last!);
      expect(t.last!).toBeLessThanOrEqual(t.high!);
      // The default scenario starts BTCUSDT at 90000; an hour of 60 % vol cannot move it far.
      expect(t.last!).toBeGreaterThan(80_000);
      expect(t.last!).toBeLessThan(100_000);
      expect(t.baseVolume!).toBeGreaterThanOrEqual(0);
    });
  }

  it('returns linear tickers for several symbols at once', async () => {
    const tickers = await client.fetchTickers(['BTC/USDT:USDT', 'ETH/USDT:USDT']);
    expect(Object.keys(tickers).sort()).toEqual(['BTC/USDT:USDT', 'ETH/USDT:USDT']);
    expect(tickers['ETH/USDT:USDT']!.last!).toBeGreaterThan(2_000);
    expect(tickers['ETH/USDT:USDT']!.last!).toBeLessThan(4_000);
    expect(tickers['BTC/USDT:USDT']!.bid!).toBeLessThan(tickers['BTC/USDT:USDT']!.ask!);
  });

  it('returns a sorted linear order book with the default depth of 25', async () => {
    const book = await client.fetchOrderBook('BTC/USDT:USDT');
    expect(book.symbol).toBe('BTC/USDT:USDT');
    expectOrderedBook(book);
    expect(book.bids).toHaveLength(25);
    expect(book.asks).toHaveLength(25);
    expect(typeof book.timestamp).toBe('number');
    expect(Math.abs(book.timestamp! - Date.now())).toBeLessThan(10_000);
    // ccxt's REST parseOrderBook always leaves nonce undefined (the key is there); the update id
    // it would come from is Bybit's `u`, checked through ccxt's implicit endpoint method.
    expect('nonce' in book).toBe(true);
    const raw = (await client.publicGetV5MarketOrderbook({
      category: 'linear',
      symbol: 'BTCUSDT',
      limit: 25,
    })) as {
      retCode: unknown;
      result: { s: string; u: number; seq: number; ts: number };
    };
    expect(Number(raw.retCode)).toBe(0);
    expect(raw.result.s).toBe('BTCUSDT');
    expect(Number.isInteger(raw.result.u)).toBe(true);
    expect(raw.result.u).toBeGreaterThan(0);
    expect(Number.isInteger(raw.result.seq)).toBe(true);
  });

  it('returns a sorted spot order book with the default depth of 50', async () => {
    const book = await client.fetchOrderBook('BTC/USDT');
    expect(book.symbol).toBe('BTC/USDT');
    expectOrderedBook(book);
    expect(book.bids).toHaveLength(50);
    expect(book.asks).toHaveLength(50);
    expect(typeof book.timestamp).toBe('number');
    expect(Math.abs(book.timestamp! - Date.now())).toBeLessThan(10_000);
    expect('nonce' in book).toBe(true);
  });

  it('returns the last five one-minute candles oldest first', async () => {
    const candles = await client.fetchOHLCV('BTC/USDT:USDT', '1m', undefined, 5);
    expect(candles).toHaveLength(5);
    for (let i = 0; i < candles.length; i++) {
      const [ts, open, high, low, close, volume] = candles[i]! as number[];
      expect(ts! % MINUTE).toBe(0);
      if (i > 0) expect(ts! - (candles[i - 1]![0] as number)).toBe(MINUTE);
      expect(low!).toBeLessThanOrEqual(Math.min(open!, close!));
      expect(high!).toBeGreaterThanOrEqual(Math.max(open!, close!));
      expect(volume!).toBeGreaterThanOrEqual(0);
    }
    // The newest candle is the current minute.
    const newest = candles[4]![0] as number;
    expect(Date.now() - newest).toBeGreaterThanOrEqual(0);
    expect(Date.now() - newest).toBeLessThan(2 * MINUTE);
  });

  it('returns one-minute candles starting at or after since', async () => {
    const since = Date.now() - 60 * MINUTE;
    const candles = await client.fetchOHLCV('BTC/USDT', '1m', since);
    expect(candles.length).toBeGreaterThanOrEqual(59);
    expect(candles.length).toBeLessThanOrEqual(62);
    expect(candles[0]![0] as number).toBeGreaterThanOrEqual(since);
    expect((candles[0]![0] as number) - since).toBeLessThan(MINUTE);
    for (let i = 1; i < candles.length; i++)
      expect((candles[i]![0] as number) - (candles[i - 1]![0] as number)).toBe(MINUTE);
  });

  for (const [timeframe, ms] of [
    ['1h', 60 * MINUTE],
    ['1d', 24 * 60 * MINUTE],
  ] as const) {
    it(`returns ${timeframe} candles aligned to the interval`, async () => {
      const candles = await client.fetchOHLCV('BTC/USDT:USDT', timeframe, undefined, 3);
      expect(candles).toHaveLength(3);
      for (let i = 0; i < candles.length; i++) {
        const [ts, open, high, low, close] = candles[i]! as number[];
        expect(ts! % ms).toBe(0);
        if (i > 0) expect(ts! - (candles[i - 1]![0] as number)).toBe(ms);
        expect(low!).toBeLessThanOrEqual(Math.min(open!, close!));
        expect(high!).toBeGreaterThanOrEqual(Math.max(open!, close!));
      }
      expect(Date.now() - (candles[2]![0] as number)).toBeLessThan(ms);
    });
  }

  it('returns public trades with price, amount and side', async () => {
    // Real clock, one tick a second with about two trades each: wait for some to exist.
    let trades = await client.fetchTrades('BTC/USDT:USDT');
    for (let i = 0; i < 30 && trades.length === 0; i++) {
      await new Promise((r) => setTimeout(r, 100));
      trades = await client.fetchTrades('BTC/USDT:USDT');
    }
    expect(trades.length).toBeGreaterThan(0);
    for (const t of trades) {
      expect(t.symbol).toBe('BTC/USDT:USDT');
      expect(typeof t.id).toBe('string');
      expect(t.price).toBeGreaterThan(80_000);
      expect(t.price).toBeLessThan(100_000);
      expect(t.amount).toBeGreaterThan(0);
      expect(['buy', 'sell']).toContain(t.side);
      expect(typeof t.timestamp).toBe('number');
    }
    for (let i = 1; i < trades.length; i++)
      expect(trades[i]!.timestamp!).toBeGreaterThanOrEqual(trades[i - 1]!.timestamp!);
  });

  it('returns the funding rate of a linear symbol', async () => {
    const fr = await client.fetchFundingRate('BTC/USDT:USDT');
    expect(fr.symbol).toBe('BTC/USDT:USDT');
    expect(typeof fr.fundingRate).toBe('number');
    expect(Math.abs(fr.fundingRate!)).toBeLessThanOrEqual(0.00375);
    expect(typeof fr.markPrice).toBe('number');
    expect(typeof fr.fundingTimestamp).toBe('number');
    // Eight-hour funding: the next settlement is on an 8h boundary within the next 8 hours.
    expect(fr.fundingTimestamp! % (8 * 60 * MINUTE)).toBe(0);
    expect(fr.fundingTimestamp! - Date.now()).toBeGreaterThan(0);
    expect(fr.fundingTimestamp! - Date.now()).toBeLessThanOrEqual(8 * 60 * MINUTE);
  });

  it('returns the funding rate history of a linear symbol', async () => {
    const history = await client.fetchFundingRateHistory('BTC/USDT:USDT');
    // The mock backfills settlements before boot; ccxt asks for 200 and sorts oldest first.
    expect(history.length).toBe(200);
    for (const h of history) {
      expect(h.symbol).toBe('BTC/USDT:USDT');
      expect(typeof h.fundingRate).toBe('number');
      expect(Math.abs(h.fundingRate!)).toBeLessThanOrEqual(0.00375);
      expect(h.timestamp! % (8 * 60 * MINUTE)).toBe(0);
    }
    for (let i = 1; i < history.length; i++)
      expect(history[i]!.timestamp! - history[i - 1]!.timestamp!).toBe(8 * 60 * MINUTE);
    const newest = history[history.length - 1]!.timestamp!;
    expect(newest).toBeLessThanOrEqual(Date.now());
    expect(Date.now() - newest).toBeLessThan(8 * 60 * MINUTE);
  });

  it('loads currencies from coin/query-info during loadMarkets', async () => {
    await client.loadMarkets();
    for (const code of ['USDT', 'BTC', 'ETH', 'SOL']) {
      expect(client.currencies[code], code).toBeDefined();
      expect(client.currencies[code]!.code).toBe(code);
    }
  });

  it('detects a unified trading account through its query-api and account/info probe', async () => {
    // Not preset in the client options: ccxt must find this out from the mock.
    expect(await client.isUnifiedEnabled()).toEqual([false, true]);
  });

  it('returns the scenario wallet balances', async () => {
    const balance = await client.fetchBalance();
    // ccxt's typings declare `total`/`free` as a Balance; at runtime they map coin -> number.
    const total = balance['total'] as unknown as Record<string, number>;
    const free = balance['free'] as unknown as Record<string, number>;
    expect(total['USDT']).toBe(100000);
    expect(total['BTC']).toBe(1);
    expect(total['ETH']).toBe(10);
    expect(free['USDT']).toBe(100000);
    expect(balance['USDT']).toMatchObject({ total: 100000, free: 100000 });
    expect(balance['USDT']!.used).toBe(0);
  });

  it('rejects a wrong secret with an AuthenticationError', async () => {
    // The first private request of a fresh client is coin/query-info inside loadMarkets().
    const bad = ccxtBybit(ex, { key: DEFAULT_KEY, secret: 'not-the-secret' });
    await expect(bad.fetchBalance()).rejects.toBeInstanceOf(ccxt.AuthenticationError);
    await expect(bad.fetchBalance()).rejects.toThrow(/10004/);
  });

  it('rejects an unknown API key with an AuthenticationError', async () => {
    const bad = ccxtBybit(ex, { key: 'no-such-key', secret: 'whatever' });
    await expect(bad.fetchBalance()).rejects.toBeInstanceOf(ccxt.AuthenticationError);
    await expect(bad.fetchBalance()).rejects.toThrow(/10003/);
  });
});
