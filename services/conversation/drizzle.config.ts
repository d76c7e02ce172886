import { defineConfig } from 'drizzle-kit';

export default defineConfig({
  dialect: 'postgresql',
  schema: ['./src/db/schema.ts', './src/db/bot-tables-schema.ts'],
  out: './drizzle',
  schemaFilter: ['conversation'],
});
