import type { SecretBox } from '@conduit/secrets';

/**
 * A connection's secret fields could not be opened: its key version is not in the keyring, or the
 * sealed value (or the row it is bound to) was altered. Its message says so without the value.
 */
export class ConnectionUnsealError extends Error {
  constructor(connectionId: string, cause: unknown) {
    super(
      `The secrets of connection ${connectionId} cannot be opened: they were sealed with a key version this service does not have, or the stored row was altered. Enter them again.`,
      { cause },
    );
    this.name = 'ConnectionUnsealError';
  }
}

/** Seals a connection's secret fields, bound to its row id (a sealed value moved to another row fails to open). */
export const sealSecrets = (box: SecretBox, connectionId: string, secrets: Record<string, unknown>) =>
  Object.keys(secrets).length
    ? box.encrypt(JSON.stringify(secrets), `user_integrations:${connectionId}`)
    : null;

/** Opens them; throws ConnectionUnsealError for a wrong key version or an altered row. */
export function openSecrets(
  box: SecretBox,
  connectionId: string,
  sealed: string | null,
): Record<string, unknown> {
  if (!sealed) return {};
  let text: string;
  try {
    text = box.decrypt(sealed, `user_integrations:${connectionId}`);
  } catch (error) {
    throw new ConnectionUnsealError(connectionId, error);
  }
  return JSON.parse(text) as Record<string, unknown>;
}
