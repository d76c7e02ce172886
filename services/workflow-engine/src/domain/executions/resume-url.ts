import type { WorkflowEnv } from '../../env.js';

/** Where a call resumes an execution's webhook wait: the token proves the caller was given it. */
export const resumeUrlOf = (
  env: Pick<WorkflowEnv, 'PUBLIC_HOOKS_URL'>,
  execution: { id: string; workflowId: string; resumeToken: string | null },
) =>
  execution.resumeToken
    ? `${env.PUBLIC_HOOKS_URL}/v1/hooks/${execution.workflowId}/resume/${execution.id}/${execution.resumeToken}`
    : undefined;
