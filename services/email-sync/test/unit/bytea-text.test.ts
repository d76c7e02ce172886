import { describe, expect, it } from 'vitest';
import { byteaEscapeText } from '../../src/sync/bytea-text.js';

describe('byteaEscapeText', () => {
  it('passes 7-bit text without backslashes or NUL as it is', () => {
    const text = 'Subject: hi\r\n\r\nplain\ttext ~ {}\r\n';
    expect(byteaEscapeText(Buffer.from(text))).toBe(text);
  });

  it('doubles backslashes and writes NUL and bytes from 0x80 as three octal digits', () => {
    const bytes = Buffer.from([0x61, 0x5c, 0x00, 0x0d, 0x0a, 0x80, 0xe9, 0xff, 0x5c, 0x5c, 0x30]);
    expect(byteaEscapeText(bytes)).toBe('a\\\\\\000\r\n\\200\\351\\377\\\\\\\\0');
  });

  it('answers an empty text for no bytes', () => {
    expect(byteaEscapeText(Buffer.alloc(0))).toBe('');
  });
});
