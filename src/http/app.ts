/**
 * The REST application. createHttpApp never listens: the composition root (runtime/) owns the
 * server. Routes are dispatched by one map lookup; the body is read raw (signatures cover the
 * exact bytes) and parsed here, so a bad body never reaches the core.
 */
import express, { type Express, type NextFunction, type Request, type Response } from 'express';
import type { Logger } from 'pino';
import { rawQueryOf } from '../auth/signing.js';
import type { Exchange } from '../core/exchange.js';
import { ExchangeError, errors } from '../core/errors.js';
import type { Account } from '../core/accounts/account.js';
import type { Fault } from '../core/faults/faults.js';
import { authenticate } from './auth.js';
import { errorEnvelope, okEnvelope, type Envelope } from './envelope.js';
import { Params } from './params.js';
import type { RouteDef } from './route.js';
import { accountRoutes } from './routes/v5/account.js';
import { categoryOf, marketRoutes } from './routes/v5/market.js';
import { positionRoutes } from './routes/v5/position.js';
import { tradeRoutes } from './routes/v5/trade.js';

export interface HttpOptions {
  maxBodyBytes: number;
  invalidKeyHttpStatus: number;
  /** Accept request timestamps near the wall clock as well as near the daemon clock. */
  acceptWallClock?: boolean;
}

export interface HttpDeps {
  exchange: () => Exchange;
  logger: Logger;
  options: HttpOptions;
  /** Receives every answered v5 request (the request journal). */
  journal?: (entry: {
    path: string;
    account: string;
    params: unknown;
    status: number;
    retCode: number | undefined;
    /** The fault that answered (or swallowed) the request, if one did. */
    fault?: string;
    latencyMs: number;
  }) => void;
  /** Extra routers mounted before the v5 dispatcher (the admin API). */
  mount?: (app: Express) => void;
}

export const V5_ROUTES: readonly RouteDef[] = [
  ...marketRoutes,
  ...accountRoutes,
  ...positionRoutes,
  ...tradeRoutes,
];

interface RequestState {
  started: bigint;
  account?: string;
}

const stateOf = new WeakMap<Request, RequestState>();

export function createHttpApp(deps: HttpDeps): Express {
  const app = express();
  app.disable('x-powered-by');
  app.disable('etag');
  app.set('query parser', false);

  const routes = new Map<string, RouteDef>();
  for (const r of V5_ROUTES) routes.set(`${r.method} ${r.path}`, r);

  app.use((req, res, next) => {
    const state: RequestState = { started: process.hrtime.bigint() };
    stateOf.set(req, state);
    res.on('finish', () => {
      const ms = Number(process.hrtime.bigint() - state.started) / 1e6;
      deps.logger.info(
        {
          method: req.method,
          path: req.path,
          status: res.statusCode,
          latencyMs: Math.round(ms * 100) / 100,
          account: state.account,
        },
        'request',
      );
    });
    next();
  });

  deps.mount?.(app);

  app.use((req, res, next) => {
    const route = routes.get(`${req.method} ${req.path}`);
    if (!route) {
      next();
      return;
    }
    handle(route, req, res, deps).catch(next);
  });

  app.use((req, res) => {
    const exchange = deps.exchange();
    // Bybit's IP limit counts all traffic, unknown paths included.
    if (
      req.path.startsWith('/v5/') &&
      exchange.limits.takeIp(exchange.now(), req.socket.remoteAddress ?? '') !== undefined
    ) {
      res.status(403).type('text/plain').send('403 Forbidden: access too frequent.');
      return;
    }
    const err = errors.routeNotFound(req.method, req.path);
    res.status(err.httpStatus).json(errorEnvelope(err.retCode, err.retMsg, exchange.serverTime()));
  });

  // Last resort: nothing thrown inside a handler may become an HTML 500 page.
  app.use((err: unknown, req: Request, res: Response, _next: NextFunction) => {
    deps.logger.error({ err, method: req.method, path: req.path }, 'unhandled error');
    const e = errors.serverError();
    if (!res.headersSent)
      res.status(e.httpStatus).json(errorEnvelope(e.retCode, e.retMsg, deps.exchange().serverTime()));
  });

  return app;
}

async function handle(route: RouteDef, req: Request, res: Response, deps: HttpDeps): Promise<void> {
  const exchange = deps.exchange();
  const limits = exchange.limits;
  const faults = exchange.faults;
  // A bad network delays every answer, refusals included.
  if (faults.network !== undefined) {
    const netLatency = faults.networkLatency();
    if (netLatency > 0) await exchange.delay(netLatency);
  }
  // The IP-wide limit comes first and covers public endpoints too (facts §5.1).
  const bannedUntil = limits.takeIp(exchange.now(), req.socket.remoteAddress ?? '');
  if (bannedUntil !== undefined) {
    res
      .status(403)
      .type('text/plain')
      .send(
        `403 Forbidden: access too frequent. More than ${limits.config.ip.limit} requests in ${limits.config.ip.windowMs} ms from this address; wait until ${bannedUntil} (daemon clock) and slow down.`,
      );
    journal(deps, req, route, '', undefined, 403, undefined);
    return;
  }
  let body: Envelope;
  let params: Params | undefined;
  let accountName = '';
  try {
    // Signatures cover the raw bytes, so authentication comes before parameters are parsed.
    const payload =
      route.method === 'POST' ? await readBody(req, deps.options.maxBodyBytes) : rawQueryOf(req.originalUrl);
    let account;
    if (route.access !== 'public') {
      // The journal names the key's account even when authentication then fails.
      accountName = exchange.accountByApiKey(req.get('x-bapi-api-key') ?? '')?.name ?? '';
      const skew = exchange.faults.skewMs;
      account = authenticate({
        apiKey: req.get('x-bapi-api-key'),
        timestamp: req.get('x-bapi-timestamp'),
        sign: req.get('x-bapi-sign'),
        recvWindow: req.get('x-bapi-recv-window'),
        payload,
        access: route.access,
        serverTime: exchange.serverTime(),
        // A skewed server is skewed against the wall clock too.
        wallTime: deps.options.acceptWallClock ? Date.now() + skew : undefined,
        lookup: (key) => exchange.accountByApiKey(key),
        invalidKeyHttpStatus: deps.options.invalidKeyHttpStatus,
      });
      const state = stateOf.get(req);
      if (state) state.account = account.name;
      accountName = account.name;
    }
    params = route.method === 'POST' ? new Params(parseJsonObject(payload)) : Params.fromQuery(payload);
    let granted: number | undefined;
    if (account) {
      const category = (route.limitCategory ?? categoryOf)(params);
      const units = route.limitUnits?.(params, category) ?? 1;
      const limit = limits.take(exchange.now(), account.uid, route.path, category, units);
      res.setHeader('X-Bapi-Limit', String(limit.limit));
      res.setHeader('X-Bapi-Limit-Status', String(limit.remaining));
      // Bybit: the reset time when the limit is exceeded, roughly "now" otherwise (facts §2.3).
      res.setHeader(
        'X-Bapi-Limit-Reset-Timestamp',
        String(limit.exceeded ? limit.resetAt + exchange.faults.skewMs : exchange.serverTime()),
      );
      if (limit.granted === 0) throw errors.tooManyVisits();
      if (limit.granted < units) granted = limit.granted;
    }
    // Network conditions and faults first, then scripted answers (rules), then the exchange.
    if (faults.restActive) {
      if (faults.networkError()) throw errors.systemBusy();
      const fault = faults.take(route.path, account?.name ?? '', account?.apiKey ?? '');
      if (fault && (await applyFault(fault, route, req, res, deps, params, account, accountName))) return;
    }
    // Scripted answers (rules) come before the exchange sees the request.
    const rule =
      exchange.rules.size > 0
        ? exchange.rules.take({
            trigger: route.path,
            account: account?.name ?? '',
            apiKey: account?.apiKey ?? '',
            params: params.snapshot(),
          })
        : undefined;
    if (rule) {
      const delay = exchange.rules.delayOf(rule.action);
      if (delay > 0) await exchange.delay(delay);
      const fail = rule.action.fail;
      if (fail && 'httpStatus' in fail) {
        res.status(fail.httpStatus);
        if (typeof fail.body === 'string') res.type('text/plain').send(fail.body);
        else res.json(fail.body ?? {});
        journal(deps, req, route, accountName, params, res.statusCode, undefined);
        return;
      }
      if (fail) throw new ExchangeError(fail.retCode, fail.retMsg);
    }
    const out = rule?.action.respond
      ? { result: rule.action.respond.result }
      : route.handler({ params, exchange, account, allowed: granted });
    if (rule && account) exchange.afterRule(account, rule.action, out.result);
    body = okEnvelope(out.result, exchange.serverTime(), out.retMsg ?? 'OK', out.retExtInfo ?? {});
  } catch (err) {
    if (!(err instanceof ExchangeError)) throw err;
    res.status(err.httpStatus);
    // The rest of an oversized body is never read: close rather than leave it on the socket.
    if (err.httpStatus === 413) res.setHeader('Connection', 'close');
    body = errorEnvelope(err.retCode, err.retMsg, exchange.serverTime());
  }
  res.setHeader('Timenow', String(body.time));
  res.json(body);
  journal(deps, req, route, accountName, params, res.statusCode, body.retCode);
}

/**
 * Carries out a REST fault. Returns true when the fault answered (or refused to answer) the
 * request; false when the request goes on (a latency-only fault). Throws an ExchangeError for a
 * Bybit error answer. Every outcome is journaled with the fault's id.
 */
async function applyFault(
  fault: Fault,
  route: RouteDef,
  req: Request,
  res: Response,
  deps: HttpDeps,
  params: Params,
  account: Account | undefined,
  accountName: string,
): Promise<boolean> {
  const exchange = deps.exchange();
  const e = fault.effect;
  const latency = exchange.faults.latencyOf(e);
  if (latency > 0) await exchange.delay(latency);
  const note = (status: number, retCode?: number) =>
    journal(deps, req, route, accountName, params, status, retCode, fault.id);
  if (e.hang) {
    note(0);
    return true;
  }
  if (e.reset) {
    note(0);
    req.socket.destroy();
    return true;
  }
  if (e.empty) {
    note(200);
    res.status(200).end();
    return true;
  }
  if (e.malformed) {
    note(200);
    res.status(200).type('application/json').send('{"retCode":0,"retMsg":"OK","result":{"li');
    return true;
  }
  if (e.error && 'httpStatus' in e.error) {
    res.status(e.error.httpStatus);
    if (typeof e.error.body === 'string') res.type('text/plain').send(e.error.body);
    else res.json(e.error.body ?? {});
    note(res.statusCode);
    return true;
  }
  if (e.error) {
    const body = errorEnvelope(e.error.retCode, e.error.retMsg, exchange.serverTime());
    res.setHeader('Timenow', String(body.time));
    res.json(body);
    note(200, e.error.retCode);
    return true;
  }
  if (e.lose) {
    // The request runs (an order is placed), then the answer is lost on the way.
    let retCode = 0;
    try {
      route.handler({ params, exchange, account });
    } catch (err) {
      if (!(err instanceof ExchangeError)) throw err;
      retCode = err.retCode;
    }
    note(0, retCode);
    req.socket.destroy();
    return true;
  }
  return false;
}

/** Records an answered v5 request in the journal (when one is attached). */
function journal(
  deps: HttpDeps,
  req: Request,
  route: RouteDef,
  account: string,
  params: Params | undefined,
  status: number,
  retCode: number | undefined,
  fault?: string,
): void {
  if (!deps.journal) return;
  const started = stateOf.get(req)?.started;
  deps.journal({
    path: `${route.method} ${route.path}`,
    account,
    params: params?.snapshot() ?? {},
    status,
    retCode,
    ...(fault === undefined ? {} : { fault }),
    latencyMs: started === undefined ? 0 : Math.round(Number(process.hrtime.bigint() - started) / 1e4) / 100,
  });
}

/** Reads the raw body up to `limit` bytes; more is refused without buffering it. */
function readBody(req: Request, limit: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const declared = Number.parseInt(req.get('content-length') ?? '', 10);
    if (Number.isFinite(declared) && declared > limit) {
      req.resume();
      reject(errors.bodyTooLarge(limit));
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    let failed = false;
    req.on('data', (chunk: Buffer) => {
      if (failed) return;
      size += chunk.length;
      if (size > limit) {
        failed = true;
        reject(errors.bodyTooLarge(limit));
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => {
      if (!failed) resolve(Buffer.concat(chunks).toString('utf8'));
    });
    req.on('error', (e) => {
      if (!failed) reject(e);
    });
  });
}

function parseJsonObject(text: string): Record<string, unknown> {
  if (text.trim() === '')
    throw errors.param('request body is empty; send a JSON object such as {"category":"linear"}');
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    throw errors.param(`request body is not valid JSON (${(e as Error).message}); send a JSON object`);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw errors.param('request body must be a JSON object, not an array or a bare value');
  }
  return value as Record<string, unknown>;
}
