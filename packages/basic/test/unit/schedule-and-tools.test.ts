import { describe, expect, it } from 'vitest';
import { compile, parseSchedule } from '../../src/index.js';
import { mustCompile } from '../recording-host.js';

describe('SET SCHEDULE', () => {
  it.each([
    ['every monday at 9am', '0 9 * * 1'],
    ['every 15 minutes', '*/15 * * * *'],
    ['every minute', '* * * * *'],
    ['daily at 18:30', '30 18 * * *'],
    ['every day at noon', '0 12 * * *'],
    ['every day at midnight', '0 0 * * *'],
    ['every hour', '0 * * * *'],
    ['hourly at :30', '30 * * * *'],
    ['every 2 hours', '0 */2 * * *'],
    ['every weekday at 8:00', '0 8 * * 1-5'],
    ['every weekend at 10am', '0 10 * * 0,6'],
    ['every monday and friday at 9:30 pm', '30 21 * * 1,5'],
    ['every Sunday', '0 0 * * 0'],
    ['weekly', '0 0 * * 0'],
    ['every month on the 15th at 8am', '0 8 15 * *'],
    ['monthly', '0 0 1 * *'],
    ['at 7am', '0 7 * * *'],
    ['0 9 * * 1-5', '0 9 * * 1-5'],
    ['*/5 * * * *', '*/5 * * * *'],
  ])('%j -> %s', (source, cron) => {
    expect(parseSchedule(source)).toEqual({ ok: true, cron });
  });

  it.each([
    ['61 * * * *', 'SET SCHEDULE: Invalid value for minute: 61'],
    [
      '0 0 * * * *',
      'SET SCHEDULE: a cron needs exactly 5 fields (minute hour day month weekday), got "0 0 * * * *"',
    ],
    ['every day at 25:00', 'SET SCHEDULE: cannot understand'],
    ['every 90 minutes', 'SET SCHEDULE: cannot understand'],
    ['whenever you like', 'SET SCHEDULE: cannot understand "whenever you like"; write it like'],
  ])('rejects %j', (source, message) => {
    const r = parseSchedule(source);
    expect(r.ok).toBe(false);
    expect(r.ok ? '' : r.message).toContain(message);
  });

  it('is read at compile time into program.schedule', () => {
    expect(mustCompile('SET SCHEDULE "every monday at 9am"\nTALK "report"').schedule).toEqual({
      cron: '0 9 * * 1',
      source: 'every monday at 9am',
    });
    expect(mustCompile('TALK 1').schedule).toBeNull();
  });

  it('a bad schedule is a compile error at its line', () => {
    const r = compile('TALK 1\nSET SCHEDULE "99 * * * *"');
    expect(r.ok ? [] : r.errors).toEqual([
      { line: 2, column: 1, message: 'SET SCHEDULE: Invalid value for minute: 99' },
    ]);
  });

  it('a script has one schedule', () => {
    const r = compile('SET SCHEDULE "every hour"\nSET SCHEDULE "every day"');
    expect(r.ok ? [] : r.errors.map((e) => e.message)).toEqual([
      'SET SCHEDULE appears twice; a script has one schedule',
    ]);
  });
});

describe('PARAM and DESCRIPTION -> tool JSON Schema', () => {
  it('maps types, examples, descriptions, options and required', () => {
    const program = mustCompile(`DESCRIPTION "Books a table at the restaurant"
PARAM customerName AS STRING LIKE "Ana Silva" DESCRIPTION "Who the booking is for"
PARAM guests AS INTEGER LIKE 4 DESCRIPTION "How many people"
PARAM budget AS MONEY LIKE "150.00"
PARAM email AS EMAIL LIKE "ana@example.com"
PARAM day AS DATE LIKE "2025-12-31"
PARAM time AS HOUR LIKE "19:30"
PARAM phone AS MOBILE
PARAM zip AS ZIPCODE
PARAM vip AS BOOLEAN LIKE FALSE OPTIONAL
PARAM score AS NUMBER LIKE -1.5
PARAM area AS "Indoor", "Terrace" DESCRIPTION "Seating area"
PARAM extras AS LIST OPTIONAL
PARAM meta AS OBJECT OPTIONAL
TALK "Booked for " & customerName`);
    expect(program.description).toBe('Books a table at the restaurant');
    expect(program.parameters).toEqual({
      type: 'object',
      properties: {
        customerName: { type: 'string', description: 'Who the booking is for', examples: ['Ana Silva'] },
        guests: { type: 'integer', description: 'How many people', examples: [4] },
        budget: { type: 'number', examples: [150] },
        email: { type: 'string', format: 'email', examples: ['ana@example.com'] },
        day: { type: 'string', format: 'date', examples: ['2025-12-31'] },
        time: { type: 'string', pattern: '^([01]?\\d|2[0-3]):[0-5]\\d$', examples: ['19:30'] },
        phone: { type: 'string', pattern: '^\\+?[0-9 ()-]{8,20}$' },
        zip: { type: 'string' },
        vip: { type: 'boolean', examples: [false] },
        score: { type: 'number', examples: [-1.5] },
        area: { type: 'string', enum: ['Indoor', 'Terrace'], description: 'Seating area' },
        extras: { type: 'array' },
        meta: { type: 'object' },
      },
      required: ['customerName', 'guests', 'budget', 'email', 'day', 'time', 'phone', 'zip', 'score', 'area'],
      additionalProperties: false,
    });
    expect(JSON.parse(JSON.stringify(program.parameters))).toEqual(program.parameters);
  });

  it('a script without PARAMs has an empty schema and no description', () => {
    const program = mustCompile('TALK 1');
    expect(program.parameters).toEqual({
      type: 'object',
      properties: {},
      required: [],
      additionalProperties: false,
    });
    expect(program.description).toBeNull();
  });

  it.each([
    ['PARAM x AS COLOR', 'Unknown PARAM type "COLOR"'],
    ['PARAM x LIKE y', 'Expected a literal example (text, number, TRUE or FALSE) after LIKE'],
    ['PARAM x\nPARAM X', 'PARAM X is declared twice'],
    ['DESCRIPTION name', 'Expected text in quotes after DESCRIPTION'],
  ])('%j is a compile error', (source, message) => {
    const r = compile(source);
    expect(r.ok ? [] : r.errors.map((e) => e.message).join('\n')).toContain(message);
  });
});
