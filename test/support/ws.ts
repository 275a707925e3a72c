/**
 * A raw `ws` client for the integration tests: opens a socket on the daemon, records every frame,
 * and waits for the next frame matching a predicate (with a timeout) instead of sleeping.
 *
 * The daemon runs in the test process and publishes synchronously (REST handlers, clock advances),
 * and one socket delivers frames in order, so `sync()` (a ping answered by a pong) is a barrier:
 * once the pong is in, every frame the server sent before reading the ping is in too.
 */
import { WebSocket, type RawData } from 'ws';
import { hmacHex } from '../../src/auth/signing.js';
import type { RunningExchange } from '../../src/runtime/start-exchange.js';
import { DEFAULT_KEY, DEFAULT_SECRET } from './server.js';

// Frames are asserted field by field; `any` keeps those assertions readable.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Json = any;

export const WAIT_MS = 2000;

interface Waiter {
  pred: (f: Json) => boolean;
  resolve: (f: Json) => void;
}

export class WsClient {
  /** Every frame received, parsed (or the raw text when it is not JSON), in arrival order. */
  readonly frames: Json[] = [];
  /** Frames not yet taken by next(). */
  private readonly queue: Json[] = [];
  private readonly waiters = new Set<Waiter>();
  private pingSeq = 0;
  readonly closed: Promise<{ code: number; reason: string }>;

  private constructor(readonly ws: WebSocket) {
    ws.on('message', (data: RawData) => this.onFrame(data));
    this.closed = new Promise((resolve) => {
      ws.on('close', (code, reason) => resolve({ code, reason: reason.toString('utf8') }));
    });
  }

  /** Opens `path` (with any query) on the daemon and resolves once the socket is open. */
  static async open(ex: RunningExchange, path: string): Promise<WsClient> {
    const ws = new WebSocket(ex.wsUrl + path);
    const client = new WsClient(ws);
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('error', reject);
    });
    return client;
  }

  get isOpen(): boolean {
    return this.ws.readyState === WebSocket.OPEN;
  }

  private onFrame(data: RawData): void {
    const text = Array.isArray(data)
      ? Buffer.concat(data).toString('utf8')
      : Buffer.from(data as Buffer).toString('utf8');
    let frame: Json;
    try {
      frame = JSON.parse(text);
    } catch {
      frame = text;
    }
    this.frames.push(frame);
    for (const w of this.waiters) {
      if (w.pred(frame)) {
        this.waiters.delete(w);
        w.resolve(frame);
        return;
      }
    }
    this.queue.push(frame);
  }

  /** Sends an object as JSON, or a string as is. */
  send(frame: object | string): void {
    this.ws.send(typeof frame === 'string' ? frame : JSON.stringify(frame));
  }

  /**
   * The next frame matching `pred`, received or still to come; frames before it that do not
   * match stay queued for later calls. Rejects after `timeoutMs`.
   */
  next(pred: (f: Json) => boolean = () => true, timeoutMs = WAIT_MS, what = 'a frame'): Promise<Json> {
    const i = this.queue.findIndex(pred);
    if (i >= 0) return Promise.resolve(this.queue.splice(i, 1)[0]);
    return new Promise((resolve, reject) => {
      const w: Waiter = {
        pred,
        resolve: (f) => {
          clearTimeout(timer);
          resolve(f);
        },
      };
      const timer = setTimeout(() => {
        this.waiters.delete(w);
        reject(
          new Error(
            `timed out after ${timeoutMs} ms waiting for ${what}; last frames: ${JSON.stringify(this.frames.slice(-5))}`,
          ),
        );
      }, timeoutMs);
      this.waiters.add(w);
    });
  }

  /** Sends `frame` and resolves with the next frame matching `reply`. */
  async request(frame: object | string, reply: (f: Json) => boolean = () => true): Promise<Json> {
    const p = this.next(
      reply,
      WAIT_MS,
      `the reply to ${typeof frame === 'string' ? frame : JSON.stringify(frame)}`,
    );
    this.send(frame);
    return p;
  }

  /**
   * A barrier: pings with a unique req_id and waits for its pong; every frame the server sent
   * before it is then received. Returns the frames queued (not taken) before the pong, and
   * empties the queue.
   */
  async sync(): Promise<Json[]> {
    const id = `sync-${++this.pingSeq}`;
    const isPong = (f: Json) =>
      typeof f === 'object' &&
      f !== null &&
      (f.req_id === id ||
        f.reqId === id ||
        (f.op === 'pong' && f.req_id === undefined && f.reqId === undefined));
    await this.request({ op: 'ping', req_id: id, reqId: id }, isPong);
    return this.queue.splice(0, this.queue.length);
  }

  async close(): Promise<void> {
    if (this.ws.readyState === WebSocket.CLOSED) return;
    this.ws.close();
    await this.closed;
  }
}

/** The WS auth signature: hex HMAC-SHA256(secret, "GET/realtime" + expires). */
export function wsSign(secret: string, expires: number | string): string {
  return hmacHex(secret, `GET/realtime${expires}`);
}

/** An auth frame valid for 10 s of daemon time. */
export function authFrame(
  ex: RunningExchange,
  o: { key?: string; secret?: string; expires?: number | string; reqId?: unknown } = {},
): object {
  const expires = o.expires ?? ex.clock.now() + 10_000;
  const frame: Record<string, unknown> = {
    op: 'auth',
    args: [o.key ?? DEFAULT_KEY, expires, wsSign(o.secret ?? DEFAULT_SECRET, expires)],
  };
  if (o.reqId !== undefined) frame.req_id = o.reqId;
  return frame;
}

/** Opens `path` and authenticates with the default (or given) key; asserts nothing. */
export async function openAuthed(
  ex: RunningExchange,
  path: '/v5/private' | '/v5/trade' | string,
  o: { key?: string; secret?: string } = {},
): Promise<{ client: WsClient; reply: Json }> {
  const client = await WsClient.open(ex, path);
  const reply = await client.request(authFrame(ex, o), (f) => f?.op === 'auth');
  return { client, reply };
}
