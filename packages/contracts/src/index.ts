export { type AccessTokenClaims, type Actor, accessTokenClaims, actorSchema } from './actor.js';
export {
  defineEvent,
  type EventData,
  type EventDefinition,
  type EventEnvelope,
  envelopeSchema,
} from './event.js';
export * from './identity/dto.js';
export * as identityEvents from './identity/events.js';
export { pageOf, pageQuery } from './pagination.js';
export { type Problem, problemSchema } from './problem.js';
export { defineRpc, type RpcDefinition, type RpcErrorCode, type RpcReply, rpcErrorCodes } from './rpc.js';
