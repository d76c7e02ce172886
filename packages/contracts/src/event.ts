import { z } from 'zod';
import { actorSchema, type EventActor } from './actor.js';

/**
 * An event is a past-tense fact on subject `<service>.<entity>.<verb>`. Its envelope carries an id
 * (the de-duplication key end to end), when it happened, who caused it and the schema version.
 */
export interface EventDefinition<S extends string = string, D extends z.ZodType = z.ZodType> {
  subject: S;
  version: number;
  data: D;
  envelope: z.ZodType<EventEnvelope<z.output<D>>>;
}

export interface EventEnvelope<D = unknown> {
  id: string;
  subject: string;
  version: number;
  occurredAt: string;
  actor: EventActor | null;
  data: D;
}

export type EventData<E extends EventDefinition> = z.output<E['data']>;

export const envelopeSchema = <D extends z.ZodType>(subject: string, version: number, data: D) =>
  z.object({
    id: z.uuid(),
    subject: z.literal(subject),
    version: z.literal(version),
    occurredAt: z.iso.datetime({ offset: true }),
    actor: actorSchema.nullable(),
    data,
  }) as unknown as z.ZodType<EventEnvelope<z.output<D>>>;

export function defineEvent<S extends string, D extends z.ZodType>(
  subject: S,
  version: number,
  data: D,
): EventDefinition<S, D> {
  if (!/^[a-z][a-z0-9-]*\.[a-z][a-z0-9_]*\.[a-z][a-z0-9_]*$/.test(subject)) {
    throw new Error(`event subject "${subject}" is not <service>.<entity>.<verb>`);
  }
  return { subject, version, data, envelope: envelopeSchema(subject, version, data) };
}
