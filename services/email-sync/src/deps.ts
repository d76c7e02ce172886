import type { TokenVerifier } from '@conduit/auth';
import type { Bus } from '@conduit/bus';
import type { Database } from '@conduit/db';
import type { Producer } from '@conduit/jobs';
import type { AddressCheck } from '@conduit/outbound-http';
import type { SecretBox } from '@conduit/secrets';
import type { Logger } from '@conduit/service-kit';
import type { Redis } from 'ioredis';
import type { MailEnv } from './env.js';
import type { MailJobs } from './jobs/catalog.js';

/** What email-sync's verbs need; built once in service.ts (or by a test) and passed down. */
export interface MailDeps {
  env: MailEnv;
  db: Database;
  log: Logger;
  bus: Bus;
  /** The service's own Redis keys (sync locks). */
  redis: Redis;
  jobs: Producer<MailJobs>;
  /** Seals and opens account passwords. */
  box: SecretBox;
  /** Resolves and checks mail hosts (MAIL_ALLOWED_HOSTS lets private ones through). */
  mailHosts: AddressCheck;
  /** Defaults to identity's JWKS; tests may pass their own. */
  verifier?: TokenVerifier;
}
