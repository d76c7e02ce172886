import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  chain,
  createWorkflow,
  startWorkflowHarness,
  type WorkflowHarness,
} from '../fixtures/workflow-harness.js';

// Row-level security checks a row through its key (0024): what a statement on one execution
// costs must not grow with the number of executions the actor may reach, as it did when each
// insert of node runs built the set of every one of them first.

let h: WorkflowHarness;
let app: postgres.Sql;
let owner: { token: string; userId: string };
let workflowId: string;

beforeAll(async () => {
  h = await startWorkflowHarness({ worker: false });
  app = postgres(h.database.appUrl, { max: 1, onnotice: () => {} });
  owner = await h.tokens.mint();
  workflowId = (await createWorkflow(h, owner.token, chain('many runs', [{ name: 'Note', type: 'no-op' }])))
    .id;
}, 60_000);
afterAll(async () => {
  await app?.end({ timeout: 5 });
  await h?.close();
}, 30_000);

const addExecutions = (count: number) =>
  h.admin`insert into workflow.workflow_executions (id, workflow_id, workflow_version, status, trigger_type, trigger_node_id)
    select gen_random_uuid(), ${workflowId}, 1, 'success', 'manual', gen_random_uuid() from generate_series(1, ${count})`;

/** Blocks of shared buffers each statement on one running execution touches, as the owner (rolled back). */
async function blocksTouched(): Promise<Record<string, number>> {
  const [execution] = await h.admin<{ id: string }[]>`
    insert into workflow.workflow_executions (id, workflow_id, workflow_version, status, trigger_type, trigger_node_id)
    values (gen_random_uuid(), ${workflowId}, 1, 'running', 'manual', gen_random_uuid()) returning id`;
  const id = execution!.id;
  await h.admin`analyze workflow.workflow_executions`;
  const blocks = (plan: { Plan: { 'Shared Hit Blocks': number; 'Shared Read Blocks': number } }) =>
    plan.Plan['Shared Hit Blocks'] + plan.Plan['Shared Read Blocks'];
  const statements = {
    'insert node run': `insert into workflow.node_executions (id, execution_id, node_id, node_name, node_type, sequence, status)
      values (gen_random_uuid(), '${id}', gen_random_uuid(), 'Note', 'no-op', 1, 'success')`,
    'read node runs': `select * from workflow.node_executions where execution_id = '${id}'`,
    'finish execution': `update workflow.workflow_executions set status = 'success' where id = '${id}'`,
    'read execution': `select * from workflow.workflow_executions where id = '${id}'`,
  };
  const touched: Record<string, number> = {};
  // The least of three tries: a first visit may also set the new rows' hint bits, or meet
  // autovacuum at work on the table just filled.
  for (let attempt = 0; attempt < 3; attempt++)
    await app
      .begin(async (tx) => {
        await tx`select set_config('app.user_id', ${owner.userId}, true)`;
        for (const [name, statement] of Object.entries(statements)) {
          const [row] = await tx.unsafe(`explain (analyze, buffers, format json) ${statement}`);
          touched[name] = Math.min(touched[name] ?? Infinity, blocks((row!['QUERY PLAN'] as [never])[0]));
        }
        throw new RolledBack();
      })
      .catch((error: unknown) => {
        if (!(error instanceof RolledBack)) throw error;
      });
  return touched;
}

class RolledBack extends Error {}

describe('row-level security of executions', () => {
  it('checks a statement on one execution by its key, whatever the number of executions', async () => {
    await addExecutions(10);
    const few = await blocksTouched();
    await addExecutions(5000);
    const many = await blocksTouched();
    for (const name of Object.keys(few)) {
      expect(few[name], name).toBeGreaterThan(0);
      // A few more index levels or a page split at most; a scan of 5,000 executions is over 100.
      expect(many[name]! - few[name]!, name).toBeLessThan(15);
    }
  });
});
