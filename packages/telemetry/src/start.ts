import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { NodeSDK } from '@opentelemetry/sdk-node';
import { BatchSpanProcessor } from '@opentelemetry/sdk-trace-base';

export interface Telemetry {
  shutdown(): Promise<void>;
}

/**
 * Starts OpenTelemetry for one process when it has somewhere to send spans (an OTLP endpoint).
 * Conduit creates its spans itself (HTTP server and client, NATS publish and consume, BullMQ
 * jobs), so no monkey-patching instrumentation is loaded and the order of imports does not matter.
 *
 * Without an endpoint nothing starts: the SDK would record no span then (it registers no tracer
 * without a processor), yet its context manager, AsyncLocalStorage on async hooks in Node 20,
 * taxes every promise of the process: up to half more CPU per request on a bare proxy hop
 * (docs/benchmarks.md, issue 17). Spans are then no-ops, and trace context is neither read nor written.
 */
export function startTelemetry(options: {
  serviceName: string;
  otlpEndpoint?: string | undefined;
}): Telemetry {
  if (!options.otlpEndpoint) return { shutdown: async () => {} };
  const sdk = new NodeSDK({
    serviceName: options.serviceName,
    spanProcessors: [
      new BatchSpanProcessor(
        new OTLPTraceExporter({ url: `${options.otlpEndpoint.replace(/\/$/, '')}/v1/traces` }),
      ),
    ],
    instrumentations: [],
    textMapPropagator: new W3CTraceContextPropagator(),
    autoDetectResources: false,
  });
  sdk.start();
  return { shutdown: () => sdk.shutdown() };
}
