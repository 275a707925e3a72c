/**
 * Property-based tests of the trading engine: random sequences of create / amend / cancel /
 * leverage / mode / clock-advance commands from two accounts on linear and spot BTCUSDT, checked
 * after every command for conservation of funds, non-negative balances and locks, execution and
 * position bookkeeping, legal status transitions, refusals that change nothing (ids included)
 * and determinism.
 */
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import type { Account } from '../../src/core/accounts/account.js';
import { ManualClock } from '../../src/core/clock.js';
import { Big, ZERO, fromInt, type Big as BigT } from '../../src/core/decimal.js';
import { ExchangeError } from '../../src/core/errors.js';
import { Exchange } from '../../src/core/exchange.js';
import { Params } from '../../src/core/params.js';
import type { ExchangeSeed } from '../../src/core/seed.js';
import { LEGAL_TRANSITIONS, type OrderStatus } from '../../src/core/trading/model.js';
import { closedPnlView } from '../../src/core/views/trading-views.js';
import { btcInstrument } from '../support/seeds.js';

const START = Date.UTC(2026, 0, 1, 12, 0, 0);
const TICK_MS = 60_000;
const ACCOUNTS = ['main', 'other'] as const;
const BALANCES: Record<(typeof ACCOUNTS)[number], Record<string, string>> = {
  main: { USDT: '600', BTC: '0.05' },
  other: { USDT: '40000', BTC: '0.8' },
};

function makeSeed(): ExchangeSeed {
  return {
    seed: 11,
    startTime: START,
    instruments: [btcInstrument('linear'), btcInstrument('spot')],
    markets: {
      BTCUSDT: {
        price: '65000',
        volatility: 0.8,
        tickIntervalMs: TICK_MS,
        tradesPerTick: 2,
        tradeQty: '0.01',
        book: { depth: 6, spreadTicks: 2, levelGapTicks: 3, levelQty: '0.01' },
        fundingRate: '0.0001',
      },
    },
    accounts: ACCOUNTS.map((name) => ({
      name,
      apiKey: `key-${name}`,
      apiSecret: `secret-${name}`,
      permissions: 'trade' as const,
      balances: BALANCES[name],
      positions: [],
      leverage: {},
    })),
  };
}

// ---- commands -------------------------------------------------------------------------------

type Side = 'Buy' | 'Sell';
type Tif = 'GTC' | 'IOC' | 'FOK' | 'PostOnly';

type Cmd =
  | {
      k: 'linear';
      acct: number;
      side: Side;
      type: 'Market' | 'Limit';
      steps: number;
      off: number;
      tif: Tif;
      reduceOnly: boolean;
      link: string | undefined;
      /** -1: the index the account's mode expects (hedge: 1 for Buy, 2 for Sell). */
      idx: -1 | 0 | 1 | 2;
      trig: { off: number; dir: 0 | 1 | 2 } | undefined;
      tp: number | undefined;
      sl: number | undefined;
      /** triggerBy, tpTriggerBy and slTriggerBy */
      by: string;
    }
  | {
      k: 'spot';
      acct: number;
      side: Side;
      type: 'Market' | 'Limit';
      steps: number;
      off: number;
      tif: Tif;
      quote: boolean;
      link: string | undefined;
      trig: { off: number; dir: 0 | 1 | 2 } | undefined;
    }
  | {
      k: 'amend';
      acct: number;
      pick: number;
      steps: number | undefined;
      off: number | undefined;
      trig: number | undefined;
    }
  /** TP/SL on the position (idx 2: the short side in hedge mode). */
  | { k: 'stop'; acct: number; idx: 0 | 1 | 2; tp: number | undefined; sl: number | undefined }
  | { k: 'cancel'; acct: number; pick: number }
  | { k: 'advance'; ticks: number }
  | { k: 'leverage'; acct: number; lev: string }
  | { k: 'mode'; acct: number; mode: 0 | 3 };

/** `arb` about once in `n` draws, else undefined. */
function sometimes<T>(arb: fc.Arbitrary<T>, n: number): fc.Arbitrary<T | undefined> {
  return fc.oneof({ arbitrary: fc.constant(undefined), weight: n - 1 }, { arbitrary: arb, weight: 1 });
}

const side = fc.constantFrom<Side>('Buy', 'Sell');
const tif = fc.constantFrom<Tif>('GTC', 'GTC', 'GTC', 'IOC', 'FOK', 'PostOnly');
const link = sometimes(fc.constantFrom('a', 'b', 'c', 'd'), 3);
const acct = fc.nat(1);

const linearCmd: fc.Arbitrary<Cmd> = fc
  .record({
    k: fc.constant('linear' as const),
    acct,
    side,
    type: fc.constantFrom('Market' as const, 'Limit' as const, 'Limit' as const),
    steps: fc.oneof(fc.integer({ min: 1, max: 60 }), fc.integer({ min: 1, max: 400 })),
    // near the spread (account orders meet each other) or anywhere within ~2 %
    off: fc.oneof(fc.integer({ min: -4, max: 4 }), fc.integer({ min: -1500, max: 1500 })),
    tif,
    reduceOnly: fc.boolean(),
    link,
    idx: fc.constantFrom<0 | 1 | 2>(0, 0, 0, 0, 1, 2),
    trig: sometimes(
      fc.record({ off: fc.integer({ min: -3000, max: 3000 }), dir: fc.constantFrom<0 | 1 | 2>(0, 0, 1, 2) }),
      6,
    ),
    tp: sometimes(fc.integer({ min: -5000, max: 5000 }), 5),
    sl: sometimes(fc.integer({ min: -5000, max: 5000 }), 5),
    by: fc.constantFrom('LastPrice', 'LastPrice', 'MarkPrice', 'IndexPrice'),
    mismatch: fc.nat(20),
  })
  .map(({ mismatch, ...c }) => ({
    ...c,
    // mostly valid combinations, so the engine gets past validation
    tif: c.type === 'Market' && c.tif === 'PostOnly' ? ('IOC' as const) : c.tif,
    reduceOnly: c.reduceOnly && mismatch % 3 === 0,
    tp: c.reduceOnly && mismatch % 3 === 0 ? undefined : c.tp,
    sl: c.reduceOnly && mismatch % 3 === 0 ? undefined : c.sl,
    // 'auto' position index unless asked to mismatch: 0 one-way; hedge by side
    idx: mismatch === 0 ? c.idx : (-1 as const),
  }));

const spotCmd: fc.Arbitrary<Cmd> = fc
  .record({
    k: fc.constant('spot' as const),
    acct,
    side,
    type: fc.constantFrom('Market' as const, 'Limit' as const, 'Limit' as const),
    steps: fc.integer({ min: 20, max: 40_000 }),
    off: fc.oneof(fc.integer({ min: -3, max: 3 }), fc.integer({ min: -15_000, max: 15_000 })),
    tif,
    quote: fc.boolean(),
    link,
    trig: sometimes(
      fc.record({
        off: fc.integer({ min: -30_000, max: 30_000 }),
        dir: fc.constantFrom<0 | 1 | 2>(0, 0, 1, 2),
      }),
      8,
    ),
  })
  .map((c) => ({ ...c, tif: c.type === 'Market' && c.tif === 'PostOnly' ? ('IOC' as const) : c.tif }));

const cmdArb: fc.Arbitrary<Cmd> = fc.oneof(
  { arbitrary: linearCmd, weight: 8 },
  { arbitrary: spotCmd, weight: 4 },
  {
    arbitrary: fc.record({
      k: fc.constant('amend' as const),
      acct,
      pick: fc.nat(50),
      steps: sometimes(fc.integer({ min: 1, max: 60 }), 2),
      off: sometimes(fc.oneof(fc.integer({ min: -4, max: 4 }), fc.integer({ min: -1500, max: 1500 })), 2),
      trig: sometimes(fc.integer({ min: -3000, max: 3000 }), 4),
    }),
    weight: 3,
  },
  {
    arbitrary: fc.record({
      k: fc.constant('stop' as const),
      acct,
      idx: fc.constantFrom<0 | 1 | 2>(0, 0, 1, 2),
      tp: sometimes(fc.integer({ min: -3000, max: 3000 }), 2),
      sl: sometimes(fc.integer({ min: -3000, max: 3000 }), 2),
    }),
    weight: 1,
  },
  { arbitrary: fc.record({ k: fc.constant('cancel' as const), acct, pick: fc.nat(50) }), weight: 2 },
  {
    arbitrary: fc.record({
      k: fc.constant('advance' as const),
      ticks: fc.oneof(fc.integer({ min: 1, max: 6 }), fc.integer({ min: 1, max: 6 }), fc.constant(300)),
    }),
    weight: 5,
  },
  {
    arbitrary: fc.record({
      k: fc.constant('leverage' as const),
      acct,
      lev: fc.constantFrom('5', '10', '50', '100', '100', '100'),
    }),
    weight: 2,
  },
  {
    arbitrary: fc.record({ k: fc.constant('mode' as const), acct, mode: fc.constantFrom<0 | 3>(0, 3) }),
    weight: 1,
  },
);

const cmdsArb = fc.array(cmdArb, { minLength: 1, maxLength: 35 });

// ---- the harness ----------------------------------------------------------------------------

interface Placed {
  orderId: string;
  category: 'linear' | 'spot';
}

/** Reachable statuses, for statuses collapsed into one published update per command. */
const REACH: Record<OrderStatus, Set<OrderStatus>> = (() => {
  const out = {} as Record<OrderStatus, Set<OrderStatus>>;
  for (const from of Object.keys(LEGAL_TRANSITIONS) as OrderStatus[]) {
    const seen = new Set<OrderStatus>();
    const todo = [...LEGAL_TRANSITIONS[from]];
    while (todo.length > 0) {
      const s = todo.pop()!;
      if (seen.has(s)) continue;
      seen.add(s);
      todo.push(...LEGAL_TRANSITIONS[s]);
    }
    out[from] = seen;
  }
  return out;
})();

class Harness {
  readonly clock = new ManualClock(START);
  readonly ex: Exchange;
  readonly accounts: Account[];
  readonly placed: Placed[][] = [[], []];
  /** Last published status per orderId. */
  readonly statuses = new Map<string, OrderStatus>();
  readonly transitionErrors: string[] = [];
  /** execId -> times published. */
  readonly published = new Map<string, number>();
  readonly log: string[] = [];

  constructor() {
    this.ex = new Exchange(makeSeed(), this.clock);
    this.accounts = ACCOUNTS.map((n) => this.ex.findAccount(n)!);
    this.ex.bus.on('trading', (u) => {
      for (const o of u.orders) {
        const prev = this.statuses.get(o.orderId);
        const ok =
          prev === undefined
            ? o.status === 'New' || o.status === 'Untriggered' || REACH.New.has(o.status)
            : prev === o.status || REACH[prev].has(o.status);
        if (!ok) this.transitionErrors.push(`${o.orderId}: ${prev ?? '(new)'} -> ${o.status}`);
        this.statuses.set(o.orderId, o.status);
      }
      for (const e of u.executions) this.published.set(e.execId, (this.published.get(e.execId) ?? 0) + 1);
    });
    this.ex.start();
  }

  private price(category: 'linear' | 'spot', off: number): string {
    const m = this.ex.market(category, 'BTCUSDT');
    const ticks = Math.max(1, m.lastTicks + off);
    return fromInt(ticks).times(m.instrument.tickSize).toFixed();
  }

  private autoIdx(acct: number, side: Side, closing: boolean): 0 | 1 | 2 {
    if (!this.accounts[acct]!.hedgeSymbols.has('BTCUSDT')) return 0;
    return (side === 'Buy') !== closing ? 1 : 2;
  }

  /** Mostly an open order of the account (oldest first), sometimes any order it placed. */
  private pick(acct: number, n: number): Placed | undefined {
    const open = [...this.accounts[acct]!.openOrders.values()];
    if (open.length > 0 && n % 5 !== 0) {
      const o = open[n % open.length]!;
      return { orderId: o.orderId, category: o.category };
    }
    const list = this.placed[acct]!;
    return list.length === 0 ? undefined : list[n % list.length];
  }

  /** Runs one command; returns 'ok', the refusal code, or throws on an internal error. */
  run(cmd: Cmd): string {
    try {
      const r = this.exec(cmd);
      this.log.push(`ok ${r}`);
      return 'ok';
    } catch (e) {
      if (!(e instanceof ExchangeError)) throw e;
      this.log.push(`err ${e.retCode} ${e.retMsg}`);
      return String(e.retCode);
    }
  }

  private exec(cmd: Cmd): string {
    const ex = this.ex;
    switch (cmd.k) {
      case 'advance':
        this.clock.advance(cmd.ticks * TICK_MS);
        return `t=${this.clock.now()}`;
      case 'leverage': {
        const lev = Big(cmd.lev);
        ex.setLeverage(this.accounts[cmd.acct]!, 'linear', 'BTCUSDT', lev, lev);
        return 'leverage';
      }
      case 'mode':
        ex.trading.switchMode(
          this.accounts[cmd.acct]!,
          new Params({ category: 'linear', symbol: 'BTCUSDT', mode: cmd.mode }),
        );
        return 'mode';
      case 'linear': {
        const p: Record<string, unknown> = {
          category: 'linear',
          symbol: 'BTCUSDT',
          side: cmd.side,
          orderType: cmd.type,
          qty: fromInt(cmd.steps).times(Big('0.001')).toFixed(),
          timeInForce: cmd.tif,
          positionIdx: cmd.idx >= 0 ? cmd.idx : this.autoIdx(cmd.acct, cmd.side, cmd.reduceOnly),
        };
        if (cmd.type === 'Limit') p.price = this.price('linear', cmd.off);
        if (cmd.reduceOnly) p.reduceOnly = true;
        if (cmd.link !== undefined) p.orderLinkId = cmd.link;
        if (cmd.trig) {
          p.triggerPrice = this.price('linear', cmd.trig.off);
          if (cmd.trig.dir !== 0) p.triggerDirection = cmd.trig.dir;
        }
        if (cmd.tp !== undefined) p.takeProfit = this.price('linear', cmd.tp);
        if (cmd.sl !== undefined) p.stopLoss = this.price('linear', cmd.sl);
        if (cmd.by !== 'LastPrice') {
          if (cmd.trig) p.triggerBy = cmd.by;
          if (cmd.tp !== undefined) p.tpTriggerBy = cmd.by;
          if (cmd.sl !== undefined) p.slTriggerBy = cmd.by;
        }
        const r = ex.trading.create(this.accounts[cmd.acct]!, new Params(p));
        this.placed[cmd.acct]!.push({ orderId: r.orderId, category: 'linear' });
        return `${r.orderId} ${r.orderLinkId}`;
      }
      case 'spot': {
        const inst = ex.instrument('spot', 'BTCUSDT');
        const byQuote = cmd.type === 'Market' && cmd.quote;
        const p: Record<string, unknown> = {
          category: 'spot',
          symbol: 'BTCUSDT',
          side: cmd.side,
          orderType: cmd.type,
          // quote-sized market orders spend steps/10 USDT (2 .. 4000)
          qty: byQuote
            ? fromInt(cmd.steps).div(Big('10')).toFixed()
            : fromInt(cmd.steps).times(inst.qtyStep).toFixed(),
          timeInForce: cmd.tif,
        };
        if (cmd.type === 'Market') p.marketUnit = byQuote ? 'quoteCoin' : 'baseCoin';
        if (cmd.type === 'Limit') p.price = this.price('spot', cmd.off);
        if (cmd.link !== undefined) p.orderLinkId = `s${cmd.link}`;
        if (cmd.trig) {
          p.triggerPrice = this.price('spot', cmd.trig.off);
          if (cmd.trig.dir !== 0) p.triggerDirection = cmd.trig.dir;
        }
        const r = ex.trading.create(this.accounts[cmd.acct]!, new Params(p));
        this.placed[cmd.acct]!.push({ orderId: r.orderId, category: 'spot' });
        return `${r.orderId} ${r.orderLinkId}`;
      }
      case 'stop': {
        const hedge = this.accounts[cmd.acct]!.hedgeSymbols.has('BTCUSDT');
        const idx = hedge ? (cmd.idx === 2 ? 2 : 1) : 0;
        const p: Record<string, unknown> = { category: 'linear', symbol: 'BTCUSDT', positionIdx: idx };
        if (cmd.tp !== undefined) p.takeProfit = this.price('linear', cmd.tp);
        if (cmd.sl !== undefined) p.stopLoss = this.price('linear', cmd.sl);
        ex.trading.tradingStop(this.accounts[cmd.acct]!, new Params(p));
        return 'stop';
      }
      case 'amend':
      case 'cancel': {
        const target = this.pick(cmd.acct, cmd.pick);
        const category = target?.category ?? 'linear';
        const p: Record<string, unknown> = {
          category,
          symbol: 'BTCUSDT',
          orderId: target?.orderId ?? 'no-such-order',
        };
        if (cmd.k === 'cancel') {
          const r = ex.trading.cancel(this.accounts[cmd.acct]!, new Params(p));
          return `cancel ${r.orderId}`;
        }
        if (cmd.steps !== undefined) {
          const step = category === 'linear' ? Big('0.001') : Big('0.0005');
          p.qty = fromInt(cmd.steps).times(step).toFixed();
        }
        if (cmd.off !== undefined)
          p.price = this.price(category, category === 'spot' ? cmd.off * 10 : cmd.off);
        if (cmd.trig !== undefined)
          p.triggerPrice = this.price(category, category === 'spot' ? cmd.trig * 10 : cmd.trig);
        const r = ex.trading.amend(this.accounts[cmd.acct]!, new Params(p));
        return `amend ${r.orderId}`;
      }
    }
  }

  /** Everything a refused request must leave untouched, as one JSON string. */
  snapshot(): string {
    const b = (x: BigT | undefined) => (x === undefined ? null : x.toFixed());
    const m = this.ex.market('linear', 'BTCUSDT');
    const s = this.ex.market('spot', 'BTCUSDT');
    const market = (mk: typeof m) => ({
      last: mk.lastTicks,
      seq: mk.seq,
      bids: mk.book.bids,
      asks: mk.book.asks,
      trades: mk.trades.length,
      lastTrade: mk.trades[mk.trades.length - 1]?.execId,
    });
    return JSON.stringify({
      time: this.clock.now(),
      markets: [market(m), market(s)],
      accounts: this.accounts.map((a) => ({
        balances: [...a.balances].map(([c, v]) => [c, b(v)]),
        locked: [...a.locked].map(([c, v]) => [c, b(v)]),
        cumRealised: [...a.cumRealised].map(([c, v]) => [c, b(v)]),
        leverage: [...a.leverage].map(([c, v]) => [c, b(v)]),
        hedge: [...a.hedgeSymbols],
        open: [...a.openOrders.keys()],
        links: [...a.ordersByLinkId.keys()],
        orders: [...a.orders.values()].map((o) => ({
          id: o.orderId,
          link: o.orderLinkId,
          status: o.status,
          price: b(o.price),
          qty: b(o.qty),
          leaves: o.leavesSteps,
          cum: [b(o.cumExecQty), b(o.cumExecValue), b(o.cumExecFee)],
          locked: b(o.locked),
          trig: b(o.triggerPrice),
          tpsl: [b(o.takeProfit), b(o.stopLoss)],
          reason: [o.rejectReason, o.cancelType],
          t: o.updatedTime,
        })),
        positions: [...a.positions].map(([k, p]) => ({
          k,
          side: p.side,
          size: b(p.size),
          entry: b(p.entryValue),
          lev: b(p.leverage),
          pnl: [b(p.curRealisedPnl), b(p.cumRealisedPnl)],
          tpsl: [b(p.takeProfit), b(p.stopLoss)],
          seq: p.seq,
        })),
        executions: a.executions.map((e) => [e.execId, e.execType, b(e.execQty), b(e.execPrice), e.execFee]),
        closedPnl: a.closedPnl.map((c) => {
          const v = closedPnlView(c);
          return [c.orderId, v.closedSize, v.closedPnl];
        }),
      })),
    });
  }

  /** The invariants (a)-(d) for every account; returns the problems found. */
  check(): string[] {
    const problems: string[] = [...this.transitionErrors];
    this.accounts.forEach((a, i) => {
      const name = ACCOUNTS[i]!;
      const start = BALANCES[name];
      // (a) funds: every coin moved exactly as the executions say.
      const expected = new Map<string, BigT>();
      const add = (coin: string, d: BigT) => expected.set(coin, (expected.get(coin) ?? ZERO).plus(d));
      for (const [c, v] of Object.entries(start)) add(c, Big(v));
      const seen = new Set<string>();
      const net = new Map<string, BigT>();
      for (const e of a.executions) {
        if (seen.has(e.execId)) problems.push(`${name}: execution ${e.execId} listed twice`);
        seen.add(e.execId);
        if ((this.published.get(e.execId) ?? 0) !== 1)
          problems.push(
            `${name}: execution ${e.execId} published ${this.published.get(e.execId) ?? 0} times`,
          );
        const inst = e.instrument;
        if (inst.category === 'linear') {
          add(inst.settleCoin, Big(e.execPnl).minus(e.execFee));
          if (e.execType !== 'Funding') {
            const key = `${inst.symbol}:${e.order!.positionIdx}`;
            const signed = e.side === 'Buy' ? e.execQty : e.execQty.neg();
            net.set(key, (net.get(key) ?? ZERO).plus(signed));
          }
        } else if (e.side === 'Buy') {
          add(inst.quoteCoin, Big(e.execValue).neg());
          add(inst.baseCoin, e.execQty.minus(e.execFee));
          if (e.feeCoin !== inst.baseCoin) problems.push(`${name}: spot buy fee in ${e.feeCoin}`);
        } else {
          add(inst.baseCoin, e.execQty.neg());
          add(inst.quoteCoin, Big(e.execValue).minus(e.execFee));
          if (e.feeCoin !== inst.quoteCoin) problems.push(`${name}: spot sell fee in ${e.feeCoin}`);
        }
      }
      const coins = new Set([...expected.keys(), ...a.balances.keys(), ...a.locked.keys()]);
      for (const c of coins) {
        const bal = a.balance(c);
        const want = expected.get(c) ?? ZERO;
        if (!bal.eq(want))
          problems.push(`${name}: ${c} wallet ${bal.toFixed()} but executions say ${want.toFixed()}`);
        // (b) nothing negative, locks within the balance
        const locked = a.lockedOf(c);
        if (bal.lt(ZERO)) problems.push(`${name}: ${c} wallet negative ${bal.toFixed()}`);
        if (locked.lt(ZERO)) problems.push(`${name}: ${c} locked negative ${locked.toFixed()}`);
        if (locked.gt(bal))
          problems.push(`${name}: ${c} locked ${locked.toFixed()} > wallet ${bal.toFixed()}`);
      }
      // locks are the sum of the open orders' locks
      const lockSum = new Map<string, BigT>();
      for (const o of a.openOrders.values()) {
        if (o.locked.gt(ZERO)) lockSum.set(o.lockedCoin, (lockSum.get(o.lockedCoin) ?? ZERO).plus(o.locked));
      }
      for (const c of coins) {
        if (!a.lockedOf(c).eq(lockSum.get(c) ?? ZERO))
          problems.push(
            `${name}: ${c} locked ${a.lockedOf(c).toFixed()} but open orders hold ${(lockSum.get(c) ?? ZERO).toFixed()}`,
          );
      }
      for (const o of a.orders.values()) {
        if (!a.openOrders.has(o.orderId) && o.locked.gt(ZERO))
          problems.push(`${name}: closed order ${o.orderId} still locks ${o.locked.toFixed()}`);
        const open = o.status === 'New' || o.status === 'PartiallyFilled' || o.status === 'Untriggered';
        if (open !== a.openOrders.has(o.orderId))
          problems.push(
            `${name}: order ${o.orderId} status ${o.status} but open=${a.openOrders.has(o.orderId)}`,
          );
      }
      // (c) positions are the net of their fills
      const keys = new Set([...net.keys(), ...a.positions.keys()]);
      for (const k of keys) {
        const pos = a.positions.get(k);
        const signed = !pos || pos.side === '' ? ZERO : pos.side === 'Buy' ? pos.size : pos.size.neg();
        const want = net.get(k) ?? ZERO;
        if (!signed.eq(want))
          problems.push(`${name}: position ${k} is ${signed.toFixed()} but fills net ${want.toFixed()}`);
        if (pos && pos.size.eq(ZERO) !== (pos.side === ''))
          problems.push(`${name}: position ${k} side/size mismatch`);
      }
      // orders' cumulative fields are the sums of their executions
      const perOrder = new Map<string, [BigT, BigT, BigT]>();
      for (const e of a.executions) {
        if (!e.order) continue;
        const s = perOrder.get(e.order.orderId) ?? [ZERO, ZERO, ZERO];
        perOrder.set(e.order.orderId, [s[0].plus(e.execQty), s[1].plus(e.execValue), s[2].plus(e.execFee)]);
      }
      for (const o of a.orders.values()) {
        const s = perOrder.get(o.orderId) ?? [ZERO, ZERO, ZERO];
        if (!o.cumExecQty.eq(s[0]) || !o.cumExecValue.eq(s[1]) || !o.cumExecFee.eq(s[2]))
          problems.push(`${name}: order ${o.orderId} cum fields differ from its executions`);
      }
    });
    for (const [id, n] of this.published) {
      if (n !== 1) problems.push(`execution ${id} published ${n} times`);
      if (!this.accounts.some((a) => a.executions.some((e) => e.execId === id)))
        problems.push(`published execution ${id} is not listed`);
    }
    return problems;
  }

  /** A fixed order whose id shows where the id streams stand. */
  probeIds(): string[] {
    const a = this.accounts[1]!;
    const ids: string[] = [];
    for (const category of ['linear', 'spot'] as const) {
      const price = category === 'linear' ? '1000' : '1000.00';
      const qty = category === 'linear' ? '0.01' : '0.01';
      const r = this.ex.trading.create(
        a,
        new Params({
          category,
          symbol: 'BTCUSDT',
          side: 'Buy',
          orderType: 'Limit',
          qty,
          price,
          positionIdx: category === 'linear' && a.hedgeSymbols.has('BTCUSDT') ? 1 : 0,
        }),
      );
      ids.push(r.orderId, r.orderLinkId);
    }
    return ids;
  }
}

describe('trading engine properties', () => {
  test('funds, balances, executions, positions and status transitions stay consistent; refusals change nothing', () => {
    fc.assert(
      fc.property(cmdsArb, (cmds) => {
        const h = new Harness();
        for (const cmd of cmds) {
          const before = h.snapshot();
          const outcome = h.run(cmd);
          if (outcome !== 'ok') {
            // (e) a refused request leaves everything as it was
            expect(h.snapshot(), `refused ${JSON.stringify(cmd)} changed state`).toBe(before);
          }
          const problems = h.check();
          expect(problems, `after ${JSON.stringify(cmd)}`).toEqual([]);
        }
      }),
      { numRuns: Number(process.env.RUNS ?? 100) },
    );
  });

  test('same seed and commands give identical results; dropping refused commands changes nothing', () => {
    fc.assert(
      fc.property(cmdsArb, (cmds) => {
        const a = new Harness();
        const b = new Harness();
        const accepted: Cmd[] = [];
        for (const cmd of cmds) {
          const ra = a.run(cmd);
          const rb = b.run(cmd);
          expect(rb).toBe(ra);
          if (ra === 'ok') accepted.push(cmd);
        }
        // (f) same seed, same commands: same answers (ids included) and same state
        expect(b.log).toEqual(a.log);
        expect(b.snapshot()).toBe(a.snapshot());
        // (e) the refused commands left no trace: replaying only the accepted ones ends the same,
        // and the next orders get the same ids
        const c = new Harness();
        for (const cmd of accepted) expect(c.run(cmd)).toBe('ok');
        expect(c.snapshot()).toBe(a.snapshot());
        expect(c.probeIds()).toEqual(a.probeIds());
      }),
      { numRuns: Number(process.env.RUNS ?? 40) },
    );
  });
});

test('the generated commands reach every part of the engine (so the properties are not vacuous)', () => {
  const seen = new Set<string>();
  for (const cmds of fc.sample(cmdsArb, { numRuns: 300, seed: 1 })) {
    const h = new Harness();
    for (const cmd of cmds) {
      const r = h.run(cmd);
      seen.add(`${cmd.k}:${r}`);
    }
    const takers = new Set<string>();
    for (const a of h.accounts)
      for (const e of a.executions) if (!e.isMaker) takers.add(`${e.instrument.key}:${e.seq}`);
    for (const a of h.accounts) {
      for (const e of a.executions) {
        seen.add(`${e.instrument.category}:${e.execType}:${e.isMaker ? 'maker' : 'taker'}`);
        if (e.isMaker && takers.has(`${e.instrument.key}:${e.seq}`))
          seen.add(`${e.instrument.category}:account-match`);
      }
      for (const o of a.orders.values()) {
        seen.add(`${o.category}:${o.status}`);
        seen.add(`${o.category}:${o.rejectReason}`);
        seen.add(`${o.createType}`);
      }
    }
  }
  const expected = [
    'linear:ok',
    'spot:ok',
    'amend:ok',
    'cancel:ok',
    'mode:ok',
    'leverage:ok',
    'stop:ok',
    // refusals of each kind
    'linear:10001',
    'linear:110007',
    'linear:110017',
    'linear:110072',
    'linear:110092',
    'linear:110093',
    'spot:170131',
    'spot:170141',
    'amend:10001',
    'amend:110001',
    'cancel:110001',
    'cancel:170213',
    'mode:110024',
    'mode:110025',
    'mode:110028',
    // fills of every kind
    'linear:Trade:taker',
    'linear:Trade:maker',
    'linear:BustTrade:taker',
    'linear:Funding:taker',
    'spot:Trade:taker',
    'spot:Trade:maker',
    'linear:account-match',
    'spot:account-match',
    // statuses and outcomes
    'linear:Filled',
    'linear:PartiallyFilled',
    'linear:Cancelled',
    'linear:Deactivated',
    'linear:Untriggered',
    'linear:Rejected',
    'spot:PartiallyFilledCanceled',
    'spot:New',
    'linear:EC_PostOnlyWillTakeLiquidity',
    'linear:EC_CancelForNoFullFill',
    'linear:EC_NoImmediateQtyToFill',
    'CreateByTakeProfit',
    'CreateByStopLoss',
    'CreateByLiq',
  ];
  expect(expected.filter((k) => !seen.has(k))).toEqual([]);
});
