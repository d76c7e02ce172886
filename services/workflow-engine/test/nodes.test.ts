import { randomUUID } from 'node:crypto';
import { type RpcServer, serveRpc } from '@conduit/bus';
import { knowledgeRpc } from '@conduit/contracts';
import { DomainError } from '@conduit/errors';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  chain,
  createWorkflow,
  runWorkflow,
  startWorkflowHarness,
  type WorkflowHarness,
  waitForExecution,
} from './fixtures/workflow-harness.js';

let h: WorkflowHarness;
let owner: { token: string; userId: string };
const servers: RpcServer[] = [];

beforeAll(async () => {
  h = await startWorkflowHarness();
  owner = await h.tokens.mint();
}, 60_000);
afterAll(async () => {
  await Promise.all(servers.map((server) => server.stop()));
  await h?.close();
}, 30_000);

describe('kb-search', () => {
  it('searches the collections as the workflow owner and puts the hits in each item', async () => {
    const allowed = randomUUID();
    const asked: { userId: string; query: string; collectionIds?: string[] }[] = [];
    // Knowledge-base's search RPC as a real server on the bus: it knows one collection of the owner's.
    servers.push(
      serveRpc(h.bus, knowledgeRpc.search, 'knowledge', async (request) => {
        asked.push(request);
        if (request.userId !== owner.userId || !request.collectionIds?.every((id) => id === allowed))
          throw new DomainError('not_found', 'No such collection.');
        return {
          hits: [
            {
              chunkId: randomUUID(),
              documentId: randomUUID(),
              documentName: 'Refunds.md',
              collectionId: allowed,
              headingPath: ['Refunds'],
              charStart: 0,
              charEnd: 40,
              content: `Refunds take 5 days (asked: ${request.query}).`,
              snippet: '<b>Refunds</b> take 5 days',
              score: 0.9,
              textRank: 1,
              vectorRank: 1,
              textScore: 1.2,
              vectorScore: 0.8,
            },
          ],
        };
      }),
    );
    const search = (collectionIds: string[]) =>
      chain('answer from kb', [
        { name: 'Search', type: 'kb-search', config: { collectionIds, query: '{{ question }}', k: 3 } },
        {
          name: 'Answer',
          type: 'set',
          config: { fields: [{ name: 'answer', value: '{{ hits[0].content }}' }] },
        },
      ]);
    const workflow = await createWorkflow(h, owner.token, search([allowed]));
    const done = await waitForExecution(
      h,
      owner.token,
      await runWorkflow(h, owner.token, workflow.id, [{ question: 'how long do refunds take?' }]),
    );
    expect(done.status).toBe('success');
    expect(done.output).toEqual([
      expect.objectContaining({ answer: 'Refunds take 5 days (asked: how long do refunds take?).' }),
    ]);
    expect(asked[0]).toMatchObject({ userId: owner.userId, collectionIds: [allowed], k: 3 });

    const refused = await createWorkflow(h, owner.token, search([randomUUID()]));
    const failed = await waitForExecution(
      h,
      owner.token,
      await runWorkflow(h, owner.token, refused.id, [{ question: 'q' }]),
    );
    expect(failed).toMatchObject({
      status: 'error',
      errorNode: 'Search',
      error: expect.stringContaining('No such collection'),
    });
    expect(failed.nodes.find((node) => node.nodeName === 'Search')!.attempt).toBe(1);
  });
});
