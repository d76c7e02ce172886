import { Redis } from 'ioredis';

/** A Redis connection as BullMQ needs it: commands wait through reconnects instead of failing. */
export const redisForJobs = (url: string) =>
  new Redis(url, { maxRetriesPerRequest: null, enableReadyCheck: false });
