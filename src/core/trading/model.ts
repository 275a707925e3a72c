/**
 * The trading domain: orders, executions and positions as the engine keeps them. Money and
 * quantities are big.js; views (core/views/trading-views.ts) turn them into Bybit's wire shapes.
 * @see ../shared/reference/bybit-v5-facts.md §6 (enumerations), §7.13, §7.16, §7.17
 */
import type { Account } from '../accounts/account.js';
import type { Big } from '../decimal.js';
import type { Instrument } from '../instruments/instrument.js';
import type { Side, TradedCategory } from '../types.js';

export const ORDER_TYPES = ['Market', 'Limit'] as const;
export type OrderType = (typeof ORDER_TYPES)[number];

export const TIME_IN_FORCE = ['GTC', 'IOC', 'FOK', 'PostOnly'] as const;
export type TimeInForce = (typeof TIME_IN_FORCE)[number];

export const TRIGGER_BY = ['LastPrice', 'MarkPrice', 'IndexPrice'] as const;
export type TriggerBy = (typeof TRIGGER_BY)[number];

export const ORDER_STATUSES = [
  'New',
  'PartiallyFilled',
  'Untriggered',
  'Rejected',
  'PartiallyFilledCanceled',
  'Filled',
  'Cancelled',
  'Triggered',
  'Deactivated',
] as const;
export type OrderStatus = (typeof ORDER_STATUSES)[number];

export const OPEN_STATUSES: ReadonlySet<OrderStatus> = new Set(['New', 'PartiallyFilled', 'Untriggered']);

/** The status machine: every move the engine makes is one of these. */
export const LEGAL_TRANSITIONS: Readonly<Record<OrderStatus, readonly OrderStatus[]>> = {
  New: ['PartiallyFilled', 'Filled', 'Cancelled', 'Rejected'],
  PartiallyFilled: ['PartiallyFilled', 'Filled', 'Cancelled', 'PartiallyFilledCanceled'],
  Untriggered: ['Triggered', 'Deactivated', 'Rejected'],
  Triggered: ['New', 'PartiallyFilled', 'Filled', 'Cancelled', 'Rejected'],
  Rejected: [],
  PartiallyFilledCanceled: [],
  Filled: [],
  Cancelled: [],
  Deactivated: [],
};

export type MarketUnit = 'baseCoin' | 'quoteCoin';
export type PositionIdx = 0 | 1 | 2;
export type StopOrderType = '' | 'Stop' | 'TakeProfit' | 'StopLoss';
export type CreateType =
  | 'CreateByUser'
  | 'CreateByStopOrder'
  | 'CreateByTakeProfit'
  | 'CreateByStopLoss'
  | 'CreateByLiq'
  | 'CreateByAdmin';
export type CancelType =
  | 'UNKNOWN'
  | 'CancelByUser'
  | 'CancelByReduceOnly'
  | 'CancelByPrepareLiq'
  | 'CancelByAdmin'
  | 'CancelByTpSlTsClear';
export type RejectReason =
  | 'EC_NoError'
  | 'EC_PostOnlyWillTakeLiquidity'
  | 'EC_NoImmediateQtyToFill'
  | 'EC_CancelForNoFullFill'
  | 'EC_ReachMarketPriceLimit'
  | 'EC_ByAdmin';

export interface Order {
  /** Creation order inside the engine; also the keyset of page cursors. */
  readonly serial: number;
  readonly orderId: string;
  readonly orderLinkId: string;
  readonly account: Account;
  readonly instrument: Instrument;
  readonly category: TradedCategory;
  readonly side: Side;
  readonly orderType: OrderType;
  /** Limit price; for market orders the slippage-protected price Bybit shows. */
  price: Big;
  /** `price` in ticks of the instrument (matching works on integers). */
  priceTicks: number;
  /** Unfilled base quantity in qty steps (0 for quote-sized spot market orders once done). */
  leavesSteps: number;
  /** Base quantity, or the quote amount for a spot market order with marketUnit quoteCoin. */
  qty: Big;
  readonly marketUnit: MarketUnit | '';
  timeInForce: TimeInForce;
  readonly positionIdx: PositionIdx;
  readonly reduceOnly: boolean;
  readonly closeOnTrigger: boolean;
  status: OrderStatus;
  rejectReason: RejectReason;
  cancelType: CancelType;
  /** Filled base quantity, its quote value and the fee paid (in feeCoin). */
  cumExecQty: Big;
  cumExecValue: Big;
  cumExecFee: Big;
  feeCoin: string;
  /** Conditional orders: trigger price and direction (1 rise, 2 fall; 0 plain). */
  triggerPrice: Big | undefined;
  triggerDirection: 0 | 1 | 2;
  triggerBy: TriggerBy | undefined;
  readonly stopOrderType: StopOrderType;
  readonly createType: CreateType;
  /** TP/SL attached to the order; they go onto the position when the order fills. */
  takeProfit: Big | undefined;
  stopLoss: Big | undefined;
  tpTriggerBy: TriggerBy;
  slTriggerBy: TriggerBy;
  readonly lastPriceOnCreated: string;
  /** Spot: the amount of `lockedCoin` this order still holds. */
  locked: Big;
  readonly lockedCoin: string;
  /** Scenario hold: accepted but never filled by the simulated market. */
  hold: boolean;
  readonly createdTime: number;
  updatedTime: number;
}

export interface Execution {
  readonly serial: number;
  readonly execId: string;
  /** Undefined for funding settlements, which have no order. */
  readonly order: Order | undefined;
  readonly account: Account;
  readonly instrument: Instrument;
  readonly execType: 'Trade' | 'Funding' | 'BustTrade';
  readonly side: Side;
  readonly execPrice: Big;
  readonly execQty: Big;
  /**
   * Value, fee and realised PnL as their wire text (plain decimals), fixed when the fill happens:
   * they never change, and an account keeps thousands of executions (a string is one small
   * object where a Big is three).
   */
  readonly execValue: string;
  readonly execFee: string;
  readonly feeRate: Big;
  readonly feeCoin: string;
  readonly isMaker: boolean;
  /** Position size this fill closed (linear), or undefined for spot. */
  readonly closedSize: Big | undefined;
  /** Realised PnL of this fill before fees (linear), as wire text. */
  readonly execPnl: string;
  readonly markPrice: Big;
  readonly indexPrice: Big;
  /** Order state right after this fill (zero for funding). */
  readonly leavesQty: Big;
  readonly orderQty: Big;
  readonly orderPrice: Big;
  readonly execTime: number;
  readonly seq: number;
}

export interface Position {
  readonly account: Account;
  readonly instrument: Instrument;
  readonly positionIdx: PositionIdx;
  side: Side | '';
  size: Big;
  /** Cost basis of the open size: sum of entry qty x price; avgPrice = entryValue / size. */
  entryValue: Big;
  /** Opening fees of the open size not yet booked into a closed-PnL record. */
  entryFees: Big;
  leverage: Big;
  /** Realised PnL (fees and funding included) since the position was last opened from flat. */
  curRealisedPnl: Big;
  cumRealisedPnl: Big;
  takeProfit: Big | undefined;
  stopLoss: Big | undefined;
  tpTriggerBy: TriggerBy;
  slTriggerBy: TriggerBy;
  createdTime: number;
  updatedTime: number;
  seq: number;
}

/** A closed-PnL record's figures: Bigs while it runs, wire text once final. */
export interface ClosedPnlFigures<T> {
  closedSize: T;
  cumEntryValue: T;
  avgEntryPrice: T;
  cumExitValue: T;
  avgExitPrice: T;
  closedPnl: T;
}

/** One closed-PnL record: written each time an order reduces a position. */
export interface ClosedPnl {
  readonly serial: number;
  readonly positionIdx: PositionIdx;
  readonly account: Account;
  readonly instrument: Instrument;
  readonly orderId: string;
  /** Side of the closing order. */
  readonly side: Side;
  qty: Big;
  readonly orderPrice: Big;
  readonly orderType: OrderType;
  readonly execType: 'Trade' | 'BustTrade';
  /**
   * Running totals while the closing order may still fill: the account's newest record only.
   * When a later record starts this one is final: `final` holds the figures as their wire text
   * and `open` is dropped (an account keeps thousands of final records; a string is one small
   * heap object where a Big is three).
   */
  open: ClosedPnlFigures<Big> | undefined;
  final: ClosedPnlFigures<string> | undefined;
  fillCount: number;
  readonly leverage: Big;
  readonly createdTime: number;
  updatedTime: number;
}

export function isOpen(order: Order): boolean {
  return OPEN_STATUSES.has(order.status);
}

export function positionKey(symbol: string, idx: PositionIdx): string {
  return `${symbol}:${idx}`;
}
