import { describe, expect, it } from 'vitest';
import { compile } from '../../src/index.js';
import { expectDone, runScript } from '../recording-host.js';

// The bot file keywords of issue #19 (family 4): how they parse in General Bots' syntax and what
// reaches the host. Their effects are tested through the services (@conduit/bot-files, workspace).

const errorsOf = (source: string) => {
  const compiled = compile(source);
  if (compiled.ok) throw new Error(`expected compile errors for ${JSON.stringify(source)}`);
  return compiled.errors.map((e) => e.message);
};

describe('bot file keywords', () => {
  it('each keyword reaches its host method, as a statement or a value', async () => {
    const r = await runScript(`WRITE "notes/a.txt", "hello"
text = READ "notes/a.txt"
files = LIST "notes"
COPY "notes/a.txt", "notes/b.txt"
MOVE "notes/b.txt", "archive/b.txt"
DELETE FILE "archive/b.txt"
answer = UPLOAD "notes/a.txt", "https://x.io/upload"
saved = DOWNLOAD "https://x.io/logo.png", "media/logo.png"
zip = COMPRESS ["notes/a.txt"], "notes.zip"
unzipped = EXTRACT "notes.zip", "unzipped"
pdf = GENERATE PDF "templates/report.txt", {"total": 3}, "report.pdf"
merged = MERGE PDF ["report.pdf", "report.pdf"], "both.pdf"
TALK text & "|" & files[0].name & "|" & answer.uploaded & "|" & saved & "|" & zip & "|" & unzipped[0] & "|" & pdf.pages & "|" & merged.pages`);
    expectDone(r.result);
    expect(r.talks).toEqual([
      'contents of notes/a.txt|a.txt|notes/a.txt|media/logo.png|notes.zip|unzipped/a.txt|1|2',
    ]);
    expect(r.calls.map((c) => [c.method, ...c.args])).toEqual([
      ['writeFile', 'notes/a.txt', 'hello'],
      ['readFile', 'notes/a.txt'],
      ['listFiles', 'notes'],
      ['copyFile', 'notes/a.txt', 'notes/b.txt'],
      ['moveFile', 'notes/b.txt', 'archive/b.txt'],
      ['deleteFile', 'archive/b.txt'],
      ['uploadFile', 'notes/a.txt', 'https://x.io/upload'],
      ['downloadFile', 'https://x.io/logo.png', 'media/logo.png'],
      ['compressFiles', ['notes/a.txt'], 'notes.zip'],
      ['extractFiles', 'notes.zip', 'unzipped'],
      ['generatePdf', 'templates/report.txt', { total: 3 }, 'report.pdf'],
      ['mergePdf', ['report.pdf', 'report.pdf'], 'both.pdf'],
    ]);
  });

  it('WRITE passes data as it is; the table verbs DELETE and MERGE are still the table verbs', async () => {
    const r = await runScript(`rows = [{"a": 1}]
WRITE "out.csv", rows
n = DELETE "orders", "status=paid"
m = MERGE "orders", rows, "a"`);
    expectDone(r.result);
    expect(r.calls.map((c) => c.method)).toEqual(['writeFile', 'tableDelete', 'tableMerge']);
    expect(r.calls[0]!.args).toEqual(['out.csv', [{ a: 1 }]]);
  });

  it('RUN ... WITH FILE runs the code a bot file holds', async () => {
    const r = await runScript('x = RUN JAVASCRIPT WITH FILE "code/sum.js", {"a": 1}\nTALK x');
    expectDone(r.result);
    expect(r.calls.map((c) => [c.method, ...c.args])).toEqual([
      ['readFile', 'code/sum.js'],
      ['runJavaScript', 'contents of code/sum.js', { a: 1 }],
    ]);
  });

  it('variables named like the one-word keywords keep working', async () => {
    const r = await runScript(`list = [1, 2]
read = 3
copy = list
TALK LEN(copy) + read`);
    expectDone(r.result);
    expect(r.talks).toEqual(['5']);
  });

  it('a wrong number of values fails to compile, saying what the keyword needs', () => {
    expect(errorsOf('WRITE "a.txt"')[0]).toBe('WRITE needs: "path", data');
    expect(errorsOf('GENERATE PDF "t.txt", data')[0]).toBe(
      'GENERATE PDF needs: "template", data, "output.pdf"',
    );
    expect(errorsOf('x = EXTRACT "a.zip"')[0]).toBe('EXTRACT needs: "archive.zip", "folder"');
    expect(errorsOf('x = RUN JAVASCRIPT WITH "a.js"')[0]).toBe('Expected FILE after RUN JAVASCRIPT WITH');
  });
});
