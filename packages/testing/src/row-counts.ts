import type postgres from 'postgres';

/**
 * How many rows each table of the given schemas holds, as `{ "schema.table": count }`: taken before
 * and after a run of refused requests, it shows that nothing was stored. Needs the owner connection
 * (row-level security would hide rows from the runtime role).
 */
export async function countRows(sql: postgres.Sql, schemas: string[]): Promise<Record<string, number>> {
  const tables = await sql<{ name: string }[]>`
    select format('%I.%I', table_schema, table_name) as name
    from information_schema.tables
    where table_schema in ${sql(schemas)} and table_type = 'BASE TABLE'
    order by 1`;
  if (tables.length === 0) return {};
  // One round trip: a count per table, by name (names come from the catalog, quoted by format()).
  const rows = await sql.unsafe<{ name: string; count: number }[]>(
    tables
      .map(
        ({ name }) => `select '${name.replaceAll("'", "''")}' as name, count(*)::int as count from ${name}`,
      )
      .join(' union all '),
  );
  const counts: Record<string, number> = {};
  for (const row of rows) counts[row.name] = row.count;
  return counts;
}
