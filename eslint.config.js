// Lint rules. The core must stay pure: no transports, no I/O, no wall clock (docs/architecture.md).
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

const transportModules = ['express', 'ws', 'pino', 'pino-pretty', 'yaml', 'commander'];
const nodeIo = [
  'node:fs',
  'node:fs/promises',
  'node:net',
  'node:http',
  'node:https',
  'node:child_process',
  'fs',
  'net',
  'http',
];

export default tseslint.config(
  { ignores: ['dist/', 'node_modules/', 'coverage/', 'bench/results/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
    },
  },
  {
    files: ['src/core/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: [...transportModules, ...nodeIo].map((name) => ({
            name,
            message: 'core/ is pure: pass data in through the facade.',
          })),
          patterns: [
            {
              group: [
                '../http/*',
                '../ws/*',
                '../admin/*',
                '../runtime/*',
                '../cli/*',
                '../config/*',
                '../scenario/*',
              ],
              message: 'core/ imports only core/ and big.js.',
            },
          ],
        },
      ],
      'no-restricted-properties': [
        'error',
        { object: 'Date', property: 'now', message: 'Use the Clock passed in.' },
        { object: 'Math', property: 'random', message: 'Use the seeded Random passed in.' },
      ],
      'no-restricted-globals': [
        'error',
        { name: 'setTimeout', message: 'Schedule through the Clock.' },
        { name: 'setInterval', message: 'Schedule through the Clock.' },
        { name: 'process', message: 'core/ never reads the process.' },
      ],
    },
  },
  {
    files: ['bin/**/*.js', 'eslint.config.js'],
    languageOptions: { globals: { process: 'readonly', console: 'readonly', URL: 'readonly' } },
  },
  {
    // Benchmarks: plain Node.js scripts (npm run bench), not part of the build.
    files: ['bench/**/*.mjs'],
    languageOptions: {
      globals: Object.fromEntries(
        [
          'process',
          'console',
          'URL',
          'Buffer',
          'performance',
          'setTimeout',
          'clearTimeout',
          'setInterval',
          'clearInterval',
          'setImmediate',
          'globalThis',
        ].map((name) => [name, 'readonly']),
      ),
    },
  },
  {
    // The examples are plain Node scripts.
    files: ['examples/**/*.{js,mjs}'],
    languageOptions: {
      globals: {
        process: 'readonly',
        console: 'readonly',
        fetch: 'readonly',
        setTimeout: 'readonly',
        URL: 'readonly',
      },
    },
  },
);
