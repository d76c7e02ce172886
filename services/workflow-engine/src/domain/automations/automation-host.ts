import {
  type BasicHost,
  HostUnavailableError,
  mailRecipients,
  saveFromUnstructuredWith,
  type Value,
} from '@conduit/basic';
import { botFileKeywords, mailAttachments } from '@conduit/bot-files';
import { appendEvent, botMailKeywords, RpcError } from '@conduit/bus';
import { conversationRpc, workflowEvents } from '@conduit/contracts';
import { withActor } from '@conduit/db';
import { type HttpKeyword, scriptHttpKeywords } from '@conduit/outbound-http';
import { sandboxKeywords } from '@conduit/sandbox';
import { botKnowledgeBaseOf, botMemoryOf } from '../../clients/bot-client.js';
import { completeAs, searchKnowledgeAs } from '../../clients/owner-services-client.js';
import { outbox } from '../../db/schema.js';
import type { WorkflowDeps } from '../../deps.js';
import { NodeError } from '../../nodes/node-type.js';
import { connectionHeaders, httpKinds, withinBaseUrl } from '../integrations/connection-http.js';
import { type OpenedConnection, openConnection } from '../integrations/open-connection.js';
import type { AutomationRow } from './automation-dto.js';
import { ownerContext } from './bot-ownership.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const MAX_LINES = 1000;
const MAX_LINE = 2000;

/** What a run's host gathered: the lines the script wrote, and whether a service failed to answer. */
export interface RunRecord {
  output: string[];
  /** A keyword failed because a service did not answer: the run is worth another attempt. */
  transient: boolean;
}

/**
 * The BASIC host of a bot automation: the script acts with the bot's identity (its owner, and its
 * team for a team bot). TALK and PRINT are the run's output; GET / SET BOT MEMORY go to
 * conversation (rpc.conversation.bots.memory), USE KB / FIND to the knowledge base
 * (rpc.knowledge.search; a name is mapped by the bot's configuration, rpc.conversation.bots.knowledge_base), LLM to conversation's providers, SEND MAIL becomes
 * workflow.mail.requested for the email service, GET / POST go through @conduit/outbound-http.
 * There is no user here: user memory, tools and HEAR are not available.
 */
export function automationHost(
  deps: WorkflowDeps,
  automation: AutomationRow,
  runId: string,
  record: RunRecord,
): BasicHost {
  const owner = ownerContext(automation);
  const write = (text: string) => {
    if (record.output.length < MAX_LINES) record.output.push(text.slice(0, MAX_LINE));
  };
  /** USE KB: the knowledge bases FIND searches, by the name the script gave and the collection's id. */
  const collections: { name: string; collectionId: string }[] = [];
  /** SEND MAILs so far in this attempt: a retried run numbers them again from 0, the same way. */
  let mailsSent = 0;
  /** POSTs, PATCHes, GRAPHQLs and SOAPs so far in this attempt, each numbered as the mails are. */
  const sent: Partial<Record<HttpKeyword, number>> = {};
  /** CREATE DRAFTs, ADD MEMBERs and LLM calls so far in this attempt, each numbered as the mails are. */
  const made = { draft: 0, invite: 0, llm: 0, unstructured: 0 };
  const mail = botMailKeywords(deps.bus, {
    botId: automation.botId,
    ownerUserId: automation.ownerUserId,
    timeoutMs: deps.env.RPC_TIMEOUT,
    keyFor: (keyword) => `automation:${runId}:${keyword}:${made[keyword]++}`,
  });
  /** SET CONTEXT: the system text of the run's LLM calls. */
  let context: string | undefined;
  /** USE CONNECTION: each one's authorization goes with requests under its base URL, and only there. */
  const connections: OpenedConnection[] = [];
  const authorizationFor = (url: string) => {
    const connection = connections.findLast((c) => withinBaseUrl(c, url));
    return connection ? connectionHeaders(connection) : undefined;
  };
  const memory = (request: { op: 'get'; key: string } | { op: 'set'; key: string; value: unknown }) =>
    botMemoryOf(deps, automation, request);
  const knowledgeBaseNamed = async (name: string) => {
    const collectionId = await botKnowledgeBaseOf(deps, automation, name);
    if (!collectionId) {
      const setting = conversationRpc.knowledgeBaseSetting(name);
      throw new Error(
        `unknown knowledge base "${name}": map it in the bot configuration as ${setting} = <collection id>`,
      );
    }
    return collectionId;
  };
  const unavailableForAutomations = (keyword: string) => async () => {
    throw new HostUnavailableError(`${keyword} is not available in an automation: it runs with no user`);
  };

  // Bot tables and model choice live in conversation, which offers automations no RPC for them yet.
  const notInAutomationsYet = (keyword: string) => async () => {
    throw new HostUnavailableError(
      `${keyword} is not available in an automation yet: it works in the bot's dialogs (conversation)`,
    );
  };

  const host: BasicHost = {
    talk: async (text) => write(text),
    print: async (text) => write(text),
    getBotMemory: async (key) => (await memory({ op: 'get', key })).value,
    setBotMemory: async (key, value: Value) => {
      await memory({ op: 'set', key, value });
    },
    getUserMemory: unavailableForAutomations('GET USER MEMORY'),
    setUserMemory: unavailableForAutomations('SET USER MEMORY'),
    useTool: unavailableForAutomations('USE TOOL'),
    clearTools: async () => {},
    // A name is what the bot's configuration maps it to (`kb.<name>`), as in the bot's dialogs;
    // whether the owner may read that collection the knowledge base says when FIND searches it.
    async useKb(name) {
      const wanted = name.trim();
      const collectionId = UUID.test(wanted) ? wanted : await knowledgeBaseNamed(wanted);
      if (!collections.some((kb) => kb.collectionId === collectionId))
        collections.push({ name: wanted, collectionId });
    },
    async clearKb(name) {
      const wanted = name?.trim().toLowerCase();
      collections.splice(
        0,
        collections.length,
        ...(wanted === undefined
          ? []
          : collections.filter((kb) => kb.name.toLowerCase() !== wanted && kb.collectionId !== wanted)),
      );
    },
    async find(query) {
      if (!collections.length) throw new Error('FIND needs a knowledge base first: USE KB "<name>"');
      const hits = await searchKnowledgeAs(deps, owner, {
        collectionIds: collections.map((kb) => kb.collectionId),
        query,
        k: 5,
      });
      return hits.map((hit) => ({
        content: hit.content,
        document: hit.documentName,
        headingPath: hit.headingPath,
        score: hit.score,
      }));
    },
    // Each LLM call of the run is known by the same key on every attempt: conversation answers a
    // retried run's call with the first completion, neither asked nor charged twice.
    async llm(prompt) {
      return (
        await completeAs(deps, owner, {
          prompt,
          maxTokens: 512,
          ...(context ? { system: context } : {}),
          idempotencyKey: `automation:${runId}:llm:${made.llm++}`,
        })
      ).text;
    },
    setContext: async (text) => {
      context = text.slice(0, 8000);
    },
    async sendMail(to, subject, body, files) {
      const attachments = mailAttachments(files, {
        botId: automation.botId,
        ownerUserId: automation.ownerUserId,
        teamId: automation.teamId,
      });
      const sequence = mailsSent++;
      const recipients = to
        .split(/[,;]/)
        .map((a) => a.trim())
        .filter(Boolean);
      const data = {
        automationId: automation.id,
        runId,
        botId: automation.botId,
        userId: automation.ownerUserId,
        teamId: automation.teamId,
        to: recipients,
        subject,
        body,
        sequence,
        ...(attachments && { attachments }),
      };
      const checked = workflowEvents.mailRequested.data.safeParse(data);
      if (!checked.success)
        throw new Error(`SEND MAIL: ${checked.error.issues[0]?.message ?? 'invalid mail'}`);
      await withActor(deps.db, owner, (tx) =>
        appendEvent(tx, outbox, workflowEvents.mailRequested, checked.data, {
          userId: automation.ownerUserId,
          sessionId: null,
          orgId: automation.organizationId,
        }),
      );
    },
    async useConnection(id) {
      const ref = id.trim();
      if (!UUID.test(ref))
        throw new Error(`USE CONNECTION takes a connection's id, not "${ref.slice(0, 100)}"`);
      const connection = await openConnection(deps, owner, ref);
      if (!connection)
        throw new Error("USE CONNECTION: it is gone, switched off, or not one this bot's owner may use");
      if (!httpKinds.has(connection.kind) || typeof connection.config.baseUrl !== 'string')
        throw new Error(
          'USE CONNECTION needs an HTTP connection with a base URL, so its secret goes nowhere else',
        );
      connections.push(connection);
    },
    // Each POST, PATCH, GRAPHQL and SOAP of the run is known by the same key on every attempt, as the
    // http node's requests are (PUT and DELETE are idempotent by themselves).
    ...scriptHttpKeywords(deps.http, {
      secretFor: authorizationFor,
      headersFor(keyword) {
        if (keyword !== 'POST' && keyword !== 'PATCH' && keyword !== 'GRAPHQL' && keyword !== 'SOAP')
          return undefined;
        const n = sent[keyword] ?? 0;
        sent[keyword] = n + 1;
        return { 'idempotency-key': `automation:${runId}:${keyword.toLowerCase()}:${n}` };
      },
    }),
    ...sandboxKeywords(deps.env),
    // A draft in the bot's mailbox (email service); an invite sent as the bot's owner (identity),
    // only into a team they may invite to. Each is known by the same key on every attempt of the
    // run, so a retried run finds what its first attempt made instead of making it again.
    createDraft: (to, subject, body) => mail.createDraft(mailRecipients(to), subject, body),
    addMember: (email, team) => mail.addMember(email, team),
    // The system prompt of the run's LLM calls, as SET CONTEXT is.
    setSystemPrompt: async (text) => {
      context = text.slice(0, 8000);
    },
    addSuggestion: unavailableForAutomations('ADD SUGGESTION'),
    clearSuggestions: unavailableForAutomations('CLEAR SUGGESTIONS'),
    remember: unavailableForAutomations('REMEMBER'),
    recall: unavailableForAutomations('RECALL'),
    setUserFact: unavailableForAutomations('SET USER FACT'),
    userFacts: unavailableForAutomations('USER FACTS'),
    useModel: notInAutomationsYet('USE MODEL'),
    tableSave: notInAutomationsYet('SAVE'),
    tableInsert: notInAutomationsYet('INSERT'),
    tableUpdate: notInAutomationsYet('UPDATE'),
    tableDelete: notInAutomationsYet('DELETE'),
    tableFind: notInAutomationsYet('FIND on a table'),
    tableMerge: notInAutomationsYet('MERGE'),
    // Bots talk to bots inside a chat session, as the person in it; an automation has neither.
    addBot: unavailableForAutomations('ADD BOT'),
    delegateToBot: unavailableForAutomations('DELEGATE TO BOT'),
    transferConversation: unavailableForAutomations('TRANSFER CONVERSATION'),
    broadcastToBots: unavailableForAutomations('BROADCAST TO BOTS'),
    useWebsite: unavailableForAutomations('USE WEBSITE'),
    // The owner's model reads the text into JSON that @conduit/basic checks against the schema, as
    // in dialogs; keyed by the run like LLM, so a retried run reads the same answer.
    saveFromUnstructured: saveFromUnstructuredWith(
      async ({ system, text }) =>
        (
          await completeAs(deps, owner, {
            system,
            prompt: text,
            maxTokens: 1024,
            idempotencyKey: `automation:${runId}:unstructured:${made.unstructured++}`,
          })
        ).text,
    ),
    // The bot's files in the workspace service, as its owner (@conduit/bot-files, as in its dialogs);
    // DOWNLOAD and UPLOAD through the engine's outbound guard.
    ...botFileKeywords(deps.bus, {
      bot: { botId: automation.botId, ownerUserId: automation.ownerUserId, teamId: automation.teamId },
      timeoutMs: deps.env.RPC_TIMEOUT,
      http: deps.http,
    }),
  };
  return markingTransientFailures(host, record);
}

/** A keyword that failed because a service did not answer marks the run as worth another attempt. */
function markingTransientFailures(host: BasicHost, record: RunRecord): BasicHost {
  const wrapped = Object.entries(host).map(([name, method]) => [
    name,
    async (...args: unknown[]) => {
      try {
        return await (method as (...a: unknown[]) => Promise<unknown>)(...args);
      } catch (error) {
        if (
          (error instanceof RpcError && ['timeout', 'unavailable'].includes(error.code)) ||
          (error instanceof NodeError && error.retryable)
        )
          record.transient = true;
        throw error;
      }
    },
  ]);
  return Object.fromEntries(wrapped) as unknown as BasicHost;
}
