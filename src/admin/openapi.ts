/**
 * GET /__admin/openapi.json: the admin API as an OpenAPI 3.1 document, for generated clients and
 * API browsers. Kept next to the routes; a test checks every documented route answers.
 */

interface Op {
  method: 'get' | 'post' | 'put' | 'delete';
  path: string;
  summary: string;
  body?: Record<string, unknown>;
  query?: string[];
}

const decimal = { type: 'string', pattern: '^[0-9]+(\\.[0-9]+)?$' };
const obj = (properties: Record<string, unknown>, required: string[] = []) => ({
  type: 'object',
  properties,
  ...(required.length > 0 ? { required } : {}),
});

export const ADMIN_OPERATIONS: readonly Op[] = [
  { method: 'get', path: '/health', summary: 'Readiness: status, version, uptime, ports' },
  { method: 'get', path: '/state', summary: 'Instruments with prices, accounts with balances' },
  { method: 'post', path: '/reset', summary: 'Back to the loaded scenario (state, journal, rules, clock)' },
  { method: 'get', path: '/scenario', summary: 'The loaded scenario' },
  { method: 'post', path: '/scenario', summary: 'Load a scenario (YAML body) and reset to it' },
  { method: 'get', path: '/accounts', summary: 'Every account' },
  {
    method: 'post',
    path: '/accounts',
    summary: 'Add an account',
    body: obj(
      {
        name: { type: 'string' },
        apiKey: { type: 'string' },
        apiSecret: { type: 'string' },
        permissions: { enum: ['trade', 'read-only'] },
        balances: { type: 'object', additionalProperties: decimal },
      },
      ['name', 'apiKey', 'apiSecret'],
    ),
  },
  { method: 'get', path: '/accounts/{account}', summary: 'One account: wallet, positions, open orders' },
  {
    method: 'put',
    path: '/accounts/{account}/balances/{coin}',
    summary: 'Set a wallet balance',
    body: obj({ walletBalance: decimal }, ['walletBalance']),
  },
  {
    method: 'put',
    path: '/accounts/{account}/positions/{category}/{symbol}',
    summary: 'Set or close a linear position',
    body: obj(
      {
        side: { enum: ['Buy', 'Sell'] },
        size: decimal,
        avgPrice: decimal,
        leverage: decimal,
        positionIdx: { enum: [0, 1, 2] },
      },
      ['side', 'size'],
    ),
  },
  {
    method: 'get',
    path: '/orders',
    summary: 'Orders of every account, newest first',
    query: ['account', 'symbol', 'status'],
  },
  {
    method: 'post',
    path: '/orders/{orderId}/fill',
    summary: 'Fill an open order now',
    body: obj({ qty: decimal, price: decimal }),
  },
  { method: 'post', path: '/orders/{orderId}/cancel', summary: 'Cancel an open order' },
  {
    method: 'post',
    path: '/orders/{orderId}/reject',
    summary: 'Reject an order without fills',
    body: obj({ reason: { type: 'string' } }),
  },
  {
    method: 'post',
    path: '/market/{category}/{symbol}/price',
    summary: 'Move (or ramp) a price',
    body: obj({ price: decimal, over: { type: 'string' } }, ['price']),
  },
  {
    method: 'post',
    path: '/market/{category}/{symbol}/trade',
    summary: 'Print a public trade',
    body: obj({ price: decimal, qty: decimal, side: { enum: ['Buy', 'Sell'] } }, ['price', 'qty', 'side']),
  },
  { method: 'post', path: '/market/pause', summary: 'Hold every fair price still' },
  { method: 'post', path: '/market/resume', summary: 'Let prices walk again' },
  { method: 'get', path: '/clock', summary: 'The daemon clock' },
  {
    method: 'post',
    path: '/clock/advance',
    summary: 'Move a manual clock forward',
    body: obj({ ms: { type: 'integer', minimum: 0 } }, ['ms']),
  },
  {
    method: 'post',
    path: '/clock/set',
    summary: 'Move a manual clock to an instant',
    body: obj({ time: { type: 'integer' } }, ['time']),
  },
  { method: 'get', path: '/faults', summary: 'Faults in order, with hits and remaining' },
  {
    method: 'post',
    path: '/faults',
    summary: 'Add a fault in front (see docs/faults.md)',
    body: obj(
      {
        id: { type: 'string' },
        path: { type: 'string' },
        stream: { type: 'string' },
        topic: { type: 'string' },
        op: { type: 'string' },
        account: { type: 'string' },
        effect: { type: 'object' },
        probability: { type: 'number' },
        times: { type: 'integer', minimum: 1 },
        for: { type: 'string' },
      },
      ['effect'],
    ),
  },
  { method: 'delete', path: '/faults/{id}', summary: 'Remove a fault' },
  {
    method: 'post',
    path: '/faults/reset',
    summary: "Back to the scenario's faults, network settings and skew",
  },
  { method: 'get', path: '/network', summary: 'The network settings (null: a perfect network)' },
  {
    method: 'put',
    path: '/network',
    summary: 'Latency, jitter, error and drop rates for everything at once',
    body: obj(
      {
        latencyMs: { type: 'integer', minimum: 0 },
        jitterMs: { type: 'integer', minimum: 0 },
        errorRate: { type: 'number', minimum: 0, maximum: 1 },
        dropRate: { type: 'number', minimum: 0, maximum: 1 },
      },
      [],
    ),
  },
  { method: 'delete', path: '/network', summary: 'Back to a perfect network' },
  {
    method: 'put',
    path: '/clock/skew',
    summary: 'Shift the time the server tells and judges requests by',
    body: obj({ skewMs: { type: 'integer' } }, ['skewMs']),
  },
  { method: 'get', path: '/rate-limits', summary: 'Rate-limit settings and live usage' },
  {
    method: 'put',
    path: '/rate-limits',
    summary: 'Change rate-limit settings (merged over the live ones)',
    body: obj(
      {
        enabled: { type: 'boolean' },
        uid: { type: 'object' },
        ip: { type: 'object' },
        ws: { type: 'object' },
      },
      [],
    ),
  },
  { method: 'post', path: '/rate-limits/reset', summary: "Back to the scenario's rate limits" },
  { method: 'get', path: '/rules', summary: 'Rules in order, with hits and remaining' },
  {
    method: 'post',
    path: '/rules',
    summary: 'Add a rule in front (see docs/rules.md)',
    body: obj(
      {
        id: { type: 'string' },
        on: {},
        match: { type: 'object' },
        action: { type: 'object' },
        times: { type: 'integer', minimum: 1 },
      },
      ['on', 'action'],
    ),
  },
  { method: 'delete', path: '/rules/{id}', summary: 'Remove a rule' },
  { method: 'post', path: '/rules/reset', summary: "Back to the scenario's rules" },
  {
    method: 'get',
    path: '/requests',
    summary: 'The request journal, newest first',
    query: ['path', 'account', 'op', 'retCode', 'status', 'since', 'limit'],
  },
  {
    method: 'get',
    path: '/requests/count',
    summary: 'How many journal entries match',
    query: ['path', 'account', 'op', 'retCode', 'status', 'since'],
  },
  { method: 'delete', path: '/requests', summary: 'Empty the journal' },
  { method: 'get', path: '/connections', summary: 'Open WebSocket connections' },
  {
    method: 'post',
    path: '/connections/close',
    summary: 'Close or terminate WebSocket connections',
    body: obj({
      stream: { type: 'string' },
      account: { type: 'string' },
      connId: { type: 'string' },
      code: { type: 'integer' },
      reason: { type: 'string' },
      mode: { enum: ['close', 'terminate'] },
    }),
  },
  {
    method: 'post',
    path: '/events/private',
    summary: 'Push a custom private frame',
    body: obj({ account: { type: 'string' }, topic: { type: 'string' }, data: { type: 'array' } }, [
      'account',
      'topic',
      'data',
    ]),
  },
  {
    method: 'get',
    path: '/events',
    summary: 'Live events (server-sent events)',
    query: ['account', 'types'],
  },
  { method: 'get', path: '/openapi.json', summary: 'This document' },
];

export function openApiDocument(version: string): object {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const op of ADMIN_OPERATIONS) {
    const params = [
      ...[...op.path.matchAll(/\{(\w+)\}/g)].map((m) => ({
        name: m[1],
        in: 'path',
        required: true,
        schema: { type: 'string' },
      })),
      ...(op.query ?? []).map((name) => ({ name, in: 'query', required: false, schema: { type: 'string' } })),
    ];
    const entry: Record<string, unknown> = {
      summary: op.summary,
      responses: {
        '200': { description: 'OK (JSON)' },
        '4XX': {
          description: 'Refused: {error, message, hint}; nothing changed',
          content: {
            'application/json': {
              schema: obj({
                error: { type: 'string' },
                message: { type: 'string' },
                hint: { type: 'string' },
              }),
            },
          },
        },
      },
    };
    if (params.length > 0) entry.parameters = params;
    if (op.body) entry.requestBody = { required: true, content: { 'application/json': { schema: op.body } } };
    if (op.path === '/scenario' && op.method === 'post') {
      entry.requestBody = { required: true, content: { 'application/yaml': { schema: { type: 'string' } } } };
    }
    paths[`/__admin${op.path}`] = { ...(paths[`/__admin${op.path}`] ?? {}), [op.method]: entry };
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'bybit-mock admin API',
      version,
      description: 'Read and change the mock exchange while a bot talks to it. See docs/admin-api.md.',
    },
    components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } },
    security: [{}, { bearer: [] }],
    paths,
  };
}
