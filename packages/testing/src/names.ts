import { randomBytes } from 'node:crypto';

/** A short random lower-case name, safe as a database, stream or key prefix. */
export const uniqueName = (prefix: string) => `${prefix}_${randomBytes(5).toString('hex')}`;

/** A bus namespace of its own for one test file: its streams and subjects touch no one else's. */
export const testBusNamespace = () => uniqueName('t');

/** A Redis key prefix of its own for one test file. */
export const testRedisPrefix = () => `${uniqueName('t')}:`;
