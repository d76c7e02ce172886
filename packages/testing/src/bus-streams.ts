import { streamNameFor, transferBucketFor } from '@conduit/bus';
import { connect } from 'nats';
import { localServices } from './local-services.js';

/**
 * Deletes every JetStream stream of a test's bus namespace: each service's (`<NAMESPACE>_<SERVICE>`,
 * whichever services ran in it) and the object store of its byte transfers. Streams outlive the
 * processes that made them: without this, each run of a test or benchmark that starts services
 * leaves its streams on the NATS server. Refuses the default namespace, a running cluster's.
 */
export async function deleteBusStreams(namespace: string): Promise<void> {
  if (!namespace) throw new Error("deleteBusStreams: the default namespace is a cluster's, not a test's");
  const ofNamespace = streamNameFor(namespace, '');
  const transfers = `OBJ_${transferBucketFor(namespace)}`;
  const nc = await connect({ servers: localServices.natsUrl, name: 'conduit-test-cleanup' });
  try {
    const jsm = await nc.jetstreamManager();
    const names: string[] = [];
    for await (const name of jsm.streams.names()) names.push(name);
    for (const name of names)
      if (name.startsWith(ofNamespace) || name === transfers) await jsm.streams.delete(name).catch(() => {});
  } finally {
    await nc.close();
  }
}
