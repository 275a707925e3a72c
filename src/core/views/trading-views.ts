/**
 * Orders, executions, positions, closed PnL and the unified wallet in Bybit's wire shapes:
 * numbers as strings (ids of time and sequence as Bybit types them), exact enum spellings.
 * Spot orders carry no `tpslMode` or `createType` key: ccxt tells contracts from spot by them.
 * @see ../shared/reference/bybit-v5-facts.md §7.13, §7.16, §7.17, §7.21, §8.7;
 *      ../shared/reference/client-call-patterns.md §3.5-3.7
 */
import type { Account } from '../accounts/account.js';
import { Big, ZERO, plain, type Big as BigT } from '../decimal.js';
import type { Instrument } from '../instruments/instrument.js';
import {
  avgPrice,
  bustPrice,
  coinState,
  liqPrice,
  positionIM,
  positionMM,
  qtyOf,
  round8,
  unrealisedPnl,
  type CoinState,
} from '../trading/ledger.js';
import type { ClosedPnl, Execution, Order, Position } from '../trading/model.js';

/** "0", "0.0", "0.00", ... by number of decimals (unset prices render as zero). */
const zeros: string[] = [];
const zeroFixed = (dp: number) => (zeros[dp] ??= ZERO.toFixed(dp));
const px = (inst: Instrument, p: BigT | undefined) =>
  p === undefined || p === ZERO ? zeroFixed(inst.priceDp) : p.toFixed(inst.priceDp);
const qx = (inst: Instrument, q: BigT) => (q === ZERO ? zeroFixed(inst.qtyDp) : q.toFixed(inst.qtyDp));

export function orderView(o: Order) {
  const inst = o.instrument;
  const spot = o.category === 'spot';
  const byQuote = o.marketUnit === 'quoteCoin';
  const leaves = byQuote ? ZERO : qtyOf(inst, Math.max(0, o.leavesSteps));
  const open = o.status === 'New' || o.status === 'PartiallyFilled' || o.status === 'Untriggered';
  const avg = o.cumExecQty.gt(ZERO) ? plain(round8(o.cumExecValue.div(o.cumExecQty))) : spot ? '' : '0';
  const hasTpsl = o.takeProfit !== undefined || o.stopLoss !== undefined;
  const base = {
    orderId: o.orderId,
    orderLinkId: o.orderLinkId,
    blockTradeId: '',
    symbol: inst.symbol,
    price: o.orderType === 'Market' && spot ? '0' : px(inst, o.price),
    qty: byQuote ? plain(o.qty) : qx(inst, o.qty),
    side: o.side,
    isLeverage: spot ? '0' : '',
    positionIdx: o.positionIdx,
    orderStatus: o.status,
    cancelType: o.cancelType,
    rejectReason: o.rejectReason,
    avgPrice: avg,
    leavesQty: open ? qx(inst, leaves) : qx(inst, ZERO),
    leavesValue: open ? plain(leaves.times(o.price)) : '0',
    cumExecQty: qx(inst, o.cumExecQty),
    cumExecValue: plain(o.cumExecValue),
    cumExecFee: plain(o.cumExecFee),
    cumFeeDetail: o.cumExecFee.eq(ZERO) ? {} : { [o.feeCoin]: plain(o.cumExecFee) },
    timeInForce: o.timeInForce,
    orderType: o.orderType,
    stopOrderType: o.stopOrderType === '' ? (spot ? '' : 'UNKNOWN') : o.stopOrderType,
    orderIv: '',
    marketUnit: o.marketUnit,
    triggerPrice: px(inst, o.triggerPrice),
    takeProfit: px(inst, o.takeProfit),
    stopLoss: px(inst, o.stopLoss),
    tpTriggerBy: o.takeProfit !== undefined ? o.tpTriggerBy : spot ? '' : 'UNKNOWN',
    slTriggerBy: o.stopLoss !== undefined ? o.slTriggerBy : spot ? '' : 'UNKNOWN',
    triggerDirection: o.triggerDirection,
    triggerBy: o.triggerBy ?? (spot ? '' : 'UNKNOWN'),
    lastPriceOnCreated: o.lastPriceOnCreated,
    basePrice: spot ? o.lastPriceOnCreated : '',
    reduceOnly: o.reduceOnly,
    closeOnTrigger: o.closeOnTrigger,
    placeType: '',
    smpType: 'None',
    smpGroup: 0,
    smpOrderId: '',
    tpLimitPrice: '',
    slLimitPrice: '',
    slippageToleranceType: 'UNKNOWN',
    slippageTolerance: '0',
    createdTime: String(o.createdTime),
    updatedTime: String(o.updatedTime),
  };
  if (spot) return base;
  return { ...base, createType: o.createType, tpslMode: hasTpsl ? 'Full' : '' };
}

export function executionView(e: Execution) {
  const inst = e.instrument;
  const o = e.order;
  const spot = inst.category === 'spot';
  const row = {
    symbol: inst.symbol,
    orderType: o ? o.orderType : 'UNKNOWN',
    underlyingPrice: '',
    orderLinkId: o ? o.orderLinkId : '',
    side: e.side,
    indexPrice: spot ? '' : px(inst, e.indexPrice),
    orderId: o ? o.orderId : '',
    stopOrderType: o && o.stopOrderType !== '' ? o.stopOrderType : 'UNKNOWN',
    leavesQty: qx(inst, e.leavesQty),
    execTime: String(e.execTime),
    feeCurrency: spot ? e.feeCoin : '',
    isMaker: e.isMaker,
    execFee: plain(e.execFee),
    feeRate: plain(e.feeRate),
    execId: e.execId,
    tradeIv: '',
    blockTradeId: '',
    markPrice: px(inst, e.markPrice),
    execPrice: px(inst, e.execPrice),
    markIv: '',
    orderQty: o && o.marketUnit === 'quoteCoin' ? plain(e.orderQty) : qx(inst, e.orderQty),
    orderPrice: o && !(spot && o.orderType === 'Market') ? px(inst, e.orderPrice) : '0',
    execValue: plain(e.execValue),
    execType: e.execType,
    execQty: qx(inst, e.execQty),
    closedSize: e.closedSize === undefined ? '' : qx(inst, e.closedSize),
    execPnl: plain(e.execPnl),
    extraFees: '',
    marketUnit: o ? o.marketUnit : '',
    seq: e.seq,
  };
  if (spot) return { ...row, isLeverage: '0' };
  return { ...row, createType: o ? o.createType : 'CreateBySettle', isLeverage: '' };
}

/** The REST position row; the private WS stream renames avgPrice to entryPrice (facts §8.7). */
export function positionView(pos: Position, mark: BigT, leverage: BigT) {
  const inst = pos.instrument;
  const flat = pos.size.eq(ZERO);
  const liq = liqPrice(pos);
  const bust = bustPrice(pos);
  // Each figure once: positions render on every private update.
  const avg = plain(avgPrice(pos));
  const im = plain(positionIM(pos));
  const mm = plain(positionMM(pos));
  return {
    positionIdx: pos.positionIdx,
    riskId: 1,
    riskLimitValue: '2000000',
    symbol: inst.symbol,
    side: pos.side,
    // A flat position is size "0" (facts §7.17); an open one has the instrument's qty decimals.
    size: flat ? '0' : qx(inst, pos.size),
    avgPrice: avg,
    positionValue: plain(round8(pos.entryValue)),
    tradeMode: 0,
    positionStatus: 'Normal',
    autoAddMargin: 0,
    adlRankIndicator: flat ? 0 : 2,
    leverage: plain(flat ? leverage : pos.leverage),
    breakEvenPrice: avg,
    positionBalance: im,
    markPrice: px(inst, mark),
    liqPrice: liq === undefined ? '' : px(inst, liq),
    bustPrice: bust === undefined ? '' : px(inst, bust),
    positionMM: mm,
    positionMMByMp: mm,
    positionIM: im,
    positionIMByMp: im,
    tpslMode: 'Full',
    takeProfit: px(inst, pos.takeProfit),
    stopLoss: px(inst, pos.stopLoss),
    trailingStop: px(inst, ZERO),
    unrealisedPnl: plain(unrealisedPnl(pos, mark)),
    curRealisedPnl: plain(round8(pos.curRealisedPnl)),
    cumRealisedPnl: plain(round8(pos.cumRealisedPnl)),
    sessionAvgPrice: '',
    seq: pos.seq,
    isReduceOnly: false,
    mmrSysUpdatedTime: '',
    leverageSysUpdatedTime: '',
    createdTime: String(pos.createdTime),
    updatedTime: String(pos.updatedTime),
  };
}

export function closedPnlView(c: ClosedPnl) {
  const inst = c.instrument;
  return {
    symbol: inst.symbol,
    orderType: c.orderType,
    leverage: plain(c.leverage),
    updatedTime: String(c.updatedTime),
    side: c.side,
    orderId: c.orderId,
    closedPnl: plain(round8(c.closedPnl)),
    avgEntryPrice: plain(c.avgEntryPrice),
    qty: qx(inst, c.qty),
    cumEntryValue: plain(c.cumEntryValue),
    createdTime: String(c.createdTime),
    orderPrice: px(inst, c.orderPrice),
    closedSize: qx(inst, c.closedSize),
    avgExitPrice: plain(c.avgExitPrice),
    execType: c.execType,
    fillCount: String(c.fillCount),
    cumExitValue: plain(c.cumExitValue),
  };
}

export type UsdPrice = (coin: string) => BigT | undefined;

/**
 * x / y rounded half up to `dp` decimals in one step. big.js rounds every quotient at Big.DP (30)
 * digits, which for a ratio such as IM / equity means a 30-digit long division per call: the
 * wallet view computes four on every private update. Asking for `dp` digits directly is much
 * cheaper and rounds once (the two-step result differs only when digits dp+1..30 are 4999...9).
 */
export function divRound(x: BigT, y: BigT, dp: number): BigT {
  const saved = Big.DP;
  Big.DP = dp;
  try {
    return x.div(y);
  } finally {
    Big.DP = saved;
  }
}

function usd(x: BigT): string {
  return plain(x.round(8, Big.roundHalfUp));
}

export function walletCoinView(coin: string, s: CoinState, usdPrice: BigT) {
  const equity = s.wallet.plus(s.upl);
  const free = s.available.lt(ZERO) ? ZERO : s.available;
  return {
    coin,
    equity: plain(equity),
    usdValue: usd(equity.times(usdPrice)),
    walletBalance: plain(s.wallet),
    free: '',
    locked: plain(s.locked),
    spotHedgingQty: '0',
    borrowAmount: '0',
    accruedInterest: '0',
    totalOrderIM: plain(s.orderIM),
    totalPositionIM: plain(s.positionIM),
    totalPositionMM: plain(s.positionMM),
    unrealisedPnl: plain(s.upl),
    cumRealisedPnl: plain(round8(s.cumRealised)),
    bonus: '0',
    marginCollateral: true,
    collateralSwitch: true,
    spotBorrow: '0',
    availableToWithdraw: plain(free),
    availableToBorrow: '',
  };
}

/**
 * The UNIFIED wallet; `coins` empty means every coin with a balance or a position. Totals are in
 * USD and always cover every coin.
 */
export function walletBalanceView(
  account: Account,
  coins: readonly string[],
  usdPriceOf: UsdPrice,
  state: (coin: string) => CoinState,
) {
  // Each coin's USD price once per view (it is read for the totals and for the coin's row).
  const prices = new Map<string, BigT | undefined>();
  const usdPrice = (c: string) => {
    if (!prices.has(c)) prices.set(c, usdPriceOf(c));
    return prices.get(c);
  };
  const all = new Set<string>(account.balances.keys());
  for (const pos of account.positions.values()) all.add(pos.instrument.settleCoin);
  const states = new Map<string, CoinState>();
  for (const c of all) states.set(c, state(c));
  const names =
    coins.length > 0
      ? coins
      : [...all].filter((c) => {
          const s = states.get(c)!;
          return !s.wallet.eq(ZERO) || !s.positionIM.eq(ZERO) || !s.orderIM.eq(ZERO);
        });
  let wallet = ZERO;
  let margin = ZERO;
  let im = ZERO;
  let mm = ZERO;
  let upl = ZERO;
  for (const [c, s] of states) {
    const p = usdPrice(c) ?? ZERO;
    wallet = wallet.plus(s.wallet.times(p));
    margin = margin.plus(s.wallet.plus(s.upl).times(p));
    im = im.plus(s.positionIM.plus(s.orderIM).times(p));
    mm = mm.plus(s.positionMM.times(p));
    upl = upl.plus(s.upl.times(p));
  }
  const rate = (x: BigT) => (margin.gt(ZERO) ? plain(divRound(x, margin, 4)) : '0');
  const available = margin.minus(im);
  const imRate = rate(im);
  const mmRate = rate(mm);
  return {
    list: [
      {
        accountType: 'UNIFIED',
        accountIMRate: imRate,
        accountMMRate: mmRate,
        accountIMRateByMp: imRate,
        accountMMRateByMp: mmRate,
        totalEquity: usd(margin),
        totalWalletBalance: usd(wallet),
        totalMarginBalance: usd(margin),
        totalAvailableBalance: usd(available.lt(ZERO) ? ZERO : available),
        totalPerpUPL: usd(upl),
        totalInitialMargin: usd(im),
        totalInitialMarginByMp: usd(im),
        totalMaintenanceMargin: usd(mm),
        totalMaintenanceMarginByMp: usd(mm),
        accountLTV: '0',
        coin: names.map((c) => walletCoinView(c, states.get(c) ?? state(c), usdPrice(c) ?? ZERO)),
      },
    ],
  };
}

export { coinState };
