/**
 * The command-line program. Commands parse flags and call the runtime; no logic lives here.
 * User mistakes print a message and exit 1, never a stack trace.
 */
import { addAdminCommands } from './commands/admin.js';
import { Command, InvalidArgumentError } from 'commander';
import {
  ConfigError,
  envInput,
  LOG_FORMATS,
  LOG_LEVELS,
  type DaemonConfig,
} from '../config/daemon-config.js';
import { formatProblems } from '../config/scenario/load.js';
import {
  readPackageVersion,
  ScenarioLoadError,
  startExchange,
  type RunningExchange,
} from '../runtime/start-exchange.js';
import { runInit } from './commands/init.js';
import { runValidate, type CliIo } from './commands/validate.js';

const stdio: CliIo = {
  out: (line) => process.stdout.write(`${line}\n`),
  err: (line) => process.stderr.write(`${line}\n`),
};

function intArg(name: string, min: number, max: number) {
  return (value: string): number => {
    if (!/^\d+$/.test(value) || Number.parseInt(value, 10) < min || Number.parseInt(value, 10) > max) {
      throw new InvalidArgumentError(`${name} must be an integer from ${min} to ${max}.`);
    }
    return Number.parseInt(value, 10);
  };
}

function choiceArg<T extends string>(name: string, allowed: readonly T[]) {
  return (value: string): T => {
    if (!(allowed as readonly string[]).includes(value))
      throw new InvalidArgumentError(`${name} must be one of ${allowed.join(', ')}.`);
    return value as T;
  };
}

interface ServeFlags {
  scenario?: string;
  port?: number;
  host?: string;
  seed?: number;
  logLevel?: DaemonConfig['logLevel'];
  logFormat?: DaemonConfig['logFormat'];
  config?: string;
  adminToken?: string;
}

export function listeningLine(ex: RunningExchange): string {
  return `bybit-mock listening: REST ${ex.restUrl}  WS ${ex.wsUrl}/v5/public/{spot,linear}, ${ex.wsUrl}/v5/private, ${ex.wsUrl}/v5/trade  admin ${ex.adminUrl}`;
}

async function serve(flags: ServeFlags): Promise<void> {
  let running: RunningExchange;
  try {
    running = await startExchange({
      env: envInput(),
      configFile: flags.config ?? process.env.BYBIT_MOCK_CONFIG,
      port: flags.port,
      host: flags.host,
      seed: flags.seed,
      logLevel: flags.logLevel,
      logFormat: flags.logFormat,
      scenario: flags.scenario,
      adminToken: flags.adminToken,
    });
  } catch (err) {
    if (err instanceof ScenarioLoadError) {
      stdio.err(formatProblems(err.problems));
      stdio.err(
        `serve: the scenario has ${err.problems.length} problem(s); fix them (bybit-mock validate FILE) and start again.`,
      );
    } else if (err instanceof ConfigError) {
      stdio.err(`serve: ${err.message}`);
    } else if ((err as NodeJS.ErrnoException).code === 'EADDRINUSE') {
      stdio.err(
        `serve: the port is already in use; pick another with --port N (or --port 0 for any free port).`,
      );
    } else if (
      (err as NodeJS.ErrnoException).code === 'EADDRNOTAVAIL' ||
      (err as NodeJS.ErrnoException).code === 'ENOTFOUND'
    ) {
      stdio.err(
        `serve: cannot listen on that host; use an address of this machine such as 127.0.0.1 or 0.0.0.0.`,
      );
    } else {
      throw err;
    }
    process.exitCode = 1;
    return;
  }
  // With JSON logs (containers) every line on stdout is JSON, the listening line included.
  const json = running.config.logFormat === 'json';
  stdio.out(
    json
      ? JSON.stringify({
          level: 30,
          time: Date.now(),
          msg: 'bybit-mock listening',
          restUrl: running.restUrl,
          wsUrl: running.wsUrl,
          adminUrl: running.adminUrl,
        })
      : listeningLine(running),
  );

  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    // Exit 0 within a second whatever the sockets do.
    setTimeout(() => process.exit(0), 900).unref();
    running.close().then(
      () => process.exit(0),
      () => process.exit(0),
    );
    stdio.err(
      json
        ? JSON.stringify({ level: 30, time: Date.now(), msg: `${signal} received, shutting down` })
        : `bybit-mock: ${signal} received, shutting down`,
    );
  };
  process.once('SIGINT', () => stop('SIGINT'));
  process.once('SIGTERM', () => stop('SIGTERM'));
}

export function buildProgram(): Command {
  const program = new Command();
  program
    .name('bybit-mock')
    .description('A deterministic, scriptable mock of the Bybit v5 exchange for testing trading bots.')
    .version(readPackageVersion(), '-v, --version')
    .showHelpAfterError('(run bybit-mock --help for usage)');

  program
    .command('serve')
    .description('run the mock exchange (REST, WebSocket and admin API on one port)')
    .option('-s, --scenario <file>', 'scenario YAML file (default: the built-in scenarios/default.yaml)')
    .option(
      '-p, --port <n>',
      'port to listen on, 0 for any free port (default 8080)',
      intArg('--port', 0, 65535),
    )
    .option('-H, --host <host>', 'interface to listen on (default 127.0.0.1)')
    .option('--seed <n>', "override the scenario's random seed", intArg('--seed', 0, 2 ** 32 - 1))
    .option(
      '--log-level <level>',
      `log level: ${LOG_LEVELS.join(', ')}`,
      choiceArg('--log-level', LOG_LEVELS),
    )
    .option(
      '--log-format <format>',
      `log format: ${LOG_FORMATS.join(', ')}`,
      choiceArg('--log-format', LOG_FORMATS),
    )
    .option('-c, --config <file>', 'daemon config file (YAML; same keys as config/defaults.yaml)')
    .option('--admin-token <token>', 'require Authorization: Bearer <token> on /__admin (health stays open)')
    .action(serve);

  program
    .command('validate')
    .description('check scenario files and report every problem with file, line and column')
    .argument('<files...>', 'scenario files')
    .action((files: string[]) => {
      process.exitCode = runValidate(files, stdio);
    });

  program
    .command('init')
    .description('write a commented example scenario to start from')
    .argument('[file]', 'where to write it', './bybit-mock.yaml')
    .option('-f, --force', 'overwrite an existing file')
    .action((file: string, opts: { force?: boolean }) => {
      process.exitCode = runInit(file, stdio, { force: opts.force });
    });

  program
    .command('schema')
    .description('print the JSON Schema of scenario files (for editors; also in schema/scenario.schema.json)')
    .option('-o, --output <file>', 'write it to a file instead of stdout')
    .action(async (opts: { output?: string }) => {
      // Loaded on demand: the schema is built with TypeBox, which `serve` does not need.
      const { runSchema } = await import('./commands/schema.js');
      process.exitCode = runSchema(stdio, opts);
    });

  addAdminCommands(program, stdio);

  return program;
}

export async function main(argv: string[]): Promise<void> {
  await buildProgram().parseAsync(argv);
}
