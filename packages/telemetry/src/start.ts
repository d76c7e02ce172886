import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { NodeSDK } from '@opentelemetry/sdk-node';
import { BatchSpanProcessor, type SpanProcessor } from '@opentelemetry/sdk-trace-base';

export interface Telemetry {
  shutdown(): Promise<void>;
}

/**
 * Starts OpenTelemetry for one process. Conduit creates its spans itself (HTTP server and client,
 * NATS publish and consume, BullMQ jobs), so no monkey-patching instrumentation is loaded and the
 * order of imports does not matter. Without an OTLP endpoint spans are still created, so trace ids
 * propagate through logs, NATS headers and jobs; they are just not exported anywhere.
 */
export function startTelemetry(options: {
  serviceName: string;
  otlpEndpoint?: string | undefined;
}): Telemetry {
  const spanProcessors: SpanProcessor[] = options.otlpEndpoint
    ? [
        new BatchSpanProcessor(
          new OTLPTraceExporter({ url: `${options.otlpEndpoint.replace(/\/$/, '')}/v1/traces` }),
        ),
      ]
    : [];
  const sdk = new NodeSDK({
    serviceName: options.serviceName,
    spanProcessors,
    instrumentations: [],
    textMapPropagator: new W3CTraceContextPropagator(),
    autoDetectResources: false,
  });
  sdk.start();
  return { shutdown: () => sdk.shutdown() };
}
