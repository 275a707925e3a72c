/**
 * Candles before the simulation started, derived from the historical path. Open and close are
 * exact path values; high and low are the extremes of up to 16 sampled minutes widened by a
 * hashed wick, and volume is a hashed log-normal around the simulated trade rate. So a 1h candle
 * is consistent with its 1m candles in open and close, and approximately in high, low and volume.
 */
import type { Instrument } from '../instruments/instrument.js';
import type { Candle } from './candles.js';
import type { HistoricalPath } from './price-path.js';

const MAX_SAMPLES = 14;

export interface HistoryContext {
  path: HistoricalPath;
  instrument: Instrument;
  /** Expected volume per minute, in quantity steps. */
  stepsPerMinute: number;
}

/** The candle for [start, end) where end <= the simulation start (a partial bucket allowed). */
export function historyCandle(ctx: HistoryContext, start: number, end: number): Candle {
  const { path, instrument } = ctx;
  const tick = instrument.tickFloat;
  const a = Math.floor(start / 60_000);
  const b = Math.max(a, Math.floor(end / 60_000));
  const m = b - a;
  const open = path.priceAtMinute(a);
  const close = path.priceAtMinute(b);
  let hi = Math.max(open, close);
  let lo = Math.min(open, close);
  const samples = Math.min(Math.max(m - 1, 0), MAX_SAMPLES);
  for (let i = 1; i <= samples; i++) {
    const p = path.priceAtMinute(a + Math.round((i * m) / (samples + 1)));
    if (p > hi) hi = p;
    if (p < lo) lo = p;
  }
  const wick = path.minuteSigma * Math.sqrt(Math.max(1, m / (samples + 1))) * 0.5;
  const high = hi * Math.exp(Math.abs(path.noise(a, m, 1)) * wick);
  const low = lo * Math.exp(-Math.abs(path.noise(a, m, 2)) * wick);
  const o = Math.round(open / tick);
  const c = Math.round(close / tick);
  const h = Math.max(o, c, Math.round(high / tick));
  const l = Math.max(1, Math.min(o, c, Math.round(low / tick)));
  const volume =
    m === 0
      ? 0
      : Math.max(0, Math.round(ctx.stepsPerMinute * m * Math.exp(0.5 * path.noise(a, m, 3) - 0.125)));
  const turnover = volume * instrument.qtyStepFloat * ((o + h + l + c) / 4) * tick;
  return { start, open: o, high: h, low: l, close: c, volume, turnover };
}

/** Scales a price candle into a mark or index candle with a small hashed basis. */
export function derivedCandle(ctx: HistoryContext, base: Candle, salt: number): Candle {
  const factor = 1 + 0.0003 * ctx.path.noise(Math.floor(base.start / 60_000), salt);
  const scale = (x: number) => Math.max(1, Math.round(x * factor));
  return {
    start: base.start,
    open: scale(base.open),
    high: scale(base.high),
    low: scale(base.low),
    close: scale(base.close),
    volume: 0,
    turnover: 0,
  };
}
