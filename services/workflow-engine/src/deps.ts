import type { TokenVerifier } from '@conduit/auth';
import type { Bus } from '@conduit/bus';
import type { Database } from '@conduit/db';
import type { Producer } from '@conduit/jobs';
import type { OutboundHttp } from '@conduit/outbound-http';
import type { SecretBox } from '@conduit/secrets';
import type { Logger } from '@conduit/service-kit';
import type { WorkflowEnv } from './env.js';
import type { WorkflowJobs } from './jobs/catalog.js';

/** What workflow-engine's verbs need; built once in service.ts (or by a test) and passed down. */
export interface WorkflowDeps {
  env: WorkflowEnv;
  db: Database;
  log: Logger;
  bus: Bus;
  jobs: Producer<WorkflowJobs>;
  /** Seals and opens workflow credentials. */
  box: SecretBox;
  /** HTTP to addresses workflows chose (the http-request node). */
  http: OutboundHttp;
  /** Defaults to identity's JWKS; tests may pass their own. */
  verifier?: TokenVerifier;
}
