import type { organizations } from '../../db/schema.js';

export const toOrganizationDto = (row: typeof organizations.$inferSelect, myRole: string | null) => ({
  id: row.id,
  name: row.name,
  slug: row.slug,
  personal: row.personal,
  myRole,
  createdAt: row.createdAt.toISOString(),
});
