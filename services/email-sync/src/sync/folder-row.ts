import type { emailFolders } from '../db/schema.js';

export type FolderRow = typeof emailFolders.$inferSelect;
