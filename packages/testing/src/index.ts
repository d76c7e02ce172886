export { localServices } from './local-services.js';
export { testBusNamespace, testRedisPrefix, uniqueName } from './names.js';
export { startTcpProxy, type TcpProxy } from './tcp-proxy.js';
export { createTestDatabase, type TestDatabase } from './test-database.js';
