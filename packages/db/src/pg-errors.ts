/** True for a unique-constraint violation, optionally of one named constraint or index. */
export function isUniqueViolation(error: unknown, constraint?: string): boolean {
  const cause = (error as { cause?: unknown })?.cause ?? error;
  const pg = cause as { code?: string; constraint_name?: string };
  return pg?.code === '23505' && (constraint === undefined || pg.constraint_name === constraint);
}

/** True when Postgres chose this transaction as a deadlock's victim (it was rolled back whole). */
export function isDeadlock(error: unknown): boolean {
  for (let current = error; current instanceof Error; current = current.cause)
    if ((current as { code?: string }).code === '40P01') return true;
  return false;
}
