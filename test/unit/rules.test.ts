/**
 * Rules, pure: validation of a rule spec (every field, every kind of mistake named), the glob,
 * trigger aliasing between REST paths and WS ops, match keys, first-match-wins ordering,
 * lifetimes, reset, and the seeded delay draw.
 * @see ../../src/core/rules/rules.ts
 */
import { describe, expect, test } from 'vitest';
import { Random } from '../../src/core/random.js';
import {
  RuleBook,
  globMatches,
  ruleProblems,
  type RuleContext,
  type RuleSpec,
} from '../../src/core/rules/rules.js';

const ctx = (o: Partial<RuleContext> & { params?: Record<string, unknown> } = {}): RuleContext => ({
  trigger: '/v5/order/create',
  account: 'main',
  apiKey: 'main-key',
  params: { category: 'linear', symbol: 'BTCUSDT', side: 'Buy', orderType: 'Limit', qty: '0.01' },
  ...o,
});

const book = (specs: RuleSpec[] = [], seed = 1) => new RuleBook(specs, new Random(seed));
const FAIL = { fail: { retCode: 10006, retMsg: 'Too many visits!' } };

/** The single problem of a spec that differs from a valid one by `patch`. */
function problemsOf(patch: Record<string, unknown>): string[] {
  return ruleProblems({ on: 'order.create', action: { hold: true }, ...patch });
}

// ---- validation ------------------------------------------------------------------------------------

describe('ruleProblems', () => {
  test('valid specs have no problems', () => {
    const valid: unknown[] = [
      { on: 'order.create', action: FAIL },
      { on: ['/v5/order/create', 'order.amend'], action: { fail: { httpStatus: 503 } } },
      { on: '*', action: { fail: { httpStatus: 403, body: 'Forbidden' } } },
      { id: 'a_b-c.1', on: 'order.create', action: { respond: { result: { orderId: 'x' } } }, times: 3 },
      { on: 'order.create', action: { respond: { result: null } } },
      { on: 'order.create', action: { delayMs: 0 } },
      { on: 'order.create', action: { delayMs: 86_400_000 } },
      { on: 'order.create', action: { delayMs: [100, 100] } },
      { on: 'order.create', action: { delayMs: [0, 500], fail: FAIL.fail } },
      { on: 'order.create', action: { hold: false } },
      {
        on: 'order.create',
        action: {
          delayMs: 50,
          hold: true,
          fills: [
            { afterMs: 0 },
            { afterMs: 10, ratio: '0.5', price: 'market' },
            { afterMs: 20, qty: '0.001', price: '50000.5' },
            { afterMs: 30, ratio: '1' },
          ],
          reject: { afterMs: 40, status: 'Cancelled', reason: 'EC_ByAdmin' },
          events: [
            { topic: 'order', data: [] },
            { afterMs: 5, topic: 'wallet', data: [{ a: 1 }] },
          ],
        },
      },
      { on: 'order.create', action: { reject: { afterMs: 0 } } },
      { on: 'order.create', action: { events: [] } },
      {
        on: 'order.create',
        match: {
          account: 'main',
          symbol: 'BTCUSDT',
          category: 'linear',
          side: 'Buy',
          orderType: 'Limit',
          orderLinkId: 'bot-*',
          params: { reduceOnly: true, positionIdx: 0, timeInForce: 'GTC' },
        },
        action: { respond: { result: {} } },
      },
      { on: 'order.create', match: {}, action: { hold: true } },
    ];
    for (const spec of valid) expect(ruleProblems(spec), JSON.stringify(spec)).toEqual([]);
  });

  test('a rule that is not an object', () => {
    for (const bad of [null, undefined, 'x', 3, [], [{ on: 'order.create' }]])
      expect(ruleProblems(bad)).toEqual(['a rule must be an object']);
  });

  test('unknown top-level keys are named', () => {
    expect(problemsOf({ when: 'now', trigger: 'x' })).toEqual([
      'unknown key "when" (rules take id, on, match, action, times)',
      'unknown key "trigger" (rules take id, on, match, action, times)',
    ]);
  });

  test('on: missing, empty, or not strings', () => {
    const msg = 'on must be a trigger or a list of triggers, e.g. "order.create" or "/v5/order/cancel"';
    for (const on of [undefined, '', [], [''], ['order.create', 3], 7, { a: 1 }])
      expect(problemsOf({ on }), JSON.stringify(on)).toEqual([msg]);
  });

  test('id: pattern and length', () => {
    const msg = 'id must be 1-64 letters, digits, "_", "-" or "."';
    for (const id of ['', 'has space', 'slash/no', 'x'.repeat(65), 5, null])
      expect(problemsOf({ id }), JSON.stringify(id)).toEqual([msg]);
    expect(problemsOf({ id: 'x'.repeat(64) })).toEqual([]);
  });

  test('times: whole number >= 1', () => {
    const msg = 'times must be a whole number >= 1 (leave it out for "until removed")';
    for (const times of [0, -1, 1.5, '2', null, Infinity, Number.MAX_SAFE_INTEGER + 1])
      expect(problemsOf({ times }), JSON.stringify(times)).toEqual([msg]);
    expect(problemsOf({ times: 1 })).toEqual([]);
  });

  test('match: an object of known string keys, params an object of scalars', () => {
    for (const match of [null, 'x', []]) expect(problemsOf({ match })).toEqual(['match must be an object']);
    expect(problemsOf({ match: { price: '1' } })).toEqual([
      'match.price is not a match key (account, symbol, category, side, orderType, orderLinkId, params)',
    ]);
    for (const k of ['account', 'symbol', 'category', 'side', 'orderType', 'orderLinkId'])
      expect(problemsOf({ match: { [k]: 1 } })).toEqual([`match.${k} must be a string`]);
    for (const params of [null, 'x', [1]])
      expect(problemsOf({ match: { params } })).toEqual(['match.params must be an object']);
    expect(problemsOf({ match: { params: { reduceOnly: { a: 1 } } } })).toEqual([
      'match.params.reduceOnly must be a string, number or boolean',
    ]);
  });

  test('action: required, an object, not empty, known keys only', () => {
    const required =
      'action is required: an object with delayMs, fail, respond, hold, fills, reject or events';
    expect(ruleProblems({ on: 'order.create' })).toEqual([required]);
    for (const action of [null, 'fail', [], 1])
      expect(problemsOf({ action }), JSON.stringify(action)).toEqual([required]);
    expect(problemsOf({ action: {} })).toEqual(['action is empty']);
    expect(problemsOf({ action: { hold: true, explode: 1 } })).toEqual([
      'action.explode is not an action (delayMs, fail, respond, hold, fills, reject, events)',
    ]);
  });

  test('several problems are all reported', () => {
    expect(ruleProblems({ on: '', id: '', times: 0, action: {} })).toEqual([
      'on must be a trigger or a list of triggers, e.g. "order.create" or "/v5/order/cancel"',
      'id must be 1-64 letters, digits, "_", "-" or "."',
      'times must be a whole number >= 1 (leave it out for "until removed")',
      'action is empty',
    ]);
  });

  test('action.delayMs: ms from 0 to a day, or an ordered [min, max]', () => {
    const msg = 'action.delayMs must be ms (0 to one day) or [min, max]';
    for (const delayMs of [-1, 1.5, 86_400_001, '10', [10], [10, 5], [0, 1, 2], [-1, 5], [0, 86_400_001]])
      expect(problemsOf({ action: { delayMs } }), JSON.stringify(delayMs)).toEqual([msg]);
  });

  test('action.fail: a Bybit error or an HTTP status', () => {
    const msg = 'action.fail needs {retCode, retMsg} or {httpStatus, body?}';
    for (const fail of [
      null,
      'boom',
      {},
      { retCode: 10006 },
      { retMsg: 'x' },
      { retCode: '10006', retMsg: 'x' },
      { retCode: 1.5, retMsg: 'x' },
      { httpStatus: 99 },
      { httpStatus: 600 },
      { httpStatus: 500.5 },
      { httpStatus: '500' },
    ])
      expect(ruleProblems({ on: 'order.create', action: { fail } }), JSON.stringify(fail)).toEqual([msg]);
    // retCode 0 is a success, not a failure.
    expect(ruleProblems({ on: 'order.create', action: { fail: { retCode: 0, retMsg: 'OK' } } })).toEqual([
      'action.fail.retCode must not be 0 (use respond for a success)',
    ]);
  });

  test('action.respond needs {result}', () => {
    for (const respond of [null, 'x', {}, { results: 1 }])
      expect(ruleProblems({ on: 'x', action: { respond } }), JSON.stringify(respond)).toEqual([
        'action.respond needs {result}',
      ]);
  });

  test('action.hold must be a boolean', () => {
    for (const hold of ['true', 1, null])
      expect(problemsOf({ action: { hold } })).toEqual(['action.hold must be true or false']);
  });

  test('action.fills: a non-empty list of well-formed steps', () => {
    const list = 'action.fills must be a non-empty list of steps';
    for (const fills of [[], {}, 'all', null])
      expect(problemsOf({ action: { fills } }), JSON.stringify(fills)).toEqual([list]);
    const step = (s: unknown) => problemsOf({ action: { fills: [{ afterMs: 0 }, s] } });
    expect(step(null)).toEqual(['action.fills[1].afterMs must be ms (0 to one day)']);
    expect(step({})).toEqual(['action.fills[1].afterMs must be ms (0 to one day)']);
    expect(step({ afterMs: -5 })).toEqual(['action.fills[1].afterMs must be ms (0 to one day)']);
    expect(step({ afterMs: 86_400_001 })).toEqual(['action.fills[1].afterMs must be ms (0 to one day)']);
    expect(step({ afterMs: 1, qty: '1', ratio: '0.5' })).toEqual([
      'action.fills[1] takes qty or ratio, not both',
    ]);
    // A number, zero, negative, not a decimal, or a form the fill cannot read later.
    for (const qty of [1, '0', '-1', 'abc', '', '+1', ' 1', '1e3'])
      expect(step({ afterMs: 1, qty }), JSON.stringify(qty)).toEqual([
        'action.fills[1].qty must be a decimal string > 0',
      ]);
    for (const ratio of [0.5, '0', '1.01', '-0.5', 'half', '+0.5', ' 0.5'])
      expect(step({ afterMs: 1, ratio }), JSON.stringify(ratio)).toEqual([
        'action.fills[1].ratio must be a decimal string in (0, 1]',
      ]);
    for (const price of [50000, '0', '-1', 'best', 'Market', '+50000', ' 50000'])
      expect(step({ afterMs: 1, price }), JSON.stringify(price)).toEqual([
        'action.fills[1].price must be a decimal string or "market"',
      ]);
    expect(step({ afterMs: 1, qty: '.5', price: '50000.' })).toEqual([]);
  });

  test('action.reject: afterMs, status, reason', () => {
    const r = (reject: unknown) => problemsOf({ action: { reject } });
    for (const reject of [null, {}, { afterMs: -1 }, { afterMs: '5' }])
      expect(r(reject), JSON.stringify(reject)).toEqual(['action.reject.afterMs must be ms (0 to one day)']);
    expect(r({ afterMs: 0, status: 'Filled' })).toEqual([
      'action.reject.status must be Rejected or Cancelled',
    ]);
    for (const reason of ['NoError', 'EC_', 3, 'EC_NoSuchReason'])
      expect(r({ afterMs: 0, reason }), JSON.stringify(reason)).toEqual([
        'action.reject.reason must be a rejectReason such as EC_NoError',
      ]);
    for (const reason of [
      'EC_NoError',
      'EC_PostOnlyWillTakeLiquidity',
      'EC_NoImmediateQtyToFill',
      'EC_CancelForNoFullFill',
      'EC_ReachMarketPriceLimit',
      'EC_ByAdmin',
    ])
      expect(r({ afterMs: 0, status: 'Rejected', reason })).toEqual([]);
  });

  test('action.events: a list of {topic, data, afterMs?}', () => {
    const e = (events: unknown) => problemsOf({ action: { events } });
    expect(e({ topic: 'order', data: [] })).toEqual([
      'action.events must be a list of {topic, data, afterMs?}',
    ]);
    expect(e([null])).toEqual(['action.events[0].topic is required', 'action.events[0].data must be a list']);
    expect(
      e([
        { topic: 'order', data: [] },
        { topic: '', data: [] },
      ]),
    ).toEqual(['action.events[1].topic is required']);
    expect(e([{ topic: 'order', data: {} }])).toEqual(['action.events[0].data must be a list']);
    expect(e([{ topic: 'order', data: [], afterMs: -1 }])).toEqual(['action.events[0].afterMs must be ms']);
  });

  test('conflicting actions', () => {
    expect(ruleProblems({ on: 'x', action: { fail: FAIL.fail, respond: { result: {} } } })).toEqual([
      'action takes fail or respond, not both',
    ]);
    const post = 'hold, fills and reject need the order accepted: they cannot go with fail or respond';
    expect(problemsOf({ action: { hold: true, fail: FAIL.fail } })).toEqual([post]);
    expect(problemsOf({ action: { fills: [{ afterMs: 0 }], respond: { result: {} } } })).toEqual([post]);
    expect(problemsOf({ action: { reject: { afterMs: 0 }, fail: { httpStatus: 500 } } })).toEqual([post]);
    // Delays and events go with anything.
    expect(problemsOf({ action: { delayMs: 5, events: [], fail: FAIL.fail } })).toEqual([]);
  });
});

// ---- glob ------------------------------------------------------------------------------------------

test('globMatches: * any run, ? one character, everything else literal', () => {
  expect(globMatches('bot-*', 'bot-')).toBe(true);
  expect(globMatches('bot-*', 'bot-123')).toBe(true);
  expect(globMatches('bot-*', 'xbot-123')).toBe(false);
  expect(globMatches('*-tp', 'a-b-tp')).toBe(true);
  expect(globMatches('a?c', 'abc')).toBe(true);
  expect(globMatches('a?c', 'ac')).toBe(false);
  expect(globMatches('a?c', 'abbc')).toBe(false);
  expect(globMatches('*', '')).toBe(true);
  expect(globMatches('exact', 'exact')).toBe(true);
  expect(globMatches('exact', 'exactly')).toBe(false);
  // Regex metacharacters are literal.
  expect(globMatches('a.b', 'a.b')).toBe(true);
  expect(globMatches('a.b', 'axb')).toBe(false);
  expect(globMatches('(x)+[y]{2}|z^$\\', '(x)+[y]{2}|z^$\\')).toBe(true);
  expect(globMatches('x+', 'xx')).toBe(false);
});

// ---- triggers and matching ---------------------------------------------------------------------------

describe('matching', () => {
  test('a REST path and its WS op are aliases, both ways, for the six order endpoints', () => {
    const pairs = [
      ['/v5/order/create', 'order.create'],
      ['/v5/order/amend', 'order.amend'],
      ['/v5/order/cancel', 'order.cancel'],
      ['/v5/order/create-batch', 'order.create-batch'],
      ['/v5/order/amend-batch', 'order.amend-batch'],
      ['/v5/order/cancel-batch', 'order.cancel-batch'],
    ] as const;
    for (const [path, op] of pairs) {
      for (const on of [path, op]) {
        for (const trigger of [path, op]) {
          const b = book([{ on, action: FAIL }]);
          expect(b.take(ctx({ trigger })), `${on} vs ${trigger}`).toBeDefined();
        }
      }
    }
    // Not across endpoints.
    const b = book([{ on: 'order.create', action: FAIL }]);
    for (const trigger of ['order.amend', '/v5/order/cancel', '/v5/order/create-batch', '/v5/order/realtime'])
      expect(b.take(ctx({ trigger })), trigger).toBeUndefined();
  });

  test('other triggers match only themselves; "*" matches everything; a list matches any', () => {
    const b = book([{ on: '/v5/position/set-leverage', action: FAIL }]);
    expect(b.take(ctx({ trigger: '/v5/position/set-leverage' }))).toBeDefined();
    expect(b.take(ctx({ trigger: '/v5/order/create' }))).toBeUndefined();
    const any = book([{ on: '*', action: FAIL }]);
    for (const trigger of ['/v5/order/create', 'order.cancel', '/v5/account/wallet-balance', 'auth'])
      expect(any.take(ctx({ trigger })), trigger).toBeDefined();
    const list = book([{ on: ['order.amend', '/v5/order/cancel'], action: FAIL }]);
    expect(list.take(ctx({ trigger: '/v5/order/amend' }))).toBeDefined();
    expect(list.take(ctx({ trigger: 'order.cancel' }))).toBeDefined();
    expect(list.take(ctx({ trigger: 'order.create' }))).toBeUndefined();
    // Names that happen to be Object.prototype members are ordinary strings.
    const proto = book([{ on: 'constructor', action: FAIL }]);
    expect(proto.take(ctx({ trigger: 'toString' }))).toBeUndefined();
    expect(proto.take(ctx({ trigger: 'constructor' }))).toBeDefined();
  });

  test('match.account: the account name or its API key', () => {
    for (const account of ['main', 'main-key']) {
      const b = book([{ on: '*', match: { account }, action: FAIL }]);
      expect(b.take(ctx()), account).toBeDefined();
      expect(b.take(ctx({ account: 'other', apiKey: 'other-key' })), account).toBeUndefined();
    }
  });

  test('match.symbol, category, side, orderType: exact strings', () => {
    const cases: [Record<string, string>, Record<string, unknown>][] = [
      [{ symbol: 'BTCUSDT' }, { symbol: 'ETHUSDT' }],
      [{ category: 'linear' }, { category: 'spot' }],
      [{ side: 'Buy' }, { side: 'Sell' }],
      [{ orderType: 'Limit' }, { orderType: 'Market' }],
    ];
    for (const [match, other] of cases) {
      const b = book([{ on: '*', match, action: FAIL }]);
      expect(b.take(ctx()), JSON.stringify(match)).toBeDefined();
      const base = ctx().params;
      expect(b.take(ctx({ params: { ...base, ...other } })), JSON.stringify(other)).toBeUndefined();
      const missing = { ...base };
      delete missing[Object.keys(match)[0]!];
      expect(b.take(ctx({ params: missing })), `without ${Object.keys(match)[0]}`).toBeUndefined();
    }
    // Case matters.
    expect(book([{ on: '*', match: { side: 'buy' }, action: FAIL }]).take(ctx())).toBeUndefined();
    // Every key must match.
    const all = book([{ on: '*', match: { symbol: 'BTCUSDT', side: 'Sell' }, action: FAIL }]);
    expect(all.take(ctx())).toBeUndefined();
  });

  test('match.orderLinkId: a glob; no orderLinkId never matches', () => {
    const b = book([{ on: '*', match: { orderLinkId: 'tp-??-*' }, action: FAIL }]);
    const p = ctx().params;
    expect(b.take(ctx({ params: { ...p, orderLinkId: 'tp-01-abc' } }))).toBeDefined();
    expect(b.take(ctx({ params: { ...p, orderLinkId: 'tp-1-abc' } }))).toBeUndefined();
    expect(b.take(ctx({ params: { ...p, orderLinkId: 'sl-01-abc' } }))).toBeUndefined();
    expect(b.take(ctx())).toBeUndefined();
  });

  test('match.params: compared as strings; an absent parameter never matches', () => {
    const b = book([
      { on: '*', match: { params: { reduceOnly: true, positionIdx: 0, timeInForce: 'GTC' } }, action: FAIL },
    ]);
    const p = ctx().params;
    expect(
      b.take(ctx({ params: { ...p, reduceOnly: true, positionIdx: 0, timeInForce: 'GTC' } })),
    ).toBeDefined();
    expect(
      b.take(ctx({ params: { ...p, reduceOnly: 'true', positionIdx: '0', timeInForce: 'GTC' } })),
    ).toBeDefined();
    expect(
      b.take(ctx({ params: { ...p, reduceOnly: false, positionIdx: 0, timeInForce: 'GTC' } })),
    ).toBeUndefined();
    expect(
      b.take(ctx({ params: { ...p, reduceOnly: true, positionIdx: 1, timeInForce: 'GTC' } })),
    ).toBeUndefined();
    expect(b.take(ctx({ params: { ...p, reduceOnly: true, positionIdx: 0 } }))).toBeUndefined();
    // "undefined" is not a wildcard for a missing parameter.
    const u = book([{ on: '*', match: { params: { takeProfit: 'undefined' } }, action: FAIL }]);
    expect(u.take(ctx())).toBeUndefined();
  });
});

// ---- the book ----------------------------------------------------------------------------------------

describe('RuleBook', () => {
  test('first match wins, in scenario order; ids are given to unnamed rules', () => {
    const b = book([
      { id: 'eth', on: '*', match: { symbol: 'ETHUSDT' }, action: FAIL },
      { on: '*', action: { delayMs: 5 } },
      { on: '*', action: { hold: true } },
    ]);
    expect(b.list().map((r) => [r.id, r.source])).toEqual([
      ['eth', 'scenario'],
      ['rule-1', 'scenario'],
      ['rule-2', 'scenario'],
    ]);
    expect(b.take(ctx())?.id).toBe('rule-1');
    expect(b.take(ctx({ params: { symbol: 'ETHUSDT' } }))?.id).toBe('eth');
    expect(b.list().map((r) => r.hits)).toEqual([1, 1, 0]);
    expect(b.size).toBe(3);
  });

  test('admin additions go first, the latest first', () => {
    const b = book([{ id: 's', on: '*', action: FAIL }]);
    b.add({ id: 'a1', on: '*', action: FAIL });
    const a2 = b.add({ on: 'order.create', action: FAIL });
    expect(a2).toMatchObject({ on: ['order.create'], source: 'admin', hits: 0, remaining: Infinity });
    expect(b.list().map((r) => r.id)).toEqual([a2.id, 'a1', 's']);
    expect(b.take(ctx())?.id).toBe(a2.id);
    expect(b.take(ctx({ trigger: 'order.cancel' }))?.id).toBe('a1');
  });

  test('times N: applies N times, then is exhausted and the next rule matches', () => {
    const b = book([
      { id: 'twice', on: 'order.create', action: FAIL, times: 2 },
      { id: 'always', on: '*', action: { delayMs: 1 } },
    ]);
    expect(b.list()[0]).toMatchObject({ remaining: 2, hits: 0 });
    expect(b.take(ctx())?.id).toBe('twice');
    expect(b.take(ctx())?.id).toBe('twice');
    expect(b.list()[0]).toMatchObject({ remaining: 0, hits: 2 });
    expect(b.take(ctx())?.id).toBe('always');
    expect(b.take(ctx())?.id).toBe('always');
    expect(b.list()[1]).toMatchObject({ remaining: Infinity, hits: 2 });
    // An exhausted rule stays listed until removed or reset.
    expect(b.size).toBe(2);
    const once = book([{ on: '*', action: FAIL, times: 1 }]);
    expect(once.take(ctx())).toBeDefined();
    expect(once.take(ctx())).toBeUndefined();
  });

  test('a non-matching request does not consume a lifetime', () => {
    const b = book([{ id: 'r', on: 'order.cancel', action: FAIL, times: 1 }]);
    expect(b.take(ctx())).toBeUndefined();
    expect(b.list()[0]).toMatchObject({ remaining: 1, hits: 0 });
  });

  test('reset: the scenario rules again, fresh lifetimes, admin rules gone', () => {
    const b = book([
      { id: 's1', on: '*', action: FAIL, times: 1 },
      { on: '*', action: FAIL },
    ]);
    b.add({ id: 'admin', on: 'order.cancel', action: FAIL });
    expect(b.take(ctx())?.id).toBe('s1');
    expect(b.take(ctx())?.id).toBe('rule-1');
    expect(b.remove('rule-1')).toBe(true);
    b.reset();
    expect(
      b.list().map((r) => ({ id: r.id, remaining: r.remaining, hits: r.hits, source: r.source })),
    ).toEqual([
      { id: 's1', remaining: 1, hits: 0, source: 'scenario' },
      { id: 'rule-1', remaining: Infinity, hits: 0, source: 'scenario' },
    ]);
    expect(b.take(ctx({ trigger: 'order.cancel' }))?.id).toBe('s1');
  });

  test('the book does not share state with the specs it was given', () => {
    const specs: RuleSpec[] = [{ id: 's', on: ['order.create'], action: FAIL, times: 1 }];
    const b = book(specs);
    b.take(ctx());
    b.list()[0]!.on.push('order.cancel');
    b.reset();
    expect(b.list()[0]).toMatchObject({ on: ['order.create'], remaining: 1, hits: 0 });
    expect(specs[0]!.on).toEqual(['order.create']);
  });

  test('a duplicate id is refused; remove frees it', () => {
    const b = book([{ id: 's', on: '*', action: FAIL }]);
    expect(() => b.add({ id: 's', on: '*', action: FAIL })).toThrow(/"s" exists/);
    b.add({ id: 'a', on: '*', action: FAIL });
    expect(() => b.add({ id: 'a', on: '*', action: FAIL })).toThrow(/"a" exists/);
    expect(b.size).toBe(2);
    expect(b.remove('a')).toBe(true);
    expect(b.remove('a')).toBe(false);
    expect(b.add({ id: 'a', on: '*', action: FAIL }).id).toBe('a');
  });

  test('generated ids never collide with given ones', () => {
    const b = book([
      { id: 'rule-1', on: '*', action: FAIL },
      { on: '*', action: FAIL },
    ]);
    b.add({ id: 'rule-3', on: '*', action: FAIL });
    b.add({ on: '*', action: FAIL });
    b.add({ on: '*', action: FAIL });
    const ids = b.list().map((r) => r.id);
    expect(new Set(ids).size).toBe(ids.length);
    // Removing one generated id removes exactly one rule.
    expect(b.remove(ids[0]!)).toBe(true);
    expect(b.size).toBe(4);
    // A scenario id later in the list is not handed to an earlier unnamed rule.
    const s = book([
      { on: '*', action: FAIL },
      { id: 'rule-1', on: '*', action: FAIL },
    ]);
    expect(s.list().map((r) => r.id)).toEqual(['rule-2', 'rule-1']);
    s.reset();
    expect(s.list().map((r) => r.id)).toEqual(['rule-2', 'rule-1']);
  });

  test('delayOf: fixed, absent, or a seeded draw within [min, max]', () => {
    const b = book();
    expect(b.delayOf({})).toBe(0);
    expect(b.delayOf({ delayMs: 250 })).toBe(250);
    expect(b.delayOf({ delayMs: [40, 40] })).toBe(40);
    const draws = (seed: number) => {
      const rb = book([], seed);
      return Array.from({ length: 200 }, () => rb.delayOf({ delayMs: [100, 110] }));
    };
    const a = draws(42);
    expect(draws(42)).toEqual(a);
    expect(draws(43)).not.toEqual(a);
    for (const d of a) {
      expect(Number.isInteger(d)).toBe(true);
      expect(d).toBeGreaterThanOrEqual(100);
      expect(d).toBeLessThanOrEqual(110);
    }
    // Both ends are reachable.
    expect(new Set(a)).toEqual(new Set([100, 101, 102, 103, 104, 105, 106, 107, 108, 109, 110]));
  });
});
