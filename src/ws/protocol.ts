/**
 * The WebSocket protocol without sockets: request parsing, topic grammar and the reply frames,
 * whose shapes differ per stream (public spot vs linear vs option vs private vs trade).
 * @see ../shared/reference/bybit-v5-facts.md §8.1-8.5; client-call-patterns §4, §6
 */
import { hashString } from '../core/random.js';
import { KLINE_INTERVALS, type Category } from '../core/types.js';

export type StreamKind = 'spot' | 'linear' | 'inverse' | 'option' | 'private' | 'trade';

export const STREAM_PATHS: Readonly<Record<string, StreamKind>> = {
  '/v5/public/spot': 'spot',
  '/v5/public/linear': 'linear',
  '/v5/public/inverse': 'inverse',
  '/v5/public/option': 'option',
  '/v5/private': 'private',
  '/v5/trade': 'trade',
};

export function isPublic(kind: StreamKind): kind is Category {
  return kind !== 'private' && kind !== 'trade';
}

export interface WsRequest {
  op: string;
  args: unknown[];
  /** req_id (public/private) or reqId (trade) exactly as sent; undefined when absent. */
  reqId: unknown;
  header: Record<string, unknown>;
}

export type Parsed = { ok: true; req: WsRequest } | { ok: false; error: string };

/** Parses one text frame; never throws. */
export function parseRequest(text: string): Parsed {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    return { ok: false, error: `Failed to decode incoming data: ${(e as Error).message}` };
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return { ok: false, error: 'Failed to decode incoming data: expect a JSON object' };
  }
  const o = value as Record<string, unknown>;
  const op = typeof o.op === 'string' ? o.op : '';
  const args = Array.isArray(o.args) ? o.args : [];
  const header =
    typeof o.header === 'object' && o.header !== null && !Array.isArray(o.header) ? o.header : {};
  return {
    ok: true,
    req: { op, args, reqId: 'reqId' in o ? o.reqId : o.req_id, header: header as Record<string, unknown> },
  };
}

// ---- topics ----------------------------------------------------------------------------------

export const BOOK_DEPTHS: Readonly<Record<Category, readonly number[]>> = {
  linear: [1, 50, 200, 1000],
  inverse: [1, 50, 200, 1000],
  spot: [1, 50, 200, 1000],
  option: [25, 100],
};

export type PublicTopic =
  | { kind: 'orderbook'; depth: number; symbol: string }
  | { kind: 'publicTrade'; symbol: string }
  | { kind: 'tickers'; symbol: string }
  | { kind: 'kline'; interval: string; symbol: string }
  | { kind: 'allLiquidation'; symbol: string };

/** Parses a public topic of a stream; undefined when Bybit would answer "handler not found". */
export function parsePublicTopic(
  stream: Category,
  topic: string,
  listed: (symbol: string) => boolean,
): PublicTopic | undefined {
  const parts = topic.split('.');
  const symbol = parts[parts.length - 1] ?? '';
  if (!listed(symbol)) return undefined;
  switch (parts[0]) {
    case 'orderbook': {
      if (parts.length !== 3) return undefined;
      // Exact spelling: "050" is not depth 50 (Bybit: handler not found). @see facts §8.2
      const depth = BOOK_DEPTHS[stream].find((d) => String(d) === parts[1]);
      return depth === undefined ? undefined : { kind: 'orderbook', depth, symbol };
    }
    case 'publicTrade':
      return parts.length === 2 ? { kind: 'publicTrade', symbol } : undefined;
    case 'tickers':
      return parts.length === 2 ? { kind: 'tickers', symbol } : undefined;
    case 'kline':
      return parts.length === 3 && (KLINE_INTERVALS as readonly string[]).includes(parts[1]!)
        ? { kind: 'kline', interval: parts[1]!, symbol }
        : undefined;
    case 'allLiquidation':
      return parts.length === 2 && (stream === 'linear' || stream === 'inverse')
        ? { kind: 'allLiquidation', symbol }
        : undefined;
    default:
      return undefined;
  }
}

export const PRIVATE_TOPICS: ReadonlySet<string> = new Set([
  'order',
  'order.spot',
  'order.linear',
  'order.inverse',
  'order.option',
  'execution',
  'execution.spot',
  'execution.linear',
  'execution.inverse',
  'execution.option',
  'execution.fast',
  'execution.fast.spot',
  'execution.fast.linear',
  'execution.fast.inverse',
  'execution.fast.option',
  'position',
  'position.linear',
  'position.inverse',
  'position.option',
  'wallet',
  'greeks',
  'dcp',
]);

/** The category a private topic is limited to, or undefined for the all-in-one topic. */
export function privateTopicCategory(topic: string): string | undefined {
  const last = topic.split('.').pop()!;
  return ['spot', 'linear', 'inverse', 'option'].includes(last) ? last : undefined;
}

/** The family of a private topic (order, execution, execution.fast, position, wallet, ...). */
export function privateTopicFamily(topic: string): string {
  return privateTopicCategory(topic) ? topic.slice(0, topic.lastIndexOf('.')) : topic;
}

// ---- connection ids -------------------------------------------------------------------------------

const B32 = '0123456789abcdefghijklmnopqrstuv';

/** Connection ids in Bybit's newer shape: 20 base-32 characters, a dash, 5 more. Deterministic. */
export function connectionId(n: number): string {
  let out = '';
  let h = hashString(`conn:${n}`);
  for (let i = 0; i < 25; i++) {
    if (i % 6 === 0) h = hashString(`conn:${n}:${i}:${h}`);
    out += B32[h & 31];
    h >>>= 5;
  }
  return `${out.slice(0, 20)}-${out.slice(20)}`;
}

// ---- replies ----------------------------------------------------------------------------------------

function withReqId<T extends object>(frame: T, reqId: unknown, key = 'req_id'): T {
  return reqId === undefined ? frame : { ...frame, [key]: reqId };
}

/** Subscribe/unsubscribe ack (one per request frame). @see facts §8.2 */
export function subscribeAck(
  kind: StreamKind,
  op: string,
  connId: string,
  reqId: unknown,
  failure?: { message: string; topics: string[]; ok: string[] },
): object {
  const success = failure === undefined;
  switch (kind) {
    case 'option':
      // The option ack lists the topics: `failure` may carry only successTopics (an accepted
      // subscribe), so success means "no failed topic". @see facts §8.2
      return {
        success: failure === undefined || failure.topics.length === 0,
        conn_id: connId,
        data: { failTopics: failure?.topics ?? [], successTopics: failure?.ok ?? [] },
        type: 'COMMAND_RESP',
      };
    case 'spot':
      return withReqId({ success, ret_msg: success ? op : failure.message, conn_id: connId, op }, reqId);
    case 'linear':
    case 'inverse':
      return { success, ret_msg: success ? '' : failure.message, conn_id: connId, req_id: reqId ?? '', op };
    default:
      return withReqId({ success, ret_msg: success ? '' : failure.message, op, conn_id: connId }, reqId);
  }
}

/** The successful-subscribe ack of an option stream lists the topics. */
export function optionAck(connId: string, ok: string[], failed: string[]): object {
  return {
    success: failed.length === 0,
    conn_id: connId,
    data: { failTopics: failed, successTopics: ok },
    type: 'COMMAND_RESP',
  };
}

/** Pong per stream. @see facts §8.3 */
export function pongFrame(kind: StreamKind, connId: string, reqId: unknown, now: number): object {
  switch (kind) {
    case 'spot':
      return withReqId({ success: true, ret_msg: 'pong', conn_id: connId, op: 'ping' }, reqId);
    case 'linear':
    case 'inverse':
      return { success: true, ret_msg: 'pong', conn_id: connId, req_id: reqId ?? '', op: 'ping' };
    case 'option':
      return { args: [String(now)], op: 'pong' };
    case 'private':
      return withReqId({ op: 'pong', args: [String(now)], conn_id: connId }, reqId);
    case 'trade':
      return withReqId({ retCode: 0, retMsg: 'OK', op: 'pong', data: [String(now)], connId }, reqId, 'reqId');
  }
}

/** A frame-level error on a public or private stream (bad JSON, unknown op). */
export function errorFrame(
  kind: StreamKind,
  connId: string,
  reqId: unknown,
  op: string,
  message: string,
): object {
  if (kind === 'trade') return tradeReply(connId, reqId, op, 10404, message, {});
  if (kind === 'linear' || kind === 'inverse')
    return { success: false, ret_msg: message, conn_id: connId, req_id: reqId ?? '', op };
  return withReqId({ success: false, ret_msg: message, conn_id: connId, op }, reqId);
}

/** Auth reply: private streams answer success/ret_msg, the trade stream a REST-style envelope. @see facts §8.4 */
export function authReply(
  kind: StreamKind,
  connId: string,
  reqId: unknown,
  retCode: number,
  message: string,
): object {
  if (kind === 'trade')
    return tradeReply(connId, reqId, 'auth', retCode, retCode === 0 ? 'OK' : message, undefined);
  return withReqId(
    { success: retCode === 0, ret_msg: retCode === 0 ? '' : message, op: 'auth', conn_id: connId },
    reqId,
  );
}

/** A /v5/trade reply. `data` undefined leaves the key out (auth). @see facts §8.8 */
export function tradeReply(
  connId: string,
  reqId: unknown,
  op: string,
  retCode: number,
  retMsg: string,
  data: unknown,
  extra: { retExtInfo?: unknown; header?: Record<string, string> } = {},
): object {
  const frame: Record<string, unknown> = {};
  if (reqId !== undefined) frame.reqId = reqId;
  frame.retCode = retCode;
  frame.retMsg = retMsg;
  frame.op = op;
  if (data !== undefined) frame.data = data;
  if (extra.retExtInfo !== undefined) frame.retExtInfo = extra.retExtInfo;
  if (extra.header !== undefined) frame.header = extra.header;
  frame.connId = connId;
  return frame;
}
