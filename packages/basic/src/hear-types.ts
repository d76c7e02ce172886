// Validation of HEAR answers. An answer that fits becomes a normalized value (numbers as numbers,
// dates as YYYY-MM-DD, hours as HH:MM, an option in the script's own spelling); one that does not
// fit yields the re-ask message the interpreter TALKs before asking again.
import type { HearType } from './ast.js';
import type { Value } from './values.js';

export type AnswerCheck = { ok: true; value: Value } | { ok: false; reask: string };

const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]{2,}$/;
const YES = new Set(['yes', 'y', 'true', 'sim', 's', 'si', 'ok', 'okay', 'sure', '1', 'yeah', 'yep']);
const NO = new Set(['no', 'n', 'false', 'não', 'nao', '0', 'nope']);

/** "1,234.5", "1.234,5", "1234,5" and "1 234" all read as numbers. */
export function parseLocaleNumber(input: string): number | null {
  let s = input.trim().replace(/\s+/g, '');
  if (!/^[+-]?[\d.,]+$/.test(s) || !/\d/.test(s)) return null;
  const lastComma = s.lastIndexOf(',');
  const lastDot = s.lastIndexOf('.');
  if (lastComma !== -1 && lastDot !== -1) {
    const decimal = lastComma > lastDot ? ',' : '.';
    const thousands = decimal === ',' ? '.' : ',';
    s = s.split(thousands).join('').replace(decimal, '.');
  } else if (lastComma !== -1) {
    const groups = s.split(',');
    // "1,234" and "1,234,567" are thousands; "12,5" is a decimal comma.
    const thousands =
      groups.length > 2 || (groups[1]?.length === 3 && (groups[0]?.replace(/^[+-]/, '').length ?? 0) <= 3);
    s = thousands ? groups.join('') : s.replace(',', '.');
  } else if ((s.match(/\./g) ?? []).length > 1) {
    s = s.split('.').join('');
  }
  if (!/^[+-]?(\d+\.?\d*|\.\d+)$/.test(s)) return null;
  const n = Number(s);
  return Number.isFinite(n) ? n : null;
}

function validDate(y: number, m: number, d: number): string | null {
  const date = new Date(Date.UTC(y, m - 1, d));
  if (date.getUTCFullYear() !== y || date.getUTCMonth() !== m - 1 || date.getUTCDate() !== d) return null;
  return `${String(y).padStart(4, '0')}-${String(m).padStart(2, '0')}-${String(d).padStart(2, '0')}`;
}

/** ISO (2025-03-31) or day first (31/03/2025, 31.03.2025); month first only when the day is > 12. */
export function parseDateAnswer(input: string, today: Date): string | null {
  const s = input.trim().toLowerCase();
  const offset = s === 'today' || s === 'hoje' ? 0 : s === 'tomorrow' || s === 'amanhã' ? 1 : null;
  if (offset !== null) {
    const d = new Date(today.getFullYear(), today.getMonth(), today.getDate() + offset);
    return validDate(d.getFullYear(), d.getMonth() + 1, d.getDate());
  }
  let m = /^(\d{4})-(\d{1,2})-(\d{1,2})$/.exec(s);
  if (m) return validDate(Number(m[1]), Number(m[2]), Number(m[3]));
  m = /^(\d{1,2})[/.-](\d{1,2})[/.-](\d{2}|\d{4})$/.exec(s);
  if (!m) return null;
  let a = Number(m[1]);
  let b = Number(m[2]);
  const y = (m[3] as string).length === 2 ? 2000 + Number(m[3]) : Number(m[3]);
  if (b > 12 && a <= 12) [a, b] = [b, a];
  return validDate(y, b, a);
}

/** "14:30", "2pm", "2:30 PM", "14h30", "9" -> "HH:MM". */
export function parseHourAnswer(input: string): string | null {
  const m = /^(\d{1,2})(?:\s*[:h.]\s*(\d{2}))?\s*(am|pm|a\.m\.|p\.m\.)?$/.exec(input.trim().toLowerCase());
  if (!m) return null;
  let hour = Number(m[1]);
  const minute = Number(m[2] ?? 0);
  if (m[3]) {
    if (hour < 1 || hour > 12) return null;
    hour = (hour % 12) + (m[3].startsWith('p') ? 12 : 0);
  }
  if (hour > 23 || minute > 59) return null;
  return `${String(hour).padStart(2, '0')}:${String(minute).padStart(2, '0')}`;
}

export function checkAnswer(
  answer: string,
  type: HearType,
  options: string[] | null,
  today: Date,
): AnswerCheck {
  const text = answer.trim();
  if (options) {
    const lower = text.toLowerCase();
    const match = options.find((o) => o.toLowerCase() === lower);
    if (match !== undefined) return { ok: true, value: match };
    const n = Number(text);
    if (Number.isInteger(n) && n >= 1 && n <= options.length)
      return { ok: true, value: options[n - 1] as string };
    return { ok: false, reask: `Please choose one of: ${options.join(', ')}.` };
  }
  switch (type) {
    case 'STRING':
      return text ? { ok: true, value: text } : { ok: false, reask: 'Please type an answer.' };
    case 'NUMBER': {
      const n = parseLocaleNumber(text);
      return n === null
        ? { ok: false, reask: 'Please answer with a number, for example 42 or 3.5.' }
        : { ok: true, value: n };
    }
    case 'INTEGER': {
      const n = parseLocaleNumber(text);
      return n === null || !Number.isInteger(n)
        ? { ok: false, reask: 'Please answer with a whole number, for example 3.' }
        : { ok: true, value: n };
    }
    case 'BOOLEAN': {
      const lower = text.toLowerCase();
      if (YES.has(lower)) return { ok: true, value: true };
      if (NO.has(lower)) return { ok: true, value: false };
      return { ok: false, reask: 'Please answer yes or no.' };
    }
    case 'EMAIL':
      return EMAIL.test(text)
        ? { ok: true, value: text }
        : { ok: false, reask: 'Please type a valid email address, like name@example.com.' };
    case 'DATE': {
      const d = parseDateAnswer(text, today);
      return d
        ? { ok: true, value: d }
        : { ok: false, reask: 'Please type a valid date, like 31/12/2025 or 2025-12-31.' };
    }
    case 'HOUR': {
      const h = parseHourAnswer(text);
      return h ? { ok: true, value: h } : { ok: false, reask: 'Please type a time, like 14:30 or 2pm.' };
    }
    case 'MONEY': {
      const amount = text
        .replace(/^(R\$|US\$|\$|€|£|¥|[A-Z]{3})\s*/i, '')
        .replace(/\s*(\$|€|£|¥|[A-Z]{3})$/i, '');
      const n = parseLocaleNumber(amount);
      return n === null
        ? { ok: false, reask: 'Please type an amount, like 1250.00 or $1,250.00.' }
        : { ok: true, value: Math.round(n * 100) / 100 };
    }
    case 'MOBILE': {
      const digits = text.replace(/\D/g, '');
      const wellFormed = /^\+?[\d\s().-]+$/.test(text);
      return wellFormed && digits.length >= 8 && digits.length <= 15
        ? { ok: true, value: (text.startsWith('+') ? '+' : '') + digits }
        : { ok: false, reask: 'Please type a mobile number with area code, like +1 555 123 4567.' };
    }
    case 'ZIPCODE': {
      const upper = text.toUpperCase();
      const fits =
        /^\d{5}(-\d{4})?$/.test(upper) || // US
        /^\d{5}-?\d{3}$/.test(upper) || // Brazil (CEP)
        /^[A-Z]{1,2}\d[A-Z\d]? ?\d[A-Z]{2}$/.test(upper) || // UK
        /^[A-Z]\d[A-Z] ?\d[A-Z]\d$/.test(upper) || // Canada
        /^\d{4}(-\d{3})?$/.test(upper); // Portugal, many 4-digit countries
      return fits
        ? { ok: true, value: upper }
        : { ok: false, reask: 'Please type a valid postal code, like 90210 or 01310-100.' };
    }
  }
}
