/**
 * bybit-api RestClientV5 (unmodified, real HTTP) against the real daemon: market data, wallet
 * balance and auth failures.
 * @see ../shared/reference/client-call-patterns.md §1.2, §5
 */
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import type { RestClientV5 } from 'bybit-api';
import type { RunningExchange } from '../../src/runtime/start-exchange.js';
import { bybitApiRest } from '../support/clients.js';
import { DEFAULT_KEY, startTestExchange } from '../support/server.js';

let ex: RunningExchange;
let client: RestClientV5;

beforeAll(async () => {
  ex = await startTestExchange();
  client = bybitApiRest(ex);
});

afterAll(async () => {
  await ex?.close();
});

const MINUTE = 60_000;
const DECIMAL = /^-?\d+(\.\d+)?$/;

describe('bybit-api RestClientV5 against the mock daemon', () => {
  it('returns the server time in seconds, nanoseconds and the envelope time', async () => {
    const res = await client.getServerTime();
    expect(res.retCode).toBe(0);
    expect(res.retMsg).toBe('OK');
    const now = Date.now();
    expect(Math.abs(res.time - now)).toBeLessThan(5_000);
    expect(Math.abs(Number(res.result.timeSecond) * 1000 - now)).toBeLessThan(5_000);
    expect(res.result.timeNano).toMatch(/^\d+$/);
    expect(BigInt(res.result.timeNano) / 1_000_000_000n).toBe(BigInt(res.result.timeSecond));
  });

  it('lists the linear instruments of the scenario with their filters', async () => {
    const res = await client.getInstrumentsInfo({ category: 'linear' });
    expect(res.retCode).toBe(0);
    expect(res.result.category).toBe('linear');
    const list = res.result.list as unknown as Array<Record<string, unknown>>;
    expect(list.map((i) => i.symbol).sort()).toEqual(['BTCUSDT', 'ETHUSDT', 'SOLUSDT']);
    const btc = list.find((i) => i.symbol === 'BTCUSDT')!;
    expect(btc).toMatchObject({
      contractType: 'LinearPerpetual',
      status: 'Trading',
      baseCoin: 'BTC',
      quoteCoin: 'USDT',
      settleCoin: 'USDT',
      launchTime: '1585526400000',
      fundingInterval: 480,
      priceFilter: { tickSize: '0.1', minPrice: '0.1', maxPrice: '1999999.8' },
      lotSizeFilter: {
        qtyStep: '0.001',
        minOrderQty: '0.001',
        maxOrderQty: '1190.000',
        maxMktOrderQty: '500.000',
        minNotionalValue: '5',
      },
      leverageFilter: { minLeverage: '1', maxLeverage: '100.00' },
    });
    const sol = list.find((i) => i.symbol === 'SOLUSDT')!;
    expect(sol).toMatchObject({ priceFilter: { tickSize: '0.01' }, lotSizeFilter: { qtyStep: '0.1' } });
    expect(res.result.nextPageCursor).toBe('');
  });

  it('lists the spot instruments of the scenario with their filters', async () => {
    const res = await client.getInstrumentsInfo({ category: 'spot' });
    expect(res.retCode).toBe(0);
    expect(res.result.category).toBe('spot');
    const list = res.result.list as unknown as Array<Record<string, unknown>>;
    expect(list.map((i) => i.symbol).sort()).toEqual(['BTCUSDT', 'ETHUSDT', 'SOLUSDT']);
    const btc = list.find((i) => i.symbol === 'BTCUSDT')!;
    expect(btc).toMatchObject({
      status: 'Trading',
      baseCoin: 'BTC',
      quoteCoin: 'USDT',
      priceFilter: { tickSize: '0.01' },
      lotSizeFilter: {
        basePrecision: '0.000001',
        minOrderQty: '0.000048',
        maxOrderQty: '71.739562',
        minOrderAmt: '1',
        maxOrderAmt: '4000000',
      },
    });
    expect(list.find((i) => i.symbol === 'ETHUSDT')).toMatchObject({
      lotSizeFilter: { basePrecision: '0.00001' },
    });
  });

  it('returns a coherent linear ticker with funding fields', async () => {
    const res = await client.getTickers({ category: 'linear', symbol: 'BTCUSDT' });
    expect(res.retCode).toBe(0);
    expect(res.result.category).toBe('linear');
    expect(res.result.list).toHaveLength(1);
    const t = res.result.list[0]! as unknown as Record<string, string>;
    expect(t.symbol).toBe('BTCUSDT');
    for (const k of [
      'lastPrice',
      'indexPrice',
      'markPrice',
      'prevPrice24h',
      'price24hPcnt',
      'highPrice24h',
      'lowPrice24h',
      'volume24h',
      'turnover24h',
      'bid1Price',
      'ask1Price',
      'bid1Size',
      'ask1Size',
      'fundingRate',
      'openInterest',
    ]) {
      expect(t[k], k).toMatch(DECIMAL);
    }
    const last = Number(t.lastPrice);
    expect(last).toBeGreaterThan(80_000);
    expect(last).toBeLessThan(100_000);
    expect(Number(t.bid1Price)).toBeLessThan(Number(t.ask1Price));
    expect(Number(t.lowPrice24h)).toBeLessThanOrEqual(last);
    expect(last).toBeLessThanOrEqual(Number(t.highPrice24h));
    // Prices are padded to the tick size's decimals (0.1 -> one decimal).
    expect(t.lastPrice).toMatch(/^\d+\.\d$/);
    const next = Number(t.nextFundingTime);
    expect(next % (8 * 60 * MINUTE)).toBe(0);
    expect(next).toBeGreaterThan(Date.now());
  });

  it('returns all three linear tickers when no symbol is given', async () => {
    const res = await client.getTickers({ category: 'linear' });
    expect(res.retCode).toBe(0);
    expect(res.result.list.map((t) => t.symbol).sort()).toEqual(['BTCUSDT', 'ETHUSDT', 'SOLUSDT']);
  });

  it('returns a coherent spot ticker', async () => {
    const res = await client.getTickers({ category: 'spot', symbol: 'ETHUSDT' });
    expect(res.retCode).toBe(0);
    expect(res.result.category).toBe('spot');
    const t = res.result.list[0]! as unknown as Record<string, string>;
    expect(t.symbol).toBe('ETHUSDT');
    const last = Number(t.lastPrice);
    expect(last).toBeGreaterThan(2_000);
    expect(last).toBeLessThan(4_000);
    expect(Number(t.bid1Price)).toBeLessThan(Number(t.ask1Price));
    expect(Number(t.lowPrice24h)).toBeLessThanOrEqual(last);
    expect(last).toBeLessThanOrEqual(Number(t.highPrice24h));
    expect(t).not.toHaveProperty('fundingRate');
  });

  it('returns fifty sorted levels on each side of the linear order book', async () => {
    const res = await client.getOrderbook({ category: 'linear', symbol: 'BTCUSDT', limit: 50 });
    expect(res.retCode).toBe(0);
    const book = res.result;
    expect(book.s).toBe('BTCUSDT');
    expect(book.b).toHaveLength(50);
    expect(book.a).toHaveLength(50);
    for (const [price, size] of [...book.b, ...book.a]) {
      expect(price).toMatch(/^\d+\.\d$/);
      expect(size).toMatch(DECIMAL);
      expect(Number(size)).toBeGreaterThan(0);
    }
    const bids = book.b.map(([p]) => Number(p));
    const asks = book.a.map(([p]) => Number(p));
    for (let i = 1; i < 50; i++) {
      expect(bids[i]!).toBeLessThan(bids[i - 1]!);
      expect(asks[i]!).toBeGreaterThan(asks[i - 1]!);
    }
    expect(bids[0]!).toBeLessThan(asks[0]!);
    expect(Math.abs(book.ts - Date.now())).toBeLessThan(10_000);
    expect(book.u).toBeGreaterThan(0);
  });

  it('returns three one-minute klines newest first as seven strings each', async () => {
    const res = await client.getKline({ category: 'linear', symbol: 'BTCUSDT', interval: '1', limit: 3 });
    expect(res.retCode).toBe(0);
    expect(res.result.category).toBe('linear');
    expect(res.result.symbol).toBe('BTCUSDT');
    const rows = res.result.list;
    expect(rows).toHaveLength(3);
    for (const row of rows) {
      expect(row).toHaveLength(7);
      for (const v of row) expect(typeof v).toBe('string');
      const [start, open, high, low, close, volume, turnover] = row.map(Number);
      expect(start! % MINUTE).toBe(0);
      expect(low!).toBeLessThanOrEqual(Math.min(open!, close!));
      expect(high!).toBeGreaterThanOrEqual(Math.max(open!, close!));
      expect(volume!).toBeGreaterThanOrEqual(0);
      expect(turnover!).toBeGreaterThanOrEqual(0);
    }
    const starts = rows.map((r) => Number(r[0]));
    expect(starts[0]! - starts[1]!).toBe(MINUTE);
    expect(starts[1]! - starts[2]!).toBe(MINUTE);
    expect(Date.now() - starts[0]!).toBeLessThan(2 * MINUTE);
  });

  it('returns the unified wallet balance of the scenario account', async () => {
    const res = await client.getWalletBalance({ accountType: 'UNIFIED' });
    expect(res.retCode).toBe(0);
    expect(res.result.list).toHaveLength(1);
    const wallet = res.result.list[0]!;
    expect(wallet.accountType).toBe('UNIFIED');
    const coins = new Map(wallet.coin.map((c) => [c.coin, c]));
    expect([...coins.keys()].sort()).toEqual(['BTC', 'ETH', 'USDT']);
    expect(coins.get('USDT')!.walletBalance).toBe('100000');
    expect(coins.get('USDT')!.equity).toBe('100000');
    expect(coins.get('BTC')!.walletBalance).toBe('1');
    expect(coins.get('ETH')!.walletBalance).toBe('10');
    // Total equity is the USD value of all coins: more than the USDT alone.
    expect(Number(wallet.totalEquity)).toBeGreaterThan(100_000);
  });

  it('returns one coin of the wallet when asked for it', async () => {
    const res = await client.getWalletBalance({ accountType: 'UNIFIED', coin: 'USDT' });
    expect(res.retCode).toBe(0);
    expect(res.result.list[0]!.coin.map((c) => c.coin)).toEqual(['USDT']);
  });

  it('answers retCode 10004 to a request signed with the wrong secret', async () => {
    const bad = bybitApiRest(ex, { secret: 'not-the-secret' });
    const res = await bad.getWalletBalance({ accountType: 'UNIFIED' });
    expect(res.retCode).toBe(10004);
    expect(res.retMsg).toMatch(/sign/i);
  });

  it('answers retCode 10003 to a request with an unknown API key', async () => {
    const bad = bybitApiRest(ex, { key: 'no-such-key', secret: 'whatever' });
    const res = await bad.getWalletBalance({ accountType: 'UNIFIED' });
    expect(res.retCode).toBe(10003);
    expect(res.retMsg).toMatch(/API key is invalid/);
  });

  it('keeps serving public data to a client with bad credentials', async () => {
    const bad = bybitApiRest(ex, { key: DEFAULT_KEY, secret: 'not-the-secret' });
    const res = await bad.getServerTime();
    expect(res.retCode).toBe(0);
  });
});
