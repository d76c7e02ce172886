import { baseEnv, databaseUrlFor, envDuration, envList, envPort, parseEnv } from '@conduit/config';
import { z } from 'zod';

/** A keyring usable on a developer machine only; production refuses to start without its own. */
const DEV_ENCRYPTION_KEYS = '1:ZGV2LW9ubHkta2V5LWRvLW5vdC11c2UtaW4tcHJvZCE=';

const schema = baseEnv.extend({
  CONVERSATION_PORT: envPort(4002),
  CONVERSATION_HOST: z.string().default('0.0.0.0'),
  /** Where identity serves its JWKS (access tokens are verified against it). */
  IDENTITY_URL: z.url().default('http://127.0.0.1:4001'),
  /** `<version>:<base64 32 bytes>,...`; the highest version encrypts provider API keys. */
  ENCRYPTION_KEYS: z.string().default(DEV_ENCRYPTION_KEYS),
  REDIS_KEY_PREFIX: z.string().default('conduit:'),
  TRUST_PROXY: envList('loopback,uniquelocal'),

  /** How long a chat session lives without activity before it expires. */
  SESSION_TTL: envDuration('7d'),
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
  SCRIPT_HTTP_MAX_BYTES: z.coerce
    .number()
    .int()
    .min(1024)
    .default(1024 * 1024),
  /** A WAIT this short is slept in the request; a longer one resumes on the next message after it. */
  SCRIPT_INLINE_WAIT: envDuration('5s'),
});

export type ConversationEnv = z.output<typeof schema> & { CONVERSATION_DATABASE_URL: string };

export function loadEnv(env: NodeJS.ProcessEnv = process.env): ConversationEnv {
  const parsed = parseEnv(schema, env);
  if (parsed.NODE_ENV === 'production' && parsed.ENCRYPTION_KEYS === DEV_ENCRYPTION_KEYS) {
    throw new Error('ENCRYPTION_KEYS must be set in production (the built-in key is for development only)');
  }
  return {
    ...parsed,
    CONVERSATION_DATABASE_URL: databaseUrlFor('conversation', env, parsed.DATABASE_URL),
  };
}
