/**
 * The REST application. createHttpApp never listens: the composition root (runtime/) owns the
 * server. Bybit's v5 routes are dispatched by one map lookup on the raw request, without Express
 * (which costs more per request than the routes themselves); the admin API and the 404 answer go
 * through Express. The body is read raw (signatures cover the exact bytes) and parsed here, so a
 * bad body never reaches the core.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import express, { type Express, type NextFunction, type Request, type Response } from 'express';
import type { Logger } from 'pino';
import { rawQueryOf } from '../auth/signing.js';
import type { Exchange } from '../core/exchange.js';
import { ExchangeError, errors } from '../core/errors.js';
import type { Account } from '../core/accounts/account.js';
import type { Fault } from '../core/faults/faults.js';
import { limitHeaders } from '../core/limits/rate-limits.js';
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

/** One v5 request on its way: what the journal and the request log need besides req and res. */
interface V5Call {
  req: IncomingMessage;
  res: ServerResponse;
  route: RouteDef;
  /** "POST /v5/order/create": the route's key, one string shared by its journal entries. */
  journalPath: string;
  /** Path and query as sent: signatures cover the raw query. */
  url: string;
  started: bigint;
  /** The authenticated account, for the request log. */
  account: string | undefined;
}

export type RequestListener = (req: IncomingMessage, res: ServerResponse) => void;

/** The daemon's HTTP request listener: v5 routes directly, everything else through Express. */
export function createHttpApp(deps: HttpDeps): RequestListener {
  const routes = new Map<string, { route: RouteDef; journalPath: string }>();
  for (const r of V5_ROUTES) {
    const key = `${r.method} ${r.path}`;
    routes.set(key, { route: r, journalPath: key });
  }
  const requestLog = requestLogger(deps);
  const app = expressApp(deps, requestLog);
  return (req, res) => {
    const url = req.url ?? '/';
    const q = url.indexOf('?');
    const found = routes.get(`${req.method} ${q < 0 ? url : url.slice(0, q)}`);
    if (!found) {
      app(req, res);
      return;
    }
    const { route, journalPath } = found;
    const call: V5Call = {
      req,
      res,
      route,
      journalPath,
      url,
      started: process.hrtime.bigint(),
      account: undefined,
    };
    res.on('finish', () =>
      logRequest(requestLog, call.req.method, route.path, res.statusCode, call.started, call.account),
    );
    handle(call, deps).catch((err: unknown) => {
      // Last resort: nothing thrown inside a handler may become a hung request or a crash.
      deps.logger.error({ err, method: req.method, path: route.path }, 'unhandled error');
      const e = errors.serverError();
      if (!res.headersSent)
        sendJson(res, e.httpStatus, errorEnvelope(e.retCode, e.retMsg, deps.exchange().serverTime()));
    });
  };
}

/**
 * The request log line: method, route path, status, latency and account name, nothing secret. It
 * goes through a child without the logger's redaction, which checks every key of every logged
 * object for nested secrets and costs twice the rest of the line (one line per request).
 */
function requestLogger(deps: HttpDeps): Logger {
  return deps.logger.child({}, { redact: { paths: [], censor: '[redacted]' } });
}

function logRequest(
  log: Logger,
  method: string | undefined,
  path: string,
  status: number,
  started: bigint,
  account: string | undefined,
): void {
  const ms = Number(process.hrtime.bigint() - started) / 1e6;
  log.info({ method, path, status, latencyMs: Math.round(ms * 100) / 100, account }, 'request');
}

/** The admin API (mounted by the composition root) and the answer to unknown paths. */
function expressApp(deps: HttpDeps, requestLog: Logger): Express {
  const app = express();
  app.disable('x-powered-by');
  app.disable('etag');
  app.set('query parser', false);

  app.use((req, res, next) => {
    const started = process.hrtime.bigint();
    // Read now: a mounted router (the admin API) strips its mount path from req.path meanwhile.
    const path = req.path;
    res.on('finish', () => logRequest(requestLog, req.method, path, res.statusCode, started, undefined));
    next();
  });

  deps.mount?.(app);

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

/** One request header (the first, if it came more than once). */
function header(req: IncomingMessage, name: string): string | undefined {
  const v = req.headers[name];
  return Array.isArray(v) ? v[0] : v;
}

function sendJson(res: ServerResponse, status: number, value: unknown): void {
  send(res, status, 'application/json; charset=utf-8', JSON.stringify(value));
}

function sendText(res: ServerResponse, status: number, text: string): void {
  send(res, status, 'text/plain; charset=utf-8', text);
}

function send(res: ServerResponse, status: number, type: string, text: string): void {
  res.statusCode = status;
  res.setHeader('Content-Type', type);
  res.setHeader('Content-Length', Buffer.byteLength(text));
  res.end(text);
}

/** A scripted HTTP answer (a rule or fault with an HTTP status): JSON, or text when a string. */
function sendBody(res: ServerResponse, status: number, body: unknown): void {
  if (typeof body === 'string') sendText(res, status, body);
  else sendJson(res, status, body ?? {});
}

async function handle(call: V5Call, deps: HttpDeps): Promise<void> {
  const { req, res, route } = call;
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
    sendText(
      res,
      403,
      `403 Forbidden: access too frequent. More than ${limits.config.ip.limit} requests in ${limits.config.ip.windowMs} ms from this address; wait until ${bannedUntil} (daemon clock) and slow down.`,
    );
    journal(deps, call, '', undefined, 403, undefined);
    return;
  }
  let body: Envelope;
  let status = 200;
  let params: Params | undefined;
  let accountName = '';
  try {
    // Signatures cover the raw bytes, so authentication comes before parameters are parsed.
    const payload =
      route.method === 'POST' ? await readBody(req, deps.options.maxBodyBytes) : rawQueryOf(call.url);
    let account;
    if (route.access !== 'public') {
      // The journal names the key's account even when authentication then fails.
      const apiKey = header(req, 'x-bapi-api-key');
      accountName = exchange.accountByApiKey(apiKey ?? '')?.name ?? '';
      const skew = exchange.faults.skewMs;
      account = authenticate({
        apiKey,
        timestamp: header(req, 'x-bapi-timestamp'),
        sign: header(req, 'x-bapi-sign'),
        recvWindow: header(req, 'x-bapi-recv-window'),
        payload,
        access: route.access,
        serverTime: exchange.serverTime(),
        // A skewed server is skewed against the wall clock too.
        wallTime: deps.options.acceptWallClock ? Date.now() + skew : undefined,
        lookup: (key) => exchange.accountByApiKey(key),
        invalidKeyHttpStatus: deps.options.invalidKeyHttpStatus,
      });
      call.account = account.name;
      accountName = account.name;
    }
    params = route.method === 'POST' ? new Params(parseJsonObject(payload)) : Params.fromQuery(payload);
    let granted: number | undefined;
    if (account) {
      const category = (route.limitCategory ?? categoryOf)(params);
      const units = route.limitUnits?.(params, category) ?? 1;
      const limit = limits.take(exchange.now(), account.uid, route.path, category, units);
      for (const [name, value] of Object.entries(limitHeaders(limit, exchange.serverTime(), faults.skewMs)))
        res.setHeader(name, value);
      if (limit.granted === 0) throw errors.tooManyVisits();
      if (limit.granted < units) granted = limit.granted;
    }
    // Network conditions and faults first, then scripted answers (rules), then the exchange.
    if (faults.restActive) {
      if (faults.networkError()) throw errors.systemBusy();
      const fault = faults.take(route.path, account?.name ?? '', account?.apiKey ?? '');
      if (fault && (await applyFault(fault, call, deps, params, account, accountName))) return;
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
        sendBody(res, fail.httpStatus, fail.body);
        journal(deps, call, accountName, params, fail.httpStatus, undefined);
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
    status = err.httpStatus;
    // The rest of an oversized body is never read: close rather than leave it on the socket.
    if (err.httpStatus === 413) res.setHeader('Connection', 'close');
    body = errorEnvelope(err.retCode, err.retMsg, exchange.serverTime());
  }
  res.setHeader('Timenow', String(body.time));
  sendJson(res, status, body);
  journal(deps, call, accountName, params, status, body.retCode);
}

/**
 * Carries out a REST fault. Returns true when the fault answered (or refused to answer) the
 * request; false when the request goes on (a latency-only fault). Throws an ExchangeError for a
 * Bybit error answer. Every outcome is journaled with the fault's id.
 */
async function applyFault(
  fault: Fault,
  call: V5Call,
  deps: HttpDeps,
  params: Params,
  account: Account | undefined,
  accountName: string,
): Promise<boolean> {
  const { req, res, route } = call;
  const exchange = deps.exchange();
  const e = fault.effect;
  const latency = exchange.faults.latencyOf(e);
  if (latency > 0) await exchange.delay(latency);
  const note = (status: number, retCode?: number) =>
    journal(deps, call, accountName, params, status, retCode, fault.id);
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
    res.statusCode = 200;
    res.end();
    return true;
  }
  if (e.malformed) {
    note(200);
    send(res, 200, 'application/json; charset=utf-8', '{"retCode":0,"retMsg":"OK","result":{"li');
    return true;
  }
  if (e.error && 'httpStatus' in e.error) {
    sendBody(res, e.error.httpStatus, e.error.body);
    note(e.error.httpStatus);
    return true;
  }
  if (e.error) {
    const body = errorEnvelope(e.error.retCode, e.error.retMsg, exchange.serverTime());
    res.setHeader('Timenow', String(body.time));
    sendJson(res, 200, body);
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
  call: V5Call,
  account: string,
  params: Params | undefined,
  status: number,
  retCode: number | undefined,
  fault?: string,
): void {
  if (!deps.journal) return;
  deps.journal({
    path: call.journalPath,
    account,
    params: params?.snapshot() ?? {},
    status,
    retCode,
    ...(fault === undefined ? {} : { fault }),
    latencyMs: Math.round(Number(process.hrtime.bigint() - call.started) / 1e4) / 100,
  });
}

/** Reads the raw body up to `limit` bytes; more is refused without buffering it. */
function readBody(req: IncomingMessage, limit: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const declared = Number.parseInt(header(req, 'content-length') ?? '', 10);
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
