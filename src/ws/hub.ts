/**
 * The WebSocket hub: Bybit's stream paths on the daemon's port, subscriptions, public feeds from
 * the market simulator, private feeds from the trading engine, order entry on /v5/trade,
 * heartbeats and slow-consumer protection. Frames are built by protocol.ts and the feeds; this
 * file only moves them.
 * @see ../shared/reference/bybit-v5-facts.md §8; docs/websocket.md
 */
import { STATUS_CODES, type IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import type { Logger } from 'pino';
import { WebSocketServer, type RawData, WebSocket } from 'ws';
import {
  hmacHex,
  signatureMatches,
  withinRecvWindow,
  wsPreSign,
  DEFAULT_RECV_WINDOW,
} from '../auth/signing.js';
import type { Account } from '../core/accounts/account.js';
import type { Position } from '../core/trading/model.js';
import type { Clock, TimerHandle } from '../core/clock.js';
import { ExchangeError } from '../core/errors.js';
import type { Exchange } from '../core/exchange.js';
import type { Fault } from '../core/faults/faults.js';
import { batchUnits, limitHeaders, type LimitStatus } from '../core/limits/rate-limits.js';
import type { InstrumentMarket } from '../core/market/instrument-market.js';
import { Params } from '../core/params.js';
import type { TradingUpdate } from '../core/trading/engine.js';
import type { Category } from '../core/types.js';
import { framesFor, renderUpdate, type RenderedUpdate } from './private-feed.js';
import {
  PRIVATE_TOPICS,
  STREAM_PATHS,
  authReply,
  connectionId,
  errorFrame,
  isPublic,
  parsePublicTopic,
  parseRequest,
  pongFrame,
  privateTopicCategory,
  privateTopicFamily,
  subscribeAck,
  tradeReply,
  type PublicTopic,
  type StreamKind,
  type WsRequest,
} from './protocol.js';
import { initialFrame, updateFrames, type TopicState } from './public-feed.js';

export interface HubOptions {
  /** A connection with no inbound frame and no pushed data for this long is closed (Bybit: 10 minutes). */
  idleTimeoutMs: number;
  /** A client that stops reading is dropped once this much is queued for it. */
  maxBufferedBytes: number;
  /** Largest inbound frame. */
  maxPayloadBytes: number;
  /** Accept auth `expires` and trade timestamps judged by the wall clock too (virtual clocks). */
  acceptWallClock: boolean;
}

export const DEFAULT_HUB_OPTIONS: HubOptions = {
  idleTimeoutMs: 600_000,
  maxBufferedBytes: 4 * 1024 * 1024,
  maxPayloadBytes: 1024 * 1024,
  acceptWallClock: true,
};

export interface HubDeps {
  exchange: () => Exchange;
  clock: () => Clock;
  logger: Logger;
  options: HubOptions;
  /** Connections opening, authenticating and closing (the admin live events). */
  onConnection?: (e: {
    event: 'open' | 'auth' | 'close';
    connId: string;
    stream: StreamKind;
    account: string;
  }) => void;
  /** Receives every answered op but ping (the request journal). */
  journal?: (entry: {
    path: string;
    op: string;
    account: string;
    params: unknown;
    retCode: number | undefined;
    /** The fault that swallowed or answered the op, if one did. */
    fault?: string;
  }) => void;
}

/** A connection as the admin API lists it. */
export interface ConnectionInfo {
  connId: string;
  stream: StreamKind;
  path: string;
  account: string;
  subscriptions: string[];
  ageMs: number;
}

/** Bybit's order-entry ops and the REST path whose rate budget each one spends. */
const TRADE_OPS: Record<string, string> = {
  'order.create': '/v5/order/create',
  'order.amend': '/v5/order/amend',
  'order.cancel': '/v5/order/cancel',
  'order.create-batch': '/v5/order/create-batch',
  'order.amend-batch': '/v5/order/amend-batch',
  'order.cancel-batch': '/v5/order/cancel-batch',
};
const SPOT_ARGS_PER_REQUEST = 10;
const PUBLIC_ARGS_CHARS = 21_000;
const REQ_IDS_REMEMBERED = 1000;
const IDLE_SCAN_MS = 30_000;

/** A frame ready for the socket: text, or its UTF-8 bytes when it goes to many clients. */
type Wire = string | Buffer;
const AS_TEXT = { binary: false };

/**
 * Unmasked, final text frames (RFC 6455 §5.2: opcode 1, FIN set; a server never masks) one after
 * another in one buffer: what ws.send would write for each text, with one encode and one write.
 */
export function textFrames(texts: readonly string[]): Buffer {
  const lengths = new Array<number>(texts.length);
  let total = 0;
  for (let i = 0; i < texts.length; i++) {
    const n = Buffer.byteLength(texts[i]!);
    lengths[i] = n;
    total += n + (n < 126 ? 2 : n < 65536 ? 4 : 10);
  }
  const buf = Buffer.allocUnsafe(total);
  let at = 0;
  for (let i = 0; i < texts.length; i++) {
    const n = lengths[i]!;
    buf[at++] = 0x81;
    if (n < 126) buf[at++] = n;
    else if (n < 65536) {
      buf[at++] = 126;
      buf.writeUInt16BE(n, at);
      at += 2;
    } else {
      buf[at++] = 127;
      buf.writeUInt32BE(Math.floor(n / 2 ** 32), at);
      buf.writeUInt32BE(n >>> 0, at + 4);
      at += 8;
    }
    at += buf.write(texts[i]!, at, 'utf8');
  }
  return buf;
}

/** The TCP socket under a ws connection: ws has no public cork or raw write; it keeps it as `_socket`. */
function socketOf(ws: WebSocket): Duplex | undefined {
  return (ws as unknown as { _socket?: Duplex })._socket;
}

class Connection {
  account: Account | undefined;
  readonly topics = new Set<string>();
  lastSeen: number;
  readonly openedAt: number;
  /** retCode of the last trade/auth reply, for the journal. */
  lastRetCode: number | undefined;
  readonly reqIds: string[] = [];
  readonly reqIdSet = new Set<string>();
  /** Half-dead (a `mute` fault): open, but sends and answers nothing, pongs included. */
  muted = false;
  /** A frame held back by a `reorder` fault, sent after the next one. */
  held: Wire | undefined;
  /** The first orderbook snapshot per topic, what a `staleSnapshot` fault re-sends. */
  firstSnapshot: Map<string, Wire> | undefined;
  /** Frames waiting out the network latency, in order (TCP never reorders). */
  readonly delayed: { seq: number; text: Wire }[] = [];
  delayedSeq = 0;
  /** When the last delayed frame is due: later frames never overtake it. */
  delayedUntil = 0;
  /** Text frames written this turn, framed and sent together when the turn ends (flushOut). */
  out: string[] = [];

  constructor(
    readonly id: string,
    readonly kind: StreamKind,
    readonly ws: WebSocket,
    now: number,
    readonly idleMs: number,
    readonly ip: string,
  ) {
    this.lastSeen = now;
    this.openedAt = now;
  }
}

const PATH_OF: Record<StreamKind, string> = Object.fromEntries(
  Object.entries(STREAM_PATHS).map(([path, kind]) => [kind, path]),
) as Record<StreamKind, string>;

interface TopicEntry {
  category: Category;
  topic: string;
  parsed: PublicTopic;
  instKey: string;
  state: TopicState | undefined;
  conns: Set<Connection>;
}

export class WsHub {
  private readonly wss: WebSocketServer;
  private readonly conns = new Set<Connection>();
  private readonly topics = new Map<string, TopicEntry>();
  private readonly byInstrument = new Map<string, Set<TopicEntry>>();
  private readonly byAccount = new Map<Account, Set<Connection>>();
  private connSeq = 0;
  private msgSeq = 0;
  private detach: (() => void)[] = [];
  private idleTimer: TimerHandle | undefined;

  constructor(private readonly deps: HubDeps) {
    // Pongs to protocol-level pings are sent by hand, so a half-dead connection can withhold them.
    this.wss = new WebSocketServer({
      noServer: true,
      maxPayload: deps.options.maxPayloadBytes,
      autoPong: false,
    });
    this.attach();
  }

  /** Follows the exchange (and its bus) after a reset; open connections are closed (1012). */
  reset(): void {
    // Pending position and wallet snapshots belong to the old state: attach() drops them.
    for (const c of [...this.conns]) {
      this.flushOut(c);
      c.ws.close(1012, 'service restart: state was reset');
    }
    this.attach();
  }

  close(): void {
    for (const d of this.detach) d();
    this.detach = [];
    this.idleTimer?.cancel();
    for (const c of this.conns) c.ws.terminate();
    this.wss.close();
  }

  get connectionCount(): number {
    return this.conns.size;
  }

  /** Open connections, oldest first. */
  connections(): ConnectionInfo[] {
    const now = this.now();
    return [...this.conns].map((c) => ({
      connId: c.id,
      stream: c.kind,
      path: PATH_OF[c.kind],
      account: c.account?.name ?? '',
      subscriptions: [...c.topics],
      ageMs: now - c.openedAt,
    }));
  }

  /**
   * Closes connections matching the filter: `close` sends a close frame with `code`/`reason`;
   * `terminate` drops the TCP connection without one. Returns the ids closed.
   */
  closeConnections(f: {
    stream?: string;
    account?: string;
    connId?: string;
    code: number;
    reason: string;
    mode: 'close' | 'terminate';
  }): string[] {
    const closed: string[] = [];
    // This turn's position and wallet frames go out before the close, as its other frames do.
    if (this.snapshots.size > 0) this.flushSnapshots();
    for (const c of [...this.conns]) {
      if (f.stream !== undefined && c.kind !== f.stream && PATH_OF[c.kind] !== f.stream) continue;
      if (f.account !== undefined && c.account?.name !== f.account && c.account?.apiKey !== f.account)
        continue;
      if (f.connId !== undefined && c.id !== f.connId) continue;
      if (f.mode === 'terminate') this.terminate(c);
      else {
        this.flushOut(c);
        c.ws.close(f.code, f.reason);
      }
      this.drop(c);
      closed.push(c.id);
    }
    return closed;
  }

  /**
   * Pushes a custom private frame `{id, topic, creationTime, data}` to the account's authenticated
   * /v5/private connections subscribed to `topic`. Returns how many received it.
   */
  pushPrivate(account: Account, topic: string, data: unknown[]): number {
    const conns = this.byAccount.get(account);
    let n = 0;
    if (!conns) return 0;
    const now = this.now();
    for (const c of conns) {
      if (c.kind !== 'private' || !c.topics.has(topic)) continue;
      this.sendData(
        c,
        topic,
        JSON.stringify({
          id: `${account.uid}${String(++this.msgSeq).padStart(10, '0')}`,
          topic,
          creationTime: now,
          data,
        }),
      );
      n++;
    }
    return n;
  }

  private attach(): void {
    for (const d of this.detach) d();
    this.topics.clear();
    this.byInstrument.clear();
    this.byAccount.clear();
    this.snapshots.clear();
    const bus = this.deps.exchange().bus;
    this.detach = [
      bus.on('marketTick', (e) => this.publishMarket(e.key)),
      bus.on('marketChange', (e) => this.publishMarket(e.key)),
      bus.on('customPrivate', (e) => this.pushPrivate(e.account, e.topic, e.data)),
      bus.on('disconnect', (d) => void this.closeConnections(d)),
      bus.on('trading', (u) => {
        this.publishLiquidations(u);
        this.publishPrivate(u);
      }),
    ];
    this.idleTimer?.cancel();
    this.armIdleScan();
  }

  private now(): number {
    return this.deps.clock().now();
  }

  // ---- upgrades -------------------------------------------------------------------------------

  /** Handles an HTTP upgrade: Bybit's stream paths only; anything else is refused with 404. */
  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const kind = STREAM_PATHS[url.pathname];
    if (!kind) {
      socket.end('HTTP/1.1 404 Not Found\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
      return;
    }
    const idle =
      kind === 'private' || kind === 'trade'
        ? maxActiveTime(url.searchParams.get('max_active_time'))
        : undefined;
    const exchange = this.deps.exchange();
    const ip = req.socket.remoteAddress ?? '';
    const refuse = (status: number, why: string) =>
      socket.end(
        `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? 'Error'}\r\nConnection: close\r\nContent-Type: text/plain\r\nContent-Length: ${Buffer.byteLength(why)}\r\n\r\n${why}`,
      );
    const fault = exchange.faults.wsActive
      ? exchange.faults.takeWs({ point: 'upgrade', stream: kind, name: '', account: '', apiKey: '' })
      : undefined;
    if (fault?.effect.refuse) {
      refuse(fault.effect.refuse.httpStatus ?? 503, `connection refused by fault ${fault.id}`);
      return;
    }
    // Connection limits per address (facts §5.1).
    let openMarket = 0;
    if (isPublic(kind)) for (const c of this.conns) if (c.kind === kind && c.ip === ip) openMarket++;
    const over = exchange.limits.wsConnect(this.now(), ip, isPublic(kind), openMarket);
    if (over) {
      refuse(429, `${over}; wait and reconnect more slowly`);
      return;
    }
    this.wss.handleUpgrade(req, socket, head, (ws) => {
      const conn = new Connection(
        connectionId(++this.connSeq),
        kind,
        ws,
        this.now(),
        idle ?? this.deps.options.idleTimeoutMs,
        ip,
      );
      this.conns.add(conn);
      this.deps.onConnection?.({ event: 'open', connId: conn.id, stream: kind, account: '' });
      ws.on('ping', (data: Buffer) => {
        if (conn.muted) return;
        this.flushOut(conn);
        ws.pong(data);
      });
      ws.on('message', (data: RawData, isBinary: boolean) => this.onMessage(conn, data, isBinary));
      ws.on('close', () => this.drop(conn));
      ws.on('error', () => this.drop(conn));
    });
  }

  private drop(conn: Connection): void {
    if (!this.conns.delete(conn)) return;
    this.deps.exchange().limits.wsClosed(conn.id);
    this.deps.onConnection?.({
      event: 'close',
      connId: conn.id,
      stream: conn.kind,
      account: conn.account?.name ?? '',
    });
    for (const t of conn.topics) this.unsubscribePublic(conn, t);
    if (conn.account) this.byAccount.get(conn.account)?.delete(conn);
  }

  /**
   * Sends any frame (reply, pong or data). Network latency, when set, delays every frame of the
   * connection in order; a frame held by a `reorder` fault goes right after this one.
   */
  private send(conn: Connection, frame: object | Wire): void {
    if (conn.muted) return;
    const text = typeof frame === 'string' || Buffer.isBuffer(frame) ? frame : JSON.stringify(frame);
    const faults = this.deps.exchange().faults;
    // The common case: a perfect network, nothing held or waiting.
    if (faults.network === undefined && conn.delayed.length === 0 && conn.held === undefined) {
      this.write(conn, text);
      return;
    }
    // A frame held by a `reorder` fault goes right after this one, through the same queue.
    const texts = conn.held === undefined ? [text] : [text, conn.held];
    conn.held = undefined;
    if (faults.network !== undefined || conn.delayed.length > 0) {
      const now = this.now();
      const due = Math.max(now + faults.networkLatency(), conn.delayedUntil);
      // While frames wait, later ones queue behind them even when due now (a real clock's timer
      // may fire late: writing at once would overtake them).
      if (due > now || conn.delayed.length > 0) {
        conn.delayedUntil = due;
        const seq = ++conn.delayedSeq;
        for (const t of texts) conn.delayed.push({ seq, text: t });
        this.deps.exchange().setTimer(due - now, () => {
          // Everything queued before this frame is due too: flush in order up to it.
          while (conn.delayed.length > 0 && conn.delayed[0]!.seq <= seq)
            this.write(conn, conn.delayed.shift()!.text);
        });
        return;
      }
    }
    for (const t of texts) this.write(conn, t);
  }

  /**
   * Sends a data frame of `topic` (public or private push): the network drop rate and WS faults
   * on frames out apply here. `delta` marks orderbook deltas (gap and staleSnapshot faults).
   */
  private sendData(conn: Connection, topic: string, text: Wire, delta = false): void {
    // A connection a fault closed mid-update gets (and spends) nothing more.
    if (conn.muted || !this.conns.has(conn)) return;
    const faults = this.deps.exchange().faults;
    if (faults.wsActive) {
      if (faults.networkDrop()) return;
      const f = faults.takeWs({
        point: 'out',
        stream: conn.kind,
        name: topic,
        account: conn.account?.name ?? '',
        apiKey: conn.account?.apiKey ?? '',
        delta,
      });
      if (f && this.applyOutFault(conn, f, topic, text)) return;
    }
    this.send(conn, text);
  }

  /** Carries out a fault on a frame going out; true when the frame was dealt with. */
  private applyOutFault(conn: Connection, f: Fault, topic: string, text: Wire): boolean {
    const e = f.effect;
    if (e.drop || e.gap) return true;
    if (e.duplicate) {
      this.send(conn, text);
      this.send(conn, text);
      return true;
    }
    if (e.reorder) {
      if (conn.held === undefined) conn.held = text;
      else this.send(conn, text);
      return true;
    }
    if (e.staleSnapshot) {
      this.send(conn, conn.firstSnapshot?.get(topic) ?? text);
      return true;
    }
    if (e.delayMs !== undefined) {
      const ms = this.deps.exchange().faults.delayOf(e);
      this.deps.exchange().setTimer(ms, () => this.send(conn, text));
      return true;
    }
    return this.applyConnectionFault(conn, f);
  }

  /** close, terminate and mute: what a fault does to the whole connection; true when it did. */
  private applyConnectionFault(conn: Connection, f: Fault): boolean {
    const e = f.effect;
    if (e.close) {
      this.flushOut(conn);
      conn.ws.close(e.close.code ?? 1000, e.close.reason ?? `closed by fault ${f.id}`);
      this.drop(conn);
      return true;
    }
    if (e.terminate) {
      this.terminate(conn);
      this.drop(conn);
      return true;
    }
    if (e.mute) {
      conn.muted = true;
      return true;
    }
    return false;
  }

  /** Sockets corked in this turn of the event loop, uncorked together right after it. */
  private readonly corked = new Set<Duplex>();
  /** Connections with text frames waiting in `out`. */
  private readonly pendingOut: Connection[] = [];
  private flushScheduled = false;
  private readonly uncorkAll = (): void => {
    if (this.snapshots.size > 0) this.flushSnapshots();
    this.flushScheduled = false;
    for (const c of this.pendingOut) this.flushOut(c);
    this.pendingOut.length = 0;
    for (const s of this.corked) s.uncork();
    this.corked.clear();
  };

  private scheduleFlush(): void {
    if (this.flushScheduled) return;
    this.flushScheduled = true;
    setImmediate(this.uncorkAll);
  }

  /**
   * Writes the connection's waiting text frames as one buffer. Anything else written to the
   * socket directly (pong, close frame) calls this first, so frames keep their order.
   */
  private flushOut(conn: Connection): void {
    if (conn.out.length === 0) return;
    const texts = conn.out;
    conn.out = [];
    const sock = socketOf(conn.ws);
    if (conn.ws.readyState !== WebSocket.OPEN || sock === undefined || sock.destroyed) return;
    sock.write(textFrames(texts));
  }

  /**
   * Drops the TCP connection without a close frame. What was already sent this turn (corked)
   * goes out first, as it would have without the cork.
   */
  private terminate(conn: Connection): void {
    this.flushOut(conn);
    const sock = socketOf(conn.ws);
    if (sock !== undefined && this.corked.delete(sock)) sock.uncork();
    conn.ws.terminate();
  }

  private write(conn: Connection, text: Wire): void {
    const ws = conn.ws;
    if (conn.muted || ws.readyState !== WebSocket.OPEN) return;
    if (ws.bufferedAmount > this.deps.options.maxBufferedBytes) {
      // A client that stopped reading: drop it rather than queue without bound.
      this.deps.logger.warn(
        { conn: conn.id, buffered: ws.bufferedAmount },
        'slow websocket consumer dropped',
      );
      ws.terminate();
      this.drop(conn);
      return;
    }
    // One write per client per turn: a tick's frames (or an order's private frames) to one client
    // leave in one syscall instead of one each.
    const sock = socketOf(ws);
    if (sock !== undefined && !this.corked.has(sock)) {
      this.corked.add(sock);
      sock.cork();
    }
    this.scheduleFlush();
    // Text frames of this turn are framed together when it ends (one encode, one write per
    // connection instead of two writes per frame); a Buffer (market data, encoded once for every
    // subscriber) goes through ws after them.
    if (typeof text === 'string') {
      if (conn.out.length === 0) this.pendingOut.push(conn);
      conn.out.push(text);
    } else {
      this.flushOut(conn);
      ws.send(text, AS_TEXT);
    }
    // Data pushed to the client counts as activity too: Bybit cuts a connection only when there
    // was neither ping-pong nor stream data for the idle limit (facts §8.3).
    conn.lastSeen = this.now();
  }

  // ---- inbound ---------------------------------------------------------------------------------

  private onMessage(conn: Connection, data: RawData, isBinary: boolean): void {
    if (conn.muted) return;
    conn.lastSeen = this.now();
    const text = isBinary ? undefined : rawText(data);
    const parsed =
      text === undefined
        ? { ok: false as const, error: 'Failed to decode incoming data: binary frames are not supported' }
        : parseRequest(text);
    if (!parsed.ok) {
      this.send(conn, errorFrame(conn.kind, conn.id, undefined, '', parsed.error));
      return;
    }
    const req = parsed.req;
    const exchange = this.deps.exchange();
    if (!exchange.limits.takeWsMessage(this.now(), conn.id)) {
      const msg = `too many requests on this connection (limit ${exchange.limits.config.ws.messagesPerSecond} per second); slow down`;
      if (conn.kind === 'trade')
        this.send(
          conn,
          // Order ops answer in their usual envelope (retExtInfo, header), as other order errors do.
          req.op in TRADE_OPS
            ? tradeReply(
                conn.id,
                req.reqId,
                req.op,
                20003,
                msg,
                {},
                { retExtInfo: {}, header: this.header() },
              )
            : tradeReply(conn.id, req.reqId, req.op, 20003, msg, {}),
        );
      else this.send(conn, errorFrame(conn.kind, conn.id, req.reqId, req.op, `error:${msg}`));
      // Refused requests show in the journal, as REST 403s and 10006s do.
      this.journalOp(conn, req, conn.kind === 'trade' ? 20003 : undefined);
      return;
    }
    if (exchange.faults.wsActive) {
      // Before auth, an auth request is matched by the key it presents (as rules are).
      const claimed =
        conn.account ??
        (req.op === 'auth' && typeof req.args[0] === 'string'
          ? exchange.accountByApiKey(req.args[0])
          : undefined);
      const f = exchange.faults.takeWs({
        point: 'in',
        stream: conn.kind,
        name: req.op,
        account: claimed?.name ?? '',
        apiKey: claimed?.apiKey ?? (req.op === 'auth' && typeof req.args[0] === 'string' ? req.args[0] : ''),
      });
      if (f && this.applyInFault(conn, req, f)) return;
    }
    this.process(conn, req);
  }

  /** Carries out a fault on a request coming in; true when the request was dealt with. */
  private applyInFault(conn: Connection, req: WsRequest, f: Fault): boolean {
    const e = f.effect;
    const note = (retCode: number | undefined) => this.journalOp(conn, req, retCode, f.id);
    if (e.drop) {
      note(undefined);
      return true;
    }
    if (e.delayMs !== undefined) {
      const ms = this.deps.exchange().faults.delayOf(e);
      this.deps.exchange().setTimer(ms, () => {
        if (conn.ws.readyState === WebSocket.OPEN && this.conns.has(conn)) this.process(conn, req);
      });
      return true;
    }
    if (e.error && 'retCode' in e.error) {
      const { retCode, retMsg } = e.error;
      note(retCode);
      // In the shape the stream answers that op in: /v5/trade answers everything in its envelope
      // (order ops with retExtInfo and header), public streams have no auth.
      if (req.op === 'auth' && !isPublic(conn.kind))
        this.send(conn, authReply(conn.kind, conn.id, req.reqId, retCode, retMsg));
      else if ((req.op === 'subscribe' || req.op === 'unsubscribe') && conn.kind !== 'trade')
        this.send(
          conn,
          subscribeAck(conn.kind, req.op, conn.id, req.reqId, {
            message: retMsg,
            topics: req.args.map(String),
            ok: [],
          }),
        );
      else if (conn.kind === 'trade')
        this.send(
          conn,
          req.op in TRADE_OPS
            ? tradeReply(
                conn.id,
                req.reqId,
                req.op,
                retCode,
                retMsg,
                {},
                { retExtInfo: {}, header: this.header() },
              )
            : tradeReply(conn.id, req.reqId, req.op, retCode, retMsg, {}),
        );
      else this.send(conn, errorFrame(conn.kind, conn.id, req.reqId, req.op, retMsg));
      return true;
    }
    note(undefined);
    return this.applyConnectionFault(conn, f);
  }

  private journalOp(conn: Connection, req: WsRequest, retCode: number | undefined, fault?: string): void {
    if (!this.deps.journal || req.op === 'ping') return;
    this.deps.journal({
      path: PATH_OF[conn.kind],
      op: req.op,
      account: conn.account?.name ?? '',
      params: req.op === 'auth' ? [] : req.args,
      retCode,
      ...(fault === undefined ? {} : { fault }),
    });
  }

  private process(conn: Connection, req: WsRequest): void {
    try {
      conn.lastRetCode = undefined;
      this.dispatch(conn, req);
      this.journalOp(conn, req, conn.lastRetCode);
    } catch (err) {
      this.deps.logger.error({ err, conn: conn.id, op: req.op }, 'websocket request failed');
      this.send(
        conn,
        errorFrame(conn.kind, conn.id, req.reqId, req.op, 'error:internal error, please report it'),
      );
    }
  }

  private dispatch(conn: Connection, req: WsRequest): void {
    switch (req.op) {
      case 'ping':
        this.send(conn, pongFrame(conn.kind, conn.id, req.reqId, this.deps.exchange().serverTime()));
        return;
      case 'subscribe':
      case 'unsubscribe':
        if (conn.kind === 'trade') break;
        this.scripted(conn, req, () => this.onSubscribe(conn, req));
        return;
      case 'auth':
        if (isPublic(conn.kind)) break;
        this.scripted(conn, req, () => this.onAuth(conn, req));
        return;
      default:
        if (conn.kind === 'trade' && req.op in TRADE_OPS) {
          this.onTrade(conn, req);
          return;
        }
    }
    if (conn.kind === 'trade') {
      this.send(
        conn,
        tradeReply(conn.id, req.reqId, req.op, 10404, `op not found: ${req.op || '(none)'}`, {}),
      );
      return;
    }
    this.send(conn, errorFrame(conn.kind, conn.id, req.reqId, req.op, 'error:invalid op'));
  }

  /**
   * Rules on WS ops (auth, subscribe, unsubscribe): a delay answers later on the daemon clock,
   * a fail answers the stream's failure shape with the rule's message. @see docs/rules.md
   */
  private scripted(conn: Connection, req: WsRequest, run: () => void): void {
    const exchange = this.deps.exchange();
    const rule =
      exchange.rules.size > 0
        ? exchange.rules.take({
            trigger: req.op,
            account: conn.account?.name ?? '',
            apiKey:
              conn.account?.apiKey ??
              (req.op === 'auth' && typeof req.args[0] === 'string' ? req.args[0] : ''),
            params: { args: req.args },
          })
        : undefined;
    if (!rule) {
      run();
      return;
    }
    const answer = () => {
      const f = rule.action.fail;
      if (!f) {
        run();
        return;
      }
      const code = 'retCode' in f ? f.retCode : 10016;
      const msg = 'retCode' in f ? f.retMsg : `error:scripted HTTP ${f.httpStatus}`;
      conn.lastRetCode = code;
      if (req.op === 'auth') this.send(conn, authReply(conn.kind, conn.id, req.reqId, code, msg));
      else
        this.send(
          conn,
          subscribeAck(conn.kind, req.op, conn.id, req.reqId, {
            message: msg,
            topics: req.args.map(String),
            ok: [],
          }),
        );
    };
    const delay = exchange.rules.delayOf(rule.action);
    if (delay > 0) {
      exchange.setTimer(delay, () => {
        if (conn.ws.readyState !== WebSocket.OPEN) return;
        try {
          answer();
        } catch (err) {
          this.deps.logger.error({ err, conn: conn.id, op: req.op }, 'delayed websocket request failed');
        }
      });
    } else answer();
  }

  // ---- subscriptions -----------------------------------------------------------------------------

  private onSubscribe(conn: Connection, req: WsRequest): void {
    const subscribe = req.op === 'subscribe';
    const args = req.args;
    const fail = (message: string, topic: string) =>
      this.send(
        conn,
        subscribeAck(conn.kind, req.op, conn.id, req.reqId, { message, topics: [topic], ok: [] }),
      );
    const topics: string[] = [];
    for (const a of args) {
      if (typeof a !== 'string') {
        fail(`error:args must be topic strings, got ${JSON.stringify(a)}`, String(a));
        return;
      }
      topics.push(a);
    }
    if (topics.length === 0) {
      fail('error:args is empty; send the topics to subscribe to', '');
      return;
    }
    if (conn.kind === 'private') {
      if (!conn.account) {
        fail('Request not authorized: send op "auth" first', topics[0]!);
        return;
      }
      for (const t of topics) {
        if (!PRIVATE_TOPICS.has(t)) {
          fail(`error:handler not found,topic:${t}`, t);
          return;
        }
        // A repeated private subscribe is acknowledged: ccxt re-sends `order` for every watched
        // symbol, which Bybit accepts ("already subscribed" is only seen on public streams).
      }
      // `order` and `order.linear` (any all-in-one topic and its categorised forms) cannot be
      // mixed in one request (facts §8.5); separate requests may subscribe both.
      const mixed = topics.find(
        (t) => privateTopicCategory(t) !== undefined && topics.includes(privateTopicFamily(t)),
      );
      if (subscribe && mixed) {
        fail(`error:all-in-one and categorised topics cannot be mixed in one request,topic:${mixed}`, mixed);
        return;
      }
      for (const t of topics) {
        if (subscribe) conn.topics.add(t);
        else conn.topics.delete(t);
      }
      this.send(conn, subscribeAck(conn.kind, req.op, conn.id, req.reqId));
      return;
    }
    const category = conn.kind as Category;
    if (conn.kind === 'spot' && topics.length > SPOT_ARGS_PER_REQUEST) {
      fail(
        `error:args size >${SPOT_ARGS_PER_REQUEST}: spot takes at most ${SPOT_ARGS_PER_REQUEST} topics per request`,
        topics[0]!,
      );
      return;
    }
    if (!subscribe) {
      // Unsubscribing a topic that is not subscribed is acknowledged (ccxt relies on it).
      for (const t of topics) if (conn.topics.has(t)) this.unsubscribePublic(conn, t);
      this.send(conn, subscribeAck(conn.kind, req.op, conn.id, req.reqId, undefined));
      return;
    }
    const exchange = this.deps.exchange();
    const listed = (symbol: string) =>
      exchange.listInstruments().some((i) => i.category === category && i.symbol === symbol);
    const parsedTopics: PublicTopic[] = [];
    for (const t of topics) {
      const p = parsePublicTopic(category, t, listed);
      if (!p) {
        fail(`error:handler not found,topic:${t}`, t);
        return;
      }
      if (conn.topics.has(t)) {
        fail(`error:already subscribed,topic:${t}`, t);
        return;
      }
      parsedTopics.push(p);
    }
    const chars = [...conn.topics, ...topics].reduce((n, t) => n + t.length, 0);
    if (chars > PUBLIC_ARGS_CHARS) {
      fail(`error:args length exceeds ${PUBLIC_ARGS_CHARS} characters on one connection`, topics[0]!);
      return;
    }
    if (conn.kind === 'option') {
      this.send(
        conn,
        subscribeAck('option', 'subscribe', conn.id, req.reqId, { message: '', topics: [], ok: topics }),
      );
    } else {
      this.send(conn, subscribeAck(conn.kind, req.op, conn.id, req.reqId));
    }
    const now = this.now();
    const seed = exchange.seed.seed;
    topics.forEach((t, i) => {
      const entry = this.topicEntry(category, t, parsedTopics[i]!);
      conn.topics.add(t);
      entry.conns.add(conn);
      const m = exchange.market(category, entry.parsed.symbol);
      const { state, frame } = initialFrame(t, entry.parsed, m, now, seed, entry.state);
      entry.state = state;
      if (frame) {
        const text = JSON.stringify(frame);
        if (entry.parsed.kind === 'orderbook') (conn.firstSnapshot ??= new Map()).set(t, text);
        this.sendData(conn, t, text);
      }
    });
  }

  private topicEntry(category: Category, topic: string, parsed: PublicTopic): TopicEntry {
    const key = `${category}|${topic}`;
    let e = this.topics.get(key);
    if (!e) {
      const instKey = `${category}:${parsed.symbol}`;
      e = { category, topic, parsed, instKey, state: undefined, conns: new Set() };
      this.topics.set(key, e);
      let set = this.byInstrument.get(instKey);
      if (!set) {
        set = new Set();
        this.byInstrument.set(instKey, set);
      }
      set.add(e);
    }
    return e;
  }

  private unsubscribePublic(conn: Connection, topic: string): void {
    conn.topics.delete(topic);
    if (!isPublic(conn.kind)) return;
    const key = `${conn.kind}|${topic}`;
    const e = this.topics.get(key);
    if (!e) return;
    e.conns.delete(conn);
    if (e.conns.size === 0) {
      this.topics.delete(key);
      this.byInstrument.get(e.instKey)?.delete(e);
    }
  }

  // ---- publishing ----------------------------------------------------------------------------------

  private publishMarket(instKey: string): void {
    const entries = this.byInstrument.get(instKey);
    if (!entries || entries.size === 0) return;
    const exchange = this.deps.exchange();
    const now = this.now();
    const seed = exchange.seed.seed;
    let m: InstrumentMarket | undefined;
    for (const e of entries) {
      if (!e.state) continue;
      m ??= exchange.market(e.category, e.parsed.symbol);
      const frames = updateFrames(e.topic, e.state, m, now, seed);
      for (const f of frames) {
        // Serialised and encoded once per frame, never per client.
        const text = Buffer.from(JSON.stringify(f));
        const delta = (f as { type?: string }).type === 'delta' && e.parsed.kind === 'orderbook';
        for (const c of e.conns) this.sendData(c, e.topic, text, delta);
      }
    }
  }

  /**
   * allLiquidation.{symbol}: each liquidation fill as `{T, s, S, v, p}`, S the side of the
   * liquidated position, p the bankruptcy price. @see facts §8.6
   */
  private publishLiquidations(u: TradingUpdate): void {
    for (const e of u.executions) {
      if (e.execType !== 'BustTrade') continue;
      const entries = this.byInstrument.get(e.instrument.key);
      if (!entries) continue;
      for (const entry of entries) {
        if (entry.parsed.kind !== 'allLiquidation') continue;
        const text = JSON.stringify({
          topic: entry.topic,
          type: 'snapshot',
          ts: this.now(),
          data: [
            {
              T: e.execTime,
              s: e.instrument.symbol,
              S: e.side === 'Sell' ? 'Buy' : 'Sell',
              v: e.execQty.toFixed(e.instrument.qtyDp),
              p: e.execPrice.toFixed(e.instrument.priceDp),
            },
          ],
        });
        for (const c of entry.conns) this.sendData(c, entry.topic, text);
      }
    }
  }

  /**
   * Position and wallet rows are snapshots of an account's state, so the updates of one
   * event-loop turn share one position and one wallet frame, sent when the turn ends with the
   * state as it is then: a burst of orders costs one wallet render, not one per order. Order and
   * execution rows go out per update, as they happen. A single update per turn (one REST order,
   * one WS order) gets the same frames in the same order as before: order, execution, position,
   * wallet.
   */
  private readonly snapshots = new Map<Account, { positions: Set<Position>; wallet: boolean }>();

  private publishPrivate(u: TradingUpdate): void {
    const conns = this.byAccount.get(u.account);
    if (!conns || conns.size === 0) return;
    if (u.positions.length > 0 || u.wallet) {
      let s = this.snapshots.get(u.account);
      if (s === undefined) {
        s = { positions: new Set(), wallet: false };
        this.snapshots.set(u.account, s);
        this.scheduleFlush();
      }
      for (const p of u.positions) s.positions.add(p);
      if (u.wallet) s.wallet = true;
    }
    if (u.orders.length > 0 || u.executions.length > 0)
      this.sendPrivate(conns, {
        account: u.account,
        orders: u.orders,
        executions: u.executions,
        positions: [],
        wallet: false,
      });
  }

  /** Sends the turn's position and wallet frames (see `snapshots`). */
  private flushSnapshots(): void {
    const pending = [...this.snapshots];
    this.snapshots.clear();
    for (const [account, s] of pending) {
      const conns = this.byAccount.get(account);
      if (conns && conns.size > 0)
        this.sendPrivate(conns, {
          account,
          orders: [],
          executions: [],
          positions: [...s.positions],
          wallet: s.wallet,
        });
    }
  }

  private sendPrivate(conns: Set<Connection>, u: TradingUpdate): void {
    let rendered: RenderedUpdate | undefined;
    const now = this.now();
    for (const c of conns) {
      if (c.kind !== 'private' || c.topics.size === 0) continue;
      rendered ??= renderUpdate(u, this.deps.exchange());
      for (const f of framesFor(
        rendered,
        c.topics,
        now,
        () => `${u.account.uid}${String(++this.msgSeq).padStart(10, '0')}`,
      )) {
        this.sendData(c, f.topic, f.text);
      }
    }
  }

  // ---- auth ------------------------------------------------------------------------------------------

  private onAuth(conn: Connection, req: WsRequest): void {
    const reply = (code: number, message: string) => {
      conn.lastRetCode = code;
      this.send(conn, authReply(conn.kind, conn.id, req.reqId, code, message));
    };
    if (conn.account) {
      if (conn.kind === 'trade') reply(20001, 'Repeat auth');
      else reply(0, '');
      return;
    }
    const [apiKey, expiresRaw, signature] = req.args;
    const expires =
      typeof expiresRaw === 'number'
        ? expiresRaw
        : typeof expiresRaw === 'string' && /^\d+$/.test(expiresRaw)
          ? Number(expiresRaw)
          : NaN;
    if (typeof apiKey !== 'string' || typeof signature !== 'string' || !Number.isSafeInteger(expires)) {
      reply(10001, 'Params Error');
      return;
    }
    // Judged by the server time (the daemon clock plus any clock skew fault).
    const exchange = this.deps.exchange();
    const skew = exchange.faults.skewMs;
    if (
      expires < exchange.serverTime() &&
      !(this.deps.options.acceptWallClock && expires >= Date.now() + skew)
    ) {
      reply(10002, 'Params Error');
      return;
    }
    const account = this.deps.exchange().accountByApiKey(apiKey);
    if (!account) {
      reply(10003, 'API key is invalid.');
      return;
    }
    const expected = hmacHex(account.apiSecret, wsPreSign(String(expiresRaw)));
    if (!signatureMatches(expected, signature)) {
      reply(10004, 'Invalid sign');
      return;
    }
    conn.account = account;
    this.deps.onConnection?.({ event: 'auth', connId: conn.id, stream: conn.kind, account: account.name });
    let set = this.byAccount.get(account);
    if (!set) {
      set = new Set();
      this.byAccount.set(account, set);
    }
    set.add(conn);
    reply(0, '');
  }

  // ---- order entry -------------------------------------------------------------------------------------

  private onTrade(conn: Connection, req: WsRequest): void {
    const exchange = this.deps.exchange();
    const now = this.now();
    let limit: LimitStatus | undefined = undefined;
    const fail = (code: number, msg: string) => {
      conn.lastRetCode = code;
      this.send(
        conn,
        tradeReply(conn.id, req.reqId, req.op, code, msg, {}, { retExtInfo: {}, header: this.header(limit) }),
      );
    };
    const account = conn.account;
    if (!account) {
      fail(10003, 'Not authorized: send op "auth" on this connection first');
      return;
    }
    if (req.reqId !== undefined) {
      const key = String(req.reqId);
      if (key.length > 36) {
        fail(10001, 'reqId must be at most 36 characters');
        return;
      }
      if (conn.reqIdSet.has(key)) {
        fail(20006, `Duplicate reqId: ${key} was already used on this connection`);
        return;
      }
      conn.reqIdSet.add(key);
      conn.reqIds.push(key);
      if (conn.reqIds.length > REQ_IDS_REMEMBERED) conn.reqIdSet.delete(conn.reqIds.shift()!);
    }
    const tsRaw = req.header['X-BAPI-TIMESTAMP'];
    const ts =
      typeof tsRaw === 'number'
        ? tsRaw
        : typeof tsRaw === 'string' && /^\d+$/.test(tsRaw)
          ? Number(tsRaw)
          : NaN;
    if (!Number.isSafeInteger(ts)) {
      fail(10001, 'header X-BAPI-TIMESTAMP is required (ms timestamp of the request)');
      return;
    }
    const rwRaw = req.header['X-BAPI-RECV-WINDOW'];
    const rw = rwRaw === undefined ? DEFAULT_RECV_WINDOW : Number(rwRaw);
    // Judged by the server time (the daemon clock plus any clock skew fault).
    const serverNow = exchange.serverTime();
    const wallOk =
      this.deps.options.acceptWallClock && withinRecvWindow(ts, Date.now() + exchange.faults.skewMs, rw);
    if (!Number.isFinite(rw) || !(withinRecvWindow(ts, serverNow, rw) || wallOk)) {
      fail(
        10002,
        `invalid request, please check your server timestamp or recv_window param. req_timestamp[${ts}],server_timestamp[${serverNow}],recv_window[${rwRaw ?? DEFAULT_RECV_WINDOW}]`,
      );
      return;
    }
    if (!account.canTrade) {
      fail(10005, 'Permission denied, please check your API key permissions.');
      return;
    }
    const arg = req.args[0];
    if (req.args.length !== 1 || typeof arg !== 'object' || arg === null || Array.isArray(arg)) {
      fail(10001, 'params error: args must hold exactly one request object');
      return;
    }
    const params = new Params(arg as Record<string, unknown>);
    const category =
      typeof (arg as Record<string, unknown>).category === 'string'
        ? ((arg as Record<string, unknown>).category as Category)
        : undefined;
    // REST and /v5/trade share the account's budget; a batch spends one unit per order (facts §5.2).
    const list = (arg as Record<string, unknown>).request;
    const units = req.op.endsWith('-batch') ? batchUnits(category, list) : 1;
    limit = exchange.limits.take(now, account.uid, TRADE_OPS[req.op]!, category, units);
    if (limit.granted === 0) {
      fail(10006, 'Too many visits!');
      return;
    }
    const allowed = limit.granted < units ? limit.granted : undefined;
    // Rebuilt when the answer goes out, so a scripted delay shows in Timenow.
    let header = this.header(limit);
    const t = exchange.trading;
    const rule =
      exchange.rules.size > 0
        ? exchange.rules.take({
            trigger: req.op,
            account: account.name,
            apiKey: account.apiKey,
            params: params.snapshot(),
          })
        : undefined;
    const execute = () => {
      if (this.now() !== now) header = this.header(limit);
      try {
        let data: unknown;
        let retExtInfo: unknown = {};
        const f = rule?.action.fail;
        if (f && 'httpStatus' in f)
          throw new ExchangeError(10016, `Server error (scripted HTTP ${f.httpStatus})`);
        if (f) throw new ExchangeError(f.retCode, f.retMsg);
        if (rule?.action.respond) data = rule.action.respond.result;
        else {
          switch (req.op) {
            case 'order.create':
              data = t.create(account, params);
              break;
            case 'order.amend':
              data = t.amend(account, params);
              break;
            case 'order.cancel':
              data = t.cancel(account, params);
              break;
            default: {
              const r =
                req.op === 'order.create-batch'
                  ? t.createBatch(account, params, allowed)
                  : req.op === 'order.amend-batch'
                    ? t.amendBatch(account, params, allowed)
                    : t.cancelBatch(account, params, allowed);
              data = r.result;
              retExtInfo = r.retExtInfo;
            }
          }
        }
        conn.lastRetCode = 0;
        this.send(conn, tradeReply(conn.id, req.reqId, req.op, 0, 'OK', data, { retExtInfo, header }));
        if (rule) exchange.afterRule(account, rule.action, data);
      } catch (err) {
        if (!(err instanceof ExchangeError)) throw err;
        conn.lastRetCode = err.retCode;
        this.send(
          conn,
          tradeReply(conn.id, req.reqId, req.op, err.retCode, err.retMsg, {}, { retExtInfo: {}, header }),
        );
      }
    };
    const delay = rule ? exchange.rules.delayOf(rule.action) : 0;
    if (delay > 0) {
      exchange.setTimer(delay, () => {
        try {
          execute();
        } catch (err) {
          this.deps.logger.error({ err, conn: conn.id, op: req.op }, 'delayed websocket request failed');
          this.send(
            conn,
            errorFrame(conn.kind, conn.id, req.reqId, req.op, 'error:internal error, please report it'),
          );
        }
      });
    } else execute();
  }

  /** The `header` of a /v5/trade reply: the limit fields as REST sends them, Traceid, Timenow. */
  private header(limit?: LimitStatus): Record<string, string> {
    const exchange = this.deps.exchange();
    const serverNow = exchange.serverTime();
    const h: Record<string, string> = {};
    if (limit) {
      Object.assign(h, limitHeaders(limit, serverNow, exchange.faults.skewMs));
    }
    h.Traceid = hashHex(serverNow, ++this.msgSeq);
    h.Timenow = String(serverNow);
    return h;
  }

  // ---- heartbeats -----------------------------------------------------------------------------------------

  /** Closes connections idle past their limit; scans on the daemon clock every 30 s, as Bybit does. */
  private armIdleScan(): void {
    const clock = this.deps.clock();
    this.idleTimer = clock.setTimer(IDLE_SCAN_MS, () => {
      const now = clock.now();
      for (const c of [...this.conns]) {
        if (now - c.lastSeen >= c.idleMs) {
          // A half-dead (muted) connection sends nothing, a close frame included.
          if (c.muted) c.ws.terminate();
          else {
            this.flushOut(c);
            c.ws.close(1000, 'idle timeout: no ping or message received');
          }
          this.drop(c);
        }
      }
      this.armIdleScan();
    });
  }
}

function rawText(data: RawData): string {
  if (Array.isArray(data)) return Buffer.concat(data).toString('utf8');
  if (data instanceof ArrayBuffer) return Buffer.from(data).toString('utf8');
  return data.toString('utf8');
}

/** `max_active_time` = 30s..600s or 1m..10m; anything else keeps the default. @see facts §8.1 */
function maxActiveTime(v: string | null): number | undefined {
  const m = v ? /^(\d+)(s|m)$/.exec(v) : null;
  if (!m) return undefined;
  const ms = Number(m[1]) * (m[2] === 'm' ? 60_000 : 1000);
  return ms >= 30_000 && ms <= 600_000 ? ms : undefined;
}

function hashHex(a: number, b: number): string {
  return hmacHex('traceid', `${a}:${b}`).slice(0, 32);
}
