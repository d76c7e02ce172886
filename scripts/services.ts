/**
 * The processes of a Conduit cluster, in start order. `pnpm start` runs them, the compose file
 * must contain them (deploy/test checks), and each one's port variable lets them share a host.
 */
export interface ClusterProcess {
  name: string;
  /** Entrypoint, relative to the repository root. */
  entry: string;
  portVariable?: string;
  defaultPort?: number;
}

export const clusterProcesses: ClusterProcess[] = [
  {
    name: 'identity',
    entry: 'services/identity/src/server.ts',
    portVariable: 'IDENTITY_PORT',
    defaultPort: 4001,
  },
  // Identity's job worker (the usage period roll); no port. It starts after identity is ready,
  // so identity has applied the migrations by then.
  { name: 'identity-worker', entry: 'services/identity/src/worker.ts' },
  {
    name: 'knowledge-base',
    entry: 'services/knowledge-base/src/server.ts',
    portVariable: 'KNOWLEDGE_BASE_PORT',
    defaultPort: 4003,
  },
  // Knowledge-base's indexing worker; no port. Started once knowledge-base is ready (migrated).
  { name: 'knowledge-base-worker', entry: 'services/knowledge-base/src/worker.ts' },
  {
    name: 'conversation',
    entry: 'services/conversation/src/server.ts',
    portVariable: 'CONVERSATION_PORT',
    defaultPort: 4002,
  },
  // Conversation's worker: removes widget visitors past their retention; no port. Started once
  // conversation is ready (migrated).
  { name: 'conversation-worker', entry: 'services/conversation/src/worker.ts' },
  {
    name: 'workflow-engine',
    entry: 'services/workflow-engine/src/server.ts',
    portVariable: 'WORKFLOW_ENGINE_PORT',
    defaultPort: 4004,
  },
  // Workflow-engine's execution worker; no port. Started once workflow-engine is ready (migrated).
  { name: 'workflow-engine-worker', entry: 'services/workflow-engine/src/worker.ts' },
  {
    name: 'email-sync',
    entry: 'services/email-sync/src/server.ts',
    portVariable: 'MAIL_PORT',
    defaultPort: 4005,
  },
  // Email-sync's worker: account syncs, IDLE on each active Inbox, sending; no port. Started once
  // email-sync is ready (migrated).
  { name: 'email-sync-worker', entry: 'services/email-sync/src/worker.ts' },
  {
    name: 'analytics',
    entry: 'services/analytics/src/server.ts',
    portVariable: 'ANALYTICS_PORT',
    defaultPort: 4006,
  },
  // Analytics' worker: the stream consumers that record every event, and the event table's upkeep.
  { name: 'analytics-worker', entry: 'services/analytics/src/worker.ts' },
  {
    name: 'workspace',
    entry: 'services/workspace/src/server.ts',
    portVariable: 'WORKSPACE_PORT',
    defaultPort: 4007,
  },
  // Workspace's worker: removes stored objects a file's deletion left behind; no port.
  { name: 'workspace-worker', entry: 'services/workspace/src/worker.ts' },
  {
    name: 'gateway',
    entry: 'services/gateway/src/server.ts',
    portVariable: 'GATEWAY_PORT',
    defaultPort: 8080,
  },
];
