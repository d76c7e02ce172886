export { localObjectStore } from './local-store.js';
export { MeasuredStream } from './measured-stream.js';
export {
  type ByteRange,
  ObjectNotFoundError,
  type ObjectStore,
  ObjectTooLargeError,
  type PutOptions,
  type StoredObject,
} from './object-store.js';
export { type S3StoreOptions, s3ObjectStore } from './s3-store.js';
export { createObjectStore, type StorageSettings, storageEnv } from './storage-env.js';
