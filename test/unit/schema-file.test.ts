/**
 * schema/scenario.schema.json (what editors load) must be exactly the schema the loader uses.
 */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect, test } from 'vitest';
import { scenarioJsonSchema } from '../../src/config/scenario/schema.js';

const FILE = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'schema', 'scenario.schema.json');

test('the shipped JSON Schema equals the loader schema', () => {
  expect(JSON.parse(readFileSync(FILE, 'utf8'))).toEqual(scenarioJsonSchema());
});
