import type { SecretBox } from '@conduit/secrets';
import type { Embedder } from './embedder.js';
import { LocalEmbedder } from './local-embedder.js';
import { OpenAiEmbedder } from './openai-embedder.js';

export interface EmbeddingSettings {
  collectionId: string;
  embeddingProvider: 'local' | 'openai';
  embeddingModel: string;
  embeddingBaseUrl: string | null;
  embeddingApiKeySealed: string | null;
}

/** The embedder a collection's settings describe; its API key is unsealed only here, in memory. */
export function embedderFor(settings: EmbeddingSettings, box: SecretBox, timeoutMs?: number): Embedder {
  if (settings.embeddingProvider === 'local') return new LocalEmbedder();
  return new OpenAiEmbedder({
    baseUrl: settings.embeddingBaseUrl ?? 'https://api.openai.com/v1',
    model: settings.embeddingModel,
    apiKey: settings.embeddingApiKeySealed
      ? box.decrypt(settings.embeddingApiKeySealed, settings.collectionId)
      : null,
    ...(timeoutMs !== undefined ? { timeoutMs } : {}),
  });
}
