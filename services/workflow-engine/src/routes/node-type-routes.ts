import { problemResponses, type ServiceApp } from '@conduit/service-kit';
import { z } from 'zod';
import { describeNodeTypes } from '../nodes/catalog.js';

const listing = describeNodeTypes();

/** The node catalog with each type's configuration as JSON Schema; registered behind `authenticate`. */
export function nodeTypeRoutes(app: ServiceApp) {
  app.get(
    '/v1/workflows/node-types',
    {
      schema: {
        tags: ['workflows'],
        security: [{ bearer: [] }],
        summary: 'The node types a workflow may use, with their configuration schemas',
        response: {
          200: z.object({
            items: z.array(
              z.object({
                type: z.string(),
                description: z.string(),
                trigger: z.boolean(),
                configSchema: z.record(z.string(), z.unknown()),
              }),
            ),
          }),
          ...problemResponses(401),
        },
      },
    },
    async () => ({ items: listing }),
  );
}
