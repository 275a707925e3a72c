/**
 * `bybit-mock init [FILE]`: writes the commented default scenario as a starting point. The
 * template is scenarios/default.yaml itself, so the example can never drift from the real default.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { DEFAULT_SCENARIO_PATH } from '../../config/scenario/load.js';
import type { CliIo } from './validate.js';

export type { CliIo } from './validate.js';

export const DEFAULT_INIT_FILE = './bybit-mock.yaml';

const SCHEMA_COMMENT_RE = /^# yaml-language-server: \$schema=.*$/m;

export function runInit(file: string | undefined, io: CliIo, opts: { force?: boolean } = {}): number {
  const target = file ?? DEFAULT_INIT_FILE;
  let template: string;
  try {
    template = readFileSync(DEFAULT_SCENARIO_PATH, 'utf8');
  } catch (err) {
    io.err(`init: cannot read the template ${DEFAULT_SCENARIO_PATH}: ${errorText(err)}`);
    return 1;
  }
  try {
    // 'wx' fails if the file exists, with no gap between checking and writing.
    writeFileSync(target, withSchemaPath(template, target), {
      encoding: 'utf8',
      flag: opts.force ? 'w' : 'wx',
    });
  } catch (err) {
    io.err(`init: ${writeFailure(err, target)}`);
    return 1;
  }
  io.out(`wrote ${target}: a commented example scenario (the built-in default)`);
  io.out('next:');
  io.out(`  bybit-mock validate ${shellWord(target)}`);
  io.out(`  bybit-mock serve --scenario ${shellWord(target)}`);
  return 0;
}

/**
 * The template's schema comment is relative to scenarios/; rewrite it relative to the new file so
 * editors still find the package's schema/scenario.schema.json.
 */
function withSchemaPath(template: string, target: string): string {
  const schemaFile = join(dirname(dirname(DEFAULT_SCENARIO_PATH)), 'schema', 'scenario.schema.json');
  let rel = relative(dirname(resolve(target)), schemaFile)
    .split(sep)
    .join('/');
  if (!rel.startsWith('.') && !rel.startsWith('/')) rel = `./${rel}`;
  return template.replace(SCHEMA_COMMENT_RE, `# yaml-language-server: $schema=${rel}`);
}

function writeFailure(err: unknown, target: string): string {
  switch ((err as NodeJS.ErrnoException | undefined)?.code) {
    case 'EEXIST':
      return `${target} already exists; pass --force to overwrite it or pick another file name`;
    case 'ENOENT':
      return `cannot write ${target}: its directory does not exist`;
    case 'EACCES':
    case 'EPERM':
      return `cannot write ${target}: permission denied`;
    case 'EISDIR':
      return `cannot write ${target}: it is a directory`;
    default:
      return `cannot write ${target}: ${errorText(err)}`;
  }
}

function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** Quotes a path for the suggested commands only when the shell would split or expand it. */
function shellWord(text: string): string {
  return /^[\w./-]+$/.test(text) ? text : `'${text.replace(/'/g, `'\\''`)}'`;
}
