// SET SCHEDULE accepts a 5-field cron or plain English; both become a validated 5-field cron at
// compile time, so a bad schedule is a compile error and never a surprise in production.
import { Cron } from 'croner';

export type ScheduleResult = { ok: true; cron: string } | { ok: false; message: string };

const DAYS: Record<string, number> = {
  sunday: 0,
  sun: 0,
  monday: 1,
  mon: 1,
  tuesday: 2,
  tue: 2,
  tues: 2,
  wednesday: 3,
  wed: 3,
  thursday: 4,
  thu: 4,
  thur: 4,
  thurs: 4,
  friday: 5,
  fri: 5,
  saturday: 6,
  sat: 6,
};

const EXAMPLES = '"0 9 * * 1", "every monday at 9am", "every 15 minutes" or "daily at 18:30"';

function validateCron(cron: string): string | null {
  if (cron.split(/\s+/).length !== 5) {
    return `a cron needs exactly 5 fields (minute hour day month weekday), got "${cron}"`;
  }
  try {
    new Cron(cron, { paused: true }).stop();
    return null;
  } catch (e) {
    return (e as Error).message.replace(/^CronPattern: /, '');
  }
}

interface Time {
  hour: number;
  minute: number;
}

/** "9am", "9:30 pm", "18:30", "noon", "midnight". */
function parseTime(text: string): Time | null | 'invalid' {
  if (/\bnoon\b/.test(text)) return { hour: 12, minute: 0 };
  if (/\bmidnight\b/.test(text)) return { hour: 0, minute: 0 };
  const m = /\bat\s+(\d{1,2})(?:[:h.](\d{2}))?\s*(am|pm|a\.m\.|p\.m\.)?/.exec(text);
  if (!m) return null;
  let hour = Number(m[1]);
  const minute = Number(m[2] ?? 0);
  const meridiem = m[3]?.[0];
  if (meridiem) {
    if (hour < 1 || hour > 12) return 'invalid';
    hour = (hour % 12) + (meridiem === 'p' ? 12 : 0);
  }
  if (hour > 23 || minute > 59) return 'invalid';
  return { hour, minute };
}

function parseEnglish(source: string): string | null {
  const text = source.toLowerCase().replace(/[,]/g, ' ').replace(/\s+/g, ' ').trim();
  const time = parseTime(text);
  if (time === 'invalid') return null;
  const at = time ?? { hour: 0, minute: 0 };

  let m = /^every (\d+) minutes?$/.exec(text);
  if (text === 'every minute') return '* * * * *';
  if (m) {
    const n = Number(m[1]);
    if (n < 1 || n > 59) return null;
    return n === 1 ? '* * * * *' : `*/${n} * * * *`;
  }
  m = /^every (\d+) hours?(?: at :?(\d{1,2}))?$/.exec(text);
  if (m) {
    const n = Number(m[1]);
    const minute = Number(m[2] ?? 0);
    if (n < 1 || n > 23 || minute > 59) return null;
    return n === 1 ? `${minute} * * * *` : `${minute} */${n} * * *`;
  }
  m = /^(?:every hour|hourly)(?: at :?(\d{1,2})| at (\d{1,2}) minutes past)?$/.exec(text);
  if (m) {
    const minute = Number(m[1] ?? m[2] ?? 0);
    return minute > 59 ? null : `${minute} * * * *`;
  }

  const rest = text
    .replace(/\bat\s+\S+(\s*(am|pm|a\.m\.|p\.m\.))?/, '')
    .replace(/\b(at )?(noon|midnight)\b/, '')
    .trim();
  const clock = `${at.minute} ${at.hour}`;
  if (/^(every day|daily|each day|everyday)$/.test(rest) || (rest === '' && time)) return `${clock} * * *`;
  if (/^(every weekday|weekdays|on weekdays|every working day)$/.test(rest)) return `${clock} * * 1-5`;
  if (/^(every weekend|weekends|on weekends|every weekend day)$/.test(rest)) return `${clock} * * 0,6`;
  if (/^(every week|weekly)$/.test(rest)) return `${clock} * * 0`;
  m = /^(?:every month|monthly)(?: on(?: the)?(?: day)? (\d{1,2})(?:st|nd|rd|th)?)?$/.exec(rest);
  if (m) {
    const day = Number(m[1] ?? 1);
    return day < 1 || day > 31 ? null : `${clock} ${day} * *`;
  }
  m = /^(?:every|on|each) (.+)$/.exec(rest);
  if (m) {
    const names = (m[1] as string).split(/\s*(?:and|&|\s)\s*/).filter(Boolean);
    const days: number[] = [];
    for (const raw of names) {
      const day = DAYS[raw.replace(/s$/, '')] ?? DAYS[raw];
      if (day === undefined) return null;
      if (!days.includes(day)) days.push(day);
    }
    if (days.length === 0) return null;
    return `${clock} * * ${days.sort((a, b) => a - b).join(',')}`;
  }
  return null;
}

export function parseSchedule(source: string): ScheduleResult {
  const text = source.trim();
  if (
    /^[\d*/,\-A-Za-z?LW#]+(\s+[\d*/,\-A-Za-z?LW#]+){2,}$/.test(text) &&
    /[\d*]/.test(text.split(/\s+/)[0] ?? '')
  ) {
    const problem = validateCron(text);
    return problem ? { ok: false, message: `SET SCHEDULE: ${problem}` } : { ok: true, cron: text };
  }
  const cron = parseEnglish(text);
  if (!cron) {
    return { ok: false, message: `SET SCHEDULE: cannot understand "${source}"; write it like ${EXAMPLES}` };
  }
  const problem = validateCron(cron);
  return problem ? { ok: false, message: `SET SCHEDULE: ${problem}` } : { ok: true, cron };
}
