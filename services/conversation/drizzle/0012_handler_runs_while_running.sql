-- A handler's run is recorded when it starts (status 'running') and completed when it ends, so a
-- process killed in the middle of one still leaves its record. `deadline_at` is when a run still
-- 'running' can no longer be: its script's time limit plus a margin; past it, the run is read as
-- interrupted (its process died). Runs recorded before this migration had ended: no deadline.
alter table conversation.bot_handler_runs drop constraint if exists bot_handler_runs_status_check;
alter table conversation.bot_handler_runs
  add constraint bot_handler_runs_status_check check (status in ('running', 'succeeded', 'failed'));
alter table conversation.bot_handler_runs alter column finished_at drop not null;
alter table conversation.bot_handler_runs add column if not exists deadline_at timestamptz;
