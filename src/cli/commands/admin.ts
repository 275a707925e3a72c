/**
 * `bybit-mock admin ...`: the admin API from a terminal, against a running daemon. Each command is
 * one HTTP call; the JSON answer is printed, and a refusal (4xx/5xx) or an unreachable daemon
 * exits 1 with the reason.
 * @see docs/admin-api.md
 */
import type { Command } from 'commander';
import type { CliIo } from './validate.js';

export interface AdminTarget {
  url: string;
  token?: string;
}

/** One admin call; returns the exit code. */
export async function adminCall(
  io: CliIo,
  target: AdminTarget,
  method: string,
  path: string,
  body?: unknown,
): Promise<number> {
  const base = target.url.replace(/\/+$/, '');
  const headers: Record<string, string> = {};
  if (target.token) headers.Authorization = `Bearer ${target.token}`;
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  let res: Response;
  try {
    res = await fetch(`${base}/__admin${path}`, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch (err) {
    io.err(
      `admin: cannot reach the daemon at ${base} (${(err as Error).message}); start it with bybit-mock serve, or pass --url.`,
    );
    return 1;
  }
  const text = await res.text();
  let shown = text;
  try {
    shown = JSON.stringify(JSON.parse(text), null, 2);
  } catch {
    // not JSON: print as received
  }
  if (!res.ok) {
    io.err(`admin: ${method} /__admin${path} answered HTTP ${res.status}`);
    io.err(shown);
    return 1;
  }
  io.out(shown);
  return 0;
}

/** Adds the `admin` command group to the program. */
export function addAdminCommands(program: Command, io: CliIo): void {
  const admin = program
    .command('admin')
    .description('drive a running daemon through its admin API (see docs/admin-api.md)')
    .option('-u, --url <url>', 'daemon base URL', process.env.BYBIT_MOCK_URL ?? 'http://127.0.0.1:8080')
    .option('--token <token>', 'admin bearer token (default: $BYBIT_MOCK_ADMIN_TOKEN)');
  const target = (): AdminTarget => {
    const o = admin.opts<{ url: string; token?: string }>();
    return { url: o.url, token: o.token ?? process.env.BYBIT_MOCK_ADMIN_TOKEN };
  };
  const run = async (method: string, path: string, body?: unknown) => {
    process.exitCode = await adminCall(io, target(), method, path, body);
  };
  const enc = encodeURIComponent;

  admin
    .command('health')
    .description('is the daemon up')
    .action(() => run('GET', '/health'));
  admin
    .command('state')
    .description('instruments, prices and accounts')
    .action(() => run('GET', '/state'));
  admin
    .command('reset')
    .description('back to the loaded scenario')
    .action(() => run('POST', '/reset'));
  admin
    .command('price')
    .description('move a price now, or over a duration')
    .argument('<symbol>', 'e.g. BTCUSDT')
    .argument('<price>', 'e.g. 65000')
    .option('-c, --category <category>', 'linear or spot (both move: they share the price)', 'linear')
    .option('--over <duration>', 'ramp over this long, e.g. 5s')
    .action((symbol: string, price: string, o: { category: string; over?: string }) =>
      run(
        'POST',
        `/market/${enc(o.category)}/${enc(symbol)}/price`,
        o.over ? { price, over: o.over } : { price },
      ),
    );
  admin
    .command('fill')
    .description('fill an open order now (all that is left, or --qty)')
    .argument('<orderId>', 'orderId or orderLinkId')
    .option('--qty <qty>', 'quantity to fill')
    .option('--price <price>', 'fill price (default: the order price)')
    .action((id: string, o: { qty?: string; price?: string }) =>
      run('POST', `/orders/${enc(id)}/fill`, {
        ...(o.qty ? { qty: o.qty } : {}),
        ...(o.price ? { price: o.price } : {}),
      }),
    );
  admin
    .command('cancel')
    .description('cancel an open order')
    .argument('<orderId>', 'orderId or orderLinkId')
    .action((id: string) => run('POST', `/orders/${enc(id)}/cancel`));
  admin
    .command('orders')
    .description('list orders')
    .option('--account <account>', 'name or apiKey')
    .option('--status <status>', 'e.g. New')
    .action((o: { account?: string; status?: string }) => {
      const q = new URLSearchParams();
      if (o.account) q.set('account', o.account);
      if (o.status) q.set('status', o.status);
      const qs = q.toString();
      return run('GET', `/orders${qs ? `?${qs}` : ''}`);
    });
  admin
    .command('balance')
    .description("set a coin's wallet balance")
    .argument('<account>', 'name or apiKey')
    .argument('<coin>', 'e.g. USDT')
    .argument('<amount>', 'e.g. 10000')
    .action((account: string, coin: string, amount: string) =>
      run('PUT', `/accounts/${enc(account)}/balances/${enc(coin)}`, { walletBalance: amount }),
    );
  admin
    .command('advance')
    .description('move a manual clock forward')
    .argument('<ms>', 'milliseconds')
    .action((ms: string) => {
      const n = Number(ms);
      if (!/^\d+$/.test(ms) || !Number.isSafeInteger(n)) {
        io.err(`admin advance: <ms> must be a whole number of milliseconds, got "${ms}"`);
        process.exitCode = 1;
        return undefined;
      }
      return run('POST', '/clock/advance', { ms: n });
    });
  admin
    .command('requests')
    .description('the request journal, newest first')
    .option('--path <path>', 'e.g. /v5/order/create')
    .option('--limit <n>', 'how many', '20')
    .action((o: { path?: string; limit: string }) => {
      const q = new URLSearchParams({ limit: o.limit });
      if (o.path) q.set('path', o.path);
      return run('GET', `/requests?${q.toString()}`);
    });
}
