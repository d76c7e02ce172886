import { envDuration, envList, envPort, parseEnv, serviceEnv } from '@conduit/config';
import { z } from 'zod';

const schema = serviceEnv.extend({
  GATEWAY_PORT: envPort(8080),
  GATEWAY_HOST: z.string().default('0.0.0.0'),
  KNOWLEDGE_BASE_URL: z.url().default('http://127.0.0.1:4003'),
  CONVERSATION_URL: z.url().default('http://127.0.0.1:4002'),
  WORKFLOW_ENGINE_URL: z.url().default('http://127.0.0.1:4004'),
  EMAIL_SYNC_URL: z.url().default('http://127.0.0.1:4005'),
  ANALYTICS_URL: z.url().default('http://127.0.0.1:4006'),
  WORKSPACE_URL: z.url().default('http://127.0.0.1:4007'),
  /** How long a service may take to start answering; a slower one gets a 504. */
  UPSTREAM_TIMEOUT: envDuration('30s'),
  /** How long a streaming answer may stay silent before it is cut (SSE keeps it alive). */
  UPSTREAM_IDLE_TIMEOUT: envDuration('5m'),
  BODY_LIMIT: z.coerce
    .number()
    .int()
    .min(1024)
    .default(1024 * 1024),
  /**
   * Browser origins allowed by CORS, by name (they may send credentials); `*` allows any, without
   * credentials. None by default: development origins are set in .env (see .env.example).
   */
  CORS_ORIGINS: envList(''),
  /** Strict-Transport-Security max-age when clients reach the gateway over HTTPS; 0: not sent. */
  HSTS_MAX_AGE: envDuration('0s'),
  RATE_LIMIT_MAX: z.coerce.number().int().min(1).default(600),
  RATE_LIMIT_WINDOW: envDuration('1m'),
  /** Sign-in routes are a target for guessing: a much smaller budget per client address. */
  AUTH_RATE_LIMIT_MAX: z.coerce.number().int().min(1).default(30),
  /** How long a platform admin's queue dashboard session lasts after its link is opened. */
  QUEUE_DASHBOARD_SESSION: envDuration('1h'),
  /** Addresses whose X-Forwarded-For is believed (a load balancer in front of the gateway). */
  TRUST_PROXY: envList(''),
});

export type GatewayEnv = z.output<typeof schema>;

export const loadEnv = (env: NodeJS.ProcessEnv = process.env): GatewayEnv => parseEnv(schema, env);
