import type { AlertCondition, AlertNotice } from '../../../db/delivery-schema.js';
import type { ChartBound, ChartData } from '../charts/chart-spec.js';
import { escapeHtml } from '../deliveries/format-result.js';

/** A condition the latest window broke, with what was seen. */
export interface Breach {
  column: string;
  value: number | null;
  previous?: number | null;
  changePercent?: number;
  lower?: number;
  upper?: number;
  reason: 'below' | 'above' | 'changed';
}

export interface Evaluation {
  breaches: Breach[];
  /** Each condition's column in the latest window. */
  values: Record<string, number | null>;
  /** Conditions naming a column the result does not have (the exploration changed). */
  missing: string[];
}

const numberOf = (value: unknown) => (typeof value === 'number' && Number.isFinite(value) ? value : null);

/**
 * Reads the latest window of a result (its last row in time order, or its only row) against each
 * condition: lower/upper bounds on the value, or a change against the previous window of at least
 * `changePercent` either way (not judged when the previous window is empty or zero).
 */
export function evaluateConditions(data: ChartData, conditions: AlertCondition[]): Evaluation {
  const time = data.columns.find((c) => c.type === 'time');
  const rows = time
    ? [...data.rows].sort((a, b) => String(a[time.name] ?? '').localeCompare(String(b[time.name] ?? '')))
    : data.rows;
  const current = rows.at(-1);
  const previous = rows.at(-2);
  const names = new Set(data.columns.map((c) => c.name));
  const evaluation: Evaluation = { breaches: [], values: {}, missing: [] };
  for (const condition of conditions) {
    if (!names.has(condition.column)) {
      evaluation.missing.push(condition.column);
      continue;
    }
    const value = numberOf(current?.[condition.column]);
    evaluation.values[condition.column] = value;
    if (value === null) continue;
    if (condition.lower !== undefined && value < condition.lower)
      evaluation.breaches.push({ column: condition.column, value, lower: condition.lower, reason: 'below' });
    else if (condition.upper !== undefined && value > condition.upper)
      evaluation.breaches.push({ column: condition.column, value, upper: condition.upper, reason: 'above' });
    if (condition.changePercent !== undefined) {
      const before = numberOf(previous?.[condition.column]);
      if (before === null || before === 0) continue;
      const change = ((value - before) / Math.abs(before)) * 100;
      if (Math.abs(change) >= condition.changePercent)
        evaluation.breaches.push({
          column: condition.column,
          value,
          previous: before,
          changePercent: Math.round(change * 100) / 100,
          reason: 'changed',
        });
    }
  }
  return evaluation;
}

/** The bounds an alert's chart draws. */
export const boundsOf = (conditions: AlertCondition[]): ChartBound[] =>
  conditions
    .filter((c) => c.lower !== undefined || c.upper !== undefined)
    .map((c) => ({ column: c.column, lower: c.lower ?? null, upper: c.upper ?? null }));

export interface AlertState {
  state: 'ok' | 'firing';
  lastNotifiedAt: Date | null;
  reminderIntervalSeconds: number | null;
}

/**
 * What an evaluation does to an alert: out of bounds while ok fires it (one delivery); while
 * firing it stays quiet, unless a reminder interval has passed since the last delivery; back in
 * bounds while firing resolves it (one delivery); in bounds while ok does nothing.
 */
export function nextAlertState(
  alert: AlertState,
  breached: boolean,
  now: Date,
): { state: 'ok' | 'firing'; notice: AlertNotice | null } {
  if (breached && alert.state === 'ok') return { state: 'firing', notice: 'fired' };
  if (!breached && alert.state === 'firing') return { state: 'ok', notice: 'resolved' };
  if (breached && alert.reminderIntervalSeconds !== null) {
    const since = alert.lastNotifiedAt
      ? now.getTime() - alert.lastNotifiedAt.getTime()
      : Number.POSITIVE_INFINITY;
    if (since >= alert.reminderIntervalSeconds * 1000) return { state: 'firing', notice: 'reminder' };
  }
  return { state: alert.state, notice: null };
}

/** The breaches in words, as a mail's first lines (HTML). */
export function breachSummary(breaches: Breach[]): string {
  if (breaches.length === 0) return '<p>Every condition holds.</p>';
  const lines = breaches.map((b) => {
    const what =
      b.reason === 'below'
        ? `${b.value} is below ${b.lower}`
        : b.reason === 'above'
          ? `${b.value} is above ${b.upper}`
          : `${b.value} changed ${b.changePercent}% from ${b.previous}`;
    return `<li>${escapeHtml(b.column)}: ${escapeHtml(what)}</li>`;
  });
  return `<ul>${lines.join('')}</ul>`;
}
