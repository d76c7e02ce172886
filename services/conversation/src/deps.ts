import type { TokenVerifier } from '@conduit/auth';
import type { Bus } from '@conduit/bus';
import type { Database } from '@conduit/db';
import type { SecretBox } from '@conduit/secrets';
import type { Logger } from '@conduit/service-kit';
import type { Redis } from 'ioredis';
import type { PlatformDefaultModel } from './domain/llm/platform-default-model.js';
import type { InFlight } from './domain/messages/in-flight.js';
import type { ConversationEnv } from './env.js';

/** What conversation's verbs need; built once in runtime.ts (or by a test) and passed down. */
export interface ConversationDeps {
  env: ConversationEnv;
  db: Database;
  redis: Redis;
  bus: Bus;
  /** Seals provider API keys at rest. */
  box: SecretBox;
  log: Logger;
  /** Replies still being generated (a client that went away does not stop them); awaited on close. */
  inFlight: InFlight;
  /** The platform's default chat model (identity's global settings), for bots that name none. */
  defaultModel: PlatformDefaultModel;
  /** Tests pass a local key set; otherwise identity's JWKS. */
  verifier?: TokenVerifier;
}
