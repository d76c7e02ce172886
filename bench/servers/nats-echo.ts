import { createServer } from 'node:http';
import { connect } from 'nats';

// The baseline of the usage-reserve scenario: a NATS responder that does no work, answering every
// request on ECHO_SUBJECT (in a queue group, as RPC servers do) with a fixed reply shaped like a
// reservation's. What the reservation RPC costs beyond this round trip is identity's work.
const reply = JSON.stringify({
  ok: true,
  data: { granted: true, remaining: 1, limit: 2, periodEnd: new Date().toISOString() },
});
const nc = await connect({
  servers: process.env.NATS_URL ?? 'nats://127.0.0.1:4222',
  name: 'bench-nats-echo',
});
const subscription = nc.subscribe(process.env.ECHO_SUBJECT ?? 'bench.echo', { queue: 'echo' });
void (async () => {
  for await (const msg of subscription) msg.respond(reply);
})();
await nc.flush();

// Readiness for the bench harness, which polls HTTP: answered once the subscription is in place.
const http = createServer((_, response) => response.writeHead(200).end('ready'));
http.listen(Number(process.env.PORT ?? 3000), '127.0.0.1');
for (const signal of ['SIGTERM', 'SIGINT'] as const)
  process.once(signal, () => {
    http.close();
    void nc.drain().then(() => process.exit(0));
  });
