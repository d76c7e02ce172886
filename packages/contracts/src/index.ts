export {
  isReadPermission,
  type OrganizationRole,
  organizationRolePermissions,
  organizationRoleSchema,
  organizationRoles,
  type Permission,
  permissionSchema,
  permissions,
  type TeamRole,
  teamRoleSchema,
  teamRoles,
} from './access.js';
export {
  type AccessTokenClaims,
  type Actor,
  accessTokenClaims,
  actorFromClaims,
  actorSchema,
  type EventActor,
  toEventActor,
} from './actor.js';
export * as analyticsEvents from './analytics/events.js';
export * as conversationEvents from './conversation/events.js';
export * as conversationRpc from './conversation/rpc.js';
export * as emailEvents from './email/events.js';
export * as emailRpc from './email/rpc.js';
export {
  defineEvent,
  type EventData,
  type EventDefinition,
  type EventEnvelope,
  envelopeSchema,
} from './event.js';
export * from './identity/dto.js';
export * as identityEvents from './identity/events.js';
export { type GlobalSettings, getGlobalSettings, globalSettingsSchema } from './identity/settings.js';
export { inviteToTeamAsUser, type TeamMembership, teamMembership } from './identity/teams.js';
export {
  gaugeMetrics,
  isGaugeMetric,
  releaseUsage,
  reserveUsage,
  type UsageItem,
  type UsageMetric,
  usageItem,
  usageMetricSchema,
  usageMetrics,
  usageSubject,
} from './identity/usage.js';
export { failedJobSchema, jobsAdminRpc, queueCountsSchema } from './jobs-admin.js';
export * as knowledgeEvents from './knowledge/events.js';
export * as knowledgeRpc from './knowledge/rpc.js';
export { pageOf, pageQuery } from './pagination.js';
export { limitProblemSchema, type Problem, problemSchema } from './problem.js';
export { defineRpc, type RpcDefinition, type RpcErrorCode, type RpcReply, rpcErrorCodes } from './rpc.js';
export {
  isStorableText,
  type JsonLimits,
  MAX_REQUEST_DEPTH,
  readableText,
  storableJson,
  storableJsonObject,
  storableText,
  UNSTORABLE_TEXT,
  type Unstorable,
  unstorablePart,
} from './storable.js';
export * as workflowEvents from './workflow/events.js';
export { type BotPathCheck, checkBotPath, joinBotPath, MAX_BOT_PATH } from './workspace/bot-file-path.js';
export {
  type BotMailAttachments,
  botMailAttachments,
  MAX_MAIL_ATTACHMENTS,
} from './workspace/bot-mail-attachments.js';
export * as workspaceRpc from './workspace/rpc.js';
