import { connect } from 'nats';
import { localServices } from './local-services.js';

/**
 * Deletes every JetStream stream of a bus namespace: each service's (`<NAMESPACE>_<SERVICE>`,
 * whichever services ran in it) and the object stores of its byte transfers
 * (`OBJ_<namespace>_...`). Streams outlive the processes that made them: without this, each run of
 * a test or benchmark that starts services leaves its streams on the NATS server.
 */
export async function deleteBusStreams(namespace: string): Promise<void> {
  const prefixes = [`${namespace.toUpperCase()}_`, `OBJ_${namespace.replace(/[^A-Za-z0-9_-]/g, '_')}_`];
  const nc = await connect({ servers: localServices.natsUrl, name: 'conduit-test-cleanup' });
  try {
    const jsm = await nc.jetstreamManager();
    const names: string[] = [];
    for await (const name of jsm.streams.names()) names.push(name);
    for (const name of names)
      if (prefixes.some((prefix) => name.startsWith(prefix))) await jsm.streams.delete(name).catch(() => {});
  } finally {
    await nc.close();
  }
}
