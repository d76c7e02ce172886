import { parseCubeFile } from './cube-schema.js';

/**
 * The schema every team's built-in source ships with: Conduit's own metrics over the team's
 * events and counters, through the views of drizzle/0006 (which show only the exploration's
 * team, and of it only what the caller may see). A team's admins may save newer versions.
 */
export const CONDUIT_SCHEMA_NAME = 'Conduit metrics';

export const CONDUIT_SCHEMA_CODE = `# Conduit's own metrics for this team (events and exact counters).
cubes:
  - name: events
    title: Events
    sql_table: analytics.metrics_team_events
    measures:
      count:
        type: count
      users:
        type: count_distinct
        sql: "{CUBE}.user_id"
      sessions:
        type: count_distinct
        sql: "{CUBE}.session_id"
      messages:
        type: sum
        sql: "coalesce(({CUBE}.metrics ->> 'messages')::bigint, 0)"
      tokens:
        type: sum
        sql: "coalesce(({CUBE}.metrics ->> 'tokens_in')::bigint, 0) + coalesce(({CUBE}.metrics ->> 'tokens_out')::bigint, 0)"
      failedWorkflowRuns:
        type: count
        filters:
          - sql: "{CUBE}.event_type = 'workflow.execution.failed'"
    dimensions:
      id:
        type: string
        sql: "{CUBE}.id::text"
        primary_key: true
      type:
        type: string
        sql: "{CUBE}.event_type"
      source:
        type: string
        sql: "{CUBE}.source"
      occurredAt:
        type: time
        sql: "{CUBE}.occurred_at"
      userId:
        type: string
        sql: "{CUBE}.user_id::text"
      botId:
        type: string
        sql: "{CUBE}.bot_id::text"
      workflowId:
        type: string
        sql: "{CUBE}.workflow_id::text"
      clockSkewed:
        type: boolean
        sql: "{CUBE}.clock_skewed"
    segments:
      fromClients:
        sql: "{CUBE}.source = 'client'"
  - name: counters
    title: Counters
    sql_table: analytics.metrics_team_counters
    measures:
      total:
        type: sum
        sql: "{CUBE}.value"
    dimensions:
      metric:
        type: string
        sql: "{CUBE}.metric"
      bucket:
        type: time
        sql: "{CUBE}.bucket"
      by:
        type: string
        sql: "{CUBE}.dimension"
      subjectId:
        type: string
        sql: "{CUBE}.dimension_id::text"
    segments:
      totals:
        sql: "{CUBE}.dimension = ''"
`;

/** Parsed once at start: a shipped schema that did not validate is a bug, found by the tests. */
export const conduitCubes = parseCubeFile(CONDUIT_SCHEMA_CODE, 'yaml');
