/**
 * GET /__admin/events: live server-sent events, so a test can wait for "order X filled" without
 * polling. Each engine change becomes one event per object:
 *   event: order | execution | position | wallet | connection | reset
 *   data: {"account":"main","time":...,"data":{...the REST row...}}
 * `?account=` keeps one account's events; `?types=order,execution` keeps some types.
 * @see docs/admin-api.md
 */
import type { Request, Response } from 'express';
import type { Exchange, ExchangeEvents } from '../core/exchange.js';
import { executionView, orderView, positionView } from '../core/views/trading-views.js';

export type AdminEventType = 'order' | 'execution' | 'position' | 'wallet' | 'connection' | 'reset';
export interface AdminEvent {
  type: AdminEventType;
  account: string;
  time: number;
  data: unknown;
}

/** Fans exchange events out to SSE clients; follows the exchange across resets. */
export class AdminEventRelay {
  private readonly listeners = new Set<(e: AdminEvent) => void>();
  private detach: (() => void)[] = [];

  /** Attaches to the (new) exchange's bus. */
  attach(exchange: Exchange, now: () => number): void {
    for (const d of this.detach) d();
    this.detach = [exchange.bus.on('trading', (u) => this.onTrading(exchange, u, now()))];
  }

  /** A WebSocket connection opened, authenticated or closed. */
  emitConnection(time: number, e: { event: string; connId: string; stream: string; account: string }): void {
    if (this.listeners.size === 0) return;
    this.send({ type: 'connection', account: e.account, time, data: e });
  }

  emitReset(time: number): void {
    this.send({ type: 'reset', account: '', time, data: {} });
  }

  get size(): number {
    return this.listeners.size;
  }

  on(fn: (e: AdminEvent) => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  private send(e: AdminEvent): void {
    for (const l of this.listeners) l(e);
  }

  private onTrading(exchange: Exchange, u: ExchangeEvents['trading'], time: number): void {
    if (this.listeners.size === 0) return;
    const account = u.account.name;
    for (const o of u.orders)
      this.send({ type: 'order', account, time, data: { category: o.category, ...orderView(o) } });
    for (const e of u.executions)
      this.send({
        type: 'execution',
        account,
        time,
        data: { category: e.instrument.category, ...executionView(e) },
      });
    for (const p of u.positions)
      this.send({
        type: 'position',
        account,
        time,
        data: {
          category: 'linear',
          ...positionView(
            p,
            exchange.tradingEngine.markPrice(p.instrument),
            exchange.leverageOf(u.account, p.instrument),
          ),
        },
      });
    if (u.wallet)
      this.send({ type: 'wallet', account, time, data: exchange.walletBalance(u.account, []).list[0] });
  }
}

const TYPES: readonly AdminEventType[] = ['order', 'execution', 'position', 'wallet', 'connection', 'reset'];

/** The SSE handler. */
export function eventStream(relay: AdminEventRelay) {
  return (req: Request, res: Response): void => {
    const i = req.originalUrl.indexOf('?');
    const q = new URLSearchParams(i < 0 ? '' : req.originalUrl.slice(i + 1));
    const account = q.get('account') ?? undefined;
    const types = q.get('types');
    const wanted = new Set(types ? types.split(',').map((t) => t.trim()) : TYPES);
    for (const t of wanted) {
      if (!(TYPES as readonly string[]).includes(t)) {
        res.status(400).json({
          error: 'bad_query',
          message: `Unknown event type "${t}".`,
          hint: `Use ${TYPES.join(', ')}.`,
        });
        return;
      }
    }
    res.writeHead(200, {
      'Content-Type': 'text/event-stream',
      'Cache-Control': 'no-cache',
      Connection: 'keep-alive',
    });
    res.write(': bybit-mock admin events\n\n');
    const off = relay.on((e) => {
      if (!wanted.has(e.type)) return;
      if (account !== undefined && e.type !== 'reset' && e.account !== account) return;
      res.write(
        `event: ${e.type}\ndata: ${JSON.stringify({ account: e.account, time: e.time, data: e.data })}\n\n`,
      );
    });
    // A comment now and then keeps proxies from closing an idle stream.
    const keepAlive = setInterval(() => res.write(': keep-alive\n\n'), 15_000);
    keepAlive.unref();
    req.on('close', () => {
      off();
      clearInterval(keepAlive);
    });
  };
}
