/**
 * Public topic state and frames, computed once per topic and shared by every subscriber.
 * - orderbook: a snapshot on subscribe, then one delta per book version (`u` + 1 each; a window
 *   that did not change still sends an empty delta so `u` stays contiguous). If versions were
 *   skipped (several changes inside one event) a fresh snapshot replaces the book, which Bybit's
 *   protocol allows at any time. Level 1 is snapshot-only and re-sent after 3 s without change.
 * - tickers: linear a snapshot then deltas of changed fields; spot a full snapshot each time.
 * - publicTrade: every print (simulated or an account fill) once, oldest first.
 * - kline: the open candle (confirm false) on each change; a closing bucket gets one confirm true.
 * @see ../shared/reference/bybit-v5-facts.md §8.6
 */
import type { InstrumentMarket } from '../core/market/instrument-market.js';
import { nextBucket } from '../core/market/intervals.js';
import type { Candle } from '../core/market/candles.js';
import type { Category, KlineInterval } from '../core/types.js';
import { klineRow, linearTickerView, priceStr, qtyStr, spotTickerView } from '../core/views/market-views.js';
import type { PublicTopic } from './protocol.js';

type Level = [string, string];

/** What one topic has published so far. */
export type TopicState =
  | {
      kind: 'orderbook';
      depth: number;
      u: number;
      bids: Map<number, number>;
      asks: Map<number, number>;
      sentAt: number;
      frame?: object;
    }
  | { kind: 'tickers'; last: Record<string, string> | undefined }
  | { kind: 'publicTrade'; lastSeq: number }
  | { kind: 'kline'; interval: KlineInterval; lastStart: number | undefined; lastClose: string }
  | { kind: 'allLiquidation' };

const LEVEL1_RESEND_MS = 3000;

function window(ticks: number[], steps: number[], depth: number): Map<number, number> {
  const out = new Map<number, number>();
  const n = Math.min(depth, ticks.length);
  for (let i = 0; i < n; i++) out.set(ticks[i]!, steps[i]!);
  return out;
}

function levels(m: InstrumentMarket, w: Map<number, number>): Level[] {
  const out: Level[] = [];
  for (const [t, s] of w) out.push([priceStr(m.instrument, t), qtyStr(m.instrument, s)]);
  return out;
}

function diff(m: InstrumentMarket, before: Map<number, number>, after: Map<number, number>): Level[] {
  const out: Level[] = [];
  for (const [t, s] of after) {
    if (before.get(t) !== s) out.push([priceStr(m.instrument, t), qtyStr(m.instrument, s)]);
  }
  // A level that left the window is deleted with size "0" exactly, as Bybit sends it. @see facts §8.6
  for (const t of before.keys()) if (!after.has(t)) out.push([priceStr(m.instrument, t), '0']);
  return out;
}

function bookFrame(
  topic: string,
  m: InstrumentMarket,
  type: 'snapshot' | 'delta',
  b: Level[],
  a: Level[],
  ts: number,
) {
  return {
    topic,
    type,
    ts,
    data: { s: m.instrument.symbol, b, a, u: m.book.u, seq: m.seq },
    cts: m.book.ts,
  };
}

/** A new topic's state and the frame a new subscriber receives (undefined: nothing yet). */
export function initialFrame(
  topic: string,
  t: PublicTopic,
  m: InstrumentMarket,
  now: number,
  seed: number,
  state: TopicState | undefined,
): { state: TopicState; frame: object | undefined } {
  switch (t.kind) {
    case 'orderbook': {
      const bids = window(m.book.bids.ticks, m.book.bids.steps, t.depth);
      const asks = window(m.book.asks.ticks, m.book.asks.steps, t.depth);
      const frame = bookFrame(topic, m, 'snapshot', levels(m, bids), levels(m, asks), now);
      const s: TopicState = state ?? {
        kind: 'orderbook',
        depth: t.depth,
        u: m.book.u,
        bids,
        asks,
        sentAt: now,
        frame,
      };
      return { state: s, frame };
    }
    case 'tickers': {
      const data = tickerData(m, now, seed);
      const s: TopicState = state ?? { kind: 'tickers', last: data };
      return { state: s, frame: tickerFrame(topic, m, 'snapshot', data, now) };
    }
    case 'publicTrade':
      return { state: state ?? { kind: 'publicTrade', lastSeq: m.seq }, frame: undefined };
    case 'kline': {
      const iv = t.interval as KlineInterval;
      const cur = m.candles.get(iv).current();
      const s: TopicState = state ?? { kind: 'kline', interval: iv, lastStart: cur?.start, lastClose: '' };
      return { state: s, frame: cur ? klineFrame(topic, m, iv, [[cur, false]], now) : undefined };
    }
    case 'allLiquidation':
      return { state: state ?? { kind: 'allLiquidation' }, frame: undefined };
  }
}

/** Frames a topic publishes after the market changed; updates the state. */
export function updateFrames(
  topic: string,
  s: TopicState,
  m: InstrumentMarket,
  now: number,
  seed: number,
): object[] {
  switch (s.kind) {
    case 'orderbook':
      return bookUpdate(topic, s, m, now);
    case 'tickers': {
      const data = tickerData(m, now, seed);
      if (m.instrument.category === 'spot') {
        s.last = data;
        return [tickerFrame(topic, m, 'snapshot', data, now)];
      }
      const changed: Record<string, string> = { symbol: data.symbol! };
      let any = false;
      for (const [k, v] of Object.entries(data)) {
        if (s.last?.[k] !== v) {
          changed[k] = v;
          any = true;
        }
      }
      s.last = data;
      return any ? [tickerFrame(topic, m, 'delta', changed, now)] : [];
    }
    case 'publicTrade': {
      // Only the prints newer than the last update: walk back from the newest (the ring holds 1000).
      const trades = m.trades;
      let first = trades.length;
      while (first > 0 && trades[first - 1]!.seq > s.lastSeq) first--;
      if (first === trades.length) return [];
      // L (tick direction) only for perpetuals/futures, not spot or option. @see facts §8.6
      const cat = m.instrument.category as Category;
      const withL = cat === 'linear' || cat === 'inverse';
      const rows = [];
      for (let k = first; k < trades.length; k++) {
        const tr = trades[k]!;
        const row: Record<string, unknown> = {
          T: tr.time,
          s: m.instrument.symbol,
          S: tr.side,
          v: qtyStr(m.instrument, tr.steps),
          p: priceStr(m.instrument, tr.priceTicks),
        };
        if (withL) row.L = tr.tickDirection;
        row.i = tr.execId;
        row.BT = false;
        row.RPI = false;
        row.seq = tr.seq;
        rows.push(row);
      }
      s.lastSeq = trades[trades.length - 1]!.seq;
      return [{ topic, type: 'snapshot', ts: now, data: rows }];
    }
    case 'kline': {
      const series = m.candles.get(s.interval);
      const cur = series.current();
      if (!cur) return [];
      const out: [Candle, boolean][] = [];
      if (s.lastStart !== undefined && s.lastStart !== cur.start) {
        const closed = series.find(s.lastStart);
        if (closed) out.push([closed, true]);
      }
      const row = klineRow(m.instrument, cur).join(',');
      if (s.lastStart !== cur.start || row !== s.lastClose) out.push([cur, false]);
      s.lastStart = cur.start;
      s.lastClose = row;
      return out.length > 0 ? [klineFrame(topic, m, s.interval, out, now)] : [];
    }
    case 'allLiquidation':
      return [];
  }
}

function bookUpdate(
  topic: string,
  s: Extract<TopicState, { kind: 'orderbook' }>,
  m: InstrumentMarket,
  now: number,
): object[] {
  const u = m.book.u;
  const bids = window(m.book.bids.ticks, m.book.bids.steps, s.depth);
  const asks = window(m.book.asks.ticks, m.book.asks.steps, s.depth);
  if (s.depth === 1) {
    // Snapshot-only: on change, or the same snapshot again after 3 s of quiet.
    const changed = !sameMap(bids, s.bids) || !sameMap(asks, s.asks);
    if (changed) {
      s.bids = bids;
      s.asks = asks;
      s.u = u;
      s.sentAt = now;
      s.frame = bookFrame(topic, m, 'snapshot', levels(m, bids), levels(m, asks), now);
      return [s.frame];
    }
    if (now - s.sentAt >= LEVEL1_RESEND_MS && s.frame) {
      s.sentAt = now;
      return [s.frame];
    }
    return [];
  }
  if (u === s.u) return [];
  const frame =
    u === s.u + 1
      ? bookFrame(topic, m, 'delta', diff(m, s.bids, bids), diff(m, s.asks, asks), now)
      : bookFrame(topic, m, 'snapshot', levels(m, bids), levels(m, asks), now);
  s.bids = bids;
  s.asks = asks;
  s.u = u;
  s.sentAt = now;
  return [frame];
}

function sameMap(a: Map<number, number>, b: Map<number, number>): boolean {
  if (a.size !== b.size) return false;
  for (const [k, v] of a) if (b.get(k) !== v) return false;
  return true;
}

/** WS ticker fields: REST's plus tickDirection (linear); spot carries usdIndexPrice and no book. */
function tickerData(m: InstrumentMarket, now: number, seed: number): Record<string, string> {
  if (m.instrument.category === 'spot') {
    const v = spotTickerView(m, now);
    return {
      symbol: v.symbol,
      lastPrice: v.lastPrice,
      highPrice24h: v.highPrice24h,
      lowPrice24h: v.lowPrice24h,
      prevPrice24h: v.prevPrice24h,
      volume24h: v.volume24h,
      turnover24h: v.turnover24h,
      price24hPcnt: v.price24hPcnt,
      usdIndexPrice: v.usdIndexPrice,
    };
  }
  const v = linearTickerView(m, now, seed);
  const last = m.trades[m.trades.length - 1];
  const { symbol, ...rest } = v;
  return { symbol, tickDirection: last?.tickDirection ?? 'ZeroPlusTick', ...rest };
}

function tickerFrame(
  topic: string,
  m: InstrumentMarket,
  type: 'snapshot' | 'delta',
  data: Record<string, string>,
  now: number,
) {
  return { topic, type, data, cs: m.seq, ts: now };
}

function klineFrame(
  topic: string,
  m: InstrumentMarket,
  interval: KlineInterval,
  candles: [Candle, boolean][],
  now: number,
) {
  return {
    topic,
    data: candles.map(([c, confirm]) => {
      const r = klineRow(m.instrument, c);
      return {
        start: c.start,
        end: nextBucket(interval, c.start) - 1,
        interval,
        open: r[1],
        close: r[4],
        high: r[2],
        low: r[3],
        volume: r[5],
        turnover: r[6],
        confirm,
        timestamp: now,
      };
    }),
    ts: now,
    type: 'snapshot',
  };
}
