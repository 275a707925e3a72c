/**
 * Programmatic API for embedding the mock in a test suite.
 * @example
 *   const mock = await startExchange({ port: 0, logLevel: 'silent', scenario: 'my.yaml' });
 *   // point a client at mock.restUrl / mock.wsUrl ...
 *   await mock.admin.setPrice('BTCUSDT', '58000');
 *   const creates = await mock.admin.requests({ path: '/v5/order/create' });
 *   await mock.close();
 * @see docs/embedding.md
 */
export {
  startExchange,
  ScenarioLoadError,
  type RunningExchange,
  type StartOptions,
} from './runtime/start-exchange.js';
export {
  AdminClient,
  AdminApiError,
  AdminEventStream,
  type AccountDetail,
  type AccountSummary,
  type AdminClientOptions,
  type AdminErrorBody,
  type AdminEvent,
  type AdminEventType,
  type AdminOrderView,
  type Category,
  type ClockSkewView,
  type ClockView,
  type CloseConnectionsInput,
  type ConnectionEventData,
  type ConnectionInfo,
  type DecimalInput,
  type EventsOptions,
  type ExecutionView,
  type FaultInput,
  type FaultView,
  type HealthView,
  type JournalEntry,
  type NetworkConditions,
  type NewAccount,
  type OrderView,
  type OrdersFilter,
  type PositionInput,
  type PositionView,
  type RateLimitsInput,
  type RateLimitsView,
  type RequestsFilter,
  type ResetView,
  type RuleInput,
  type RuleView,
  type ScenarioView,
  type StateView,
  type WalletView,
} from './client/admin-client.js';
export { ManualClock, type Clock } from './core/clock.js';
export type { ExchangeSeed } from './core/seed.js';
