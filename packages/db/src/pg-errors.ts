/** An error that carries a Postgres (or postgres.js) error code. */
export type PostgresError = Error & { code: string; constraint_name?: string };

/**
 * The first error along an error's causes (drizzle wraps the driver's error as its cause) that
 * carries `code`, or any code when none is given.
 */
export function postgresError(error: unknown, code?: string): PostgresError | undefined {
  for (let current = error; current instanceof Error; current = current.cause) {
    const found = (current as { code?: unknown }).code;
    if (typeof found === 'string' && (code === undefined || found === code)) return current as PostgresError;
  }
  return undefined;
}

/** True for a unique-constraint violation, optionally of one named constraint or index. */
export function isUniqueViolation(error: unknown, constraint?: string): boolean {
  const violation = postgresError(error, '23505');
  return violation !== undefined && (constraint === undefined || violation.constraint_name === constraint);
}

/** True when Postgres chose this transaction as a deadlock's victim (it was rolled back whole). */
export const isDeadlock = (error: unknown): boolean => postgresError(error, '40P01') !== undefined;
