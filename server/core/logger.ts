import { pino, type Logger, type DestinationStream } from 'pino';

export type { Logger };

/** Paths pino blanks in every log line: nothing secret leaves the process through logs. */
const REDACT = [
  'password',
  '*.password',
  'req.headers.cookie',
  'req.headers.authorization',
  'req.headers["proxy-authorization"]',
  'res.headers["set-cookie"]',
  'headers.cookie',
  'headers.authorization',
  'cookie',
  'token',
  '*.token',
  'secret',
  '*.secret',
];

export function createLogger(options: { level: string; destination?: DestinationStream }): Logger {
  return pino(
    {
      level: options.level,
      base: { service: 'gatehouse' },
      redact: { paths: REDACT, censor: '[redacted]' },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
    },
    options.destination,
  );
}

/** A logger that drops everything, for unit tests. */
export function createSilentLogger(): Logger {
  return pino({ level: 'silent' });
}
