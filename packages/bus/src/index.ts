export { type BotMailKeywordsOptions, botMailKeywords } from './bot-mail-keywords.js';
export { type BotOwner, managesBot, requireBotManager } from './bot-manager.js';
export {
  dropBytes,
  handOverBytes,
  TransferError,
  takeBytes,
  transferBucketFor,
  transferBucketName,
} from './byte-transfer.js';
export { type Bus, type BusOptions, connectBus } from './connection.js';
export { startEventRelay } from './event-relay.js';
export { idempotently } from './idempotent.js';
export { streamNameFor } from './naming.js';
export { appendEvent, appendEvents } from './outbox.js';
export { relayPublisher } from './relay-publisher.js';
export { RpcError, type RpcServer, requestRpc, rpcErrorCodeOf, serveRpc } from './rpc.js';
export {
  anyEnvelopeSchema,
  consumeStreamBatches,
  type StreamBatchConsumer,
  type StreamBatchOptions,
  streamConsumerLag,
} from './stream-consumer.js';
export { type EventSubscription, type SubscribeOptions, subscribeEvent } from './subscribe.js';
export {
  isCounted,
  isUnlimited,
  refusedLine,
  releaseUsageOf,
  reserveUsageOf,
  type UsageAnswer,
  type UsageLine,
  type UsageSubject,
  type UsageWording,
} from './usage-client.js';
