/**
 * docs/errors.md and ERROR_CATALOG must not drift: every catalog entry is documented, and the
 * docs list no code the mock cannot send.
 */
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect, test } from 'vitest';
import { ERROR_CATALOG, ExchangeError, errors } from '../../src/core/errors.js';

const DOC_PATH = resolve(dirname(fileURLToPath(import.meta.url)), '../../docs/errors.md');
const doc = readFileSync(DOC_PATH, 'utf8');

interface DocRow {
  retCode: number;
  http: string;
  name: string;
  line: number;
}

/** Table rows whose first cell is a number: | retCode | HTTP | Name | When | What to do | */
const rows: DocRow[] = doc.split('\n').flatMap((text, i) => {
  if (!text.trimStart().startsWith('|')) return [];
  const cells = text
    .split('|')
    .slice(1, -1)
    .map((c) => c.trim());
  if (!/^\d+$/.test(cells[0] ?? '')) return [];
  return [
    {
      retCode: Number(cells[0]),
      http: cells[1] ?? '',
      name: (cells[2] ?? '').replace(/`/g, ''),
      line: i + 1,
    },
  ];
});

const catalog = Object.entries(ERROR_CATALOG).map(([name, entry]) => ({
  name,
  retCode: entry.retCode,
  httpStatus: 'httpStatus' in entry ? entry.httpStatus : 200,
}));

test('the errors doc has a table row for every catalog entry', () => {
  expect(rows.length).toBeGreaterThan(0);
  expect(catalog.length).toBeGreaterThan(0);
  const missing = catalog.filter((e) => !rows.some((r) => r.name === e.name && r.retCode === e.retCode));
  expect(missing.map((e) => `${e.name} (${e.retCode})`)).toEqual([]);
});

test('every catalog retCode and name appears in the errors doc', () => {
  for (const e of catalog) {
    expect(doc, `retCode ${e.retCode}`).toContain(String(e.retCode));
    expect(doc, `name ${e.name}`).toContain(e.name);
  }
});

test('every retCode listed in the errors doc exists in the catalog', () => {
  const known = new Set<number>(catalog.map((e) => e.retCode));
  const unknown = rows.filter((r) => !known.has(r.retCode));
  expect(unknown.map((r) => `line ${r.line}: ${r.retCode}`)).toEqual([]);
});

test('every name in the errors doc is a catalog entry with that retCode', () => {
  const byName = new Map(catalog.map((e) => [e.name, e]));
  const wrong = rows.filter((r) => byName.get(r.name)?.retCode !== r.retCode);
  expect(wrong.map((r) => `line ${r.line}: ${r.name} ${r.retCode}`)).toEqual([]);
});

test('the errors doc documents each catalog entry once', () => {
  const names = rows.map((r) => r.name);
  expect(names.length).toBe(new Set(names).size);
});

test('the HTTP status in the errors doc matches the catalog', () => {
  const byName = new Map(catalog.map((e) => [e.name, e]));
  const wrong = rows.filter((r) => {
    const e = byName.get(r.name);
    return e !== undefined && Number.parseInt(r.http, 10) !== e.httpStatus;
  });
  expect(wrong.map((r) => `${r.name}: doc ${r.http}, catalog ${byName.get(r.name)!.httpStatus}`)).toEqual([]);
});

test('the errors doc is grouped into auth, parameters, trading and server sections', () => {
  for (const heading of ['## Authentication', '## Parameters', '## Trading', '## Server']) {
    expect(doc).toContain(heading);
  }
});

test('the errors doc explains HTTP 200 business errors and why Bybit wording is kept', () => {
  expect(doc).toMatch(/business errors with HTTP 200/i);
  expect(doc).toContain('openapi sign params error!');
  expect(doc).toMatch(/ccxt/);
});

test('the factories build errors with the catalog retCode and Bybit substrings clients match on', () => {
  const cases: Array<[ExchangeError, keyof typeof ERROR_CATALOG, string]> = [
    [errors.param('side invalid'), 'paramError', 'params error: side invalid'],
    [errors.paramRaw('Not supported symbols'), 'paramError', 'Not supported symbols'],
    [errors.signParamsMissing('', 'k', ''), 'signParamsMissing', 'openapi sign params error!'],
    [
      errors.timestampWindow('1', 2, 5000),
      'timestampWindow',
      'invalid request, please check your server timestamp or recv_window param',
    ],
    [errors.invalidApiKey(200), 'invalidApiKey', 'API key is invalid.'],
    [
      errors.invalidSign('abc'),
      'invalidSign',
      'Error sign, please check your signature generation algorithm: origin_string[abc]',
    ],
    [
      errors.permissionDenied(),
      'permissionDenied',
      'Permission denied, please check your API key permissions.',
    ],
    [errors.tooManyVisits(), 'tooManyVisits', 'Too many visits!'],
    [errors.serverError(), 'serverError', 'Server error'],
    [errors.routeNotFound('GET', '/v5/nope'), 'routeNotFound', 'Route not found'],
    [errors.bodyTooLarge(1024), 'bodyTooLarge', 'params error'],
    [errors.leverageNotModified(), 'leverageNotModified', 'leverage not modified'],
  ];
  for (const [err, name, substring] of cases) {
    const entry = ERROR_CATALOG[name];
    expect(err).toBeInstanceOf(ExchangeError);
    expect(err.retCode, name).toBe(entry.retCode);
    expect(err.httpStatus, name).toBe('httpStatus' in entry ? entry.httpStatus : 200);
    expect(err.retMsg, name).toContain(substring);
    expect(err.message).toBe(err.retMsg);
  }
  expect(errors.invalidApiKey(401).httpStatus).toBe(401);
  expect(errors.timestampWindow('1700000000000', 1700000009000, 5000).retMsg).toBe(
    'invalid request, please check your server timestamp or recv_window param. req_timestamp[1700000000000],server_timestamp[1700000009000],recv_window[5000]',
  );
});
