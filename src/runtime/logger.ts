/**
 * pino, readable on a terminal and JSON otherwise. Keys and signatures are redacted wherever they
 * could appear in a logged object.
 */
import { pino, type Logger } from 'pino';
import type { LogFormat, LogLevel } from '../config/daemon-config.js';

export const REDACT_PATHS = [
  'apiSecret',
  '*.apiSecret',
  'secret',
  'headers["x-bapi-sign"]',
  'headers["x-bapi-api-key"]',
  'req.headers["x-bapi-sign"]',
  'req.headers["x-bapi-api-key"]',
  'signature',
  'authorization',
];

export function createLogger(level: LogLevel, format: LogFormat, stream?: NodeJS.WritableStream): Logger {
  const pretty = format === 'pretty' || (format === 'auto' && !stream && process.stdout.isTTY === true);
  const options = { level, redact: { paths: REDACT_PATHS, censor: '[redacted]' }, base: undefined };
  if (pretty) {
    return pino({
      ...options,
      transport: {
        target: 'pino-pretty',
        options: { translateTime: 'SYS:HH:MM:ss.l', ignore: 'pid,hostname' },
      },
    });
  }
  return stream ? pino(options, stream) : pino(options);
}
