/**
 * `bybit-mock schema`: prints the JSON Schema of scenario files (the same document the package
 * ships as schema/scenario.schema.json), for editors and for tools that check YAML in CI.
 */
import { writeFileSync } from 'node:fs';
import { scenarioJsonSchema } from '../../config/scenario/schema.js';
import type { CliIo } from './validate.js';

/** The schema as the package ships it: two-space JSON with a final newline. */
export function scenarioSchemaText(): string {
  return `${JSON.stringify(scenarioJsonSchema(), null, 2)}\n`;
}

/** Prints the schema, or writes it to `output`. Returns the exit code. */
export function runSchema(io: CliIo, opts: { output?: string } = {}): number {
  const text = scenarioSchemaText();
  if (opts.output === undefined) {
    io.out(text.trimEnd());
    return 0;
  }
  try {
    writeFileSync(opts.output, text, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    io.err(`schema: cannot write ${opts.output}: ${code ?? (err as Error).message}`);
    return 1;
  }
  io.err(`wrote ${opts.output}`);
  return 0;
}
