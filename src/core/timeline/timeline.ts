/**
 * The timeline: what happens by itself, on the daemon clock. Entries fire `at` an offset from the
 * start, or `at` an offset `after` another entry, once or `every` period (`count` times). Each
 * does one action: move or ramp a price, print a trade, pause or resume the market, push a
 * private event, disconnect WebSocket clients, set a balance or a position, add or remove a rule.
 * Durations arrive here in ms (the scenario loader converts "5s" and friends).
 * @see docs/timeline.md
 */
import { parseDecimal } from '../decimal.js';
import {
  checkFault,
  networkProblems,
  skewProblems,
  type FaultSpec,
  type NetworkSettings,
} from '../faults/faults.js';
import { ruleProblems, type RuleSpec } from '../rules/rules.js';

export type TimelineAction =
  | { price: { symbol: string; category?: string; price: string; overMs?: number } }
  | { trade: { symbol: string; category?: string; price: string; qty: string; side: 'Buy' | 'Sell' } }
  | { pause: true }
  | { resume: true }
  | { event: { account: string; topic: string; data: unknown[] } }
  | {
      disconnect: {
        stream?: string;
        account?: string;
        code?: number;
        reason?: string;
        mode?: 'close' | 'terminate';
      };
    }
  | { balance: { account: string; coin: string; walletBalance: string } }
  | {
      position: {
        account: string;
        symbol: string;
        side: 'Buy' | 'Sell';
        size: string;
        avgPrice?: string;
        leverage?: string;
      };
    }
  | { addRule: RuleSpec }
  | { removeRule: string }
  | { addFault: FaultSpec }
  | { removeFault: string }
  | { network: Partial<NetworkSettings> | null }
  | { skew: number }
  | { volatility: { symbol: string; value: number } };

export interface TimelineEntry {
  id?: string;
  /** Offset in ms from the start (or from the `after` entry). */
  atMs?: number;
  after?: string;
  everyMs?: number;
  count?: number;
  do: TimelineAction;
}

export const TIMELINE_ACTIONS = [
  'price',
  'trade',
  'pause',
  'resume',
  'event',
  'disconnect',
  'balance',
  'position',
  'addRule',
  'removeRule',
  'addFault',
  'removeFault',
  'network',
  'skew',
  'volatility',
] as const;

const isMap = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);
const decimalText = (v: unknown) =>
  typeof v === 'string' && /^\d+(\.\d+)?$/.test(v) && parseDecimal(v) !== undefined;
const positiveText = (v: unknown) => decimalText(v) && /[1-9]/.test(v as string);

/** The keys each action's map takes (a misspelt key would otherwise be silently ignored). */
const ACTION_KEYS: Record<string, readonly string[]> = {
  price: ['symbol', 'category', 'price', 'over'],
  trade: ['symbol', 'category', 'price', 'qty', 'side'],
  event: ['account', 'topic', 'data'],
  disconnect: ['stream', 'account', 'code', 'reason', 'mode'],
  balance: ['account', 'coin', 'walletBalance'],
  position: ['account', 'symbol', 'side', 'size', 'avgPrice', 'leverage'],
};

/** What `disconnect.stream` may name: a stream kind or its path (as the hub matches them). */
const STREAMS = ['spot', 'linear', 'inverse', 'option', 'private', 'trade'];
const STREAM_NAMES = [
  ...STREAMS,
  ...STREAMS.slice(0, 4).map((c) => `/v5/public/${c}`),
  '/v5/private',
  '/v5/trade',
];

/**
 * Problems of one entry, given the ids defined before it. `ms` reads a duration (the loader's
 * parser, or plain integers for programmatic use).
 */
export function timelineEntryProblems(
  raw: unknown,
  earlierIds: ReadonlySet<string>,
  ms: (v: unknown) => number | undefined,
): string[] {
  const p: string[] = [];
  if (!isMap(raw)) return ['an entry must be a map with at/after/every and do'];
  const known = new Set(['id', 'at', 'after', 'every', 'count', 'do']);
  for (const k of Object.keys(raw))
    if (!known.has(k)) p.push(`unknown key "${k}" (entries take id, at, after, every, count, do)`);
  if (raw.id !== undefined && (typeof raw.id !== 'string' || !/^[A-Za-z0-9_.-]{1,64}$/.test(raw.id)))
    p.push('id must be 1-64 letters, digits, "_", "-" or "."');
  if (raw.at !== undefined && ms(raw.at) === undefined)
    p.push('at must be a duration such as "10s" or a whole number of ms');
  if (raw.every !== undefined) {
    const e = ms(raw.every);
    if (e === undefined || e < 1) p.push('every must be a duration of at least 1 ms');
  }
  if (raw.count !== undefined) {
    if (typeof raw.count !== 'number' || !Number.isSafeInteger(raw.count) || raw.count < 1)
      p.push('count must be a whole number >= 1');
    if (raw.every === undefined) p.push('count goes with every');
  }
  if (raw.after !== undefined) {
    if (typeof raw.after !== 'string') p.push('after must be the id of an earlier entry');
    else if (!earlierIds.has(raw.after)) p.push(`after "${raw.after}" does not name an earlier entry's id`);
  }
  const act = raw.do;
  if (!isMap(act)) {
    p.push(`do is required: a map with one of ${TIMELINE_ACTIONS.join(', ')}`);
    return p;
  }
  const keys = Object.keys(act);
  if (keys.length !== 1 || !(TIMELINE_ACTIONS as readonly string[]).includes(keys[0]!)) {
    p.push(`do must hold exactly one of ${TIMELINE_ACTIONS.join(', ')}, got ${keys.join(', ') || 'nothing'}`);
    return p;
  }
  const key = keys[0]!;
  const v = act[key];
  const need = (
    obj: Record<string, unknown>,
    fields: string[],
    check: (f: string, x: unknown) => boolean,
    what: string,
  ) => {
    for (const f of fields) if (!check(f, obj[f])) p.push(`do.${key}.${f} ${what}`);
  };
  const str = (_f: string, x: unknown) => typeof x === 'string' && x !== '';
  const allowed = ACTION_KEYS[key];
  if (allowed && isMap(v))
    for (const k of Object.keys(v))
      if (!allowed.includes(k)) p.push(`do.${key}: unknown key "${k}" (${key} takes ${allowed.join(', ')})`);
  switch (key) {
    case 'price':
    case 'trade': {
      if (!isMap(v)) return [...p, `do.${key} must be a map`];
      need(v, ['symbol'], str, 'is required');
      need(v, ['price'], (_f, x) => positiveText(x), 'must be a decimal string > 0');
      if (v.category !== undefined && typeof v.category !== 'string')
        p.push(`do.${key}.category must be a string`);
      if (key === 'price' && v.over !== undefined && ms(v.over) === undefined)
        p.push('do.price.over must be a duration');
      if (key === 'trade') {
        need(v, ['qty'], (_f, x) => positiveText(x), 'must be a decimal string > 0');
        if (v.side !== 'Buy' && v.side !== 'Sell') p.push('do.trade.side must be Buy or Sell');
      }
      break;
    }
    case 'pause':
    case 'resume':
      if (v !== true) p.push(`do.${key} must be true`);
      break;
    case 'event':
      if (!isMap(v)) return [...p, 'do.event must be a map'];
      need(v, ['account', 'topic'], str, 'is required');
      if (!Array.isArray(v.data)) p.push('do.event.data must be a list');
      break;
    case 'disconnect': {
      if (!isMap(v)) return [...p, 'do.disconnect must be a map (it may be empty: every connection)'];
      if (v.mode !== undefined && v.mode !== 'close' && v.mode !== 'terminate')
        p.push('do.disconnect.mode must be close or terminate');
      const code = v.code;
      if (
        code !== undefined &&
        !(
          typeof code === 'number' &&
          (code === 1000 || code === 1001 || code === 1011 || code === 1012 || (code >= 3000 && code <= 4999))
        )
      )
        p.push('do.disconnect.code must be 1000, 1001, 1011, 1012 or 3000-4999');
      for (const f of ['account', 'reason'])
        if (v[f] !== undefined && typeof v[f] !== 'string') p.push(`do.disconnect.${f} must be a string`);
      if (v.stream !== undefined && !(typeof v.stream === 'string' && STREAM_NAMES.includes(v.stream)))
        p.push(`do.disconnect.stream must be one of ${STREAM_NAMES.join(', ')}`);
      break;
    }
    case 'balance':
      if (!isMap(v)) return [...p, 'do.balance must be a map'];
      need(v, ['account', 'coin'], str, 'is required');
      need(v, ['walletBalance'], (_f, x) => decimalText(x), 'must be a decimal string');
      break;
    case 'position':
      if (!isMap(v)) return [...p, 'do.position must be a map'];
      need(v, ['account', 'symbol'], str, 'is required');
      if (v.side !== 'Buy' && v.side !== 'Sell') p.push('do.position.side must be Buy or Sell');
      need(v, ['size'], (_f, x) => decimalText(x), 'must be a decimal string');
      for (const f of ['avgPrice', 'leverage'])
        if (v[f] !== undefined && !positiveText(v[f]))
          p.push(`do.position.${f} must be a decimal string > 0`);
      break;
    case 'addRule':
      for (const m of ruleProblems(v)) p.push(`do.addRule: ${m}`);
      break;
    case 'removeRule':
      if (typeof v !== 'string' || v === '') p.push('do.removeRule must be a rule id');
      break;
    case 'addFault': {
      for (const m of checkFault(v, ms).problems) p.push(`do.addFault: ${m}`);
      if (isMap(v) && typeof v.id !== 'string')
        p.push('do.addFault.id is required (removeFault names it; a repeat does not add it twice)');
      break;
    }
    case 'removeFault':
      if (typeof v !== 'string' || v === '') p.push('do.removeFault must be a fault id');
      break;
    case 'network':
      if (v !== null) for (const m of networkProblems(v)) p.push(`do.network: ${m}`);
      break;
    case 'skew':
      for (const m of skewProblems(v)) p.push(`do.skew: ${m}`);
      break;
    case 'volatility':
      if (!isMap(v)) return [...p, 'do.volatility must be a map {symbol, value}'];
      for (const k of Object.keys(v))
        if (k !== 'symbol' && k !== 'value') p.push(`do.volatility.${k} is not a key (symbol, value)`);
      if (typeof v.symbol !== 'string' || v.symbol === '') p.push('do.volatility.symbol is required');
      if (typeof v.value !== 'number' || !(v.value >= 0) || v.value > 100)
        p.push('do.volatility.value must be an annualised fraction from 0 to 100 (0.6 = 60 % a year)');
      break;
  }
  return p;
}
