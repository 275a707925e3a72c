/**
 * Position and margin arithmetic for the unified account. Linear contracts are margined in their
 * settle coin (USDT) with cross margin; the numbers below are what views and checks share.
 * Approximations (documented in docs/engine.md): one maintenance-margin rate for every symbol,
 * liquidation and bankruptcy prices computed per position as if isolated.
 */
import type { Account } from '../accounts/account.js';
import { Big, ONE, ZERO, fromInt, type Big as BigT } from '../decimal.js';
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

/** Exact tick count of a validated price (a multiple of tickSize). */
export function ticksOf(inst: Instrument, price: BigT): number {
  return Number(price.div(inst.tickSize).round(0, Big.roundDown).toFixed(0));
}

export function stepsOfQty(inst: Instrument, qty: BigT): number {
  return Number(qty.div(inst.qtyStep).round(0, Big.roundDown).toFixed(0));
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
  const flat = pos.size.eq(ZERO);
  const f: PositionFigures = {
    entryValue: pos.entryValue,
    size: pos.size,
    leverage: pos.leverage,
    side: pos.side,
    avg: flat ? ZERO : round8(pos.entryValue.div(pos.size)),
    im: round8(pos.entryValue.div(pos.leverage)),
    mm: round8(pos.entryValue.times(MAINTENANCE_RATE)),
    liq: undefined,
    bust: undefined,
  };
  if (!flat) {
    const avg = pos.entryValue.div(pos.size);
    const inverse = ONE.div(pos.leverage);
    const long = direction(pos) === 1;
    // Bankruptcy price: where the loss equals the initial margin.
    const bustRaw = long ? avg.times(ONE.minus(inverse)) : avg.times(ONE.plus(inverse));
    f.bust = toTick(pos.instrument, bustRaw, long ? 'up' : 'down');
    // Liquidation price: where the loss leaves only the maintenance margin.
    const k = inverse.minus(MAINTENANCE_RATE);
    const liqRaw = long ? avg.times(ONE.minus(k)) : avg.times(ONE.plus(k));
    const liq = toTick(pos.instrument, liqRaw, long ? 'up' : 'down');
    f.liq = liq.lte(ZERO) ? undefined : liq;
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

export function unrealisedPnl(pos: Position, mark: BigT): BigT {
  if (pos.size.eq(ZERO)) return ZERO;
  const value = mark.times(pos.size);
  return round8(direction(pos) === 1 ? value.minus(pos.entryValue) : pos.entryValue.minus(value));
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

function toTick(inst: Instrument, raw: BigT, way: 'up' | 'down'): BigT {
  const ticks = raw.div(inst.tickSize).round(0, way === 'up' ? Big.roundUp : Big.roundDown);
  return ticks.times(inst.tickSize);
}

/** Base steps of a linear order that would open or increase exposure (the rest closes). */
export function openingSteps(
  order: { side: string; positionIdx: number },
  leaves: number,
  pos: Position | undefined,
): number {
  if (!pos || pos.size.eq(ZERO) || pos.side === order.side) return leaves;
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
  return round8(value.div(leverage).plus(value.times(order.instrument.takerFee)));
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
  for (const pos of account.positions.values()) {
    if (pos.instrument.settleCoin !== coin || pos.size.eq(ZERO)) continue;
    upl = upl.plus(unrealisedPnl(pos, markOf(pos.instrument)));
    pim = pim.plus(positionIM(pos));
    pmm = pmm.plus(positionMM(pos));
  }
  for (const order of account.openOrders.values()) {
    if (order.category !== 'linear' || order.instrument.settleCoin !== coin) continue;
    const pos = account.positions.get(`${order.instrument.symbol}:${order.positionIdx}`);
    oim = oim.plus(orderIM(order, pos, leverageOf(order.instrument)));
  }
  const locked = account.lockedOf(coin);
  const loss = upl.lt(ZERO) ? upl : ZERO;
  return {
    wallet,
    upl,
    positionIM: pim,
    positionMM: pmm,
    orderIM: oim,
    locked,
    cumRealised: account.cumRealised.get(coin) ?? ZERO,
    available: wallet.plus(loss).minus(pim).minus(oim).minus(locked),
  };
}
