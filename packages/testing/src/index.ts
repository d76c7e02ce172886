export { createTestDatabase, type TestDatabase } from './test-database.js';
export { uniqueName, testBusNamespace, testRedisPrefix } from './names.js';
export { startTcpProxy, type TcpProxy } from './tcp-proxy.js';
export { localServices } from './local-services.js';
