-- A BI login (0008) is a Postgres role like any other: a function is executable by PUBLIC unless
-- revoked, and a SECURITY DEFINER one runs with its owner's rights whatever app.* settings its
-- caller has set. Giving a team its built-in source (0005) is the service's runtime role's to do,
-- so a BI session cannot write through it.
revoke all on function analytics.ensure_conduit_metrics(uuid, uuid, uuid, text, text, jsonb) from public;
grant execute on function analytics.ensure_conduit_metrics(uuid, uuid, uuid, text, text, jsonb) to analytics_app;
