import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { keptData, meaningOf } from '../../src/domain/events/event-metrics.js';
import { rowOfEnvelope } from '../../src/domain/events/event-row.js';

const settings = { aiCreditTokens: 1000 };

describe('what an event counts for', () => {
  it('counts a bot reply as a message, a reply, its tokens and its AI credits (rounded up)', () => {
    expect(
      meaningOf('conversation.message.created', { sender: 'bot', tokensIn: 1001, tokensOut: 0 }, settings)
        .metrics,
    ).toEqual({ messages: 1, bot_replies: 1, tokens_in: 1001, ai_credits: 2 });
    expect(
      meaningOf('conversation.message.created', { sender: 'user', tokensIn: 0, tokensOut: 0 }, settings)
        .metrics,
    ).toEqual({
      messages: 1,
    });
  });

  it('splits workflow executions by status and tool calls by outcome', () => {
    expect(meaningOf('workflow.execution.failed', { errorNode: 'HTTP', error: 'x' }, settings)).toEqual({
      metrics: { workflow_executions: 1, workflow_executions_failed: 1, node_errors: 1 },
      keepText: ['triggerType', 'errorNode'],
    });
    expect(meaningOf('workflow.execution.succeeded', {}, settings).metrics).toEqual({
      workflow_executions: 1,
      workflow_executions_succeeded: 1,
    });
    expect(meaningOf('conversation.tool.invoked', { ok: false }, settings).metrics).toEqual({
      tool_calls: 1,
      tool_errors: 1,
    });
  });

  it('counts nothing for a subject it does not know, and never a negative or fractional amount', () => {
    expect(meaningOf('billing.invoice.paid', { cents: 5 }, settings).metrics).toEqual({});
    expect(
      meaningOf('conversation.message.created', { sender: 'bot', tokensIn: -5, tokensOut: 2.7 }, settings)
        .metrics,
    ).toEqual({ messages: 1, bot_replies: 1, tokens_out: 2, ai_credits: 1 });
  });
});

describe('what an event keeps', () => {
  it('keeps ids, numbers, booleans and named short text; drops other text and nested values', () => {
    const id = randomUUID();
    expect(
      keptData(
        { id, n: 3, ok: true, body: 'secret', apiKey: 'sk-123', sender: 'bot', nested: { a: 1 }, list: [id] },
        ['sender'],
      ),
    ).toEqual({ id, n: 3, ok: true, sender: 'bot' });
    expect(keptData({ sender: 'x'.repeat(201) }, ['sender'])).toEqual({});
  });

  it('takes who from the actor, else from the data, and the subjects from the data', () => {
    const userId = randomUUID();
    const organizationId = randomUUID();
    const workflowId = randomUUID();
    const row = rowOfEnvelope(
      {
        id: randomUUID().toUpperCase(),
        subject: 'workflow.execution.failed',
        version: 1,
        occurredAt: '2026-03-08T01:02:03+05:30',
        actor: null,
        data: {
          userId,
          organizationId,
          workflowId,
          triggerType: 'webhook',
          error: 'secret token rejected',
          errorNode: 'Call CRM',
        },
      },
      settings,
      new Date('2026-03-08T00:00:00Z'),
    );
    expect(row).toMatchObject({
      source: 'workflow',
      user_id: userId,
      organization_id: organizationId,
      workflow_id: workflowId,
      occurred_at: '2026-03-07T19:32:03.000Z',
      metrics: { workflow_executions: 1, workflow_executions_failed: 1, node_errors: 1 },
      event_data: { userId, organizationId, workflowId, triggerType: 'webhook', errorNode: 'Call CRM' },
    });
    expect(row.id).toBe(row.id.toLowerCase());
  });
});
