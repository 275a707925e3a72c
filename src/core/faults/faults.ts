/**
 * Faults: network trouble on demand, deterministic. A fault = target + effect + probability
 * (drawn from a seeded stream) + lifetime (times N, for a duration, or until removed).
 *
 * Targets: a REST path glob, or on WebSockets a stream, a topic glob (data pushed to clients) or
 * an op glob (requests clients send); optionally one account. The transports ask the book at
 * four points: a REST request, a WS upgrade, a WS request in, a WS data frame out.
 *
 * Next to the faults the book holds the network settings (latency, jitter, error and drop rates
 * for everything at once) and the clock skew (how far the time the server tells and judges
 * requests by is off its own clock).
 * @see docs/faults.md
 */
import type { Random } from '../random.js';

/**
 * A latency: fixed ms, uniform in [min, max], or long-tailed (log-normal with this median and
 * 99th percentile, capped at `max`, 10 minutes by default). Every draw is seeded.
 */
export type Latency = number | [number, number] | { median: number; p99: number; max?: number };

/** What a REST request suffers. */
export interface RestEffect {
  /** Extra latency before the answer, ms: fixed, uniform in [min, max], or long-tailed. */
  latencyMs?: Latency;
  /** Answer an error instead of running the request. */
  error?: { retCode: number; retMsg: string } | { httpStatus: number; body?: unknown };
  /** Accept the request and never answer. */
  hang?: boolean;
  /** Drop the TCP connection without an answer (the request is not run). */
  reset?: boolean;
  /** Answer HTTP 200 with an empty body. */
  empty?: boolean;
  /** Answer HTTP 200 with a truncated JSON body. */
  malformed?: boolean;
  /** Run the request (the order exists), then drop the connection: the client never hears. */
  lose?: boolean;
}

/** What a WebSocket connection suffers. */
export interface WsEffect {
  /** Out: the frame is not sent. In: the request is ignored (no answer; on `ping`, no pong). */
  drop?: boolean;
  /** Out: the frame goes that much later. In: the answer comes that much later. */
  delayMs?: Latency;
  /** Out: the frame is sent twice. */
  duplicate?: boolean;
  /** Out: the frame is held and sent after the next frame to the same connection. */
  reorder?: boolean;
  /** Out, orderbook deltas only: the delta is skipped, so the client sees `u` jump. */
  gap?: boolean;
  /** Out, orderbook deltas only: an old snapshot (the first this connection got) goes instead. */
  staleSnapshot?: boolean;
  /** In: the request is answered with this error (auth refused, subscribe failed, ...). */
  error?: { retCode: number; retMsg: string };
  /** The connection is closed with this code and reason. */
  close?: { code?: number; reason?: string };
  /** The TCP connection is dropped without a close frame. */
  terminate?: boolean;
  /** The connection goes half-dead: it stays open but sends nothing and answers nothing, pongs included. */
  mute?: boolean;
  /** Upgrade: the handshake is refused with this HTTP status. */
  refuse?: { httpStatus?: number };
}

/** A fault's effect: REST and WS effects in one shape (`error` is either transport's form). */
export type FaultEffect = Omit<RestEffect, 'error'> &
  Omit<WsEffect, 'error'> & { error?: RestEffect['error'] };

export interface FaultSpec {
  id?: string;
  /** REST path glob (`/v5/order/*`), or "*" / absent for every path. */
  path?: string;
  /** WebSocket stream: a path (`/v5/public/linear`) or its kind (linear, spot, option, inverse, private, trade). */
  stream?: string;
  /** WebSocket data topic glob (`orderbook.*.BTCUSDT`, `execution`). */
  topic?: string;
  /** WebSocket request op glob (`auth`, `ping`, `subscribe`, `order.*`). */
  op?: string;
  /** Only this account (name or apiKey). */
  account?: string;
  effect: FaultEffect;
  /** Chance per matching request or frame, 0..1 (default 1). */
  probability?: number;
  /** How many times it applies; absent: unlimited. */
  times?: number;
  /** For how long (ms of daemon time) from when it was added; absent: until removed. */
  forMs?: number;
}

export interface Fault extends FaultSpec {
  id: string;
  /** 'rest' or 'ws', decided by the target and the effect. */
  transport: 'rest' | 'ws';
  remaining: number;
  until: number;
  hits: number;
  source: 'scenario' | 'admin' | 'timeline';
}

/** Network conditions for everything at once (`PUT /__admin/network`). */
export interface NetworkSettings {
  /** Added to every REST answer and every WS frame pushed, ms. */
  latencyMs: number;
  /** Up to this much more, drawn per request or frame (uniform), ms. */
  jitterMs: number;
  /** Chance a REST request is answered 10016 "System error" instead of running. */
  errorRate: number;
  /** Chance a WS data frame is not delivered. */
  dropRate: number;
}

/** Where a WS fault is asked: at the handshake, on a request in, on a data frame out. */
export type WsPoint = 'upgrade' | 'in' | 'out';

export interface WsEvent {
  point: WsPoint;
  /** The stream kind (linear, spot, option, inverse, private, trade). */
  stream: string;
  /** The op (in) or topic (out). */
  name: string;
  account: string;
  apiKey: string;
  /** Out: the frame is an orderbook delta (what gap and staleSnapshot act on). */
  delta?: boolean;
}

const REST_EFFECTS = ['latencyMs', 'error', 'hang', 'reset', 'empty', 'malformed', 'lose'] as const;
const WS_EFFECTS = [
  'drop',
  'delayMs',
  'duplicate',
  'reorder',
  'gap',
  'staleSnapshot',
  'error',
  'close',
  'terminate',
  'mute',
  'refuse',
] as const;
const WS_ONLY = new Set<string>(WS_EFFECTS.filter((e) => e !== 'error'));
const KEYS = [
  'id',
  'path',
  'stream',
  'topic',
  'op',
  'account',
  'effect',
  'probability',
  'times',
  'for',
  'forMs',
];
export const STREAM_KINDS = ['linear', 'spot', 'option', 'inverse', 'private', 'trade'] as const;
const STREAM_OF_PATH: Record<string, string> = {
  '/v5/public/linear': 'linear',
  '/v5/public/spot': 'spot',
  '/v5/public/option': 'option',
  '/v5/public/inverse': 'inverse',
  '/v5/private': 'private',
  '/v5/trade': 'trade',
};

/** The stream kind a fault's `stream` names (a path or a kind), or undefined. */
export function streamKindOf(stream: string): string | undefined {
  if ((STREAM_KINDS as readonly string[]).includes(stream)) return stream;
  return STREAM_OF_PATH[stream];
}

const isMap = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);
const msValue = (v: unknown) => typeof v === 'number' && Number.isSafeInteger(v) && v >= 0 && v <= 600_000;
const msOrRange = (v: unknown) =>
  msValue(v) ||
  (isMap(v) &&
    Object.keys(v).every((k) => ['median', 'p99', 'max'].includes(k)) &&
    msValue(v.median) &&
    msValue(v.p99) &&
    (v.median as number) >= 1 &&
    (v.p99 as number) >= (v.median as number) &&
    (v.max === undefined || (msValue(v.max) && (v.max as number) >= (v.median as number)))) ||
  (Array.isArray(v) &&
    v.length === 2 &&
    msValue(v[0]) &&
    msValue(v[1]) &&
    (v[0] as number) <= (v[1] as number));
const globText = (v: unknown) => typeof v === 'string' && v.length > 0 && v.length <= 200;

/** Which transport a fault spec is for: WS when it names a stream, topic or op or a WS-only effect. */
function transportOf(f: Record<string, unknown>): 'rest' | 'ws' {
  if (f.stream !== undefined || f.topic !== undefined || f.op !== undefined) return 'ws';
  if (isMap(f.effect) && Object.keys(f.effect).some((k) => WS_ONLY.has(k))) return 'ws';
  return 'rest';
}

/** Every problem with a fault spec, in words a user can act on; [] when it is valid. */
export function faultProblems(spec: unknown): string[] {
  const p: string[] = [];
  if (!isMap(spec)) return ['a fault must be an object'];
  const f = spec;
  for (const k of Object.keys(f)) {
    if (!KEYS.includes(k))
      p.push(
        `unknown key "${k}" (faults take id, path, stream, topic, op, account, effect, probability, times, for)`,
      );
  }
  if (f.id !== undefined && (typeof f.id !== 'string' || !/^[A-Za-z0-9_.-]{1,64}$/.test(f.id)))
    p.push('id must be 1-64 letters, digits, "_", "-" or "."');
  if (f.path !== undefined && (typeof f.path !== 'string' || !(f.path === '*' || f.path.startsWith('/v5/'))))
    p.push('path must be "*" or a glob starting with /v5/');
  if (f.stream !== undefined && (typeof f.stream !== 'string' || streamKindOf(f.stream) === undefined))
    p.push(`stream must be a WebSocket path or one of ${STREAM_KINDS.join(', ')}`);
  if (f.topic !== undefined && !globText(f.topic))
    p.push('topic must be a topic glob such as "orderbook.*.BTCUSDT"');
  if (f.op !== undefined && !globText(f.op))
    p.push('op must be an op glob such as "auth", "ping" or "order.*"');
  if (f.topic !== undefined && f.op !== undefined)
    p.push('a fault targets a topic (frames out) or an op (requests in), not both');
  if (f.account !== undefined && typeof f.account !== 'string') p.push('account must be a string');
  if (
    f.probability !== undefined &&
    !(typeof f.probability === 'number' && f.probability >= 0 && f.probability <= 1)
  )
    p.push('probability must be a number from 0 to 1');
  if (
    f.times !== undefined &&
    !(typeof f.times === 'number' && Number.isSafeInteger(f.times) && f.times >= 1)
  )
    p.push('times must be a whole number >= 1');
  if (
    f.forMs !== undefined &&
    !(typeof f.forMs === 'number' && Number.isSafeInteger(f.forMs) && f.forMs >= 1)
  )
    p.push('for must be a positive duration');
  if (!isMap(f.effect)) {
    p.push(
      `effect is required: an object with one of ${REST_EFFECTS.join(', ')} (REST) or ${WS_EFFECTS.join(', ')} (WebSocket)`,
    );
    return p;
  }
  const eff = f.effect;
  const ws = transportOf(f) === 'ws';
  if (ws && f.path !== undefined)
    p.push('path is for REST faults; WebSocket faults take stream, topic or op');
  return p.concat(ws ? wsEffectProblems(f, eff) : restEffectProblems(eff));
}

function restEffectProblems(eff: Record<string, unknown>): string[] {
  const p: string[] = [];
  for (const k of Object.keys(eff))
    if (!(REST_EFFECTS as readonly string[]).includes(k))
      p.push(`effect.${k} is not a REST effect (${REST_EFFECTS.join(', ')})`);
  const terminal = ['error', 'hang', 'reset', 'empty', 'malformed', 'lose'].filter(
    (k) => eff[k] !== undefined,
  );
  if (terminal.length > 1)
    p.push(`effect takes one of error, hang, reset, empty, malformed, lose (got ${terminal.join(', ')})`);
  if (terminal.length === 0 && eff.latencyMs === undefined) p.push('effect is empty');
  if (eff.latencyMs !== undefined && !msOrRange(eff.latencyMs))
    p.push('effect.latencyMs must be ms (0 to 10 minutes), [min, max] or {median, p99, max?}');
  if (eff.error !== undefined) {
    const er = eff.error as Record<string, unknown>;
    const http =
      typeof er?.httpStatus === 'number' &&
      Number.isInteger(er.httpStatus) &&
      er.httpStatus >= 400 &&
      er.httpStatus <= 599;
    if (!bybitError(er) && !http)
      p.push('effect.error needs {retCode (not 0), retMsg} or {httpStatus 400-599, body?}');
  }
  for (const k of ['hang', 'reset', 'empty', 'malformed', 'lose'])
    if (eff[k] !== undefined && eff[k] !== true) p.push(`effect.${k} must be true`);
  return p;
}

function bybitError(er: unknown): boolean {
  return (
    isMap(er) &&
    typeof er.retCode === 'number' &&
    Number.isSafeInteger(er.retCode) &&
    er.retCode !== 0 &&
    typeof er.retMsg === 'string'
  );
}

function wsEffectProblems(f: Record<string, unknown>, eff: Record<string, unknown>): string[] {
  const p: string[] = [];
  for (const k of Object.keys(eff))
    if (!(WS_EFFECTS as readonly string[]).includes(k))
      p.push(`effect.${k} is not a WebSocket effect (${WS_EFFECTS.join(', ')})`);
  const keys = Object.keys(eff).filter((k) => eff[k] !== undefined);
  if (keys.length === 0) p.push('effect is empty');
  if (keys.length > 1) p.push(`a WebSocket fault has one effect (got ${keys.join(', ')})`);
  for (const k of ['drop', 'duplicate', 'reorder', 'gap', 'staleSnapshot', 'terminate', 'mute'])
    if (eff[k] !== undefined && eff[k] !== true) p.push(`effect.${k} must be true`);
  if (eff.delayMs !== undefined && !msOrRange(eff.delayMs))
    p.push('effect.delayMs must be ms (0 to 10 minutes), [min, max] or {median, p99, max?}');
  if (eff.error !== undefined) {
    if (!bybitError(eff.error)) p.push('effect.error needs {retCode (not 0), retMsg}');
    if (f.op === undefined)
      p.push('effect.error answers a request: give the op it answers (auth, subscribe, order.create, ...)');
  }
  if (eff.close !== undefined) {
    const c = eff.close;
    if (!isMap(c)) p.push('effect.close must be an object {code?, reason?}');
    else {
      if (
        c.code !== undefined &&
        !(
          typeof c.code === 'number' &&
          Number.isInteger(c.code) &&
          (c.code === 1000 ||
            (c.code >= 3000 && c.code <= 4999) ||
            (c.code >= 1001 && c.code <= 1014 && c.code !== 1004 && c.code !== 1005 && c.code !== 1006))
        )
      )
        p.push(
          'effect.close.code must be a close code a server may send (1000-1014 but 1004-1006, or 3000-4999)',
        );
      if (
        c.reason !== undefined &&
        !(typeof c.reason === 'string' && new TextEncoder().encode(c.reason).length <= 123)
      )
        p.push('effect.close.reason must be a string of at most 123 bytes');
    }
  }
  if (eff.refuse !== undefined) {
    const r = eff.refuse;
    if (
      !isMap(r) ||
      (r.httpStatus !== undefined &&
        !(
          typeof r.httpStatus === 'number' &&
          Number.isInteger(r.httpStatus) &&
          r.httpStatus >= 400 &&
          r.httpStatus <= 599
        ))
    )
      p.push('effect.refuse must be {httpStatus?: 400-599}');
    if (f.topic !== undefined || f.op !== undefined)
      p.push('effect.refuse applies at the handshake: target a stream, not a topic or op');
    if (f.account !== undefined)
      p.push('effect.refuse applies at the handshake, before any auth: it cannot target an account');
  }
  const outOnly = ['duplicate', 'reorder', 'gap', 'staleSnapshot'].find((k) => eff[k] !== undefined);
  if (outOnly && f.op !== undefined)
    p.push(`effect.${outOnly} changes frames pushed to the client: target a topic or stream, not an op`);
  if (
    (eff.gap !== undefined || eff.staleSnapshot !== undefined) &&
    typeof f.topic === 'string' &&
    !f.topic.startsWith('orderbook') &&
    f.topic !== '*'
  )
    p.push('gap and staleSnapshot apply to orderbook topics');
  if (
    (eff.gap !== undefined || eff.staleSnapshot !== undefined) &&
    typeof f.stream === 'string' &&
    ['private', 'trade'].includes(streamKindOf(f.stream) ?? '')
  )
    p.push('gap and staleSnapshot apply to orderbook topics, on the public streams');
  return p;
}

/** Every problem with network settings; [] when valid. */
export function networkProblems(v: unknown): string[] {
  if (!isMap(v)) return ['network settings must be an object {latencyMs, jitterMs, errorRate, dropRate}'];
  const p: string[] = [];
  for (const k of Object.keys(v))
    if (!['latencyMs', 'jitterMs', 'errorRate', 'dropRate'].includes(k))
      p.push(`unknown key "${k}" (network takes latencyMs, jitterMs, errorRate, dropRate)`);
  for (const k of ['latencyMs', 'jitterMs'])
    if (v[k] !== undefined && !msValue(v[k])) p.push(`${k} must be ms from 0 to 600000`);
  for (const k of ['errorRate', 'dropRate'])
    if (v[k] !== undefined && !(typeof v[k] === 'number' && (v[k] as number) >= 0 && (v[k] as number) <= 1))
      p.push(`${k} must be a number from 0 to 1`);
  return p;
}

export const MAX_SKEW_MS = 24 * 3600_000;

/** A glob compiled once: `*` any run of characters, `?` one character. */
function compileGlob(pattern: string): (value: string) => boolean {
  if (pattern === '*') return () => true;
  if (!/[*?]/.test(pattern)) return (v) => v === pattern;
  const re = new RegExp(
    `^${pattern
      .replace(/[.+^${}()|[\]\\]/g, '\\$&')
      .replace(/\*/g, '.*')
      .replace(/\?/g, '.')}$`,
  );
  return (v) => re.test(v);
}

interface Compiled {
  fault: Fault;
  path?: (v: string) => boolean;
  name?: (v: string) => boolean;
  stream?: string;
  point: WsPoint | 'any' | 'rest';
}

export class FaultBook {
  private entries: Compiled[] = [];
  private seq = 0;
  private wsCount = 0;
  private restCount = 0;
  private net: NetworkSettings | undefined;
  private skew = 0;

  constructor(
    private readonly initial: readonly FaultSpec[],
    private readonly rng: Random,
    private readonly now: () => number,
    private readonly initialNetwork?: Partial<NetworkSettings>,
    private readonly initialSkewMs = 0,
  ) {
    this.reset();
  }

  /** Back to the scenario's faults, network settings and skew. */
  reset(): void {
    this.entries = [];
    this.seq = 0;
    for (const spec of this.initial) this.entries.push(this.compile(spec, 'scenario'));
    this.count();
    this.setNetwork(this.initialNetwork);
    this.skew = this.initialSkewMs;
  }

  private count(): void {
    this.wsCount = this.entries.filter((e) => e.fault.transport === 'ws').length;
    this.restCount = this.entries.length - this.wsCount;
  }

  private compile(spec: FaultSpec, source: Fault['source']): Compiled {
    let id = spec.id;
    // A generated id never takes one in use or one a scenario fault names (compiled later).
    const taken = (x: string) =>
      this.entries.some((e) => e.fault.id === x) || this.initial.some((s) => s.id === x);
    while (id === undefined || (spec.id === undefined && taken(id))) id = `fault-${++this.seq}`;
    const transport = transportOf(spec as unknown as Record<string, unknown>);
    const fault: Fault = {
      ...spec,
      id,
      transport,
      remaining: spec.times ?? Infinity,
      until: spec.forMs === undefined ? Infinity : this.now() + spec.forMs,
      hits: 0,
      source,
    };
    const e = spec.effect;
    let point: Compiled['point'] = 'rest';
    if (transport === 'ws') {
      if (e.refuse) point = 'upgrade';
      else if (spec.op !== undefined || e.error) point = 'in';
      else if (spec.topic !== undefined || e.duplicate || e.reorder || e.gap || e.staleSnapshot)
        point = 'out';
      else if (e.close || e.terminate || e.mute) point = 'any';
      else point = 'out';
    }
    return {
      fault,
      point,
      path: spec.path !== undefined ? compileGlob(spec.path) : undefined,
      name:
        spec.op !== undefined
          ? compileGlob(spec.op)
          : spec.topic !== undefined
            ? compileGlob(spec.topic)
            : undefined,
      stream: spec.stream !== undefined ? streamKindOf(spec.stream) : undefined,
    };
  }

  /** Adds a fault in front of the others (the newest is asked first). */
  add(spec: FaultSpec, source: Fault['source'] = 'admin'): Fault {
    if (spec.id !== undefined && this.entries.some((e) => e.fault.id === spec.id))
      throw new Error(`a fault with id "${spec.id}" exists`);
    const c = this.compile(spec, source);
    this.entries.unshift(c);
    this.count();
    return c.fault;
  }

  remove(id: string): boolean {
    const before = this.entries.length;
    this.entries = this.entries.filter((e) => e.fault.id !== id);
    this.count();
    return before !== this.entries.length;
  }

  list(): Fault[] {
    return this.entries.map((e) => e.fault);
  }

  get size(): number {
    return this.entries.length;
  }

  /** True when a REST request may be affected (a REST fault or network settings). */
  get restActive(): boolean {
    return (
      this.restCount > 0 ||
      (this.net !== undefined && (this.net.latencyMs > 0 || this.net.jitterMs > 0 || this.net.errorRate > 0))
    );
  }

  /** True when a WS frame may be affected (a WS fault or network settings). */
  get wsActive(): boolean {
    return (
      this.wsCount > 0 ||
      (this.net !== undefined && (this.net.latencyMs > 0 || this.net.jitterMs > 0 || this.net.dropRate > 0))
    );
  }

  private live(c: Compiled, now: number): boolean {
    return c.fault.remaining > 0 && now < c.fault.until;
  }

  private hit(c: Compiled): Fault | undefined {
    const f = c.fault;
    // The draw happens for every matching request, so a run with the same requests is the same run.
    if (f.probability !== undefined && f.probability < 1 && this.rng.next() >= f.probability)
      return undefined;
    f.remaining -= 1;
    f.hits += 1;
    return f;
  }

  /** The first live REST fault that matches the request and wins its (seeded) draw. */
  take(path: string, account: string, apiKey: string): Fault | undefined {
    if (this.restCount === 0) return undefined;
    const now = this.now();
    for (const c of this.entries) {
      if (c.point !== 'rest' || !this.live(c, now)) continue;
      if (c.path && !c.path(path)) continue;
      const f = c.fault;
      if (f.account !== undefined && f.account !== account && f.account !== apiKey) continue;
      const won = this.hit(c);
      if (won) return won;
    }
    return undefined;
  }

  /** The first live WebSocket fault that matches the event and wins its (seeded) draw. */
  takeWs(ev: WsEvent): Fault | undefined {
    if (this.wsCount === 0) return undefined;
    const now = this.now();
    for (const c of this.entries) {
      if (c.fault.transport !== 'ws' || !this.live(c, now)) continue;
      if (c.point !== ev.point && !(c.point === 'any' && ev.point !== 'upgrade')) continue;
      if (c.stream !== undefined && c.stream !== ev.stream) continue;
      // A topic fault never matches a request, an op fault never matches a frame.
      if (c.name) {
        const wantsOp = c.fault.op !== undefined;
        if ((ev.point === 'in') !== wantsOp || !c.name(ev.name)) continue;
      }
      const f = c.fault;
      if (f.account !== undefined && f.account !== ev.account && f.account !== ev.apiKey) continue;
      if ((f.effect.gap || f.effect.staleSnapshot) && ev.delta !== true) continue;
      const won = this.hit(c);
      if (won) return won;
    }
    return undefined;
  }

  /** Extra latency of a REST fault's effect (a seeded draw for a range). */
  latencyOf(effect: FaultEffect): number {
    return this.draw(effect.latencyMs);
  }

  /** Delay of a WS fault's effect. */
  delayOf(effect: FaultEffect): number {
    return this.draw(effect.delayMs);
  }

  private draw(l: Latency | undefined): number {
    if (l === undefined) return 0;
    if (typeof l === 'number') return l;
    if (!Array.isArray(l)) {
      // Log-normal: ln(x) ~ N(ln median, sigma), sigma set so that P(x <= p99) = 0.99.
      const sigma = Math.log(l.p99 / l.median) / 2.3263478740408408;
      const u1 = 1 - this.rng.next();
      const u2 = this.rng.next();
      const z = Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2);
      return Math.min(l.max ?? 600_000, Math.round(l.median * Math.exp(sigma * z)));
    }
    return l[0] + Math.floor(this.rng.next() * (l[1] - l[0] + 1));
  }

  // ---- network settings ----

  get network(): NetworkSettings | undefined {
    return this.net;
  }

  /** Sets (or with undefined clears) the network settings; absent fields are 0. */
  setNetwork(n: Partial<NetworkSettings> | undefined): void {
    this.net =
      n === undefined
        ? undefined
        : {
            latencyMs: n.latencyMs ?? 0,
            jitterMs: n.jitterMs ?? 0,
            errorRate: n.errorRate ?? 0,
            dropRate: n.dropRate ?? 0,
          };
  }

  /** Latency the network settings add to one REST answer or WS frame (seeded jitter). */
  networkLatency(): number {
    const n = this.net;
    if (!n) return 0;
    return n.latencyMs + (n.jitterMs > 0 ? Math.floor(this.rng.next() * (n.jitterMs + 1)) : 0);
  }

  /** Whether the network settings fail this REST request (a seeded draw). */
  networkError(): boolean {
    const n = this.net;
    return n !== undefined && n.errorRate > 0 && this.rng.next() < n.errorRate;
  }

  /** Whether the network settings lose this WS frame (a seeded draw). */
  networkDrop(): boolean {
    const n = this.net;
    return n !== undefined && n.dropRate > 0 && this.rng.next() < n.dropRate;
  }

  // ---- clock skew ----

  /** How far the time the server tells and judges requests by is off the daemon clock, ms. */
  get skewMs(): number {
    return this.skew;
  }

  setSkew(ms: number): void {
    this.skew = ms;
  }
}

/**
 * A fault as written in a scenario or sent to the admin API (`for` a duration such as "30s"),
 * checked and converted to a spec. `duration` reads a duration into ms.
 */
export function checkFault(
  raw: unknown,
  duration: (v: unknown) => number | undefined,
): { problems: string[]; spec: FaultSpec } {
  if (!isMap(raw)) return { problems: ['a fault must be an object'], spec: raw as FaultSpec };
  const spec: Record<string, unknown> = { ...raw };
  const early: string[] = [];
  if (raw.for !== undefined) {
    const ms = duration(raw.for);
    delete spec.for;
    if (ms === undefined || ms < 1)
      early.push(`for must be a duration such as "30s", got ${JSON.stringify(raw.for)}`);
    else spec.forMs = ms;
  }
  return { problems: [...early, ...faultProblems(spec)], spec: spec as unknown as FaultSpec };
}

/** Every problem with a clock skew, [] when valid. */
export function skewProblems(v: unknown): string[] {
  return typeof v === 'number' && Number.isSafeInteger(v) && Math.abs(v) <= MAX_SKEW_MS
    ? []
    : [`skewMs must be a whole number of ms from -${MAX_SKEW_MS} to ${MAX_SKEW_MS}`];
}
