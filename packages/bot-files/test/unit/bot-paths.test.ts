import { checkBotPath } from '@conduit/contracts';
import { describe, expect, it } from 'vitest';

// The one path rule of bot files (scripts' hosts, the workspace, zip entries).

describe('bot file paths', () => {
  it.each([
    ['notes.txt', 'notes.txt'],
    ['  reports/2026/may.pdf ', 'reports/2026/may.pdf'],
    ['ünïcode/файл.txt', 'ünïcode/файл.txt'],
    ['a..b/c...txt', 'a..b/c...txt'],
  ])('takes %j', (raw, path) => {
    expect(checkBotPath(raw)).toEqual({ ok: true, path });
  });

  it.each([
    ['', /cannot be empty/],
    ['../etc/passwd', /has a "\.\." segment/],
    ['a/../../b', /has a "\.\." segment/],
    ['./a', /has a "\." segment/],
    ['/etc/passwd', /is an absolute path/],
    ['C:/boot.ini', /is an absolute path/],
    ['a\\b', /has a backslash/],
    ['a//b', /has an empty folder name/],
    ['a\u0000b', /has control characters/],
    ['a\ud800b', /is not valid text/],
    [`${'x'.repeat(256)}/y`, /has a name longer than 255/],
    ['y/'.repeat(300), /longer than 512/],
  ])('refuses %j', (raw, message) => {
    const checked = checkBotPath(raw);
    expect(checked.ok).toBe(false);
    if (!checked.ok) expect(checked.message).toMatch(message);
  });

  it('folders: "" and "/" are the top, a trailing "/" is dropped, "../" is still refused', () => {
    expect(checkBotPath('', { folder: true })).toEqual({ ok: true, path: '' });
    expect(checkBotPath('/', { folder: true })).toEqual({ ok: true, path: '' });
    expect(checkBotPath('reports/', { folder: true })).toEqual({ ok: true, path: 'reports' });
    expect(checkBotPath('../', { folder: true }).ok).toBe(false);
  });
});
