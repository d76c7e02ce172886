/**
 * A failed query's error carries its bind parameters (password hashes, token hashes, personal
 * data): what reaches the logs keeps the query and drops the parameters.
 */
export function loggableError(error: unknown): unknown {
  if (!error || typeof error !== 'object' || !('params' in error)) return error;
  const failed = error as unknown as Error & { params: unknown; cause?: unknown };
  const { params: _params, ...rest } = failed;
  return Object.assign(Object.create(Object.getPrototypeOf(error)), rest, {
    message: failed.message.replace(/\nparams: .*$/s, '\nparams: [redacted]'),
    stack: failed.stack?.replace(/\nparams: .*?(\n\s+at )/s, '\nparams: [redacted]$1'),
    cause: failed.cause === undefined ? undefined : loggableError(failed.cause),
  });
}
