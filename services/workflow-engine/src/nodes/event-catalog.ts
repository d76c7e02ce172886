import {
  analyticsEvents,
  conversationEvents,
  type EventDefinition,
  emailEvents,
  identityEvents,
  knowledgeEvents,
  workflowEvents,
} from '@conduit/contracts';

/**
 * Conduit's events an event trigger may listen to: every event of the shared contracts, by
 * subject. A new event in the contracts is a new choice here without any change to this service.
 */
const definitions = [
  analyticsEvents,
  identityEvents,
  conversationEvents,
  knowledgeEvents,
  workflowEvents,
  emailEvents,
].flatMap((module) =>
  Object.values(module).filter(
    (value): value is EventDefinition =>
      typeof value === 'object' && value !== null && 'subject' in value && 'envelope' in value,
  ),
);

export const eventCatalog: ReadonlyMap<string, EventDefinition> = new Map(
  definitions.map((event) => [event.subject, event]),
);

export const eventSubjects = [...eventCatalog.keys()].sort() as [string, ...string[]];

/** The producing services of the catalog (`identity`, ...): one stream each. */
export const producingServices = [...new Set(eventSubjects.map((subject) => subject.split('.')[0]!))].sort();
