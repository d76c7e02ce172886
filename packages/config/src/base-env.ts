import { z } from 'zod';
import { envOptionalBoolean } from './env-types.js';

/** What every service reads: where Postgres, Redis and NATS are, and how to log and trace. */
export const baseEnv = z.object({
  NODE_ENV: z.enum(['development', 'test', 'production']).default('development'),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  /** Human-readable log lines; unset: only when the output is a terminal (JSON lines otherwise). */
  LOG_PRETTY: envOptionalBoolean(),
  DATABASE_URL: z.url().default('postgres://postgres@localhost:5432/conduit'),
  /** Password of the per-service runtime roles (`<schema>_app`); empty with trust auth. */
  DATABASE_APP_PASSWORD: z.string().optional(),
  REDIS_URL: z.url().default('redis://localhost:6379'),
  NATS_URL: z.string().default('nats://localhost:4222'),
  /** Prefix of every subject and stream; lets several clusters (or test files) share one NATS. */
  BUS_NAMESPACE: z
    .string()
    .regex(/^[a-z0-9_]*$/, 'lower-case letters, digits and _ only')
    .default(''),
  OTEL_EXPORTER_OTLP_ENDPOINT: z.url().optional(),
});
export type BaseEnv = z.output<typeof baseEnv>;

/** A service's own database URL (`IDENTITY_DATABASE_URL`), falling back to `DATABASE_URL`. */
export function databaseUrlFor(service: string, env: NodeJS.ProcessEnv, fallback: string): string {
  const own = env[`${service.toUpperCase().replace(/-/g, '_')}_DATABASE_URL`];
  return own && own !== '' ? own : fallback;
}
