import { asActor } from '@conduit/auth';
import { HostUnavailableError, saveFromUnstructuredWith } from '@conduit/basic';
import { useWebsiteFor } from '../../clients/website-client.js';
import { estimateTokens } from '../llm/chat-provider.js';
import { generateMetered } from '../llm/usage-meter.js';
import { resolveSessionModel } from '../sessions/session-extras.js';
import type { Turn } from '../turns/turn.js';

// AI helpers of General Bots' BASIC (issue #19, family 9) in a bot's dialog.

export function aiKeywords(turn: Turn) {
  const { deps, actor } = turn;
  return {
    /**
     * The session's model reads the text into JSON for the schema (@conduit/basic checks it
     * against the schema, as in handlers and automations); its tokens count on the turn.
     */
    saveFromUnstructured: saveFromUnstructuredWith(async ({ system, text }) => {
      const resolved = await asActor(deps.db, actor, (tx) => resolveSessionModel(tx, deps, turn));
      let answer = '';
      for await (const event of generateMetered(turn.meter, resolved.provider, {
        model: resolved.model,
        messages: [
          { role: 'system', content: system },
          { role: 'user', content: text },
        ],
        tools: [],
        knowledge: [],
        maxTokens: deps.env.LLM_MAX_TOKENS,
        temperature: 0,
        signal: turn.signal,
      })) {
        if (event.type === 'delta') answer += event.text;
      }
      turn.llmTokens = (turn.llmTokens ?? 0) + estimateTokens(text) + estimateTokens(answer);
      return answer;
    }),
    /**
     * The site becomes knowledge of the session (rpc.knowledge.website.use): a URL data source of
     * the user's own websites collection, linked to the session. It is read and indexed in the
     * background, so FIND and LLM answers use it once it is (seconds for a page), not at once.
     */
    async useWebsite(url: string) {
      const wanted = url.trim();
      let address: URL;
      try {
        address = new URL(wanted);
      } catch {
        throw new Error(`USE WEBSITE needs a web address (http or https), not "${wanted.slice(0, 100)}"`);
      }
      if (address.protocol !== 'http:' && address.protocol !== 'https:')
        throw new Error('USE WEBSITE reads http and https addresses only');
      // The site is added to the user's own knowledge: only someone who may add knowledge may.
      if (!actor.permissions.includes('kb.write'))
        throw new HostUnavailableError(
          'USE WEBSITE adds to your knowledge bases, which your account may not do',
        );
      const collectionId = await useWebsiteFor(deps, actor, turn.session.id, address.href);
      const kbs = turn.context.kbs ?? [];
      if (!kbs.some((kb) => kb.collectionId === collectionId))
        turn.context.kbs = [...kbs, { name: 'websites', collectionId: collectionId }];
    },
  };
}
