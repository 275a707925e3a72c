/**
 * Drives every market from the clock. Each symbol has one fair-price process (a geometric random
 * walk with the configured volatility) shared by its spot and linear instruments, stepped once
 * per tick. Draws are tick-indexed, so the k-th tick always means the same prices for a seed,
 * however late a real timer fires.
 */
import { every, type Clock, type TimerHandle } from '../clock.js';
import { simFloat } from '../decimal.js';
import type { InstrumentRegistry } from '../instruments/instrument.js';
import { instrumentKey } from '../instruments/instrument.js';
import type { Random } from '../random.js';
import type { ExchangeSeed, MarketSpec } from '../seed.js';
import { InstrumentMarket, type PublicTrade } from './instrument-market.js';
import { HistoricalPath } from './price-path.js';

const MS_PER_YEAR = 365 * 86_400_000;

export interface MarketTickEvent {
  key: string;
  time: number;
  trades: PublicTrade[];
}

class SymbolDriver {
  fair: number;
  index: number;
  tickIndex = 0;
  private sigmaTick: number;

  constructor(
    readonly symbol: string,
    readonly spec: MarketSpec,
    readonly path: HistoricalPath,
    private readonly rng: Random,
    readonly markets: InstrumentMarket[],
  ) {
    this.fair = simFloat(spec.price);
    this.index = this.fair;
    this.sigmaTick = spec.volatility * Math.sqrt(spec.tickIntervalMs / MS_PER_YEAR);
  }

  /** Paused: the fair price holds still (books and trades go on around it). */
  paused = false;

  /** Changes the annualised volatility of the walk from the next tick on. */
  setVolatility(volatility: number): void {
    this.sigmaTick = volatility * Math.sqrt(this.spec.tickIntervalMs / MS_PER_YEAR);
  }
  /** A linear move of the fair price from `from` to `to` over [start, end] (scripted ramps). */
  ramp: { from: number; to: number; start: number; end: number } | undefined;

  step(tickIndex: number, time: number, emit: (e: MarketTickEvent) => void): void {
    this.tickIndex = tickIndex;
    const z = this.rng.normal();
    const before = this.fair;
    // The draw is made even when paused or ramping, so the seeded sequence continues unchanged.
    const r = this.ramp;
    if (r) {
      const f = r.end <= r.start ? 1 : Math.min(1, Math.max(0, (time - r.start) / (r.end - r.start)));
      this.fair = r.from + (r.to - r.from) * f;
      if (f >= 1) this.ramp = undefined;
    } else if (!this.paused) this.fair = before * Math.exp(this.sigmaTick * z);
    this.index = this.fair * (1 + 0.0001 * this.rng.normal());
    const drift = (this.fair - before) / before;
    for (const m of this.markets) {
      const trades = m.onTick(tickIndex, time, this.fair, this.index, drift);
      emit({ key: m.instrument.key, time, trades });
    }
  }
}

/** What a price move (admin, scenario) produced: the markets moved and their new prints. */
export interface RepriceResult {
  markets: { market: InstrumentMarket; trade: PublicTrade }[];
}

export class MarketSimulator {
  readonly markets = new Map<string, InstrumentMarket>();
  private readonly drivers: SymbolDriver[] = [];
  private timers: TimerHandle[] = [];

  constructor(
    seed: ExchangeSeed,
    instruments: InstrumentRegistry,
    root: Random,
    private readonly emit: (e: MarketTickEvent) => void,
  ) {
    for (const [symbol, spec] of Object.entries(seed.markets)) {
      const path = new HistoricalPath(
        seed.seed,
        symbol,
        seed.startTime,
        simFloat(spec.price),
        spec.volatility,
      );
      const markets: InstrumentMarket[] = [];
      for (const inst of instruments.all()) {
        if (inst.symbol !== symbol) continue;
        const m = new InstrumentMarket(inst, spec, path, root, seed.startTime, simFloat(spec.price));
        this.markets.set(inst.key, m);
        markets.push(m);
      }
      this.drivers.push(new SymbolDriver(symbol, spec, path, root.fork(`price:${symbol}`), markets));
    }
  }

  /**
   * Moves a symbol's fair price (shared by its spot and linear instruments) to `price` now.
   * Returns undefined when the symbol has no market.
   */
  reprice(symbol: string, price: number, time: number): RepriceResult | undefined {
    const d = this.drivers.find((x) => x.symbol === symbol);
    if (!d) return undefined;
    d.fair = price;
    d.index = price;
    return { markets: d.markets.map((m) => ({ market: m, trade: m.reprice(time, price) })) };
  }

  /**
   * Moves a symbol's fair price linearly to `price` over `overMs`, tick by tick; the random walk
   * resumes from there. False when the symbol has no market.
   */
  rampTo(symbol: string, price: number, now: number, overMs: number): boolean {
    const d = this.drivers.find((x) => x.symbol === symbol);
    if (!d) return false;
    d.ramp = { from: d.fair, to: price, start: now, end: now + overMs };
    return true;
  }

  /** Changes a symbol's volatility (annualised fraction); false when it has no market. */
  setVolatility(symbol: string, volatility: number): boolean {
    const d = this.drivers.find((x) => x.symbol === symbol);
    if (!d) return false;
    d.setVolatility(volatility);
    return true;
  }

  /** Pauses or resumes the random walk of every symbol. */
  setPaused(paused: boolean): void {
    for (const d of this.drivers) d.paused = paused;
  }

  get paused(): boolean {
    return this.drivers.length > 0 && this.drivers.every((d) => d.paused);
  }

  market(category: string, symbol: string): InstrumentMarket | undefined {
    return this.markets.get(instrumentKey(category, symbol));
  }

  /** Starts ticking every symbol on the clock. */
  start(clock: Clock): void {
    this.stop();
    for (const d of this.drivers) {
      this.timers.push(every(clock, d.spec.tickIntervalMs, (k, t) => d.step(k, t, this.emit)));
    }
  }

  stop(): void {
    for (const t of this.timers) t.cancel();
    this.timers = [];
  }
}
