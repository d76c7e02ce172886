import type { SecretBox } from '@conduit/secrets';
import type { DatasourceRow } from './datasource-dto.js';

/** The password sealed to its row: a ciphertext moved to another row does not open. */
export const sealSourcePassword = (box: SecretBox, sourceId: string, password: string) =>
  box.encrypt(password, `analytics.datasources:${sourceId}`);

export const openSourcePassword = (box: SecretBox, row: Pick<DatasourceRow, 'id' | 'sealedPassword'>) =>
  row.sealedPassword ? box.decrypt(row.sealedPassword, `analytics.datasources:${row.id}`) : '';
