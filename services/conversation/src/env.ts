import {
  encryptionKeysEnv,
  envDuration,
  envList,
  envPort,
  loadServiceEnv,
  serviceEnv,
} from '@conduit/config';
import { sandboxSettingsSchema } from '@conduit/sandbox';
import { z } from 'zod';

const DEV_VISITOR_TOKEN_SECRET = 'development-only-visitor-token-secret-0000';

const schema = serviceEnv.extend({
  ...encryptionKeysEnv,
  CONVERSATION_PORT: envPort(4002),
  CONVERSATION_HOST: z.string().default('0.0.0.0'),

  /** How long a chat session lives without activity before it expires. */
  SESSION_TTL: envDuration('7d'),
  /** How often the worker drops the SET HEADER headers and dialog state of sessions that expired. */
  SESSION_SECRETS_UPKEEP_EVERY: envDuration('1h'),
  /** An LLM provider that has not answered (or gone silent mid-stream) for this long is cut off. */
  LLM_TIMEOUT: envDuration('60s'),
  /** Most tokens a reply may use; also what is reserved as AI credits before generating. */
  LLM_MAX_TOKENS: z.coerce.number().int().min(16).max(32_000).default(1024),
  /** Tokens one AI credit of identity's plans pays for; replies reserve credits by this rate. */
  AI_CREDIT_TOKENS: z.coerce.number().int().min(1).default(1000),
  /** Rounds of tool calls the LLM may make for one reply. */
  LLM_MAX_TOOL_ROUNDS: z.coerce.number().int().min(0).max(10).default(3),
  /** Knowledge-base passages the LLM (and the offline provider) is grounded in. */
  KB_TOP_K: z.coerce.number().int().min(1).max(20).default(4),
  RPC_TIMEOUT: envDuration('5s'),

  /**
   * Hosts or CIDR ranges a script's GET / POST may reach even though they are private, loopback
   * or link-local (e.g. `127.0.0.1,10.0.0.0/8,intranet.local`). Empty: only public addresses.
   */
  SCRIPT_HTTP_ALLOW: envList(''),
  SCRIPT_HTTP_TIMEOUT: envDuration('10s'),
  /**
   * An ON or WEBHOOK script runs at most twice SCRIPT_HTTP_TIMEOUT; its run still unfinished this
   * long after that is read as interrupted (its process was killed or crashed).
   */
  HANDLER_RUN_MARGIN: envDuration('30s'),
  SCRIPT_HTTP_MAX_BYTES: z.coerce
    .number()
    .int()
    .min(1024)
    .default(1024 * 1024),
  /** RUN JAVASCRIPT / PYTHON / BASH: the sandbox's limits, and its runner (off unless enabled). */
  ...sandboxSettingsSchema.shape,
  /** A WAIT this short is slept in the request; a longer one resumes on the next message after it. */
  SCRIPT_INLINE_WAIT: envDuration('5s'),

  /**
   * Signs the widget's visitor tokens (HS256, at least 32 characters). The development default is
   * refused in production.
   */
  APP_VISITOR_TOKEN_SECRET: z.string().min(32).default(DEV_VISITOR_TOKEN_SECRET),
  /** How long a visitor token lives; the widget asks for a new one when it has expired. */
  APP_VISITOR_TOKEN_TTL: envDuration('1h'),
  /** Public widget requests per visitor, and per app over all its visitors, in each window. */
  APP_VISITOR_RATE_LIMIT: z.coerce.number().int().min(1).default(30),
  APP_RATE_LIMIT: z.coerce.number().int().min(1).default(600),
  APP_RATE_LIMIT_WINDOW: envDuration('1m'),
  /**
   * How long a widget visitor (and their sessions, messages and memories) is kept after they were
   * admitted and last active; a visitor cannot come back once their token lapses.
   */
  APP_VISITOR_RETENTION: envDuration('30d'),
  /** How often the worker removes visitors past APP_VISITOR_RETENTION. */
  APP_VISITOR_PRUNE_EVERY: envDuration('1h'),
  /** Hosts or CIDR ranges a custom domain's verification may reach although private (tests). */
  DOMAIN_VERIFY_ALLOW: envList(''),
  DOMAIN_VERIFY_TIMEOUT: envDuration('10s'),
});

export type ConversationEnv = ReturnType<typeof loadEnv>;

export const loadEnv = (source: NodeJS.ProcessEnv = process.env) => {
  const env = loadServiceEnv(schema, 'conversation', source);
  if (env.NODE_ENV === 'production' && env.APP_VISITOR_TOKEN_SECRET === DEV_VISITOR_TOKEN_SECRET)
    throw new Error('APP_VISITOR_TOKEN_SECRET must be set in production (the development secret is public)');
  if (env.APP_VISITOR_RETENTION <= env.APP_VISITOR_TOKEN_TTL)
    throw new Error(
      'APP_VISITOR_RETENTION must be longer than APP_VISITOR_TOKEN_TTL (a visitor would go while still able to chat)',
    );
  return env;
};
