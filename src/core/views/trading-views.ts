/**
 * Orders, executions, positions, closed PnL and the unified wallet in Bybit's wire shapes:
 * numbers as strings (ids of time and sequence as Bybit types them), exact enum spellings.
 * Spot orders carry no `tpslMode` or `createType` key: ccxt tells contracts from spot by them.
 * @see ../shared/reference/bybit-v5-facts.md §7.13, §7.16, §7.17, §7.21, §8.7;
 *      ../shared/reference/client-call-patterns.md §3.5-3.7
 */
import type { Account } from '../accounts/account.js';
import {
  Big,
  div,
  fixed,
  hasDigitsBeyond,
  isNegative,
  isPositive,
  isZero,
  ONE,
  plain,
  plainRounded,
  sum,
  ZERO,
  type Big as BigT,
} from '../decimal.js';
import type { Instrument } from '../instruments/instrument.js';
import {
  avgPrice,
  bustPrice,
  coinState,
  liqPrice,
  positionIM,
  positionMM,
  qtyOf,
  unrealisedPnl,
  type CoinState,
} from '../trading/ledger.js';
import type { ClosedPnl, ClosedPnlFigures, Execution, Order, Position } from '../trading/model.js';

/** "0", "0.0", "0.00", ... by number of decimals (unset prices render as zero). */
const zeros: string[] = [];
const zeroFixed = (dp: number) => (zeros[dp] ??= ZERO.toFixed(dp));
const px = (inst: Instrument, p: BigT | undefined) =>
  p === undefined || p === ZERO ? zeroFixed(inst.priceDp) : fixed(p, inst.priceDp);
const qx = (inst: Instrument, q: BigT) => (q === ZERO ? zeroFixed(inst.qtyDp) : fixed(q, inst.qtyDp));

/**
 * A millisecond timestamp as text, remembering the last one: orders, fills and positions of the
 * same instant print the same time several times per update, and a 13-digit number is printed
 * through the slow double-to-text path.
 */
let lastMs = Number.NaN;
let lastMsText = '';
function msText(ms: number): string {
  if (ms !== lastMs) {
    lastMs = ms;
    lastMsText = String(ms);
  }
  return lastMsText;
}

export function orderView(o: Order) {
  const inst = o.instrument;
  const spot = o.category === 'spot';
  const byQuote = o.marketUnit === 'quoteCoin';
  const leaves = byQuote ? ZERO : qtyOf(inst, Math.max(0, o.leavesSteps));
  const open = o.status === 'New' || o.status === 'PartiallyFilled' || o.status === 'Untriggered';
  const avg = isPositive(o.cumExecQty) ? plain(divRound(o.cumExecValue, o.cumExecQty, 8)) : spot ? '' : '0';
  // Built as one literal plus appended keys, never by spreading: a spread copy of a 40-key row
  // costs more than building it (private frames render these on every order update).
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
    cumFeeDetail: isZero(o.cumExecFee) ? {} : { [o.feeCoin]: plain(o.cumExecFee) },
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
    createdTime: msText(o.createdTime),
    updatedTime: msText(o.updatedTime),
  };
  const row: typeof base & { createType?: string; tpslMode?: '' | 'Full' } = base;
  if (!spot) {
    row.createType = o.createType;
    row.tpslMode = o.takeProfit !== undefined || o.stopLoss !== undefined ? 'Full' : '';
  }
  return row;
}

export function executionView(e: Execution) {
  const inst = e.instrument;
  const o = e.order;
  const spot = inst.category === 'spot';
  const base = {
    symbol: inst.symbol,
    orderType: o ? o.orderType : 'UNKNOWN',
    underlyingPrice: '',
    orderLinkId: o ? o.orderLinkId : '',
    side: e.side,
    indexPrice: spot ? '' : px(inst, e.indexPrice),
    orderId: o ? o.orderId : '',
    stopOrderType: o && o.stopOrderType !== '' ? o.stopOrderType : 'UNKNOWN',
    leavesQty: qx(inst, e.leavesQty),
    execTime: msText(e.execTime),
    feeCurrency: spot ? e.feeCoin : '',
    isMaker: e.isMaker,
    execFee: e.execFee,
    feeRate: plain(e.feeRate),
    execId: e.execId,
    tradeIv: '',
    blockTradeId: '',
    markPrice: px(inst, e.markPrice),
    execPrice: px(inst, e.execPrice),
    markIv: '',
    orderQty: o && o.marketUnit === 'quoteCoin' ? plain(e.orderQty) : qx(inst, e.orderQty),
    orderPrice: o && !(spot && o.orderType === 'Market') ? px(inst, e.orderPrice) : '0',
    execValue: e.execValue,
    execType: e.execType,
    execQty: qx(inst, e.execQty),
    closedSize: e.closedSize === undefined ? '' : qx(inst, e.closedSize),
    execPnl: e.execPnl,
    extraFees: '',
    marketUnit: o ? o.marketUnit : '',
    seq: e.seq,
  };
  const row: typeof base & { createType?: string; isLeverage?: '' | '0' } = base;
  if (!spot) row.createType = o ? o.createType : 'CreateBySettle';
  row.isLeverage = spot ? '0' : '';
  return row;
}

/** The REST position row (`position/list`). */
export function positionView(pos: Position, mark: BigT, leverage: BigT) {
  const row = positionFields(pos, mark, leverage) as PositionFields & { avgPrice: string };
  row.avgPrice = row.breakEvenPrice;
  return row;
}

/**
 * The private stream's position row: the stream calls the entry price `entryPrice` where REST
 * says `avgPrice` (facts §8.7), and every row names its category.
 */
export function positionStreamView(pos: Position, mark: BigT, leverage: BigT) {
  const row = positionFields(pos, mark, leverage) as PositionFields & {
    entryPrice: string;
    category: 'linear';
  };
  row.entryPrice = row.breakEvenPrice;
  row.category = 'linear';
  return row;
}

type PositionFields = ReturnType<typeof positionFields>;

/**
 * What the REST and stream rows share. The entry price (which equals the break-even price here)
 * is appended by each under its own name: appending keys to a fresh literal is cheap, where
 * renaming one by destructuring and spreading a 40-key row cost more than rendering it.
 */
function positionFields(pos: Position, mark: BigT, leverage: BigT) {
  const inst = pos.instrument;
  const flat = isZero(pos.size);
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
    positionValue: plainRounded(pos.entryValue, 8),
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
    curRealisedPnl: plainRounded(pos.curRealisedPnl, 8),
    cumRealisedPnl: plainRounded(pos.cumRealisedPnl, 8),
    sessionAvgPrice: '',
    seq: pos.seq,
    isReduceOnly: false,
    mmrSysUpdatedTime: '',
    leverageSysUpdatedTime: '',
    createdTime: msText(pos.createdTime),
    updatedTime: msText(pos.updatedTime),
  };
}

/** A closed-PnL record's figures as they go on the wire (fixed in the record once it is final). */
export function closedPnlText(inst: Instrument, f: ClosedPnlFigures<BigT>): ClosedPnlFigures<string> {
  return {
    closedSize: qx(inst, f.closedSize),
    cumEntryValue: plain(f.cumEntryValue),
    avgEntryPrice: plain(f.avgEntryPrice),
    cumExitValue: plain(f.cumExitValue),
    avgExitPrice: plain(f.avgExitPrice),
    closedPnl: plainRounded(f.closedPnl, 8),
  };
}

export function closedPnlView(c: ClosedPnl) {
  const inst = c.instrument;
  const f = c.final ?? closedPnlText(inst, c.open!);
  return {
    symbol: inst.symbol,
    orderType: c.orderType,
    leverage: plain(c.leverage),
    updatedTime: msText(c.updatedTime),
    side: c.side,
    orderId: c.orderId,
    closedPnl: f.closedPnl,
    avgEntryPrice: f.avgEntryPrice,
    qty: qx(inst, c.qty),
    cumEntryValue: f.cumEntryValue,
    createdTime: msText(c.createdTime),
    orderPrice: px(inst, c.orderPrice),
    closedSize: f.closedSize,
    avgExitPrice: f.avgExitPrice,
    execType: c.execType,
    fillCount: String(c.fillCount),
    cumExitValue: f.cumExitValue,
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
    return div(x, y);
  } finally {
    Big.DP = saved;
  }
}

function usd(x: BigT): string {
  return plainRounded(x, 8);
}

/** x * price, x itself for a stablecoin (price exactly ONE). */
const inUsd = (x: BigT, price: BigT): BigT => (price === ONE ? x : x.times(price));

export function walletCoinView(coin: string, s: CoinState, usdPrice: BigT) {
  const equity = sum(s.wallet, s.upl);
  const free = isNegative(s.available) ? ZERO : s.available;
  const equityText = plain(equity);
  const usdEquity = inUsd(equity, usdPrice);
  return {
    coin,
    equity: equityText,
    usdValue: usdEquity === equity && !hasDigitsBeyond(equity, 8) ? equityText : usd(usdEquity),
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
    cumRealisedPnl: plainRounded(s.cumRealised, 8),
    bonus: '0',
    marginCollateral: true,
    collateralSwitch: true,
    spotBorrow: '0',
    availableToWithdraw: plain(free),
    availableToBorrow: '',
  };
}

/**
 * x / margin with 4 decimals (half up), "0" without margin. A ratio below 10^-5 prints "0"
 * whatever its digits: told by the exponents (x < 10^(x.e+1), margin >= 10^margin.e), that
 * skips a long division of two 20-digit USD sums on nearly every update of a large account.
 */
function marginRate(x: BigT, margin: BigT): string {
  if (!isPositive(margin)) return '0';
  if (isZero(x) || (x.s > 0 && x.e - margin.e <= -6)) return '0';
  return plain(divRound(x, margin, 4));
}

/** A coin's wallet row and USD figures, and the state and price they were computed from. */
interface CoinMemo {
  state: CoinState;
  price: BigT;
  row: ReturnType<typeof walletCoinView>;
  usd: { wallet: BigT; margin: BigT; im: BigT; mm: BigT; upl: BigT };
}

const coinMemos = new WeakMap<Account, Map<string, CoinMemo>>();

const sameState = (a: CoinState, b: CoinState) =>
  a.wallet === b.wallet &&
  a.upl === b.upl &&
  a.positionIM === b.positionIM &&
  a.positionMM === b.positionMM &&
  a.orderIM === b.orderIM &&
  a.locked === b.locked &&
  a.cumRealised === b.cumRealised &&
  a.available === b.available;

/**
 * The coin's row and USD figures, reused while its state and USD price are the very same Bigs
 * (immutable, replaced on every change): the wallet frame of every order update repeats the
 * rows of the coins the order did not touch. The row is shared: callers serialise it, never
 * change it.
 */
function coinMemo(account: Account, coin: string, s: CoinState, price: BigT): CoinMemo {
  let memos = coinMemos.get(account);
  if (memos === undefined) {
    memos = new Map();
    coinMemos.set(account, memos);
  }
  const m = memos.get(coin);
  if (m !== undefined && m.price === price && sameState(m.state, s)) return m;
  const fresh: CoinMemo = {
    state: s,
    price,
    row: walletCoinView(coin, s, price),
    usd: {
      wallet: inUsd(s.wallet, price),
      margin: inUsd(sum(s.wallet, s.upl), price),
      im: inUsd(sum(s.positionIM, s.orderIM), price),
      mm: inUsd(s.positionMM, price),
      upl: inUsd(s.upl, price),
    },
  };
  memos.set(coin, fresh);
  return fresh;
}

type UsdFigures = CoinMemo['usd'];

const NO_USD: UsdFigures = { wallet: ZERO, margin: ZERO, im: ZERO, mm: ZERO, upl: ZERO };

function plusUsd(a: UsdFigures, b: UsdFigures): UsdFigures {
  return {
    wallet: sum(a.wallet, b.wallet),
    margin: sum(a.margin, b.margin),
    im: sum(a.im, b.im),
    mm: sum(a.mm, b.mm),
    upl: sum(a.upl, b.upl),
  };
}

/** The USD sums of every coin but one (`skip`), and the coin memos they were taken from. */
interface TotalsMemo {
  memos: readonly CoinMemo[];
  skip: number;
  rest: UsdFigures;
}

const totalsMemos = new WeakMap<Account, TotalsMemo>();

/**
 * The account's USD totals. An update usually changes one coin (the settle coin of the order),
 * so the sums of the other coins are kept: while only that coin changes, a total is one addition
 * instead of one per coin. Additions are exact, so the order they are done in does not matter.
 */
function totalsOf(account: Account, memos: readonly CoinMemo[]): UsdFigures {
  const t = totalsMemos.get(account);
  if (t !== undefined && t.memos.length === memos.length) {
    let othersSame = true;
    for (let i = 0; i < memos.length; i++) {
      if (i !== t.skip && memos[i] !== t.memos[i]) {
        othersSame = false;
        break;
      }
    }
    if (othersSame) {
      t.memos = memos;
      return plusUsd(t.rest, memos[t.skip]!.usd);
    }
  }
  if (memos.length === 0) return NO_USD;
  // Keep apart the coin that changed (the first one that differs), or the first coin.
  let skip = 0;
  if (t !== undefined && t.memos.length === memos.length) {
    const changed = memos.findIndex((m, i) => m !== t.memos[i]);
    if (changed >= 0) skip = changed;
  }
  let rest = NO_USD;
  memos.forEach((m, i) => {
    if (i !== skip) rest = plusUsd(rest, m.usd);
  });
  totalsMemos.set(account, { memos, skip, rest });
  return plusUsd(rest, memos[skip]!.usd);
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
  // Every coin with a balance or a position, in first-seen order, each with its memo (one
  // state and one USD price per coin per view).
  const all: string[] = [...account.balances.keys()];
  for (const pos of account.positions.values()) {
    if (!all.includes(pos.instrument.settleCoin)) all.push(pos.instrument.settleCoin);
  }
  const memos = all.map((c) => coinMemo(account, c, state(c), usdPriceOf(c) ?? ZERO));
  const { wallet, margin, im, mm, upl } = totalsOf(account, memos);
  const rows =
    coins.length > 0
      ? coins.map((c) => {
          const i = all.indexOf(c);
          return (i >= 0 ? memos[i]! : coinMemo(account, c, state(c), usdPriceOf(c) ?? ZERO)).row;
        })
      : memos
          .filter(({ state: s }) => !isZero(s.wallet) || !isZero(s.positionIM) || !isZero(s.orderIM))
          .map((m) => m.row);
  const available = margin.minus(im);
  const imRate = marginRate(im, margin);
  const mmRate = marginRate(mm, margin);
  const equity = usd(margin);
  const imText = usd(im);
  const mmText = usd(mm);
  return {
    list: [
      {
        accountType: 'UNIFIED',
        accountIMRate: imRate,
        accountMMRate: mmRate,
        accountIMRateByMp: imRate,
        accountMMRateByMp: mmRate,
        totalEquity: equity,
        totalWalletBalance: usd(wallet),
        totalMarginBalance: equity,
        totalAvailableBalance: usd(isNegative(available) ? ZERO : available),
        totalPerpUPL: usd(upl),
        totalInitialMargin: imText,
        totalInitialMarginByMp: imText,
        totalMaintenanceMargin: mmText,
        totalMaintenanceMarginByMp: mmText,
        accountLTV: '0',
        coin: rows,
      },
    ],
  };
}

export { coinState };
