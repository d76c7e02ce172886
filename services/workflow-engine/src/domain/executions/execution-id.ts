import { createHash } from 'node:crypto';

/**
 * A UUID fixed by what starts an execution (a schedule's tick, an event for a trigger), so that
 * starting it again records the same execution instead of a second one.
 */
export function executionIdFor(key: string): string {
  const hex = createHash('sha256').update(key).digest('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-8${hex.slice(13, 16)}-a${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}
