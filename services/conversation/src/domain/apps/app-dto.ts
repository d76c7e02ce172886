import { readableText, storableText } from '@conduit/contracts';
import { z } from 'zod';
import {
  type appAppearances,
  type appPromptEngineeringSettings,
  appStatuses,
  domainStatuses,
  launcherPositions,
} from '../../db/schema.js';
import type { AppRow } from './app-access.js';

/** The path parameters of an app's routes. */
export const appParams = z.object({ appId: z.uuid() });

/** `pk_` and 32 characters of base64url: 192 random bits. */
export const publicKeySchema = z
  .string()
  .max(35)
  .regex(/^pk_[A-Za-z0-9_-]{32}$/, 'must be an app public key');

export const appDto = z.object({
  id: z.uuid(),
  orgId: z.uuid().nullable(),
  ownerUserId: z.uuid(),
  teamId: z.uuid().nullable(),
  botId: z.uuid(),
  name: z.string(),
  status: z.enum(appStatuses),
  publicKey: z.string(),
  createdAt: z.string(),
  updatedAt: z.string(),
});

export const toAppDto = (app: AppRow): z.infer<typeof appDto> => ({
  id: app.id,
  orgId: app.orgId,
  ownerUserId: app.ownerUserId,
  teamId: app.teamId,
  botId: app.botId,
  name: app.name,
  status: app.status,
  publicKey: app.publicKey,
  createdAt: app.createdAt.toISOString(),
  updatedAt: app.updatedAt.toISOString(),
});

/** `#rgb` or `#rrggbb`: what the widget puts in its styles as it is. */
const hexColor = z
  .string()
  .max(7)
  .regex(/^#(?:[0-9a-fA-F]{3}|[0-9a-fA-F]{6})$/, 'must be a hex color (#rgb or #rrggbb)');

export const appearanceInput = z.object({
  primaryColor: hexColor.optional(),
  backgroundColor: hexColor.optional(),
  textColor: hexColor.optional(),
  logoMediaId: z.uuid().nullable().optional(),
  avatarMediaId: z.uuid().nullable().optional(),
  launcherPosition: z.enum(launcherPositions).optional(),
  welcomeText: storableText(2000).trim().optional(),
  suggestedQuestions: z.array(readableText(200)).max(8).optional(),
});

export const appearanceDto = z.object({
  primaryColor: z.string(),
  backgroundColor: z.string(),
  textColor: z.string(),
  logoMediaId: z.uuid().nullable(),
  avatarMediaId: z.uuid().nullable(),
  launcherPosition: z.enum(launcherPositions),
  welcomeText: z.string(),
  suggestedQuestions: z.array(z.string()),
});

type AppearanceRow = typeof appAppearances.$inferSelect;

/** An app that never set its appearance looks like this (the table's defaults). */
export const defaultAppearance: z.infer<typeof appearanceDto> = {
  primaryColor: '#2563eb',
  backgroundColor: '#ffffff',
  textColor: '#111827',
  logoMediaId: null,
  avatarMediaId: null,
  launcherPosition: 'bottom-right',
  welcomeText: '',
  suggestedQuestions: [],
};

export const toAppearanceDto = (row: AppearanceRow | undefined): z.infer<typeof appearanceDto> =>
  row
    ? {
        primaryColor: row.primaryColor,
        backgroundColor: row.backgroundColor,
        textColor: row.textColor,
        logoMediaId: row.logoMediaId,
        avatarMediaId: row.avatarMediaId,
        launcherPosition: row.launcherPosition,
        welcomeText: row.welcomeText,
        suggestedQuestions: row.suggestedQuestions,
      }
    : defaultAppearance;

export const promptSettingsInput = z.object({
  systemPrompt: storableText(20_000).nullable().optional(),
  model: readableText(200).nullable().optional(),
  temperature: z.number().min(0).max(2).nullable().optional(),
  maxTokens: z.int().min(16).max(32_000).nullable().optional(),
});

export const promptSettingsDto = z.object({
  systemPrompt: z.string().nullable(),
  model: z.string().nullable(),
  temperature: z.number().nullable(),
  maxTokens: z.int().nullable(),
});

type PromptRow = typeof appPromptEngineeringSettings.$inferSelect;

export const toPromptSettingsDto = (row: PromptRow | undefined): z.infer<typeof promptSettingsDto> => ({
  systemPrompt: row?.systemPrompt ?? null,
  model: row?.model ?? null,
  temperature: row?.temperature ?? null,
  maxTokens: row?.maxTokens ?? null,
});

export const restrictedUrlDto = z.object({
  id: z.uuid(),
  origin: z.string(),
  pathPrefix: z.string().nullable(),
  createdAt: z.string(),
});

export const domainDto = z.object({
  id: z.uuid(),
  domain: z.string(),
  verificationToken: z.string(),
  status: z.enum(domainStatuses),
  verifiedAt: z.string().nullable(),
  lastCheckedAt: z.string().nullable(),
  lastError: z.string().nullable(),
  createdAt: z.string(),
});
