/**
 * An instrument with its filters parsed once at load, so hot paths never re-parse strings.
 */
import { Big, decimalsOf, simFloat, type Big as BigT } from '../decimal.js';
import type { InstrumentSpec } from '../seed.js';
import type { InstrumentStatus, TradedCategory } from '../types.js';

export interface Instrument {
  readonly key: string;
  readonly symbol: string;
  readonly category: TradedCategory;
  readonly baseCoin: string;
  readonly quoteCoin: string;
  readonly settleCoin: string;
  readonly status: InstrumentStatus;
  readonly tickSize: BigT;
  readonly qtyStep: BigT;
  readonly minOrderQty: BigT;
  readonly maxOrderQty: BigT;
  readonly maxMarketOrderQty: BigT;
  readonly minNotional: BigT;
  readonly maxNotional: BigT;
  readonly minPrice: BigT;
  readonly maxPrice: BigT;
  readonly maxLeverage: BigT;
  readonly makerFee: BigT;
  readonly takerFee: BigT;
  /** Decimals of a price (from tickSize) and of a quantity (from qtyStep). */
  readonly priceDp: number;
  readonly qtyDp: number;
  /** Float views of the steps, for simulation math only (never for money). */
  readonly tickFloat: number;
  readonly qtyStepFloat: number;
  readonly spec: InstrumentSpec;
}

export function instrumentKey(category: string, symbol: string): string {
  return `${category}:${symbol}`;
}

export function buildInstrument(spec: InstrumentSpec): Instrument {
  const tickSize = Big(spec.tickSize);
  const qtyStep = Big(spec.qtyStep);
  return {
    key: instrumentKey(spec.category, spec.symbol),
    symbol: spec.symbol,
    category: spec.category,
    baseCoin: spec.baseCoin,
    quoteCoin: spec.quoteCoin,
    settleCoin: spec.settleCoin,
    status: spec.status,
    tickSize,
    qtyStep,
    minOrderQty: Big(spec.minOrderQty),
    maxOrderQty: Big(spec.maxOrderQty),
    maxMarketOrderQty: Big(spec.maxMarketOrderQty),
    minNotional: Big(spec.minNotional),
    maxNotional: Big(spec.maxNotional),
    minPrice: Big(spec.minPrice),
    maxPrice: Big(spec.maxPrice),
    maxLeverage: Big(spec.maxLeverage),
    makerFee: Big(spec.makerFee),
    takerFee: Big(spec.takerFee),
    priceDp: decimalsOf(tickSize),
    qtyDp: decimalsOf(qtyStep),
    tickFloat: simFloat(tickSize),
    qtyStepFloat: simFloat(qtyStep),
    spec,
  };
}

/** Instruments indexed by category and symbol; insertion order is the scenario's order. */
export class InstrumentRegistry {
  private readonly keyed = new Map<string, Instrument>();
  private readonly byCategory = new Map<string, Instrument[]>();

  constructor(specs: readonly InstrumentSpec[]) {
    for (const spec of specs) {
      const inst = buildInstrument(spec);
      this.keyed.set(inst.key, inst);
      const list = this.byCategory.get(inst.category) ?? [];
      list.push(inst);
      this.byCategory.set(inst.category, list);
    }
  }

  get(category: string, symbol: string): Instrument | undefined {
    return this.keyed.get(instrumentKey(category, symbol));
  }

  /** By `category:symbol` key. */
  byKey(key: string): Instrument | undefined {
    return this.keyed.get(key);
  }

  list(category: string): readonly Instrument[] {
    return this.byCategory.get(category) ?? [];
  }

  all(): Instrument[] {
    return [...this.keyed.values()];
  }
}
