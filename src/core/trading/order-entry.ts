/**
 * Reading and validating an order request (REST body, WS trade args or a batch item) against the
 * instrument, with Bybit's codes: derivatives answer 10001/1100xx, spot 1701xx. Nothing here
 * mutates state, so a refused request changes nothing.
 * @see ../shared/reference/bybit-v5-facts.md §4.2, §4.3, §7.9, §7.10
 */
import type { Account } from '../accounts/account.js';
import { isMultipleOf, isPositive, isZero, ZERO, type Big } from '../decimal.js';
import { errors } from '../errors.js';
import type { Instrument } from '../instruments/instrument.js';
import type { Params } from '../params.js';
import type { Side, TradedCategory } from '../types.js';
import {
  ORDER_TYPES,
  TIME_IN_FORCE,
  TRIGGER_BY,
  type MarketUnit,
  type OrderType,
  type PositionIdx,
  type TimeInForce,
  type TriggerBy,
} from './model.js';

export interface OrderDraft {
  instrument: Instrument;
  category: TradedCategory;
  side: Side;
  orderType: OrderType;
  qty: Big;
  /** Limit price; undefined for market orders (the engine sets the protective price). */
  price: Big | undefined;
  timeInForce: TimeInForce;
  positionIdx: PositionIdx;
  orderLinkId: string;
  reduceOnly: boolean;
  closeOnTrigger: boolean;
  marketUnit: MarketUnit | '';
  triggerPrice: Big | undefined;
  triggerDirection: 0 | 1 | 2;
  triggerBy: TriggerBy;
  takeProfit: Big | undefined;
  stopLoss: Big | undefined;
  tpTriggerBy: TriggerBy;
  slTriggerBy: TriggerBy;
}

const LINK_ID_RE = /^[A-Za-z0-9_-]{1,36}$/;

export function readCategory(p: Params): TradedCategory {
  const c = p.category(['linear', 'spot', 'inverse', 'option']);
  if (c !== 'linear' && c !== 'spot') {
    throw errors.param(`category ${c} is not traded by this mock; use linear or spot`);
  }
  return c;
}

export function readSide(p: Params): Side {
  const v = p.raw('side');
  if (v !== 'Buy' && v !== 'Sell') {
    throw errors.param(`side invalid: expected Buy or Sell, got ${JSON.stringify(v ?? null)}`);
  }
  return v;
}

export function readLinkId(p: Params): string {
  const v = p.str('orderLinkId');
  if (v === undefined) return '';
  if (!LINK_ID_RE.test(v)) {
    throw errors.param('orderLinkId invalid: up to 36 characters of letters, digits, "_" and "-"');
  }
  return v;
}

function readTriggerBy(p: Params, name: string): TriggerBy {
  return p.oneOf(name, TRIGGER_BY) ?? 'LastPrice';
}

/** Price filters: multiple of tickSize, within [minPrice, maxPrice]. */
export function checkPrice(inst: Instrument, price: Big, name = 'price'): void {
  const spot = inst.category === 'spot';
  if (!isPositive(price)) throw errors.param(`${name} must be greater than 0, got "${price.toFixed()}"`);
  if (!isMultipleOf(price, inst.tickSize)) {
    if (spot) throw errors.spotPriceDecimals(inst.tickSize.toFixed());
    throw errors.param(
      `${name} invalid: ${price.toFixed()} is not a multiple of tickSize ${inst.tickSize.toFixed()} for ${inst.symbol}`,
    );
  }
  if (price.gt(inst.maxPrice)) {
    if (spot) throw errors.spotPriceTooHigh(inst.maxPrice.toFixed());
    throw errors.priceOutOfRange(`${name} ${price.toFixed()} > maxPrice ${inst.maxPrice.toFixed()}`);
  }
  if (price.lt(inst.minPrice)) {
    if (spot) throw errors.spotPriceTooLow(inst.minPrice.toFixed());
    throw errors.priceOutOfRange(`${name} ${price.toFixed()} < minPrice ${inst.minPrice.toFixed()}`);
  }
}

/** Quantity filters on a base quantity: step, min, max (market orders use maxMarketOrderQty). */
export function checkQty(inst: Instrument, qty: Big, market: boolean): void {
  const spot = inst.category === 'spot';
  if (!isMultipleOf(qty, inst.qtyStep)) {
    if (spot) throw errors.spotQtyDecimals(inst.qtyStep.toFixed());
    throw errors.paramRaw(
      `Qty invalid: ${qty.toFixed()} is not a multiple of qtyStep ${inst.qtyStep.toFixed()} for ${inst.symbol}`,
    );
  }
  if (qty.lt(inst.minOrderQty)) {
    if (spot) throw errors.spotQtyTooLow(inst.minOrderQty.toFixed());
    throw errors.paramRaw(
      `The number of contracts exceeds minimum limit allowed: ${qty.toFixed()} < minOrderQty ${inst.minOrderQty.toFixed()}`,
    );
  }
  const max = market ? inst.maxMarketOrderQty : inst.maxOrderQty;
  if (qty.gt(max)) {
    if (spot) throw errors.spotAmountTooLarge(`qty ${qty.toFixed()} > max ${max.toFixed()}`);
    throw errors.paramRaw(
      `The number of contracts exceeds maximum limit allowed: ${qty.toFixed()} > max_qty ${max.toFixed()}`,
    );
  }
}

/** Parses and validates everything that does not depend on the account's positions or funds. */
export function readOrderDraft(
  p: Params,
  lookup: (c: TradedCategory, s: string) => Instrument | undefined,
): OrderDraft {
  const category = readCategory(p);
  const symbol = p.symbol(true);
  const inst = lookup(category, symbol);
  if (!inst) {
    if (category === 'spot') throw errors.spotInvalidSymbol();
    throw errors.param(
      `symbol invalid: ${symbol} is not listed in category ${category}; see /v5/market/instruments-info`,
    );
  }
  if (inst.status !== 'Trading') {
    throw errors.param(`symbol ${symbol} is not trading (status ${inst.status}); orders are refused`);
  }
  const side = readSide(p);
  const orderType = p.oneOf('orderType', ORDER_TYPES);
  if (!orderType) throw errors.param(`orderType is required; expected Market or Limit`);
  const qty = p.decimal('qty');
  const spot = category === 'spot';

  let timeInForce = p.oneOf('timeInForce', TIME_IN_FORCE) ?? 'GTC';
  let price: Big | undefined;
  if (orderType === 'Limit') {
    price = p.decimal('price');
    checkPrice(inst, price);
  } else {
    if (timeInForce === 'PostOnly') {
      throw errors.param('timeInForce PostOnly is for limit orders; a market order always takes liquidity');
    }
    timeInForce = timeInForce === 'FOK' ? 'FOK' : 'IOC';
  }

  let marketUnit: MarketUnit | '' = '';
  if (spot && orderType === 'Market') {
    // Spot market buys are sized in the quote coin unless marketUnit says otherwise. @see facts §7.9
    marketUnit =
      p.oneOf('marketUnit', ['baseCoin', 'quoteCoin'] as const) ??
      (side === 'Buy' ? 'quoteCoin' : 'baseCoin');
  } else if (p.has('marketUnit') && spot) {
    p.oneOf('marketUnit', ['baseCoin', 'quoteCoin'] as const);
  }

  const reduceOnly = p.bool('reduceOnly') ?? false;
  const closeOnTrigger = p.bool('closeOnTrigger') ?? false;
  if (spot && (reduceOnly || closeOnTrigger)) {
    throw errors.param('reduceOnly and closeOnTrigger apply to linear orders, not spot');
  }

  const closeAll = !spot && reduceOnly && isZero(qty);
  if (marketUnit === 'quoteCoin') {
    if (!isPositive(qty)) throw errors.spotValueTooLow(inst.minNotional.toFixed());
    if (qty.lt(inst.minNotional)) throw errors.spotValueTooLow(inst.minNotional.toFixed());
    if (isPositive(inst.maxNotional) && qty.gt(inst.maxNotional)) {
      throw errors.spotAmountTooLarge(`value ${qty.toFixed()} > maxOrderAmt ${inst.maxNotional.toFixed()}`);
    }
  } else if (!closeAll) {
    if (!isPositive(qty)) {
      if (spot) throw errors.spotQtyTooLow(inst.minOrderQty.toFixed());
      throw errors.paramRaw('Qty invalid: qty must be greater than 0');
    }
    checkQty(inst, qty, orderType === 'Market');
  }

  const positionIdx = p.int('positionIdx', { min: 0, max: 2, def: 0 }) as PositionIdx;
  if (spot && positionIdx !== 0) throw errors.param('positionIdx must be 0 for spot');

  const triggerPrice = p.optDecimal('triggerPrice');
  if (triggerPrice !== undefined && isPositive(triggerPrice)) checkPrice(inst, triggerPrice, 'triggerPrice');
  const rawDir = p.int('triggerDirection', { min: 0, max: 2, def: 0 }) as 0 | 1 | 2;
  const takeProfit = p.optDecimal('takeProfit');
  const stopLoss = p.optDecimal('stopLoss');
  if (takeProfit !== undefined && isPositive(takeProfit)) checkPrice(inst, takeProfit, 'takeProfit');
  if (stopLoss !== undefined && isPositive(stopLoss)) checkPrice(inst, stopLoss, 'stopLoss');
  if (spot && (takeProfit?.gt(ZERO) || stopLoss?.gt(ZERO))) {
    throw errors.param('takeProfit/stopLoss on spot orders are not simulated; use them on linear orders');
  }
  if (reduceOnly && (takeProfit?.gt(ZERO) || stopLoss?.gt(ZERO))) {
    throw errors.param('reduceOnly orders cannot carry takeProfit or stopLoss');
  }

  return {
    instrument: inst,
    category,
    side,
    orderType,
    qty,
    price,
    timeInForce,
    positionIdx,
    orderLinkId: readLinkId(p),
    reduceOnly,
    closeOnTrigger,
    marketUnit,
    triggerPrice: triggerPrice !== undefined && isPositive(triggerPrice) ? triggerPrice : undefined,
    triggerDirection: rawDir,
    triggerBy: readTriggerBy(p, 'triggerBy'),
    takeProfit: takeProfit !== undefined && isPositive(takeProfit) ? takeProfit : undefined,
    stopLoss: stopLoss !== undefined && isPositive(stopLoss) ? stopLoss : undefined,
    tpTriggerBy: readTriggerBy(p, 'tpTriggerBy'),
    slTriggerBy: readTriggerBy(p, 'slTriggerBy'),
  };
}

/** positionIdx must agree with the symbol's position mode. @see facts §7.9 */
export function checkPositionIdx(account: Account, draft: OrderDraft): void {
  if (draft.category !== 'linear') return;
  const hedge = account.hedgeSymbols.has(draft.instrument.symbol);
  if (hedge ? draft.positionIdx === 0 : draft.positionIdx !== 0) {
    throw errors.paramRaw(
      `position idx not match position mode: ${draft.instrument.symbol} is in ${hedge ? 'hedge' : 'one-way'} mode, ` +
        `so send positionIdx ${hedge ? '1 (long side) or 2 (short side)' : '0'}`,
    );
  }
}
