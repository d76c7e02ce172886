import { describe, expect, it } from 'vitest';
import { evaluateConditions, nextAlertState } from '../../src/domain/metrics/alerts/alert-conditions.js';
import { checkSchedule } from '../../src/domain/metrics/deliveries/delivery-schedule.js';
import { toCsv, toHtmlTable } from '../../src/domain/metrics/deliveries/format-result.js';
import { MAIL_ROWS, mailContent } from '../../src/domain/metrics/deliveries/mail-content.js';
import { signWebhook, verifyWebhook } from '../../src/domain/metrics/deliveries/webhook-signature.js';
import { matchesVerifier, scramVerifier } from '../../src/domain/metrics/sql-credentials/scram-verifier.js';

const series = {
  columns: [
    { name: 'o.day', type: 'time' as const, title: 'Day' },
    { name: 'o.count', type: 'number' as const, title: 'Orders' },
  ],
  // Out of time order on purpose: the latest window is the latest day, not the last row.
  rows: [
    { 'o.day': '2026-01-03T00:00:00.000Z', 'o.count': 150 },
    { 'o.day': '2026-01-01T00:00:00.000Z', 'o.count': 90 },
    { 'o.day': '2026-01-02T00:00:00.000Z', 'o.count': 100 },
  ],
};

describe('alert conditions', () => {
  it('reads the latest window against bounds and against the previous window', () => {
    expect(evaluateConditions(series, [{ column: 'o.count', upper: 120 }]).breaches).toEqual([
      { column: 'o.count', value: 150, upper: 120, reason: 'above' },
    ]);
    expect(evaluateConditions(series, [{ column: 'o.count', lower: 10, upper: 200 }]).breaches).toEqual([]);
    expect(evaluateConditions(series, [{ column: 'o.count', changePercent: 50 }]).breaches).toEqual([
      { column: 'o.count', value: 150, previous: 100, changePercent: 50, reason: 'changed' },
    ]);
    expect(evaluateConditions(series, [{ column: 'o.count', changePercent: 51 }]).breaches).toEqual([]);
    expect(evaluateConditions(series, [{ column: 'o.other', lower: 1 }]).missing).toEqual(['o.other']);
  });

  it('fires once, stays quiet, reminds when asked, and resolves once', () => {
    const t0 = new Date('2026-01-01T00:00:00Z');
    const later = (s: number) => new Date(t0.getTime() + s * 1000);
    const ok = { state: 'ok' as const, lastNotifiedAt: null, reminderIntervalSeconds: null };
    expect(nextAlertState(ok, true, t0)).toEqual({ state: 'firing', notice: 'fired' });
    const firing = { state: 'firing' as const, lastNotifiedAt: t0, reminderIntervalSeconds: null };
    expect(nextAlertState(firing, true, later(86_400))).toEqual({ state: 'firing', notice: null });
    expect(nextAlertState(firing, false, later(10))).toEqual({ state: 'ok', notice: 'resolved' });
    expect(nextAlertState(ok, false, t0)).toEqual({ state: 'ok', notice: null });
    const reminding = { ...firing, reminderIntervalSeconds: 3600 };
    expect(nextAlertState(reminding, true, later(3599))).toEqual({ state: 'firing', notice: null });
    expect(nextAlertState(reminding, true, later(3600))).toEqual({ state: 'firing', notice: 'reminder' });
  });
});

describe('formats', () => {
  it('writes CSV with quoting and formula cells made text, and an escaped HTML table', () => {
    const data = {
      columns: [
        { name: 'a', type: 'string' as const, title: 'Name, full' },
        { name: 'b', type: 'number' as const, title: 'N' },
      ],
      rows: [
        { a: 'say "hi"', b: 1 },
        { a: '=HYPERLINK("x")', b: null },
        { a: '<script>', b: -2 },
      ],
    };
    expect(toCsv(data)).toBe('"Name, full",N\r\n"say ""hi""",1\r\n"\'=HYPERLINK(""x"")",\r\n<script>,-2\r\n');
    const html = toHtmlTable(data, 'T & co');
    expect(html).toContain('<caption>T &amp; co</caption>');
    expect(html).toContain('<td>&lt;script&gt;</td>');
    expect(html).not.toContain('<script>');
  });
});

describe('webhook signatures', () => {
  it('verifies its own signature, and refuses another secret, another body or an old one', () => {
    const at = new Date('2026-01-01T00:00:00Z');
    const header = signWebhook('whsec_a', '{"x":1}', at);
    expect(header).toMatch(/^t=\d+,v1=[0-9a-f]{64}$/);
    expect(verifyWebhook('whsec_a', '{"x":1}', header, { now: at })).toBe(true);
    expect(verifyWebhook('whsec_b', '{"x":1}', header, { now: at })).toBe(false);
    expect(verifyWebhook('whsec_a', '{"x":2}', header, { now: at })).toBe(false);
    expect(verifyWebhook('whsec_a', '{"x":1}', header, { now: new Date(at.getTime() + 600_000) })).toBe(
      false,
    );
    expect(verifyWebhook('whsec_a', '{"x":1}', undefined, { now: at })).toBe(false);
  });
});

describe('SCRAM verifiers', () => {
  it('matches the RFC 7677 example', () => {
    // RFC 7677 §3: user "user", password "pencil", salt W22ZaJ0SNY7soEsUEjb6gQ==, 4096 iterations.
    const verifier = scramVerifier('pencil', Buffer.from('W22ZaJ0SNY7soEsUEjb6gQ==', 'base64'), 4096);
    expect(verifier).toBe(
      'SCRAM-SHA-256$4096:W22ZaJ0SNY7soEsUEjb6gQ==$WG5d8oPm3OtcPnkdi4Uo7BkeZkBFzpcXkuLmtbsT4qY=:wfPLwcE6nTWhTAmQ7tl2KeoiWGPlZqQxSrmfPwDl2dU=',
    );
    expect(matchesVerifier('pencil', verifier)).toBe(true);
    expect(matchesVerifier('pencils', verifier)).toBe(false);
  });
});

describe('mail of a result', () => {
  const many = (count: number, width: number) => ({
    columns: [
      { name: 'n', type: 'number' as const, title: 'N' },
      { name: 's', type: 'string' as const, title: 'S' },
    ],
    rows: Array.from({ length: count }, (_, i) => ({ n: i, s: 'é'.repeat(width) })),
  });
  const size = (mail: { html: string; text: string; chartPng?: Buffer }) =>
    Buffer.byteLength(JSON.stringify({ ...mail, chartPng: mail.chartPng?.toString('base64') }));

  it('holds every row of a small result, with no note', () => {
    const mail = mailContent(many(3, 5), { title: 'T' });
    expect(mail.html).toBe(toHtmlTable(many(3, 5), 'T'));
    expect(mail.text).toBe(toCsv(many(3, 5)));
  });

  it(`holds at most ${MAIL_ROWS} rows and says how many more there are`, () => {
    const mail = mailContent(many(10_000, 1), { title: 'T' });
    expect(mail.html.split('<tr>').length - 2).toBe(MAIL_ROWS);
    expect(mail.html).toContain('Truncated: 9800 more rows not shown (10000 in all).');
    expect(mail.text).toContain('Truncated: 9800 more rows not shown (10000 in all).');
  });

  it('holds fewer rows when they are wide, and leaves out a chart too large to attach, under 900 KB in all', () => {
    const png = Buffer.alloc(600_000, 1);
    const mail = mailContent(many(10_000, 3_000), { title: 'T', introHtml: '<p>fired</p>', chartPng: png });
    expect(mail.chartPng).toBeUndefined();
    expect(mail.html).toContain('The chart is too large to attach.');
    expect(mail.html.startsWith('<p>fired</p>')).toBe(true);
    const shown = mail.html.split('<tr>').length - 2;
    expect(shown).toBeGreaterThan(0);
    expect(shown).toBeLessThan(MAIL_ROWS);
    expect(mail.html).toContain(`Truncated: ${10_000 - shown} more rows not shown`);
    expect(size(mail)).toBeLessThan(900_000);
    const small = mailContent(many(10_000, 3_000), { title: 'T', chartPng: Buffer.alloc(100_000, 1) });
    expect(small.chartPng?.length).toBe(100_000);
    expect(size(small)).toBeLessThan(900_000);
  });
});

describe('schedules', () => {
  const FIVE_MINUTES = 5 * 60_000;
  it('refuses runs closer than the shortest gap, with seconds or without', () => {
    for (const cron of ['* * * * *', '*/2 * * * *', '* * * * * *', '*/30 * * * * *', '0 0,3 * * * *'])
      expect(() => checkSchedule(cron, 'UTC', FIVE_MINUTES), cron).toThrow(/at least 5 minute/);
    for (const cron of ['*/5 * * * *', '0 9 * * 1', '0 */10 * * * *'])
      expect(checkSchedule(cron, 'Europe/Paris', FIVE_MINUTES).schedule).toBe(cron);
  });
});
