import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { describe, it, expect, afterEach } from 'vitest';
import {
  DEFAULT_SCENARIO_PATH,
  formatProblems,
  loadScenarioFile,
  parseScenario,
  scenarioToSeed,
  type ScenarioProblem,
} from '../../src/config/scenario/load.js';
import { scenarioJsonSchema, type Scenario } from '../../src/config/scenario/schema.js';

/** The scenario of a text that must be valid; fails the test with the problems otherwise. */
function valid(text: string): Scenario {
  const result = parseScenario(text, 'test.yaml');
  if (!result.ok) throw new Error(`expected a valid scenario, got:\n${formatProblems(result.problems)}`);
  return result.scenario;
}

function problemsOf(text: string): ScenarioProblem[] {
  const result = parseScenario(text, 'test.yaml');
  if (result.ok) throw new Error('expected problems, the scenario is valid');
  return result.problems;
}

/** Position, path and message of each problem, compact enough to compare whole lists. */
function summary(problems: ScenarioProblem[]): string[] {
  return problems.map((p) => `${p.line}:${p.column} ${p.path} | ${p.message}`);
}

/** `line:column` of the first occurrence of `token` on a 1-based line: positions proven, not guessed. */
function at(lines: string[], line: number, token: string): string {
  const column = (lines[line - 1] ?? '').indexOf(token) + 1;
  if (column === 0) throw new Error(`${token} is not on line ${line}`);
  return `${line}:${column}`;
}

const LINEAR_BTC =
  '{ symbol: BTCUSDT, category: linear, baseCoin: BTC, quoteCoin: USDT, tickSize: "0.1", qtyStep: "0.001", minOrderQty: "0.001", maxOrderQty: "100", minNotional: "5" }';

describe('the default scenario', () => {
  it('lives at scenarios/default.yaml next to package.json', () => {
    expect(DEFAULT_SCENARIO_PATH.endsWith(join('scenarios', 'default.yaml'))).toBe(true);
    const pkg = JSON.parse(
      readFileSync(join(dirname(dirname(DEFAULT_SCENARIO_PATH)), 'package.json'), 'utf8'),
    );
    expect(pkg.name).toBe('bybit-mock');
  });

  it('loads with no problems', () => {
    const result = loadScenarioFile(DEFAULT_SCENARIO_PATH);
    expect(result.ok ? [] : formatProblems(result.problems)).toEqual([]);
  });

  it('starts with the yaml-language-server schema comment', () => {
    const text = readFileSync(DEFAULT_SCENARIO_PATH, 'utf8');
    expect(text.split('\n')[0]).toBe('# yaml-language-server: $schema=../schema/scenario.schema.json');
  });

  it('becomes a seed with six instruments, realistic prices and the main and viewer accounts', () => {
    const result = loadScenarioFile(DEFAULT_SCENARIO_PATH);
    if (!result.ok) throw new Error(formatProblems(result.problems));
    const { seed, clock } = scenarioToSeed(result.scenario, { now: 1_700_000_000_000 });

    expect(seed.seed).toBe(42);
    expect(clock).toEqual({ mode: 'real', startTime: 1_700_000_000_000, fixedStart: false, speed: 1 });
    expect(seed.instruments.map((i) => `${i.category} ${i.symbol}`).sort()).toEqual([
      'linear BTCUSDT',
      'linear ETHUSDT',
      'linear SOLUSDT',
      'spot BTCUSDT',
      'spot ETHUSDT',
      'spot SOLUSDT',
    ]);
    const linearBtc = seed.instruments.find((i) => i.category === 'linear' && i.symbol === 'BTCUSDT');
    expect(linearBtc).toMatchObject({
      tickSize: '0.1',
      qtyStep: '0.001',
      minOrderQty: '0.001',
      maxOrderQty: '1190',
      maxMarketOrderQty: '500',
      minNotional: '5',
      maxLeverage: '100',
      makerFee: '0.0002',
      takerFee: '0.00055',
      fundingIntervalMinutes: 480,
    });
    const spotBtc = seed.instruments.find((i) => i.category === 'spot' && i.symbol === 'BTCUSDT');
    expect(spotBtc).toMatchObject({
      tickSize: '0.01',
      qtyStep: '0.000001',
      minOrderQty: '0.000048',
      maxOrderQty: '71.739562',
      minNotional: '1',
      maxNotional: '4000000',
      maxLeverage: '1',
      makerFee: '0.001',
      takerFee: '0.001',
    });
    expect(Object.fromEntries(Object.entries(seed.markets).map(([s, m]) => [s, m.price]))).toEqual({
      BTCUSDT: '90000',
      ETHUSDT: '3000',
      SOLUSDT: '140',
    });
    expect(seed.accounts).toEqual([
      {
        name: 'main',
        apiKey: 'mock-api-key',
        apiSecret: 'mock-api-secret',
        permissions: 'trade',
        balances: { USDT: '100000', BTC: '1', ETH: '10' },
        positions: [],
        leverage: {},
      },
      {
        name: 'viewer',
        apiKey: 'mock-readonly-key',
        apiSecret: 'mock-readonly-secret',
        permissions: 'read-only',
        balances: { USDT: '1000' },
        positions: [],
        leverage: {},
      },
    ]);
  });
});

describe('problem reporting', () => {
  it('reports every YAML syntax error of a badly indented file at the parser position', () => {
    const text = [
      'version: 1', //                   1
      'instruments:', //                 2
      '  - symbol: BTCUSDT', //          3
      '    category: linear', //         4
      '   baseCoin: BTC', //             5  one space short
      'market:', //                      6
      '  BTCUSDT:', //                   7
      '    price: "1"', //               8
      '      volatility: 0.5', //        9  two spaces too many
      '',
    ].join('\n');
    expect(summary(problemsOf(text))).toEqual([
      '5:1  | YAML syntax error: Sequence item without - indicator',
      '9:1  | YAML syntax error: All mapping items must start at the same column',
    ]);
  });

  it('reports a typo, a wrong type, a missing key, a non-multiple quantity and an orphan market entry together', () => {
    const text = [
      'version: 1', //                   1
      'instruments:', //                 2
      '  - symbol: BTCUSDT', //          3
      '    category: linear', //         4
      '    baseCoin: BTC', //            5
      '    quoteCoin: USDT', //          6
      '    tickSise: "0.1"', //          7  typo
      '    qtyStep: "0.001"', //         8
      '    minOrderQty: "0.0015"', //    9  not a multiple of qtyStep
      '    maxOrderQty: "100"', //       10
      '    minNotional: true', //        11 wrong type
      'market:', //                      12
      '  BTCUSDT:', //                   13
      '    price: "90000"', //           14
      '  ETHUSDT:', //                   15 no instrument
      '    price: "3000"', //            16
      '',
    ].join('\n');
    expect(summary(problemsOf(text))).toEqual([
      `3:5 instruments[0].tickSize | missing required key 'tickSize': expected a non-negative decimal string such as "0.1"`,
      `7:5 instruments[0].tickSise | unknown key 'tickSise' (did you mean 'tickSize'?); expected one of: symbol, category, baseCoin, quoteCoin, settleCoin, status, tickSize, qtyStep, minOrderQty, maxOrderQty, maxMarketOrderQty, minNotional, maxNotional, minPrice, maxPrice, maxLeverage, makerFee, takerFee, launchTime, fundingInterval`,
      `11:18 instruments[0].minNotional | expected a non-negative decimal string such as "0.1", got true`,
      `9:18 instruments[0].minOrderQty | expected a multiple of qtyStep 0.001, got "0.0015"`,
      `15:3 market.ETHUSDT | no instrument has symbol ETHUSDT; remove this entry or add the instrument`,
    ]);
  });

  it('points inside flow mappings at the offending value', () => {
    const lines = [
      'version: 1',
      `instruments: [${LINEAR_BTC}]`,
      'market: { BTCUSDT: { price: "90000", volatility: 11 } }',
    ];
    expect(summary(problemsOf(lines.join('\n')))).toEqual([
      `${at(lines, 3, '11')} market.BTCUSDT.volatility | expected a number from 0 to 10, got 11`,
    ]);
  });

  it('points an empty value at its key', () => {
    const text = ['version: 1', 'instruments:', '  - symbol: BTCUSDT', '    tickSize:', ''].join('\n');
    const tick = problemsOf(text).find((p) => p.path === 'instruments[0].tickSize');
    expect(tick).toMatchObject({
      line: 4,
      column: 5,
      message: 'expected a non-negative decimal string such as "0.1", got an empty value',
    });
  });

  it('reports an instrument without a market entry at its symbol', () => {
    const text = ['version: 1', 'instruments:', `  - ${LINEAR_BTC}`, ''].join('\n');
    expect(summary(problemsOf(text))).toEqual([
      '3:15 instruments[0].symbol | no market entry for BTCUSDT; add market.BTCUSDT.price',
    ]);
  });

  it('reports a wrong version, a missing instrument list and an unknown top-level key', () => {
    const text = ['version: 2', 'seeed: 3', ''].join('\n');
    expect(summary(problemsOf(text))).toEqual([
      `1:1 instruments | missing required key 'instruments': expected a non-empty list of instruments`,
      '1:10 version | expected 1 (the only scenario format version so far), got 2',
      `2:1 seeed | unknown key 'seeed' (did you mean 'seed'?); expected one of: version, seed, clock, instruments, market, accounts, rules, timeline, faults, network, retention, rateLimits`,
    ]);
  });

  it('reports a price off the tick grid, a duplicate instrument and filter contradictions', () => {
    const lines = [
      'version: 1',
      'instruments:',
      `  - ${LINEAR_BTC}`,
      `  - ${LINEAR_BTC}`,
      '  - { symbol: ETHUSDT, category: spot, baseCoin: ETH, quoteCoin: USDT, settleCoin: USDC, tickSize: "0.01", qtyStep: "0.01", minOrderQty: "5", maxOrderQty: "1", minNotional: "1", maxLeverage: "2", fundingInterval: 8h }',
      'market:',
      '  BTCUSDT: { price: "90000.05" }',
      '  ETHUSDT: { price: "3000", tickInterval: 5ms }',
      '',
    ];
    expect(summary(problemsOf(lines.join('\n')))).toEqual([
      `${at(lines, 4, 'BTCUSDT')} instruments[1].symbol | duplicate instrument: linear BTCUSDT is already defined at instruments[0]`,
      `${at(lines, 5, '"5"')} instruments[2].minOrderQty | minOrderQty 5 is above maxOrderQty 1`,
      `${at(lines, 5, 'USDC')} instruments[2].settleCoin | spot settleCoin must equal quoteCoin USDT or be left out, got "USDC"`,
      `${at(lines, 5, '"2"')} instruments[2].maxLeverage | spot maxLeverage must be "1" or left out, got "2"`,
      `${at(lines, 5, '8h')} instruments[2].fundingInterval | fundingInterval applies to linear instruments only; remove it`,
      `${at(lines, 7, '"90000.05"')} market.BTCUSDT.price | price 90000.05 is not a multiple of tickSize 0.1 of linear BTCUSDT`,
      `${at(lines, 8, '5ms')} market.ETHUSDT.tickInterval | expected at least 10ms, got "5ms"`,
    ]);
  });

  it('requires a linear fundingInterval to be a whole number of minutes', () => {
    const instrument = LINEAR_BTC.replace(' }', ', fundingInterval: 90s }');
    const lines = ['version: 1', `instruments: [${instrument}]`, 'market: { BTCUSDT: { price: "1" } }'];
    expect(summary(problemsOf(lines.join('\n')))).toEqual([
      `${at(lines, 2, '90s')} instruments[0].fundingInterval | expected a whole number of minutes greater than 0, such as "8h" or "480m", got "90s"`,
    ]);
  });

  it('requires a duration text to be a whole number of milliseconds', () => {
    const lines = [
      'version: 1',
      `instruments: [${LINEAR_BTC}]`,
      'market: { BTCUSDT: { price: "1", tickInterval: 10.5ms } }',
    ];
    expect(summary(problemsOf(lines.join('\n')))).toEqual([
      `${at(lines, 3, '10.5ms')} market.BTCUSDT.tickInterval | expected a whole number of milliseconds, got "10.5ms"`,
    ]);
  });

  it('checks hedge-mode sides, duplicate position slots and leverage that contradicts the account', () => {
    const position = (fields: string) =>
      `      - { category: linear, symbol: BTCUSDT, size: "0.1", avgPrice: "90000", ${fields} }`;
    const lines = [
      'version: 1',
      `instruments: [${LINEAR_BTC}]`,
      'market: { BTCUSDT: { price: "90000" } }',
      'accounts:',
      '  - name: main',
      '    apiKey: k',
      '    apiSecret: s',
      '    leverage: { BTCUSDT: "10" }',
      '    positions:',
      position('side: Sell, positionIdx: 1'), // 10: idx 1 is the long side
      position('side: Sell, positionIdx: 2, leverage: "5"'), // 11: disagrees with leverage.BTCUSDT
      position('side: Sell, positionIdx: 2'), // 12: slot 2 taken
      position('side: Buy, positionIdx: 0'), // 13: one-way next to hedge mode
      '',
    ];
    expect(summary(problemsOf(lines.join('\n')))).toEqual([
      `${at(lines, 10, 'Sell')} accounts[0].positions[0].side | positionIdx 1 is the hedge-mode long: expected side Buy, got "Sell"`,
      `${at(lines, 11, '"5"')} accounts[0].positions[1].leverage | leverage 5 differs from leverage.BTCUSDT 10 of this account`,
      `${at(lines, 12, 'BTCUSDT')} accounts[0].positions[2].symbol | duplicate position: BTCUSDT positionIdx 2 is already at positions[1]`,
      `${at(lines, 13, '0 }')} accounts[0].positions[3].positionIdx | BTCUSDT mixes one-way (positionIdx 0) and hedge-mode (1, 2) positions; see positions[0]`,
    ]);
  });

  it('reports duplicate accounts, bad leverage and invalid positions', () => {
    const lines = [
      'version: 1',
      'instruments:',
      `  - ${LINEAR_BTC}`,
      '  - { symbol: ETHUSDT, category: spot, baseCoin: ETH, quoteCoin: USDT, tickSize: "0.01", qtyStep: "0.01", minOrderQty: "0.01", maxOrderQty: "10", minNotional: "1" }',
      'market: { BTCUSDT: { price: "90000" }, ETHUSDT: { price: "3000" } }',
      'accounts:',
      '  - name: main',
      '    apiKey: k1',
      '    apiSecret: s',
      '    leverage: { BTCUSDT: "101", ETHUSDT: "2" }', // 10
      '    positions:',
      '      - { category: linear, symbol: BTCUSDT, side: Buy, size: "0.0015", avgPrice: "90000" }', // 12
      '      - { category: linear, symbol: ETHUSDT, side: Sell, size: "1", avgPrice: "3000" }', // 13
      '  - name: main', // 14
      '    apiKey: k1', // 15
      '    apiSecret: s',
      '',
    ];
    expect(summary(problemsOf(lines.join('\n')))).toEqual([
      `${at(lines, 10, '"101"')} accounts[0].leverage.BTCUSDT | expected leverage from 1 to 100 (maxLeverage of BTCUSDT), got "101"`,
      // A bad key is reported at the key, not its value.
      `${at(lines, 10, 'ETHUSDT')} accounts[0].leverage.ETHUSDT | ETHUSDT is not a linear instrument; leverage applies to linear symbols only`,
      `${at(lines, 12, '"0.0015"')} accounts[0].positions[0].size | expected a multiple of qtyStep 0.001 of linear BTCUSDT, got "0.0015"`,
      `${at(lines, 13, 'ETHUSDT')} accounts[0].positions[1].symbol | expected the symbol of a linear instrument, got "ETHUSDT"`,
      '14:11 accounts[1].name | duplicate account name "main", already used by accounts[0]',
      '15:13 accounts[1].apiKey | duplicate apiKey "k1", already used by accounts[0]',
    ]);
  });

  it('reports an impossible calendar date in clock.start', () => {
    const text = [
      'version: 1',
      `instruments: [${LINEAR_BTC}]`,
      'market: { BTCUSDT: { price: "1" } }',
      'clock: { start: "2026-02-30T00:00:00Z" }',
    ].join('\n');
    expect(summary(problemsOf(text))).toEqual([
      '4:17 clock.start | expected a real calendar time, got "2026-02-30T00:00:00Z"',
    ]);
  });

  it('reports an empty file as one problem', () => {
    expect(summary(problemsOf(''))).toEqual([
      '1:1  | the scenario is empty; it needs at least `version: 1` and `instruments`',
    ]);
  });

  it('reports a missing file as one problem at line 1 column 1 without throwing', () => {
    const result = loadScenarioFile('/nonexistent/dir/scenario.yaml');
    expect(result).toEqual({
      ok: false,
      problems: [
        {
          file: '/nonexistent/dir/scenario.yaml',
          line: 1,
          column: 1,
          path: '',
          message: 'cannot read scenario: file not found',
        },
      ],
    });
  });

  describe('with a temporary directory', () => {
    let dir: string | undefined;
    afterEach(() => {
      if (dir) rmSync(dir, { recursive: true, force: true });
      dir = undefined;
    });

    it('reports a directory given as the file as one problem', () => {
      dir = mkdtempSync(join(tmpdir(), 'bybit-mock-scenario-'));
      const result = loadScenarioFile(dir);
      expect(result.ok).toBe(false);
      if (!result.ok) {
        expect(result.problems).toHaveLength(1);
        expect(result.problems[0]).toMatchObject({ line: 1, column: 1, file: dir });
        expect(result.problems[0]?.message).toMatch(/directory/);
      }
    });
  });

  it('formats one line per problem as file:line:col, path and message', () => {
    const text = formatProblems([
      { file: 'a.yaml', line: 3, column: 7, path: 'instruments[0].tickSize', message: 'expected x, got y' },
      { file: 'a.yaml', line: 1, column: 1, path: '', message: 'YAML syntax error: z' },
    ]);
    expect(text).toBe(
      'a.yaml:3:7  instruments[0].tickSize  expected x, got y\na.yaml:1:1  YAML syntax error: z',
    );
  });

  it('never throws on hostile input', () => {
    // An alias bomb: each list holds ten references to the previous one (10^9 nodes when expanded).
    const lines = ['l0: &l0 [x, x, x, x, x, x, x, x, x, x]'];
    for (let i = 1; i < 9; i++)
      lines.push(
        `l${i}: &l${i} [${Array(10)
          .fill(`*l${i - 1}`)
          .join(', ')}]`,
      );
    const result = parseScenario(lines.join('\n'), 'bomb.yaml');
    expect(result.ok).toBe(false);
    expect(parseScenario('- just\n- a list', 'list.yaml').ok).toBe(false);
    expect(parseScenario('"just a string"', 's.yaml').ok).toBe(false);
  });
});

describe('scenarioToSeed', () => {
  const MINIMAL = [
    'version: 1',
    'instruments:',
    '  - { symbol: BTCUSDT, category: linear, baseCoin: BTC, quoteCoin: USDT, tickSize: "0.10", qtyStep: "0.001", minOrderQty: "0.002", maxOrderQty: "100", minNotional: "5" }',
    '  - { symbol: BTCUSDT, category: spot, baseCoin: BTC, quoteCoin: USDT, tickSize: 0.01, qtyStep: 1e-6, minOrderQty: "0.0001", maxOrderQty: "50", minNotional: 1 }',
    '  - { symbol: SOLUSDT, category: spot, baseCoin: SOL, quoteCoin: USDT, tickSize: "0.01", qtyStep: "0.001", minOrderQty: "0.011", maxOrderQty: "5000", minNotional: "1" }',
    'market:',
    '  BTCUSDT: { price: "90000" }',
    '  SOLUSDT: { price: 140 }',
    'accounts:',
    '  - { name: a, apiKey: k, apiSecret: s }',
    '',
  ].join('\n');

  it('fills every instrument default, keeping decimal strings as written', () => {
    const { seed } = scenarioToSeed(valid(MINIMAL), { now: 0 });
    expect(seed.instruments[0]).toEqual({
      symbol: 'BTCUSDT',
      category: 'linear',
      baseCoin: 'BTC',
      quoteCoin: 'USDT',
      settleCoin: 'USDT',
      status: 'Trading',
      tickSize: '0.10',
      qtyStep: '0.001',
      minOrderQty: '0.002',
      maxOrderQty: '100',
      maxMarketOrderQty: '100',
      minNotional: '5',
      maxNotional: '1000000000',
      minPrice: '0.10',
      maxPrice: '1999999999',
      maxLeverage: '100',
      makerFee: '0.0002',
      takerFee: '0.00055',
      launchTime: '1585526400000',
      fundingIntervalMinutes: 480,
    });
  });

  it('converts YAML numbers to plain decimal strings and applies spot defaults', () => {
    const { seed } = scenarioToSeed(valid(MINIMAL), { now: 0 });
    expect(seed.instruments[1]).toMatchObject({
      category: 'spot',
      settleCoin: 'USDT',
      tickSize: '0.01',
      qtyStep: '0.000001',
      minNotional: '1',
      minPrice: '0.01',
      maxLeverage: '1',
      makerFee: '0.001',
      takerFee: '0.001',
      fundingIntervalMinutes: 0,
    });
    expect(seed.markets.SOLUSDT?.price).toBe('140');
  });

  it('fills market defaults and derives sizes from the linear minOrderQty, else the spot one', () => {
    const { seed } = scenarioToSeed(valid(MINIMAL), { now: 0 });
    expect(seed.markets.BTCUSDT).toEqual({
      price: '90000',
      volatility: 0.5,
      tickIntervalMs: 1000,
      tradesPerTick: 2,
      tradeQty: '0.02',
      fundingRate: '0.0001',
      book: { depth: 200, spreadTicks: 1, levelGapTicks: 1, levelQty: '0.1' },
    });
    expect(seed.markets.SOLUSDT).toMatchObject({ tradeQty: '0.11', book: { levelQty: '0.55' } });
  });

  it('fills account defaults', () => {
    const { seed } = scenarioToSeed(valid(MINIMAL), { now: 0 });
    expect(seed.accounts).toEqual([
      {
        name: 'a',
        apiKey: 'k',
        apiSecret: 's',
        permissions: 'trade',
        balances: {},
        positions: [],
        leverage: {},
      },
    ]);
  });

  it('uses seed 1 by default, the scenario seed when given, and seedOverride over both', () => {
    expect(scenarioToSeed(valid(MINIMAL), { now: 0 }).seed.seed).toBe(1);
    const seeded = valid(`${MINIMAL}seed: 42\n`);
    expect(scenarioToSeed(seeded, { now: 0 }).seed.seed).toBe(42);
    expect(scenarioToSeed(seeded, { now: 0, seedOverride: 7 }).seed.seed).toBe(7);
    expect(scenarioToSeed(seeded, { now: 0, seedOverride: 0 }).seed.seed).toBe(0);
  });

  it('starts the clock at now unless clock.start fixes it', () => {
    const now = 1_750_000_000_000;
    expect(scenarioToSeed(valid(MINIMAL), { now }).clock).toEqual({
      mode: 'real',
      startTime: now,
      fixedStart: false,
      speed: 1,
    });
    const iso = valid(`${MINIMAL}clock: { mode: manual, start: "2026-01-01T00:00:00Z", speed: 2.5 }\n`);
    const fromIso = scenarioToSeed(iso, { now });
    expect(fromIso.clock).toEqual({
      mode: 'manual',
      startTime: Date.UTC(2026, 0, 1),
      fixedStart: true,
      speed: 2.5,
    });
    expect(fromIso.seed.startTime).toBe(Date.UTC(2026, 0, 1));
    const ms = valid(`${MINIMAL}clock: { start: 1767225600000 }\n`);
    expect(scenarioToSeed(ms, { now }).clock).toMatchObject({ startTime: 1767225600000, fixedStart: true });
    const offset = valid(`${MINIMAL}clock: { start: "2026-01-01T01:00:00+01:00" }\n`);
    expect(scenarioToSeed(offset, { now }).clock.startTime).toBe(Date.UTC(2026, 0, 1));
  });

  it('converts durations and gives positions the account leverage and positionIdx 0', () => {
    const text = MINIMAL.replace(
      '  BTCUSDT: { price: "90000" }',
      '  BTCUSDT: { price: "90000", tickInterval: 250ms, book: { depth: 50, levelQty: "1" } }',
    )
      .replace('minNotional: "5" }', 'minNotional: "5", fundingInterval: 4h }')
      .replace(
        '  - { name: a, apiKey: k, apiSecret: s }',
        '  - { name: a, apiKey: k, apiSecret: s, leverage: { BTCUSDT: "10" }, positions: [{ category: linear, symbol: BTCUSDT, side: Sell, size: "0.004", avgPrice: 89000 }] }',
      );
    const { seed } = scenarioToSeed(valid(text), { now: 0 });
    expect(seed.instruments[0]?.fundingIntervalMinutes).toBe(240);
    expect(seed.markets.BTCUSDT).toMatchObject({ tickIntervalMs: 250, book: { depth: 50, levelQty: '1' } });
    expect(seed.accounts[0]?.positions).toEqual([
      {
        category: 'linear',
        symbol: 'BTCUSDT',
        side: 'Sell',
        size: '0.004',
        avgPrice: '89000',
        leverage: '10',
        positionIdx: 0,
      },
    ]);
  });

  it('accepts YAML anchors and merge keys', () => {
    const text = [
      'version: 1',
      'instruments:',
      `  - &btc ${LINEAR_BTC}`,
      '  - { <<: *btc, symbol: ETHUSDT, baseCoin: ETH }',
      'market: { BTCUSDT: { price: "1" }, ETHUSDT: { price: "2" } }',
    ].join('\n');
    const { seed } = scenarioToSeed(valid(text), { now: 0 });
    expect(seed.instruments.map((i) => `${i.symbol} ${i.baseCoin} ${i.tickSize}`)).toEqual([
      'BTCUSDT BTC 0.1',
      'ETHUSDT ETH 0.1',
    ]);
  });
});

describe('scenarioJsonSchema', () => {
  it('is a JSON Schema with a title and a description on every field', () => {
    const schema = scenarioJsonSchema();
    expect(schema.$schema).toBe('http://json-schema.org/draft-07/schema#');
    expect(typeof schema.title).toBe('string');
    const missing: string[] = [];
    const visit = (node: unknown, path: string): void => {
      if (node === null || typeof node !== 'object') return;
      const n = node as Record<string, unknown>;
      for (const [key, child] of Object.entries((n.properties ?? {}) as Record<string, unknown>)) {
        if (typeof (child as { description?: unknown }).description !== 'string')
          missing.push(`${path}.${key}`);
        visit(child, `${path}.${key}`);
      }
      for (const child of Object.values((n.patternProperties ?? {}) as Record<string, unknown>)) {
        if (typeof (child as { description?: unknown }).description !== 'string') missing.push(`${path}.*`);
        visit(child, `${path}.*`);
      }
      if (n.items) visit(n.items, `${path}[]`);
    };
    visit(schema, '');
    expect(missing).toEqual([]);
    expect(JSON.parse(JSON.stringify(schema))).toEqual(schema);
  });

  it('rejects unknown keys everywhere', () => {
    const objects: string[] = [];
    const visit = (node: unknown): void => {
      if (node === null || typeof node !== 'object') return;
      const n = node as Record<string, unknown>;
      if (n.type === 'object' && n.additionalProperties !== false)
        objects.push(JSON.stringify(n).slice(0, 60));
      for (const child of Object.values(n)) visit(child);
    };
    visit(scenarioJsonSchema());
    expect(objects).toEqual([]);
  });
});

describe('rules', () => {
  const base = [
    'version: 1',
    'instruments:',
    '  - { symbol: BTCUSDT, category: linear, baseCoin: BTC, quoteCoin: USDT, tickSize: "0.1", qtyStep: "0.001", minOrderQty: "0.001", maxOrderQty: "100", minNotional: "5" }',
    'market:',
    '  BTCUSDT: { price: "50000" }',
  ];
  it('accepts valid rules and hands them to the seed', () => {
    const text = [
      ...base,
      'rules:',
      '  - { id: pf, on: order.create, match: { orderLinkId: "pf-*" }, action: { fills: [{ afterMs: 1000, ratio: "0.5" }] } }',
      '  - { on: [/v5/order/cancel], times: 1, action: { fail: { retCode: 110001, retMsg: "order not exists or too late to cancel" } } }',
    ].join('\n');
    const { seed } = scenarioToSeed(valid(text), { now: 0 });
    expect(seed.rules).toHaveLength(2);
    expect(seed.rules![0]).toMatchObject({ id: 'pf', on: 'order.create' });
  });
  it('names every problem of a rule at its line, and duplicate ids', () => {
    const text = [
      ...base,
      'rules:',
      '  - { id: a, on: order.create, action: { hold: true } }',
      '  - { id: a, on: order.create, action: { flies: 1 }, times: 0 }',
    ].join('\n');
    expect(summary(problemsOf(text))).toEqual([
      '8:5 rules[1] | rule: times must be a whole number >= 1 (leave it out for "until removed")',
      '8:5 rules[1] | rule: action.flies is not an action (delayMs, fail, respond, hold, fills, reject, events)',
      '8:11 rules[1].id | duplicate rule id "a", already used by rules[0]',
    ]);
  });
});
