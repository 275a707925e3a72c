/**
 * The WebSocket protocol without sockets: request parsing, topic grammar, connection ids and the
 * reply frames per stream kind, checked against the wire facts (facts §8.1-8.4, §8.6) and what
 * ccxt and bybit-api look for in acks and pongs (client-call-patterns §4.3, §6.2).
 */
import { describe, expect, test } from 'vitest';
import { KLINE_INTERVALS, type Category } from '../../src/core/types.js';
import {
  BOOK_DEPTHS,
  PRIVATE_TOPICS,
  STREAM_PATHS,
  authReply,
  connectionId,
  errorFrame,
  isPublic,
  optionAck,
  parsePublicTopic,
  parseRequest,
  pongFrame,
  privateTopicCategory,
  privateTopicFamily,
  subscribeAck,
  tradeReply,
  type StreamKind,
} from '../../src/ws/protocol.js';

const CONN = 'da7tou12ob6fpjtusqi0-8f1rr';
const NOW = 1_767_614_400_000;

function ok(text: string) {
  const p = parseRequest(text);
  if (!p.ok) throw new Error(`expected ${text} to parse, got ${p.error}`);
  return p.req;
}

function err(text: string): string {
  const p = parseRequest(text);
  if (p.ok) throw new Error(`expected ${text} to be refused`);
  return p.error;
}

/** Keys in order, so "only when sent" and "left out" are visible. */
const keys = (o: object) => Object.keys(o);

describe('parseRequest', () => {
  test('a full request keeps op, args, req_id and header as sent', () => {
    expect(
      ok('{"req_id":"10001","op":"subscribe","args":["orderbook.1.BTCUSDT","publicTrade.BTCUSDT"]}'),
    ).toEqual({
      op: 'subscribe',
      args: ['orderbook.1.BTCUSDT', 'publicTrade.BTCUSDT'],
      reqId: '10001',
      header: {},
    });
    const trade = ok(
      '{"reqId":"test-005","header":{"X-BAPI-TIMESTAMP":"1711001595207","Referer":"bot-001"},"op":"order.create","args":[{"symbol":"ETHUSDT"}]}',
    );
    expect(trade).toEqual({
      op: 'order.create',
      args: [{ symbol: 'ETHUSDT' }],
      reqId: 'test-005',
      header: { 'X-BAPI-TIMESTAMP': '1711001595207', Referer: 'bot-001' },
    });
  });

  test('req_id and reqId are both read; reqId wins when both are present', () => {
    expect(ok('{"op":"ping","req_id":"a"}').reqId).toBe('a');
    expect(ok('{"op":"ping","reqId":"b"}').reqId).toBe('b');
    expect(ok('{"op":"ping","req_id":"a","reqId":"b"}').reqId).toBe('b');
  });

  test('a numeric req_id stays a number (ccxt sends integers), other types as sent', () => {
    const r = ok('{"req_id":7,"op":"ping"}');
    expect(r.reqId).toBe(7);
    expect(typeof r.reqId).toBe('number');
    expect(ok('{"reqId":12,"op":"order.create","args":[]}').reqId).toBe(12);
    expect(ok('{"req_id":null,"op":"ping"}').reqId).toBeNull();
    expect(ok('{"req_id":"","op":"ping"}').reqId).toBe('');
  });

  test('an absent req_id is undefined, not ""', () => {
    const r = ok('{"op":"ping"}');
    expect(r.reqId).toBeUndefined();
    expect(r).toEqual({ op: 'ping', args: [], reqId: undefined, header: {} });
  });

  test('missing or mistyped op, args and header fall back to empty values', () => {
    expect(ok('{}')).toEqual({ op: '', args: [], reqId: undefined, header: {} });
    expect(ok('{"op":5,"args":"tickers.BTCUSDT","header":"x"}')).toEqual({
      op: '',
      args: [],
      reqId: undefined,
      header: {},
    });
    expect(ok('{"op":"auth","args":[],"header":[1,2]}').header).toEqual({});
    expect(ok('{"op":"auth","args":[],"header":null}').header).toEqual({});
    // Stray fields (ccxt leaks callerMethodName) are ignored.
    expect(
      ok('{"op":"subscribe","req_id":6,"args":["kline.1.BTCUSDT"],"callerMethodName":"watchOHLCV"}'),
    ).toEqual({ op: 'subscribe', args: ['kline.1.BTCUSDT'], reqId: 6, header: {} });
  });

  test('text that is not JSON is refused with Bybit-style "Failed to decode incoming data" (facts §8.2)', () => {
    for (const text of ['hello', '{"op":"ping"', '', '{op:ping}']) {
      expect(err(text)).toMatch(/^Failed to decode incoming data: \S/);
    }
  });

  test('JSON that is not an object is refused: arrays, bare values, null', () => {
    for (const text of ['[]', '[{"op":"ping"}]', '"ping"', '42', 'true', 'null']) {
      expect(err(text)).toBe('Failed to decode incoming data: expect a JSON object');
    }
  });
});

describe('stream paths', () => {
  test('every Bybit v5 stream path maps to its kind; only public kinds are categories', () => {
    expect(STREAM_PATHS).toEqual({
      '/v5/public/spot': 'spot',
      '/v5/public/linear': 'linear',
      '/v5/public/inverse': 'inverse',
      '/v5/public/option': 'option',
      '/v5/private': 'private',
      '/v5/trade': 'trade',
    });
    const publicKinds = (Object.values(STREAM_PATHS) as StreamKind[]).filter(isPublic);
    expect(publicKinds).toEqual(['spot', 'linear', 'inverse', 'option']);
  });
});

describe('subscribe acks (facts §8.2)', () => {
  const fail = {
    message: 'error:handler not found,topic:orderbook.50.NOPEUSDT',
    topics: ['orderbook.50.NOPEUSDT'],
    ok: [],
  };

  test('linear and inverse: ret_msg "" and req_id always present ("" when absent)', () => {
    for (const kind of ['linear', 'inverse'] as const) {
      const a = subscribeAck(kind, 'subscribe', CONN, undefined);
      expect(a).toEqual({ success: true, ret_msg: '', conn_id: CONN, req_id: '', op: 'subscribe' });
      expect(keys(a)).toEqual(['success', 'ret_msg', 'conn_id', 'req_id', 'op']);
      expect(subscribeAck(kind, 'subscribe', CONN, 'e1')).toEqual({
        success: true,
        ret_msg: '',
        conn_id: CONN,
        req_id: 'e1',
        op: 'subscribe',
      });
      expect(subscribeAck(kind, 'unsubscribe', CONN, 3)).toEqual({
        success: true,
        ret_msg: '',
        conn_id: CONN,
        req_id: 3,
        op: 'unsubscribe',
      });
    }
  });

  test('linear failure names the topic in ret_msg and keeps req_id', () => {
    expect(subscribeAck('linear', 'subscribe', CONN, 'e1', fail)).toEqual({
      success: false,
      ret_msg: 'error:handler not found,topic:orderbook.50.NOPEUSDT',
      conn_id: CONN,
      req_id: 'e1',
      op: 'subscribe',
    });
    expect(subscribeAck('linear', 'subscribe', CONN, undefined, fail)).toMatchObject({
      success: false,
      req_id: '',
    });
  });

  test('spot: ret_msg is the op on success; req_id only when sent', () => {
    const a = subscribeAck('spot', 'subscribe', CONN, undefined);
    expect(a).toEqual({ success: true, ret_msg: 'subscribe', conn_id: CONN, op: 'subscribe' });
    expect('req_id' in a).toBe(false);
    expect(subscribeAck('spot', 'subscribe', CONN, '10001')).toEqual({
      success: true,
      ret_msg: 'subscribe',
      conn_id: CONN,
      op: 'subscribe',
      req_id: '10001',
    });
    expect(subscribeAck('spot', 'unsubscribe', CONN, 15)).toEqual({
      success: true,
      ret_msg: 'unsubscribe',
      conn_id: CONN,
      op: 'unsubscribe',
      req_id: 15,
    });
    expect(subscribeAck('spot', 'subscribe', CONN, 2, fail)).toEqual({
      success: false,
      ret_msg: fail.message,
      conn_id: CONN,
      op: 'subscribe',
      req_id: 2,
    });
  });

  test('option: COMMAND_RESP with the topic lists, no op/ret_msg/req_id', () => {
    const topics = ['orderbook.100.BTC-6JAN23-18000-C'];
    // The hub acknowledges an accepted option subscribe by passing the topics as `ok`.
    const good = subscribeAck('option', 'subscribe', CONN, 'x', { message: '', topics: [], ok: topics });
    expect(good).toEqual({
      success: true,
      conn_id: CONN,
      data: { failTopics: [], successTopics: topics },
      type: 'COMMAND_RESP',
    });
    expect(subscribeAck('option', 'unsubscribe', CONN, undefined)).toEqual({
      success: true,
      conn_id: CONN,
      data: { failTopics: [], successTopics: [] },
      type: 'COMMAND_RESP',
    });
    const bad = subscribeAck('option', 'subscribe', CONN, 'x', {
      message: 'm',
      topics: ['orderbook.7.X'],
      ok: [],
    });
    expect(bad).toEqual({
      success: false,
      conn_id: CONN,
      data: { failTopics: ['orderbook.7.X'], successTopics: [] },
      type: 'COMMAND_RESP',
    });
    for (const f of [good, bad]) {
      expect(f).not.toHaveProperty('op');
      expect(f).not.toHaveProperty('ret_msg');
      expect(f).not.toHaveProperty('req_id');
    }
  });

  test('optionAck: success only when nothing failed', () => {
    expect(optionAck(CONN, ['a'], [])).toEqual({
      success: true,
      conn_id: CONN,
      data: { failTopics: [], successTopics: ['a'] },
      type: 'COMMAND_RESP',
    });
    expect(optionAck(CONN, [], ['b'])).toMatchObject({ success: false, data: { failTopics: ['b'] } });
  });

  test('private: success/ret_msg/op/conn_id, req_id only when sent', () => {
    const a = subscribeAck('private', 'subscribe', CONN, undefined);
    expect(a).toEqual({ success: true, ret_msg: '', op: 'subscribe', conn_id: CONN });
    expect(keys(a)).toEqual(['success', 'ret_msg', 'op', 'conn_id']);
    // bybit-api's req_id is the comma-joined topic list and must come back unchanged.
    expect(subscribeAck('private', 'subscribe', CONN, 'order,execution,position,wallet')).toEqual({
      success: true,
      ret_msg: '',
      op: 'subscribe',
      conn_id: CONN,
      req_id: 'order,execution,position,wallet',
    });
    expect(
      subscribeAck('private', 'subscribe', CONN, 8, {
        message: 'error:already subscribed,topic:order',
        topics: ['order'],
        ok: [],
      }),
    ).toEqual({
      success: false,
      ret_msg: 'error:already subscribed,topic:order',
      op: 'subscribe',
      conn_id: CONN,
      req_id: 8,
    });
  });
});

describe('pongs (facts §8.3)', () => {
  test('spot: op "ping" + ret_msg "pong", req_id only when sent', () => {
    expect(pongFrame('spot', CONN, undefined, NOW)).toEqual({
      success: true,
      ret_msg: 'pong',
      conn_id: CONN,
      op: 'ping',
    });
    expect(pongFrame('spot', CONN, 9, NOW)).toEqual({
      success: true,
      ret_msg: 'pong',
      conn_id: CONN,
      op: 'ping',
      req_id: 9,
    });
  });

  test('linear and inverse: req_id always present, echoed when sent', () => {
    for (const kind of ['linear', 'inverse'] as const) {
      expect(pongFrame(kind, CONN, undefined, NOW)).toEqual({
        success: true,
        ret_msg: 'pong',
        conn_id: CONN,
        req_id: '',
        op: 'ping',
      });
      expect(pongFrame(kind, CONN, 'ping-pp', NOW)).toMatchObject({ req_id: 'ping-pp', op: 'ping' });
    }
  });

  test('option: only args=[now as string] and op "pong"', () => {
    expect(pongFrame('option', CONN, 'x', NOW)).toEqual({ args: [String(NOW)], op: 'pong' });
  });

  test('private: op "pong", args=[now], conn_id; req_id when sent', () => {
    expect(pongFrame('private', CONN, undefined, NOW)).toEqual({
      op: 'pong',
      args: [String(NOW)],
      conn_id: CONN,
    });
    expect(pongFrame('private', CONN, 'test', NOW)).toEqual({
      op: 'pong',
      args: [String(NOW)],
      conn_id: CONN,
      req_id: 'test',
    });
  });

  test('trade: REST-style envelope with data=[now] and connId; reqId when sent', () => {
    expect(pongFrame('trade', CONN, undefined, NOW)).toEqual({
      retCode: 0,
      retMsg: 'OK',
      op: 'pong',
      data: [String(NOW)],
      connId: CONN,
    });
    expect(pongFrame('trade', CONN, '5', NOW)).toMatchObject({ reqId: '5', op: 'pong' });
  });

  test('every pong is recognised by ccxt and by bybit-api (compact JSON text)', () => {
    for (const kind of ['spot', 'linear', 'inverse', 'option', 'private', 'trade'] as const) {
      const f = pongFrame(kind, CONN, undefined, NOW) as Record<string, unknown>;
      // ccxt: ret_msg === 'pong' or op === 'pong'
      expect(f.ret_msg === 'pong' || f.op === 'pong').toBe(true);
      // bybit-api: raw text contains ret_msg":"pong or op":"pong
      const text = JSON.stringify(f);
      expect(text.includes('ret_msg":"pong') || text.includes('op":"pong')).toBe(true);
    }
  });
});

describe('auth replies (facts §8.4)', () => {
  test('private success: success true, ret_msg "", op auth; req_id echoed when sent', () => {
    expect(authReply('private', CONN, undefined, 0, 'ignored')).toEqual({
      success: true,
      ret_msg: '',
      op: 'auth',
      conn_id: CONN,
    });
    expect(authReply('private', CONN, 'v5Private-auth', 0, '')).toEqual({
      success: true,
      ret_msg: '',
      op: 'auth',
      conn_id: CONN,
      req_id: 'v5Private-auth',
    });
  });

  test('private failure: success false with the message and no retCode (bybit-api needs success:false)', () => {
    const f = authReply('private', CONN, undefined, 10002, 'Params Error');
    expect(f).toEqual({ success: false, ret_msg: 'Params Error', op: 'auth', conn_id: CONN });
    expect(f).not.toHaveProperty('retCode');
  });

  test('trade: REST-style envelope, retMsg OK on success, no data key, reqId only when sent', () => {
    const okReply = authReply('trade', CONN, undefined, 0, 'ignored');
    expect(okReply).toEqual({ retCode: 0, retMsg: 'OK', op: 'auth', connId: CONN });
    expect(keys(okReply)).toEqual(['retCode', 'retMsg', 'op', 'connId']);
    const bad = authReply('trade', CONN, 'r1', 10004, 'Invalid sign');
    expect(bad).toEqual({ reqId: 'r1', retCode: 10004, retMsg: 'Invalid sign', op: 'auth', connId: CONN });
    expect(bad).not.toHaveProperty('data');
    expect(bad).not.toHaveProperty('success');
  });
});

describe('tradeReply (facts §8.8)', () => {
  test('full reply keeps Bybit key order and echoes reqId', () => {
    const header = { Traceid: 't', Timenow: String(NOW) };
    const r = tradeReply(
      CONN,
      'test-005',
      'order.create',
      0,
      'OK',
      { orderId: 'o', orderLinkId: '' },
      {
        retExtInfo: {},
        header,
      },
    );
    expect(r).toEqual({
      reqId: 'test-005',
      retCode: 0,
      retMsg: 'OK',
      op: 'order.create',
      data: { orderId: 'o', orderLinkId: '' },
      retExtInfo: {},
      header,
      connId: CONN,
    });
    expect(keys(r)).toEqual(['reqId', 'retCode', 'retMsg', 'op', 'data', 'retExtInfo', 'header', 'connId']);
  });

  test('reqId only when sent (a numeric reqId stays numeric); data/retExtInfo/header only when given', () => {
    const r = tradeReply(CONN, undefined, 'order.cancel', 170131, 'Insufficient balance.', {});
    expect(r).toEqual({
      retCode: 170131,
      retMsg: 'Insufficient balance.',
      op: 'order.cancel',
      data: {},
      connId: CONN,
    });
    expect(r).not.toHaveProperty('reqId');
    expect(r).not.toHaveProperty('retExtInfo');
    expect(r).not.toHaveProperty('header');
    expect(tradeReply(CONN, 3, 'order.amend', 0, 'OK', undefined)).toEqual({
      reqId: 3,
      retCode: 0,
      retMsg: 'OK',
      op: 'order.amend',
      connId: CONN,
    });
  });
});

describe('errorFrame', () => {
  test('linear/inverse: success false with req_id always present', () => {
    for (const kind of ['linear', 'inverse'] as const) {
      expect(errorFrame(kind, CONN, undefined, 'nope', 'error:invalid op')).toEqual({
        success: false,
        ret_msg: 'error:invalid op',
        conn_id: CONN,
        req_id: '',
        op: 'nope',
      });
      expect(errorFrame(kind, CONN, 4, 'nope', 'error:invalid op')).toMatchObject({ req_id: 4 });
    }
  });

  test('spot, option and private: success false, req_id only when sent', () => {
    for (const kind of ['spot', 'option', 'private'] as const) {
      const f = errorFrame(kind, CONN, undefined, '', 'Failed to decode incoming data: x');
      expect(f).toEqual({
        success: false,
        ret_msg: 'Failed to decode incoming data: x',
        conn_id: CONN,
        op: '',
      });
      expect(errorFrame(kind, CONN, 'r', 'bad', 'error:invalid op')).toEqual({
        success: false,
        ret_msg: 'error:invalid op',
        conn_id: CONN,
        op: 'bad',
        req_id: 'r',
      });
    }
  });

  test('trade: a REST-style envelope with retCode 10404 and empty data', () => {
    expect(errorFrame('trade', CONN, 'q', 'order.nope', 'op not found')).toEqual({
      reqId: 'q',
      retCode: 10404,
      retMsg: 'op not found',
      op: 'order.nope',
      data: {},
      connId: CONN,
    });
    expect(errorFrame('trade', CONN, undefined, '', 'x')).not.toHaveProperty('reqId');
  });
});

describe('public topic grammar (facts §8.6)', () => {
  const listed = (s: string) => s === 'BTCUSDT' || s === 'ETHUSDT';
  const parse = (stream: Category, topic: string) => parsePublicTopic(stream, topic, listed);

  test('orderbook depths per category: 1/50/200/1000 on spot, linear and inverse; 25/100 on option', () => {
    expect(BOOK_DEPTHS).toEqual({
      linear: [1, 50, 200, 1000],
      inverse: [1, 50, 200, 1000],
      spot: [1, 50, 200, 1000],
      option: [25, 100],
    });
    for (const stream of ['spot', 'linear', 'inverse'] as const) {
      for (const depth of [1, 50, 200, 1000]) {
        expect(parse(stream, `orderbook.${depth}.BTCUSDT`)).toEqual({
          kind: 'orderbook',
          depth,
          symbol: 'BTCUSDT',
        });
      }
      for (const depth of [25, 100]) expect(parse(stream, `orderbook.${depth}.BTCUSDT`)).toBeUndefined();
    }
    for (const depth of [25, 100]) {
      expect(parse('option', `orderbook.${depth}.BTCUSDT`)).toEqual({
        kind: 'orderbook',
        depth,
        symbol: 'BTCUSDT',
      });
    }
    for (const depth of [1, 50, 200, 1000])
      expect(parse('option', `orderbook.${depth}.BTCUSDT`)).toBeUndefined();
  });

  test('refused orderbook topics: 500 (offline since 2025), 30, non-numeric, padded, wrong arity', () => {
    for (const stream of ['spot', 'linear', 'inverse'] as const) {
      for (const t of [
        'orderbook.500.BTCUSDT',
        'orderbook.30.BTCUSDT',
        'orderbook.0.BTCUSDT',
        'orderbook.x.BTCUSDT',
        'orderbook.-1.BTCUSDT',
        'orderbook.1e3.BTCUSDT',
        'orderbook.050.BTCUSDT',
        'orderbook.50',
        'orderbook.BTCUSDT',
        'orderbook.50.BTCUSDT.x',
        'orderbook..BTCUSDT',
      ]) {
        expect(parse(stream, t), `${stream} ${t}`).toBeUndefined();
      }
    }
  });

  test('lowercase and unlisted symbols are refused', () => {
    for (const t of [
      'orderbook.50.btcusdt',
      'tickers.btcusdt',
      'publicTrade.BtcUsdt',
      'kline.1.btcusdt',
      'orderbook.50.NOPEUSDT',
      'tickers.NOPEUSDT',
      'publicTrade.NOPEUSDT',
      'kline.1.NOPEUSDT',
      'allLiquidation.NOPEUSDT',
      'tickers.',
    ]) {
      expect(parse('linear', t), t).toBeUndefined();
    }
    // The listing is asked per symbol: what it answers is what counts.
    const seen: string[] = [];
    parsePublicTopic('spot', 'tickers.ETHUSDT', (s) => {
      seen.push(s);
      return true;
    });
    expect(seen).toEqual(['ETHUSDT']);
  });

  test('tickers and publicTrade take exactly one symbol', () => {
    expect(parse('spot', 'tickers.BTCUSDT')).toEqual({ kind: 'tickers', symbol: 'BTCUSDT' });
    expect(parse('linear', 'publicTrade.ETHUSDT')).toEqual({ kind: 'publicTrade', symbol: 'ETHUSDT' });
    expect(parse('linear', 'tickers.1.BTCUSDT')).toBeUndefined();
    expect(parse('linear', 'publicTrade.x.BTCUSDT')).toBeUndefined();
  });

  test('kline takes Bybit intervals only', () => {
    expect(KLINE_INTERVALS).toEqual([
      '1',
      '3',
      '5',
      '15',
      '30',
      '60',
      '120',
      '240',
      '360',
      '720',
      'D',
      'W',
      'M',
    ]);
    for (const iv of KLINE_INTERVALS) {
      expect(parse('spot', `kline.${iv}.BTCUSDT`)).toEqual({
        kind: 'kline',
        interval: iv,
        symbol: 'BTCUSDT',
      });
      expect(parse('linear', `kline.${iv}.BTCUSDT`)).toEqual({
        kind: 'kline',
        interval: iv,
        symbol: 'BTCUSDT',
      });
    }
    for (const t of [
      'kline.2.BTCUSDT',
      'kline.1m.BTCUSDT',
      'kline.d.BTCUSDT',
      'kline.1h.BTCUSDT',
      'kline.BTCUSDT',
    ]) {
      expect(parse('linear', t), t).toBeUndefined();
    }
  });

  test('allLiquidation only on linear and inverse', () => {
    expect(parse('linear', 'allLiquidation.BTCUSDT')).toEqual({ kind: 'allLiquidation', symbol: 'BTCUSDT' });
    expect(parse('inverse', 'allLiquidation.BTCUSDT')).toEqual({ kind: 'allLiquidation', symbol: 'BTCUSDT' });
    expect(parse('spot', 'allLiquidation.BTCUSDT')).toBeUndefined();
    expect(parse('option', 'allLiquidation.BTCUSDT')).toBeUndefined();
  });

  test('unknown families and private topics are not public topics', () => {
    for (const t of ['liquidation.BTCUSDT', 'ticker.BTCUSDT', 'trade.BTCUSDT', 'order.BTCUSDT', 'BTCUSDT']) {
      expect(parse('linear', t), t).toBeUndefined();
    }
    for (const t of PRIVATE_TOPICS) expect(parse('linear', t), t).toBeUndefined();
  });
});

describe('private topics', () => {
  test('the all-in-one topics and their categorised forms', () => {
    for (const family of ['order', 'execution', 'execution.fast']) {
      expect(PRIVATE_TOPICS.has(family)).toBe(true);
      for (const c of ['spot', 'linear', 'inverse', 'option'])
        expect(PRIVATE_TOPICS.has(`${family}.${c}`)).toBe(true);
    }
    expect(PRIVATE_TOPICS.has('position')).toBe(true);
    for (const c of ['linear', 'inverse', 'option']) expect(PRIVATE_TOPICS.has(`position.${c}`)).toBe(true);
    expect(PRIVATE_TOPICS.has('position.spot')).toBe(false);
    for (const t of ['wallet', 'greeks', 'dcp']) expect(PRIVATE_TOPICS.has(t)).toBe(true);
    for (const t of ['wallet.linear', 'orders', 'order.futures', 'execution.fast.x', 'tickers.BTCUSDT', '']) {
      expect(PRIVATE_TOPICS.has(t), t).toBe(false);
    }
  });

  test('category and family of a private topic', () => {
    const cases: [string, string | undefined, string][] = [
      ['order', undefined, 'order'],
      ['order.linear', 'linear', 'order'],
      ['execution', undefined, 'execution'],
      ['execution.spot', 'spot', 'execution'],
      ['execution.fast', undefined, 'execution.fast'],
      ['execution.fast.inverse', 'inverse', 'execution.fast'],
      ['execution.fast.option', 'option', 'execution.fast'],
      ['position.linear', 'linear', 'position'],
      ['wallet', undefined, 'wallet'],
      ['greeks', undefined, 'greeks'],
    ];
    for (const [topic, category, family] of cases) {
      expect(privateTopicCategory(topic), topic).toBe(category);
      expect(privateTopicFamily(topic), topic).toBe(family);
    }
    // Every categorised topic belongs to a family that is itself a topic.
    for (const t of PRIVATE_TOPICS) expect(PRIVATE_TOPICS.has(privateTopicFamily(t)), t).toBe(true);
  });
});

describe('connectionId', () => {
  const SHAPE = /^[0-9a-v]{20}-[0-9a-v]{5}$/;

  test("Bybit's newer shape: 20 base-32 characters, a dash, 5 more", () => {
    for (let n = 0; n < 200; n++) expect(connectionId(n)).toMatch(SHAPE);
    expect(CONN).toMatch(SHAPE);
  });

  test('deterministic', () => {
    expect(connectionId(1)).toBe(connectionId(1));
    expect(connectionId(123_456)).toBe(connectionId(123_456));
  });

  test('distinct for different n, and spread over the alphabet', () => {
    const ids = new Set<string>();
    const chars = new Set<string>();
    for (let n = 1; n <= 20_000; n++) {
      const id = connectionId(n);
      ids.add(id);
      for (const ch of id) chars.add(ch);
    }
    expect(ids.size).toBe(20_000);
    // All 32 digits plus the dash appear somewhere.
    expect(chars.size).toBe(33);
  });
});
