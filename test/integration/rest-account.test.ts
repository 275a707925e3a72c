/**
 * Private account, user and asset endpoints over real HTTP, signed like a Bybit client.
 * @see ../shared/reference/bybit-v5-facts.md §7.21-7.25
 */
import { afterAll, beforeAll, expect, test } from 'vitest';
import type { RunningExchange } from '../../src/runtime/start-exchange.js';
import {
  DEFAULT_KEY,
  MANUAL_CLOCK_START,
  READONLY_KEY,
  READONLY_SECRET,
  getPublic,
  getSigned,
  manualScenarioYaml,
  startTestExchange,
  type Reply,
} from '../support/server.js';
import type { Json } from '../support/ws.js';
import { expectParamError } from '../support/envelope.js';

let ex: RunningExchange;

/** The manual scenario with the linear instrument's fees set explicitly (not the defaults). */
function scenarioWithFees(): string {
  const yaml = manualScenarioYaml();
  const linear =
    'category: linear, baseCoin: BTC, quoteCoin: USDT, tickSize: "0.1", qtyStep: "0.001", minOrderQty: "0.001", maxOrderQty: "100", minNotional: "5"';
  if (!yaml.includes(linear)) throw new Error('manualScenarioYaml() changed: update scenarioWithFees()');
  return yaml.replace(linear, `${linear}, makerFee: "-0.00015", takerFee: "0.0004"`);
}

beforeAll(async () => {
  ex = await startTestExchange({ scenario: { yaml: scenarioWithFees(), name: 'account-manual' } });
});

afterAll(async () => {
  await ex?.close();
});

function okBody(r: Reply, retMsg = 'OK'): Json {
  expect(r.status).toBe(200);
  expect(r.body.retCode, r.body.retMsg).toBe(0);
  expect(r.body.retMsg).toBe(retMsg);
  expect(r.body.retExtInfo).toEqual({});
  expect(r.body.time).toBe(MANUAL_CLOCK_START);
  return r.body.result;
}

const ACCOUNT_KEYS = [
  'accountType',
  'accountIMRate',
  'accountMMRate',
  'accountIMRateByMp',
  'accountMMRateByMp',
  'totalEquity',
  'totalWalletBalance',
  'totalMarginBalance',
  'totalAvailableBalance',
  'totalPerpUPL',
  'totalInitialMargin',
  'totalInitialMarginByMp',
  'totalMaintenanceMargin',
  'totalMaintenanceMarginByMp',
  'accountLTV',
  'coin',
];

const COIN_KEYS = [
  'coin',
  'equity',
  'usdValue',
  'walletBalance',
  'locked',
  'spotHedgingQty',
  'borrowAmount',
  'accruedInterest',
  'totalOrderIM',
  'totalPositionIM',
  'totalPositionMM',
  'unrealisedPnl',
  'cumRealisedPnl',
  'bonus',
  'marginCollateral',
  'collateralSwitch',
  'spotBorrow',
  'availableToWithdraw',
  'availableToBorrow',
];

async function spotLastPrice(): Promise<number> {
  const r = await getPublic(ex, '/v5/market/tickers?category=spot&symbol=BTCUSDT');
  return Number(r.body.result.list[0].lastPrice);
}

// ---- wallet-balance -------------------------------------------------------------------------

test('wallet-balance answers one UNIFIED account with string totals and every non-zero coin', async () => {
  const result = okBody(await getSigned(ex, '/v5/account/wallet-balance', 'accountType=UNIFIED'));
  expect(Object.keys(result)).toEqual(['list']);
  expect(result.list).toHaveLength(1);
  const acct = result.list[0];
  for (const k of ACCOUNT_KEYS) expect(acct, k).toHaveProperty(k);
  expect(acct.accountType).toBe('UNIFIED');
  for (const k of ACCOUNT_KEYS.filter((x) => x !== 'coin' && x !== 'accountType'))
    expect(acct[k], k).toMatch(/^-?\d+(\.\d+)?$/);

  const coins = acct.coin as Record<string, unknown>[];
  expect(coins.map((c) => c.coin)).toEqual(['USDT', 'BTC']);
  for (const c of coins) {
    for (const k of COIN_KEYS) expect(c, `${String(c.coin)}.${k}`).toHaveProperty(k);
    for (const k of [
      'walletBalance',
      'equity',
      'usdValue',
      'availableToWithdraw',
      'locked',
      'unrealisedPnl',
    ]) {
      expect(typeof c[k], k).toBe('string');
      expect(c[k], k).toMatch(/^\d+(\.\d+)?$/);
    }
    expect(c.marginCollateral).toBe(true);
    expect(c.collateralSwitch).toBe(true);
  }
  const [usdt, btc] = coins as Record<string, string>[];
  expect(usdt).toMatchObject({
    walletBalance: '10000',
    equity: '10000',
    usdValue: '10000',
    availableToWithdraw: '10000',
    locked: '0',
  });
  expect(btc).toMatchObject({ walletBalance: '0.5', equity: '0.5', availableToWithdraw: '0.5', locked: '0' });

  // BTC is valued at the BTCUSDT price; totals are USD and cover every coin.
  const btcUsd = Number(btc!.usdValue);
  const last = await spotLastPrice();
  expect(Math.abs(btcUsd / (0.5 * last) - 1)).toBeLessThan(0.001);
  const total = Number(acct.totalEquity);
  expect(total).toBeCloseTo(10000 + btcUsd, 6);
  expect(acct.totalWalletBalance).toBe(acct.totalEquity);
  expect(acct.totalPerpUPL).toBe('0');
  expect(Number(acct.totalMarginBalance)).toBeCloseTo(
    Number(acct.totalWalletBalance) + Number(acct.totalPerpUPL),
    8,
  );
  expect(Number(acct.totalAvailableBalance)).toBeLessThanOrEqual(Number(acct.totalMarginBalance));
});

test('wallet-balance with a coin filter answers only that coin but keeps account-wide totals', async () => {
  const all = okBody(await getSigned(ex, '/v5/account/wallet-balance', 'accountType=UNIFIED')).list[0];
  const only = okBody(await getSigned(ex, '/v5/account/wallet-balance', 'accountType=UNIFIED&coin=BTC'))
    .list[0];
  expect((only.coin as { coin: string }[]).map((c) => c.coin)).toEqual(['BTC']);
  expect(only.coin[0].walletBalance).toBe('0.5');
  expect(only.totalEquity).toBe(all.totalEquity);

  const two = okBody(await getSigned(ex, '/v5/account/wallet-balance', 'accountType=UNIFIED&coin=BTC,USDT'))
    .list[0];
  expect((two.coin as { coin: string }[]).map((c) => c.coin)).toEqual(['BTC', 'USDT']);
});

test('wallet-balance of the read-only account shows its own balance', async () => {
  const result = okBody(
    await getSigned(ex, '/v5/account/wallet-balance', 'accountType=UNIFIED', {
      key: READONLY_KEY,
      secret: READONLY_SECRET,
    }),
  );
  const acct = result.list[0];
  expect(acct.coin).toHaveLength(1);
  expect(acct.coin[0]).toMatchObject({ coin: 'USDT', walletBalance: '100', usdValue: '100' });
  expect(acct.totalEquity).toBe('100');
});

test('wallet-balance with accountType CONTRACT or no accountType is refused with 10001 naming accountType', async () => {
  expectParamError(await getSigned(ex, '/v5/account/wallet-balance', 'accountType=CONTRACT'), /accountType/);
  expectParamError(await getSigned(ex, '/v5/account/wallet-balance', ''), /accountType/);
});

// ---- account/info -----------------------------------------------------------------------------

test('account info reports a unified account with integer status fields', async () => {
  const result = okBody(await getSigned(ex, '/v5/account/info'));
  expect(result).toEqual({
    marginMode: 'REGULAR_MARGIN',
    updatedTime: expect.stringMatching(/^\d{13}$/),
    unifiedMarginStatus: expect.any(Number),
    dcpStatus: 'OFF',
    timeWindow: expect.any(Number),
    smpGroup: 0,
    isMasterTrader: false,
    spotHedgingStatus: 'OFF',
  });
  expect(Number.isInteger(result.unifiedMarginStatus)).toBe(true);
  expect([5, 6]).toContain(result.unifiedMarginStatus);
  expect(Number.isInteger(result.timeWindow)).toBe(true);
});

// ---- account/fee-rate -------------------------------------------------------------------------

test('fee-rate for linear lists the scenario maker and taker rates without a category key', async () => {
  const result = okBody(await getSigned(ex, '/v5/account/fee-rate', 'category=linear'));
  expect(result).toEqual({ list: [{ symbol: 'BTCUSDT', takerFeeRate: '0.0004', makerFeeRate: '-0.00015' }] });
  const one = okBody(await getSigned(ex, '/v5/account/fee-rate', 'category=linear&symbol=BTCUSDT'));
  expect(one.list).toEqual([{ symbol: 'BTCUSDT', takerFeeRate: '0.0004', makerFeeRate: '-0.00015' }]);
});

test('fee-rate for spot carries the category key and the spot default rates', async () => {
  const result = okBody(await getSigned(ex, '/v5/account/fee-rate', 'category=spot'));
  expect(result).toEqual({
    category: 'spot',
    list: [{ symbol: 'BTCUSDT', takerFeeRate: '0.001', makerFeeRate: '0.001' }],
  });
});

test('fee-rate without category or with an unknown symbol is refused with 10001 naming the parameter', async () => {
  expectParamError(await getSigned(ex, '/v5/account/fee-rate', ''), /category/);
  expectParamError(await getSigned(ex, '/v5/account/fee-rate', 'category=linear&symbol=ETHUSDT'), /symbol/);
});

// ---- user/query-api ---------------------------------------------------------------------------

test('query-api describes the trading key as read-write on a unified account with an empty retMsg', async () => {
  const result = okBody(await getSigned(ex, '/v5/user/query-api'), '');
  expect(result).toMatchObject({
    apiKey: DEFAULT_KEY,
    readOnly: 0,
    uta: 1,
    unified: 0,
    secret: '',
    type: 1,
    isMaster: true,
  });
  expect(typeof result.id).toBe('string');
  expect(Number.isInteger(result.userID)).toBe(true);
  expect(Array.isArray(result.ips)).toBe(true);
  expect(result.permissions.ContractTrade).toEqual(['Order', 'Position']);
  expect(result.permissions.Spot).toEqual(['SpotTrade']);
  expect(result.createdAt).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
});

test('query-api describes the viewer key as read-only with no trade permissions', async () => {
  const r = await getSigned(ex, '/v5/user/query-api', '', { key: READONLY_KEY, secret: READONLY_SECRET });
  const result = okBody(r, '');
  expect(result).toMatchObject({ apiKey: READONLY_KEY, readOnly: 1, uta: 1 });
  expect(result.permissions.ContractTrade).toEqual([]);
  expect(result.permissions.Spot).toEqual([]);
  const main = okBody(await getSigned(ex, '/v5/user/query-api'), '');
  expect(result.userID).not.toBe(main.userID);
});

// ---- asset/coin/query-info --------------------------------------------------------------------

const CHAIN_KEYS = [
  'chainType',
  'confirmation',
  'withdrawFee',
  'depositMin',
  'withdrawMin',
  'chain',
  'chainDeposit',
  'chainWithdraw',
  'minAccuracy',
  'withdrawPercentageFee',
  'contractAddress',
  'safeConfirmNumber',
  'withdrawMax',
];

test('coin query-info answers rows with chains for every coin, with retMsg success', async () => {
  const result = okBody(await getSigned(ex, '/v5/asset/coin/query-info'), 'success');
  const rows = result.rows as Record<string, Json>[];
  expect(rows.map((r) => r.coin)).toEqual(['BTC', 'USDT']);
  for (const row of rows) {
    expect(row.name).toBe(row.coin);
    expect(row.remainAmount).toMatch(/^\d+(\.\d+)?$/);
    expect(row.chains.length).toBeGreaterThan(0);
    for (const chain of row.chains) {
      expect(Object.keys(chain).sort()).toEqual([...CHAIN_KEYS].sort());
      for (const k of CHAIN_KEYS) expect(typeof chain[k], k).toBe('string');
      expect(chain.chainDeposit).toBe('1');
      expect(chain.chainWithdraw).toBe('1');
    }
  }
});

test('coin query-info with a coin filter answers only that coin', async () => {
  const result = okBody(await getSigned(ex, '/v5/asset/coin/query-info', 'coin=USDT'), 'success');
  expect((result.rows as { coin: string }[]).map((r) => r.coin)).toEqual(['USDT']);
});
