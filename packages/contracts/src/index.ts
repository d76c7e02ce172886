export { type Actor, type AccessTokenClaims, type EventActor, accessTokenClaims, actorFromClaims, actorSchema } from './actor.js';
export {
  type OrganizationRole,
  type Permission,
  type TeamRole,
  isReadPermission,
  organizationRolePermissions,
  organizationRoles,
  organizationRoleSchema,
  permissionSchema,
  permissions,
  teamRoleSchema,
  teamRoles,
} from './access.js';
export { defineEvent, envelopeSchema, type EventDefinition, type EventEnvelope, type EventData } from './event.js';
export { defineRpc, rpcErrorCodes, type RpcDefinition, type RpcErrorCode, type RpcReply } from './rpc.js';
export { problemSchema, type Problem } from './problem.js';
export { pageQuery, pageOf } from './pagination.js';
export * as identityEvents from './identity/events.js';
export * as knowledgeEvents from './knowledge/events.js';
export * as conversationEvents from './conversation/events.js';
export * as knowledgeRpc from './knowledge/rpc.js';
export { reserveUsage, type UsageMetric, usageMetricSchema, usageMetrics, usageSubject } from './identity/usage.js';
export * from './identity/dto.js';
