-- An event-driven official template: a follow-up to every new user. Runs as shipped (a test
-- activates it and publishes identity.user.registered).

insert into workflow.workflow_templates (id, name, description, category, template_data, is_official)
values
  ('01970000-0000-7000-8000-000000000007', 'Welcome new users',
   'When someone registers, waits a moment, then writes their welcome message; connect a delivery node (e-mail, HTTP request) after it.',
   'events',
   '{"name": "Welcome new users", "description": "When someone registers, waits a moment, then writes their welcome message; connect a delivery node (e-mail, HTTP request) after it.", "nodes": [{"name": "User registered", "type": "event", "config": {"subject": "identity.user.registered"}}, {"name": "Give them a moment", "type": "wait", "config": {"amount": 2, "unit": "seconds"}}, {"name": "Welcome", "type": "set", "config": {"keepOnlySet": true, "fields": [{"name": "to", "value": "{{ data.email }}"}, {"name": "subject", "value": "{{ \"Welcome, \" & ($exists(data.name) and data.name != null ? data.name : data.username) & \"!\" }}"}, {"name": "userId", "value": "{{ data.userId }}"}]}}, {"name": "Deliver", "type": "no-op", "config": {}}], "connections": [{"source": "User registered", "target": "Give them a moment"}, {"source": "Give them a moment", "target": "Welcome"}, {"source": "Welcome", "target": "Deliver"}]}'::jsonb, true)
on conflict (id) do nothing;
