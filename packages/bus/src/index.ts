export { connectBus, type Bus, type BusOptions } from './connection.js';
export { streamNameFor } from './naming.js';
export { appendEvent } from './outbox.js';
export { relayPublisher } from './relay-publisher.js';
export { subscribeEvent, type EventSubscription, type SubscribeOptions } from './subscribe.js';
export { idempotently } from './idempotent.js';
export { RpcError, serveRpc, requestRpc, type RpcServer } from './rpc.js';
