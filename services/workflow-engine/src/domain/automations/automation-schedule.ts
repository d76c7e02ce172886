import { parseSchedule } from '@conduit/basic';
import { Cron } from 'croner';

export type CompiledSchedule = { ok: true; cron: string } | { ok: false; message: string };

/**
 * What an automation's `schedule` means: the plain English or five-field cron SET SCHEDULE
 * accepts (@conduit/basic's parser), or a six-field cron whose first field is seconds (for
 * automations made through the API), checked in the given IANA time zone.
 */
export function compileSchedule(schedule: string, timezone: string): CompiledSchedule {
  try {
    new Intl.DateTimeFormat('en', { timeZone: timezone });
  } catch {
    return { ok: false, message: `"${timezone}" is not an IANA time zone (e.g. "Europe/Paris", "UTC")` };
  }
  const fields = schedule.trim().split(/\s+/);
  if (fields.length === 6 && /^[\d*/,-]+$/.test(fields[0]!)) {
    try {
      new Cron(schedule.trim(), { paused: true, timezone }).stop();
      return { ok: true, cron: fields.join(' ') };
    } catch (error) {
      return { ok: false, message: (error as Error).message.replace(/^CronPattern: /, '') };
    }
  }
  const parsed = parseSchedule(schedule);
  return parsed.ok ? parsed : { ok: false, message: parsed.message.replace(/^SET SCHEDULE: /, '') };
}

/** The next tick after now, for `next_run_at`. */
export function nextRunOf(cron: string, timezone: string): Date | null {
  const job = new Cron(cron, { paused: true, timezone });
  const next = job.nextRun();
  job.stop();
  return next;
}
