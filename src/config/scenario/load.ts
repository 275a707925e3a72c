/**
 * Scenario loading: YAML text -> checked `Scenario` -> `ExchangeSeed`.
 *
 * Every problem in a file is reported in one pass, each with the line and column of the offending
 * YAML node, so a user fixes a file in one round trip instead of one error at a time. Order: YAML
 * syntax errors, then structural (schema) problems, then cross-field problems. When the YAML itself
 * is broken only the syntax errors are reported: the recovered tree is unreliable (a bad indent turns
 * a key into part of another key) and checking it would bury the real error under invented ones.
 *
 * Nothing here throws for a user mistake, prints, or exits: callers decide how to show problems.
 */
import {
  timelineEntryProblems,
  type TimelineAction,
  type TimelineEntry,
} from '../../core/timeline/timeline.js';
import { ruleProblems, type RuleSpec } from '../../core/rules/rules.js';
import { checkFault, networkProblems } from '../../core/faults/faults.js';
import { rateLimitProblems } from '../../core/limits/rate-limits.js';
import { readFileSync, existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { LineCounter, parseDocument, isAlias, isMap, isScalar, isSeq, type Document } from 'yaml';
import { Big, fromInt, parseDecimal, isMultipleOf, ONE, ZERO } from '../../core/decimal.js';
import type { AccountSpec, ExchangeSeed, InstrumentSpec, MarketSpec, PositionSpec } from '../../core/seed.js';
import { assertNever, type TradedCategory } from '../../core/types.js';
import { packageRoot } from '../daemon-config.js';
import { DURATION_PATTERN, parseDuration } from '../duration.js';
import type { Scenario, ScenarioAccount, ScenarioInstrument, ScenarioMarket } from './schema.js';

// =============================================================================================
// Public API

export interface ScenarioProblem {
  file: string;
  /** 1-based. */
  line: number;
  /** 1-based. */
  column: number;
  /** Data path such as `instruments[2].tickSize`; '' for the whole file or a YAML syntax error. */
  path: string;
  message: string;
}

export type ScenarioLoadResult =
  { ok: true; scenario: Scenario; text: string; file: string } | { ok: false; problems: ScenarioProblem[] };

export interface ScenarioClock {
  mode: 'real' | 'manual';
  /** ms epoch at which simulated time starts. */
  startTime: number;
  /** True when the scenario fixed the start; false when it is the boot time. */
  fixedStart: boolean;
  speed: number;
}

/** scenarios/default.yaml of this package, found from this module so it works from src/ and dist/. */
export const DEFAULT_SCENARIO_PATH: string = join(findPackageRoot(), 'scenarios', 'default.yaml');

/** Parses and checks scenario text. Never throws. */
export function parseScenario(text: string, file: string): ScenarioLoadResult {
  try {
    return parseChecked(text, file);
  } catch (err) {
    // Only reachable through a bug or a pathological document (e.g. an alias bomb); still no throw.
    const reason = err instanceof Error ? err.message : String(err);
    return {
      ok: false,
      problems: [{ file, line: 1, column: 1, path: '', message: `cannot read scenario: ${reason}` }],
    };
  }
}

/** Reads and checks a scenario file. Never throws; an unreadable file is one problem at 1:1. */
export function loadScenarioFile(path: string): ScenarioLoadResult {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    return { ok: false, problems: [{ file: path, line: 1, column: 1, path: '', message: readFailure(err) }] };
  }
  return parseScenario(text, path);
}

/** One line per problem: `file:line:col  path  message`. */
export function formatProblems(problems: ScenarioProblem[]): string {
  return problems
    .map((p) => {
      const where = `${p.file}:${p.line}:${p.column}`;
      return p.path === '' ? `${where}  ${p.message}` : `${where}  ${p.path}  ${p.message}`;
    })
    .join('\n');
}

/** Builds the complete seed, filling every default, from a scenario that passed parseScenario. */
export function scenarioToSeed(
  s: Scenario,
  opts: { now: number; seedOverride?: number },
): { seed: ExchangeSeed; clock: ScenarioClock } {
  const instruments = s.instruments.map(instrumentSpec);
  const markets: Record<string, MarketSpec> = {};
  for (const [symbol, market] of Object.entries(s.market ?? {})) {
    markets[symbol] = marketSpec(market, minOrderQtyFor(symbol, instruments));
  }
  const clock = clockOf(s, opts.now);
  return {
    seed: {
      seed: opts.seedOverride ?? s.seed ?? 1,
      startTime: clock.startTime,
      instruments,
      markets,
      accounts: (s.accounts ?? []).map(accountSpec),
      rules: (s.rules ?? []) as RuleSpec[],
      timeline: ((s.timeline ?? []) as Record<string, unknown>[]).map(timelineEntry),
      faults: (s.faults ?? []).map((f) => checkFault(f, parseDuration).spec),
      network: s.network as ExchangeSeed['network'],
      skewMs: s.clock?.skewMs,
      retention: s.retention,
      rateLimits:
        s.rateLimits === undefined ? undefined : rateLimitProblems(s.rateLimits, parseDuration).value,
    },
    clock,
  };
}

// =============================================================================================
// Reading

function readFailure(err: unknown): string {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  switch (code) {
    case 'ENOENT':
      return 'cannot read scenario: file not found';
    case 'EACCES':
    case 'EPERM':
      return 'cannot read scenario: permission denied';
    case 'EISDIR':
      return 'cannot read scenario: this is a directory, expected a YAML file';
    default:
      return `cannot read scenario: ${err instanceof Error ? err.message : String(err)}`;
  }
}

function findPackageRoot(): string {
  const start = dirname(fileURLToPath(import.meta.url));
  for (let dir = start; ; dir = dirname(dir)) {
    if (existsSync(join(dir, 'package.json'))) return dir;
    if (dirname(dir) === dir) break;
  }
  // Not reachable in a real checkout or install; src/config/scenario is three levels down.
  return join(start, '..', '..', '..');
}

function parseChecked(text: string, file: string): ScenarioLoadResult {
  const lineCounter = new LineCounter();
  // merge: true lets authors share instrument settings with YAML anchors and `<<: *base`.
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, merge: true });
  const locator = new Locator(doc, lineCounter, file);
  if (doc.errors.length > 0) {
    return { ok: false, problems: doc.errors.map((e) => locator.atOffset(e.pos[0], yamlMessage(e.message))) };
  }
  const data: unknown = doc.toJS({ maxAliasCount: 1000 });
  if (data === null || data === undefined) {
    const message = 'the scenario is empty; it needs at least `version: 1` and `instruments`';
    return { ok: false, problems: [locator.atOffset(0, message)] };
  }
  const findings = collectFindings(data);
  if (findings.length > 0) return { ok: false, problems: findings.map((f) => locator.problem(f)) };
  return { ok: true, scenario: data as Scenario, text, file };
}

/**
 * Schema findings, then cross-field findings. A cross-field finding at a path the schema already
 * flagged is dropped (a malformed value has nothing more useful to say), as are exact repeats
 * (two instruments with one symbol fail the same market check twice).
 */
function collectFindings(data: unknown): Finding[] {
  const schemaFindings: Finding[] = [];
  checkAgainstSchema(schemaRootNode(), data, [], schemaFindings);
  const crossFindings: Finding[] = [];
  checkCrossFields(data, crossFindings);
  const flagged = new Set(schemaFindings.map((f) => formatPath(f.path)));
  const seen = new Set<string>();
  return [...schemaFindings, ...crossFindings.filter((f) => !flagged.has(formatPath(f.path)))].filter((f) => {
    const key = `${formatPath(f.path)}\n${f.message}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

/** yaml's messages sometimes carry a position suffix; ours come from the Locator instead. */
function yamlMessage(message: string): string {
  const firstLine = message.split('\n')[0] ?? message;
  return `YAML syntax error: ${firstLine.replace(/ at line \d+, column \d+:?$/, '')}`;
}

// =============================================================================================
// Positions: from a data path back to the YAML node that produced it.

type PathSegment = string | number;

/** What a problem points at: the value at its path, the key of that value, or the map holding it. */
type Anchor = 'value' | 'key' | 'parent';

interface Finding {
  path: PathSegment[];
  message: string;
  anchor: Anchor;
}

function formatPath(path: PathSegment[]): string {
  let out = '';
  for (const seg of path) {
    if (typeof seg === 'number') out += `[${seg}]`;
    else if (/^[A-Za-z0-9_-]+$/.test(seg)) out += out === '' ? seg : `.${seg}`;
    else out += `[${JSON.stringify(seg)}]`;
  }
  return out;
}

class Locator {
  constructor(
    private readonly doc: Document,
    private readonly lineCounter: LineCounter,
    private readonly file: string,
  ) {}

  atOffset(offset: number, message: string, path = ''): ScenarioProblem {
    const { line, col } = this.lineCounter.linePos(offset);
    return { file: this.file, line, column: col, path, message };
  }

  problem(f: Finding): ScenarioProblem {
    const target = f.anchor === 'parent' ? f.path.slice(0, -1) : f.path;
    return this.atOffset(this.offsetOf(target, f.anchor === 'key'), f.message, formatPath(f.path));
  }

  /**
   * Offset of the node at `path`, or of its nearest existing ancestor (a key that came from a
   * `<<` merge has no node of its own). An empty value (`tickSize:`) points at its key instead,
   * since the empty scalar's position is the end of the line.
   */
  private offsetOf(path: PathSegment[], wantKey: boolean): number {
    let node: unknown = this.doc.contents;
    let offset = rangeStart(node) ?? 0;
    for (const seg of path) {
      if (isAlias(node)) node = node.resolve(this.doc);
      let keyNode: unknown;
      let next: unknown;
      if (isMap(node)) {
        const pair = node.items.find((p) => isScalar(p.key) && String(p.key.value) === String(seg));
        if (!pair) return offset;
        keyNode = pair.key;
        next = pair.value;
      } else if (isSeq(node) && typeof seg === 'number') {
        next = node.items[seg];
      } else {
        return offset;
      }
      const keyOffset = rangeStart(keyNode);
      const valueOffset = isEmptyScalar(next) ? undefined : rangeStart(next);
      offset = (wantKey ? keyOffset : valueOffset) ?? valueOffset ?? keyOffset ?? offset;
      node = next;
    }
    return offset;
  }
}

function rangeStart(node: unknown): number | undefined {
  if (node !== null && typeof node === 'object' && 'range' in node) {
    const range = (node as { range?: [number, number, number] | null }).range;
    return range ? range[0] : undefined;
  }
  return undefined;
}

function isEmptyScalar(node: unknown): boolean {
  return node === null || node === undefined || (isScalar(node) && node.value === null && node.source === '');
}

// =============================================================================================
// Structural validation: a small walker over the TypeBox schema (plain JSON Schema underneath).
// TypeBox's own error iterator reports a missing key twice and unions as "Expected union value";
// walking the schema ourselves gives one short message per mistake, anchored to the right node.

interface SchemaNode {
  type?: string;
  anyOf?: SchemaNode[];
  const?: unknown;
  properties?: Record<string, SchemaNode>;
  required?: string[];
  additionalProperties?: boolean | SchemaNode;
  patternProperties?: Record<string, SchemaNode>;
  propertyNames?: { pattern?: string; errorMessage?: string };
  items?: SchemaNode;
  minItems?: number;
  minLength?: number;
  pattern?: string;
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: number;
  errorMessage?: string;
}

/**
 * The schema the loader walks: schema/scenario.schema.json, the JSON Schema the package ships for
 * editors. A test keeps it equal to the TypeBox definition in schema.ts; reading the JSON spares
 * `serve` loading TypeBox (about a quarter of its start-up) just to build the same object.
 */
let schemaRoot: SchemaNode | undefined;
function schemaRootNode(): SchemaNode {
  if (schemaRoot === undefined) {
    const file = join(packageRoot(), 'schema', 'scenario.schema.json');
    try {
      schemaRoot = JSON.parse(readFileSync(file, 'utf8')) as SchemaNode;
    } catch (err) {
      throw new Error(
        `bybit-mock: cannot read the scenario schema ${file} (${(err as Error).message}); the package is incomplete: reinstall it, or copy schema/ next to dist/`,
      );
    }
  }
  return schemaRoot;
}

const regexCache = new Map<string, RegExp>();
function regex(pattern: string): RegExp {
  let re = regexCache.get(pattern);
  if (!re) {
    re = new RegExp(pattern);
    regexCache.set(pattern, re);
  }
  return re;
}

function isPlainMap(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

function checkAgainstSchema(schema: SchemaNode, value: unknown, path: PathSegment[], out: Finding[]): void {
  if (schema.anyOf) {
    if (!schema.anyOf.some((variant) => conforms(variant, value))) out.push(mismatch(schema, value, path));
    return;
  }
  if ('const' in schema) {
    if (value !== schema.const) out.push(mismatch(schema, value, path));
    return;
  }
  switch (schema.type) {
    case 'object':
      return checkMap(schema, value, path, out);
    case 'array':
      return checkList(schema, value, path, out);
    case 'string':
      if (typeof value !== 'string' || !stringFits(schema, value)) out.push(mismatch(schema, value, path));
      return;
    case 'number':
    case 'integer':
      if (!numberFits(schema, value)) out.push(mismatch(schema, value, path));
      return;
    case 'boolean':
      if (typeof value !== 'boolean') out.push(mismatch(schema, value, path));
      return;
    default:
      return;
  }
}

function conforms(schema: SchemaNode, value: unknown): boolean {
  const out: Finding[] = [];
  checkAgainstSchema(schema, value, [], out);
  return out.length === 0;
}

function checkMap(schema: SchemaNode, value: unknown, path: PathSegment[], out: Finding[]): void {
  if (!isPlainMap(value)) {
    out.push(mismatch(schema, value, path));
    return;
  }
  const properties = schema.properties ?? {};
  for (const key of schema.required ?? []) {
    if (!Object.hasOwn(value, key)) {
      const expected = properties[key] ? `: ${expectedText(properties[key])}` : '';
      out.push({
        path: [...path, key],
        anchor: 'parent',
        message: `missing required key '${key}'${expected}`,
      });
    }
  }
  for (const [key, child] of Object.entries(value)) {
    const childPath = [...path, key];
    const known = properties[key] ?? patternPropertyFor(schema, key);
    if (known) checkAgainstSchema(known, child, childPath, out);
    else if (schema.patternProperties)
      out.push({ path: childPath, anchor: 'key', message: badKey(schema, key) });
    else if (schema.additionalProperties === false) {
      out.push({ path: childPath, anchor: 'key', message: unknownKey(key, Object.keys(properties)) });
    }
  }
}

function patternPropertyFor(schema: SchemaNode, key: string): SchemaNode | undefined {
  for (const [pattern, child] of Object.entries(schema.patternProperties ?? {})) {
    if (regex(pattern).test(key)) return child;
  }
  return undefined;
}

function checkList(schema: SchemaNode, value: unknown, path: PathSegment[], out: Finding[]): void {
  if (!Array.isArray(value) || value.length < (schema.minItems ?? 0)) {
    out.push(mismatch(schema, value, path));
    return;
  }
  if (schema.items) {
    const items = schema.items;
    value.forEach((item, i) => checkAgainstSchema(items, item, [...path, i], out));
  }
}

function stringFits(schema: SchemaNode, value: string): boolean {
  if (schema.minLength !== undefined && value.length < schema.minLength) return false;
  return schema.pattern === undefined || regex(schema.pattern).test(value);
}

function numberFits(schema: SchemaNode, value: unknown): boolean {
  if (typeof value !== 'number' || !Number.isFinite(value)) return false;
  if (schema.type === 'integer' && !Number.isInteger(value)) return false;
  if (schema.minimum !== undefined && value < schema.minimum) return false;
  if (schema.maximum !== undefined && value > schema.maximum) return false;
  return schema.exclusiveMinimum === undefined || value > schema.exclusiveMinimum;
}

function mismatch(schema: SchemaNode, value: unknown, path: PathSegment[]): Finding {
  return { path, anchor: 'value', message: `${expectedText(schema)}, got ${describeValue(value)}` };
}

/** "expected ..." for a schema node: its own errorMessage, else derived from its constraints. */
function expectedText(schema: SchemaNode): string {
  if (schema.errorMessage) return schema.errorMessage;
  if ('const' in schema) return `expected ${JSON.stringify(schema.const)}`;
  if (schema.anyOf?.every((v) => 'const' in v)) {
    return `expected one of: ${schema.anyOf.map((v) => String(v.const)).join(', ')}`;
  }
  switch (schema.type) {
    case 'object':
      return schema.properties
        ? `expected a map with keys ${Object.keys(schema.properties).join(', ')}`
        : 'expected a map';
    case 'array':
      return schema.minItems ? 'expected a non-empty list' : 'expected a list';
    case 'string':
      return schema.minLength ? 'expected a non-empty string' : 'expected a string';
    case 'number':
      return `expected a number${boundsText(schema)}`;
    case 'integer':
      return `expected an integer${boundsText(schema)}`;
    default:
      return 'expected a different value';
  }
}

function boundsText(schema: SchemaNode): string {
  const { minimum: min, maximum: max, exclusiveMinimum: above } = schema;
  if (min !== undefined && max !== undefined) return ` from ${min} to ${max}`;
  if (above !== undefined) return ` greater than ${above}`;
  if (min !== undefined) return ` >= ${min}`;
  if (max !== undefined) return ` <= ${max}`;
  return '';
}

function describeValue(value: unknown): string {
  if (value === null || value === undefined) return 'an empty value';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'a map';
  if (typeof value === 'string') {
    if (value === '') return 'an empty string';
    return JSON.stringify(value.length > 40 ? `${value.slice(0, 37)}...` : value);
  }
  return String(value);
}

function badKey(schema: SchemaNode, key: string): string {
  const expected = schema.propertyNames?.errorMessage ?? 'expected a different key';
  return `invalid key '${key}': ${expected}`;
}

function unknownKey(key: string, allowed: string[]): string {
  const suggestion = closestKey(key, allowed);
  const hint = suggestion ? ` (did you mean '${suggestion}'?)` : '';
  return `unknown key '${key}'${hint}; expected one of: ${allowed.join(', ')}`;
}

/** A likely intended key: same letters in another case, or within a small edit distance. */
function closestKey(key: string, allowed: string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = Math.max(1, Math.floor(key.length / 3)) + 1;
  for (const candidate of allowed) {
    if (candidate.toLowerCase() === key.toLowerCase()) return candidate;
    const d = editDistance(key.toLowerCase(), candidate.toLowerCase());
    if (d < bestDistance) {
      best = candidate;
      bestDistance = d;
    }
  }
  return best;
}

function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      current[j] = Math.min((previous[j] ?? 0) + 1, (current[j - 1] ?? 0) + 1, (previous[j - 1] ?? 0) + cost);
    }
    previous = current;
  }
  return previous[b.length] ?? 0;
}

// =============================================================================================
// Cross-field checks. They run on the raw data even when the schema found problems, so that every
// mistake is reported at once; each check skips values of the wrong type (already reported).

/** What the cross checks need to know about one instrument entry with a usable symbol and category. */
interface InstrumentFacts {
  index: number;
  symbol: string;
  category: TradedCategory;
  tickSize?: Big;
  qtyStep?: Big;
  maxLeverage: Big;
}

const DEFAULT_LINEAR_MAX_LEVERAGE = '100';
const DEFAULT_MAX_PRICE = '1999999999';
const DEFAULT_MAX_NOTIONAL = '1000000000';
const MIN_TICK_INTERVAL_MS = 10;
const DURATION_RE = new RegExp(DURATION_PATTERN);

/**
 * A non-negative decimal from a schema-valid value, else undefined. Every decimal the cross checks
 * read is unsigned in the schema, so a negative one was already reported there.
 */
function decimalOf(value: unknown): Big | undefined {
  if (typeof value === 'string' && !/^[0-9]+(\.[0-9]+)?$/.test(value)) return undefined;
  const d = parseDecimal(value);
  return d && d.gte(ZERO) ? d : undefined;
}

/** Where a check reports a problem: a key of the entry being checked. */
type Report = (key: string, message: string) => void;

function textOf(value: unknown): string {
  return typeof value === 'string' ? JSON.stringify(value) : String(value);
}

function checkCrossFields(data: unknown, out: Finding[]): void {
  if (!isPlainMap(data)) return;
  const instruments = checkInstruments(data.instruments, out);
  checkMarket(data.market, data.instruments, instruments, out);
  checkAccounts(data.accounts, instruments, out);
  checkClock(data.clock, out);
  checkRules(data.rules, out);
  checkTimeline(data.timeline, out);
  checkFaults(data.faults, out);
  if (data.network !== undefined)
    for (const message of networkProblems(data.network)) {
      // Messages name their key first ("latencyMs must ...", 'unknown key "x" ...').
      const key = /^unknown key "([^"]+)"/.exec(message)?.[1] ?? /^(\w+) must/.exec(message)?.[1];
      const known = key !== undefined && isPlainMap(data.network) && key in data.network;
      out.push({
        path: known ? ['network', key] : ['network'],
        anchor: known && message.startsWith('unknown') ? 'key' : 'value',
        message: `network: ${message}`,
      });
    }
  if (data.rateLimits !== undefined)
    for (const issue of rateLimitProblems(data.rateLimits, parseDuration).issues)
      out.push({
        path: ['rateLimits', ...issue.path],
        // An unknown key is pointed at by its name, a bad value by the value.
        anchor: issue.message.includes('unknown') ? 'key' : 'value',
        message: `rateLimits: ${issue.message}`,
      });
}

/** Each fault is checked by the fault module itself, so the file and the admin API agree. */
function checkFaults(list: unknown, out: Finding[]): void {
  if (!Array.isArray(list)) return;
  const ids = new Map<string, number>();
  list.forEach((raw, index) => {
    for (const message of checkFault(raw, parseDuration).problems)
      out.push({ path: ['faults', index], anchor: 'value', message: `fault: ${message}` });
    if (isPlainMap(raw) && typeof raw.id === 'string') {
      const first = firstIndexOf(ids, raw.id, index);
      if (first !== undefined)
        out.push({
          path: ['faults', index, 'id'],
          anchor: 'value',
          message: `duplicate fault id "${raw.id}", already used by faults[${first}]`,
        });
    }
  });
}

/** Timeline entries, checked by the timeline module with the loader's duration parser. */
function checkTimeline(list: unknown, out: Finding[]): void {
  if (!Array.isArray(list)) return;
  const ids = new Set<string>();
  list.forEach((raw, index) => {
    for (const message of timelineEntryProblems(raw, ids, parseDuration)) {
      out.push({ path: ['timeline', index], anchor: 'value', message: `timeline: ${message}` });
    }
    if (isPlainMap(raw) && typeof raw.id === 'string') {
      if (ids.has(raw.id))
        out.push({
          path: ['timeline', index, 'id'],
          anchor: 'value',
          message: `duplicate timeline id "${raw.id}"`,
        });
      ids.add(raw.id);
    }
  });
}

/** A checked timeline entry with its durations in ms. */
function timelineEntry(raw: Record<string, unknown>): TimelineEntry {
  const act = raw.do as Record<string, unknown>;
  const price = act.price as Record<string, unknown> | undefined;
  const action = (
    price && price.over !== undefined
      ? { price: { ...price, over: undefined, overMs: parseDuration(price.over) } }
      : act.addFault !== undefined
        ? { addFault: checkFault(act.addFault, parseDuration).spec }
        : act
  ) as TimelineAction;
  return {
    id: raw.id as string | undefined,
    atMs: raw.at === undefined ? undefined : parseDuration(raw.at),
    after: raw.after as string | undefined,
    everyMs: raw.every === undefined ? undefined : parseDuration(raw.every),
    count: raw.count as number | undefined,
    do: action,
  };
}

/** Each rule is checked by the rule module itself, so the file and the admin API agree. */
function checkRules(list: unknown, out: Finding[]): void {
  if (!Array.isArray(list)) return;
  const ids = new Map<string, number>();
  list.forEach((raw, index) => {
    for (const message of ruleProblems(raw))
      out.push({ path: ['rules', index], anchor: 'value', message: `rule: ${message}` });
    if (isPlainMap(raw) && typeof raw.id === 'string') {
      const first = firstIndexOf(ids, raw.id, index);
      if (first !== undefined) {
        out.push({
          path: ['rules', index, 'id'],
          anchor: 'value',
          message: `duplicate rule id "${raw.id}", already used by rules[${first}]`,
        });
      }
    }
  });
}

function checkInstruments(list: unknown, out: Finding[]): InstrumentFacts[] {
  if (!Array.isArray(list)) return [];
  const facts: InstrumentFacts[] = [];
  const firstIndex = new Map<string, number>();
  list.forEach((raw, index) => {
    if (!isPlainMap(raw)) return;
    const path = ['instruments', index];
    const fact = instrumentFacts(raw, index);
    if (fact) {
      const key = `${fact.category} ${fact.symbol}`;
      const first = firstIndex.get(key);
      if (first === undefined) firstIndex.set(key, index);
      else {
        out.push({
          path: [...path, 'symbol'],
          anchor: 'value',
          message: `duplicate instrument: ${key} is already defined at instruments[${first}]`,
        });
      }
      facts.push(fact);
    }
    checkInstrumentFilters(raw, path, fact?.category, out);
  });
  return facts;
}

function instrumentFacts(raw: Record<string, unknown>, index: number): InstrumentFacts | undefined {
  const { symbol, category } = raw;
  if (typeof symbol !== 'string' || (category !== 'spot' && category !== 'linear')) return undefined;
  const maxLeverage =
    category === 'linear' ? (decimalOf(raw.maxLeverage) ?? Big(DEFAULT_LINEAR_MAX_LEVERAGE)) : ONE;
  return {
    index,
    symbol,
    category,
    tickSize: decimalOf(raw.tickSize),
    qtyStep: decimalOf(raw.qtyStep),
    maxLeverage,
  };
}

const POSITIVE_INSTRUMENT_DECIMALS = [
  'tickSize',
  'qtyStep',
  'minOrderQty',
  'maxOrderQty',
  'maxMarketOrderQty',
  'maxNotional',
  'minPrice',
  'maxPrice',
  'maxLeverage',
] as const;

function checkInstrumentFilters(
  raw: Record<string, unknown>,
  path: PathSegment[],
  category: TradedCategory | undefined,
  out: Finding[],
): void {
  const at: Report = (key, message) => out.push({ path: [...path, key], anchor: 'value', message });
  for (const key of POSITIVE_INSTRUMENT_DECIMALS) {
    const d = decimalOf(raw[key]);
    if (d?.eq(ZERO)) at(key, `expected a decimal greater than 0, got ${textOf(raw[key])}`);
  }
  const step = decimalOf(raw.qtyStep);
  for (const key of ['minOrderQty', 'maxOrderQty', 'maxMarketOrderQty'] as const) {
    const d = decimalOf(raw[key]);
    if (d && step?.gt(ZERO) && d.gt(ZERO) && !isMultipleOf(d, step)) {
      at(key, `expected a multiple of qtyStep ${step.toFixed()}, got ${textOf(raw[key])}`);
    }
  }
  checkOrder(raw, 'minOrderQty', 'maxOrderQty', undefined, at);
  checkOrder(raw, 'maxMarketOrderQty', 'maxOrderQty', undefined, at);
  checkOrder(raw, 'minOrderQty', 'maxMarketOrderQty', undefined, at);
  checkOrder(raw, 'minPrice', 'maxPrice', DEFAULT_MAX_PRICE, at);
  checkOrder(raw, 'minNotional', 'maxNotional', DEFAULT_MAX_NOTIONAL, at);
  if (category === 'spot') checkSpotOnly(raw, at);
  if (category === 'linear') checkLinearOnly(raw, at);
}

/**
 * Reports `low` above `high` (or above the default of `high` when it is left out) at `low`.
 * Skips when either side is missing or malformed.
 */
function checkOrder(
  raw: Record<string, unknown>,
  low: string,
  high: string,
  highDefault: string | undefined,
  at: Report,
): void {
  const lowValue = decimalOf(raw[low]);
  const highGiven = raw[high] !== undefined;
  const highValue = highGiven
    ? decimalOf(raw[high])
    : highDefault === undefined
      ? undefined
      : Big(highDefault);
  // A zero bound was already reported as "must be greater than 0"; comparing with it adds noise.
  if (!lowValue?.gt(ZERO) || !highValue?.gt(ZERO) || lowValue.lte(highValue)) return;
  const highText = `${highValue.toFixed()}${highGiven ? '' : ' (the default)'}`;
  at(low, `${low} ${lowValue.toFixed()} is above ${high} ${highText}`);
}

function checkSpotOnly(raw: Record<string, unknown>, at: Report): void {
  if (
    typeof raw.settleCoin === 'string' &&
    typeof raw.quoteCoin === 'string' &&
    raw.settleCoin !== raw.quoteCoin
  ) {
    at(
      'settleCoin',
      `spot settleCoin must equal quoteCoin ${raw.quoteCoin} or be left out, got ${textOf(raw.settleCoin)}`,
    );
  }
  const leverage = decimalOf(raw.maxLeverage);
  if (leverage && !leverage.eq(ONE))
    at('maxLeverage', `spot maxLeverage must be "1" or left out, got ${textOf(raw.maxLeverage)}`);
  if (raw.fundingInterval !== undefined)
    at('fundingInterval', 'fundingInterval applies to linear instruments only; remove it');
}

function checkLinearOnly(raw: Record<string, unknown>, at: Report): void {
  const leverage = decimalOf(raw.maxLeverage);
  if (leverage && leverage.gt(ZERO) && leverage.lt(ONE)) {
    at('maxLeverage', `expected a maxLeverage of at least 1, got ${textOf(raw.maxLeverage)}`);
  }
  const ms = durationOf(raw, 'fundingInterval', at);
  if (ms !== undefined && (ms === 0 || ms % 60_000 !== 0)) {
    at(
      'fundingInterval',
      `expected a whole number of minutes greater than 0, such as "8h" or "480m", got ${textOf(raw.fundingInterval)}`,
    );
  }
}

/** ms of the duration at raw[key]; reports a text that has the right shape but no whole ms ("0.5ms"). */
function durationOf(raw: Record<string, unknown>, key: string, at: Report): number | undefined {
  const value = raw[key];
  const ms = parseDuration(value);
  if (ms === undefined && typeof value === 'string' && DURATION_RE.test(value)) {
    at(key, `expected a whole number of milliseconds, got ${textOf(value)}`);
  }
  return ms;
}

function checkMarket(
  market: unknown,
  instrumentList: unknown,
  facts: InstrumentFacts[],
  out: Finding[],
): void {
  const entries = isPlainMap(market) ? market : {};
  for (const fact of facts) {
    if (!Object.hasOwn(entries, fact.symbol)) {
      out.push({
        path: ['instruments', fact.index, 'symbol'],
        anchor: 'value',
        message: `no market entry for ${fact.symbol}; add market.${fact.symbol}.price`,
      });
    }
  }
  for (const [symbol, raw] of Object.entries(entries)) {
    const sharing = facts.filter((f) => f.symbol === symbol);
    // With no usable instrument list at all the schema already complained; don't flag every entry.
    if (sharing.length === 0 && Array.isArray(instrumentList) && instrumentList.length > 0) {
      out.push({
        path: ['market', symbol],
        anchor: 'key',
        message: `no instrument has symbol ${symbol}; remove this entry or add the instrument`,
      });
    }
    if (isPlainMap(raw)) checkMarketEntry(raw, ['market', symbol], sharing, out);
  }
}

function checkMarketEntry(
  raw: Record<string, unknown>,
  path: PathSegment[],
  sharing: InstrumentFacts[],
  out: Finding[],
): void {
  const at: Report = (key, message) => out.push({ path: [...path, key], anchor: 'value', message });
  const price = decimalOf(raw.price);
  if (price?.eq(ZERO)) at('price', `expected a price greater than 0, got ${textOf(raw.price)}`);
  if (price && price.gt(ZERO)) {
    for (const f of sharing) {
      if (f.tickSize?.gt(ZERO) && !isMultipleOf(price, f.tickSize)) {
        at(
          'price',
          `price ${price.toFixed()} is not a multiple of tickSize ${f.tickSize.toFixed()} of ${f.category} ${f.symbol}`,
        );
      }
    }
  }
  const tick = durationOf(raw, 'tickInterval', at);
  if (tick !== undefined && tick < MIN_TICK_INTERVAL_MS) {
    at('tickInterval', `expected at least ${MIN_TICK_INTERVAL_MS}ms, got ${textOf(raw.tickInterval)}`);
  }
  const tradeQty = decimalOf(raw.tradeQty);
  if (tradeQty?.eq(ZERO)) at('tradeQty', `expected a decimal greater than 0, got ${textOf(raw.tradeQty)}`);
  if (isPlainMap(raw.book)) {
    const levelQty = decimalOf(raw.book.levelQty);
    if (levelQty?.eq(ZERO)) {
      out.push({
        path: [...path, 'book', 'levelQty'],
        anchor: 'value',
        message: `expected a decimal greater than 0, got ${textOf(raw.book.levelQty)}`,
      });
    }
  }
}

function checkAccounts(list: unknown, facts: InstrumentFacts[], out: Finding[]): void {
  if (!Array.isArray(list)) return;
  const firstWith = { name: new Map<string, number>(), apiKey: new Map<string, number>() };
  const linear = new Map(facts.filter((f) => f.category === 'linear').map((f) => [f.symbol, f]));
  list.forEach((raw, index) => {
    if (!isPlainMap(raw)) return;
    const path = ['accounts', index];
    for (const key of ['name', 'apiKey'] as const) {
      const first = firstIndexOf(firstWith[key], raw[key], index);
      if (first !== undefined) {
        const message = `duplicate ${key === 'name' ? 'account name' : 'apiKey'} ${textOf(raw[key])}, already used by accounts[${first}]`;
        out.push({ path: [...path, key], anchor: 'value', message });
      }
    }
    checkAccountLeverage(raw, path, linear, out);
    if (Array.isArray(raw.positions)) checkPositions(raw, raw.positions, path, linear, out);
  });
}

/** Index of an earlier entry with the same string value, recording this one when it is the first. */
function firstIndexOf(seen: Map<string, number>, value: unknown, index: number): number | undefined {
  if (typeof value !== 'string') return undefined;
  const first = seen.get(value);
  if (first === undefined) seen.set(value, index);
  return first;
}

function checkLeverageValue(
  value: unknown,
  fact: InstrumentFacts,
  path: PathSegment[],
  out: Finding[],
): void {
  const leverage = decimalOf(value);
  if (leverage && (leverage.lt(ONE) || leverage.gt(fact.maxLeverage))) {
    out.push({
      path,
      anchor: 'value',
      message: `expected leverage from 1 to ${fact.maxLeverage.toFixed()} (maxLeverage of ${fact.symbol}), got ${textOf(value)}`,
    });
  }
}

function checkAccountLeverage(
  raw: Record<string, unknown>,
  path: PathSegment[],
  linear: Map<string, InstrumentFacts>,
  out: Finding[],
): void {
  if (!isPlainMap(raw.leverage)) return;
  for (const [symbol, value] of Object.entries(raw.leverage)) {
    const fact = linear.get(symbol);
    const leveragePath = [...path, 'leverage', symbol];
    if (!fact) {
      out.push({
        path: leveragePath,
        anchor: 'key',
        message: `${symbol} is not a linear instrument; leverage applies to linear symbols only`,
      });
    } else {
      checkLeverageValue(value, fact, leveragePath, out);
    }
  }
}

function checkPositions(
  account: Record<string, unknown>,
  positions: unknown[],
  path: PathSegment[],
  linear: Map<string, InstrumentFacts>,
  out: Finding[],
): void {
  const slots = new Map<string, number>();
  positions.forEach((raw, j) => {
    if (!isPlainMap(raw)) return;
    const positionPath = [...path, 'positions', j];
    const at: Report = (key, message) => out.push({ path: [...positionPath, key], anchor: 'value', message });
    if (typeof raw.symbol !== 'string') return;
    const fact = linear.get(raw.symbol);
    if (!fact) {
      at('symbol', `expected the symbol of a linear instrument, got ${textOf(raw.symbol)}`);
      return;
    }
    const size = decimalOf(raw.size);
    if (size?.eq(ZERO)) at('size', `expected a size greater than 0, got ${textOf(raw.size)}`);
    else if (size && fact.qtyStep?.gt(ZERO) && !isMultipleOf(size, fact.qtyStep)) {
      at(
        'size',
        `expected a multiple of qtyStep ${fact.qtyStep.toFixed()} of linear ${fact.symbol}, got ${textOf(raw.size)}`,
      );
    }
    const avgPrice = decimalOf(raw.avgPrice);
    if (avgPrice?.eq(ZERO)) at('avgPrice', `expected a price greater than 0, got ${textOf(raw.avgPrice)}`);
    checkLeverageValue(raw.leverage, fact, [...positionPath, 'leverage'], out);
    checkLeverageAgreement(account, raw, fact.symbol, at);
    checkPositionSlot(raw, fact.symbol, j, slots, at);
  });
}

/** One-way mode has one leverage per symbol: a position cannot disagree with the account's setting. */
function checkLeverageAgreement(
  account: Record<string, unknown>,
  position: Record<string, unknown>,
  symbol: string,
  at: Report,
): void {
  const own = decimalOf(position.leverage);
  const accountSetting = isPlainMap(account.leverage) ? decimalOf(account.leverage[symbol]) : undefined;
  if (own && accountSetting && !own.eq(accountSetting)) {
    at(
      'leverage',
      `leverage ${own.toFixed()} differs from leverage.${symbol} ${accountSetting.toFixed()} of this account`,
    );
  }
}

/** positionIdx 0 is one-way; 1 (long, Buy) and 2 (short, Sell) are hedge mode. A symbol is in one mode. */
function checkPositionSlot(
  raw: Record<string, unknown>,
  symbol: string,
  index: number,
  slots: Map<string, number>,
  at: Report,
): void {
  const idx = raw.positionIdx ?? 0;
  if (idx !== 0 && idx !== 1 && idx !== 2) return;
  if (idx === 1 && raw.side === 'Sell')
    at('side', 'positionIdx 1 is the hedge-mode long: expected side Buy, got "Sell"');
  if (idx === 2 && raw.side === 'Buy')
    at('side', 'positionIdx 2 is the hedge-mode short: expected side Sell, got "Buy"');
  const same = slots.get(`${symbol} ${idx}`);
  const otherMode =
    idx === 0 ? (slots.get(`${symbol} 1`) ?? slots.get(`${symbol} 2`)) : slots.get(`${symbol} 0`);
  if (same !== undefined)
    at('symbol', `duplicate position: ${symbol} positionIdx ${idx} is already at positions[${same}]`);
  else if (otherMode !== undefined) {
    at(
      'positionIdx',
      `${symbol} mixes one-way (positionIdx 0) and hedge-mode (1, 2) positions; see positions[${otherMode}]`,
    );
  }
  if (same === undefined) slots.set(`${symbol} ${idx}`, index);
}

function checkClock(clock: unknown, out: Finding[]): void {
  if (!isPlainMap(clock) || typeof clock.start !== 'string') return;
  if (parseIsoTime(clock.start) === undefined) {
    out.push({
      path: ['clock', 'start'],
      anchor: 'value',
      message: `expected a real calendar time, got ${textOf(clock.start)}`,
    });
  }
}

/**
 * ms epoch of an ISO-8601 text that passed the schema pattern, or undefined for an impossible date
 * (Date.parse alone accepts February 30th).
 */
function parseIsoTime(text: string): number | undefined {
  const m = /^(\d{4})-(\d{2})-(\d{2})(?:T(\d{2}):(\d{2})(?::(\d{2}))?)?/.exec(text);
  if (!m) return undefined;
  const [year, month, day, hour, minute, second] = m
    .slice(1)
    .map((part) => (part === undefined ? 0 : Number(part)));
  if (year === undefined || month === undefined || day === undefined) return undefined;
  const daysInMonth = new Date(Date.UTC(year, month, 0)).getUTCDate();
  if (month < 1 || month > 12 || day < 1 || day > daysInMonth) return undefined;
  if ((hour ?? 0) > 23 || (minute ?? 0) > 59 || (second ?? 0) > 59) return undefined;
  const ms = Date.parse(text);
  return Number.isFinite(ms) ? ms : undefined;
}

// =============================================================================================
// Conversion to ExchangeSeed. The scenario is valid here, so lookups cannot fail.

const CATEGORY_DEFAULTS: Record<TradedCategory, { makerFee: string; takerFee: string; maxLeverage: string }> =
  {
    linear: { makerFee: '0.0002', takerFee: '0.00055', maxLeverage: DEFAULT_LINEAR_MAX_LEVERAGE },
    spot: { makerFee: '0.001', takerFee: '0.001', maxLeverage: '1' },
  };
const DEFAULT_LAUNCH_TIME = 1585526400000;
const DEFAULT_FUNDING_INTERVAL = '8h';

/** Decimal text for the seed: the user's string as written, or a YAML number in plain notation. */
function decimalText(value: string | number): string {
  if (typeof value === 'string') return value.trim();
  // String(1e-7) is "1e-7"; toFixed() gives "0.0000001", the form the rest of the code expects.
  return parseDecimal(value)?.toFixed() ?? String(value);
}

function optionalText(value: string | number | undefined, fallback: string): string {
  return value === undefined ? fallback : decimalText(value);
}

function instrumentSpec(i: ScenarioInstrument): InstrumentSpec {
  const defaults = CATEGORY_DEFAULTS[i.category];
  const tickSize = decimalText(i.tickSize);
  const maxOrderQty = decimalText(i.maxOrderQty);
  return {
    symbol: i.symbol,
    category: i.category,
    baseCoin: i.baseCoin,
    quoteCoin: i.quoteCoin,
    settleCoin: i.settleCoin ?? i.quoteCoin,
    status: i.status ?? 'Trading',
    tickSize,
    qtyStep: decimalText(i.qtyStep),
    minOrderQty: decimalText(i.minOrderQty),
    maxOrderQty,
    maxMarketOrderQty: optionalText(i.maxMarketOrderQty, maxOrderQty),
    minNotional: decimalText(i.minNotional),
    maxNotional: optionalText(i.maxNotional, DEFAULT_MAX_NOTIONAL),
    minPrice: optionalText(i.minPrice, tickSize),
    maxPrice: optionalText(i.maxPrice, DEFAULT_MAX_PRICE),
    maxLeverage: optionalText(i.maxLeverage, defaults.maxLeverage),
    makerFee: optionalText(i.makerFee, defaults.makerFee),
    takerFee: optionalText(i.takerFee, defaults.takerFee),
    launchTime: String(i.launchTime ?? DEFAULT_LAUNCH_TIME),
    fundingIntervalMinutes: fundingMinutes(i),
  };
}

/** Spot has no funding: 0 minutes. */
function fundingMinutes(i: ScenarioInstrument): number {
  switch (i.category) {
    case 'spot':
      return 0;
    case 'linear':
      return (parseDuration(i.fundingInterval ?? DEFAULT_FUNDING_INTERVAL) ?? 0) / 60_000;
    default:
      return assertNever(i.category, 'category');
  }
}

/** The symbol's linear minOrderQty, else its spot one: derived sizes should be tradable on the perp. */
function minOrderQtyFor(symbol: string, instruments: InstrumentSpec[]): Big {
  const ofSymbol = instruments.filter((i) => i.symbol === symbol);
  const chosen = ofSymbol.find((i) => i.category === 'linear') ?? ofSymbol[0];
  return chosen ? Big(chosen.minOrderQty) : ONE;
}

function marketSpec(m: ScenarioMarket, minOrderQty: Big): MarketSpec {
  return {
    price: decimalText(m.price),
    volatility: m.volatility ?? 0.5,
    tickIntervalMs: parseDuration(m.tickInterval ?? '1s') ?? 1000,
    tradesPerTick: m.tradesPerTick ?? 2,
    tradeQty: optionalText(m.tradeQty, minOrderQty.times(fromInt(10)).toFixed()),
    fundingRate: optionalText(m.fundingRate, '0.0001'),
    book: {
      depth: m.book?.depth ?? 200,
      spreadTicks: m.book?.spreadTicks ?? 1,
      levelGapTicks: m.book?.levelGapTicks ?? 1,
      levelQty: optionalText(m.book?.levelQty, minOrderQty.times(fromInt(50)).toFixed()),
    },
  };
}

function accountSpec(a: ScenarioAccount): AccountSpec {
  const leverage = mapValues(a.leverage ?? {}, decimalText);
  return {
    name: a.name,
    apiKey: a.apiKey,
    apiSecret: a.apiSecret,
    permissions: a.permissions ?? 'trade',
    balances: mapValues(a.balances ?? {}, decimalText),
    positions: (a.positions ?? []).map((p): PositionSpec => {
      const positionLeverage = p.leverage === undefined ? leverage[p.symbol] : decimalText(p.leverage);
      return {
        category: p.category,
        symbol: p.symbol,
        side: p.side,
        size: decimalText(p.size),
        avgPrice: decimalText(p.avgPrice),
        ...(positionLeverage === undefined ? {} : { leverage: positionLeverage }),
        positionIdx: p.positionIdx ?? 0,
      };
    }),
    leverage,
  };
}

function mapValues<V, W>(record: Record<string, V>, fn: (value: V) => W): Record<string, W> {
  return Object.fromEntries(Object.entries(record).map(([k, v]) => [k, fn(v)]));
}

function clockOf(s: Scenario, now: number): ScenarioClock {
  const start = s.clock?.start;
  const fixed = start === undefined ? undefined : typeof start === 'number' ? start : parseIsoTime(start);
  return {
    mode: s.clock?.mode ?? 'real',
    startTime: fixed ?? now,
    fixedStart: fixed !== undefined,
    speed: s.clock?.speed ?? 1,
  };
}
