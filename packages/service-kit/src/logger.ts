import { type DestinationStream, type Logger as PinoLogger, pino } from 'pino';

export type Logger = PinoLogger;

/**
 * Secrets never reach the logs: credentials in headers and any field that is, or may hold, a
 * password or token are censored wherever they appear in a logged object.
 */
const redact = [
  'req.headers.authorization',
  'req.headers.cookie',
  'res.headers["set-cookie"]',
  '*.password',
  '*.newPassword',
  '*.token',
  '*.refreshToken',
  '*.accessToken',
  '*.apiKey',
  '*.secret',
];

/** `destination` replaces stdout (tests read the output there); it takes precedence over `pretty`. */
export function createLogger(
  options: { service: string; level?: string; pretty?: boolean },
  destination?: DestinationStream,
): Logger {
  const settings = {
    name: options.service,
    level: options.level ?? 'info',
    redact: { paths: redact, censor: '[redacted]' },
  };
  if (destination) return pino(settings, destination);
  // Pretty lines cost a worker thread and a formatting pass per line: only for a person watching.
  const pretty = options.pretty ?? process.stdout.isTTY === true;
  return pino({
    ...settings,
    ...(pretty
      ? {
          transport: {
            target: 'pino-pretty',
            options: { singleLine: true, ignore: 'pid,hostname', translateTime: 'HH:MM:ss.l' },
          },
        }
      : {}),
  });
}
