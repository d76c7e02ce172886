import { z } from 'zod';
import { defineRpc } from '../rpc.js';
import { storableText } from '../storable.js';

/**
 * The platform's global settings, kept by identity and changed by platform admins only:
 * the site's name, the plan new users and teams start on, whether anyone may sign up (an invite
 * still lets its addressee in when closed), and the chat model of bots that name none (null: the
 * conversation service's own fallback).
 */
export const globalSettingsSchema = z.object({
  siteName: storableText(100).min(1),
  defaultPlan: storableText(64).min(1),
  signUpOpen: z.boolean(),
  defaultModel: storableText(200).min(1).nullable(),
});
export type GlobalSettings = z.infer<typeof globalSettingsSchema>;

/**
 * The global settings as they are now, for services that act on them (conversation's default
 * model); callers keep the answer for a short while rather than asking per request.
 */
export const getGlobalSettings = defineRpc('rpc.identity.settings.get', z.object({}), globalSettingsSchema);
