import type { UserDto } from '@conduit/contracts';
import type { users } from '../../db/schema.js';

export const toUserDto = (row: typeof users.$inferSelect): UserDto => ({
  id: row.id,
  email: row.email,
  username: row.username,
  name: row.name,
  organizationId: row.organizationId,
  active: row.active,
  createdAt: row.createdAt.toISOString(),
});
