export { actorSchema, type Actor, accessTokenClaims, type AccessTokenClaims } from './actor.js';
export { defineEvent, envelopeSchema, type EventDefinition, type EventEnvelope, type EventData } from './event.js';
export { defineRpc, rpcErrorCodes, type RpcDefinition, type RpcErrorCode, type RpcReply } from './rpc.js';
export { problemSchema, type Problem } from './problem.js';
export { pageQuery, pageOf } from './pagination.js';
export * as identityEvents from './identity/events.js';
export * from './identity/dto.js';
