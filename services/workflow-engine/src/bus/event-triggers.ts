import { consumeStreamBatches, type StreamBatchConsumer } from '@conduit/bus';
import { workflowEvents } from '@conduit/contracts';
import type { BackgroundTask } from '@conduit/runtime';
import type { WorkflowDeps } from '../deps.js';
import { startFromEvent, subscribersOf } from '../domain/events/start-from-event.js';
import { startErrorWorkflow } from '../domain/executions/start-error-workflow.js';
import { producingServices } from '../nodes/event-catalog.js';

/** The durable consumer of a producing service's stream: one per stream, resumed after restarts. */
export const triggerDurableFor = (service: string) => `workflow-engine-triggers-${service}`;

/**
 * Event triggers, and error workflows (started by this engine's own `workflow.execution.failed`):
 * one durable consumer per producing service's stream (NATS 2.9 has no consumer over several
 * filters), so events published while the engine was down are read when it is back.
 * A batch's subscribers are looked up at once; it is acked once every event in it has started its
 * workflows; a redelivered event starts nothing twice (see startFromEvent).
 */
export const eventTriggers: BackgroundTask<WorkflowDeps> = {
  name: 'event triggers',
  async start(deps) {
    const consumers: StreamBatchConsumer[] = [];
    const stopAll = () => Promise.all(consumers.map((consumer) => consumer.stop()));
    try {
      for (const service of producingServices)
        consumers.push(
          await consumeStreamBatches(deps.bus, {
            service,
            durable: triggerDurableFor(service),
            batchSize: 32,
            handle: async (batch) => {
              const subscribers = await subscribersOf(deps, batch);
              for (const [index, envelope] of batch.entries()) {
                await startFromEvent(deps, envelope, subscribers[index]!);
                if (envelope.subject === workflowEvents.executionFailed.subject)
                  await startErrorWorkflow(deps, workflowEvents.executionFailed.data.parse(envelope.data));
              }
            },
            onError: (error) =>
              deps.log.warn(
                { err: error, stream: service },
                'event triggers not applied; the events come again',
              ),
          }),
        );
    } catch (error) {
      await stopAll();
      throw error;
    }
    return { stop: async () => void (await stopAll()) };
  },
};
