/**
 * `bybit-mock schema`: the built CLI prints the scenario JSON Schema, the same document the
 * package ships in schema/ and that every shipped scenario points editors at.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { scenarioJsonSchema } from '../../src/config/scenario/schema.js';

const ROOT = resolve(import.meta.dirname, '../..');
const BIN = join(ROOT, 'bin', 'bybit-mock.js');
const SHIPPED = join(ROOT, 'schema', 'scenario.schema.json');

function cli(args: string[]) {
  return spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8' });
}

describe('bybit-mock schema', () => {
  it('prints the scenario JSON Schema, equal to the loader schema and the shipped file', () => {
    const r = cli(['schema']);
    expect(r.status).toBe(0);
    expect(r.stderr).toBe('');
    const printed = JSON.parse(r.stdout) as Record<string, unknown>;
    expect(printed).toEqual(scenarioJsonSchema());
    expect(printed).toEqual(JSON.parse(readFileSync(SHIPPED, 'utf8')));
    expect(printed.$schema).toBe('http://json-schema.org/draft-07/schema#');
    expect(printed.required).toEqual(expect.arrayContaining(['version', 'instruments']));
  });

  it('--output writes the same schema to a file', () => {
    const file = join(mkdtempSync(join(tmpdir(), 'bybit-mock-schema-')), 'scenario.schema.json');
    const r = cli(['schema', '--output', file]);
    expect(r.status).toBe(0);
    expect(r.stdout).toBe('');
    expect(JSON.parse(readFileSync(file, 'utf8'))).toEqual(scenarioJsonSchema());
  });

  it('--output to a directory that does not exist fails with a message, not a stack trace', () => {
    const r = cli(['schema', '-o', join(tmpdir(), 'no-such-dir-bybit-mock', 'x.json')]);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/^schema: cannot write .*x\.json: ENOENT\n$/);
  });

  it('every shipped scenario starts with a yaml-language-server comment that finds the shipped schema', () => {
    const dir = join(ROOT, 'scenarios');
    const files = readdirSync(dir).filter((f) => f.endsWith('.yaml'));
    expect(files.length).toBeGreaterThan(0);
    for (const f of files) {
      const first = readFileSync(join(dir, f), 'utf8').split('\n')[0]!;
      const m = /^# yaml-language-server: \$schema=(\S+)$/.exec(first);
      expect(m, f).not.toBeNull();
      const target = resolve(dirname(join(dir, f)), m![1]!);
      expect(target, f).toBe(SHIPPED);
      expect(existsSync(target)).toBe(true);
    }
  });
});
