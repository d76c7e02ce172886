import type { WorkflowDocument } from '../workflows/workflow-document.js';
import { executionPlan, type PlannedNode } from './execution-plan.js';

/** A workflow version's document, with what every call of it derives from the document. */
export interface VersionDocument {
  version: number;
  document: WorkflowDocument;
  plan: PlannedNode[];
}

/** Workflows whose current version is kept; the oldest goes first beyond this. */
const WORKFLOWS_KEPT = 256;
const kept = new Map<string, VersionDocument>();

/**
 * The version of a workflow whose document this process keeps, if any: a caller that reads the
 * workflow's row asks Postgres for the document only when the current version is another one
 * (see `versionDocument`). Keeping it is always safe: a version's document is never changed
 * once saved (a save writes a new version) and a workflow id is a fresh uuidv7, never reused, so
 * the pair names one document for good. Only the workflow's row (its status, its current version)
 * must be read each time, under the caller's row-level security.
 */
export const keptVersion = (workflowId: string): number | undefined => kept.get(workflowId)?.version;

/**
 * The document of `version`: `fetched` when the caller's statement returned it (kept from then on,
 * with its execution plan), else the kept one if it is that version; undefined when neither
 * (the version row is gone).
 */
export function versionDocument(
  workflowId: string,
  version: number,
  fetched: WorkflowDocument | null | undefined,
): VersionDocument | undefined {
  if (!fetched) {
    const known = kept.get(workflowId);
    return known?.version === version ? known : undefined;
  }
  const entry = { version, document: fetched, plan: executionPlan(fetched) };
  kept.delete(workflowId);
  if (kept.size >= WORKFLOWS_KEPT) kept.delete(kept.keys().next().value as string);
  kept.set(workflowId, entry);
  return entry;
}
