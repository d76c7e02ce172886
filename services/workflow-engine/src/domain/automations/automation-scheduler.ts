import type { Producer } from '@conduit/jobs';
import { automationSchedulerId, type WorkflowJobs } from '../../jobs/catalog.js';

type AutomationSchedule = {
  id: string;
  ownerUserId: string;
  teamId: string | null;
  cron: string;
  timezone: string;
  active: boolean;
};

/**
 * Makes the queue's job scheduler match an automation: one while it is active, none otherwise. A
 * BullMQ job scheduler adds one job per tick however many workers run, so each tick runs once.
 * Idempotent: called after every change (and again on a redelivered event).
 */
export async function syncAutomationScheduler(jobs: Producer<WorkflowJobs>, automation: AutomationSchedule) {
  if (!automation.active) return jobs.unschedule(automationSchedulerId(automation.id));
  await jobs.schedule(
    automationSchedulerId(automation.id),
    'run-automation',
    { automationId: automation.id, ownerUserId: automation.ownerUserId, teamId: automation.teamId },
    { pattern: automation.cron, tz: automation.timezone },
  );
}

export const removeAutomationScheduler = (jobs: Producer<WorkflowJobs>, automationId: string) =>
  jobs.unschedule(automationSchedulerId(automationId));
