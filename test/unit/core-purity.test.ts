/**
 * Architecture rule: the core (src/core) is pure. It imports only big.js and other core modules,
 * and never reads the wall clock, schedules real timers, draws unseeded randomness or touches the
 * process. Time goes through Clock, randomness through Random, I/O lives outside the core.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect, test } from 'vitest';

const CORE = resolve(dirname(fileURLToPath(import.meta.url)), '../../src/core');

const ALLOWED_PACKAGES = new Set(['big.js']);

const FORBIDDEN_MODULES = [
  'express',
  'ws',
  'pino',
  'yaml',
  'commander',
  'node:fs',
  'node:net',
  'node:http',
  'node:child_process',
];

/** Calls and globals the core must not use. */
const FORBIDDEN_CODE: Array<[string, RegExp]> = [
  ['Date.now(', /\bDate\s*\.\s*now\s*\(/],
  ['Math.random(', /\bMath\s*\.\s*random\s*\(/],
  ['setTimeout(', /\bsetTimeout\s*\(/],
  ['setInterval(', /\bsetInterval\s*\(/],
  ['setImmediate(', /\bsetImmediate\s*\(/],
  ['process.', /\bprocess\s*\./],
  ['new Date() (wall clock)', /\bnew\s+Date\s*\(\s*\)/],
  ['performance.now(', /\bperformance\s*\.\s*now\s*\(/],
];

function tsFilesUnder(dir: string): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const full = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...tsFilesUnder(full));
    else if (entry.isFile() && entry.name.endsWith('.ts')) out.push(full);
  }
  return out.sort();
}

/** Source with comments blanked out (string and template literals kept), so prose never trips the rules. */
function stripComments(src: string): string {
  let out = '';
  let i = 0;
  let quote: string | undefined;
  while (i < src.length) {
    const c = src[i]!;
    const next = src[i + 1];
    if (quote) {
      out += c;
      if (c === '\\') {
        out += next ?? '';
        i += 2;
        continue;
      }
      if (c === quote) quote = undefined;
      i += 1;
      continue;
    }
    if (c === "'" || c === '"' || c === '`') {
      quote = c;
      out += c;
      i += 1;
      continue;
    }
    if (c === '/' && next === '/') {
      while (i < src.length && src[i] !== '\n') i += 1;
      continue;
    }
    if (c === '/' && next === '*') {
      const end = src.indexOf('*/', i + 2);
      const stop = end < 0 ? src.length : end + 2;
      out += src.slice(i, stop).replace(/[^\n]/g, ' ');
      i = stop;
      continue;
    }
    out += c;
    i += 1;
  }
  return out;
}

/** Every module specifier in static imports/exports, side-effect imports, import() and require(). */
function importSpecifiers(code: string): string[] {
  const specs: string[] = [];
  const patterns = [
    /\b(?:import|export)\b[^'"`;]*?\bfrom\s*(['"])([^'"]+)\1/g,
    /\bimport\s*(['"])([^'"]+)\1/g,
    /\bimport\s*\(\s*(['"`])([^'"`]+)\1\s*\)/g,
    /\brequire\s*\(\s*(['"`])([^'"`]+)\1\s*\)/g,
  ];
  for (const re of patterns) for (const m of code.matchAll(re)) specs.push(m[2]!);
  return specs;
}

/** Why a specifier is not allowed in `file`, or undefined when it is. */
function importProblem(file: string, spec: string): string | undefined {
  if (ALLOWED_PACKAGES.has(spec)) return undefined;
  if (spec.startsWith('./') || spec.startsWith('../')) {
    const target = resolve(dirname(file), spec);
    if (target === CORE || target.startsWith(CORE + sep)) return undefined;
    return `relative import leaves src/core (${relative(CORE, target)})`;
  }
  return FORBIDDEN_MODULES.includes(spec)
    ? 'forbidden module'
    : 'only big.js and relative core imports are allowed';
}

const files = tsFilesUnder(CORE);

test('the purity scan sees the whole core', () => {
  const names = files.map((f) => relative(CORE, f).split(sep).join('/'));
  for (const known of [
    'clock.ts',
    'random.ts',
    'decimal.ts',
    'exchange.ts',
    'market/simulator.ts',
    'market/price-path.ts',
  ]) {
    expect(names).toContain(known);
  }
});

test('the purity scan itself finds every kind of import and forbidden call', () => {
  const sample = [
    "import express from 'express';",
    "import type { Server } from 'node:http';",
    "import {\n  a,\n  b,\n} from './ok.js';",
    "export { x } from '../../elsewhere.js';",
    "export * from 'ws';",
    "import 'pino';",
    "const y = await import('yaml');",
    "const fs = require('node:fs');",
    'const t = Date.now();',
    '// Date.now() in a comment is fine',
    '/* Math.random() in a block comment is fine */',
    "const u = 'http://example'; // the // in a string is not a comment",
  ].join('\n');
  const code = stripComments(sample);
  expect(importSpecifiers(code).sort()).toEqual(
    ['../../elsewhere.js', './ok.js', 'express', 'node:fs', 'node:http', 'pino', 'ws', 'yaml'].sort(),
  );
  expect(FORBIDDEN_CODE.filter(([, re]) => re.test(code)).map(([name]) => name)).toEqual(['Date.now(']);
  expect(code).toContain("'http://example'");
  const fake = join(CORE, 'market', 'x.ts');
  expect(importProblem(fake, '../decimal.js')).toBeUndefined();
  expect(importProblem(fake, './candles.js')).toBeUndefined();
  expect(importProblem(fake, 'big.js')).toBeUndefined();
  expect(importProblem(fake, '../../auth/signing.js')).toMatch(/leaves src\/core/);
  expect(importProblem(fake, 'express')).toBe('forbidden module');
  expect(importProblem(fake, 'node:crypto')).toMatch(/only big\.js/);
});

test('the core imports only big.js and modules inside src/core', () => {
  const problems: string[] = [];
  for (const file of files) {
    const code = stripComments(readFileSync(file, 'utf8'));
    for (const spec of importSpecifiers(code)) {
      const why = importProblem(file, spec);
      if (why) problems.push(`${relative(CORE, file)}: '${spec}': ${why}`);
    }
  }
  expect(problems).toEqual([]);
});

test('the core never reads the wall clock, real timers, unseeded randomness or the process', () => {
  const problems: string[] = [];
  for (const file of files) {
    const lines = stripComments(readFileSync(file, 'utf8')).split('\n');
    lines.forEach((line, n) => {
      for (const [name, re] of FORBIDDEN_CODE) {
        if (re.test(line)) problems.push(`${relative(CORE, file)}:${n + 1}: uses ${name}`);
      }
    });
  }
  expect(problems).toEqual([]);
});
