import type { UserDto } from '@conduit/contracts';
import type { users } from '../../db/schema.js';

/** The columns of a user a UserDto shows. */
export type UserDtoColumns = Pick<
  typeof users.$inferSelect,
  'id' | 'email' | 'username' | 'name' | 'organizationId' | 'active' | 'createdAt'
>;

export const toUserDto = (row: UserDtoColumns): UserDto => ({
  id: row.id,
  email: row.email,
  username: row.username,
  name: row.name,
  organizationId: row.organizationId,
  active: row.active,
  createdAt: row.createdAt.toISOString(),
});
