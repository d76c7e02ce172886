export { type BaseEnv, baseEnv, databaseUrlFor } from './base-env.js';
export { loadDotEnv } from './dot-env.js';
export { envBoolean, envDuration, envList, envOptionalBoolean, envPort } from './env-types.js';
export { ConfigError, parseEnv } from './parse-env.js';
export {
  DEV_ENCRYPTION_KEYS,
  encryptionKeysEnv,
  loadServiceEnv,
  type ServiceEnv,
  serviceEnv,
} from './service-env.js';
