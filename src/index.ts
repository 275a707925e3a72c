/**
 * Programmatic API for embedding the mock in a test suite.
 * @example
 *   const mock = await startExchange({ port: 0, logLevel: 'silent' });
 *   // point a client at mock.restUrl ...
 *   await mock.close();
 */
export {
  startExchange,
  ScenarioLoadError,
  type RunningExchange,
  type StartOptions,
} from './runtime/start-exchange.js';
export { ManualClock, type Clock } from './core/clock.js';
export type { ExchangeSeed } from './core/seed.js';
