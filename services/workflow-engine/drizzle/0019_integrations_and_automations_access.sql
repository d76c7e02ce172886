-- Integrations catalog, connections and bot automations: row-level security (enabled and forced)
-- and the catalog's first entries.
--
-- The catalog is read by anyone signed in and changed by platform admins only. A connection is
-- read by its owner, its team's members and the teams it is shared with (whose workflows use it
-- without seeing its secrets, which the service never answers anyway); changed by its owner, its
-- team's writers and platform admins. An automation belongs to its bot's owner (personal bot) or
-- team: the service acts with only the teams the caller owns or administers as writable, so a
-- team member who is neither sees no team automation; its runs follow it.

alter table workflow.integrations enable row level security;
alter table workflow.integrations force row level security;
create policy integrations_read on workflow.integrations for select
  using (workflow.current_user_id() is not null or workflow.is_platform_admin());
create policy integrations_change on workflow.integrations for all
  using (workflow.is_platform_admin())
  with check (workflow.is_platform_admin());

alter table workflow.user_integrations enable row level security;
alter table workflow.user_integrations force row level security;
create policy user_integrations_read on workflow.user_integrations for select
  using (
    user_id = workflow.current_user_id()
    or team_id = any (workflow.current_team_ids())
    or shared_team_ids && workflow.current_team_ids()
    or workflow.is_platform_admin()
  );
create policy user_integrations_change on workflow.user_integrations for all
  using (
    user_id = workflow.current_user_id()
    or team_id = any (workflow.current_writable_team_ids())
    or workflow.is_platform_admin()
  )
  with check (
    user_id = workflow.current_user_id()
    or team_id = any (workflow.current_writable_team_ids())
    or workflow.is_platform_admin()
  );

alter table workflow.system_automations enable row level security;
alter table workflow.system_automations force row level security;
create policy system_automations_owner on workflow.system_automations for all
  using (
    (team_id is null and owner_user_id = workflow.current_user_id())
    or team_id = any (workflow.current_writable_team_ids())
    or workflow.is_platform_admin()
  )
  with check (
    (team_id is null and owner_user_id = workflow.current_user_id())
    or team_id = any (workflow.current_writable_team_ids())
    or workflow.is_platform_admin()
  );

alter table workflow.automation_runs enable row level security;
alter table workflow.automation_runs force row level security;
create policy automation_runs_follow on workflow.automation_runs for all
  using (automation_id in (select id from workflow.system_automations))
  with check (automation_id in (select id from workflow.system_automations));

-- The catalog's first entries: what the node catalog and automations can use. Secret fields are
-- marked writeOnly; `baseUrl` bounds where a connection's authorization may be sent.
insert into workflow.integrations (id, key, name, category, description, kind, config_schema) values
('01935c2e-0000-7000-8000-000000000001', 'http-bearer', 'HTTP with a bearer token', 'http',
 'Any HTTP API that takes "Authorization: Bearer <token>".', 'http-bearer',
 '{"type":"object","additionalProperties":false,"required":["baseUrl","token"],"properties":{"baseUrl":{"type":"string","format":"uri","pattern":"^https?://","maxLength":2000},"token":{"type":"string","minLength":1,"maxLength":4000,"writeOnly":true},"testPath":{"type":"string","pattern":"^/","maxLength":500}}}'),
('01935c2e-0000-7000-8000-000000000002', 'http-basic', 'HTTP with basic auth', 'http',
 'Any HTTP API that takes a user name and password (Authorization: Basic).', 'http-basic',
 '{"type":"object","additionalProperties":false,"required":["baseUrl","username","password"],"properties":{"baseUrl":{"type":"string","format":"uri","pattern":"^https?://","maxLength":2000},"username":{"type":"string","minLength":1,"maxLength":500},"password":{"type":"string","maxLength":1000,"writeOnly":true},"testPath":{"type":"string","pattern":"^/","maxLength":500}}}'),
('01935c2e-0000-7000-8000-000000000003', 'http-api-key', 'HTTP with an API key header', 'http',
 'Any HTTP API that takes a key in a header of its choosing (X-Api-Key, ...).', 'http-api-key',
 '{"type":"object","additionalProperties":false,"required":["baseUrl","header","apiKey"],"properties":{"baseUrl":{"type":"string","format":"uri","pattern":"^https?://","maxLength":2000},"header":{"type":"string","pattern":"^[A-Za-z0-9-]{1,100}$"},"apiKey":{"type":"string","minLength":1,"maxLength":4000,"writeOnly":true},"testPath":{"type":"string","pattern":"^/","maxLength":500}}}'),
('01935c2e-0000-7000-8000-000000000004', 'chat-webhook', 'Incoming-webhook chat destination', 'chat',
 'A Slack, Mattermost or Teams incoming webhook: its URL is the secret.', 'chat-webhook',
 '{"type":"object","additionalProperties":false,"required":["flavor","url"],"properties":{"flavor":{"type":"string","enum":["slack","mattermost","teams"]},"url":{"type":"string","format":"uri","pattern":"^https?://","maxLength":2000,"writeOnly":true}}}'),
('01935c2e-0000-7000-8000-000000000005', 'smtp', 'SMTP server', 'mail',
 'Sends mail through an SMTP server (STARTTLS or TLS).', 'smtp',
 '{"type":"object","additionalProperties":false,"required":["host","port","from"],"properties":{"host":{"type":"string","minLength":1,"maxLength":253,"pattern":"^[A-Za-z0-9.:\\[\\]-]+$"},"port":{"type":"integer","minimum":1,"maximum":65535},"secure":{"type":"boolean"},"username":{"type":"string","maxLength":500},"password":{"type":"string","maxLength":1000,"writeOnly":true},"from":{"type":"string","format":"email","maxLength":320}}}'),
('01935c2e-0000-7000-8000-000000000006', 'openai-compatible', 'OpenAI-compatible endpoint', 'ai',
 'An OpenAI-compatible API (OpenAI, a local server, a gateway): base URL and API key.', 'openai-compatible',
 '{"type":"object","additionalProperties":false,"required":["baseUrl","apiKey"],"properties":{"baseUrl":{"type":"string","format":"uri","pattern":"^https?://","maxLength":2000},"apiKey":{"type":"string","minLength":1,"maxLength":4000,"writeOnly":true},"model":{"type":"string","maxLength":200}}}')
on conflict (key) do nothing;
