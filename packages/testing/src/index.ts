export { deleteBusStreams } from './bus-streams.js';
export { freePort } from './free-port.js';
export { localServices } from './local-services.js';
export {
  type MailUser,
  messageIdOf,
  type OptionalImapExtension,
  type ReceivedSmtpMessage,
  startDovecot,
  startSmtpServer,
  type TestDovecot,
  type TestSmtpServer,
} from './mail-servers.js';
export { testBusNamespace, testRedisPrefix, uniqueName } from './names.js';
export { type PageResponse, unrefusedCursors, walkPages } from './paging.js';
export { natsServerBinary, type PrivateNats, startPrivateNats } from './private-nats.js';
export {
  type PrivatePostgres,
  type PrivatePostgresOptions,
  postgresBinDir,
  startPrivatePostgres,
} from './private-postgres.js';
export { deleteRedisKeys } from './redis-keys.js';
export { countRows } from './row-counts.js';
export { startTcpProxy, type TcpProxy } from './tcp-proxy.js';
export { createTestDatabase, type TestDatabase } from './test-database.js';
export { createTokenMint, type TokenClaims, type TokenMint } from './token-mint.js';
export {
  httpSender,
  injectSender,
  type OpenApiDocument,
  type ProbeReport,
  type ProbeRequest,
  type ProbeResponse,
  probeUnstorableInput,
  type UnstorableInputTarget,
} from './unstorable-input.js';
export { serveUsageStandIn, type UsageStandIn } from './usage-stand-in.js';
