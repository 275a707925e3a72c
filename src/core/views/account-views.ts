/**
 * Account endpoints in Bybit's wire shapes (unified trading account). The wallet is in
 * trading-views.ts, next to the positions it depends on.
 * @see ../shared/reference/bybit-v5-facts.md §7.21-7.25
 */
import type { Account } from '../accounts/account.js';

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
