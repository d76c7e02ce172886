import { RpcError, requestRpc } from '@conduit/bus';
import { reserveUsage } from '@conduit/contracts';
import { DomainError } from '@conduit/errors';
import type { WorkflowDeps } from '../deps.js';

/** Whose executions: a user's or a team's subscription. */
export type UsageSubject = { type: 'user' | 'team'; id: string };

/**
 * Reserves `amount` executions of `subject` through identity's usage RPC. Failures arrive as
 * domain errors: limit_reached (402) when the plan has no executions, unavailable when identity
 * cannot answer. A refusal (`granted: false`) is answered, not thrown: the caller words it.
 */
export async function reserveExecutionsOf(deps: WorkflowDeps, subject: UsageSubject, amount = 1) {
  try {
    return await requestRpc(
      deps.bus,
      reserveUsage,
      { subject, items: [{ metric: 'executions', amount }] },
      { timeoutMs: deps.env.RPC_TIMEOUT },
    );
  } catch (error) {
    if (error instanceof RpcError && error.code === 'not_found')
      throw new DomainError('limit_reached', "This workflow's plan does not include executions.", {
        fields: { remaining: 0, limit: 0, periodEnd: null },
      });
    if (error instanceof RpcError)
      throw new DomainError('unavailable', 'Usage cannot be checked right now; please try again shortly.', {
        retryAfterSeconds: 5,
      });
    throw error;
  }
}
