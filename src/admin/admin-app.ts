/**
 * The admin API under /__admin: read and change the exchange from any process. JSON in and out;
 * errors are {error, message, hint} with a 4xx status, and a refused request changes nothing.
 * @see docs/admin-api.md
 */
import express, { type NextFunction, type Request, type Response, type Router } from 'express';
import { parseDuration } from '../config/duration.js';
import { ManualClock, type Clock } from '../core/clock.js';
import { parseDecimal, type Big } from '../core/decimal.js';
import { AdminError, ExchangeError } from '../core/errors.js';
import type { Exchange } from '../core/exchange.js';
import type { AccountPermission } from '../core/seed.js';
import type { RejectReason } from '../core/trading/model.js';

export interface AdminDeps {
  version: string;
  startedAt: number;
  ports: () => { http: number | undefined };
  exchange: () => Exchange;
  clock: () => Clock;
  reset: () => void;
  uptimeMs: () => number;
}

type Body = Record<string, unknown>;

/** The rejectReason values an admin reject may set: every RejectReason (the record keeps it complete). */
const REJECT_REASONS = Object.keys({
  EC_NoError: true,
  EC_PostOnlyWillTakeLiquidity: true,
  EC_NoImmediateQtyToFill: true,
  EC_CancelForNoFullFill: true,
  EC_ReachMarketPriceLimit: true,
  EC_ByAdmin: true,
} satisfies Record<RejectReason, true>) as RejectReason[];

/** The longest clock move one request may make (advance or set): every tick on the way runs. */
const MAX_CLOCK_STEP_MS = 366 * 86_400_000;

/** A coin name, as PUT /accounts/{a}/balances/{coin} accepts it. */
const COIN = /^[A-Z0-9]{1,20}$/;

function bad(code: string, message: string, hint: string): AdminError {
  return new AdminError(400, code, message, hint);
}

function decimal(body: Body, name: string, required: true): Big;
function decimal(body: Body, name: string, required: false): Big | undefined;
function decimal(body: Body, name: string, required: boolean): Big | undefined {
  const v = body[name];
  if (v === undefined || v === null || v === '') {
    if (required) throw bad('missing_field', `${name} is required.`, `Send {"${name}": "<decimal string>"}.`);
    return undefined;
  }
  const d = typeof v === 'string' ? parseDecimal(v) : undefined;
  if (!d)
    throw bad(
      'bad_field',
      `${name} must be a decimal string, got ${JSON.stringify(v)}.`,
      `Send e.g. {"${name}": "100"}.`,
    );
  return d;
}

function str(body: Body, name: string): string | undefined {
  const v = body[name];
  if (v === undefined || v === null || v === '') return undefined;
  if (typeof v !== 'string')
    throw bad(
      'bad_field',
      `${name} must be a string, got ${JSON.stringify(v)}.`,
      `Send "${name}" as a string.`,
    );
  return v;
}

function side(body: Body): 'Buy' | 'Sell' {
  const v = body.side;
  if (v !== 'Buy' && v !== 'Sell')
    throw bad('bad_field', `side must be "Buy" or "Sell", got ${JSON.stringify(v)}.`, 'Send "side": "Buy".');
  return v;
}

function bodyOf(req: Request): Body {
  const b: unknown = req.body;
  if (b === undefined) return {};
  if (typeof b !== 'object' || b === null || Array.isArray(b)) {
    throw bad(
      'bad_body',
      'The body must be a JSON object.',
      'Send Content-Type: application/json and an object.',
    );
  }
  return b as Body;
}

function manual(clock: Clock): ManualClock {
  if (!(clock instanceof ManualClock)) {
    throw new AdminError(
      409,
      'clock_not_manual',
      'The clock follows real time; it cannot be moved.',
      'Use clock: { mode: manual } in the scenario.',
    );
  }
  return clock;
}

export function createAdminRouter(deps: AdminDeps): Router {
  const router = express.Router();
  router.use(express.json({ limit: '1mb', type: () => true }));
  const ex = () => deps.exchange();
  const route =
    (fn: (req: Request) => unknown) =>
    (req: Request, res: Response): void => {
      res.json(fn(req));
    };
  const p = (req: Request, name: string): string => String(req.params[name]);

  router.get('/health', (_req, res) => {
    res.json({ status: 'ok', version: deps.version, uptimeMs: deps.uptimeMs(), ports: deps.ports() });
  });
  router.get(
    '/state',
    route(() => ex().stateView()),
  );
  router.post('/reset', (_req, res) => {
    deps.reset();
    res.json({ status: 'reset', state: ex().stateView() });
  });

  // ---- accounts ----
  router.get(
    '/accounts',
    route(() => ({ accounts: ex().accountsSummary() })),
  );
  router.get(
    '/accounts/:account',
    route((req) => ex().accountDetail(p(req, 'account'))),
  );
  router.post(
    '/accounts',
    route((req) => {
      const b = bodyOf(req);
      const name = str(b, 'name');
      const apiKey = str(b, 'apiKey');
      const apiSecret = str(b, 'apiSecret');
      if (!name || !apiKey || !apiSecret) {
        throw bad(
          'missing_field',
          'name, apiKey and apiSecret are required.',
          'Send {"name","apiKey","apiSecret","balances":{"USDT":"1000"}}.',
        );
      }
      const perm = str(b, 'permissions') ?? 'trade';
      if (perm !== 'trade' && perm !== 'read-only')
        throw bad('bad_field', 'permissions must be "trade" or "read-only".', 'Leave it out for trade.');
      const balancesRaw = b.balances ?? {};
      if (typeof balancesRaw !== 'object' || balancesRaw === null || Array.isArray(balancesRaw)) {
        throw bad(
          'bad_field',
          'balances must be an object of coin: decimal string.',
          'Send {"USDT": "1000"}.',
        );
      }
      const balances: Record<string, string> = {};
      for (const [coin, v] of Object.entries(balancesRaw as Body)) {
        const d = typeof v === 'string' ? parseDecimal(v) : undefined;
        if (!COIN.test(coin))
          throw bad(
            'bad_field',
            `balances key "${coin}" is not a coin name.`,
            'Use uppercase coins such as USDT.',
          );
        if (!d || d.lt(parseDecimal('0')!))
          throw bad('bad_field', `balances.${coin} must be a decimal string >= 0.`, 'Send {"USDT": "1000"}.');
        balances[coin] = d.toFixed();
      }
      ex().addAccount({
        name,
        apiKey,
        apiSecret,
        permissions: perm as AccountPermission,
        balances,
        positions: [],
        leverage: {},
      });
      return ex().accountDetail(name);
    }),
  );
  router.put(
    '/accounts/:account/balances/:coin',
    route((req) => {
      ex().setBalance(p(req, 'account'), p(req, 'coin'), decimal(bodyOf(req), 'walletBalance', true));
      return ex().accountDetail(p(req, 'account'));
    }),
  );
  router.put(
    '/accounts/:account/positions/:category/:symbol',
    route((req) => {
      const b = bodyOf(req);
      const idx = b.positionIdx;
      if (idx !== undefined && idx !== 0 && idx !== 1 && idx !== 2)
        throw bad('bad_field', 'positionIdx must be 0, 1 or 2.', 'Leave it out in one-way mode.');
      ex().adminSetPosition(p(req, 'account'), p(req, 'category'), p(req, 'symbol'), {
        side: side(b),
        size: decimal(b, 'size', true),
        avgPrice: decimal(b, 'avgPrice', false) ?? decimal({ avgPrice: '0' }, 'avgPrice', true),
        leverage: decimal(b, 'leverage', false),
        positionIdx: idx as 0 | 1 | 2 | undefined,
      });
      return ex().accountDetail(p(req, 'account'));
    }),
  );

  // ---- orders ----
  router.get(
    '/orders',
    route((req) => {
      // The app turns Express's query parser off (v5 signs the raw query), so parse it here.
      const q = new URL(req.url, 'http://admin').searchParams;
      const s = (k: string) => q.get(k) || undefined;
      return {
        orders: ex().adminOrders({ account: s('account'), symbol: s('symbol'), status: s('status') }),
      };
    }),
  );
  router.post(
    '/orders/:orderId/fill',
    route((req) => {
      const b = bodyOf(req);
      return ex().adminFill(p(req, 'orderId'), decimal(b, 'qty', false), decimal(b, 'price', false));
    }),
  );
  router.post(
    '/orders/:orderId/cancel',
    route((req) => ex().adminCancel(p(req, 'orderId'))),
  );
  router.post(
    '/orders/:orderId/reject',
    route((req) => {
      const reason = str(bodyOf(req), 'reason');
      if (reason !== undefined && !(REJECT_REASONS as string[]).includes(reason))
        throw bad(
          'bad_field',
          `reason must be one of ${REJECT_REASONS.join(', ')}, got ${JSON.stringify(reason)}.`,
          'Leave it out for EC_NoError.',
        );
      return ex().adminReject(p(req, 'orderId'), reason as RejectReason | undefined);
    }),
  );

  // ---- market ----
  router.post(
    '/market/:category/:symbol/price',
    route((req) => {
      const b = bodyOf(req);
      const price = decimal(b, 'price', true);
      if (b.over !== undefined) {
        const over = parseDuration(b.over);
        if (over === undefined || over < 1 || over > 86_400_000) {
          throw bad(
            'bad_field',
            `over must be a duration such as "10s" (up to a day), got ${JSON.stringify(b.over)}.`,
            'Send e.g. {"price":"45000","over":"5s"}.',
          );
        }
        ex().rampMarketPrice(p(req, 'category'), p(req, 'symbol'), price, over);
        return ex().stateView();
      }
      ex().setMarketPrice(p(req, 'category'), p(req, 'symbol'), price);
      return ex().stateView();
    }),
  );
  router.post(
    '/market/:category/:symbol/trade',
    route((req) => {
      const b = bodyOf(req);
      ex().printTrade(
        p(req, 'category'),
        p(req, 'symbol'),
        decimal(b, 'price', true),
        decimal(b, 'qty', true),
        side(b),
      );
      return ex().stateView();
    }),
  );
  router.post(
    '/market/pause',
    route(() => {
      ex().setMarketPaused(true);
      return { paused: true };
    }),
  );
  router.post(
    '/market/resume',
    route(() => {
      ex().setMarketPaused(false);
      return { paused: false };
    }),
  );

  // ---- clock ----
  const clockView = () => {
    const c = deps.clock();
    const skewMs = deps.exchange().faults.skewMs;
    return {
      now: c.now(),
      mode: c instanceof ManualClock ? 'manual' : 'real',
      skewMs,
      serverTime: c.now() + skewMs,
    };
  };
  router.get('/clock', route(clockView));
  router.post(
    '/clock/advance',
    route((req) => {
      const ms = bodyOf(req).ms;
      if (typeof ms !== 'number' || !Number.isSafeInteger(ms) || ms < 0 || ms > MAX_CLOCK_STEP_MS) {
        throw bad(
          'bad_field',
          `ms must be a whole number of milliseconds from 0 to one year, got ${JSON.stringify(ms)}.`,
          'Send {"ms": 1000}.',
        );
      }
      manual(deps.clock()).advance(ms);
      return clockView();
    }),
  );
  router.post(
    '/clock/set',
    route((req) => {
      const t = bodyOf(req).time;
      const c = manual(deps.clock());
      if (typeof t !== 'number' || !Number.isSafeInteger(t))
        throw bad('bad_field', 'time must be a ms epoch integer.', 'Send {"time": 1767225600000}.');
      // The clock fires every timer on the way (market ticks), so a jump is bounded like advance.
      if (t > c.now() + MAX_CLOCK_STEP_MS)
        throw bad(
          'bad_field',
          `time ${t} is more than a year after now (${c.now()}).`,
          'Move the clock at most a year at a time.',
        );
      if (t < c.now())
        throw new AdminError(
          409,
          'clock_backwards',
          `time ${t} is before now (${c.now()}); the clock only moves forward.`,
          'Use POST /__admin/reset to start over.',
        );
      c.advanceTo(t);
      return clockView();
    }),
  );

  router.use((req, res) => {
    res.status(404).json({
      error: 'not_found',
      message: `No admin route ${req.method} /__admin${req.path}.`,
      hint: 'See docs/admin-api.md for the routes this version serves.',
    });
  });

  router.use((err: unknown, _req: Request, res: Response, next: NextFunction) => {
    if (err instanceof AdminError) {
      res.status(err.status).json({ error: err.code, message: err.message, hint: err.hint });
      return;
    }
    if (err instanceof ExchangeError) {
      res.status(400).json({
        error: 'refused',
        message: `${err.retMsg} (retCode ${err.retCode})`,
        hint: 'The exchange refused the change.',
      });
      return;
    }
    const e = err as { type?: string; status?: number };
    if (e && e.type === 'entity.parse.failed') {
      res
        .status(400)
        .json({ error: 'bad_json', message: 'The body is not valid JSON.', hint: 'Send a JSON object.' });
      return;
    }
    if (e && e.type === 'entity.too.large') {
      res.status(413).json({
        error: 'too_large',
        message: 'The body is larger than 1 MiB.',
        hint: 'Send a smaller body.',
      });
      return;
    }
    next(err);
  });
  return router;
}
