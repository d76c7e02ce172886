import { defineJobs } from '@conduit/jobs';
import { z } from 'zod';

/**
 * Knowledge-base's queue. Jobs carry ids only; the worker reads everything else from Postgres.
 * Retry settings come from the environment (INDEX_ATTEMPTS, INDEX_BACKOFF).
 */
export const knowledgeJobs = (retry: { attempts: number; backoffMs: number }) =>
  defineJobs('knowledge', {
    /** Extract -> chunk -> embed -> store one document (at one revision). */
    'index-document': {
      payload: z.object({ documentId: z.uuid(), revision: z.int().min(1) }),
      ...retry,
    },
    /** Fetch a URL data source and add what it answers as a document. */
    'fetch-datasource': {
      payload: z.object({ datasourceId: z.uuid() }),
      ...retry,
    },
  });

export type KnowledgeJobs = ReturnType<typeof knowledgeJobs>;

export const indexJobId = (documentId: string, revision: number) => `index-${documentId}-${revision}`;
