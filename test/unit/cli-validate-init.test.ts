import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it, expect, beforeEach, afterEach } from 'vitest';
import { runInit } from '../../src/cli/commands/init.js';
import { runValidate, type CliIo } from '../../src/cli/commands/validate.js';
import { DEFAULT_SCENARIO_PATH } from '../../src/config/scenario/load.js';

/** A CliIo that records what a command printed. */
function captureIo(): CliIo & { outLines: string[]; errLines: string[] } {
  const outLines: string[] = [];
  const errLines: string[] = [];
  return { outLines, errLines, out: (line) => outLines.push(line), err: (line) => errLines.push(line) };
}

const BROKEN = ['version: 1', 'instruments:', '  - symbol: BTCUSDT', '    tickSise: "0.1"', ''].join('\n');

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'bybit-mock-cli-'));
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

describe('runValidate', () => {
  it('prints ok and returns 0 for a valid file', () => {
    const io = captureIo();
    expect(runValidate([DEFAULT_SCENARIO_PATH], io)).toBe(0);
    expect(io.outLines).toEqual([`${DEFAULT_SCENARIO_PATH}: ok`]);
    expect(io.errLines).toEqual([]);
  });

  it('prints every problem of an invalid file and returns 1', () => {
    const file = join(dir, 'broken.yaml');
    writeFileSync(file, BROKEN);
    const io = captureIo();
    expect(runValidate([file], io)).toBe(1);
    expect(io.outLines).toEqual([]);
    expect(io.errLines).toContain(
      `${file}:4:5  instruments[0].tickSise  unknown key 'tickSise' (did you mean 'tickSize'?); expected one of: symbol, category, baseCoin, quoteCoin, settleCoin, status, tickSize, qtyStep, minOrderQty, maxOrderQty, maxMarketOrderQty, minNotional, maxNotional, minPrice, maxPrice, maxLeverage, makerFee, takerFee, launchTime, fundingInterval`,
    );
    expect(io.errLines.filter((l) => l.startsWith(`${file}:`)).length).toBeGreaterThan(1);
    expect(io.errLines.at(-1)).toMatch(new RegExp(`^${escapeRegExp(file)}: \\d+ problems$`));
  });

  it('checks every file and returns 1 when any one is invalid', () => {
    const file = join(dir, 'broken.yaml');
    writeFileSync(file, BROKEN);
    const io = captureIo();
    expect(runValidate([file, DEFAULT_SCENARIO_PATH], io)).toBe(1);
    expect(io.outLines).toEqual([`${DEFAULT_SCENARIO_PATH}: ok`]);
  });

  it('reports a missing file as one problem and returns 1', () => {
    const file = join(dir, 'nope.yaml');
    const io = captureIo();
    expect(runValidate([file], io)).toBe(1);
    expect(io.errLines).toEqual([`${file}:1:1  cannot read scenario: file not found`, `${file}: 1 problem`]);
  });

  it('returns 1 with a usage message when no file is given', () => {
    const io = captureIo();
    expect(runValidate([], io)).toBe(1);
    expect(io.errLines.join('\n')).toMatch(/no scenario file given/);
  });
});

describe('runInit', () => {
  it('writes the commented default scenario, which then validates', () => {
    const file = join(dir, 'my-scenario.yaml');
    const io = captureIo();
    expect(runInit(file, io)).toBe(0);
    const written = readFileSync(file, 'utf8');
    const template = readFileSync(DEFAULT_SCENARIO_PATH, 'utf8');
    // Identical to the template apart from the schema comment on line 1.
    expect(written.split('\n').slice(1)).toEqual(template.split('\n').slice(1));
    expect(written).toContain('# Format version.');
    const check = captureIo();
    expect(runValidate([file], check)).toBe(0);
  });

  it('points the schema comment at the package schema relative to the new file', () => {
    const file = join(dir, 'my-scenario.yaml');
    runInit(file, captureIo());
    const firstLine = readFileSync(file, 'utf8').split('\n')[0] ?? '';
    const match = /^# yaml-language-server: \$schema=(.+)$/.exec(firstLine);
    expect(match).not.toBeNull();
    const schemaPath = join(dir, match?.[1] ?? '');
    expect(schemaPath).toBe(join(DEFAULT_SCENARIO_PATH, '..', '..', 'schema', 'scenario.schema.json'));
  });

  it('prints what it wrote and the next commands', () => {
    const file = join(dir, 'my-scenario.yaml');
    const io = captureIo();
    runInit(file, io);
    expect(io.outLines[0]).toContain(`wrote ${file}`);
    expect(io.outLines).toContain(`  bybit-mock validate ${file}`);
    expect(io.outLines).toContain(`  bybit-mock serve --scenario ${file}`);
    expect(io.errLines).toEqual([]);
  });

  it('quotes a file name with spaces in the suggested commands', () => {
    const file = join(dir, 'my scenario.yaml');
    const io = captureIo();
    expect(runInit(file, io)).toBe(0);
    expect(io.outLines).toContain(`  bybit-mock validate '${file}'`);
  });

  it('refuses to overwrite an existing file and leaves it untouched', () => {
    const file = join(dir, 'existing.yaml');
    writeFileSync(file, 'keep me\n');
    const io = captureIo();
    expect(runInit(file, io)).toBe(1);
    expect(readFileSync(file, 'utf8')).toBe('keep me\n');
    expect(io.errLines.join('\n')).toMatch(
      /already exists; pass --force to overwrite it or pick another file name/,
    );
    expect(io.outLines).toEqual([]);
  });

  it('overwrites an existing file when forced', () => {
    const file = join(dir, 'existing.yaml');
    writeFileSync(file, 'keep me\n');
    expect(runInit(file, captureIo(), { force: true })).toBe(0);
    expect(readFileSync(file, 'utf8')).toContain('version: 1');
  });

  it('reports a missing directory without throwing', () => {
    const io = captureIo();
    expect(runInit(join(dir, 'no', 'such', 'dir.yaml'), io)).toBe(1);
    expect(io.errLines.join('\n')).toMatch(/directory does not exist/);
  });

  it('writes ./bybit-mock.yaml when no file is given', () => {
    const previous = process.cwd();
    process.chdir(dir);
    try {
      const io = captureIo();
      expect(runInit(undefined, io)).toBe(0);
      expect(existsSync(join(dir, 'bybit-mock.yaml'))).toBe(true);
      expect(io.outLines).toContain('  bybit-mock validate ./bybit-mock.yaml');
    } finally {
      process.chdir(previous);
    }
  });
});

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
