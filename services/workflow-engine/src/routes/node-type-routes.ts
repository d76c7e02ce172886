import { routeGroup, type ServiceApp } from '@conduit/service-kit';
import { z } from 'zod';
import { describeNodeTypes } from '../nodes/catalog.js';

const listing = describeNodeTypes();

/** The node catalog with each type's configuration as JSON Schema; registered behind `authenticate`. */
export function nodeTypeRoutes(app: ServiceApp) {
  const route = routeGroup(app, { tags: ['workflows'] });
  route.get(
    '/v1/workflows/node-types',
    {
      summary: 'The node types a workflow may use, with their configuration schemas',
      response: z.object({
        items: z.array(
          z.object({
            type: z.string(),
            description: z.string(),
            trigger: z.boolean(),
            configSchema: z.record(z.string(), z.unknown()),
          }),
        ),
      }),
      problems: [401],
    },
    async () => ({ items: listing }),
  );
}
