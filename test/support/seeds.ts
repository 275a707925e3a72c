/**
 * Building blocks for in-process exchange seeds (unit tests without a scenario file).
 */
import type { InstrumentSpec } from '../../src/core/seed.js';

/** BTCUSDT with filters and fees close to Bybit's, as a linear perpetual or a spot pair. */
export function btcInstrument(category: 'linear' | 'spot'): InstrumentSpec {
  const linear = category === 'linear';
  return {
    symbol: 'BTCUSDT',
    category,
    baseCoin: 'BTC',
    quoteCoin: 'USDT',
    settleCoin: 'USDT',
    status: 'Trading',
    tickSize: linear ? '0.1' : '0.01',
    qtyStep: linear ? '0.001' : '0.000001',
    minOrderQty: linear ? '0.001' : '0.000048',
    maxOrderQty: linear ? '100' : '71',
    maxMarketOrderQty: linear ? '50' : '4.5',
    minNotional: linear ? '5' : '1',
    maxNotional: linear ? '0' : '2000000',
    minPrice: linear ? '0.1' : '0.01',
    maxPrice: linear ? '1999999.8' : '1999999.99',
    maxLeverage: linear ? '100' : '1',
    makerFee: linear ? '0.0002' : '0.001',
    takerFee: linear ? '0.00055' : '0.001',
    launchTime: '1585526400000',
    fundingIntervalMinutes: 480,
  };
}
