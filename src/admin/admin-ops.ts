/**
 * Admin routes about the daemon's traffic rather than the exchange: the admin token, the request
 * journal, WebSocket connections and custom private events. Mounted on /__admin before the
 * exchange routes (admin-app.ts), so the token check guards both.
 * @see docs/admin-api.md
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import express, { type NextFunction, type Request, type Response, type Router } from 'express';
import { AdminError } from '../core/errors.js';
import type { Exchange } from '../core/exchange.js';
import {
  checkFault,
  networkProblems,
  skewProblems,
  type Fault,
  type NetworkSettings,
} from '../core/faults/faults.js';
import { rateLimitProblems } from '../core/limits/rate-limits.js';
import { ruleProblems, type Rule, type RuleSpec } from '../core/rules/rules.js';
import { parseDuration } from '../config/duration.js';
import type { ScenarioProblem } from '../config/scenario/load.js';
import type { Journal, JournalFilter } from '../runtime/journal.js';
import type { WsHub } from '../ws/hub.js';
import { eventStream, type AdminEventRelay } from './admin-events.js';
import { openApiDocument } from './openapi.js';

export interface AdminOpsDeps {
  token: string | undefined;
  journal: Journal;
  hub: WsHub;
  exchange: () => Exchange;
  events: AdminEventRelay;
  version: string;
  /** The loaded scenario (file name and parsed content). */
  scenario: () => { file: string; scenario: unknown };
  /** Loads a scenario from YAML text and resets to it; returns its problems (empty: loaded). */
  loadScenario: (yaml: string) => ScenarioProblem[];
}

function ruleView(r: Rule) {
  return {
    id: r.id,
    on: r.on,
    match: r.match ?? {},
    action: r.action,
    times: r.times ?? null,
    remaining: Number.isFinite(r.remaining) ? r.remaining : null,
    hits: r.hits,
    source: r.source,
  };
}

function faultView(f: Fault) {
  return {
    id: f.id,
    transport: f.transport,
    ...(f.transport === 'rest'
      ? { path: f.path ?? '*' }
      : { stream: f.stream ?? null, topic: f.topic ?? null, op: f.op ?? null }),
    account: f.account ?? null,
    effect: f.effect,
    probability: f.probability ?? 1,
    times: f.times ?? null,
    remaining: Number.isFinite(f.remaining) ? f.remaining : null,
    until: Number.isFinite(f.until) ? f.until : null,
    hits: f.hits,
    source: f.source,
  };
}

function digest(s: string): Buffer {
  return createHash('sha256').update(s).digest();
}

/** Compares a presented bearer token with the configured one in constant time. */
export function tokenMatches(expected: string, header: string | undefined): boolean {
  const m = header ? /^Bearer\s+(.+)$/i.exec(header.trim()) : null;
  return m !== null && timingSafeEqual(digest(expected), digest(m[1]!));
}

function intQuery(q: Record<string, unknown>, name: string, min: number, max: number): number | undefined {
  const v = q[name];
  if (v === undefined || v === '') return undefined;
  if (typeof v !== 'string' || !/^\d+$/.test(v) || Number(v) < min || Number(v) > max) {
    throw new AdminError(
      400,
      'bad_query',
      `${name} must be an integer from ${min} to ${max}.`,
      `e.g. ?${name}=${min}`,
    );
  }
  return Number(v);
}

/** The query string (the app turns Express's query parser off: signatures need the raw query). */
export function queryOf(req: Request): Record<string, string> {
  const i = req.originalUrl.indexOf('?');
  return i < 0 ? {} : Object.fromEntries(new URLSearchParams(req.originalUrl.slice(i + 1)));
}

function filterOf(req: Request): JournalFilter {
  const q = queryOf(req);
  const s = (k: string) => (typeof q[k] === 'string' && q[k] !== '' ? (q[k] as string) : undefined);
  return {
    path: s('path'),
    account: s('account'),
    op: s('op'),
    retCode: intQuery(q, 'retCode', 0, 1_000_000),
    status: intQuery(q, 'status', 100, 599),
    since: intQuery(q, 'since', 0, Number.MAX_SAFE_INTEGER),
    limit: intQuery(q, 'limit', 1, 10_000),
  };
}

export function createAdminOpsRouter(deps: AdminOpsDeps): Router {
  const router = express.Router();
  if (deps.token !== undefined) {
    const token = deps.token;
    router.use((req, res, next) => {
      if (req.path === '/health' || tokenMatches(token, req.get('authorization'))) {
        next();
        return;
      }
      res.status(401).json({
        error: 'unauthorized',
        message: 'The admin API needs the admin token.',
        hint: 'Send Authorization: Bearer <token> (the daemon was started with --admin-token or BYBIT_MOCK_ADMIN_TOKEN).',
      });
    });
  }
  // A scenario arrives as YAML text, so it is read before the JSON parser.
  router.post('/scenario', express.text({ limit: '1mb', type: () => true }), (req, res) => {
    const text = typeof req.body === 'string' ? req.body : '';
    if (text.trim() === '') {
      throw new AdminError(
        400,
        'bad_scenario',
        'The body is empty.',
        'Send the scenario YAML as the body (curl --data-binary @file.yaml).',
      );
    }
    const problems = deps.loadScenario(text);
    if (problems.length > 0) {
      res.status(400).json({
        error: 'bad_scenario',
        message: `The scenario has ${problems.length} problem(s); nothing changed.`,
        hint: 'Fix them (bybit-mock validate FILE shows the same list) and send it again.',
        problems: problems.map((p) => ({ line: p.line, column: p.column, path: p.path, message: p.message })),
      });
      return;
    }
    res.json({ status: 'loaded', state: deps.exchange().stateView() });
  });
  router.get('/scenario', (_req, res) => {
    res.json(deps.scenario());
  });
  router.use(express.json({ limit: '1mb', type: () => true }));

  router.get('/events', eventStream(deps.events));
  router.get('/openapi.json', (_req, res) => {
    res.json(openApiDocument(deps.version));
  });

  // ---- faults ----
  router.get('/faults', (_req, res) => {
    res.json({ faults: deps.exchange().faults.list().map(faultView) });
  });
  router.post('/faults', (req, res) => {
    // `for` is a duration ("30s") on the wire, as in scenario files.
    const { problems, spec } = checkFault(req.body ?? {}, parseDuration);
    if (problems.length > 0) {
      throw new AdminError(
        400,
        'bad_fault',
        `The fault is invalid: ${problems.join('; ')}.`,
        'See docs/faults.md for the fault format.',
      );
    }
    const book = deps.exchange().faults;
    if (typeof spec.id === 'string' && book.list().some((f) => f.id === spec.id)) {
      throw new AdminError(
        409,
        'fault_exists',
        `A fault with id "${spec.id}" exists.`,
        'DELETE it first or pick another id.',
      );
    }
    res.json(faultView(book.add(spec)));
  });
  router.delete('/faults/:id', (req, res) => {
    const id = String(req.params.id);
    if (!deps.exchange().faults.remove(id)) {
      throw new AdminError(
        404,
        'fault_not_found',
        `No fault with id "${id}".`,
        'GET /__admin/faults lists them.',
      );
    }
    res.json({ removed: id });
  });
  router.post('/faults/reset', (_req, res) => {
    deps.exchange().faults.reset();
    res.json({ faults: deps.exchange().faults.list().map(faultView) });
  });

  // ---- network settings and clock skew ----
  const networkView = () => ({ network: deps.exchange().faults.network ?? null });
  router.get('/network', (_req, res) => {
    res.json(networkView());
  });
  router.put('/network', (req, res) => {
    const problems = networkProblems(req.body);
    if (problems.length > 0) {
      throw new AdminError(
        400,
        'bad_network',
        `The network settings are invalid: ${problems.join('; ')}.`,
        'Send {"latencyMs": 50, "jitterMs": 20, "errorRate": 0.01, "dropRate": 0.01}; absent fields are 0.',
      );
    }
    deps.exchange().faults.setNetwork(req.body as Partial<NetworkSettings>);
    res.json(networkView());
  });
  router.delete('/network', (_req, res) => {
    deps.exchange().faults.setNetwork(undefined);
    res.json(networkView());
  });
  router.put('/clock/skew', (req, res) => {
    const ms = (req.body as Record<string, unknown> | undefined)?.skewMs;
    const problems = skewProblems(ms);
    if (problems.length > 0)
      throw new AdminError(
        400,
        'bad_field',
        `${problems[0]}.`,
        'Send {"skewMs": 30000} (0 removes the skew).',
      );
    const faults = deps.exchange().faults;
    faults.setSkew(ms as number);
    res.json({ skewMs: faults.skewMs, serverTime: deps.exchange().serverTime() });
  });

  // ---- rate limits ----
  const limitsView = () => {
    const ex = deps.exchange();
    const usage = ex.limits.usage(ex.now());
    const accountOf = new Map(ex.listAccounts().map((a) => [a.uid, a.name]));
    return {
      config: ex.limits.config,
      usage: {
        uid: usage.uid.map((u) => ({ account: accountOf.get(u.uid) ?? '', ...u })),
        ip: usage.ip,
        wsConnections: deps.hub.connections().length,
      },
    };
  };
  router.get('/rate-limits', (_req, res) => {
    res.json(limitsView());
  });
  router.put('/rate-limits', (req, res) => {
    const { problems, value } = rateLimitProblems(req.body, parseDuration);
    if (problems.length > 0) {
      throw new AdminError(
        400,
        'bad_rate_limits',
        `The rate-limit settings are invalid: ${problems.join('; ')}.`,
        'See docs/faults.md "Rate limits"; e.g. {"enabled": false} or {"uid": {"/v5/order/create": 2}}.',
      );
    }
    deps.exchange().limits.configure(value);
    res.json(limitsView());
  });
  router.post('/rate-limits/reset', (_req, res) => {
    deps.exchange().limits.reset();
    res.json(limitsView());
  });

  // ---- rules ----
  router.get('/rules', (_req, res) => {
    res.json({ rules: deps.exchange().rules.list().map(ruleView) });
  });
  router.post('/rules', (req, res) => {
    const problems = ruleProblems(req.body);
    if (problems.length > 0) {
      throw new AdminError(
        400,
        'bad_rule',
        `The rule is invalid: ${problems.join('; ')}.`,
        'See docs/rules.md for the rule format.',
      );
    }
    const spec = req.body as RuleSpec;
    const book = deps.exchange().rules;
    if (spec.id !== undefined && book.list().some((r) => r.id === spec.id)) {
      throw new AdminError(
        409,
        'rule_exists',
        `A rule with id "${spec.id}" exists.`,
        'DELETE it first or pick another id.',
      );
    }
    res.json(ruleView(book.add(spec)));
  });
  router.delete('/rules/:id', (req, res) => {
    const id = String(req.params.id);
    if (!deps.exchange().rules.remove(id)) {
      throw new AdminError(
        404,
        'rule_not_found',
        `No rule with id "${id}".`,
        'GET /__admin/rules lists them.',
      );
    }
    res.json({ removed: id });
  });
  router.post('/rules/reset', (_req, res) => {
    deps.exchange().rules.reset();
    res.json({ rules: deps.exchange().rules.list().map(ruleView) });
  });

  router.get('/requests', (req, res) => {
    res.json({ requests: deps.journal.query(filterOf(req)) });
  });
  router.get('/requests/count', (req, res) => {
    res.json({ count: deps.journal.count(filterOf(req)) });
  });
  router.delete('/requests', (_req, res) => {
    deps.journal.clear();
    res.json({ cleared: true });
  });

  router.get('/connections', (_req, res) => {
    res.json({ connections: deps.hub.connections() });
  });
  router.post('/connections/close', (req, res) => {
    const b = (req.body ?? {}) as Record<string, unknown>;
    const str = (k: string) => {
      const v = b[k];
      if (v === undefined || v === null || v === '') return undefined;
      if (typeof v !== 'string')
        throw new AdminError(400, 'bad_field', `${k} must be a string.`, `Send "${k}" as a string.`);
      return v;
    };
    const mode = str('mode') ?? 'close';
    if (mode !== 'close' && mode !== 'terminate') {
      throw new AdminError(
        400,
        'bad_field',
        'mode must be "close" or "terminate".',
        'close sends a close frame; terminate drops the socket.',
      );
    }
    const code = b.code === undefined ? 1000 : b.code;
    if (
      typeof code !== 'number' ||
      !Number.isInteger(code) ||
      !(
        code === 1000 ||
        (code >= 3000 && code <= 4999) ||
        (code >= 1001 && code <= 1014 && code !== 1004 && code !== 1005 && code !== 1006)
      )
    ) {
      throw new AdminError(
        400,
        'bad_field',
        `code ${JSON.stringify(code)} is not a close code a server may send.`,
        'Use 1000, 1001, 1011, 1012 or 3000-4999.',
      );
    }
    const reason = str('reason') ?? 'closed by the admin API';
    if (Buffer.byteLength(reason) > 123)
      throw new AdminError(400, 'bad_field', 'reason must be at most 123 bytes.', 'Shorten it.');
    const closed = deps.hub.closeConnections({
      stream: str('stream'),
      account: str('account'),
      connId: str('connId'),
      code,
      reason,
      mode,
    });
    res.json({ closed });
  });

  router.post('/events/private', (req, res) => {
    const b = (req.body ?? {}) as Record<string, unknown>;
    const name = typeof b.account === 'string' ? b.account : '';
    const account = deps.exchange().findAccount(name);
    if (!account)
      throw new AdminError(
        404,
        'account_not_found',
        `No account named or keyed "${name}".`,
        'GET /__admin/accounts lists them.',
      );
    if (typeof b.topic !== 'string' || b.topic === '') {
      throw new AdminError(
        400,
        'bad_field',
        'topic is required (e.g. "order").',
        'Send {"account","topic","data":[...]}.',
      );
    }
    const data = Array.isArray(b.data)
      ? b.data
      : b.data !== undefined && typeof b.data === 'object' && b.data !== null
        ? [b.data]
        : undefined;
    if (!data)
      throw new AdminError(
        400,
        'bad_field',
        'data must be an object or an array of objects.',
        'Send "data": [{...}].',
      );
    res.json({ delivered: deps.hub.pushPrivate(account, b.topic, data) });
  });

  router.use((err: unknown, _req: Request, res: Response, next: NextFunction) => {
    if (err instanceof AdminError) {
      res.status(err.status).json({ error: err.code, message: err.message, hint: err.hint });
      return;
    }
    const e = err as { type?: string };
    if (e && e.type === 'entity.parse.failed') {
      res
        .status(400)
        .json({ error: 'bad_json', message: 'The body is not valid JSON.', hint: 'Send a JSON object.' });
      return;
    }
    next(err);
  });
  return router;
}
