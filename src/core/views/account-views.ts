/**
 * Account endpoints in Bybit's wire shapes (unified trading account).
 * @see ../shared/reference/bybit-v5-facts.md §7.21-7.25
 */
import type { Account } from '../accounts/account.js';
import { Big, ZERO, plain, type Big as BigT } from '../decimal.js';

export type UsdPrice = (coin: string) => BigT | undefined;

function usd(x: BigT): string {
  return plain(x.round(8, Big.roundHalfUp));
}

export function walletCoinView(coin: string, balance: BigT, usdPrice: BigT) {
  const wallet = plain(balance);
  return {
    coin,
    equity: wallet,
    usdValue: usd(balance.times(usdPrice)),
    walletBalance: wallet,
    free: '',
    locked: '0',
    spotHedgingQty: '0',
    borrowAmount: '0',
    accruedInterest: '0',
    totalOrderIM: '0',
    totalPositionIM: '0',
    totalPositionMM: '0',
    unrealisedPnl: '0',
    cumRealisedPnl: '0',
    bonus: '0',
    marginCollateral: true,
    collateralSwitch: true,
    spotBorrow: '0',
    availableToWithdraw: wallet,
    availableToBorrow: '',
  };
}

/** The UNIFIED wallet; `coins` empty means every non-zero coin. */
export function walletBalanceView(account: Account, coins: readonly string[], usdPrice: UsdPrice) {
  const names =
    coins.length > 0 ? coins : [...account.balances.keys()].filter((c) => !account.balance(c).eq(ZERO));
  const coinViews = names.map((coin) => walletCoinView(coin, account.balance(coin), usdPrice(coin) ?? ZERO));
  // Totals always cover every coin, whichever coins were asked for.
  let totalUsd = ZERO;
  for (const [coin, bal] of account.balances) totalUsd = totalUsd.plus(bal.times(usdPrice(coin) ?? ZERO));
  const total = usd(totalUsd);
  return {
    list: [
      {
        accountType: 'UNIFIED',
        accountIMRate: '0',
        accountMMRate: '0',
        accountIMRateByMp: '0',
        accountMMRateByMp: '0',
        totalEquity: total,
        totalWalletBalance: total,
        totalMarginBalance: total,
        totalAvailableBalance: total,
        totalPerpUPL: '0',
        totalInitialMargin: '0',
        totalInitialMarginByMp: '0',
        totalMaintenanceMargin: '0',
        totalMaintenanceMarginByMp: '0',
        accountLTV: '0',
        coin: coinViews,
      },
    ],
  };
}

export function accountInfoView(startTime: number) {
  return {
    marginMode: 'REGULAR_MARGIN',
    updatedTime: String(startTime),
    unifiedMarginStatus: 6,
    dcpStatus: 'OFF',
    timeWindow: 10,
    smpGroup: 0,
    isMasterTrader: false,
    spotHedgingStatus: 'OFF',
  };
}

export function queryApiView(account: Account, startTime: number) {
  const readOnly = account.canTrade ? 0 : 1;
  const trade = account.canTrade;
  return {
    id: String(account.uid % 10_000_000),
    note: account.name,
    apiKey: account.apiKey,
    readOnly,
    secret: '',
    permissions: {
      ContractTrade: trade ? ['Order', 'Position'] : [],
      Spot: trade ? ['SpotTrade'] : [],
      Wallet: ['AccountTransfer', 'SubMemberTransfer'],
      Options: trade ? ['OptionsTrade'] : [],
      Derivatives: trade ? ['DerivativesTrade'] : [],
      CopyTrading: [],
      BlockTrade: [],
      Exchange: ['ExchangeHistory'],
      NFT: [],
      Affiliate: [],
      Earn: [],
    },
    ips: ['*'],
    type: 1,
    deadlineDay: -1,
    expiredAt: '1970-01-01T00:00:00Z',
    createdAt: new Date(startTime).toISOString().replace(/\.\d{3}Z$/, 'Z'),
    unified: 0,
    uta: 1,
    userID: account.uid,
    inviterID: 0,
    vipLevel: 'No VIP',
    mktMakerLevel: '0',
    affiliateID: 0,
    rsaPublicKey: '',
    isMaster: true,
    parentUid: '0',
    kycLevel: 'LEVEL_DEFAULT',
    kycRegion: '',
  };
}

export function coinInfoView(coin: string) {
  return {
    name: coin,
    coin,
    remainAmount: '10000000',
    chains: [
      {
        chainType: coin,
        confirmation: '6',
        withdrawFee: '0',
        depositMin: '0',
        withdrawMin: '0',
        chain: coin,
        chainDeposit: '1',
        chainWithdraw: '1',
        minAccuracy: '8',
        withdrawPercentageFee: '0',
        contractAddress: '',
        safeConfirmNumber: '6',
        withdrawMax: '10000000',
      },
    ],
  };
}
