import {
  connect,
  type JetStreamClient,
  type JetStreamManager,
  type NatsConnection,
  nanos,
  StorageType,
} from 'nats';
import { namespaced, streamNameFor } from './naming.js';

export interface BusOptions {
  servers: string;
  /** Connection name shown in NATS monitoring: the service and its role. */
  name: string;
  namespace?: string;
}

export interface Bus {
  nc: NatsConnection;
  js: JetStreamClient;
  jsm: JetStreamManager;
  namespace: string;
  subject(subject: string): string;
  /** Creates (or updates) the stream of a producing service, e.g. `identity`. */
  ensureStream(service: string): Promise<string>;
  /** True while connected to a server. */
  isConnected(): boolean;
  close(): Promise<void>;
}

/** Connects to NATS; reconnects forever, because a bus outage must not end a service. */
export async function connectBus(options: BusOptions): Promise<Bus> {
  const namespace = options.namespace ?? '';
  const nc = await connect({
    servers: options.servers,
    name: options.name,
    maxReconnectAttempts: -1,
    reconnectTimeWait: 500,
  });
  const jsm = await nc.jetstreamManager();
  let connected = true;
  void (async () => {
    for await (const status of nc.status()) {
      if (status.type === 'disconnect') connected = false;
      if (status.type === 'reconnect') connected = true;
    }
  })();
  return {
    nc,
    js: nc.jetstream(),
    jsm,
    namespace,
    subject: (subject) => namespaced(namespace, subject),
    async ensureStream(service) {
      const name = streamNameFor(namespace, service);
      const config = {
        name,
        subjects: [namespaced(namespace, `${service}.>`)],
        storage: StorageType.File,
        duplicate_window: nanos(2 * 60_000),
        max_age: nanos(30 * 24 * 3_600_000),
      };
      try {
        await jsm.streams.info(name);
        await jsm.streams.update(name, config);
      } catch {
        await jsm.streams.add(config);
      }
      return name;
    },
    isConnected: () => connected && !nc.isClosed(),
    close: () => nc.drain().catch(() => nc.close()),
  };
}
