import type { TokenVerifier } from '@conduit/auth';
import type { Bus } from '@conduit/bus';
import type { Database } from '@conduit/db';
import type { Producer } from '@conduit/jobs';
import type { Logger } from '@conduit/service-kit';
import type { ObjectStore } from '@conduit/storage';
import type { WorkspaceEnv } from './env.js';
import type { WorkspaceJobs } from './jobs/catalog.js';

/** What the workspace's verbs need; built once in service.ts (or by a test) and passed down. */
export interface WorkspaceDeps {
  env: WorkspaceEnv;
  db: Database;
  log: Logger;
  /** Identity's usage RPCs (storage_mb) and conversation's session owners. */
  bus: Bus;
  /** Where file contents live (the local disk or an S3-compatible bucket, by configuration). */
  store: ObjectStore;
  jobs: Producer<WorkspaceJobs>;
  /** Defaults to identity's JWKS; tests may pass their own. */
  verifier?: TokenVerifier;
}
