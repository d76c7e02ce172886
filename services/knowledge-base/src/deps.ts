import type { TokenVerifier } from '@conduit/auth';
import type { Bus } from '@conduit/bus';
import type { Database } from '@conduit/db';
import type { Producer } from '@conduit/jobs';
import type { SecretBox } from '@conduit/secrets';
import type { Logger } from '@conduit/service-kit';
import type { Pgvector } from './domain/search/vector-leg.js';
import type { KnowledgeEnv } from './env.js';
import type { KnowledgeJobs } from './jobs/catalog.js';

/** What knowledge-base's verbs need; built once in runtime.ts (or by a test) and passed down. */
export interface KnowledgeDeps {
  env: KnowledgeEnv;
  db: Database;
  log: Logger;
  /** Asks conversation who owns a chat session (rpc.conversation.sessions.owner). */
  bus: Bus;
  /** Seals and unseals embedding API keys. */
  box: SecretBox;
  jobs: Producer<KnowledgeJobs>;
  /** Where pgvector is, when chunks carry its column with an HNSW index (see vector-leg.ts). */
  pgvector: Pgvector | undefined;
  /** Defaults to identity's JWKS; tests may pass their own. */
  verifier?: TokenVerifier;
}
