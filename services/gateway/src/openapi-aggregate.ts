import { Agent, request } from 'undici';
import type { ServiceName, Upstream } from './routing.js';

type OpenApiDocument = {
  openapi: string;
  info: Record<string, unknown>;
  paths: Record<string, unknown>;
  components?: { schemas?: Record<string, unknown>; securitySchemes?: Record<string, unknown> };
  tags?: { name: string }[];
};

/**
 * The public API as one OpenAPI document: each service's own document, reduced to the paths the
 * gateway routes to it. Fetched on demand and cached briefly; a service that is down is listed in
 * the description instead of failing the whole page.
 */
export class OpenApiAggregate {
  private cached: OpenApiDocument | undefined;
  private fetchedAt = 0;
  private readonly agent = new Agent({ connect: { timeout: 2000 } });

  constructor(
    private readonly services: Record<ServiceName, string>,
    private readonly routes: Upstream[],
  ) {}

  current(): OpenApiDocument {
    return this.cached ?? this.empty();
  }

  async refresh(maxAgeMs = 30_000): Promise<OpenApiDocument> {
    if (this.cached && Date.now() - this.fetchedAt < maxAgeMs) return this.cached;
    const merged = this.empty();
    const missing: string[] = [];
    for (const [service, origin] of Object.entries(this.services) as [ServiceName, string][]) {
      try {
        const res = await request(`${origin}/openapi.json`, {
          dispatcher: this.agent,
          headersTimeout: 2000,
          bodyTimeout: 2000,
        });
        const doc = (await res.body.json()) as OpenApiDocument;
        // OpenAPI writes a path parameter `{botId}` where the router's prefix has `:botId`.
        const owned = this.routes
          .filter((route) => route.service === service)
          .map((route) => route.prefix.replace(/:(\w+)/g, '{$1}'));
        for (const [path, item] of Object.entries(doc.paths ?? {})) {
          if (owned.some((prefix) => path === prefix || path.startsWith(`${prefix}/`)))
            merged.paths[path] = item;
        }
        Object.assign(merged.components!.schemas!, doc.components?.schemas ?? {});
        Object.assign(merged.components!.securitySchemes!, doc.components?.securitySchemes ?? {});
      } catch {
        missing.push(service);
      }
    }
    if (missing.length)
      merged.info.description = `${merged.info.description} Not reachable now, so not listed: ${missing.join(', ')}.`;
    this.cached = merged;
    this.fetchedAt = missing.length ? 0 : Date.now();
    return merged;
  }

  private empty(): OpenApiDocument {
    return {
      openapi: '3.1.0',
      info: {
        title: 'Conduit API',
        version: '1',
        description: 'The public API of a Conduit cluster, served through its gateway.',
      },
      paths: {},
      components: { schemas: {}, securitySchemes: {} },
    };
  }

  close() {
    return this.agent.close();
  }
}
