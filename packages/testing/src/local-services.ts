/** The machine's real servers on their default ports (overridable the same way as in production). */
export const localServices = {
  adminDatabaseUrl: process.env.TEST_DATABASE_ADMIN_URL ?? 'postgres://postgres@localhost:5432/postgres',
  redisUrl: process.env.REDIS_URL ?? 'redis://localhost:6379',
  natsUrl: process.env.NATS_URL ?? 'nats://localhost:4222',
};
