#!/usr/bin/env node
// Thin shim: runs the built CLI (dist/ is produced by `npm run build`, which `npm ci` runs).
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const entry = new URL('../dist/cli/program.js', import.meta.url);
if (!existsSync(fileURLToPath(entry))) {
  console.error('bybit-mock: dist/ is missing. Run `npm run build` (npm ci runs it for you) and try again.');
  process.exit(1);
}
const { main } = await import(entry.href);
await main(process.argv);
