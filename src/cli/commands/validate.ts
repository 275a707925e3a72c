/**
 * `bybit-mock validate FILE...`: checks scenario files without starting anything, for editors,
 * CI and pre-commit hooks. Problems go to stderr in `file:line:col  path  message` form, which
 * terminals and editors turn into links.
 */
import { formatProblems, loadScenarioFile } from '../../config/scenario/load.js';

/** Where command functions write; the CLI passes stdout/stderr, tests collect lines. */
export interface CliIo {
  out(line: string): void;
  err(line: string): void;
}

/** Validates every file (all of them, even after a failure). Returns 1 if any is invalid, else 0. */
export function runValidate(files: string[], io: CliIo): number {
  if (files.length === 0) {
    io.err('validate: no scenario file given (usage: bybit-mock validate FILE...)');
    return 1;
  }
  let failed = 0;
  for (const file of files) {
    const result = loadScenarioFile(file);
    if (result.ok) {
      io.out(`${file}: ok`);
      continue;
    }
    failed++;
    for (const line of formatProblems(result.problems).split('\n')) io.err(line);
    const count = result.problems.length;
    io.err(`${file}: ${count} problem${count === 1 ? '' : 's'}`);
  }
  return failed > 0 ? 1 : 0;
}
