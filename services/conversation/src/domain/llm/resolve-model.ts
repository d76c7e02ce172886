import type { Transaction } from '@conduit/db';
import { and, eq, isNull, or } from 'drizzle-orm';
import { aiModels, providers, userPreferences } from '../../db/schema.js';
import type { ConversationDeps } from '../../deps.js';
import type { ChatProvider } from './chat-provider.js';
import { OfflineProvider } from './offline-provider.js';
import { OpenAiCompatibleProvider } from './openai-compatible-provider.js';

export const OFFLINE_MODEL_ID = '00000000-0000-7000-8000-000000000001';

export interface ResolvedModel {
  provider: ChatProvider;
  /** The name sent to the provider and recorded on the reply. */
  model: string;
}

const offline: ResolvedModel = { provider: new OfflineProvider(), model: 'offline' };

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * The chat model of a reply: the user's own choice (preferences) first, then the bot's `llm-model`
 * setting (a model id or name from the catalog), then the platform's default model (identity's
 * global settings, asked only when neither names a usable model), then the built-in offline
 * model. A model the user cannot see, or an inactive one, is skipped. The provider's API key is
 * decrypted here, in memory, for this reply only.
 */
export async function resolveModel(
  tx: Transaction,
  deps: ConversationDeps,
  userId: string,
  settings: Map<string, string>,
): Promise<ResolvedModel> {
  const [preference] = await tx.select().from(userPreferences).where(eq(userPreferences.userId, userId));
  const candidates: ({ id: string } | { name: string })[] = [];
  if (preference?.modelId) candidates.push({ id: preference.modelId });
  const configured = settings.get('llm-model')?.trim();
  if (configured) candidates.push(modelReference(configured));

  for (const candidate of candidates) {
    const found = await chatModel(tx, deps, candidate);
    if (found) return found;
  }
  const platformDefault = await deps.defaultModel.current();
  if (platformDefault) {
    const found = await chatModel(tx, deps, modelReference(platformDefault));
    if (found) return found;
  }
  return offline;
}

/** A catalog reference as text: a model id, else its name. */
export const modelReference = (text: string): { id: string } | { name: string } =>
  UUID.test(text) ? { id: text } : { name: text };

/**
 * An active chat model by id or name that the acting user may see (row-level security decides),
 * with its provider; the provider's API key is decrypted here, in memory, for this call only.
 * Undefined when there is none.
 */
export async function chatModel(
  tx: Transaction,
  deps: ConversationDeps,
  candidate: { id: string } | { name: string },
): Promise<ResolvedModel | undefined> {
  const [row] = await tx
    .select()
    .from(aiModels)
    .leftJoin(providers, eq(providers.id, aiModels.providerId))
    .where(
      and(
        'id' in candidate ? eq(aiModels.id, candidate.id) : eq(aiModels.name, candidate.name),
        eq(aiModels.active, true),
        eq(aiModels.type, 'chat'),
        or(isNull(aiModels.providerId), eq(providers.id, aiModels.providerId)),
      ),
    )
    .limit(1);
  if (!row) return undefined;
  const provider = row.providers;
  // Only the built-in catalog has models without a provider: they all answer offline.
  if (!provider) return offline;
  const apiKey = provider.apiKeySealed ? deps.box.decrypt(provider.apiKeySealed, provider.id) : null;
  return {
    provider: new OpenAiCompatibleProvider({
      baseUrl: provider.baseUrl,
      apiKey,
      timeoutMs: deps.env.LLM_TIMEOUT,
    }),
    model: (row.ai_models.config.model as string | undefined) ?? row.ai_models.name,
  };
}
