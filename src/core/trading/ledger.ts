/**
 * Position and margin arithmetic for the unified account. Linear contracts are margined in their
 * settle coin (USDT) with cross margin; the numbers below are what views and checks share.
 * Approximations (documented in docs/engine.md): one maintenance-margin rate for every symbol,
 * liquidation and bankruptcy prices computed per position as if isolated.
 */
import type { Account } from '../accounts/account.js';
import {
  Big,
  difference,
  div,
  fromInt,
  hasDigitsBeyond,
  isNegative,
  isPositive,
  isPowerOfTenStep,
  isZero,
  ONE,
  sum,
  unitsOf,
  ZERO,
  type Big as BigT,
} from '../decimal.js';
import type { Instrument } from '../instruments/instrument.js';
import type { Order, Position } from './model.js';

/** Maintenance margin rate used for positionMM and the liquidation price. */
export const MAINTENANCE_RATE = Big('0.005');
const DP = 8;

/**
 * A small direct-mapped cache of `units x step` per instrument. Prices and sizes repeat (the
 * same few levels, the minimum size, the mark price of this tick), and every execution, order and
 * closed-PnL record keeps several of them, so sharing one immutable Big per value saves both
 * allocation (GC on the order path) and the memory of the retained history. big.js never
 * mutates an operand, so a shared instance is safe.
 */
class UnitCache {
  private static readonly SIZE = 1024;
  private readonly keys = new Float64Array(UnitCache.SIZE).fill(Number.NaN);
  private readonly values: (BigT | undefined)[] = new Array<BigT | undefined>(UnitCache.SIZE);

  constructor(private readonly step: BigT) {}

  get(units: number): BigT {
    const slot = units & (UnitCache.SIZE - 1);
    if (this.keys[slot] === units) return this.values[slot]!;
    const value = fromInt(units).times(this.step);
    this.keys[slot] = units;
    this.values[slot] = value;
    return value;
  }
}

const unitCaches = new WeakMap<Instrument, { price: UnitCache; qty: UnitCache }>();

function cachesOf(inst: Instrument): { price: UnitCache; qty: UnitCache } {
  let c = unitCaches.get(inst);
  if (!c) {
    c = { price: new UnitCache(inst.tickSize), qty: new UnitCache(inst.qtyStep) };
    unitCaches.set(inst, c);
  }
  return c;
}

export function priceOf(inst: Instrument, ticks: number): BigT {
  if (!Number.isSafeInteger(ticks)) return fromInt(ticks).times(inst.tickSize);
  return cachesOf(inst).price.get(ticks);
}

export function qtyOf(inst: Instrument, steps: number): BigT {
  if (!Number.isSafeInteger(steps)) return fromInt(steps).times(inst.qtyStep);
  return cachesOf(inst).qty.get(steps);
}

/**
 * Whole `step`s in value, truncated toward zero. Steps of 10^-dp (nearly every tick size and qty
 * step) are read off the digits with no division: orders convert their price and size on every
 * placement and fill.
 */
function unitsIn(value: BigT, step: BigT, dp: number): number {
  if (isPowerOfTenStep(step, dp)) {
    const units = unitsOf(value, dp);
    if (units !== undefined) return units;
  }
  return Number(value.div(step).round(0, Big.roundDown).toFixed(0));
}

/** Exact tick count of a validated price (a multiple of tickSize). */
export function ticksOf(inst: Instrument, price: BigT): number {
  return unitsIn(price, inst.tickSize, inst.priceDp);
}

export function stepsOfQty(inst: Instrument, qty: BigT): number {
  return unitsIn(qty, inst.qtyStep, inst.qtyDp);
}

export function round8(x: BigT): BigT {
  return x.round(DP, Big.roundHalfUp);
}

/**
 * Figures of a position that depend only on its entry value, size, side and leverage, computed
 * once per change of those (positions render on every private update and are checked on every
 * tick; the divisions are the costly part). Bigs are immutable and every change replaces them,
 * so identity tells whether the memo is current.
 */
interface PositionFigures {
  entryValue: BigT;
  size: BigT;
  leverage: BigT;
  side: Position['side'];
  avg: BigT;
  im: BigT;
  mm: BigT;
  liq: BigT | undefined;
  bust: BigT | undefined;
}

const figuresMemo = new WeakMap<Position, PositionFigures>();

function figures(pos: Position): PositionFigures {
  const m = figuresMemo.get(pos);
  if (
    m !== undefined &&
    m.entryValue === pos.entryValue &&
    m.size === pos.size &&
    m.leverage === pos.leverage &&
    m.side === pos.side
  )
    return m;
  const flat = isZero(pos.size);
  const avg = flat ? ZERO : div(pos.entryValue, pos.size);
  const f: PositionFigures = {
    entryValue: pos.entryValue,
    size: pos.size,
    leverage: pos.leverage,
    side: pos.side,
    avg: flat ? ZERO : round8(avg),
    im: round8(div(pos.entryValue, pos.leverage)),
    mm: round8(pos.entryValue.times(MAINTENANCE_RATE)),
    liq: undefined,
    bust: undefined,
  };
  if (!flat) {
    const r = ratiosOf(pos.leverage);
    const long = direction(pos) === 1;
    // Bankruptcy price: where the loss equals the initial margin.
    const bustRaw = avg.times(long ? r.bustLong : r.bustShort);
    f.bust = toTick(pos.instrument, bustRaw, long ? 'up' : 'down');
    // Liquidation price: where the loss leaves only the maintenance margin.
    const liqRaw = avg.times(long ? r.liqLong : r.liqShort);
    const liq = toTick(pos.instrument, liqRaw, long ? 'up' : 'down');
    f.liq = !isPositive(liq) ? undefined : liq;
  }
  figuresMemo.set(pos, f);
  return f;
}

export function avgPrice(pos: Position): BigT {
  return figures(pos).avg;
}

export function direction(pos: Position): 1 | -1 | 0 {
  return pos.side === 'Buy' ? 1 : pos.side === 'Sell' ? -1 : 0;
}

/**
 * The last unrealised PnL per position, with the mark and figures it came from. Marks are the
 * shared per-tick instances (priceOf), so while neither the position nor the mark moves this
 * gives back the very same Big, and the wallet view's coin memo (which compares by identity)
 * reuses the settle coin's row instead of rendering it again on every wallet read.
 */
const uplMemo = new WeakMap<Position, { mark: BigT; figures: PositionFigures; upl: BigT }>();

export function unrealisedPnl(pos: Position, mark: BigT): BigT {
  if (isZero(pos.size)) return ZERO;
  const f = figures(pos);
  const m = uplMemo.get(pos);
  if (m !== undefined && m.mark === mark && m.figures === f) return m.upl;
  const value = mark.times(pos.size);
  const upl = round8(direction(pos) === 1 ? value.minus(pos.entryValue) : pos.entryValue.minus(value));
  uplMemo.set(pos, { mark, figures: f, upl });
  return upl;
}

export function positionIM(pos: Position): BigT {
  return figures(pos).im;
}

export function positionMM(pos: Position): BigT {
  return figures(pos).mm;
}

/** Bankruptcy price: where the loss equals the initial margin. */
export function bustPrice(pos: Position): BigT | undefined {
  return figures(pos).bust;
}

/** Liquidation price: where the loss leaves only the maintenance margin. */
export function liqPrice(pos: Position): BigT | undefined {
  return figures(pos).liq;
}

/**
 * Multipliers of the entry price for the bankruptcy price (1 -/+ 1/leverage) and the liquidation
 * price (1 -/+ (1/leverage - maintenance rate)), long/short, per leverage value: an account's
 * leverage changes rarely, its positions on every fill.
 */
interface LeverageRatios {
  bustLong: BigT;
  bustShort: BigT;
  liqLong: BigT;
  liqShort: BigT;
}
const ratios = new WeakMap<BigT, LeverageRatios>();
function ratiosOf(leverage: BigT): LeverageRatios {
  let r = ratios.get(leverage);
  if (r === undefined) {
    const inverse = ONE.div(leverage);
    const k = inverse.minus(MAINTENANCE_RATE);
    r = {
      bustLong: ONE.minus(inverse),
      bustShort: ONE.plus(inverse),
      liqLong: ONE.minus(k),
      liqShort: ONE.plus(k),
    };
    ratios.set(leverage, r);
  }
  return r;
}

/** raw rounded to a multiple of the tick size, up (away from zero) or down (toward zero). */
function toTick(inst: Instrument, raw: BigT, way: 'up' | 'down'): BigT {
  if (raw.s > 0 && isPowerOfTenStep(inst.tickSize, inst.priceDp)) {
    const down = unitsOf(raw, inst.priceDp);
    if (down !== undefined) {
      const ticks = way === 'up' && hasDigitsBeyond(raw, inst.priceDp) ? down + 1 : down;
      return priceOf(inst, ticks);
    }
  }
  const ticks = raw.div(inst.tickSize).round(0, way === 'up' ? Big.roundUp : Big.roundDown);
  return ticks.times(inst.tickSize);
}

/** Base steps of a linear order that would open or increase exposure (the rest closes). */
export function openingSteps(
  order: { side: string; positionIdx: number },
  leaves: number,
  pos: Position | undefined,
): number {
  if (!pos || isZero(pos.size) || pos.side === order.side) return leaves;
  const closable = stepsOfQty(pos.instrument, pos.size);
  return Math.max(0, leaves - closable);
}

/**
 * Initial margin held by an open linear order: opening value / leverage plus the taker fee on it.
 * Only working orders hold it: not an untriggered one, nor one being triggered (its funds are
 * being checked against what is available without it).
 */
export function orderIM(order: Order, pos: Position | undefined, leverage: BigT): BigT {
  if (order.reduceOnly || (order.status !== 'New' && order.status !== 'PartiallyFilled')) return ZERO;
  const steps = openingSteps(order, order.leavesSteps, pos);
  if (steps === 0) return ZERO;
  const value = qtyOf(order.instrument, steps).times(order.price);
  return round8(div(value, leverage).plus(value.times(order.instrument.takerFee)));
}

export interface CoinState {
  wallet: BigT;
  upl: BigT;
  positionIM: BigT;
  positionMM: BigT;
  orderIM: BigT;
  locked: BigT;
  cumRealised: BigT;
  /** What new orders may use: wallet + losses - margin - locked. */
  available: BigT;
}

/** Margin state of one coin; linear positions and orders count in their settle coin. */
export function coinState(
  account: Account,
  coin: string,
  markOf: (inst: Instrument) => BigT,
  leverageOf: (inst: Instrument) => BigT,
): CoinState {
  const wallet = account.balance(coin);
  let upl = ZERO;
  let pim = ZERO;
  let pmm = ZERO;
  let oim = ZERO;
  // sum and difference give an operand back as it is when the other is zero: a coin with no
  // positions, orders or locks keeps the very same Bigs from one call to the next, which is what
  // lets the wallet view reuse its row for that coin.
  for (const pos of account.positions.values()) {
    if (pos.instrument.settleCoin !== coin || isZero(pos.size)) continue;
    upl = sum(upl, unrealisedPnl(pos, markOf(pos.instrument)));
    pim = sum(pim, positionIM(pos));
    pmm = sum(pmm, positionMM(pos));
  }
  for (const order of account.openOrders.values()) {
    if (order.category !== 'linear' || order.instrument.settleCoin !== coin) continue;
    const pos = account.positions.get(`${order.instrument.symbol}:${order.positionIdx}`);
    oim = sum(oim, orderIM(order, pos, leverageOf(order.instrument)));
  }
  const locked = account.lockedOf(coin);
  const loss = isNegative(upl) ? upl : ZERO;
  return {
    wallet,
    upl,
    positionIM: pim,
    positionMM: pmm,
    orderIM: oim,
    locked,
    cumRealised: account.cumRealised.get(coin) ?? ZERO,
    available: difference(difference(difference(sum(wallet, loss), pim), oim), locked),
  };
}
