export { ConfigError, parseEnv } from './parse-env.js';
export { envBoolean, envDuration, envList, envPort } from './env-types.js';
export { baseEnv, databaseUrlFor, type BaseEnv } from './base-env.js';
export { loadDotEnv } from './dot-env.js';
