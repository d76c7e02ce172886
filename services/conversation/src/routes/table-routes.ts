import { Readable } from 'node:stream';
import { requireActor } from '@conduit/auth';
import { pageOf, pageQuery, readableText, storableJsonObject, storableText } from '@conduit/contracts';
import { routeGroup, type ServiceApp } from '@conduit/service-kit';
import { z } from 'zod';
import type { ConversationDeps } from '../deps.js';
import { botParams } from '../domain/bots/bot-dto.js';
import {
  addRow,
  createTable,
  deleteRow,
  deleteTable,
  getRow,
  listRows,
  listTables,
  updateRow,
} from '../domain/tables/manage-tables.js';
import { exportTableCsv, importTableCsv } from '../domain/tables/table-csv.js';
import { MAX_ROW_BYTES } from '../domain/tables/table-store.js';

const tags = ['tables'];
const tableDto = z.object({ name: z.string(), rows: z.int(), createdAt: z.string(), updatedAt: z.string() });
const rowData = storableJsonObject({ maxDepth: 32, maxBytes: MAX_ROW_BYTES });
const rowDto = z.object({
  id: z.uuid(),
  key: z.string().nullable(),
  data: z.record(z.string(), z.unknown()),
  createdAt: z.string(),
  updatedAt: z.string(),
});
// The name is checked by the domain (letters, digits, _ and -), which says why it refuses one.
const tableParams = botParams.extend({ table: readableText(100) });
const rowParams = tableParams.extend({ rowId: z.uuid() });

/** A bot's tables (what its scripts SAVE, INSERT and FIND), their rows, and CSV import / export. */
export function tableRoutes(app: ServiceApp, deps: ConversationDeps) {
  const route = routeGroup(app, { tags });
  route.get(
    '/v1/bots/:botId/tables',
    {
      summary: "A bot's tables, by name, with their row counts",
      params: botParams,
      querystring: pageQuery,
      response: pageOf(tableDto),
      problems: [400, 401, 404],
    },
    (request) => listTables(deps, requireActor(request), request.params.botId, request.query),
  );
  route.post(
    '/v1/bots/:botId/tables',
    {
      summary: 'Create an empty table (owners; team owners and admins)',
      params: botParams,
      body: z.object({ name: readableText(100) }),
      status: 201,
      response: tableDto,
      problems: [400, 401, 403, 404, 409, 422],
    },
    (request) => createTable(deps, requireActor(request), request.params.botId, request.body.name),
  );
  route.delete(
    '/v1/bots/:botId/tables/:table',
    {
      summary: 'Delete a table and its rows',
      params: tableParams,
      status: 204,
      problems: [400, 401, 403, 404, 422],
    },
    (request) => deleteTable(deps, requireActor(request), request.params.botId, request.params.table),
  );
  route.get(
    '/v1/bots/:botId/tables/:table/rows',
    {
      summary: 'Rows of a table, oldest first; `filter` as scripts write it ("stage=won AND total>100")',
      params: tableParams,
      querystring: pageQuery.extend({ filter: storableText(2000).optional() }),
      response: pageOf(rowDto),
      problems: [400, 401, 404, 422],
    },
    (request) =>
      listRows(deps, requireActor(request), request.params.botId, request.params.table, request.query),
  );
  route.post(
    '/v1/bots/:botId/tables/:table/rows',
    {
      summary: 'Add a row; with a key, merge into the row of that key (as SAVE does)',
      params: tableParams,
      body: z.object({ key: storableText(1000).nullable().optional(), data: rowData }),
      status: 201,
      response: rowDto,
      problems: [400, 401, 403, 404, 413, 422],
    },
    (request) =>
      addRow(deps, requireActor(request), request.params.botId, request.params.table, request.body),
  );
  route.get(
    '/v1/bots/:botId/tables/:table/rows/:rowId',
    { summary: 'One row', params: rowParams, response: rowDto, problems: [400, 401, 404, 422] },
    (request) =>
      getRow(deps, requireActor(request), request.params.botId, request.params.table, request.params.rowId),
  );
  route.patch(
    '/v1/bots/:botId/tables/:table/rows/:rowId',
    {
      summary: 'Change a row: `data` replaces its columns, or with `merge` adds to them',
      params: rowParams,
      body: z.object({ data: rowData, merge: z.boolean().optional() }),
      response: rowDto,
      problems: [400, 401, 403, 404, 413, 422],
    },
    (request) =>
      updateRow(
        deps,
        requireActor(request),
        request.params.botId,
        request.params.table,
        request.params.rowId,
        request.body,
      ),
  );
  route.delete(
    '/v1/bots/:botId/tables/:table/rows/:rowId',
    { summary: 'Delete a row', params: rowParams, status: 204, problems: [400, 401, 403, 404, 422] },
    (request) =>
      deleteRow(
        deps,
        requireActor(request),
        request.params.botId,
        request.params.table,
        request.params.rowId,
      ),
  );
  route.get(
    '/v1/bots/:botId/tables/:table/csv',
    {
      summary: 'Export a table as CSV (a header of its columns, then its rows), streamed',
      params: tableParams,
      response: z.string(),
      problems: [400, 401, 404, 422],
    },
    async (request, reply) => {
      const { botId, table } = request.params;
      const chunks = await exportTableCsv(deps, requireActor(request), botId, table);
      return reply
        .type('text/csv; charset=utf-8')
        .header('content-disposition', `attachment; filename="${table.replace(/[^\w-]/g, '_')}.csv"`)
        .send(Readable.from(chunks));
    },
  );
  route.post(
    '/v1/bots/:botId/tables/:table/csv',
    {
      summary:
        'Import CSV rows (Content-Type text/csv, a header row first); `key` upserts by that column, `replace` empties the table first',
      params: tableParams,
      querystring: z.object({
        key: readableText(200).optional(),
        replace: z.enum(['true', 'false']).optional(),
      }),
      body: storableText(1_048_576),
      response: z.object({ table: z.string(), imported: z.int() }),
      problems: [400, 401, 403, 404, 413, 415, 422],
    },
    (request) =>
      importTableCsv(deps, requireActor(request), request.params.botId, request.params.table, request.body, {
        ...(request.query.key !== undefined && { key: request.query.key }),
        replace: request.query.replace === 'true',
      }),
  );
}
