import { readWithActor, withActor } from '@conduit/db';
import { DomainError } from '@conduit/errors';
import { eq } from 'drizzle-orm';
import { workflowExecutions } from '../../db/schema.js';
import type { WorkflowDeps } from '../../deps.js';
import type { Item, WebhookResponse } from '../../nodes/node-type.js';
import { type ProgressWatch, watchProgress } from '../executions/execution-progress.js';
import { unspill } from '../executions/large-data.js';
import { cachedOwnerContext, type ownerContext } from '../executions/owner-context.js';
import { reserveExecution } from '../executions/reserve-execution.js';
import { createExecution, enqueueExecution } from '../executions/start-execution.js';
import { keptVersion, versionDocument } from '../executions/version-documents.js';
import type { WorkflowRow } from '../workflows/workflow-access.js';
import type { WorkflowDocument } from '../workflows/workflow-document.js';
import { runInRequest, runsInRequest } from './run-in-request.js';
import { verifyWebhookAuth, type WebhookAuth } from './webhook-auth.js';

export interface WebhookCall {
  workflowId: string;
  path: string;
  method: string;
  body: unknown;
  query: Record<string, unknown>;
  headers: Record<string, unknown>;
  /** The body as sent, for an HMAC signature. */
  rawBody?: Buffer | undefined;
}

export type WebhookAnswer =
  | { kind: 'accepted'; executionId: string }
  | { kind: 'responded'; executionId: string; response: WebhookResponse };

/** What a webhook call reads of its workflow's row. */
type HookWorkflow = Pick<WorkflowRow, 'id' | 'userId' | 'teamId' | 'status' | 'version'>;

/** Headers a workflow never sees: the caller's credentials. */
const PRIVATE_HEADERS = new Set(['authorization', 'cookie', 'proxy-authorization']);

const noHook = () => new DomainError('not_found', 'No active webhook at this address.');

/**
 * Starts an execution from a webhook call, acting as the workflow's owner. Only an active
 * workflow with an enabled webhook node on that path and method answers; anything else is
 * not_found (the address reveals nothing); a call that does not prove itself as the trigger's
 * `auth` asks is unauthorized. Reserves one execution of usage (limit_reached when
 * none is left). With `respond: immediately` it answers accepted at once; with `using-node` it
 * waits (up to WEBHOOK_RESPONSE_TIMEOUT) for a respond-to-webhook node, or the execution's end;
 * a workflow of pure nodes is then run in the request itself (see run-in-request).
 */
export async function callWebhook(deps: WorkflowDeps, call: WebhookCall): Promise<WebhookAnswer> {
  const actor = await cachedOwnerContext(deps.db, call.workflowId);
  if (!actor) throw noHook();
  // The workflow and its current version, in one statement and one round trip; the version's
  // document only when this process does not keep it already (versions never change, see
  // version-documents). Written out and prepared, with only the columns a webhook needs: a
  // drizzle select of the whole row was built and mapped anew on every call.
  const found = await readWithActor(deps.db, actor, async (_tx, sql) => {
    const [row] = await sql<(HookWorkflow & { document: WorkflowDocument | null })[]>`
      select w.id, w.user_id as "userId", w.team_id as "teamId", w.status, w.version, v.document
      from workflow.workflows w
      left join workflow.workflow_versions v on v.workflow_id = w.id and v.version = w.version
        and w.version <> ${keptVersion(call.workflowId) ?? 0}
      where w.id = ${call.workflowId}`;
    if (row?.status !== 'active') return undefined;
    const { document, ...workflow } = row;
    const current = versionDocument(workflow.id, workflow.version, document);
    const node = current?.document.nodes.find((candidate) => {
      const config = candidate.config as { path?: string; method?: string };
      return candidate.type === 'webhook' && candidate.isEnabled && config.path === call.path;
    });
    return node ? { workflow, node, current: current! } : undefined;
  });
  if (!found) throw noHook();
  const config = found.node.config as {
    method: string;
    respond: 'immediately' | 'using-node';
    auth?: WebhookAuth;
  };
  if (config.method !== call.method)
    throw new DomainError('method_not_allowed', `This webhook takes ${config.method} requests.`);
  if (config.auth) await verifyWebhookAuth(deps, actor, config.auth, call);

  await reserveExecution(deps, found.workflow);
  // The trigger's own token or signature header is a credential too: the workflow never sees it.
  const proof = config.auth?.header.toLowerCase();
  const headers = Object.fromEntries(
    Object.entries(call.headers).filter(
      ([name]) => !PRIVATE_HEADERS.has(name.toLowerCase()) && name.toLowerCase() !== proof,
    ),
  );
  const item: Item = { body: call.body ?? null, query: call.query, headers, method: call.method };
  if (config.respond === 'using-node' && runsInRequest(found.current)) {
    const answered = await runInRequest(deps, actor, {
      workflow: found.workflow,
      plan: found.current.plan,
      triggerNodeId: found.node.id!,
      input: [item],
    });
    if (answered) return { kind: 'responded', ...answered };
  }
  const executionId = await withActor(deps.db, actor, (tx) =>
    createExecution(tx, {
      workflow: found.workflow,
      triggerType: 'webhook',
      triggerNodeId: found.node.id!,
      input: [item],
      userId: null,
      inlineMax: deps.env.ITEM_DATA_INLINE_MAX,
    }),
  );
  if (config.respond === 'immediately') {
    await enqueueExecution(deps, call.workflowId, executionId);
    return { kind: 'accepted', executionId };
  }
  // Watching before the execution is queued: no change of it can pass unseen.
  const watch = watchProgress(deps.bus, executionId, { ignoreSteps: true });
  try {
    await enqueueExecution(deps, call.workflowId, executionId);
    return await awaitResponse(deps, actor, executionId, watch);
  } finally {
    watch.stop();
  }
}

/** A fallback look at the execution this often, should word of a change be lost. */
const LOOK_AGAIN_MS = 2000;

/**
 * Waits until a respond-to-webhook node answered or the execution ended, looking at it in
 * Postgres (any worker may run it) each time the worker says it changed; accepted when the time
 * is up.
 */
async function awaitResponse(
  deps: WorkflowDeps,
  actor: NonNullable<Awaited<ReturnType<typeof ownerContext>>>,
  executionId: string,
  watch: ProgressWatch,
): Promise<WebhookAnswer> {
  const deadline = Date.now() + deps.env.WEBHOOK_RESPONSE_TIMEOUT;
  // Just queued, it has not answered yet: the first look waits for word of a change (the watch
  // began before it was queued, so none is missed).
  await watch.changed(Math.min(deadline - Date.now(), LOOK_AGAIN_MS));
  for (;;) {
    const [execution] = await withActor(deps.db, actor, (tx) =>
      tx
        .select({
          status: workflowExecutions.status,
          response: workflowExecutions.responseData,
          output: workflowExecutions.outputData,
          error: workflowExecutions.errorMessage,
        })
        .from(workflowExecutions)
        .where(eq(workflowExecutions.id, executionId)),
    );
    if (execution?.response)
      return { kind: 'responded', executionId, response: execution.response as WebhookResponse };
    if (execution?.status === 'success') {
      const [body] = await withActor(deps.db, actor, (tx) => unspill(tx, [execution.output]));
      return { kind: 'responded', executionId, response: { status: 200, headers: {}, body } };
    }
    if (execution?.status === 'error' || execution?.status === 'canceled')
      throw new DomainError(
        'bad_gateway',
        `The workflow ended without answering (execution ${executionId}).`,
      );
    const left = deadline - Date.now();
    if (left <= 0) return { kind: 'accepted', executionId };
    await watch.changed(Math.min(left, LOOK_AGAIN_MS));
  }
}
