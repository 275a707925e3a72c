/**
 * Faults: network trouble on demand, deterministic. A fault = target + effect + probability
 * (drawn from a seeded stream) + lifetime (times N, for a duration, or until removed). This first
 * slice covers REST; WebSocket effects come next.
 * @see docs/faults.md
 */
import type { Random } from '../random.js';
import { globMatches } from '../rules/rules.js';

export interface FaultEffect {
  /** Extra latency before the answer, ms (or a seeded draw from [min, max]). */
  latencyMs?: number | [number, number];
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

export interface FaultSpec {
  id?: string;
  /** REST path glob (`/v5/order/*`), or "*" / absent for every path. */
  path?: string;
  /** Only this account (name or apiKey). */
  account?: string;
  effect: FaultEffect;
  /** Chance per matching request, 0..1 (default 1). */
  probability?: number;
  /** How many times it applies; absent: unlimited. */
  times?: number;
  /** For how long (ms of daemon time) from when it was added; absent: until removed. */
  forMs?: number;
}

export interface Fault extends FaultSpec {
  id: string;
  remaining: number;
  until: number;
  hits: number;
  source: 'scenario' | 'admin';
}

const EFFECTS = ['latencyMs', 'error', 'hang', 'reset', 'empty', 'malformed', 'lose'] as const;

export function faultProblems(spec: unknown): string[] {
  const p: string[] = [];
  if (typeof spec !== 'object' || spec === null || Array.isArray(spec)) return ['a fault must be an object'];
  const f = spec as Record<string, unknown>;
  for (const k of Object.keys(f)) {
    if (!['id', 'path', 'account', 'effect', 'probability', 'times', 'for', 'forMs'].includes(k)) {
      p.push(`unknown key "${k}" (faults take id, path, account, effect, probability, times, for)`);
    }
  }
  if (f.id !== undefined && (typeof f.id !== 'string' || !/^[A-Za-z0-9_.-]{1,64}$/.test(f.id)))
    p.push('id must be 1-64 letters, digits, "_", "-" or "."');
  if (f.path !== undefined && (typeof f.path !== 'string' || !(f.path === '*' || f.path.startsWith('/v5/'))))
    p.push('path must be "*" or a glob starting with /v5/');
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
  const e = f.effect;
  if (typeof e !== 'object' || e === null || Array.isArray(e)) {
    p.push(`effect is required: an object with one of ${EFFECTS.join(', ')}`);
    return p;
  }
  const eff = e as Record<string, unknown>;
  for (const k of Object.keys(eff))
    if (!(EFFECTS as readonly string[]).includes(k))
      p.push(`effect.${k} is not an effect (${EFFECTS.join(', ')})`);
  const terminal = ['error', 'hang', 'reset', 'empty', 'malformed', 'lose'].filter(
    (k) => eff[k] !== undefined,
  );
  if (terminal.length > 1)
    p.push(`effect takes one of error, hang, reset, empty, malformed, lose (got ${terminal.join(', ')})`);
  if (terminal.length === 0 && eff.latencyMs === undefined) p.push('effect is empty');
  const ms = (v: unknown) => typeof v === 'number' && Number.isSafeInteger(v) && v >= 0 && v <= 600_000;
  if (eff.latencyMs !== undefined) {
    const l = eff.latencyMs;
    if (!(
      ms(l) ||
      (Array.isArray(l) && l.length === 2 && ms(l[0]) && ms(l[1]) && (l[0] as number) <= (l[1] as number))
    )) {
      p.push('effect.latencyMs must be ms (0 to 10 minutes) or [min, max]');
    }
  }
  if (eff.error !== undefined) {
    const er = eff.error as Record<string, unknown>;
    const bybit =
      typeof er?.retCode === 'number' &&
      Number.isSafeInteger(er.retCode) &&
      er.retCode !== 0 &&
      typeof er.retMsg === 'string';
    const http =
      typeof er?.httpStatus === 'number' &&
      Number.isInteger(er.httpStatus) &&
      er.httpStatus >= 400 &&
      er.httpStatus <= 599;
    if (!bybit && !http)
      p.push('effect.error needs {retCode (not 0), retMsg} or {httpStatus 400-599, body?}');
  }
  for (const k of ['hang', 'reset', 'empty', 'malformed', 'lose']) {
    if (eff[k] !== undefined && eff[k] !== true) p.push(`effect.${k} must be true`);
  }
  return p;
}

export class FaultBook {
  private faults: Fault[] = [];
  private seq = 0;

  constructor(
    private readonly initial: readonly FaultSpec[],
    private readonly rng: Random,
    private readonly now: () => number,
  ) {
    this.reset();
  }

  reset(): void {
    this.faults = [];
    this.seq = 0;
    for (const spec of this.initial) this.faults.push(this.make(spec, 'scenario'));
  }

  private make(spec: FaultSpec, source: Fault['source']): Fault {
    let id = spec.id;
    while (id === undefined || (spec.id === undefined && this.faults.some((f) => f.id === id)))
      id = `fault-${++this.seq}`;
    return {
      ...spec,
      id,
      remaining: spec.times ?? Infinity,
      until: spec.forMs === undefined ? Infinity : this.now() + spec.forMs,
      hits: 0,
      source,
    };
  }

  add(spec: FaultSpec): Fault {
    if (spec.id !== undefined && this.faults.some((f) => f.id === spec.id))
      throw new Error(`a fault with id "${spec.id}" exists`);
    const fault = this.make(spec, 'admin');
    this.faults.unshift(fault);
    return fault;
  }

  remove(id: string): boolean {
    const before = this.faults.length;
    this.faults = this.faults.filter((f) => f.id !== id);
    return before !== this.faults.length;
  }

  list(): Fault[] {
    return this.faults;
  }

  get size(): number {
    return this.faults.length;
  }

  /** The first live fault that matches the request and wins its (seeded) draw. */
  take(path: string, account: string, apiKey: string): Fault | undefined {
    const now = this.now();
    for (const f of this.faults) {
      if (f.remaining <= 0 || now >= f.until) continue;
      if (f.path !== undefined && f.path !== '*' && !globMatches(f.path, path)) continue;
      if (f.account !== undefined && f.account !== account && f.account !== apiKey) continue;
      // The draw happens for every matching request, so a run with the same requests is the same run.
      if (f.probability !== undefined && f.probability < 1 && this.rng.next() >= f.probability) continue;
      f.remaining -= 1;
      f.hits += 1;
      return f;
    }
    return undefined;
  }

  latencyOf(effect: FaultEffect): number {
    const l = effect.latencyMs;
    if (l === undefined) return 0;
    if (typeof l === 'number') return l;
    return l[0] + Math.floor(this.rng.next() * (l[1] - l[0] + 1));
  }
}
