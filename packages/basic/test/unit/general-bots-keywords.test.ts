import { describe, expect, it } from 'vitest';
import { compile, matchesFilter, parseTableFilter, tableName } from '../../src/index.js';
import { expectDone, expectError, runScript } from '../recording-host.js';

// Issue #19, families 1-3: dialog blocks, suggestions, models, SWITCH, memories and facts, bot
// tables and the in-memory data verbs; and the keywords not built here failing to compile.

const errorsOf = (source: string) => {
  const compiled = compile(source);
  if (compiled.ok) throw new Error(`expected compile errors for ${JSON.stringify(source)}`);
  return compiled.errors;
};

describe('dialog and prompts', () => {
  it('BEGIN TALK sends its lines as one Markdown message, interpolated, less their indentation', async () => {
    const r = await runScript(`name = "Ana"
IF TRUE THEN
  BEGIN TALK
    # Welcome, \${name}!
    - it's *one* message
    - "quotes" and ' apostrophes stay
  END TALK
END IF
TALK "after"`);
    expectDone(r.result);
    expect(r.talks).toEqual([
      '# Welcome, Ana!\n- it\'s *one* message\n- "quotes" and \' apostrophes stay',
      'after',
    ]);
  });

  it('BEGIN SYSTEM PROMPT goes to the host; an unclosed block or text on the BEGIN line does not compile', async () => {
    const r = await runScript(
      'BEGIN SYSTEM PROMPT\nYou are a pirate.\nAnswer briefly.\nEND SYSTEM PROMPT\nTALK "ok"',
    );
    expectDone(r.result);
    expect(r.calls).toContainEqual({
      method: 'setSystemPrompt',
      args: ['You are a pirate.\nAnswer briefly.'],
    });
    expect(r.talks).toEqual(['ok']);
    expect(errorsOf('BEGIN TALK\nhello\n')[0]?.message).toBe('BEGIN TALK is missing its END TALK');
    expect(errorsOf('BEGIN TALK "hi"\nEND TALK')[0]?.message).toMatch(/starts a block/);
    expect(errorsOf('END TALK')[0]?.message).toBe('END TALK without a matching BEGIN TALK');
  });

  it('errors after and inside a block point at the right line and column', () => {
    expect(errorsOf('TALK 1\nBEGIN TALK\n  a\n  b\nEND TALK\nx = (\nTALK 2')).toEqual([
      { line: 6, column: 6, message: 'Expected a value, found the end of the line' },
    ]);
    expect(errorsOf(`BEGIN TALK\n  hi \${1 +}\nEND TALK`)).toEqual([
      { line: 2, column: 11, message: 'Expected a value, found the end of the line' },
    ]);
  });

  it('ADD SUGGESTION key AS text, ADD SUGGESTION text, CLEAR SUGGESTIONS, USE MODEL', async () => {
    const r = await runScript(
      'ADD SUGGESTION "yes" AS "Yes, please"\nADD SUGGESTION "No"\nCLEAR SUGGESTIONS\nUSE MODEL "gpt-mini"',
    );
    expectDone(r.result);
    expect(r.calls).toEqual([
      { method: 'addSuggestion', args: ['yes', 'Yes, please'] },
      { method: 'addSuggestion', args: ['No', 'No'] },
      { method: 'clearSuggestions', args: [] },
      { method: 'useModel', args: ['gpt-mini'] },
    ]);
  });

  it('USE CONNECTION names an integration connection for the GET and POST after it', async () => {
    const r = await runScript(
      'USE CONNECTION "0190d4a0-0000-7000-8000-000000000001"\nx = GET "https://api.example/items"',
    );
    expectDone(r.result);
    expect(r.calls.map((call) => call.method)).toEqual(['useConnection', 'httpGet']);
    expect(r.calls[0]!.args).toEqual(['0190d4a0-0000-7000-8000-000000000001']);
    expect(errorsOf('USE CONNECTION')[0]?.message).toMatch(
      /^USE CONNECTION needs the id of an integration connection/,
    );
    expect(errorsOf('USE SOMETHING "x"')[0]?.message).toBe(
      'Expected KB, TOOL, MODEL or CONNECTION after USE',
    );
  });

  it('SWITCH / CASE v1, v2 / CASE ELSE / END SWITCH, case-insensitive names, REM, comments, continuation', async () => {
    const source = `REM a General Bots dialog
' another comment
Choice = "b"
switch CHOICE
  case "a", "b"
    talk "A or B" & _
      "!"
  Case Else
    TALK "other"
End Switch
SWITCH 5
  CASE 1 TO 3
    TALK "low"
  CASE IS > 4
    TALK "high"
END SWITCH`;
    const r = await runScript(source);
    expectDone(r.result);
    expect(r.talks).toEqual(['A or B!', 'high']);
    expect(errorsOf('SWITCH x\nCASE 1\nTALK 1')[0]?.message).toBe('SWITCH is missing its END SWITCH');
    expect(errorsOf('SWITCH x\nCASE\nEND SWITCH')[0]?.message).toBe('Expected a value after CASE');
    expect(errorsOf('END SWITCH')[0]?.message).toBe('END SWITCH without a matching SWITCH');
  });

  it('presets variables from input (the param-* settings of a bot)', async () => {
    const r = await runScript('TALK "Welcome to " & company', { input: { company: 'ACME' } });
    expect(r.talks).toEqual(['Welcome to ACME']);
  });
});

describe('memory and users', () => {
  it('REMEMBER with and without a duration, RECALL, SET USER FACT, USER FACTS()', async () => {
    const r = await runScript(`REMEMBER "color", "blue"
REMEMBER "cart", {"items": 2}, "30 minutes"
c = RECALL "color"
SET USER FACT "city", "Lisbon"
facts = USER FACTS()
also = user facts
TALK c & " " & facts.city & " " & also.city`);
    expectDone(r.result);
    expect(r.calls.slice(0, 4)).toEqual([
      { method: 'remember', args: ['color', 'blue', null] },
      { method: 'remember', args: ['cart', { items: 2 }, '30 minutes'] },
      { method: 'recall', args: ['color'] },
      { method: 'setUserFact', args: ['city', 'Lisbon'] },
    ]);
    expect(r.talks).toEqual(['recalled color Lisbon Lisbon']);
  });

  it('SET USER does not compile and says why; a variable named user still works', () => {
    expect(errorsOf('SET USER "someone@example.com"')[0]?.message).toMatch(/^SET USER is refused: .*consent/);
    expect(compile('user = {"name": "Ana"}\nTALK user.name').ok).toBe(true);
  });
});

describe('bot tables', () => {
  it('SAVE names columns after its variables; INSERT, UPDATE, DELETE, FIND, MERGE as statements and values', async () => {
    const r = await runScript(`name = "Ana"
lead = {"email": "ana@example.com"}
SAVE "leads.csv", name, lead.email
id = INSERT "leads", {"name": "Rui"}
INSERT "leads", {"name": "Eva"}
n = UPDATE "leads", "name=Rui", {"stage": "won"}
gone = DELETE "leads", "stage=lost"
rows = FIND "leads", "age>30 AND name LIKE 'A%'"
merged = MERGE "leads", rows, "name"
TALK id & " " & n & " " & gone & " " & rows[0].name & " " & merged`);
    expectDone(r.result);
    expect(r.calls.map((c) => [c.method, ...c.args])).toEqual([
      ['tableSave', 'leads.csv', { name: 'Ana', email: 'ana@example.com' }],
      ['tableInsert', 'leads', { name: 'Rui' }],
      ['tableInsert', 'leads', { name: 'Eva' }],
      ['tableUpdate', 'leads', 'name=Rui', { stage: 'won' }],
      ['tableDelete', 'leads', 'stage=lost'],
      ['tableFind', 'leads', "age>30 AND name LIKE 'A%'"],
      ['tableMerge', 'leads', [{ name: 'Ana', age: 31 }], 'name'],
    ]);
    expect(r.talks).toEqual(['row-1 2 1 Ana 3']);
  });

  it('FIND with one argument is still the knowledge search', async () => {
    const r = await runScript('hits = FIND "refund"\nTALK hits[0].title');
    expect(r.talks).toEqual(['Refund policy']);
  });

  it('a literal table name or filter that tries SQL does not compile; the message says why', () => {
    expect(errorsOf('SAVE "leads; DROP TABLE bots", name')[0]?.message).toMatch(/is not a table name/);
    expect(errorsOf(`rows = FIND "leads", "name='x'; DROP TABLE leads"`)[0]?.message).toMatch(
      /is not valid: ";" at position 9 has no meaning in a filter/,
    );
    expect(errorsOf(`DELETE "leads", "1=1 OR name=x"`)[0]?.message).toMatch(/expected a column name/);
    expect(errorsOf(`n = UPDATE "leads", "name = 'a' --", {}`)[0]?.message).toMatch(/expected AND or OR/);
    expect(errorsOf('SAVE "leads", "literal"')[0]?.message).toMatch(/put the value in a variable first/);
    expect(errorsOf('SAVE "leads", a, A')[0]?.message).toMatch(/twice/);
  });

  it('a computed filter that tries SQL stops the script at run time, before the host is called', async () => {
    const r = await runScript(`data = [{"a": 1}]
rows = FILTER data, "a=1" & "; DROP TABLE leads"`);
    expect(expectError(r.result).error.message).toMatch(/no meaning in a filter/);
  });
});

describe('in-memory data verbs', () => {
  it('FILTER, AGGREGATE, GROUP BY, JOIN, PIVOT, MAP, FILL, FIRST, LAST, FORMAT', async () => {
    const r = await runScript(`sales = [{"region": "N", "month": "jan", "amount": 10, "rep": "ana"}, _
  {"region": "N", "month": "feb", "amount": "5", "rep": "rui"}, _
  {"region": "S", "month": "jan", "amount": 7, "rep": "ana", "note": ""}]
reps = [{"rep": "ana", "team": "red"}, {"rep": "rui", "team": "blue"}]
big = FILTER sales, "amount>=7"
total = AGGREGATE "SUM", sales, "amount"
avg = AGGREGATE(sales, "AVG", "amount")
count = AGGREGATE "COUNT", sales
groups = GROUP BY sales, "region"
joined = JOIN(sales, reps, "rep")
pivot = PIVOT sales, "region", "month", "amount"
mapped = MAP sales, "rep->seller, amount"
filled = FILL sales, {"note": "none"}
RETURN {"big": LEN(big), "total": total, "avg": FORMAT(avg, "0.00"), "count": count, _
  "north": LEN(groups.N), "team": joined[1].team, "pivot": pivot, "mapped": FIRST(mapped), _
  "note": LAST(filled).note, "word": FIRST("hello big world"), "lastWord": LAST("hello big world"), _
  "words": JOIN(["a", "b"], "-")}`);
    expect(expectDone(r.result).value).toEqual({
      big: 2,
      total: 22,
      avg: '7.33',
      count: 3,
      north: 2,
      team: 'blue',
      pivot: [
        { region: 'N', jan: 10, feb: 5 },
        { region: 'S', jan: 7 },
      ],
      mapped: { seller: 'ana', amount: 10 },
      note: 'none',
      word: 'hello',
      lastWord: 'world',
      words: 'a-b',
    });
  });

  it('variables named like verbs still work: first, last, map, list', async () => {
    const r = await runScript('first = 1\nlast = 2\nmap = first + last\nlist = [map]\nIF list THEN TALK map');
    expect(r.talks).toEqual(['3']);
  });
});

describe('the filter language', () => {
  it('parses comparisons, LIKE, NULL, booleans, parentheses and quoted values', () => {
    const parsed = parseTableFilter(
      `(name = "O'Neil" OR name LIKE 'ana%') AND age >= 18 AND vip = true AND note <> null`,
    );
    expect(parsed.ok).toBe(true);
    const filter = parsed.ok ? parsed.filter : null;
    expect(matchesFilter({ name: 'Anabela', age: '21', vip: true, note: 'x' }, filter)).toBe(true);
    expect(matchesFilter({ name: "o'neil", age: 40, vip: true, note: 'x' }, filter)).toBe(true);
    expect(matchesFilter({ name: 'Rui', age: 40, vip: true, note: 'x' }, filter)).toBe(false);
    expect(matchesFilter({ name: 'Ana', age: 12, vip: true, note: 'x' }, filter)).toBe(false);
    expect(matchesFilter({ name: 'Ana', age: 40, vip: true }, filter)).toBe(false);
  });

  it.each([
    ["name='x'; DROP TABLE leads", /";" at position 9/],
    ['name = x --', /"-" at position|expected AND or OR/],
    ['name = x /* */', /"\*"|no meaning|expected AND or OR/],
    ['1 = 1', /expected a column name/],
    ['name ~ x', /"~" at position 6/],
    ['name IN (1)', /expected an operator/],
    ['name = ', /a value is missing/],
    ['(name = 1', /is not closed/],
    ['name = 1 name = 2', /expected AND or OR/],
    ["name = 'unclosed", /no closing/],
    ['age > null', /only = and <> compare with NULL/],
  ])('refuses %j', (filter, message) => {
    const parsed = parseTableFilter(filter);
    expect(parsed.ok).toBe(false);
    if (!parsed.ok) expect(parsed.message).toMatch(message);
  });

  it('table names: letters, digits, _ and -; .csv is dropped; case folds', () => {
    expect(tableName('Leads.csv')).toEqual({ ok: true, name: 'leads' });
    expect(tableName('order-items_2')).toEqual({ ok: true, name: 'order-items_2' });
    for (const bad of ['', '1leads', 'leads; drop', 'a.b', "x'--", 'x'.repeat(64)])
      expect(tableName(bad).ok).toBe(false);
  });
});

describe('keywords that are not built here fail to compile, naming the keyword', () => {
  it.each([
    ['RUN PYTHON "print(1)"', 'RUN PYTHON is not available on this server: it needs a sandbox runner'],
    ['x = RUN BASH "ls"', 'RUN BASH is not available on this server: it needs a sandbox runner'],
    ['CREATE TASK "Call Ana", "today"', 'CREATE TASK is refused: Conduit runs no task tracker'],
    ['SYNCHRONIZE "https://x.io/items", "items", "id", page, limit', 'SYNCHRONIZE is refused'],
    ['BOT REFLECTION TRUE', 'BOT REFLECTION is refused: it needs an outside service'],
    ['t = WEATHER "Lisbon"', 'WEATHER is refused: it needs an outside service'],
    ['BOOK "dentist", "tomorrow"', 'BOOK is refused'],
    ['CREATE SITE "shop"', 'CREATE SITE is refused'],
  ])('%s', (source, message) => {
    expect(errorsOf(source)[0]?.message.startsWith(message)).toBe(true);
  });
});
